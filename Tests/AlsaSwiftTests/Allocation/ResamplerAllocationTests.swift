import AlsaSwift
import Testing

/// The resampler allocates nothing once created (issue 25): `process` a period at a time, at a fixed
/// ratio and at an adaptive one adjusted every period, interleaved and not, asked by output (a
/// playback callback) or by input (a capture period); the same after a `reset`; and `drain`.
/// Counted on the calling thread, soxr's own allocations included (it runs on that thread);
/// creation and the first periods are not counted. `reset` itself is not held to 0: it runs a gulp
/// of silence through soxr, whose FIFOs may grow then (fixed ratios: 0 to 8 allocations a reset
/// measured here), as its documentation says; its own work allocates nothing. CPU work: on a
/// thread of its own.
@Suite("Allocations in the resampler", .serialized, .enabled(if: Allocations.areCounted, Allocations.skipReason))
struct ResamplerAllocationTests {
    static let conversions = [(44_100, 48_000), (48_000, 44_100), (96_000, 44_100)]
    static let period = 256
    static let periods = 400

    struct Case: CustomTestStringConvertible, Sendable {
        var from: Int, to: Int
        var quality: ResamplingQuality
        var adaptive: Bool
        var layout: SampleLayout
        var testDescription: String {
            "\(from)->\(to) \(quality.name)\(adaptive ? " adaptive" : "") \(layout == .interleaved ? "interleaved" : "non-interleaved")"
        }
    }

    /// Every conversion at every level, fixed and adaptive, interleaved; and one of each
    /// non-interleaved.
    static let cases: [Case] = conversions.flatMap { from, to in
        ResamplingQuality.all.flatMap { quality in
            [false, true].map { Case(from: from, to: to, quality: quality, adaptive: $0, layout: .interleaved) }
        }
    } + [false, true].map { Case(from: 44_100, to: 48_000, quality: .standard, adaptive: $0, layout: .nonInterleaved) }

    /// What a case counted, each part on its own.
    struct Counts: Equatable, CustomStringConvertible {
        var byOutput = 0, byInput = 0, afterReset = 0, drain = 0
        var description: String {
            "by output \(byOutput), by input \(byInput), after reset \(afterReset), drain \(drain)"
        }
    }

    @Test("process, adjustRatio and drain make 0 allocations once the resampler is created, and after a reset", arguments: cases)
    func noAllocations(_ test: Case) async throws {
        let counts = try await onOwnThread { try Self.count(test) }
        #expect(counts == Counts(), "\(counts)")
    }

    /// Runs the case's periods and counts each part.
    static func count(_ test: Case) throws -> Counts {
        let channels = 2
        let resampler = try Resampler(from: test.from, to: test.to, channelCount: channels, layout: test.layout, quality: test.quality,
                                      adaptive: test.adaptive, maximumFrames: 2 * period)
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4 * period * channels)
        input.initialize(repeating: 0.25)
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4 * period * channels)
        output.initialize(repeating: 0)
        defer { input.deallocate(); output.deallocate() }
        var index = 0
        /// A playback callback's period: the input that makes `period` output frames.
        func byOutput() throws(AlsaError) {
            if test.adaptive { try resampler.adjustRatio(1 + 0.002 * Double(index % 7 - 3) / 3) }
            index += 1
            // At most `maximumFrames`: after a reset the latency refills over a few periods.
            let needed = min(resampler.inputFrames(forOutput: period), resampler.maximumFrames)
            // Non-interleaved buffers hold each channel's frames in one block: exactly `needed`.
            _ = try resampler.process(UnsafeBufferPointer(rebasing: input[..<(needed * channels)]),
                                      into: UnsafeMutableBufferPointer(rebasing: output[..<(period * channels)]))
        }
        /// A capture period: `period` input frames, and room for what they make.
        func byInput() throws(AlsaError) {
            if test.adaptive { try resampler.adjustRatio(1 - 0.002 * Double(index % 5 - 2) / 2) }
            index += 1
            let room = resampler.outputFrames(forInput: period)
            _ = try resampler.process(UnsafeBufferPointer(rebasing: input[..<(period * channels)]),
                                      into: UnsafeMutableBufferPointer(rebasing: output[..<(room * channels)]))
        }
        func counted(_ body: () throws(AlsaError) -> Void) throws(AlsaError) -> Int {
            let start = Allocations.windowStart()
            try body()
            return Allocations.windowEnd(start)
        }
        // Both kinds of period before any window (a first call instantiates generic metadata).
        for _ in 0..<16 { try byOutput() }
        for _ in 0..<16 { try byInput() }
        var counts = Counts()
        counts.byOutput = try counted { () throws(AlsaError) in for _ in 0..<periods { try byOutput() } }
        counts.byInput = try counted { () throws(AlsaError) in for _ in 0..<periods { try byInput() } }
        resampler.reset()
        counts.afterReset = try counted { () throws(AlsaError) in for _ in 0..<periods { try byOutput() } }
        counts.drain = try counted { () throws(AlsaError) in
            while try resampler.drain(into: UnsafeMutableBufferPointer(rebasing: output[..<(period * channels)])) > 0 {}
        }
        return counts
    }
}
