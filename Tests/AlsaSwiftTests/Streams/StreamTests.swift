import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

/// The app-facing streams on the simulated kernel: negotiation with fallbacks, Float conversion
/// reaching the device exactly, blocking and `async` writes, cancellation, capture as an
/// AsyncSequence.
@Suite("Streams")
struct StreamTests {
    /// k / 32768 for a spread of k: exact in every supported format.
    static func signal(frames: Int, channelCount: Int = 2) -> [Float] {
        (0..<frames * channelCount).map { Float(($0 &* 7919) % 60_000 - 30_000) / 32_768 }
    }

    static func deviceChecksum(_ samples: [Float], as format: SampleFormat) throws -> UInt64 {
        let bytes = try InterleavedAudioBuffer(channelCount: 2, samples: samples).encoded(as: format)
        var checksum = StreamChecksum()
        bytes.withUnsafeBytes { checksum.add($0) }
        return checksum.value
    }

    @Test("negotiation falls back to a format the device has and reports what it got")
    func negotiation() throws {
        let kernel = makeKernel()
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 44_100, channelCount: 2, latency: .milliseconds(100)), kernel: kernel)
        let got = stream.configuration
        #expect(got.format == .s16LE, "the dummy offers U8 and S16_LE; S16_LE is the best of them")
        #expect(got.sampleRate == 44_100 && got.channelCount == 2)
        #expect(got.bufferSize == 4410 && got.periodSize == 1102)
        #expect(got.transport == .direct && got.syncReport.deviceRequiresExplicitSync == false)
        #expect(got.description.contains("S16_LE 2ch 44100 Hz") && got.description.contains("(100 ms)"))
        let none = #expect(throws: AlsaError.self) {
            try PlaybackStream(device: "hw:0,0", request: StreamRequest(formats: [.floatLE, .s32LE]), kernel: makeKernel())
        }
        #expect(none?.context?.contains("offers none of FLOAT_LE, S32_LE") == true)
    }

    /// A stereo 48 kHz device asked for 6 channels at 96 kHz: an error that names both
    /// differences and what the device offers, never a stream that plays the app's 6-channel
    /// frames as stereo. Allowed, the stream runs at what the device grants and says so.
    @Test("a rate or channel count the device cannot give is refused, or adapted only when allowed and then reported")
    func honestConfiguration() throws {
        let refused = #expect(throws: AlsaError.self) {
            try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 96_000, channelCount: 6), kernel: makeKernel())
        }
        #expect(refused?.kind == .invalidArgument)
        let context = refused?.context ?? ""
        #expect(context.contains("cannot run 96000 Hz at 6 channels"), "\(context)")
        #expect(context.contains("48000 Hz instead of 96000 Hz") && context.contains("2 channels instead of 6"), "\(context)")
        #expect(context.contains("plughw:0,0") && context.contains("mayAdapt"), "\(context)")

        let onlyRate = #expect(throws: AlsaError.self) {
            try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 96_000, channelCount: 6, mayAdapt: [.sampleRate]), kernel: makeKernel())
        }
        #expect(onlyRate?.context?.contains("2 channels instead of 6") == true)
        #expect(onlyRate?.context?.contains("Hz instead of") == false, "an allowed difference is not a reason to refuse")

        let kernel = makeKernel()
        let adapted = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 96_000, channelCount: 6, mayAdapt: [.sampleRate, .channelCount]),
                                         kernel: kernel)
        #expect(adapted.configuration.adaptations == [StreamAdaptation(parameter: .sampleRate, requested: 96_000, granted: 48_000),
                                                     StreamAdaptation(parameter: .channelCount, requested: 6, granted: 2)])
        #expect(adapted.configuration.description.contains("(adapted: 48000 Hz instead of 96000 Hz, 2 channels instead of 6)"))
        // The app's 6-channel buffer is refused by the 2-channel stream, not played as stereo frames.
        let wrongWidth = #expect(throws: AlsaError.self) {
            try adapted.writeBlocking(try InterleavedAudioBuffer(channelCount: 6, frameCount: 480))
        }
        #expect(wrongWidth?.context == "a 6-channel buffer for a 2-channel stream")
        #expect(kernel.playbackObservation().frames == 0)
        let exact = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2), kernel: makeKernel())
        #expect(exact.configuration.adaptations.isEmpty)
    }

    /// A stream built from a PCM opened with `.report` recovers an xrun as a stream opened by name
    /// does, for both accesses, instead of throwing it at the app.
    @Test("a stream built from a reporting PCM recovers xruns like one opened by name", arguments: [false, true])
    func streamFromPCMRecovers(mmap: Bool) throws {
        let kernel = makeKernel()
        let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, options: PCMOpenOptions(nonBlocking: true, recovery: .report),
                                kernel: kernel)
        let stream = try PlaybackStream(pcm: pcm, request: StreamRequest(latency: .milliseconds(40), preferMmap: mmap))
        let samples = Self.signal(frames: 4800)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        kernel.advance(frames: 4800)  // the app falls behind: the buffer runs dry
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(stream.xrunCount == 1)
        #expect(kernel.playbackObservation().xruns == 1)
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
    }

    /// A device with SNDRV_PCM_INFO_PAUSE holds its position: nothing is played while paused,
    /// nothing queued is lost, and every frame still reaches the device in order.
    @Test("pause and resume on a device that can pause lose nothing")
    func hardwarePause() throws {
        let kernel = makeKernel(.explicitSync)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let samples = Self.signal(frames: 4800)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try stream.pause() == .hardware)
        let held = kernel.playbackObservation().frames
        kernel.advance(frames: 4800)
        #expect(kernel.playbackObservation().frames == held, "a paused device plays nothing")
        let status = try stream.status()
        #expect(status.isPaused && status.state == .paused)
        #expect(status.availableFrames + status.delayFrames == Int(stream.configuration.bufferSize))
        let refused = #expect(throws: AlsaError.self) { try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) } }
        #expect(refused?.kind == .badState)
        try stream.resume()
        #expect(try stream.status().isPaused == false)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        let device = kernel.playbackObservation()
        #expect(device.frames == 9600 && device.xruns == 0)
        #expect(device.checksum == (try Self.deviceChecksum(samples + samples, as: stream.configuration.format)))
    }

    /// Without SNDRV_PCM_INFO_PAUSE the stream stops the device and says what that discarded.
    @Test("pause on a device that cannot pause stops it and reports the frames discarded")
    func emulatedPause() throws {
        let kernel = makeKernel()
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let samples = Self.signal(frames: 4800)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        let before = try stream.status()
        #expect(before.state == .running && !before.isPaused)
        guard case .emulated(let discarded) = try stream.pause() else {
            Issue.record("snd-dummy has no PAUSE: the pause must be emulated")
            return
        }
        #expect(discarded == before.delayFrames && discarded > 0)
        let played = kernel.playbackObservation().frames
        #expect(played + discarded == 4800)
        #expect(try stream.status().isPaused)
        try stream.resume()
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        #expect(kernel.playbackObservation().frames == played + 4800)
        #expect(stream.xrunCount == 0)
    }

    @Test("blocking writes reach the device exactly, read/write and mmap, plain and explicit-sync",
          arguments: [(SimulatedHardware.dummy, false), (.dummy, true), (.explicitSync, false), (.explicitSync, true)])
    func blockingWrite(hardware: SimulatedHardware, mmap: Bool) async throws {
        try await onOwnThread {
            let kernel = makeKernel(hardware)
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(preferMmap: mmap), kernel: kernel)
            #expect(stream.configuration.setup.access == (mmap ? .mmapInterleaved : .readWriteInterleaved))
            let samples = Self.signal(frames: 48_000)
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            #expect(try stream.drainBlocking(timeout: .seconds(5)))
            let device = kernel.playbackObservation()
            #expect(device.frames == 48_000)
            #expect(device.checksum == (try Self.deviceChecksum(samples, as: stream.configuration.format)))
            #expect(stream.xrunCount == 0 && device.xruns == 0)
            if hardware == .explicitSync {
                #expect(stream.configuration.format == .floatLE)
                #expect(stream.configuration.syncReport.strategy?.control == .syncPtr(.explicitSync))
            }
        }
    }

    @Test("async writes suspend on the poll reactor and reach the device exactly")
    func asyncWrite() async throws {
        let kernel = makeKernel(.explicitSync)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let samples = Self.signal(frames: 24_000)
        let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples.count)
        defer { copy.deallocate() }
        _ = copy.initialize(from: samples)
        try await stream.write(UnsafeBufferPointer(copy))
        try await stream.write(try InterleavedAudioBuffer(channelCount: 2, samples: Array(samples[0..<4800])))
        #expect(try await stream.drain(timeout: .seconds(5)))
        let device = kernel.playbackObservation()
        #expect(device.frames == 26_400)
        #expect(device.checksum == (try Self.deviceChecksum(samples + samples[0..<4800], as: stream.configuration.format)))
    }

    /// Starts an async write that can only end by cancellation (a paused device never makes room),
    /// in a task on Swift's global executor or preferring the stream's `taskExecutor`, cancels it
    /// once it is suspended in the reactor, and returns the error the write ended with (nil if
    /// none).
    static func cancelSuspendedWrite(onStreamExecutor: Bool) async throws -> AlsaError? {
        let kernel = makeKernel(.explicitSync)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let samples = signal(frames: 1920)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        try stream.core.pcm.pause(true)
        nonisolated(unsafe) let unsafeStream = stream
        let ended = ManagedCounter()
        let outcome = Task(executorPreference: onStreamExecutor ? stream.taskExecutor : nil) { () -> AlsaError? in
            defer { ended.add() }
            do throws(AlsaError) {
                try await unsafeStream.write(try InterleavedAudioBuffer(channelCount: 2, samples: samples))
                return nil
            } catch {
                return error
            }
        }
        // Cancelled once the write is suspended in the reactor on a paused device, which can never
        // make room: only the cancellation can end it.
        #expect(await eventually { stream.core.reactor?.reactor.waiterCount == 1 })
        outcome.cancel()
        #expect(await eventually { ended.value == 1 }, "the cancelled write never ended")
        return ended.value == 1 ? await outcome.value : nil
    }

    @Test("cancelling a suspended write ends it with ECANCELED")
    func cancellation() async throws {
        #expect(try await Self.cancelSuspendedWrite(onStreamExecutor: false)?.kind == .cancelled)
    }

    @Test("drain on a stalled device gives up at its timeout instead of hanging, and drops the rest")
    func drainOnStalledDevice() async throws {
        try await onOwnThread {
            let kernel = makeKernel()
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(100)), kernel: kernel)
            let samples = Self.signal(frames: 9600)
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            kernel.stall(true)
            let started = ContinuousClock.now
            #expect(try stream.drainBlocking(timeout: .milliseconds(300)) == false)
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(250) && waited < hangBound, "waited \(waited)")
            #expect(try stream.core.pcm.state == .prepared, "dropped and prepared for the next write")
        }
    }

    @Test("captured audio arrives as an AsyncSequence of buffers, exactly as the device produced it")
    func captureSequence() async throws {
        let kernel = makeKernel()
        let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2), kernel: kernel)
        #expect(stream.configuration.format == .s16LE)
        var captured: [Float] = []
        var buffers = 0
        for try await buffer in stream.buffers(frames: 480) {
            #expect(buffer.frameCount == 480 && buffer.channelCount == 2)
            captured += buffer.samples
            buffers += 1
            if buffers == 10 { break }
        }
        let expected = expectedCapture(startFrame: 0, frames: 4800, frameBytes: 4)
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        #expect(captured == decoded.samples)
    }

    @Test("blocking capture reads fill the buffer with the device's frames")
    func blockingCapture() throws {
        let kernel = makeKernel(.explicitSync)
        let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2, formats: [.s16LE], preferMmap: true), kernel: kernel)
        #expect(stream.configuration.setup.access == .mmapInterleaved)
        var samples = [Float](repeating: 0, count: 9600)
        try samples.withUnsafeMutableBufferPointer { try stream.readBlocking(into: $0) }
        let expected = expectedCapture(startFrame: 0, frames: 4800, frameBytes: 4)
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        #expect(samples == decoded.samples)
    }
}
