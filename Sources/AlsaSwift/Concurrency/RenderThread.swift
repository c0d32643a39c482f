import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
import CAlsaKernel
#endif

/// What a render callback sees each time the device wants (playback) or has (capture) frames.
///
/// `samples` is `Float` in [-1, 1), `frames × channels` long, laid out as the thread was asked
/// (`layout`), owned by the thread and reused every call. For playback the callback fills it, and
/// the thread converts it straight into the device buffer (the mmap area itself when the access is
/// mmap); for capture it holds what the device delivered. Nothing in here allocates.
public struct RenderContext: ~Copyable {
    /// Frames in this call (at most a period).
    public let frames: Int
    /// Samples per frame.
    public let channels: Int
    /// Frames per second.
    public let sampleRate: Int
    /// Every sample of this call, in `layout` order.
    public let samples: UnsafeMutableBufferPointer<Float>
    /// Frames rendered before this call, since the thread started.
    public let framePosition: Int
    /// The order of `samples`: frame after frame, or channel after channel.
    public let layout: SampleLayout

    /// With a non-interleaved layout, the `frames` samples of channel `index`. Empty for an
    /// interleaved layout (whose channels are not contiguous) or an index out of range.
    public func channel(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        guard layout == .nonInterleaved, index >= 0, index < channels else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        return UnsafeMutableBufferPointer(rebasing: samples[index * frames..<(index + 1) * frames])
    }
}

/// A real-time audio thread that drives a configured PCM with a callback.
///
/// The thread waits in poll(2) on the PCM and a wake-up pipe, so `stop` returns promptly even when
/// the device has stalled. It runs at SCHED_FIFO priority when asked and permitted
/// (`priorityOutcome` says which). Xruns are recovered and counted. The callback runs on that
/// thread: it must not block, lock or allocate; feed it from other threads through a `SampleRing`.
///
/// The thread owns the PCM (it is `sending` into the initializer) and closes it when it ends.
/// The handle is `Sendable`: `stop` and the counters may be used from any thread.
public final class RenderThread: Sendable {
    /// The scheduling a render thread asks for.
    public enum Priority: Sendable, Equatable {
        /// The default time-sharing scheduler.
        case normal
        /// SCHED_FIFO at this priority (1...99), when the process may (CAP_SYS_NICE or RLIMIT_RTPRIO).
        case realtime(Int32)
    }

    /// The scheduling a render thread got.
    public enum PriorityOutcome: Sendable, Equatable {
        /// Normal priority, as asked.
        case normal
        /// SCHED_FIFO at this priority, as asked.
        case realtime(Int32)
        /// Real-time priority was asked for and refused with this errno; the thread runs normally.
        case refused(Errno)
    }

    /// The render callback: called on the audio thread once per transfer, at most a period at a time; it must
    /// not block, lock or allocate.
    public typealias Callback = @Sendable (borrowing RenderContext) -> Void

    // Internal, not private: a test checks that a child process spawned meanwhile does not inherit them.
    let wakeReader: Int32
    let wakeWriter: Int32
    private let stopRequested = Atomic<Bool>(false)
    private let drainOnStop = Atomic<Bool>(false)
    private let periods = Atomic<Int>(0)
    private let xruns = Atomic<Int>(0)
    private let outcome = Mutex<(priority: PriorityOutcome?, failure: AlsaError?, finished: Bool)>((nil, nil, false))
    private let thread = Mutex<pthread_t?>(nil)

    /// Periods the callback has rendered or consumed.
    public var periodCount: Int { periods.load(ordering: .relaxed) }
    /// Xruns met (and recovered) by the thread.
    public var xrunCount: Int { xruns.load(ordering: .relaxed) }
    /// What became of the priority request, once the thread has started.
    public var priorityOutcome: PriorityOutcome? { outcome.withLock { $0.priority } }
    /// The error that ended the thread early (a vanished device...), if any.
    public var failure: AlsaError? { outcome.withLock { $0.failure } }
    /// Whether the thread has ended (stopped, or failed: see `failure`).
    public var isFinished: Bool { outcome.withLock { $0.finished } }

