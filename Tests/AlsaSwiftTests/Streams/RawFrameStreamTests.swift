import AlsaSimulation
import CAlsaKernel
import Testing
@testable import AlsaSwift

/// Streams that take and give raw frames in the device's own format (`writeBlocking(rawFrames:)`,
/// `write(rawFrames:)`, `readBlocking(rawFramesInto:)`, `read(rawFramesInto:)`): the bytes reach the device
/// bit for bit, and capture hands out the device's bytes, on both accesses, plain and explicit
/// sync (no stale, late or poisoned frame), through the one period engine: one wait and one
/// transfer a period, as the `Float` paths, and no frame counted as converted. What cannot be
/// right (a partial frame, a stream that resamples, a paused stream) is refused before anything
/// moves.
///
/// Every path runs on a device that moves 37 frames during each of the app's calls, as in
/// `PeriodEngineTests`: a raw path that chased partial room would make more waits and transfers.
@Suite("Raw-frame streams")
struct RawFrameStreamTests {
    typealias Path = PeriodEngineTests.Path
    typealias Calls = PeriodEngineTests.Calls

    /// A path and a format the path's device offers: S16_LE everywhere, S24_3LE (3-byte samples,
    /// a frame size that is no power of two) on the explicit-sync device.
    struct Case: CustomTestStringConvertible, Sendable {
        var path: Path
        var format: SampleFormat
        var testDescription: String { "\(path.rawValue) \(format)" }

        static let all: [Case] = Path.allCases.map { Case(path: $0, format: .s16LE) }
            + [Path.readWriteExplicitSync, .mmapExplicitSync].map { Case(path: $0, format: .s24_3LE) }
    }

    static let periods = 40

