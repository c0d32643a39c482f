import AlsaSwift
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `StopSignal.cancelling` without a signal: what an operation that ends by itself, fails, or
/// whose caller is cancelled gets. Real signals are sent to child processes instead
/// (`SignalTests`: alsa-mixer's monitor and alsa-midi's dump wait under it): one sent to this
/// process would also cancel other tests' calls, and meet the handlers in-process tool tests
/// install.
@Suite("Stop signals")
struct StopSignalTests {
    @Test("an operation that ends by itself returns nil, having run to its end")
    func endsByItself() async throws {
        let steps = ManagedCounter()
        let signal = try await StopSignal.cancelling {
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(1))
                steps.add()
            }
        }
        #expect(signal == nil)
        #expect(steps.value == 3)
    }

    @Test("an operation's own error is rethrown, not taken for a stop")
    func errorRethrown() async throws {
        await #expect(throws: AlsaError.self) {
            _ = try await StopSignal.cancelling { throw AlsaError(.open, .noDevice) }
        }
    }

    /// The operation is the caller's child; cancelling the caller must reach it, or an app's own
    /// cancellation would leave it running. Cancelled at once: whether the operation has begun by
    /// then or not, only its cancellation can end its hour-long sleep.
    ///
    /// The caller runs on a thread of its own, and every step of the call must stay there. On
    /// the cooperative pool the bound measured the pool's queue instead: in a full suite on one
    /// CPU the caller's first job waited 27 to 32 s behind the other tests' jobs, and the call
    /// ended 44 to 56 s after the cancel, past the 30 s bound (3 runs in 4 failed; never alone).
    @Test("cancelling the caller cancels the operation, and the call ends")
    func callerCancelled() async throws {
        let thread = OwnThreadExecutor()
        defer { thread.finish() }
        let ended = ManagedCounter()
        let threads = ManagedList()
        let caller = Task(executorPreference: thread) { () -> Bool in
            defer { ended.add() }
            threads.append(pthread_self())
            do {
                _ = try await StopSignal.cancelling {
                    threads.append(pthread_self())
                    defer { threads.append(pthread_self()) }
                    try await Task.sleep(for: .seconds(3_600))
                }
                return false
            } catch is CancellationError {
                return true
            } catch {
                return false
            }
        }
        caller.cancel()
        #expect(await eventually { ended.value == 1 }, "the cancelled call never ended")
        guard ended.value == 1 else { return }
        #expect(await caller.value, "the operation did not end with its cancellation")
        let seen = threads.all
        #expect(seen.count == 3 && seen.allSatisfy { pthread_equal($0, seen[0]) != 0 },
                "a step of the call left the caller's thread for the cooperative pool: \(seen)")
    }

    /// An app that runs its audio on a stream's `taskExecutor` and wraps it in `cancelling` must
    /// keep that executor: the operation is a child task, which inherits it, where a task of its
    /// own (as before) ran on the cooperative pool.
    @Test("the operation runs on the caller's task executor, before and after its awaits")
    func operationKeepsExecutor() async throws {
        let thread = OwnThreadExecutor()
        defer { thread.finish() }
        let threads = ManagedList()
        let signal = try await Task(executorPreference: thread) { () -> StopSignal? in
            threads.append(pthread_self())
            return try await StopSignal.cancelling {
                threads.append(pthread_self())
                try await Task.sleep(for: .milliseconds(1))
                threads.append(pthread_self())
            }
        }.value
        #expect(signal == nil)
        let seen = threads.all
        #expect(seen.count == 3 && seen.allSatisfy { pthread_equal($0, seen[0]) != 0 },
                "the operation left the caller's executor: \(seen)")
    }

    @Test("the exit status a shell reports for each signal, and its name")
    func statuses() {
        #expect(StopSignal.interrupt.number == SIGINT && StopSignal.interrupt.exitStatus == 130)
        #expect(StopSignal.terminate.number == SIGTERM && StopSignal.terminate.exitStatus == 143)
        #expect("\(StopSignal.interrupt), \(StopSignal.terminate)" == "SIGINT, SIGTERM")
    }
}

/// The threads an operation ran on, in order.
private final class ManagedList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [pthread_t] = []
    func append(_ item: pthread_t) { lock.withLock { items.append(item) } }
    var all: [pthread_t] { lock.withLock { items } }
}
