/// The simple way to play sound: open a device by name, write `Float` samples, drain.
///
/// ```swift
/// let stream = try PlaybackStream(device: "default", request: StreamRequest(rate: 48_000, channels: 2))
/// try await stream.write(samples)     // interleaved Float; suspends the task until queued
/// try stream.writeBlocking(samples)   // the same, blocking the calling thread
/// try stream.drain(timeout: .seconds(2))
/// ```
///
/// The format is negotiated with fallbacks (`StreamRequest.formats`) and converted from `Float`
/// in one period of scratch allocated at open; xruns are recovered and counted. Not `Sendable`:
/// one task or thread uses a stream at a time. For a callback on a real-time thread, hand the
/// configured PCM to `RenderThread`.
public final class PlaybackStream {
    let core: StreamCore

    /// What the device granted.
    public var configuration: StreamConfiguration { core.configuration }
    /// Xruns (underruns) met and recovered so far.
    public var xrunCount: Int { core.pcm.xrunCount }
    /// The executor of the thread that waits for this stream's device (shared by the streams of
    /// one kernel). A task that prefers it, `Task(executorPreference: stream.taskExecutor)`, is
    /// resumed after each `await write` without a hop and without a heap allocation, and runs on
    /// that thread: between awaits it must not block, or every stream's waits stall. On the global
    /// executor, each resume costs libdispatch a heap allocation (see BENCHMARKS.md).
    public var taskExecutor: any TaskExecutor { core.reactor.reactor }

    /// Opens `device` (any ALSA name; `hw:` names use the direct kernel transport unless
    /// `transport` says otherwise) and negotiates `request`.
    public convenience init(device: String = "default", request: StreamRequest = StreamRequest(),
                            transport: PCMDevice.TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        try self.init(pcm: try StreamCore.open(device, .playback, transport: transport, kernel: kernel), request: request, kernel: kernel)
    }

    /// Takes an opened playback PCM and negotiates `request` on it. Xruns are recovered and counted
    /// whatever the PCM's own recovery policy, as for a stream opened by name.
    public init(pcm: any PCM, request: StreamRequest = StreamRequest(),
                kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        core = try StreamCore(pcm: pcm, direction: .playback, request: request, kernel: kernel)
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
        try core.checkChannels(buffer.channels)
        try writeBlocking(.buffer(buffer), frames: buffer.frames)
    }

    /// Queues a typed buffer, suspending the task; refused unless it has the stream's channel count.
    nonisolated(nonsending) public func write(_ buffer: InterleavedAudioBuffer) async throws(AlsaError) {
        try core.checkChannels(buffer.channels)
        try await write(.buffer(buffer), frames: buffer.frames)
    }

    /// Queues one array per channel, blocking the calling thread; refused unless it has the
    /// stream's channel count. Each channel is converted straight into its place in the device's
    /// frames: no interleaved copy is made.
    public func writeBlocking(_ buffer: NonInterleavedAudioBuffer) throws(AlsaError) {
        try core.checkChannels(buffer.channelCount)
        try writeBlocking(.channels(buffer), frames: buffer.frames)
    }

    /// Queues one array per channel, suspending the task; refused unless it has the stream's
    /// channel count.
    nonisolated(nonsending) public func write(_ buffer: NonInterleavedAudioBuffer) async throws(AlsaError) {
        try core.checkChannels(buffer.channelCount)
        try await write(.channels(buffer), frames: buffer.frames)
    }

    /// Plays out what is queued, for at most `timeout`; then drops the rest. True when it all played.
    @discardableResult
    public func drain(timeout: Duration = .seconds(5)) throws(AlsaError) -> Bool {
        if try core.isPrepared {
            // Fewer frames than the start threshold were queued: start so that they play.
            if try core.pcm.avail() < Int(configuration.bufferSize) { try core.pcm.start() } else { return true }
        }
        let done = try core.pcm.drain(timeoutMilliseconds: timeout.wholeMilliseconds)
        try core.pcm.prepare()
        return done
    }

    /// Stops at once, discarding what is queued; the stream can be written again.
    public func stop() throws(AlsaError) {
        try core.stop()
    }

    /// Frames queued and not yet played (the current output latency).
    public func delay() throws(AlsaError) -> Int { try core.pcm.delay() }

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
        try core.checkNotPaused()
        var done = 0
        while done < total {
            let moved = try core.recovering { () throws(AlsaError) in try transfer(source, from: done, total: total) }
            if moved == 0 { try core.waitBlocking() }
            done += moved
        }
    }

    nonisolated(nonsending) private func write(_ source: Source, frames total: Int) async throws(AlsaError) {
        try core.checkNotPaused()
        var done = 0
        while done < total {
            if Task.isCancelled { throw AlsaError(.poll, .canceled) }
            let moved = try core.recovering { () throws(AlsaError) in try transfer(source, from: done, total: total) }
            if moved == 0 { try await core.waitSuspending() }
            done += moved
        }
    }

    /// Moves as many frames as the device takes now (at most a period); 0 when it is full.
    private func transfer(_ source: Source, from frame: Int, total: Int) throws(AlsaError) -> Int {
        let pcm = core.pcm
        let remaining = total - frame
        if configuration.setup.access.isMmap {
            let area = try pcm.beginTransfer(maxFrames: min(remaining, core.periodFrames))
            if area.frames > 0 { try encode(source, frames: frame..<frame + area.frames, into: area.interleaved) }
            try pcm.commitTransfer(area.frames)
            return area.frames
        }
        let frames = min(remaining, core.periodFrames)
        let bytes = UnsafeMutableRawBufferPointer(rebasing: core.scratch[0..<frames * core.frameBytes])
        try encode(source, frames: frame..<frame + frames, into: bytes)
        do {
            return try pcm.writeInterleaved(UnsafeRawBufferPointer(bytes))
        } catch {
            guard error.kind == .wouldBlock else { throw error }
            return 0
        }
    }

    /// Converts `range` of the source into interleaved device frames.
    private func encode(_ source: Source, frames range: Range<Int>, into bytes: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        let format = configuration.format
        let channels = core.channels
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
            let sampleBytes = core.frameBytes / channels
            for channel in 0..<channels {
                try buffer.encode(channel: channel, frames: range, as: format, to: base + channel * sampleBytes, strideBytes: core.frameBytes)
            }
        }
    }
}
