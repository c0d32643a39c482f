import AlsaSwift
import Foundation
import Testing

/// Position and timestamps on the real kernel, both transports: over seconds of playback and
/// capture the kernel's timestamps never go back, they lag CLOCK_MONOTONIC by little, and the
/// time predicted for a frame is the time it reaches the device.
///
/// Tolerance: one period (the hardware pointer moves by periods on some drivers, and snd-aloop's
/// by jiffies) plus 15 ms for the rig's scheduling under software emulation. Each case prints what
/// it measured.
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct TimingIntegrationTests {
    static let rate = 48_000
    static let period = 1024
    static let request = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                         periodSize: 1024, periodCount: 4)
    static let tolerance = AudioTiming.duration(ofFrames: period, sampleRate: rate) + .milliseconds(15)

    enum Card: String, Sendable, CaseIterable { case dummy, loopback, explicitSync }
    enum Transport: String, Sendable, CaseIterable { case direct, alsaLib }

    struct Case: Sendable, CustomTestStringConvertible {
        let card: Card
        let transport: Transport
        let direction: StreamDirection
        var testDescription: String { "\(card) \(direction) via \(transport)" }

        var index: Int? {
            switch card {
            case .dummy: RigEnvironment.dummy
            case .loopback: RigEnvironment.loopback
            case .explicitSync: RigEnvironment.explicitSync
            }
        }

        func open() throws -> any PCM {
            let index = try #require(self.index, "no \(card) card in this kernel")
            switch transport {
            case .direct: return try KernelPCM(card: index, device: 0, direction: direction)
            case .alsaLib: return try AlsaLibPCM(name: "hw:\(index),0", direction: direction)
            }
        }
    }

    static let cases: [Case] = [Card.dummy, .loopback].flatMap { card in
        Transport.allCases.flatMap { transport in
            [StreamDirection.playback, .capture].map { Case(card: card, transport: transport, direction: $0) }
        }
    } + [Case(card: .explicitSync, transport: .direct, direction: .playback)]

    /// One look at the stream, between two readings of CLOCK_MONOTONIC.
    struct Sample {
        let timing: AudioTiming
        let before: MonotonicInstant
        let after: MonotonicInstant
    }

    /// 1.5 s of read/write transfers, a period at a time, a timing after each.
    static func record(_ pcm: any PCM) throws -> [Sample] {
        try pcm.configure(request)
        var buffer = [UInt8](repeating: 0, count: period * 4)
        var samples: [Sample] = []
        for step in 0..<(rate * 3 / 2 / period) {
            if pcm.direction == .playback {
                _ = try buffer.withUnsafeBytes { try pcm.writeInterleaved($0) }
            } else {
                // Now and then the app falls two periods behind, so that captured frames wait
                // and the delay is large enough for its sign to show.
                if step % 8 == 7 { Thread.sleep(forTimeInterval: Double(2 * period) / Double(rate)) }
                _ = try buffer.withUnsafeMutableBytes { try pcm.readInterleaved(into: $0) }
            }
            let before = MonotonicInstant.now
            let timing = try pcm.timing()
            samples.append(Sample(timing: timing, before: before, after: .now))
        }
        try pcm.drop()
        return samples
    }

    static func milliseconds(_ d: Duration) -> String { String(format: "%.2f ms", Double(d.nanosecondsValue) / 1e6) }

    @Test(arguments: cases)
    func timestampsAreMonotonicAndPredictionsHold(_ testCase: Case) throws {
        guard testCase.index != nil else { return }
        let samples = try Self.record(try testCase.open())
        let running = samples.filter { $0.timing.state == .running }
        #expect(running.count >= samples.count - 5, "the stream ran: \(running.count) of \(samples.count) looks")
        var maxLag = Duration.zero
        var maxCaptureDelay = 0
        var maxOutside = Duration.zero
        var maxBracket = Duration.zero
        var maxError = Duration.zero
        var bracketMisses = 0
        // Looks beyond the tolerance. One stall of the guest's vCPU (the host is loaded) between a
        // call and the clock reading around it puts a look or two out by tens of milliseconds; a
        // wrong clock or a wrong prediction puts nearly all of them out. So two are allowed, and
        // reported.
        var outliers: [String] = []
        var predictions = 0
        for (i, sample) in running.enumerated() {
            let timing = sample.timing
            #expect(timing.clock == .monotonic)
            #expect(timing.triggerTimestamp <= timing.timestamp)
            // The kernel's timestamp is CLOCK_MONOTONIC: never after the reading that followed the
            // call, and not much before it.
            let lag = sample.after - timing.timestamp
            #expect(lag >= .zero, "timestamp \(timing.timestamp) after the clock's \(sample.after)")
            if lag > Self.tolerance { outliers.append("look \(i): timestamp \(Self.milliseconds(lag)) behind the clock") }
            maxLag = max(maxLag, lag)
            if testCase.direction == .capture {
                // The next frame to read was captured already: its time is not in the future.
                #expect(timing.nextFrameTime <= sample.after + .milliseconds(15),
                        "frame \(timing.applicationPosition) captured at \(timing.nextFrameTime), after the clock's \(sample.after)")
                maxCaptureDelay = max(maxCaptureDelay, timing.delayFrames)
            }
            if i > 0 {
                let previous = running[i - 1].timing
                #expect(timing.timestamp >= previous.timestamp, "timestamp went back: \(previous.timestamp) then \(timing.timestamp)")
                #expect(timing.devicePosition >= previous.devicePosition, "position went back: \(previous.devicePosition) then \(timing.devicePosition)")
                #expect(timing.triggerTimestamp == previous.triggerTimestamp)
            }
            // Playback: the next frame written, heard later. Capture: the next frame read, captured
            // earlier. A later look that has the device past that frame says when it got there.
            let frame = timing.applicationPosition
            let predicted = timing.nextFrameTime
            guard let later = running[(i + 1)...].firstIndex(where: { $0.timing.devicePosition >= frame + Self.period }) else { continue }
            let measured = running[later].timing.time(ofFrame: frame)
            let error = measured - predicted
            maxError = max(maxError, error < .zero ? .zero - error : error)
            predictions += 1
            if error > Self.tolerance || error < .zero - Self.tolerance {
                outliers.append("frame \(frame): predicted \(predicted), measured \(measured)")
            }
            if testCase.direction == .playback, let crossing = running[(i + 1)...].firstIndex(where: { $0.timing.devicePosition >= frame }) {
                // Against the clock itself: the device reached the frame after the last look that
                // had it short of it, and before the reading after the first look past it.
                let lowerBound = running[crossing - 1].timing.timestamp
                let upperBound = running[crossing].after
                if predicted < lowerBound - Self.tolerance || predicted > upperBound + Self.tolerance {
                    bracketMisses += 1
                    outliers.append("frame \(frame): predicted \(predicted) outside the bracket \(lowerBound)...\(upperBound)")
                }
                let outside = max(lowerBound - predicted, predicted - upperBound, .zero)
                maxOutside = max(maxOutside, outside)
                maxBracket = max(maxBracket, upperBound - lowerBound)
            }
        }
        #expect(predictions > 20)
        #expect(outliers.count <= 2, "\(outliers.count) looks beyond the tolerance: \(outliers)")
        if !outliers.isEmpty { print("timing \(testCase.testDescription): \(bracketMisses) bracket misses; outliers allowed: \(outliers)") }
        print("timing \(testCase.testDescription): \(running.count) looks, timestamp lag behind CLOCK_MONOTONIC at most "
              + "\(Self.milliseconds(maxLag)), prediction error at most \(Self.milliseconds(maxError)) over \(predictions) frames, "
              + (testCase.direction == .playback ? "prediction outside the CLOCK_MONOTONIC bracket of its crossing by at most "
                 + "\(Self.milliseconds(maxOutside)) (bracket at most \(Self.milliseconds(maxBracket)) wide), " : "")
              + (testCase.direction == .capture ? "largest capture delay \(maxCaptureDelay) frames, " : "")
              + "audio timestamp \(running.last?.timing.audioTimestamp.map { "\($0.source)" } ?? "none"), tolerance \(Self.milliseconds(Self.tolerance))")
    }
}

extension Duration {
    /// Whole nanoseconds (test figures only).
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
