import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

/// Streams that resample (`StreamRequest.resampling`) on a simulated device fixed at 48 kHz: the
/// app's 44.1 kHz sine arrives at the device's rate with its frequency, its frame count and no
/// discontinuity, playback and capture, blocking and async, while the device side still moves
/// whole periods. The resampler and the analysis are CPU work: they run on a thread of their own.
@Suite(.serialized, .hangTimeLimit) struct ResamplingStreamTests {
    static let appRate = 44_100
    static let deviceRate = 48_000
    static let tone = 1000.0
    static let amplitude = 0.5

    /// A device that, like much hardware needing explicit sync, runs at 48 kHz only.
    static func fixedRate(_ hardware: SimulatedHardware) -> SimulatedHardware {
        var fixed = hardware
        fixed.rates = .list([48_000])
        return fixed
    }

    /// `frames` stereo frames of the test tone at `rate`, from frame `start`.
    static func sine(frames: Int, rate: Int, from start: Int = 0) -> [Float] {
        (0..<frames).flatMap { frame -> [Float] in
            let value = Float(amplitude * sin(2 * Double.pi * tone * Double(start + frame) / Double(rate)))
            return [value, value]
        }
    }

    /// How far `samples` (left channel of stereo, at `rate`) are from the best-fitting sine of the
    /// tone's frequency, in dB below the signal: low only for the right frequency, the right
    /// amplitude and no frame lost or repeated anywhere in `frames`.
    static func residual(_ samples: [Float], rate: Int, frames: Range<Int>) -> Double {
        var ss = 0.0, sc = 0.0, cc = 0.0, ys = 0.0, yc = 0.0
        for frame in frames {
            let phase = 2 * Double.pi * tone * Double(frame) / Double(rate)
            let (s, c, y) = (sin(phase), cos(phase), Double(samples[2 * frame]))
            ss += s * s; sc += s * c; cc += c * c; ys += y * s; yc += y * c
        }
        let determinant = ss * cc - sc * sc
        let a = (ys * cc - yc * sc) / determinant, b = (yc * ss - ys * sc) / determinant
        var error = 0.0, signal = 0.0
        for frame in frames {
            let phase = 2 * Double.pi * tone * Double(frame) / Double(rate)
            let fit = a * sin(phase) + b * cos(phase)
            error += (Double(samples[2 * frame]) - fit) * (Double(samples[2 * frame]) - fit)
            signal += fit * fit
        }
        return 10 * log10(max(error, 1e-30) / signal)
    }

    /// The amplitude of the fitted sine, from the RMS of `frames` of the left channel.
    static func amplitude(_ samples: [Float], frames: Range<Int>) -> Double {
        (frames.reduce(0.0) { $0 + Double(samples[2 * $1]) * Double(samples[2 * $1]) } / Double(frames.count)).squareRoot() * 2.0.squareRoot()
    }

