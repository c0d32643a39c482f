import Foundation
import Testing
import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage

/// A fresh simulated machine with one card whose device 0 has `hardware`, and whose mixer is
/// `mixer` (`.none` for a test that lays out every control itself).
func makeKernel(_ hardware: SimulatedHardware = .dummy, mixer: SimulatedCardMixer = .ac97) -> SimulatedKernel {
    SimulatedKernel(card: 0, hardware: hardware, mixer: mixer)
}

func openPCM(_ kernel: SimulatedKernel, _ direction: StreamDirection = .playback,
             options: PCMOpenOptions = PCMOpenOptions()) throws(AlsaError) -> KernelPCM {
    try KernelPCM(card: 0, device: 0, direction: direction, options: options, kernel: kernel)
}

/// S16_LE stereo 48 kHz, 256-frame periods, 4 periods: the benchmark configuration of the project.
func standardRequest(_ access: AccessType) -> HardwareRequest {
    HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, periodCount: 4)
}

extension SimulatedKernel {
    /// The SYNC_PTR calls in the trace, in order.
    var syncPtrCalls: [SimulatedCallRecord] { trace.filter { $0.requestName == "SYNC_PTR" } }
    /// Every ioctl in the trace, by name.
    var ioctlNames: [String] { trace.filter { $0.call == .ioctl }.map { $0.requestName ?? "?" } }
}

/// A deterministic, non-repeating test signal: byte `index` of the stream.
func patternByte(_ index: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13 ^ index)
}

/// Checksums bytes the way the simulated device does.
struct StreamChecksum {
    var value = FrameChecksum.seed
    mutating func add(_ bytes: UnsafeRawBufferPointer) { FrameChecksum.fnv1a(bytes, into: &value) }
}

let syncPtrQueryFlags = ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN
let syncPtrCommitFlags = ALSA_SYNC_PTR_AVAIL_MIN
let syncPtrPullFlags = ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN

/// The machine the discovery and device-model tests list: card 0 "Dummy" with two plain devices,
/// no card 1, card 2 "ExplicitSync" with an explicit-sync device.
func makeListingMachine() -> SimulatedKernel {
    let kernel = SimulatedKernel(card: 0, hardware: .dummy)
    kernel.addDevice(card: 0, device: 1, hardware: .dummy)
    kernel.addDevice(card: 2, device: 0, hardware: .explicitSync)
    kernel.setIdentity(SimulatedCardIdentity(id: "Dummy", driver: "Dummy", name: "Dummy", longName: "Dummy 1"), card: 0)
    kernel.setIdentity(SimulatedCardIdentity(id: "ExplicitSync", driver: "ExplicitSync", name: "Explicit sync"), card: 2)
    return kernel
}

// MARK: - Time in unit tests
//
// A unit test times the simulated kernel's virtual clock, or waits for the event itself. The few
// wall-clock bounds left only tell "ends" from "never ends", and all of them stretch here, in one
// place: `scaled(_:)` for a bound in a test, `.scaledTimeLimit(minutes:)` for Swift Testing's
// time limits.

/// How much a unit test's wall-clock bound stretches: ALSASWIFT_TEST_TIME_SCALE (1 to 100) when the
/// suite runs instrumented (`Scripts/sanitize` and `Scripts/stress-tests` set 4 under a sanitizer),
/// 1 otherwise. Every bound a unit test puts on elapsed time goes through `scaled(_:)`, and every
/// time limit through `scaledTimeLimit(minutes:)`, so one setting covers them all.
let testTimeScale: Int = min(max(Int(ProcessInfo.processInfo.environment["ALSASWIFT_TEST_TIME_SCALE"] ?? "") ?? 1, 1), 100)

/// `bound` stretched by `testTimeScale`.
func scaled(_ bound: Duration) -> Duration { bound * testTimeScale }

extension Trait where Self == TimeLimitTrait {
    /// Swift Testing's time limit of `minutes`, stretched by `testTimeScale` like every other
    /// unit-test bound. The limit's timer runs on the cooperative pool, so this also starts the
    /// pool's watchdog; Swift Testing makes the traits as it discovers the tests, before any runs.
    static func scaledTimeLimit(minutes: Int) -> Self {
        PoolWatchdog.start()
        return .timeLimit(.minutes(minutes * testTimeScale))
    }

