import Synchronization

/// A real-time audio thread that runs a duplex stream with a callback: once a period it hands the
/// callback the period of input just captured and the period of output to fill, as PortAudio's
/// and cpal's duplex callbacks do.
///
/// ```swift
/// let monitor = try DuplexThread(capture: "hw:1,0", playback: "hw:0,0",
///                                request: StreamRequest(rate: 48_000, channels: 2, latency: .milliseconds(10))) { period in
///     for i in period.output.indices { period.output[i] = period.input[i] }
/// }
/// print(try monitor.timing().roundTrip)
/// monitor.stop()
/// ```
///
/// The thread runs the duplex loop of `DuplexStream` (the same start, recovery and drift
/// compensation) on a pthread of its own, at SCHED_FIFO priority when asked and permitted, and
/// answers `timing()` and `drift()` from other threads between periods. The callback runs on that
/// thread: it must not block, lock or allocate. The thread owns both PCMs and closes them when it
/// ends. The handle is `Sendable`.
public final class DuplexThread: Sendable {
    /// The callback: called on the audio thread once a period; it must not block, lock or allocate.
    public typealias Callback = @Sendable (borrowing DuplexPeriod) -> Void

    /// What the devices granted, whether the sides are linked, and how drift is compensated.
    public let configuration: DuplexConfiguration
    let host: AudioThreadHost<DuplexSnapshot>
    private let captureXruns = Atomic<Int>(0)
    private let playbackXruns = Atomic<Int>(0)

    /// Periods the callback has processed.
    public var periodCount: Int { host.periodCount }
    /// Xruns met and recovered, by the side that ran out.
    public var xruns: DuplexXruns {
        var xruns = DuplexXruns()
        xruns.capture = captureXruns.load(ordering: .relaxed)
        xruns.playback = playbackXruns.load(ordering: .relaxed)
        return xruns
    }
    /// What became of the priority request, once the thread has started.
    public var priorityOutcome: RenderThread.PriorityOutcome? { host.priorityOutcome }
    /// The error that ended the thread early (a vanished device...), if any.
    public var failure: AlsaError? { host.failure }
    /// Whether the thread has ended (stopped, or failed: see `failure`).
    public var isFinished: Bool { host.isFinished }

    /// Opens `capture` and `playback` by name (one card or two), negotiates `request` on both as
    /// `DuplexStream` does, and starts the thread.
    public convenience init(capture: String, playback: String, request: StreamRequest = StreamRequest(),
                            options: DuplexOptions = DuplexOptions(), transport: PCMDevice.TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared, priority: RenderThread.Priority = .normal,
                            callback: @escaping Callback) throws(AlsaError) {
        let input = try StreamNegotiation.open(capture, .capture, transport: transport, kernel: kernel)
        let output = try StreamNegotiation.open(playback, .playback, transport: transport, kernel: kernel)
        try self.init(capture: input, playback: output, request: request, options: options, priority: priority,
                      callback: callback)
    }

    /// Takes an opened capture PCM and an opened playback PCM (on one kernel), negotiates
    /// `request` on both and starts the thread, which owns them from then on.
    public init(capture: sending any PCM, playback: sending any PCM, request: StreamRequest = StreamRequest(),
                options: DuplexOptions = DuplexOptions(), priority: RenderThread.Priority = .normal,
                callback: @escaping Callback) throws(AlsaError) {
        let configurations = try DuplexNegotiation.configure(capture: capture, playback: playback, request: request)
        let loop = try DuplexLoop(capture: PeriodEngine(pcm: capture, configuration: configurations.capture, async: false),
                                  playback: PeriodEngine(pcm: playback, configuration: configurations.playback, async: false),
                                  options: options)
        configuration = loop.configuration
        host = try AudioThreadHost(name: "duplex thread")
        try host.start(DuplexThreadLoop(loop: loop, callback: callback, owner: self, priority: priority))
    }

    deinit { stop() }

    /// Ends the thread and waits for it; both sides stop at once (what is queued is dropped), and
    /// both PCMs close. Safe to call twice.
    public func stop() { host.stop() }

    /// Both sides' timing and the round trip, asked of the thread, which answers between periods.
    /// Fails once the thread has ended, and after `timeout` if it does not answer.
    public func timing(timeout: Duration = .seconds(2)) throws(AlsaError) -> DuplexTiming {
        try host.ask(timeout: timeout).timing.get()
    }

    /// What the thread measured of two clocks and did about them; nil when both sides are on one card.
    public func drift(timeout: Duration = .seconds(2)) throws(AlsaError) -> DriftReport? {
        try host.ask(timeout: timeout).drift
    }

    fileprivate func publish(_ xruns: DuplexXruns) {
        captureXruns.store(xruns.capture, ordering: .relaxed)
        playbackXruns.store(xruns.playback, ordering: .relaxed)
    }
}

/// What a duplex thread answers when asked.
struct DuplexSnapshot: Sendable {
    var timing: Result<DuplexTiming, AlsaError>
    var drift: DriftReport?
}

/// The thread's side: the duplex loop, until stopped.
private final class DuplexThreadLoop: AudioThreadLoop, @unchecked Sendable {
    let loop: DuplexLoop
    let callback: DuplexThread.Callback
    unowned(unsafe) let owner: DuplexThread
    let priority: RenderThread.Priority

    init(loop: DuplexLoop, callback: @escaping DuplexThread.Callback, owner: DuplexThread, priority: RenderThread.Priority) {
        self.loop = loop
        self.callback = callback
        self.owner = owner
        self.priority = priority
    }

    override func run() {
        owner.host.elevate(priority)
        var failure: AlsaError?
        do {
            try runPeriods()
        } catch {
            failure = error
        }
        try? loop.stop()
        loop.close()
        owner.host.finish(failure)
    }

    private func runPeriods() throws(AlsaError) {
        let host = owner.host
        while !host.shouldStop {
            let before = loop.periods
            let ready = try loop.cycleBlocking(interrupt: host.wakeDescriptor, callback)
            if !ready { host.drainWakeups() }
            answer()
            if loop.periods > before { host.notePeriod() }
            owner.publish(loop.xruns)
        }
    }

    private func answer() {
        owner.host.answerRequests { () -> Result<DuplexSnapshot, AlsaError> in
            let timing: Result<DuplexTiming, AlsaError>
            do throws(AlsaError) {
                timing = .success(try loop.timing())
            } catch {
                timing = .failure(error)
            }
            return .success(DuplexSnapshot(timing: timing, drift: loop.driftReport))
        }
    }
}
