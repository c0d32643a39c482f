import Foundation
import Testing
@testable import AlsaSwift

/// The input resampler of a duplex stream on two clocks, driven by hand: what it asks to read,
/// and what a read that comes short costs.
@Suite("Duplex stream: the input's resampler")
struct InputResamplingTests {
    static let period = 256
    static let channels = 2

    /// Periods of a 1 kHz sine at half scale read through `resampling`, each read capped at
    /// `cap(period)` frames (the capture card had no more); the output's left channel.
    static func run(_ resampling: InputResampling, periods: Int, cap: (Int) -> Int) throws -> [Float] {
        var next = 0
        var output: [Float] = []
        let device = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * period * channels * 2, alignment: 16)
        defer { device.deallocate() }
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * period * channels)
        defer { samples.deallocate() }
        let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: period * channels)
        defer { block.deallocate() }
        for index in 0..<periods {
            let frames = min(resampling.framesToRead, cap(index))
            for frame in 0..<frames {
                let phase = 2 * Double.pi * 1000 * Double(next + frame) / 48_000
                let value = Float(0.5 * sin(phase))
                for channel in 0..<channels { samples[frame * channels + channel] = value }
            }
            let bytes = UnsafeMutableRawBufferPointer(rebasing: device[0..<frames * channels * 2])
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: samples[0..<frames * channels]), as: .s16LE, into: bytes)
            try resampling.take(bytes, frames, at: 0)
            resampling.read(frames)
            next += frames
            try resampling.produce(into: block, layout: .interleaved)
            for frame in 0..<period { output.append(block[frame * channels]) }
        }
        return output
    }

    /// The largest change of slope from frame to frame after the first `skip` frames.
    static func largestSlopeJump(_ signal: [Float], skip: Int) -> Float {
        var largest: Float = 0
        for index in max(skip, 2)..<signal.count {
            largest = max(largest, abs(signal[index] - 2 * signal[index - 1] + signal[index - 2]))
        }
        return largest
    }

    static func make() throws -> InputResampling {
        try InputResampling(rate: 48_000, channelCount: channels, periodFrames: period, readLimit: period + 4, format: .s16LE,
                            quality: .standard)
    }

    @Test("it asks for a little more than a period when the capture card runs fast, a little less when slow",
          arguments: [0.999, 1.001])
    func framesToRead(ratio: Double) throws {
        let resampling = try Self.make()
        try resampling.setRatio(ratio)
        _ = try Self.run(resampling, periods: 20) { _ in Self.period + 4 }
        var total = 0
        for _ in 0..<20 {
            let frames = resampling.framesToRead
            total += frames
            _ = try Self.run(resampling, periods: 1) { _ in frames }
        }
        // 20 periods of output at `ratio` output frames per frame read.
        #expect(abs(Double(total) - 20 * Double(Self.period) / ratio) <= 2, "\(total)")
    }

    /// A capture card that had only a period when the ratio wanted a frame more, three periods in
    /// a row: the staged reserve covers it, the next reads make it up, and the sine goes on smooth.
    @Test("a read that comes short is made up from the reserve: no silence, no jump")
    func shortReads() throws {
        let resampling = try Self.make()
        // 257.3 frames read a period: every capped read comes short by a frame or two.
        try resampling.setRatio(0.995)
        // The first 20 periods whole (the filter fills), then three capped at a period, then whole.
        let signal = try Self.run(resampling, periods: 40) { index in (20..<23).contains(index) ? Self.period : Self.period + 4 }
        #expect(resampling.shortPeriods == 0)
        #expect(Self.largestSlopeJump(signal, skip: 10 * Self.period) < 0.02)
    }
}