    /// The time limit of a suite whose limit only tells "ends" from "never ends": 10 minutes,
    /// stretched like every bound. Swift Testing's clock for a test runs while the test's jobs
    /// wait behind every job queued on the cooperative pool: in a whole suite with no limit on
    /// concurrent tests on one CPU (`taskset -c 0 swift test`) a test waits there about as long as
    /// the suite runs (80 s on an idle machine, minutes on a loaded one), so a 1-minute limit
    /// failed tests that did nothing wrong. A hang still fails, within the 10 minutes.
    static var hangTimeLimit: Self { scaledTimeLimit(minutes: 10) }
}

/// How long a unit test waits for an event before it concludes that the event never comes: 30
/// seconds, stretched by `testTimeScale`. It only tells "ends" from "never ends": what works ends
/// orders of magnitude sooner, however loaded the machine.
let hangBound: Duration = scaled(.seconds(30))

/// Waits until `condition` holds, looking again every millisecond; false when it still does not
/// after `limit`. It looks once more after the limit, so a task resumed late by a busy pool does
/// not give up without a last look: a late look can only pass, never fail, a condition that came
/// true in time.
func eventually(within limit: Duration = hangBound, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        if ContinuousClock.now > deadline { return condition() }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

/// `eventually(_:)` for a test that runs on a thread it may block: the same looks, sleeping the
/// thread between them.
func eventuallyBlocking(within limit: Duration = hangBound, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        if ContinuousClock.now > deadline { return condition() }
        usleep(1_000)
    }
    return true
}

// MARK: - Work off the cooperative pool

/// How much CPU time the cooperative pool may spend while one job waits for its turn before
/// `PoolWatchdog` reports it: 2 seconds, stretched by `testTimeScale`. No test computes on a pool
/// thread for that long: work that could goes `onOwnThread`.
let poolHoldBound: Duration = scaled(.seconds(2))

/// Watches that no test holds the cooperative pool with CPU-bound work: such a test (a sweep not
/// put `onOwnThread`) stops every other test, Swift Testing's time limits included, and the suite
/// then passes or fails by the order its tests happen to run in. On one CPU the pool has a single
/// thread, and the watchdog tells such a test whatever the order.
///
/// Ten times a second a thread of its own queues a probe on the pool at the tests' own priority (a
/// higher one gets a thread of its own from libdispatch, and would see nothing). When the probe
/// runs, the pool's threads (those earlier probes ran on) have spent some CPU time since it was
/// queued: more than `poolHoldBound` is an issue of the run. CPU time, not wall-clock time: a
/// loaded machine or a test that sleeps stretches the wait but adds no CPU time.
///
/// It watches only when Swift Testing runs a bounded number of tests at once
/// (SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH, which `Scripts/stress-tests` sets for its
/// one-CPU runs): unbounded, every test is queued at the start, and the probe would wait for all
/// of them, which is no one test's hold.
final class PoolWatchdog: @unchecked Sendable {
    private static let shared: PoolWatchdog? =
        ProcessInfo.processInfo.environment["SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH"] == nil ? nil : PoolWatchdog()
    private let lock = NSLock()
    // Guarded by `lock`.
    /// The CPU-time clocks of the pool threads probes ran on.
    private var poolThreads: [clockid_t] = []
    /// The probe now waiting: when it was sent, and each known pool thread's CPU time then.
    private var waiting: (sent: ContinuousClock.Instant, cpu: [(clockid_t, Duration)])?

    /// Starts the watchdog if the run's width is bounded, once per process.
    static func start() { _ = shared }

    private init() {
        let thread = Thread { [self] in watch() }
        thread.name = "pool watchdog"
        thread.start()
    }

    private func watch() {
        while true {
            usleep(100_000)
            let send = lock.withLock {
                guard waiting == nil else { return false }
                waiting = (.now, poolThreads.compactMap { clock in Self.cpuTime(clock).map { (clock, $0) } })
                return true
            }
            if send { Task.detached(priority: .medium) { self.probeRan() } }
        }
    }

