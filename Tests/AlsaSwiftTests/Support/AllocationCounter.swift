import AllocationCounting
import AlsaSwift
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// This thread's heap allocations, as the test executable's counting allocator
/// (Tests/AllocationCounting) sees them: every malloc, calloc, realloc and aligned allocation the
/// thread made outside `uncounted(_:)`, whoever called it (Swift runtime, soxr, glibc). Other
/// threads' allocations, the tests running in parallel included, are theirs.
enum Allocations {
    /// Whether this build counts: not under AddressSanitizer or ThreadSanitizer, whose runtimes
    /// interpose malloc themselves, nor off glibc (the counting allocator is then not compiled).
    static let areCounted = allocation_counting_built() != 0

    /// Why the counting tests skip, for their `.enabled(if:)` trait.
    static let skipReason: Comment = "allocations are not counted in this build: a sanitizer's runtime interposes malloc itself (or the C library is not glibc)"

    /// This thread's count so far. Reading it allocates nothing.
    static var count: Int { Int(allocation_count()) }

    /// Whether the counting tests write the stack of every allocation they count (to standard
    /// error): ALSASWIFT_TRACE_ALLOCATIONS=1, to find what allocated when one fails.
    static let traced = getenv("ALSASWIFT_TRACE_ALLOCATIONS").map { String(cString: $0) == "1" } ?? false

    /// This thread's count now, and from now on its allocations traced if `traced`: the start of a
    /// counted window.
    static func windowStart() -> Int {
        if traced { allocation_counting_trace(1) }
        return count
    }

    /// The allocations since `start` (a `windowStart()` of this thread); tracing stops.
    static func windowEnd(_ start: Int) -> Int {
        let end = count
        allocation_counting_trace(0)
        return end - start
    }

    /// The allocations `body` makes on this thread in `window` calls after `warmup` calls (the
    /// first calls instantiate generic metadata and fill caches; they are not the steady state).
    static func steadyState(warmup: Int, window: Int, _ body: () throws -> Void) rethrows -> Int {
        for _ in 0..<warmup { try body() }
        let start = windowStart()
        for _ in 0..<window { try body() }
        return windowEnd(start)
    }

    /// Runs `body` without counting this thread's allocations in it.
    static func uncounted<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        allocation_counting_pause()
        defer { allocation_counting_resume() }
        return try body()
    }
}

/// A kernel that forwards every seam call to another and leaves the allocations made inside it out
/// of the calling thread's count: a simulated kernel's model of the device (its traces, its
/// records) is not the audio path, and a real kernel's system calls allocate nothing in the
/// process. Everything the library does around the calls is counted.
final class UncountedKernel: ForwardingKernel, @unchecked Sendable {
    override func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor {
        try Allocations.uncounted { () throws(Errno) in try super.open(path, flags: flags) }
    }
    override func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) {
        try Allocations.uncounted { () throws(Errno) in try super.setNonBlocking(fd, nonBlocking) }
    }
    override func close(_ fd: FileDescriptor) throws(Errno) {
        try Allocations.uncounted { () throws(Errno) in try super.close(fd) }
    }
    override func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try Allocations.uncounted { () throws(Errno) in try super.ioctl(fd, request, argument) }
    }
    override func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try Allocations.uncounted { () throws(Errno) in try super.mmap(fd, length: length, protection: protection, offset: offset) }
    }
    override func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        try Allocations.uncounted { () throws(Errno) in try super.munmap(address, length: length) }
    }
    override func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        try Allocations.uncounted { () throws(Errno) in try super.poll(descriptors, count: count, timeout: timeout) }
    }
    override func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try Allocations.uncounted { () throws(Errno) in try super.read(fd, into: buffer) }
    }
    override func write(_ fd: FileDescriptor, from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try Allocations.uncounted { () throws(Errno) in try super.write(fd, from: bytes) }
    }
    override func inotifyInit() throws(Errno) -> FileDescriptor {
        try Allocations.uncounted { () throws(Errno) in try super.inotifyInit() }
    }
    override func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        try Allocations.uncounted { () throws(Errno) in try super.inotifyAddWatch(fd, path: path, mask: mask) }
    }
    override func timerCreate() throws(Errno) -> FileDescriptor {
        try Allocations.uncounted { () throws(Errno) in try super.timerCreate() }
    }
    override func timerSet(_ fd: FileDescriptor, deadline: MonotonicInstant?) throws(Errno) {
        try Allocations.uncounted { () throws(Errno) in try super.timerSet(fd, deadline: deadline) }
    }
}
