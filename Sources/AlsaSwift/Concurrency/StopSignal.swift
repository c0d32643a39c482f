import CAlsaKernel
import SystemPackage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The two signals that ask a process to stop, as an async app wants them: as the cancellation of
/// the work they should stop.
///
/// ```swift
/// if let signal = try await StopSignal.cancelling({ try await play(stream) }) {
///     print("stopped by \(signal)")
///     exit(signal.exitStatus)
/// }
/// ```
///
/// While `cancelling(_:)` runs, SIGINT (Ctrl-C) and SIGTERM cancel its operation instead of ending
/// the process: a stream's `await`s then end with `AlsaError.Kind.cancelled`, the app's own code
/// sees `Task.isCancelled`, and the operation can finish cleanly (drain or drop, close its file).
/// A second signal before the operation has ended takes the signal's default action and ends the
/// process at once: the way out of an operation that ignores cancellation. Outside any call the
/// process's own dispositions are in force again.
public enum StopSignal: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// SIGINT: Ctrl-C in a terminal.
    case interrupt
    /// SIGTERM: `kill`, systemd and container runtimes asking the process to end.
    case terminate

    /// The signal's number.
    public var number: Int32 { self == .interrupt ? SIGINT : SIGTERM }

    /// The status a shell reports for a process this signal ended, 128 + the signal's number (130
    /// for Ctrl-C, 143 for SIGTERM): the status an app stopped this way should exit with.
    public var exitStatus: Int32 { 128 + number }

    /// "SIGINT" or "SIGTERM".
    public var description: String { self == .interrupt ? "SIGINT" : "SIGTERM" }

    /// Puts signal `number` back to its default action and raises it again: a second stop signal
    /// ends the process at once. Async-signal-safe (sigaction and raise only), for handlers.
    package static func raiseWithDefaultAction(_ number: Int32) {
        var fallback = sigaction()
        fallback.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&fallback.sa_mask)
        sigaction(number, &fallback, nil)
        raise(number)
    }

    init?(number: Int32) {
        guard let signal = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = signal
    }

    /// Runs `operation`, cancelling it when the process receives SIGINT or SIGTERM. Returns the
    /// signal that cancelled it, or nil when it ended by itself. Once a signal has cancelled it,
    /// the error the operation ends with (a `CancellationError`, a cancelled stream call) is the
    /// stop, not a failure: the signal is returned instead. Any other error is rethrown.
    ///
    /// Calls may run at once, in several tasks: a signal cancels every one. The calling thread
    /// unblocks both signals, so that a process whose other threads all block them still receives
    /// them.
    ///
    /// The operation runs as a child task of the caller: it has the caller's priority, task-local
    /// values and task executor preference (a task that prefers a stream's `taskExecutor` keeps
    /// it), and the caller's cancellation reaches it at once.
    public static func cancelling(_ operation: sending @escaping () async throws -> Void) async throws -> StopSignal? {
        let registration = try StopSignalDispatch.register()
        defer { StopSignalDispatch.unregister(registration.id) }
        // `sending`: the caller has given it up, and the child below is the only code that calls
        // it, once. The region checker cannot follow it through the group's body closure.
        nonisolated(unsafe) let operation = operation
        return try await withThrowingTaskGroup(of: StopSignal?.self) { group in
            // A child, not a task of its own: cancelling the group cancels the operation and not
            // the caller, and the caller's cancellation needs no other task to run to reach it.
            group.addTask {
                try await operation()
                return nil
            }
            group.addTask {
                for await signal in registration.signals { return signal }
                return nil
            }
            var stoppedBy: StopSignal?
            var failure: (any Error)?
            while let result = await group.nextResult() {
                switch result {
                case .success(let signal):
                    if let signal, stoppedBy == nil { stoppedBy = signal }
                case .failure(let error):
                    if failure == nil { failure = error }
                }
                // The operation ended (the watcher has nothing more to wait for) or a signal
                // came: the other child must stop, and is waited for.
                group.cancelAll()
            }
            if let stoppedBy { return stoppedBy }
            if let failure { throw failure }
            return nil
        }
    }
}

