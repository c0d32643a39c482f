import Testing

/// The test support's own promises, where a broken helper would make other tests pass or hang.
@Suite("Test support", .hangTimeLimit)
struct TestSupportTests {
    /// A test cancelled by its time limit must cancel the unstructured task it awaits, or a hung
    /// task holds the run. Without the handler, the task below sleeps its minute out and succeeds.
    @Test("awaiting a task's value passes the waiter's cancellation on to the task")
    func cancellationReachesTheTask() async {
        let sleeper = Task { () async throws -> Void in try await Task.sleep(for: .seconds(60)) }
        let waiter = Task { try await valuePassingCancellation(sleeper) }
        waiter.cancel()
        let outcome = await sleeper.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        let waited = await waiter.result
        #expect(throws: CancellationError.self) { try waited.get() }
    }
}
