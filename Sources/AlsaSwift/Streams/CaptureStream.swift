/// The simple way to record: open a device by name and read `Float` samples, blocking, `async`,
/// or as an `AsyncSequence` of buffers. A read sleeps until the device has captured a period (its
/// `avail_min`), then takes whole periods, so it wakes once a period however it is called.
///
/// ```swift
/// let stream = try CaptureStream(device: "default", request: StreamRequest(sampleRate: 48_000, channelCount: 1))
/// for try await buffer in stream.buffers(frames: 4800) { meter(buffer) }
/// ```
///
/// Samples are converted to `Float` from the device's format (`configuration.format`); an app that
/// wants the device's own bytes (16-bit PCM for a WAV file or an encoder, say) reads raw frames
/// instead, copied as they are: `readBlocking(rawFramesInto:)` and `read(rawFramesInto:)`.
///
/// Not `Sendable`: one task or thread uses a stream at a time.
public final class CaptureStream {
    let core: PeriodEngine

    /// What the device granted.
    public var configuration: StreamConfiguration { core.configuration }
    /// Xruns (overruns) met and recovered so far: frames were lost at each.
    public var xrunCount: Int { core.pcm.xrunCount }
    /// What the stream did so far: frames, transfers, waits and conversions.
    public var statistics: TransferStatistics { core.statistics }
    /// The executor of the thread that waits for this stream's device; see
    /// `PlaybackStream.taskExecutor`: a task that prefers it reads without a heap allocation.
    public var taskExecutor: any TaskExecutor { core.reactor!.reactor }

    /// Opens `device` (any ALSA name; `hw:` names use the direct kernel transport unless `transport` says
    /// otherwise) and negotiates `request`.
    public convenience init(device: String = "default", request: StreamRequest = StreamRequest(),
                            transport: PCMDevice.TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        try self.init(pcm: try StreamNegotiation.open(device, .capture, transport: transport, kernel: kernel), request: request)
    }

    /// Takes an opened capture PCM and negotiates `request` on it. Xruns are recovered and counted whatever
    /// the PCM's own recovery policy.
    public init(pcm: any PCM, request: StreamRequest = StreamRequest()) throws(AlsaError) {
        core = try PeriodEngine(pcm: pcm, configuration: StreamNegotiation.configure(pcm, .capture, request), async: true)
    }

    /// Fills `samples` (a whole number of frames) with captured interleaved samples, blocking the
    /// calling thread until it is full. Starts the stream on first use. From async code use
    /// `read(into:)`, which suspends the task instead.
    public func readBlocking(into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let total = try core.frames(inSamples: samples.count)
        try readBlocking(frames: total) { (bytes, range) throws(AlsaError) in try decode(bytes, into: samples, frames: range) }
    }

    /// Fills `samples` (a whole number of frames) with captured interleaved samples, suspending
    /// the task (no thread waits) until it is full. Cancellation throws ECANCELED (kind
    /// `.cancelled`); the frames read so far are in `samples`.
    nonisolated(nonsending) public func read(into samples: UnsafeMutableBufferPointer<Float>) async throws(AlsaError) {
        let total = try core.frames(inSamples: samples.count)
        try await read(frames: total) { (bytes, range) throws(AlsaError) in try decode(bytes, into: samples, frames: range) }
    }

    /// Fills `frames` with captured raw interleaved frames in the stream's own format
    /// (`configuration.format`, `configuration.channelCount` samples a frame): the device's bytes,
    /// copied as they are (no conversion, none counted in `statistics.convertedFrames`). Blocks the
    /// calling thread until it is full; starts the stream on first use. Waits, recovery and
    /// statistics are the `Float` reads'. Refused (kind `.invalidArgument`) before anything is read
    /// when its size is not a whole number of frames, or when the stream resamples
    /// (`configuration.resampling`: its reads are at the app's rate, not the device's); refused
    /// while paused (kind `.badState`). From async code use `read(rawFramesInto:)`.
    public func readBlocking(rawFramesInto frames: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        try core.transferBlocking(frames: try core.rawFrameCount(inBytes: frames.count), handling: .copied) { (chunk, range) throws(AlsaError) in
            core.copyRaw(UnsafeRawBufferPointer(chunk), into: frames, range)
        }
    }

    /// Fills `frames` with captured raw frames in the stream's own format, suspending the task
    /// (no thread waits) until it is full; see `readBlocking(rawFramesInto:)`. Cancellation throws
    /// ECANCELED (kind `.cancelled`); the frames read so far are in the buffer.
    nonisolated(nonsending) public func read(rawFramesInto frames: UnsafeMutableRawBufferPointer) async throws(AlsaError) {
        try await core.transfer(frames: try core.rawFrameCount(inBytes: frames.count), handling: .copied) { (chunk, range) throws(AlsaError) in
            core.copyRaw(UnsafeRawBufferPointer(chunk), into: frames, range)
        }
    }

    /// Reads `frames` frames into a new buffer, suspending the task while waiting.
    nonisolated(nonsending) public func read(frames: Int) async throws(AlsaError) -> InterleavedAudioBuffer {
        let storage = try allocateSamples(frames: frames)
        defer { storage.deallocate() }
        try await read(into: storage)
        return try InterleavedAudioBuffer(channelCount: core.channelCount, samples: Array(storage))
    }

