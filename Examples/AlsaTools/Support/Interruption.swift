import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM ask the running tool to stop cleanly: the handler only sets a flag,
/// which the tool's loop checks between periods (its waits are bounded), so the stream is dropped
/// or drained and files are finished properly.
public enum Interruption {
    private static let flag = ManagedAtomic<Bool>(false)

    public static func install() {
        signal(SIGINT) { _ in Interruption.flag.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interruption.flag.store(true, ordering: .relaxed) }
    }

    public static var requested: Bool { flag.load(ordering: .relaxed) }

    /// Ask for a stop from inside the process (tests, a duration that ran out).
    public static func request() { flag.store(true, ordering: .relaxed) }
    public static func reset() { flag.store(false, ordering: .relaxed) }
}