/// The process-wide plumbing behind `StopSignal.cancelling`. The handler may only make
/// async-signal-safe calls, so it writes the signal's number to a pipe and does nothing more; a
/// thread of its own, started with the first call and kept for the life of the process, reads the
/// pipe and hands each signal to the calls registered then. The pipe is never closed, so the
/// handler never writes to a descriptor that has been reused.
enum StopSignalDispatch {
    /// The pipe's write end, -1 until the dispatch thread runs. Read by the handler.
    private static let writer = Atomic<Int32>(-1)
    /// Whether a signal has been handled since the handlers were installed: a second one then
    /// takes its default action. Read and set by the handler.
    private static let signalled = Atomic<Bool>(false)

    private struct Registry: ~Copyable {
        var started = false
        var nextID = 0
        var calls: [Int: AsyncStream<StopSignal>.Continuation] = [:]
        /// The dispositions in force before the first call installed the handler.
        var previous: (interrupt: sigaction, terminate: sigaction)?
    }
    private static let registry = Mutex(Registry())

    private static func startLocked(_ registry: inout Registry) throws(AlsaError) {
        guard !registry.started else { return }
        var ends: (Int32, Int32) = (-1, -1)
        let made = withUnsafeMutablePointer(to: &ends) {
            $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) }
        }
        guard made == 0 else { throw AlsaError(.poll, Errno(rawValue: errno), context: "the stop signals' pipe") }
        // The handler must never block: a full pipe drops the byte (the calls are cancelled by
        // the bytes already in it).
        _ = fcntl(ends.1, F_SETFL, fcntl(ends.1, F_GETFL) | O_NONBLOCK)
        let reader = ends.0
        let created = PollReactor.Host.system.startThread { dispatch(from: reader) }
        guard created == 0 else {
            close(ends.0)
            close(ends.1)
            throw AlsaError(.poll, Errno(rawValue: created), context: "the stop signals' thread")
        }
        writer.store(ends.1, ordering: .releasing)
        registry.started = true
    }

    /// A registered call: its id and the signals handed to it.
    struct Registration: Sendable {
        let id: Int
        let signals: AsyncStream<StopSignal>
    }

    /// Registers a call, installing the handlers for the first one.
    static func register() throws(AlsaError) -> Registration {
        let (signals, continuation) = AsyncStream<StopSignal>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = try registry.withLock { (registry) throws(AlsaError) -> Int in
            try startLocked(&registry)
            if registry.calls.isEmpty {
                signalled.store(false, ordering: .relaxed)
                registry.previous = (install(SIGINT), install(SIGTERM))
            }
            defer { registry.nextID += 1 }
            registry.calls[registry.nextID] = continuation
            return registry.nextID
        }
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGINT)
        sigaddset(&wanted, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        return Registration(id: id, signals: signals)
    }

    /// Ends a call's registration, putting the process's own dispositions back after the last.
    static func unregister(_ id: Int) {
        registry.withLock { registry in
            registry.calls.removeValue(forKey: id)?.finish()
            guard registry.calls.isEmpty, var previous = registry.previous else { return }
            sigaction(SIGINT, &previous.interrupt, nil)
            sigaction(SIGTERM, &previous.terminate, nil)
            registry.previous = nil
        }
    }

    /// Installs the handler for `number`; returns the disposition it replaced.
    private static func install(_ number: Int32) -> sigaction {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handle
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART  // the handler only posts: interrupted calls just go on
        var previous = sigaction()
        sigaction(number, &action, &previous)
        return previous
    }

    /// Async-signal-safe: atomics, write, sigaction and raise only.
    private static let handle: @convention(c) (Int32) -> Void = { number in
        if StopSignalDispatch.signalled.exchange(true, ordering: .relaxed) {
            StopSignal.raiseWithDefaultAction(number)
            return
        }
        StopSignalDispatch.post(number)
    }

    /// Writes the signal's number to the pipe (async-signal-safe).
    static func post(_ number: Int32) {
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(writer.load(ordering: .acquiring), &byte, 1)
    }

    /// The dispatch thread: reads each signal and hands it to every call registered now.
    private static func dispatch(from reader: Int32) {
        while true {
            var byte: UInt8 = 0
            let count = read(reader, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            guard let signal = StopSignal(number: Int32(byte)) else { continue }
            registry.withLock { registry in
                for call in registry.calls.values { call.yield(signal) }
            }
        }
    }
}