    /// Starts the thread on `pcm`, which must be configured with interleaved access (read/write or
    /// mmap) in a format `SampleConversion` supports. The callback sees its samples in `layout`
    /// order; either way they are converted straight into (or out of) the device's frames.
    public init(pcm: sending any PCM, priority: Priority = .normal, layout: SampleLayout = .interleaved,
                callback: @escaping Callback) throws(AlsaError) {
        guard let setup = pcm.setup else {
            throw AlsaError(.configure, .badFileDescriptorState, context: "configure the PCM before starting a render thread")
        }
        guard setup.access.isInterleaved, SampleConversion.isSupported(setup.format) else {
            throw AlsaError(.configure, .invalidArgument, context: "a render thread needs interleaved access and a convertible format, not \(setup.access) \(setup.format)")
        }
        var ends: (Int32, Int32) = (-1, -1)
        // Close-on-exec from the start: a child the app spawns (on any thread, at any moment) must
        // not inherit the wake-up pipe.
        let made = withUnsafeMutablePointer(to: &ends) { $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) } }
        guard made == 0 else { throw AlsaError(.poll, Errno(rawValue: errno), context: "pipe for the render thread's wake-up") }
        (wakeReader, wakeWriter) = ends
        _ = fcntl(wakeWriter, F_SETFL, fcntl(wakeWriter, F_GETFL) | O_NONBLOCK)
        let loop = RenderLoop(pcm: pcm, setup: setup, callback: callback, owner: self, priority: priority, layout: layout)
        let context = Unmanaged.passRetained(loop).toOpaque()
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { context in
            Unmanaged<RenderLoop>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<RenderLoop>.fromOpaque(context).release()
            Glibc.close(wakeReader)
            Glibc.close(wakeWriter)
            throw AlsaError(.open, Errno(rawValue: created), context: "pthread_create for the render thread")
        }
        thread.withLock { $0 = handle }
    }

    deinit {
        stop()
        Glibc.close(wakeReader)
        Glibc.close(wakeWriter)
    }

    /// Ends the thread and waits for it: at once (the queued frames are dropped), or after playing
    /// out what is queued when `drain` is true, for at most `drainTimeout`. Safe to call twice.
    public func stop(drain: Bool = false, drainTimeout: Duration = .seconds(2)) {
        drainOnStop.store(drain, ordering: .relaxed)
        drainTimeoutMilliseconds.store(drainTimeout.wholeMilliseconds, ordering: .relaxed)
        stopRequested.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWriter, &byte, 1)
        if let handle = thread.withLock({ h -> pthread_t? in defer { h = nil }; return h }) {
            pthread_join(handle, nil)
        }
    }

    private let drainTimeoutMilliseconds = Atomic<Int>(2000)

    // MARK: what the loop reports back

    fileprivate var wakeDescriptor: Int32 { wakeReader }
    fileprivate var shouldStop: Bool { stopRequested.load(ordering: .acquiring) }
    fileprivate var shouldDrain: Bool { drainOnStop.load(ordering: .relaxed) }
    fileprivate var drainTimeout: Int { drainTimeoutMilliseconds.load(ordering: .relaxed) }
    fileprivate func notePeriod() { periods.wrappingAdd(1, ordering: .relaxed) }
    fileprivate func noteXrun() { xruns.wrappingAdd(1, ordering: .relaxed) }
    fileprivate func report(priority: PriorityOutcome) { outcome.withLock { $0.priority = priority } }
    fileprivate func finish(_ failure: AlsaError?) { outcome.withLock { $0.failure = failure; $0.finished = true } }
}

/// The thread's side: everything it needs, allocated before the loop starts.
private final class RenderLoop: @unchecked Sendable {
    let pcm: any PCM
    let setup: HardwareSetup
    let callback: RenderThread.Callback
    unowned(unsafe) let owner: RenderThread
    let priority: RenderThread.Priority
    let layout: SampleLayout
    let channels: Int
    let floats: UnsafeMutableBufferPointer<Float>
    let bytes: UnsafeMutableRawBufferPointer
    let pollSet: UnsafeMutableBufferPointer<pollfd>
    let pcmDescriptors: Int
    var position = 0

