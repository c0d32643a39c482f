import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
import CAlsaKernel
#endif

/// What a render callback sees once a period (or, on a timer-scheduled stream, once a block of
/// `TimerSchedule.blockFrames`): its samples, its position and the instant its first frame is
/// heard (playback) or was captured (capture).
///
/// `samples` is `Float` in [-1, 1), `frameCount × channelCount` long, laid out as the thread was asked
/// (`layout`), owned by the thread and reused every call. For playback the callback fills it, and
/// the thread converts it straight into the device buffer (the mmap area itself when the access is
/// mmap); for capture it holds what the device delivered. Nothing in here allocates.
public struct RenderContext: ~Copyable {
    /// Frames in this call: always one period, or one block on a timer-scheduled stream.
    public let frameCount: Int
    /// Samples per frame.
    public let channelCount: Int
    /// Frames per second.
    public let sampleRate: Int
    /// Every sample of this call, in `layout` order.
    public let samples: UnsafeMutableBufferPointer<Float>
    /// Frames rendered before this call, since the thread started.
    public let framePosition: Int
    /// When the period's first frame is heard (playback) or was captured (capture), on the
    /// monotonic clock. Taken from the device's own timestamps, renewed once a second of audio and
    /// after every start or recovery; before the device runs, as if it started now.
    public let time: MonotonicInstant
    /// The order of `samples`: frame after frame, or channel after channel.
    public let layout: SampleLayout

    /// With a non-interleaved layout, the `frameCount` samples of channel `index`. Empty for an
    /// interleaved layout (whose channels are not contiguous) or an index out of range.
    public func channel(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        guard layout == .nonInterleaved, index >= 0, index < channelCount else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        return UnsafeMutableBufferPointer(rebasing: samples[index * frameCount..<(index + 1) * frameCount])
    }
}

