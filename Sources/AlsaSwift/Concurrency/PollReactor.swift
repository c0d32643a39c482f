import SystemPackage

#if canImport(Glibc)
import Glibc
import CAlsaKernel
#endif

/// One thread per kernel that waits in poll(2) for every suspended `async` PCM operation at once,
/// and resumes each task when its descriptors report events. No thread per wait, no busy-waiting:
/// the thread sleeps in the kernel until a device is ready or its pipe wakes it (a new waiter, a
/// cancellation, the last stream going). It goes through the kernel seam, so the simulated kernel
/// serves it too. (One reactor per kernel, not per process: a simulated kernel's descriptors mean
/// nothing to the machine's poll, nor the machine's to a simulated one.)
///
/// Nothing is kept per kernel for longer than it is used: streams hold a `Lease`; when the last
/// lease of a kernel goes, its reactor leaves the registry, its thread ends at once and its pipe is
/// closed. The thread also ends after a while with nobody waiting, and starts again on demand.
/// Running out of descriptors or threads is an `AlsaError`, never a crash.
///
/// The reactor is also a `TaskExecutor` (the streams' `taskExecutor`): its own thread runs the jobs
/// enqueued on it between poll rounds, from a queue allocated up front. A task that prefers it
/// (`Task(executorPreference:)`, `withTaskExecutorPreference`) is resumed by the reactor onto that
/// queue and runs on the reactor's thread, with no allocation. A task on the global executor is
/// resumed through libdispatch from a thread that is not one of its workers, and libdispatch takes
/// a continuation from the heap for each such resume (`_dispatch_continuation_alloc_from_heap`).
/// The preference cannot be taken inside the wait alone: the task would hop back to the global
/// executor as the wait returns, from this thread, which allocates the same way. With no thread
/// running (none started yet, it ended, or it could not start), jobs go to the global executor.
final class PollReactor: TaskExecutor, Sendable {
    /// One suspended task: where its descriptors are (owned by the task's stream, which stays
    /// alive while the task is suspended) and how to resume it. Only the reactor touches the
    /// descriptors while the task is suspended, hence the unchecked Sendable.
    private struct Waiter: @unchecked Sendable {
        let id: UInt64
        let descriptors: UnsafeMutableBufferPointer<pollfd>
        /// When the wait ends with `.timedOut` if nothing happened before; nil: never.
        let deadline: MonotonicInstant?
        let continuation: UnsafeContinuation<Outcome, Never>
    }

    /// How a wait ended.
    enum Outcome: Sendable, Equatable {
        /// The descriptors have events (their `revents` are filled in), or poll failed and the
        /// stream should look at its PCM itself.
        case ready
        /// The deadline passed with no event.
        case timedOut
        case cancelled
        /// No thread could be started to wait (pthread_create's error).
        case failed(Errno)
    }

    /// The host resources a reactor takes. Tests substitute failing ones to see the typed errors
    /// that running out of descriptors or threads gives.
    struct Host: Sendable {
        /// A non-blocking, close-on-exec pipe (read end, write end), or the errno.
        var makePipe: @Sendable () -> Result<(Int32, Int32), Errno>
        /// Starts a detached thread running `body`; 0 or pthread_create's error number.
        var startThread: @Sendable (_ body: @escaping @Sendable () -> Void) -> Int32
        /// How long the thread lingers with nobody waiting before it ends.
        var idleTimeout: Duration = .seconds(2)
        /// Runs as a wait is about to register its task: a test cancels the task here, where a
        /// cancellation that comes before the registration must still end the wait.
        var willRegister: @Sendable () -> Void = {}