    init(pcm: any PCM, setup: HardwareSetup, callback: @escaping RenderThread.Callback, owner: RenderThread,
         priority: RenderThread.Priority, layout: SampleLayout) {
        self.pcm = pcm
        self.layout = layout
        self.setup = setup
        self.callback = callback
        self.owner = owner
        self.priority = priority
        channels = Int(setup.channels)
        floats = .allocate(capacity: Int(setup.periodSize) * channels)
        floats.initialize(repeating: 0)
        bytes = .allocate(byteCount: Int(setup.periodSize) * setup.frameBytes, alignment: 16)
        pcmDescriptors = pcm.pollDescriptorCount
        pollSet = .allocate(capacity: pcmDescriptors + 1)
        pollSet.initialize(repeating: pollfd())
    }

    deinit {
        floats.deallocate()
        bytes.deallocate()
        pollSet.deallocate()
    }

    func run() {
        owner.report(priority: elevate())
        var failure: AlsaError?
        do {
            try pcm.setNonBlocking(true)
            if pcm.direction == .playback {
                try playbackLoop()
            } else {
                try captureLoop()
            }
        } catch {
            failure = error
        }
        finishStream()
        try? pcm.close()
        owner.finish(failure)
    }

    private func elevate() -> RenderThread.PriorityOutcome {
        guard case .realtime(let level) = priority else { return .normal }
        var parameters = sched_param(sched_priority: level)
        let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        return result == 0 ? .realtime(level) : .refused(Errno(rawValue: result))
    }

    private func playbackLoop() throws(AlsaError) {
        while !owner.shouldStop {
            // Fill whatever room there is, a period at most per round, then sleep until there is more.
            var moved = try renderPlayback()
            while moved > 0 && !owner.shouldStop { moved = try renderPlayback() }
            // Started once something is queued: right after an underrun was recovered (prepared,
            // empty) the kernel refuses to start with nothing to play (EPIPE); the poll that
            // follows finds room at once and the next round fills and starts it.
            if try pcm.state == .prepared, try recovering({ () throws(AlsaError) in try pcm.avail() }) < Int(setup.bufferSize) {
                try pcm.start()
            }
            try sleep()
        }
    }

    private func captureLoop() throws(AlsaError) {
        if try pcm.state == .prepared { try pcm.start() }
        while !owner.shouldStop {
            var moved = try consumeCapture()
            while moved > 0 && !owner.shouldStop { moved = try consumeCapture() }
            try sleep()
        }
    }

