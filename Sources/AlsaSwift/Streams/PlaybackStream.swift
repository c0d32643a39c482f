/// The simple way to play sound: open a device by name, write `Float` samples, drain.
///
/// ```swift
/// let stream = try PlaybackStream(device: "default", request: StreamRequest(sampleRate: 48_000, channelCount: 2))
/// try await stream.write(samples)     // interleaved Float; suspends the task until queued
/// try stream.writeBlocking(samples)   // the same, blocking the calling thread
/// _ = try await stream.drain(timeout: .seconds(2))
/// ```
///
/// The format is negotiated with fallbacks (`StreamRequest.formats`) and converted from `Float`
/// as it moves. An app whose samples are already in the device's format (16-bit PCM from a WAV
/// file or a codec, say) writes them as raw frames instead, copied as they are:
/// `writeBlocking(rawFrames:)` and `write(rawFrames:)`. A write sleeps until the device has a period of room (its `avail_min`), then
/// queues whole periods, so it wakes once a period however it is called. Xruns are recovered and
/// counted (`RecoveryPolicy` gives the rule). Not `Sendable`: one task or thread uses a stream at a
/// time. For a callback on a real-time thread, use `RenderThread`.
public final class PlaybackStream {
    let core: PeriodEngine

    /// What the device granted.
    public var configuration: StreamConfiguration { core.configuration }
    /// Xruns (underruns) met and recovered so far.
    public var xrunCount: Int { core.pcm.xrunCount }
    /// What the stream did so far: frames, transfers, waits and conversions.
    public var statistics: TransferStatistics { core.statistics }
    /// The executor of the thread that waits for this stream's device (shared by the streams of
    /// one kernel). A task that prefers it, `Task(executorPreference: stream.taskExecutor)`, is
    /// resumed after each `await write` without a hop and without a heap allocation, and runs on
    /// that thread: between awaits it must not block, or every stream's waits stall. On the global
    /// executor, each resume costs libdispatch a heap allocation (see BENCHMARKS.md).
    public var taskExecutor: any TaskExecutor { core.reactor!.reactor }

    /// Opens `device` (any ALSA name; `hw:` names use the direct kernel transport unless
    /// `transport` says otherwise) and negotiates `request`.
    public convenience init(device: String = "default", request: StreamRequest = StreamRequest(),
                            transport: PCMDevice.TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        try self.init(pcm: try StreamNegotiation.open(device, .playback, transport: transport, kernel: kernel), request: request)
    }

    /// Takes an opened playback PCM and negotiates `request` on it. Xruns are recovered and counted
    /// whatever the PCM's own recovery policy, as for a stream opened by name.
    public init(pcm: any PCM, request: StreamRequest = StreamRequest()) throws(AlsaError) {
        core = try PeriodEngine(pcm: pcm, configuration: StreamNegotiation.configure(pcm, .playback, request), async: true)
    }

    /// Queues interleaved samples (a whole number of frames), blocking the calling thread until
    /// all are queued. From async code use `write(_:)`, which suspends the task instead.
    public func writeBlocking(_ samples: UnsafeBufferPointer<Float>) throws(AlsaError) {
        try writeBlocking(.interleaved(samples), frames: core.frames(inSamples: samples.count))
    }

    /// Queues interleaved samples, suspending the task (no thread waits) until all are queued.
    /// Cancelling the task ends the write with ECANCELED (kind `.cancelled`); frames queued
    /// before stay queued.
    nonisolated(nonsending) public func write(_ samples: UnsafeBufferPointer<Float>) async throws(AlsaError) {
        try await write(.interleaved(samples), frames: core.frames(inSamples: samples.count))
    }

    /// Queues a typed buffer, blocking the calling thread; refused unless it has the stream's
    /// channel count.
    public func writeBlocking(_ buffer: InterleavedAudioBuffer) throws(AlsaError) {
        try core.checkChannels(buffer.channelCount)
        try writeBlocking(.buffer(buffer), frames: buffer.frameCount)
    }

    /// Queues a typed buffer, suspending the task; refused unless it has the stream's channel count.
    nonisolated(nonsending) public func write(_ buffer: InterleavedAudioBuffer) async throws(AlsaError) {
        try core.checkChannels(buffer.channelCount)
        try await write(.buffer(buffer), frames: buffer.frameCount)
    }

    /// Queues one array per channel, blocking the calling thread; refused unless it has the
    /// stream's channel count. Each channel is converted straight into its place in the device's
    /// frames: no interleaved copy is made.
    public func writeBlocking(_ buffer: NonInterleavedAudioBuffer) throws(AlsaError) {
        try core.checkChannels(buffer.channelCount)
        try writeBlocking(.channels(buffer), frames: buffer.frameCount)
    }

    /// Queues one array per channel, suspending the task; refused unless it has the stream's
    /// channel count.
    nonisolated(nonsending) public func write(_ buffer: NonInterleavedAudioBuffer) async throws(AlsaError) {
        try core.checkChannels(buffer.channelCount)
        try await write(.channels(buffer), frames: buffer.frameCount)
    }

