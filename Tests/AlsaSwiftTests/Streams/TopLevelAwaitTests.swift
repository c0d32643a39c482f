import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The async/blocking choice is made by name (`write` is async only; the blocking call is
/// `writeBlocking`), so top-level code that writes `try await stream.write(...)` cannot silently
/// block the main thread. The program in Tests/TopLevelAwait is such top-level code; it reports
/// where its write waited.
@Suite("Top-level await")
struct TopLevelAwaitTests {
    @Test("a top-level `try await stream.write` waits on the poll reactor, never by blocking the main thread")
    func topLevelAwaitReachesTheAsyncPath() async throws {
        let path = WAVTests.temporary("top-level-await.out")
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(output >= 0)
        defer { unlink(path) }
        let child = try SignalTests.Child("top-level-await", [], output: output)
        close(output)
        #expect(await child.wait(timeout: scaled(.seconds(30))))
        let printed = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(child.exitStatus == 0, "\(printed)")
        #expect(printed.contains("polls on the main thread 0, on the reactor thread"), "\(printed)")
    }
}