        static let system = Host(
            makePipe: {
                var ends: (Int32, Int32) = (-1, -1)
                let made = withUnsafeMutablePointer(to: &ends) {
                    // Close-on-exec from the start: pipe() then FD_CLOEXEC would leave a window in
                    // which a fork/exec on another thread of the app inherits the ends.
                    $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) }
                }
                guard made == 0 else { return .failure(Errno(rawValue: errno)) }
                for end in [ends.0, ends.1] {
                    _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
                }
                return .success(ends)
            },
            startThread: { body in
                let context = Unmanaged.passRetained(Box(body)).toOpaque()
                var thread = pthread_t()
                var attributes = pthread_attr_t()
                pthread_attr_init(&attributes)
                pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
                let created = pthread_create(&thread, &attributes, { context in
                    guard let context else { return nil }
                    Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
                    return nil
                }, context)
                pthread_attr_destroy(&attributes)
                if created != 0 { Unmanaged<Box>.fromOpaque(context).release() }
                return created
            })

        private final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
    }

    private struct State: ~Copyable {
        var waiters: [Waiter] = []
        var nextID: UInt64 = 1
        var threadRunning = false
        /// The running thread, to tell its own calls (no wake-up needed) from other threads'.
        var thread: pthread_t?
        /// Jobs enqueued on this executor, run by the thread in order: a ring, grown (doubled) only
        /// when more are pending at once than ever before.
        var jobs = UnsafeMutableBufferPointer<UnownedJob>.allocate(capacity: 16)
        var firstJob = 0
        var jobCount = 0
        /// The continuations of the waiters a round found ready or past their deadline, and how each
        /// wait ended, resumed after the lock is let go (resuming enqueues a job here, under this
        /// lock); grown on demand, reused between rounds.
        var ready = UnsafeMutableBufferPointer<(UnsafeContinuation<Outcome, Never>, Outcome)>.allocate(capacity: 16)
        /// Leases held; 0 once the last stream went, and the thread must end.
        var users = 0
        /// The poll set the thread builds; grown on demand, reused between rounds.
        var pollSet = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: 16)
        /// Which waiter's descriptors sit where in `pollSet` this round.
        var polled: [(id: UInt64, position: Int)] = []
        /// The running thread's kernel id (tests look for it in /proc), 0 when none runs.
        var threadID: pid_t = 0

        // Here rather than in the reactor's deinit, so that a reactor whose init fails (no pipe)
        // frees it too.
        deinit {
            pollSet.deallocate()
            jobs.deallocate()
            ready.deallocate()
        }

        mutating func pushJob(_ job: UnownedJob) {
            if jobCount == jobs.count {
                let grown = UnsafeMutableBufferPointer<UnownedJob>.allocate(capacity: jobs.count * 2)
                for k in 0..<jobCount { (grown.baseAddress! + k).initialize(to: jobs[(firstJob + k) % jobs.count]) }
                jobs.deallocate()
                jobs = grown
                firstJob = 0
            }
            (jobs.baseAddress! + (firstJob + jobCount) % jobs.count).initialize(to: job)
            jobCount += 1
        }

        mutating func popJob() -> UnownedJob? {
            guard jobCount > 0 else { return nil }
            let job = (jobs.baseAddress! + firstJob).move()
            firstJob = (firstJob + 1) % jobs.count
            jobCount -= 1
            return job
        }

        var onThread: Bool {
            guard let thread else { return false }
            return pthread_equal(thread, pthread_self()) != 0
        }
    }

    private let kernel: any KernelInterface
    private let host: Host
    /// A pipe: the thread polls the read end; anyone writes a byte to the other to wake it.
    let wakeup: Int32
    private let wakeupWriter: Int32
    private let state = HostLock(State())

    /// The reactors of kernels that have a stream, by kernel. Held strongly while leased, removed
    /// by the last lease's release.
    private static let registry = HostLock<[ObjectIdentifier: PollReactor]>([:])

    /// A stream's hold on its kernel's reactor, created with it if needed; releasing the last one
    /// retires the reactor.
    final class Lease: Sendable {
        let reactor: PollReactor
        fileprivate init(_ reactor: PollReactor) { self.reactor = reactor }
        deinit { reactor.release() }

        nonisolated(nonsending) func wait(for descriptors: UnsafeMutableBufferPointer<pollfd>,
                                          until deadline: MonotonicInstant? = nil) async -> Outcome {
            await reactor.wait(for: descriptors, until: deadline)
        }
    }

    /// A lease on the reactor of `kernel`. Throws when a new reactor cannot get its pipe.
    static func lease(for kernel: any KernelInterface, host: Host = .system) throws(AlsaError) -> Lease {
        try registry.withLock { (reactors) throws(AlsaError) -> Lease in
            let reactor: PollReactor
            if let existing = reactors[ObjectIdentifier(kernel)] {
                reactor = existing
            } else {
                reactor = try PollReactor(kernel: kernel, host: host)
                reactors[ObjectIdentifier(kernel)] = reactor
            }
            reactor.state.withLock { $0.users += 1 }
            return Lease(reactor)
        }
    }

    /// Reactors currently registered (kernels with at least one stream).
    static var registeredCount: Int { registry.withLock { $0.count } }

    private init(kernel: any KernelInterface, host: Host) throws(AlsaError) {
        self.kernel = kernel
        self.host = host
        switch host.makePipe() {
        case .success(let ends): (wakeup, wakeupWriter) = ends
        case .failure(let errno): throw AlsaError(.poll, errno, context: "the poll reactor cannot make its wake-up pipe")
        }
    }

    deinit {
        Glibc.close(wakeup)
        Glibc.close(wakeupWriter)
    }

    private func release() {
        let last = Self.registry.withLock { reactors in
            let last = state.withLock { s -> Bool in
                s.users -= 1
                return s.users == 0
            }
            if last { reactors[ObjectIdentifier(kernel)] = nil }
            return last
        }
        // The thread, if any, sees nobody left and ends now rather than after its idle time.
        if last { wake() }
    }

    /// The running thread's kernel id, 0 when none runs.
    var threadID: pid_t { state.withLock { $0.threadID } }

    /// Tasks suspended in `wait` now. Tests wait for their task to be here before they cause the
    /// event it waits for, instead of pausing and hoping it got there.
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Suspends until one of `descriptors` has events (their `revents` are then filled in), the
    /// deadline passes (none: no limit; no descriptors and a deadline: a sleep), the task is
    /// cancelled, or no thread can be started to wait.
    nonisolated(nonsending) func wait(for descriptors: UnsafeMutableBufferPointer<pollfd>,
                                      until deadline: MonotonicInstant? = nil) async -> Outcome {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        let outcome = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Outcome, Never>) in
                host.willRegister()
                // Cancellation is looked at under the lock the handler takes: a cancel that lands
                // before the waiter is in the list finds none to remove, so the wait must see it
                // here, or it would wait for ever.
                let registered = state.withLock { s -> (startThread: Bool, onThread: Bool)? in
                    if Task.isCancelled { return nil }
                    s.waiters.append(Waiter(id: id, descriptors: descriptors, deadline: deadline, continuation: continuation))
                    defer { s.threadRunning = true }
                    return (!s.threadRunning, s.onThread)
                }
                guard let (startThread, onThread) = registered else {
                    continuation.resume(returning: .cancelled)
                    return
                }
                // The thread itself builds its next poll set after this job: no wake-up needed.
                guard startThread else { return onThread ? () : wake() }
                // The thread holds the reactor while it runs: its pipe stays open until it ends.
                let created = host.startThread { [self] in run() }
                guard created != 0 else { return }
                // Every waiter fails, not only this one: any that came meanwhile counted on this thread.
                // So did jobs other threads enqueued meanwhile: they go to the global executor, or
                // they would wait for whichever later wait starts a thread. All of it outside the lock:
                // with no thread, the waiters' jobs go to the global executor too.
                let (failed, queued) = state.withLock { s -> ([Waiter], [UnownedJob]) in
                    s.threadRunning = false
                    defer { s.waiters.removeAll() }
                    var queued: [UnownedJob] = []
                    while let job = s.popJob() { queued.append(job) }
                    return (s.waiters, queued)
                }
                for job in queued { globalConcurrentExecutor.enqueue(job) }
                for waiter in failed { waiter.continuation.resume(returning: .failed(Errno(rawValue: created))) }
            }
        } onCancel: {
            let cancelled = state.withLock { s -> UnsafeContinuation<Outcome, Never>? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            cancelled?.resume(returning: .cancelled)
            wake()
        }
        // The poller filled in the descriptors' events under the lock before resuming: taking it
        // once here orders those writes before the caller's reads, in the memory model's terms
        // and so for ThreadSanitizer, not only through the scheduler.
        state.withLock { _ in }
        return outcome
    }

    /// The calling thread's kernel id, from /proc/thread-self (glibc's gettid is not visible to
    /// Swift); 0 when /proc is not mounted.
    static func currentThreadID() -> pid_t {
        var link = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // "<pid>/task/<tid>" fits in 32 bytes
        return withUnsafeMutableBytes(of: &link) { bytes -> pid_t in
            let length = readlink("/proc/thread-self", bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
            guard length > 0 else { return 0 }
            var id: pid_t = 0
            for byte in bytes[..<length] {
                if byte == UInt8(ascii: "/") { id = 0 } else { id = id &* 10 &+ pid_t(byte) &- 48 }
            }
            return id
        }
    }

    /// Queues a resumed task for the reactor's thread; with no thread running (none could be
    /// started, or it is ending), hands it to the global executor instead.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let queued = state.withLock { s -> (queued: Bool, wake: Bool) in
            guard s.threadRunning else { return (false, false) }
            s.pushJob(unowned)
            return (true, !s.onThread)
        }
        if queued.wake { wake() }
        if !queued.queued { globalConcurrentExecutor.enqueue(unowned) }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeupWriter, &byte, 1)
    }

    /// The thread: poll everything, resume whoever is ready, repeat.
    private func run() {
        let id = Self.currentThreadID()
        state.withLock {
            $0.threadID = id
            $0.thread = pthread_self()
        }
        let executor = asUnownedTaskExecutor()
        while true {
            // The tasks resumed last round (and any enqueued from elsewhere) run first, each until
            // it suspends again: a stream's next wait joins the set built below.
            while let job = state.withLock({ $0.popJob() }) { job.runSynchronously(on: executor) }
            // Build the set: the pipe first, then each waiter's descriptors in order.
            let (set, count, deadline) = state.withLock { s -> (UnsafeMutableBufferPointer<pollfd>, Int, MonotonicInstant?) in
                let needed = 1 + s.waiters.reduce(0) { $0 + $1.descriptors.count }
                if needed > s.pollSet.count {
                    s.pollSet.deallocate()
                    s.pollSet = .allocate(capacity: needed * 2)
                }
                s.pollSet[0] = pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0)
                s.polled.removeAll(keepingCapacity: true)
                var i = 1
                for waiter in s.waiters {
                    s.polled.append((waiter.id, i))
                    for d in waiter.descriptors {
                        s.pollSet[i] = pollfd(fd: d.fd, events: d.events, revents: 0)
                        i += 1
                    }
                }
                let deadline = s.waiters.lazy.compactMap(\.deadline).min()
                return (s.pollSet, needed, deadline)
            }
            let idle = count == 1 && deadline == nil
            var ready: Int32 = 0
            var failed = false
            if let base = set.baseAddress {
                do {
                    ready = try kernel.poll(base, count: count, timeout: idle ? host.idleTimeout : Self.timeout(until: deadline))
                } catch {
                    // EINTR: go round. Anything else: hand the waiters back their (empty) events so
                    // each task looks at its PCM itself and reports what is wrong.
                    failed = error != .interrupted
                }
            }
            if !failed && set[0].revents != 0 {
                var drained = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                while Glibc.read(wakeup, &drained, 32) == 32 {}
            }
            // The ready waiters' continuations are collected under the lock and resumed after it:
            // resuming enqueues the task on this executor, which takes the lock. The buffer is
            // reused, so a round allocates nothing.
            let (keepRunning, resumable) = state.withLock { s -> (Bool, Int) in
                // Nobody waits or is queued, and either nobody holds a lease any more or the idle
                // time ran out. After a failed poll too: a thread that keeps failing with nobody to
                // tell must not spin.
                if s.waiters.isEmpty && s.jobCount == 0 && (s.users == 0 || failed || (idle && ready == 0)) {
                    s.threadRunning = false
                    s.threadID = 0
                    s.thread = nil
                    return (false, 0)
                }
                if s.ready.count < s.waiters.count {
                    s.ready.deallocate()
                    s.ready = .allocate(capacity: s.waiters.count * 2)
                }
                var count = 0
                if failed {
                    for waiter in s.waiters {
                        (s.ready.baseAddress! + count).initialize(to: (waiter.continuation, .ready))
                        count += 1
                    }
                    s.waiters.removeAll(keepingCapacity: true)
                    return (true, count)
                }
                // Past their deadline with no event: polled or not this round, they end now.
                if deadline != nil {
                    let now = MonotonicInstant.now
                    var index = 0
                    while index < s.waiters.count {
                        let waiter = s.waiters[index]
                        if let due = waiter.deadline, due <= now,
                           !(s.polled.first(where: { $0.id == waiter.id }).map({ position in
                               s.pollSet[position.position..<position.position + waiter.descriptors.count].contains { $0.revents != 0 }
                           }) ?? false) {
                            s.waiters.remove(at: index)
                            (s.ready.baseAddress! + count).initialize(to: (waiter.continuation, .timedOut))
                            count += 1
                        } else {
                            index += 1
                        }
                    }
                }
                // Match by id: waiters cancelled meanwhile are gone, ones added meanwhile were not
                // polled this round and simply stay.
                for (id, position) in s.polled {
                    guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { continue }
                    let waiter = s.waiters[index]
                    let events = UnsafeMutableBufferPointer(rebasing: s.pollSet[position..<position + waiter.descriptors.count])
                    guard events.contains(where: { $0.revents != 0 }) else { continue }
                    for k in 0..<events.count { waiter.descriptors[k].revents = events[k].revents }
                    s.waiters.remove(at: index)
                    (s.ready.baseAddress! + count).initialize(to: (waiter.continuation, .ready))
                    count += 1
                }
                return (true, count)
            }
            // Idle long enough, or retired: this thread ends (a later waiter starts another).
            guard keepRunning else { return }
            // Only this thread uses `ready`, and it grows only under the lock above.
            let continuations = state.withLock { $0.ready }
            for k in 0..<resumable {
                let (continuation, outcome) = (continuations.baseAddress! + k).move()
                continuation.resume(returning: outcome)
            }
        }
    }

    /// poll(2)'s timeout for the earliest deadline: -1 for none, whole milliseconds rounded up so
    /// that the thread never wakes before it, at most a day (poll's argument is 32 bits).
    private static func timeout(until deadline: MonotonicInstant?) -> Duration? {
        guard let deadline else { return nil }
        return max(min(deadline - MonotonicInstant.now, .seconds(86_400)), .zero)
    }
}
