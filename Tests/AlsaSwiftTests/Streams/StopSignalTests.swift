import AlsaSwift
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

    /// The operation runs in a task of its own; cancelling the caller must reach it, or an app's
    /// own cancellation would leave it running. Cancelled at once: whether the operation has begun
    /// by then or not, only its cancellation can end its hour-long sleep.
    @Test("cancelling the caller cancels the operation, and the call ends")
    func callerCancelled() async throws {
        let ended = ManagedCounter()
        let caller = Task { () -> Bool in
            defer { ended.add() }
            do {
                _ = try await StopSignal.cancelling { try await Task.sleep(for: .seconds(3_600)) }
                return false
            } catch is CancellationError {
                return true
            } catch {
                return false
            }
        }
        caller.cancel()
        #expect(await eventually { ended.value == 1 }, "the cancelled call never ended")
        if ended.value == 1 { #expect(await caller.value, "the operation did not end with its cancellation") }
    }

    @Test("the exit status a shell reports for each signal, and its name")
    func statuses() {
        #expect(StopSignal.interrupt.number == SIGINT && StopSignal.interrupt.exitStatus == 130)
        #expect(StopSignal.terminate.number == SIGTERM && StopSignal.terminate.exitStatus == 143)
        #expect("\(StopSignal.interrupt), \(StopSignal.terminate)" == "SIGINT, SIGTERM")
    }
}
