#if canImport(Glibc)
import Glibc
#endif

/// The measured window's two markers, made the same way by every benchmark loop (AlsaSwift's and
/// its alsa-lib twin): system calls that do nothing, which strace shows with their argument and
/// which callgrind can be told to act on, each through a function of its own (`access` at the
/// start, `faccessat` at the end), so that callgrind zeroes its counters at the start and writes
/// them out at the end without writing a file while the stream runs. Kernel calls are counted
/// between them: set-up, warm-up, drain and teardown are left out.
public enum Window {
    public static func start() { _ = access("alsa-loop:window-start", F_OK) }
    public static func end() { _ = faccessat(AT_FDCWD, "alsa-loop:window-end", F_OK, 0) }
}

/// The heap allocations counted so far by the preloaded interposer (Benchmarks/MallocCount), or nil
/// without it. Reading it is a call through a function pointer: no allocation, no lock.
public enum Allocations {
    private typealias Counter = @convention(c) () -> UInt
    private static let counter: Counter? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_count_calls") else { return nil }
        return unsafeBitCast(symbol, to: Counter.self)
    }()
    public static var count: UInt? { counter?() }
}