    static func decodedPlayback(_ kernel: SimulatedKernel, format: SampleFormat) throws -> [Float] {
        try kernel.playedBytes().withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: format, channelCount: 2) }.samples
    }

    /// Checks what the device played for one second of the app's tone: 48 000 frames exactly
    /// (the tail drained), the tone at 1 kHz without a discontinuity, one transfer and at most one
    /// wait per device period.
    static func checkPlayback(_ stream: PlaybackStream, _ kernel: SimulatedKernel) throws {
        let configuration = stream.configuration
        #expect(configuration.sampleRate == appRate && configuration.deviceSampleRate == deviceRate)
        #expect(configuration.resampling == .standard)
        #expect(configuration.description.contains("44100 Hz resampled to 48000 Hz at standard quality"), "\(configuration)")
        let device = kernel.playbackObservation()
        #expect(device.frames == deviceRate, "the device played \(device.frames) frames of 48 000")
        #expect(device.staleFrames == 0 && device.underrunFrames == 0 && stream.xrunCount == 0)
        let played = try decodedPlayback(kernel, format: configuration.format)
        try #require(played.count / 2 >= 8000, "the device played too little to analyse")
        // Past the filter's start and before its end: the steady tone.
        let steady = 2000..<(played.count / 2 - 2000)
        let residual = residual(played, rate: deviceRate, frames: steady)
        #expect(residual < -60, "the played tone is \(residual) dB from a 1 kHz sine at 48 kHz")
        #expect(abs(amplitude(played, frames: steady) - amplitude) < 0.01)
        let periods = (device.frames + configuration.periodSize - 1) / configuration.periodSize
        let statistics = stream.statistics
        #expect(statistics.frames == device.frames && statistics.convertedFrames == device.frames, "\(statistics)")
        // An async drain sleeps once more, on the reactor, until the device has played out.
        #expect(statistics.transfers <= periods + 1 && statistics.waits <= statistics.transfers + 1, "\(statistics) for \(periods) periods")
    }

    @Test("a 44.1 kHz tone written blocking plays at 48 kHz, exactly: read/write and mmap, plain and explicit-sync",
          arguments: [(SimulatedHardware.dummy, false), (.dummy, true), (.explicitSync, false), (.explicitSync, true)])
    func blockingPlayback(hardware: SimulatedHardware, mmap: Bool) async throws {
        try await onOwnThread {
            let kernel = makeKernel(Self.fixedRate(hardware))
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, preferMmap: mmap, resampling: .standard),
                                            kernel: kernel)
            #expect(stream.configuration.setup.access == (mmap ? .mmapInterleaved : .readWriteInterleaved))
            kernel.recordPlayback()
            let samples = Self.sine(frames: Self.appRate, rate: Self.appRate)
            // Writes of a size that is no whole number of device periods: the app's frames are staged.
            try samples.withUnsafeBufferPointer { all in
                for start in stride(from: 0, to: Self.appRate, by: 1000) {
                    let end = min(start + 1000, Self.appRate)
                    try stream.writeBlocking(UnsafeBufferPointer(rebasing: all[start * 2..<end * 2]))
                }
            }
            #expect(try stream.drainBlocking(timeout: .seconds(5)))
            try Self.checkPlayback(stream, kernel)
        }
    }

    @Test("a 44.1 kHz tone written async, in small typed buffers, plays at 48 kHz exactly")
    func asyncPlayback() async throws {
        let kernel = makeKernel(Self.fixedRate(.explicitSync))
        let stream = try await onOwnThread {
            try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, latency: .milliseconds(40), resampling: .standard),
                               kernel: kernel)
        }
        kernel.recordPlayback()
        let samples = Self.sine(frames: Self.appRate, rate: Self.appRate)
        for start in stride(from: 0, to: Self.appRate, by: 441) {
            try await stream.write(try InterleavedAudioBuffer(channelCount: 2, samples: Array(samples[start * 2..<(start + 441) * 2])))
        }
        #expect(try await stream.drain(timeout: .seconds(5)))
        try await onOwnThread { try Self.checkPlayback(stream, kernel) }
    }

    /// The capture device hears a 1 kHz tone at 48 kHz (S16_LE stereo).
    static func captureTone(_ kernel: SimulatedKernel) {
        kernel.setCaptureSignal(.bytes { frame, byte in
            let value = Int16((amplitude * sin(2 * Double.pi * tone * Double(frame) / Double(deviceRate)) * 32_767).rounded())
            let bits = UInt16(bitPattern: value)
            return UInt8(truncatingIfNeeded: byte % 2 == 0 ? bits : bits >> 8)
        })
    }

    /// Checks one second of the app's capture at 44.1 kHz: the tone at 1 kHz without a
    /// discontinuity, from whole device periods, one transfer and at most one wait each.
    static func checkCapture(_ stream: CaptureStream, _ samples: [Float]) {
        #expect(stream.configuration.sampleRate == appRate && stream.configuration.deviceSampleRate == deviceRate)
        let steady = 2000..<appRate
        let residual = residual(samples, rate: appRate, frames: steady)
        #expect(residual < -60, "the captured tone is \(residual) dB from a 1 kHz sine at 44.1 kHz")
        #expect(abs(amplitude(samples, frames: steady) - amplitude) < 0.01)
        let statistics = stream.statistics
        let period = stream.configuration.periodSize
        #expect(statistics.frames % period == 0, "whole device periods: \(statistics)")
        // 48 000 device frames make the 44 100 app frames, plus what the resampler holds back.
        let latency = stream.core.conversion?.resampler.latency ?? 0
        #expect(statistics.frames >= deviceRate && statistics.frames <= deviceRate + latency + 2 * period, "\(statistics)")
        #expect(statistics.transfers == statistics.frames / period && statistics.waits <= statistics.transfers, "\(statistics)")
    }

    @Test("a 48 kHz device's tone is read blocking at 44.1 kHz, read/write and mmap", arguments: [false, true])
    func blockingCapture(mmap: Bool) async throws {
        // A staging defect once made these reads spin for ever: the time limit ends the test.
        try await onOwnThreadUntilCancelled {
            let kernel = makeKernel(Self.fixedRate(.explicitSync))
            let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, formats: [.s16LE], preferMmap: mmap,
                                                                                   resampling: .standard), kernel: kernel)
            Self.captureTone(kernel)
            var samples = [Float](repeating: 0, count: Self.appRate * 2)
            // Reads of a size that is no whole number of periods: the resampled frames are staged.
            try samples.withUnsafeMutableBufferPointer { all in
                for start in stride(from: 0, to: Self.appRate, by: 700) {
                    let end = min(start + 700, Self.appRate)
                    try stream.readBlocking(into: UnsafeMutableBufferPointer(rebasing: all[start * 2..<end * 2]))
                }
            }
            Self.checkCapture(stream, samples)
        }
    }

    @Test("a 48 kHz device's tone is read async at 44.1 kHz")
    func asyncCapture() async throws {
        let kernel = makeKernel(Self.fixedRate(.dummy))
        let stream = try await onOwnThread {
            try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, resampling: .standard), kernel: kernel)
        }
        Self.captureTone(kernel)
        var samples: [Float] = []
        for try await buffer in stream.buffers(frames: 441) {
            samples += buffer.samples
            if samples.count == Self.appRate * 2 { break }
        }
        await onOwnThread { Self.checkCapture(stream, samples) }
    }

    @Test("without resampling a rate the device lacks is still refused; at the device's own rate nothing converts")
    func resamplingOnlyWhenAskedAndNeeded() async throws {
        try await onOwnThread {
            let refused = #expect(throws: AlsaError.self) {
                try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate), kernel: makeKernel(Self.fixedRate(.dummy)))
            }
            #expect(refused?.context?.contains("48000 Hz instead of 44100 Hz") == true)
            #expect(refused?.context?.contains("StreamRequest.resampling") == true, "\(refused?.context ?? "")")
            let same = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.deviceRate, resampling: .high),
                                          kernel: makeKernel(Self.fixedRate(.dummy)))
            #expect(same.configuration.resampling == nil && same.core.conversion == nil)
            #expect(!same.configuration.description.contains("resampled"))
            #expect(throws: AlsaError.self) {
                try RenderThread(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, resampling: .fast),
                                 kernel: makeKernel(Self.fixedRate(.dummy))) { _ in }
            }
        }
    }

    /// App frames from device frames at the test's rates, to the nearest.
    static func appFrames(_ deviceFrames: Int) -> Int { (deviceFrames * appRate + deviceRate / 2) / deviceRate }

    @Test("a resampling playback stream's delay and timing count the app's frames, held ones included",
          arguments: [false, true])
    func playbackDelayInAppFrames(mmap: Bool) async throws {
        try await onOwnThread {
            let kernel = makeKernel(Self.fixedRate(.explicitSync))
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, preferMmap: mmap, resampling: .standard),
                                            kernel: kernel)
            let period = stream.configuration.periodSize
            let samples = Self.sine(frames: 8000, rate: Self.appRate)
            // Less than the buffer: nothing plays yet, and most of it is no whole device period.
            let first = Self.appFrames(period) * 2 + 300
            try samples.withUnsafeBufferPointer { try stream.writeBlocking(UnsafeBufferPointer(rebasing: $0[0..<first * 2])) }
            #expect(kernel.playbackObservation().frames == 0)
            let delay = try stream.delay()
            #expect(abs(delay - first) <= 1, "delay \(delay) for \(first) app frames written")
            var timing = try stream.timing()
            #expect(timing.sampleRate == Self.appRate && timing.applicationPosition == first, "\(timing)")
            #expect(abs(timing.delayFrames - first) <= 1 && abs(timing.devicePosition) <= 1, "\(timing)")
            #expect(abs(try stream.status().delayFrames - first) <= 1)
            // Past the buffer: the device runs, and what it played leaves the delay, at the app's rate.
            try samples.withUnsafeBufferPointer { try stream.writeBlocking(UnsafeBufferPointer(rebasing: $0[first * 2..<8000 * 2])) }
            let played = kernel.playbackObservation().frames
            #expect(played > 0)
            timing = try stream.timing()
            #expect(timing.applicationPosition == 8000, "\(timing)")
            #expect(abs(timing.delayFrames - (8000 - Self.appFrames(played))) <= 2, "\(timing) with \(played) device frames played")
            #expect(abs(try stream.delay() - timing.delayFrames) <= 1)
        }
    }

    @Test("a resampling capture stream's delay and timing count the app's frames, held ones included",
          arguments: [false, true])
    func captureDelayInAppFrames(mmap: Bool) async throws {
        try await onOwnThread {
            let kernel = makeKernel(Self.fixedRate(.dummy))
            let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: Self.appRate, formats: [.s16LE], preferMmap: mmap,
                                                                                   resampling: .standard), kernel: kernel)
            Self.captureTone(kernel)
            var samples = [Float](repeating: 0, count: 1000 * 2)
            // Fewer than a device period's worth: the rest of what was resampled stays held.
            try samples.withUnsafeMutableBufferPointer { try stream.readBlocking(into: $0) }
            let captured = kernel.captureObservation().frames
            let timing = try stream.timing()
            #expect(timing.sampleRate == Self.appRate && timing.applicationPosition == 1000, "\(timing)")
            // Every device frame captured is the app's to read: read already, held, or in the kernel.
            #expect(abs(timing.delayFrames - (Self.appFrames(captured) - 1000)) <= 2, "\(timing) with \(captured) device frames captured")
            #expect(abs(try stream.delay() - timing.delayFrames) <= 1)
            #expect(abs(try stream.status().delayFrames - timing.delayFrames) <= 1)
        }
    }
}