    static func request(_ format: SampleFormat, _ path: Path) -> StreamRequest {
        StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(40), formats: [format], preferMmap: path.mmap)
    }

    /// `byteCount` bytes of a non-repeating pattern: every byte of every sample matters, so a byte
    /// dropped, repeated or moved changes what the device plays.
    static func pattern(_ byteCount: Int) -> [UInt8] { (0..<byteCount).map(patternByte) }

    /// The device's account of a playback stream once drained: every byte as written, in order.
    static func expectPlayedExactly(_ bytes: [UInt8], _ kernel: SimulatedKernel, frameBytes: Int, path: Path,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        let device = kernel.playbackObservation()
        let played = kernel.playedBytes()
        #expect(device.frames == bytes.count / frameBytes, "\(device)", sourceLocation: sourceLocation)
        #expect(mismatchedFrames(played, bytes, frameBytes: frameBytes) == 0, "frames played other than written", sourceLocation: sourceLocation)
        var checksum = StreamChecksum()
        bytes.withUnsafeBytes { checksum.add($0) }
        #expect(device.checksum == checksum.value, sourceLocation: sourceLocation)
        // No xrun; frames of silence the moving device plays past the end of a drain are no loss.
        #expect(device.xruns == 0, "\(device)", sourceLocation: sourceLocation)
        if path.explicitSync {
            #expect(device.staleFrames == 0 && device.lateFrames == 0, "\(device)", sourceLocation: sourceLocation)
        }
    }

    @Test("raw frames written blocking reach the device bit for bit, a wait and a transfer a period", arguments: Case.all)
    func blockingWrite(_ raw: Case) async throws {
        try await onOwnThread {
            let kernel = PeriodEngineTests.movingKernel(raw.path)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(raw.format, raw.path), kernel: kernel)
            #expect(stream.configuration.format == raw.format)
            #expect(stream.configuration.setup.access == (raw.path.mmap ? .mmapInterleaved : .readWriteInterleaved))
            let period = stream.configuration.periodSize
            let frameBytes = stream.configuration.setup.frameBytes
            let bytes = Self.pattern(Self.periods * period * frameBytes)
            kernel.recordPlayback()
            kernel.clearTrace()
            try bytes.withUnsafeBytes { try stream.writeBlocking(rawFrames: $0) }
            PeriodEngineTests.expectWaitsLikeTheKernel(Calls(kernel.trace), stream.statistics, frames: Self.periods * period, period: period,
                                                       path: raw.path, converted: 0)
            #expect(try stream.drainBlocking())
            Self.expectPlayedExactly(bytes, kernel, frameBytes: frameBytes, path: raw.path)
            #expect(stream.xrunCount == 0)
        }
    }

    /// Writes of a size that is no whole number of periods, one after the other: each write's
    /// frames land after the last one's, wherever the ring buffer wraps.
    @Test("raw frames written async in odd sizes reach the device bit for bit", arguments: Case.all)
    func asyncWrite(_ raw: Case) async throws {
        let kernel = PeriodEngineTests.movingKernel(raw.path)
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(raw.format, raw.path), kernel: kernel)
        let frameBytes = stream.configuration.setup.frameBytes
        let frames = 10 * stream.configuration.periodSize + 123
        let bytes = Self.pattern(frames * frameBytes)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        kernel.recordPlayback()
        var written = 0
        for size in [1, 700, 333, 2_000, 1_111] + Array(repeating: 999, count: 20) where written < frames {
            let end = min(written + size, frames)
            try await stream.write(rawFrames: UnsafeRawBufferPointer(rebasing: copy[written * frameBytes..<end * frameBytes]))
            written = end
        }
        #expect(written == frames)
        #expect(try await stream.drain())
        #expect(stream.statistics.frames == frames && stream.statistics.convertedFrames == 0, "\(stream.statistics)")
        Self.expectPlayedExactly(bytes, kernel, frameBytes: frameBytes, path: raw.path)
    }

    /// Compares what a raw capture read with the device's signal, which it produces byte by byte
    /// whatever the format: the bytes a read hands out are the device's own.
    static func expectCapturedExactly(_ captured: [UInt8], _ kernel: SimulatedKernel, frameBytes: Int, path: Path,
                                      sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = expectedCapture(startFrame: 0, frames: captured.count / frameBytes, frameBytes: frameBytes)
        #expect(mismatchedFrames(captured, expected, frameBytes: frameBytes) == 0, "frames read other than captured",
                sourceLocation: sourceLocation)
        let device = kernel.captureObservation()
        #expect(device.xruns == 0, "\(device)", sourceLocation: sourceLocation)
        if path.explicitSync { #expect(device.poisonedFrames == 0, "\(device)", sourceLocation: sourceLocation) }
    }

    @Test("raw frames read blocking are the device's bytes, a wait and a transfer a period", arguments: Case.all)
    func blockingRead(_ raw: Case) async throws {
        try await onOwnThread {
            let kernel = PeriodEngineTests.movingKernel(raw.path)
            let stream = try CaptureStream(device: "hw:0,0", request: Self.request(raw.format, raw.path), kernel: kernel)
            #expect(stream.configuration.format == raw.format)
            let period = stream.configuration.periodSize
            let frameBytes = stream.configuration.setup.frameBytes
            var captured = [UInt8](repeating: 0, count: Self.periods * period * frameBytes)
            kernel.clearTrace()
            try captured.withUnsafeMutableBytes { try stream.readBlocking(rawFramesInto: $0) }
            PeriodEngineTests.expectWaitsLikeTheKernel(Calls(kernel.trace), stream.statistics, frames: Self.periods * period, period: period,
                                                       path: raw.path, converted: 0)
            Self.expectCapturedExactly(captured, kernel, frameBytes: frameBytes, path: raw.path)
            #expect(stream.xrunCount == 0)
        }
    }

    @Test("raw frames read async in odd sizes are the device's bytes, in order", arguments: Case.all)
    func asyncRead(_ raw: Case) async throws {
        let kernel = PeriodEngineTests.movingKernel(raw.path)
        let stream = try CaptureStream(device: "hw:0,0", request: Self.request(raw.format, raw.path), kernel: kernel)
        let frameBytes = stream.configuration.setup.frameBytes
        let frames = 10 * stream.configuration.periodSize + 123
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frames * frameBytes, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var read = 0
        for size in [1, 700, 333, 2_000, 1_111] + Array(repeating: 999, count: 20) where read < frames {
            let end = min(read + size, frames)
            try await stream.read(rawFramesInto: UnsafeMutableRawBufferPointer(rebasing: buffer[read * frameBytes..<end * frameBytes]))
            read = end
        }
        #expect(read == frames)
        #expect(stream.statistics.frames == frames && stream.statistics.convertedFrames == 0, "\(stream.statistics)")
        Self.expectCapturedExactly(Array(buffer), kernel, frameBytes: frameBytes, path: raw.path)
    }

    /// The raw path and the `Float` path give the device the same bytes for the same audio: raw
    /// frames are exactly what the `Float` write converts to.
    @Test("a raw write and a Float write of the same audio play the same bytes")
    func sameAsFloat() throws {
        let samples = StreamTests.signal(frames: 4_800)
        let encoded = try InterleavedAudioBuffer(channelCount: 2, samples: samples).encoded(as: .s24_3LE)
        var checksums: [UInt64] = []
        for raw in [false, true] {
            let kernel = makeKernel(.explicitSync)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(.s24_3LE, .readWriteExplicitSync), kernel: kernel)
            if raw {
                try encoded.withUnsafeBytes { try stream.writeBlocking(rawFrames: $0) }
            } else {
                try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            }
            #expect(try stream.drainBlocking())
            #expect(stream.statistics.convertedFrames == (raw ? 0 : 4_800), "\(stream.statistics)")
            checksums.append(kernel.playbackObservation().checksum)
        }
        #expect(checksums[0] == checksums[1])
    }

    // MARK: refusals

    @Test("a byte count that is no whole number of frames is refused before anything moves")
    func partialFrame() async throws {
        let kernel = makeKernel(.explicitSync)
        let playback = try PlaybackStream(device: "hw:0,0", request: Self.request(.s24_3LE, .mmapExplicitSync), kernel: kernel)
        #expect(playback.configuration.setup.frameBytes == 6)
        let bytes = Self.pattern(6 * 480 + 3)
        let refused = #expect(throws: AlsaError.self) { try bytes.withUnsafeBytes { try playback.writeBlocking(rawFrames: $0) } }
        #expect(refused?.kind == .invalidArgument)
        #expect(refused?.context == "2883 bytes are not a whole number of 6-byte S24_3LE frames of 2 channels", "\(String(describing: refused))")
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        await #expect(throws: AlsaError.self) { try await playback.write(rawFrames: UnsafeRawBufferPointer(copy)) }
        #expect(playback.statistics.frames == 0 && playback.statistics.transfers == 0)
        #expect(try playback.delay() == 0, "nothing queued")

        let capture = try CaptureStream(device: "hw:0,0", request: Self.request(.s24_3LE, .mmapExplicitSync), kernel: kernel)
        let short = #expect(throws: AlsaError.self) { try capture.readBlocking(rawFramesInto: UnsafeMutableRawBufferPointer(rebasing: copy[0..<5])) }
        #expect(short?.kind == .invalidArgument)
        await #expect(throws: AlsaError.self) { try await capture.read(rawFramesInto: copy) }
        #expect(capture.statistics.frames == 0 && capture.statistics.transfers == 0)
        #expect(try capture.status().state == .prepared, "not started by a refused read")
        // The same streams take whole frames afterwards.
        try bytes.withUnsafeBytes { try playback.writeBlocking(rawFrames: UnsafeRawBufferPointer(rebasing: $0[0..<6 * 480])) }
        #expect(playback.statistics.frames == 480)
    }

    /// A resampling stream's app side runs at the app's rate: device frames written there would
    /// play at the wrong speed, so the raw path says so instead.
    @Test("a stream that resamples refuses raw frames, saying why")
    func resamplingRefused() async throws {
        let kernel = makeKernel(ResamplingStreamTests.fixedRate(.explicitSync))
        let request = StreamRequest(sampleRate: 44_100, channelCount: 2, formats: [.s16LE], resampling: .standard)
        let playback = try PlaybackStream(device: "hw:0,0", request: request, kernel: kernel)
        #expect(playback.configuration.resampling != nil)
        let bytes = Self.pattern(4 * 480)
        let refused = #expect(throws: AlsaError.self) { try bytes.withUnsafeBytes { try playback.writeBlocking(rawFrames: $0) } }
        #expect(refused?.kind == .invalidArgument)
        let context = refused?.context ?? ""
        #expect(context.contains("resamples 44100 Hz") && context.contains("48000 Hz") && context.contains("write Float samples"), "\(context)")
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        await #expect(throws: AlsaError.self) { try await playback.write(rawFrames: UnsafeRawBufferPointer(copy)) }
        #expect(playback.statistics.frames == 0 && kernel.playbackObservation().frames == 0)

        let capture = try CaptureStream(device: "hw:0,0", request: request, kernel: kernel)
        let read = #expect(throws: AlsaError.self) { try capture.readBlocking(rawFramesInto: copy) }
        #expect(read?.kind == .invalidArgument && read?.context?.contains("read Float samples") == true, "\(String(describing: read))")
        await #expect(throws: AlsaError.self) { try await capture.read(rawFramesInto: copy) }
        #expect(capture.statistics.frames == 0)
    }

    @Test("a paused stream refuses raw frames as it refuses Float samples; resumed or stopped, it takes them again")
    func pausedAndStopped() async throws {
        let kernel = makeKernel(.explicitSync)
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(.s16LE, .mmapExplicitSync), kernel: kernel)
        kernel.recordPlayback()
        let bytes = Self.pattern(4 * 4_800)
        try bytes.withUnsafeBytes { try stream.writeBlocking(rawFrames: $0) }
        #expect(try stream.pause() == .hardware)
        let refused = #expect(throws: AlsaError.self) { try bytes.withUnsafeBytes { try stream.writeBlocking(rawFrames: $0) } }
        #expect(refused?.kind == .badState)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        let refusedAsync = await #expect(throws: AlsaError.self) { try await stream.write(rawFrames: UnsafeRawBufferPointer(copy)) }
        #expect(refusedAsync?.kind == .badState)
        try stream.resume()
        try bytes.withUnsafeBytes { try stream.writeBlocking(rawFrames: $0) }
        #expect(try await stream.drain())
        Self.expectPlayedExactly(bytes + bytes, kernel, frameBytes: 4, path: .mmapExplicitSync)

        let capture = try CaptureStream(device: "hw:0,0", request: Self.request(.s16LE, .mmapExplicitSync), kernel: kernel)
        try capture.readBlocking(rawFramesInto: copy)
        #expect(try capture.pause() == .hardware)
        let paused = #expect(throws: AlsaError.self) { try capture.readBlocking(rawFramesInto: copy) }
        #expect(paused?.kind == .badState)
        try capture.resume()
        try capture.stop()
        try capture.readBlocking(rawFramesInto: copy)
        #expect(capture.statistics.frames == 2 * 4_800 && capture.xrunCount == 0)
    }

    /// Streams negotiate interleaved access only, so the raw path's frames, interleaved in the
    /// app's buffer, never meet a non-interleaved device side: a device without interleaved access
    /// is refused when the stream opens.
    @Test("a device without interleaved access is refused when the stream opens")
    func nonInterleavedDevice() throws {
        var hardware = SimulatedHardware.explicitSync
        hardware.info = ALSA_INFO_MMAP | ALSA_INFO_MMAP_VALID | ALSA_INFO_NONINTERLEAVED | ALSA_INFO_EXPLICIT_SYNC
        hardware.accessMask = 1 << 1 | 1 << 4  // MMAP_NONINTERLEAVED, RW_NONINTERLEAVED
        for direction in [StreamDirection.playback, .capture] {
            let refused = #expect(throws: AlsaError.self) {
                if direction == .playback {
                    _ = try PlaybackStream(device: "hw:0,0", request: Self.request(.s16LE, .readWrite), kernel: makeKernel(hardware))
                } else {
                    _ = try CaptureStream(device: "hw:0,0", request: Self.request(.s16LE, .readWrite), kernel: makeKernel(hardware))
                }
            }
            #expect(refused?.context?.contains("offers no interleaved access") == true, "\(direction): \(String(describing: refused))")
        }
    }

    /// Timer scheduling runs the same engine with another wake policy: raw frames go through it
    /// unchanged.
    @Test("a timer-scheduled stream plays raw frames bit for bit", arguments: [Path.readWrite, .mmapExplicitSync])
    func timerScheduled(path: Path) async throws {
        try await onOwnThread {
            let kernel = TimerSchedulingTests.kernel(path)
            let stream = try PlaybackStream(device: "hw:0,0", request: TimerSchedulingTests.request(path, rate: 48_000, latency: .milliseconds(10)),
                                            kernel: kernel)
            #expect(stream.configuration.timer != nil)
            let bytes = Self.pattern(4 * 48_000)
            kernel.recordPlayback()
            try bytes.withUnsafeBytes { try stream.writeBlocking(rawFrames: $0) }
            #expect(try stream.delay() <= 480)
            #expect(try stream.drainBlocking())
            Self.expectPlayedExactly(bytes, kernel, frameBytes: 4, path: path)
            #expect(stream.statistics.convertedFrames == 0 && stream.xrunCount == 0)
        }
    }
}
