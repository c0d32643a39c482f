/// The simple way to record: open a device by name and read `Float` samples, blocking, `async`,
/// or as an `AsyncSequence` of buffers.
///
/// ```swift
/// let stream = try CaptureStream(device: "default", request: StreamRequest(rate: 48_000, channels: 1))
/// for try await buffer in stream.buffers(frames: 4800) { meter(buffer) }
/// ```
///
/// Not `Sendable`: one task or thread uses a stream at a time.
public final class CaptureStream {
    let core: StreamCore

    /// What the device granted.
    public var configuration: StreamConfiguration { core.configuration }
    /// Xruns (overruns) met and recovered so far: frames were lost at each.
    public var xrunCount: Int { core.pcm.xrunCount }

    /// Opens `device` (any ALSA name; `hw:` names use the direct kernel transport unless `transport` says
    /// otherwise) and negotiates `request`.
    public convenience init(device: String = "default", request: StreamRequest = StreamRequest(),
                            transport: PCMDevice.TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        try self.init(pcm: try StreamCore.open(device, .capture, transport: transport, kernel: kernel), request: request, kernel: kernel)
    }

    /// Takes an opened capture PCM and negotiates `request` on it. Xruns are recovered and counted whatever
    /// the PCM's own recovery policy.
    public init(pcm: any PCM, request: StreamRequest = StreamRequest(),
                kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        core = try StreamCore(pcm: pcm, direction: .capture, request: request, kernel: kernel)
    }

    /// Fills `samples` (a whole number of frames) with captured interleaved samples, blocking the
    /// calling thread until it is full. Starts the stream on first use. From async code use
    /// `read(into:)`, which suspends the task instead.
    public func readBlocking(into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        try core.checkNotPaused()
        let total = try core.frames(inSamples: samples.count)
        var done = 0
        while done < total {
            let moved = try core.recovering { () throws(AlsaError) in try transfer(into: samples, at: done) }
            if moved == 0 { try core.waitBlocking() }
            done += moved
        }
    }

    /// Fills `samples` (a whole number of frames) with captured interleaved samples, suspending
    /// the task (no thread waits) until it is full. Cancellation throws ECANCELED (kind
    /// `.cancelled`); the frames read so far are in `samples`.
    nonisolated(nonsending) public func read(into samples: UnsafeMutableBufferPointer<Float>) async throws(AlsaError) {
        try core.checkNotPaused()
        let total = try core.frames(inSamples: samples.count)
        var done = 0
        while done < total {
            if Task.isCancelled { throw AlsaError(.poll, .canceled) }
            let moved = try core.recovering { () throws(AlsaError) in try transfer(into: samples, at: done) }
            if moved == 0 { try await core.waitSuspending() }
            done += moved
        }
    }

    /// Reads `frames` frames into a new buffer, suspending the task while waiting.
    nonisolated(nonsending) public func read(frames: Int) async throws(AlsaError) -> InterleavedAudioBuffer {
        // The caller's count: refused, not trapped on, when negative or too large to multiply.
        let (samples, overflow) = frames.multipliedReportingOverflow(by: core.channels)
        guard frames >= 0, !overflow else {
            throw AlsaError(.transfer, .invalidArgument, context: "cannot read \(frames) frames of \(core.channels) channels")
        }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples)
        defer { storage.deallocate() }
        storage.initialize(repeating: 0)
        try await read(into: storage)
        return try InterleavedAudioBuffer(channels: core.channels, samples: Array(storage))
    }

    /// Captured audio as an endless sequence of buffers of `frames` frames each. Ends when the task
    /// is cancelled; throws when the device fails (a vanished device, a stream in the wrong state).
    public func buffers(frames: Int) -> CapturedBuffers { CapturedBuffers(stream: self, frames: frames) }

    /// Stops capturing; the next read starts again.
    public func stop() throws(AlsaError) {
        try core.stop()
    }

    /// Releases the device now rather than at deinit.
    public func close() throws(AlsaError) { try core.pcm.close() }

    /// Moves the frames captured so far (at most a period, at most what fits); 0 when none.
    private func transfer(into samples: UnsafeMutableBufferPointer<Float>, at frame: Int) throws(AlsaError) -> Int {
        let pcm = core.pcm
        let remaining = samples.count / core.channels - frame
        let format = configuration.format
        if try core.isPrepared { try pcm.start() }
        if configuration.setup.access.isMmap {
            let area = try pcm.beginTransfer(maxFrames: min(remaining, core.periodFrames))
            if area.frames > 0 {
                try SampleConversion.decode(UnsafeRawBufferPointer(area.interleaved), as: format,
                                            into: UnsafeMutableBufferPointer(rebasing: samples[frame * core.channels..<(frame + area.frames) * core.channels]))
            }
            try pcm.commitTransfer(area.frames)
            return area.frames
        }
        let frames = min(remaining, core.periodFrames)
        let bytes = UnsafeMutableRawBufferPointer(rebasing: core.scratch[0..<frames * core.frameBytes])
        let moved: Int
        do {
            moved = try pcm.readInterleaved(into: bytes)
        } catch {
            guard error.kind == .wouldBlock else { throw error }
            return 0
        }
        try SampleConversion.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<moved * core.frameBytes]), as: format,
                                    into: UnsafeMutableBufferPointer(rebasing: samples[frame * core.channels..<(frame + moved) * core.channels]))
        return moved
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