    /// Renders up to one period into the device; returns the frames moved.
    private func renderPlayback() throws(AlsaError) -> Int {
        let limit = Int(setup.periodSize)
        if setup.access.isMmap {
            return try mmapPeriod { (area) throws(AlsaError) in
                render(area.frames)
                try encodeRendered(area.frames, into: area.interleaved)
            }
        }
        let frames = min(limit, try recovering { () throws(AlsaError) in try pcm.avail() })
        guard frames > 0 else { return 0 }
        render(frames)
        let byteCount = frames * setup.frameBytes
        let target = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<byteCount])
        try encodeRendered(frames, into: target)
        do {
            return try pcm.writeInterleaved(UnsafeRawBufferPointer(target))
        } catch {
            if error.kind != .wouldBlock { try recover(error) }
            return 0
        }
    }

    /// Hands up to one period of captured frames to the callback; returns the frames moved.
    private func consumeCapture() throws(AlsaError) -> Int {
        let limit = Int(setup.periodSize)
        if setup.access.isMmap {
            return try mmapPeriod { (area) throws(AlsaError) in
                try decodeCaptured(UnsafeRawBufferPointer(area.interleaved), frames: area.frames)
                render(area.frames)
            }
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<limit * setup.frameBytes])
        let frames: Int
        do {
            frames = try pcm.readInterleaved(into: target)
        } catch {
            if error.kind == .wouldBlock { return 0 }
            try recover(error)
            return 0
        }
        try decodeCaptured(UnsafeRawBufferPointer(rebasing: target[0..<frames * setup.frameBytes]), frames: frames)
        render(frames)
        return frames
    }

    /// Converts the callback's `frames` frames into interleaved device frames: in one pass when
    /// interleaved, else channel by channel into each channel's place in the frames.
    private func encodeRendered(_ frames: Int, into destination: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        guard layout == .nonInterleaved else {
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: floats[0..<frames * channels]), as: setup.format, into: destination)
            return
        }
        guard let base = destination.baseAddress, frames > 0 else { return }
        let sampleBytes = setup.frameBytes / channels
        for channel in 0..<channels {
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: floats[channel * frames..<(channel + 1) * frames]), as: setup.format,
                                        to: base + channel * sampleBytes, strideBytes: setup.frameBytes)
        }
    }

    /// The reverse of `encodeRendered`, for capture.
    private func decodeCaptured(_ source: UnsafeRawBufferPointer, frames: Int) throws(AlsaError) {
        guard layout == .nonInterleaved else {
            try SampleConversion.decode(source, as: setup.format, into: UnsafeMutableBufferPointer(rebasing: floats[0..<frames * channels]))
            return
        }
        guard let base = source.baseAddress, frames > 0 else { return }
        let sampleBytes = setup.frameBytes / channels
        for channel in 0..<channels {
            try SampleConversion.decode(from: base + channel * sampleBytes, strideBytes: setup.frameBytes, as: setup.format,
                                        into: UnsafeMutableBufferPointer(rebasing: floats[channel * frames..<(channel + 1) * frames]))
        }
    }

    /// One mmap round of up to a period: begin, `body` on the area, commit. Returns the frames moved.
    private func mmapPeriod(_ body: (MmapArea) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        let area = try recovering { () throws(AlsaError) in try pcm.beginTransfer(maxFrames: Int(setup.periodSize)) }
        guard area.frames > 0 else {
            try pcm.commitTransfer(0)
            return 0
        }
        try body(area)
        try recovering { () throws(AlsaError) in try pcm.commitTransfer(area.frames) }
        return area.frames
    }

    private func render(_ frames: Int) {
        let context = RenderContext(frames: frames, channels: channels, sampleRate: Int(setup.rate),
                                    samples: UnsafeMutableBufferPointer(rebasing: floats[0..<frames * channels]),
                                    framePosition: position, layout: layout)
        callback(context)
        position += frames
        owner.notePeriod()
    }

    /// Runs `body`; an xrun or suspend is recovered (and counted) and the call answered with its
    /// type's "nothing moved" by re-running once; EAGAIN is "nothing now".
    private func recovering<T>(_ body: () throws(AlsaError) -> T) throws(AlsaError) -> T {
        do {
            return try body()
        } catch {
            try recover(error)
            return try body()
        }
    }

    private func recover(_ error: AlsaError) throws(AlsaError) {
        guard error.kind == .xrun || error.kind == .suspended else { throw error }
        if error.kind == .xrun { owner.noteXrun() }
        try pcm.recover(from: error)
    }

    /// Sleeps in poll(2) until the PCM is ready or `stop` writes to the pipe.
    private func sleep() throws(AlsaError) {
        let filled = try pcm.fillPollDescriptors(UnsafeMutableBufferPointer(rebasing: pollSet[0..<pcmDescriptors]))
        pollSet[filled] = pollfd(fd: owner.wakeDescriptor, events: Int16(POLLIN), revents: 0)
        let kernel = (pcm as? KernelPCM)?.file.kernel ?? LinuxKernel.shared
        do {
            _ = try kernel.poll(pollSet.baseAddress!, count: filled + 1, timeoutMilliseconds: -1)
        } catch {
            if error == .interrupted { return }
            throw AlsaError(.poll, error)
        }
        if owner.shouldStop { return }
        let events = try pcm.pollEvents(UnsafeMutableBufferPointer(rebasing: pollSet[0..<filled]))
        if Int32(events) & (POLLERR | POLLHUP | POLLNVAL) != 0 {
            if let error = try pcm.state.transferError { try recover(error) }
        }
    }

    /// Drain (bounded) or drop, as `stop` asked.
    private func finishStream() {
        guard pcm.direction == .playback, owner.shouldDrain, (try? pcm.state) == .running else {
            try? pcm.drop()
            return
        }
        _ = try? pcm.drain(timeoutMilliseconds: owner.drainTimeout)
    }
}