    /// Reads `frames` frames into a new buffer, blocking the calling thread while waiting.
    public func readBlocking(frames: Int) throws(AlsaError) -> InterleavedAudioBuffer {
        let storage = try allocateSamples(frames: frames)
        defer { storage.deallocate() }
        try readBlocking(into: storage)
        return try InterleavedAudioBuffer(channelCount: core.channelCount, samples: Array(storage))
    }

    /// Reads `frames` frames as one array per channel, suspending the task while waiting. Each
    /// channel is converted straight from its place in the device's frames: no interleaved copy.
    nonisolated(nonsending) public func readNonInterleaved(frames: Int) async throws(AlsaError) -> NonInterleavedAudioBuffer {
        var result = try emptyChannels(frames: frames)
        try await read(frames: frames) { (bytes, range) throws(AlsaError) in try decode(bytes, into: &result, frames: range) }
        return result
    }

    /// Reads `frames` frames as one array per channel, blocking the calling thread.
    public func readNonInterleavedBlocking(frames: Int) throws(AlsaError) -> NonInterleavedAudioBuffer {
        var result = try emptyChannels(frames: frames)
        try readBlocking(frames: frames) { (bytes, range) throws(AlsaError) in try decode(bytes, into: &result, frames: range) }
        return result
    }

    /// Captured audio as an endless sequence of buffers of `frames` frames each. Ends when the task
    /// is cancelled; throws when the device fails (a vanished device, a stream in the wrong state).
    public func buffers(frames: Int) -> CapturedBuffers { CapturedBuffers(stream: self, frames: frames) }

    /// Frames captured and not yet read (the current input latency), in the stream's frames: at
    /// `configuration.sampleRate`, with what a resampling stream holds in its converter. An xrun
    /// met here is recovered (the device's part is then 0).
    public func delay() throws(AlsaError) -> Int { try core.delay() }

    /// Stops capturing; the next read starts again.
    public func stop() throws(AlsaError) {
        try core.stop()
    }

    /// Releases the device now rather than at deinit.
    public func close() throws(AlsaError) { try core.pcm.close() }

    /// Where captured frames go: `deliver(bytes, range)` converts interleaved device frames into
    /// frames `range` of the caller's destination.
    private typealias Delivery = (UnsafeRawBufferPointer, Range<Int>) throws(AlsaError) -> Void

    private func readBlocking(frames total: Int, _ deliver: Delivery) throws(AlsaError) {
        try core.transferBlocking(frames: total) { (bytes, range) throws(AlsaError) in try deliver(UnsafeRawBufferPointer(bytes), range) }
    }

    nonisolated(nonsending) private func read(frames total: Int, _ deliver: Delivery) async throws(AlsaError) {
        try await core.transfer(frames: total) { (bytes, range) throws(AlsaError) in try deliver(UnsafeRawBufferPointer(bytes), range) }
    }

    private func decode(_ bytes: UnsafeRawBufferPointer, into samples: UnsafeMutableBufferPointer<Float>, frames range: Range<Int>) throws(AlsaError) {
        let channels = core.channelCount
        try SampleConversion.decode(bytes, as: core.appFormat,
                                    into: UnsafeMutableBufferPointer(rebasing: samples[range.lowerBound * channels..<range.upperBound * channels]))
    }

    private func decode(_ bytes: UnsafeRawBufferPointer, into buffer: inout NonInterleavedAudioBuffer, frames range: Range<Int>) throws(AlsaError) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let sampleBytes = core.appFrameBytes / core.channelCount
        for channel in 0..<core.channelCount {
            try buffer.decode(channel: channel, frames: range, as: core.appFormat, from: base + channel * sampleBytes,
                              strideBytes: core.appFrameBytes)
        }
    }

    /// Zeroed storage for `frames` interleaved frames; the caller's count is refused, not trapped
    /// on, when negative or too large to multiply.
    private func allocateSamples(frames: Int) throws(AlsaError) -> UnsafeMutableBufferPointer<Float> {
        let (samples, overflow) = frames.multipliedReportingOverflow(by: core.channelCount)
        guard frames >= 0, !overflow else {
            throw AlsaError(.transfer, .invalidArgument, context: "cannot read \(frames) frames of \(core.channelCount) channels")
        }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples)
        storage.initialize(repeating: 0)
        return storage
    }

    private func emptyChannels(frames: Int) throws(AlsaError) -> NonInterleavedAudioBuffer {
        guard frames >= 0, frames <= Int.max / max(core.channelCount, 1) else {
            throw AlsaError(.transfer, .invalidArgument, context: "cannot read \(frames) frames of \(core.channelCount) channels")
        }
        return try NonInterleavedAudioBuffer(channelCount: core.channelCount, frameCount: frames)
    }
}

/// An `AsyncSequence` of captured buffers, built on the PCM's poll descriptors.
public struct CapturedBuffers: AsyncSequence {
    public typealias Element = InterleavedAudioBuffer
    public typealias Failure = AlsaError
    let stream: CaptureStream
    let frames: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AlsaError
        let stream: CaptureStream
        let frames: Int

        /// nil once the task is cancelled. Runs in the caller's isolation: the stream never
        /// leaves it.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AlsaError) -> InterleavedAudioBuffer? {
            if Task.isCancelled { return nil }
            do {
                return try await stream.read(frames: frames)
            } catch {
                if error.errno == .canceled { return nil }
                throw error
            }
        }

        nonisolated(nonsending) public mutating func next() async throws(AlsaError) -> InterleavedAudioBuffer? {
            try await next(isolation: nil)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: stream, frames: frames) }
}