/// A real-time audio thread that drives a PCM with a callback, one period per call.
///
/// The thread runs the streams' period engine: it sleeps in poll(2) until the device has a period
/// of room or data, then hands the callback exactly one period (with its position and time), and
/// moves it. It also polls a wake-up pipe, so `stop` returns promptly even when the device has
/// stalled, and `delay()` or `timing()` from another thread are answered between periods. It runs
/// at SCHED_FIFO priority when asked and permitted (`priorityOutcome` says which). Xruns are
/// recovered and counted, as `RecoveryPolicy` describes. The callback runs on that thread: it must
/// not block, lock or allocate; feed it from other threads through a `SampleRing`.
///
/// The thread owns the PCM (it is `sending` into the initializer, or opened by name) and closes it
/// when it ends. The handle is `Sendable`: `stop`, the counters, `delay()` and `timing()` may be
/// used from any thread.
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

    /// The render callback: called on the audio thread once per period; it must not block, lock or
    /// allocate.
    public typealias Callback = @Sendable (borrowing RenderContext) -> Void

    /// What the device granted.
    public let configuration: StreamConfiguration
    /// The thread, its pipes and its answers to `timing()`.
    let host: AudioThreadHost<AudioTiming>
    // Internal: a test checks that a child process spawned meanwhile does not inherit them.
    var wakeReader: Int32 { host.wakeReader }
    var wakeWriter: Int32 { host.wakeWriter }
    private let drainOnStop = Atomic<Bool>(false)
    private let xruns = Atomic<Int>(0)

    /// Calls of the callback so far: one per period rendered (playback) or consumed (capture).
    public var callbackCount: Int { host.periodCount }
    /// Xruns met (and recovered) by the thread.
    public var xrunCount: Int { xruns.load(ordering: .relaxed) }
    /// What became of the priority request, once the thread has started.
    public var priorityOutcome: PriorityOutcome? { host.priorityOutcome }
    /// The error that ended the thread early (a vanished device...), if any.
    public var failure: AlsaError? { host.failure }
    /// Whether the thread has ended (stopped, or failed: see `failure`).
    public var isFinished: Bool { host.isFinished }

    /// Opens `device` by name for `direction` (any ALSA name; `hw:` names use the direct kernel
    /// transport unless `transport` says otherwise), negotiates `request` as the streams do, and
    /// starts the thread: playback or capture in one call, as cpal's `build_output_stream` and
    /// `build_input_stream` do.
    public convenience init(device: String = "default", direction: StreamDirection = .playback, request: StreamRequest = StreamRequest(),
                            transport: PCMDevice.TransportChoice = .automatic, kernel: any KernelInterface = LinuxKernel.shared,
                            priority: Priority = .normal, layout: SampleLayout = .interleaved,
                            callback: @escaping Callback) throws(AlsaError) {
        guard request.resampling == nil else {
            throw AlsaError(.configure, .invalidArgument, context: "a render thread runs at the device's rate; resample in a PlaybackStream or CaptureStream")
        }
        let pcm = try StreamNegotiation.open(device, direction, transport: transport, kernel: kernel)
        let configuration = try StreamNegotiation.configure(pcm, direction, request)
        try self.init(engine: PeriodEngine(pcm: pcm, configuration: configuration, async: false), priority: priority, layout: layout,
                      callback: callback)
    }

    /// Starts the thread on `pcm`, which must be configured with interleaved access (read/write or
    /// mmap) in a format `SampleConversion` supports. Its `avail_min` becomes the period. The
    /// callback sees its samples in `layout` order; either way they are converted straight into (or
    /// out of) the device's frames.
    public convenience init(pcm: sending any PCM, priority: Priority = .normal, layout: SampleLayout = .interleaved,
                            callback: @escaping Callback) throws(AlsaError) {
        guard let setup = pcm.setup else {
            throw AlsaError(.configure, .badFileDescriptorState, context: "configure the PCM before starting a render thread")
        }
        guard setup.access.isInterleaved, SampleConversion.isSupported(setup.format) else {
            throw AlsaError(.configure, .invalidArgument, context: "a render thread needs interleaved access and a convertible format, not \(setup.access) \(setup.format)")
        }
        try pcm.setNonBlocking(true)
        let configuration = StreamConfiguration(deviceName: pcm.name, transport: pcm.transport, setup: setup, syncReport: pcm.syncReport,
                                                adaptations: [])
        try self.init(engine: PeriodEngine(pcm: pcm, configuration: configuration, async: false), priority: priority, layout: layout,
                      callback: callback)
    }

    private init(engine: sending PeriodEngine, priority: Priority, layout: SampleLayout, callback: @escaping Callback) throws(AlsaError) {
        configuration = engine.configuration
        host = try AudioThreadHost(name: "render thread")
        try host.start(RenderLoop(engine: engine, callback: callback, owner: self, priority: priority, layout: layout))
    }

    deinit {
        stop()
    }

    /// Ends the thread and waits for it: at once (the queued frames are dropped), or after playing
    /// out what is queued when `drain` is true, for at most `drainTimeout`. Safe to call twice.
    public func stop(drain: Bool = false, drainTimeout: Duration = .seconds(2)) {
        drainOnStop.store(drain, ordering: .relaxed)
        drainTimeoutMilliseconds.store(drainTimeout.wholeMilliseconds, ordering: .relaxed)
        host.stop()
    }

    /// Where the stream is in time (see `AudioTiming`), asked of the thread, which answers between
    /// periods with one status call. Fails once the thread has ended, and after `timeout` if the
    /// thread does not answer (a callback that blocks).
    public func timing(timeout: Duration = .seconds(2)) throws(AlsaError) -> AudioTiming {
        try host.ask(timeout: timeout)
    }

    /// Frames between the app's callback and the device now: queued and not yet heard (playback),
    /// or captured and not yet handed to the callback (capture). See `timing()`.
    public func delay() throws(AlsaError) -> Int { try timing().delayFrames }

    private let drainTimeoutMilliseconds = Atomic<Int>(2000)

    // MARK: what the loop reports back

    fileprivate var shouldDrain: Bool { drainOnStop.load(ordering: .relaxed) }
    fileprivate var drainTimeout: Duration { .milliseconds(drainTimeoutMilliseconds.load(ordering: .relaxed)) }
    fileprivate func noteXruns(_ count: Int) { xruns.store(count, ordering: .relaxed) }
}