    /// Queues raw interleaved frames in the stream's own format (`configuration.format`,
    /// `configuration.channelCount` samples a frame), blocking the calling thread until all are
    /// queued. They are copied to the device as they are: no conversion, no quantisation, and none
    /// counted in `statistics.convertedFrames`. Ask for the format your samples have
    /// (`StreamRequest(formats: [.s16LE])`) and check `configuration.format` before writing.
    /// Waits, recovery and statistics are the `Float` writes'. Refused (kind `.invalidArgument`)
    /// before anything is queued when `frames` is not a whole number of frames, or when the stream
    /// resamples (`configuration.resampling`: its writes are at the app's rate, not the device's);
    /// refused while paused (kind `.badState`). From async code use `write(rawFrames:)`.
    public func writeBlocking(rawFrames frames: UnsafeRawBufferPointer) throws(AlsaError) {
        try core.transferBlocking(frames: try core.rawFrameCount(inBytes: frames.count), handling: .copied) { (chunk, range) throws(AlsaError) in
            core.copyRaw(frames, range, into: chunk)
        }
    }

    /// Queues raw interleaved frames in the stream's own format, suspending the task (no thread
    /// waits) until all are queued; see `writeBlocking(rawFrames:)`. `frames` must stay valid until
    /// the write returns. Cancelling the task ends the write with ECANCELED (kind `.cancelled`);
    /// frames queued before stay queued.
    nonisolated(nonsending) public func write(rawFrames frames: UnsafeRawBufferPointer) async throws(AlsaError) {
        try await core.transfer(frames: try core.rawFrameCount(inBytes: frames.count), handling: .copied) { (chunk, range) throws(AlsaError) in
            core.copyRaw(frames, range, into: chunk)
        }
    }

    /// Plays out what is queued, suspending the task, for at most `timeout`; then drops the rest.
    /// True when it all played. Cancelling the task drops the rest at once and throws ECANCELED
    /// (kind `.cancelled`). The stream can be written again afterwards.
    @discardableResult
    nonisolated(nonsending) public func drain(timeout: Duration = .seconds(5)) async throws(AlsaError) -> Bool {
        try await core.drain(timeout: timeout)
    }

    /// Plays out what is queued, blocking the calling thread, for at most `timeout`; then drops the
    /// rest. True when it all played. From async code use `drain(timeout:)`, which suspends instead.
    @available(*, noasync, message: "blocks the thread; use await drain(timeout:)")
    @discardableResult
    public func drainBlocking(timeout: Duration = .seconds(5)) throws(AlsaError) -> Bool {
        try core.drainBlocking(timeout: timeout)
    }

    /// Stops at once, discarding what is queued; the stream can be written again.
    public func stop() throws(AlsaError) {
        try core.stop()
    }

    /// Frames written and not yet played (the current output latency), in the stream's frames: at
    /// `configuration.sampleRate`, with what a resampling stream holds in its converter. An xrun
    /// met here is recovered (the device's part is then 0).
    public func delay() throws(AlsaError) -> Int { try core.delay() }

    /// Releases the device now rather than at deinit.
    public func close() throws(AlsaError) { try core.pcm.close() }

    /// The app's samples for one write: interleaved (a pointer or a typed buffer) or one array per
    /// channel. Holding the typed buffers (not pointers into them) lets an async write keep them
    /// across suspensions without copying.
    private enum Source {
        case interleaved(UnsafeBufferPointer<Float>)
        case buffer(InterleavedAudioBuffer)
        case channels(NonInterleavedAudioBuffer)
    }

    private func writeBlocking(_ source: Source, frames total: Int) throws(AlsaError) {
        try core.transferBlocking(frames: total) { (bytes, range) throws(AlsaError) in try encode(source, frames: range, into: bytes) }
    }

    nonisolated(nonsending) private func write(_ source: Source, frames total: Int) async throws(AlsaError) {
        try await core.transfer(frames: total) { (bytes, range) throws(AlsaError) in try encode(source, frames: range, into: bytes) }
    }

    /// Converts `range` of the source into interleaved device frames.
    private func encode(_ source: Source, frames range: Range<Int>, into bytes: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        let format = core.appFormat
        let channels = core.channelCount
        switch source {
        case .interleaved(let samples):
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: samples[range.lowerBound * channels..<range.upperBound * channels]),
                                        as: format, into: bytes)
        case .buffer(let buffer):
            try buffer.samples.withUnsafeBufferPointer { (samples) throws(AlsaError) in
                try SampleConversion.encode(UnsafeBufferPointer(rebasing: samples[range.lowerBound * channels..<range.upperBound * channels]),
                                            as: format, into: bytes)
            }
        case .channels(let buffer):
            guard let base = bytes.baseAddress, !range.isEmpty else { return }
            let sampleBytes = core.appFrameBytes / channels
            for channel in 0..<channels {
                try buffer.encode(channel: channel, frames: range, as: format, to: base + channel * sampleBytes, strideBytes: core.appFrameBytes)
            }
        }
    }
}
