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
        try core.checkNotPaused()
        let total = try core.frames(inSamples: samples.count)
        var done = 0
        while done < total {
            let moved = try core.recovering { () throws(AlsaError) in try transfer(samples, from: done) }
            if moved == 0 { try core.waitBlocking() }
            done += moved
        }
    }

    /// Queues interleaved samples, suspending the task (no thread waits) until all are queued.
    /// Cancelling the task ends the write with ECANCELED (kind `.cancelled`); frames queued
    /// before stay queued.
    nonisolated(nonsending) public func write(_ samples: UnsafeBufferPointer<Float>) async throws(AlsaError) {
        try core.checkNotPaused()
        let total = try core.frames(inSamples: samples.count)
        var done = 0
        while done < total {
            if Task.isCancelled { throw AlsaError(.poll, .canceled) }
            let moved = try core.recovering { () throws(AlsaError) in try transfer(samples, from: done) }
            if moved == 0 { try await core.waitSuspending() }
            done += moved
        }
    }

    /// Queues a typed buffer, blocking the calling thread; refused unless it has the stream's
    /// channel count.
    public func writeBlocking(_ buffer: InterleavedAudioBuffer) throws(AlsaError) {
        try core.checkChannels(buffer.channels)
        try buffer.samples.withUnsafeBufferPointer { (samples) throws(AlsaError) in try writeBlocking(samples) }
    }

    /// Queues a typed buffer, suspending the task; refused unless it has the stream's channel count.
    nonisolated(nonsending) public func write(_ buffer: InterleavedAudioBuffer) async throws(AlsaError) {
        try core.checkChannels(buffer.channels)
        let samples = buffer.samples
        let count = samples.count
        let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { copy.deallocate() }
        _ = copy.initialize(from: samples)
        try await write(UnsafeBufferPointer(copy))
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

    /// Moves as many frames as the device takes now (at most a period); 0 when it is full.
    private func transfer(_ samples: UnsafeBufferPointer<Float>, from frame: Int) throws(AlsaError) -> Int {
        let pcm = core.pcm
        let remaining = samples.count / core.channels - frame
        var moved = 0
        if configuration.setup.access.isMmap {
            let area = try pcm.beginTransfer(maxFrames: min(remaining, core.periodFrames))
            if area.frames > 0 {
                try SampleConversion.encode(UnsafeBufferPointer(rebasing: samples[frame * core.channels..<(frame + area.frames) * core.channels]),
                                            as: configuration.format, into: area.interleaved)
            }
            try pcm.commitTransfer(area.frames)
            moved = area.frames
        } else {
            let frames = min(remaining, core.periodFrames)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: core.scratch[0..<frames * core.frameBytes])
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: samples[frame * core.channels..<(frame + frames) * core.channels]),
                                        as: configuration.format, into: bytes)
            do {
                moved = try pcm.writeInterleaved(UnsafeRawBufferPointer(bytes))
            } catch {
                guard error.kind == .wouldBlock else { throw error }
            }
        }
        return moved
    }
}