/// The thread's side: the engine, and one period of `Float` for the callback, allocated before the
/// loop starts.
private final class RenderLoop: AudioThreadLoop, @unchecked Sendable {
    let engine: PeriodEngine
    let callback: RenderThread.Callback
    unowned(unsafe) let owner: RenderThread
    let priority: RenderThread.Priority
    let channelCount: Int
    let periodFrames: Int
    let frameBytes: Int
    /// One period for the callback.
    let period: PeriodSamples
    /// Frames of `floats` already moved to (playback) or filled from (capture) the device: a period
    /// the ring buffer's wrap cut in two is rendered once and moved in two pieces.
    var cursor: Int
    /// Frames handed to the callback since the thread started.
    var position = 0

    init(engine: sending PeriodEngine, callback: @escaping RenderThread.Callback, owner: RenderThread,
         priority: RenderThread.Priority, layout: SampleLayout) {
        self.engine = engine
        self.callback = callback
        self.owner = owner
        self.priority = priority
        channelCount = engine.channelCount
        periodFrames = engine.blockFrames
        frameBytes = engine.frameBytes
        period = PeriodSamples(frames: periodFrames, channels: channelCount, format: engine.configuration.format, frameBytes: frameBytes,
                               layout: layout)
        // Playback renders a new period before its first frame moves; capture fills from the start.
        cursor = engine.direction == .playback ? periodFrames : 0
    }

    override func run() {
        owner.host.elevate(priority)
        var failure: AlsaError?
        do {
            try loop()
        } catch {
            failure = error
        }
        finishStream()
        try? engine.pcm.close()
        owner.host.finish(failure)
    }

    /// Wait, move, until stopped: the engine's step, with the callback once a period.
    private func loop() throws(AlsaError) {
        let playback = engine.direction == .playback
        let host = owner.host
        while !host.shouldStop {
            guard try engine.waitBlocking(interrupt: host.wakeDescriptor) else {
                host.drainWakeups()
                answerRequests()
                continue
            }
            answerRequests()
            if playback {
                _ = try engine.step(limit: .max) { (bytes, frames) throws(AlsaError) in try produce(into: bytes, frames: frames) }
            } else {
                _ = try engine.step(limit: .max) { (bytes, frames) throws(AlsaError) in try consume(bytes, frames: frames) }
            }
            owner.noteXruns(engine.pcm.xrunCount)
        }
    }

    private func answerRequests() {
        owner.host.answerRequests { () -> Result<AudioTiming, AlsaError> in
            do throws(AlsaError) {
                return .success(try engine.recovering { () throws(AlsaError) in try engine.pcm.timing() })
            } catch {
                return .failure(error)
            }
        }
    }

    /// Fills `frames` device frames from the callback's periods, calling it each time a period is
    /// used up.
    private func produce(into bytes: UnsafeMutableRawBufferPointer, frames: Int) throws(AlsaError) {
        var done = 0
        while done < frames {
            if cursor == periodFrames {
                render(time: engine.time(ofFrame: engine.position + done))
                cursor = 0
            }
            let count = min(frames - done, periodFrames - cursor)
            try period.encode(cursor..<cursor + count, to: bytes.baseAddress! + done * frameBytes)
            cursor += count
            done += count
        }
    }

    /// Takes `frames` captured device frames into the callback's periods, calling it each time one
    /// is full.
    private func consume(_ bytes: UnsafeMutableRawBufferPointer, frames: Int) throws(AlsaError) {
        var done = 0
        while done < frames {
            let count = min(frames - done, periodFrames - cursor)
            try period.decode(cursor..<cursor + count, from: bytes.baseAddress! + done * frameBytes)
            cursor += count
            done += count
            if cursor == periodFrames {
                // The period's first frame is `periodFrames` before the end of what has moved so far.
                render(time: engine.time(ofFrame: engine.position + done - periodFrames))
                cursor = 0
            }
        }
    }

    private func render(time: MonotonicInstant) {
        let context = RenderContext(frameCount: periodFrames, channelCount: channelCount, sampleRate: engine.configuration.sampleRate,
                                    samples: period.floats, framePosition: position, time: time, layout: period.layout)
        callback(context)
        position += periodFrames
        owner.host.notePeriod()
    }

    /// Drain (bounded) or drop, as `stop` asked.
    private func finishStream() {
        guard engine.direction == .playback, owner.shouldDrain, (try? engine.pcm.state) == .running else {
            try? engine.pcm.drop()
            return
        }
        _ = try? engine.drainBlocking(timeout: owner.drainTimeout)
    }
}
