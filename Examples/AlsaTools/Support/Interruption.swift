import AlsaSwift
import ArgumentParser
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM ask the running tool to stop cleanly: the handler only sets a flag,
/// which the tool's loop checks between periods (its waits are bounded), so the stream is dropped
/// or drained and files are finished properly.
///
/// The handlers are installed with sigaction and without SA_RESTART: a blocking call (the open of a
/// FIFO that has no writer, a transfer on a stalled device, a write to a full pipe) then fails with
/// EINTR and the tool sees the flag, where `signal()` would have the kernel restart the call and
/// the signal change nothing. The kernel may deliver a process-directed signal to any thread, so a
/// handler running on another thread forwards it to the thread that installed the handlers, whose
/// blocking call is the one that must end. A second signal while the first is being acted on ends
/// the process at once, with the signal's default action: the way out of a call that retries on
/// EINTR by itself.
///
/// A signal that lands after the tool checked the flag but before it entered its blocking call
/// interrupts nothing, and the call would block for ever. So the first signal also starts an
/// interval timer: from then on SIGALRM interrupts the handlers' thread every 20 ms, and a
/// blocking call entered in that window fails with EINTR within one interval, with the flag
/// already set. Code that retries EINTR while no stop was asked is unaffected until the stop.
package enum Interruption {
    private static let flag = Atomic<Bool>(false)
    /// The signal that asked for the stop, 0 when none did (or `request()` did).
    private static let signalNumber = Atomic<Int32>(0)
    /// The thread that installed the handlers (a `pthread_t`, an integer on Linux).
    private static let target = Atomic<UInt>(0)

    package static func install() {
        // The statics are initialised lazily, which is not async-signal-safe; touching them here
        // leaves only atomic loads and stores for the handler.
        _ = flag.load(ordering: .relaxed)
        _ = signalNumber.load(ordering: .relaxed)
        target.store(UInt(pthread_self()), ordering: .releasing)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handle
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: the point of this type
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        var reminder = sigaction()
        reminder.__sigaction_handler.sa_handler = remind
        sigemptyset(&reminder.sa_mask)
        reminder.sa_flags = 0  // no SA_RESTART either: interrupting is all it is for
        sigaction(SIGALRM, &reminder, nil)
        // A parent may start the tool with these signals blocked (the mask survives exec; a
        // dispatch worker thread blocks nearly all): unblocked here, or they would stay pending.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGINT)
        sigaddset(&wanted, SIGTERM)
        sigaddset(&wanted, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
    }

    /// Async-signal-safe: atomics, pthread_self, pthread_kill, sigaction, raise and setitimer only.
    private static let handle: @convention(c) (Int32) -> Void = { number in
        let owner = Interruption.target.load(ordering: .acquiring)
        if owner != 0 && pthread_equal(pthread_self(), pthread_t(owner)) == 0 {
            _ = pthread_kill(pthread_t(owner), number)
            return
        }
        if Interruption.flag.exchange(true, ordering: .relaxed) {
            StopSignal.raiseWithDefaultAction(number)
            return
        }
        Interruption.signalNumber.store(number, ordering: .relaxed)
        // setitimer is a plain system call on Linux, safe in a handler. The interval is a literal:
        // a static would be initialised lazily, which a handler must not do.
        let period = timeval(tv_sec: 0, tv_usec: 20_000)
        var timer = itimerval(it_interval: period, it_value: period)
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
    }

    /// SIGALRM from the reminder timer: its only job is to interrupt the handlers' thread (see the
    /// type's documentation), so it forwards a delivery that landed elsewhere and does nothing more.
    private static let remind: @convention(c) (Int32) -> Void = { number in
        let owner = Interruption.target.load(ordering: .acquiring)
        if owner != 0 && pthread_equal(pthread_self(), pthread_t(owner)) == 0 {
            _ = pthread_kill(pthread_t(owner), number)
        }
    }

    package static var requested: Bool { flag.load(ordering: .relaxed) }

    /// The status a tool ends with when interrupted: 128 + the signal, as a shell reports a process
    /// the signal killed (130 for Ctrl-C, 143 for SIGTERM); 130 for a stop asked from inside.
    package static var exitCode: ExitCode {
        let number = signalNumber.load(ordering: .relaxed)
        return ExitCode(128 + (number == 0 ? SIGINT : number))
    }

    /// Runs a tool's body. An error thrown once a stop was asked (a blocking call that the signal
    /// ended with EINTR, and what follows from it) ends the tool as interrupted, not as a failure.
    package static func running(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            if requested { throw exitCode }
            throw error
        }
    }

    /// `running(_:)` for a tool whose body is async (alsa-mixer, alsa-midi): once a stop was asked,
    /// whatever the body threw, or its return, ends the tool as interrupted.
    package static func running(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            if requested { throw exitCode }
            throw error
        }
        if requested { throw exitCode }
    }

    /// Runs `body` cancelled by Ctrl-C or SIGTERM through the library's `StopSignal`, for a tool
    /// that waits in async code (alsa-mixer's monitor, alsa-midi's dump), where no EINTR reaches
    /// the wait. A signal that stopped it is this tool's stop: `requested` turns true, and
    /// `running(_:)` ends the tool with 128 + the signal.
    package static func cancellingOnStop<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        let signal = try await StopSignal.cancelling {
            let value = try await body()
            result.withLock { $0 = value }
        }
        if let signal {
            signalNumber.store(signal.number, ordering: .relaxed)
            flag.store(true, ordering: .relaxed)
            throw CancellationError()
        }
        guard let value = result.withLock({ $0 }) else { throw CancellationError() }
        return value
    }

    /// Ask for a stop from inside the process (tests, a duration that ran out).
    package static func request() { flag.store(true, ordering: .relaxed) }
    package static func reset() {
        flag.store(false, ordering: .relaxed)
        signalNumber.store(0, ordering: .relaxed)
    }
}