    private func probeRan() {
        var clock = clockid_t()
        let known = pthread_getcpuclockid(pthread_self(), &clock) == 0
        guard let probe = lock.withLock({ () -> (sent: ContinuousClock.Instant, cpu: [(clockid_t, Duration)])? in
            if known && !poolThreads.contains(clock) { poolThreads.append(clock) }
            defer { waiting = nil }
            return waiting
        }) else { return }
        let waited = ContinuousClock.now - probe.sent
        // Threads that ended meanwhile are left out.
        let spent = probe.cpu.reduce(Duration.zero) { total, thread in
            guard let now = Self.cpuTime(thread.0), now > thread.1 else { return total }
            return total + (now - thread.1)
        }
        if spent > poolHoldBound {
            Issue.record("the cooperative pool computed for \(spent) (more than \(poolHoldBound)) while a job waited \(waited) for it: a test held its threads; CPU-bound work belongs onOwnThread")
        }
    }

    /// A thread's CPU time so far, nil once it has ended.
    private static func cpuTime(_ clock: clockid_t) -> Duration? {
        var time = timespec()
        guard clock_gettime(clock, &time) == 0 else { return nil }
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}

/// Runs `body` on a thread of its own and resumes the caller when it returns. For a CPU-bound sweep
/// or a body that blocks for long (a tool's loop, a wait in real time): on the cooperative pool
/// (as many threads as CPUs: one under `taskset -c 0`) it would hold a thread that every other
/// test, and Swift Testing's own time-limit timers, wait for. `body` runs in the calling task, with
/// the thread as its task executor, so `#expect` and `#require` in it report to the running test.
func onOwnThread<T>(_ body: () throws -> T) async rethrows -> T {
    let thread = OwnThreadExecutor()
    defer { thread.finish() }
    return try await withTaskExecutorPreference(thread, isolation: nil) { try body() }
}

/// `onOwnThread` for a blocking body that a defect could hang where no cancellation reaches (a
/// blocking read that never returns): Swift Testing waits for a test's body to return even after
/// the test's time limit cancelled it, so such a hang would hold the whole run. Here the test ends
/// once cancelled, failing with its time limit's issue, and leaves the thread behind. `body` runs
/// in a task of its own on the thread, with the test's task-locals, so its `#expect`s report to the
/// test.
func onOwnThreadUntilCancelled(_ body: @escaping @Sendable () throws -> Void) async throws {
    let thread = OwnThreadExecutor()
    let outcome = FirstOutcome()
    Task(executorPreference: thread) {
        defer { thread.finish() }
        outcome.settle(Result { try body() })
    }
    try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { outcome.wait($0) }
    } onCancel: {
        outcome.settle(.failure(CancellationError()))
    }
}

/// `task`'s value, with the awaiting test's cancellation passed on to the task. An unstructured
/// task is not cancelled with the test that made it: when a defect hangs it and the test's time
/// limit cancels the test, awaiting `value` alone would hold the whole run until the task ended.
func valuePassingCancellation<Success: Sendable>(_ task: Task<Success, any Error>) async throws -> Success {
    try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
}

/// `valuePassingCancellation(_:)` for a task that cannot throw.
func valuePassingCancellation<Success: Sendable>(_ task: Task<Success, Never>) async -> Success {
    await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
}

/// The first of the outcomes it is given, handed to the one waiter.
private final class FirstOutcome: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var outcome: Result<Void, any Error>?
    private var waiter: CheckedContinuation<Void, any Error>?

    func settle(_ result: Result<Void, any Error>) {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
            guard outcome == nil else { return nil }
            outcome = result
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume(with: result)
    }

    func wait(_ continuation: CheckedContinuation<Void, any Error>) {
        let settled = lock.withLock { () -> Result<Void, any Error>? in
            if outcome == nil { waiter = continuation }
            return outcome
        }
        if let settled { continuation.resume(with: settled) }
    }
}

/// A task executor with one thread, which runs the jobs enqueued on it in order until `finish()`;
/// jobs enqueued after that go to the global executor. Also for a task whose progress a test
/// bounds in wall-clock time: on the cooperative pool, that time would include the wait behind
/// every job the suite has queued there.
final class OwnThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var finished = false

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "onOwnThread"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !finished else {
            condition.unlock()
            return globalConcurrentExecutor.enqueue(job)
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// The thread ends once the jobs already queued have run.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            guard !jobs.isEmpty else { return condition.unlock() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
