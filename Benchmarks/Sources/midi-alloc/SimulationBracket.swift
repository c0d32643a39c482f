import AlsaSwift
import BenchmarkSupport
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A kernel that forwards every call to the simulated one and measures what the simulation itself
/// costs: the heap allocations (the LD_PRELOAD counter read before and after each call) and the
/// CLOCK_MONOTONIC time inside its calls. The simulated kernel is Swift code in this process, so
/// its allocations would otherwise count as the library's; bracketing each call separates them.
final class SimulationBracket: KernelInterface, Sendable {
    private let inner: any KernelInterface
    private let allocations = Atomic<Int>(0)
    private let nanoseconds = Atomic<Int>(0)

    init(_ inner: any KernelInterface) { self.inner = inner }

    /// Allocations and nanoseconds spent inside the simulation so far.
    var spent: (allocations: Int, nanoseconds: Int) {
        (allocations.load(ordering: .relaxed), nanoseconds.load(ordering: .relaxed))
    }

    private func bracket<Result>(_ call: () throws(Errno) -> Result) throws(Errno) -> Result {
        let startCount = Allocations.count ?? 0
        let start = Clock.nanoseconds()
        defer {
            nanoseconds.wrappingAdd(Clock.nanoseconds() - start, ordering: .relaxed)
            allocations.wrappingAdd(Int(truncatingIfNeeded: (Allocations.count ?? 0) &- startCount), ordering: .relaxed)
        }
        return try call()
    }

    var servesMachineDevices: Bool { inner.servesMachineDevices }
    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor { try bracket { () throws(Errno) in try inner.open(path, flags: flags) } }
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) {
        try bracket { () throws(Errno) in try inner.setNonBlocking(fd, nonBlocking) }
    }
    func close(_ fd: FileDescriptor) throws(Errno) { try bracket { () throws(Errno) in try inner.close(fd) } }
    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try bracket { () throws(Errno) in try inner.ioctl(fd, request, argument) }
    }
    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try bracket { () throws(Errno) in try inner.mmap(fd, length: length, protection: protection, offset: offset) }
    }
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        try bracket { () throws(Errno) in try inner.munmap(address, length: length) }
    }
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        try bracket { () throws(Errno) in try inner.poll(descriptors, count: count, timeout: timeout) }
    }
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try bracket { () throws(Errno) in try inner.read(fd, into: buffer) }
    }
    func write(_ fd: FileDescriptor, from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try bracket { () throws(Errno) in try inner.write(fd, from: bytes) }
    }
    func inotifyInit() throws(Errno) -> FileDescriptor { try bracket { () throws(Errno) in try inner.inotifyInit() } }
    func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        try bracket { () throws(Errno) in try inner.inotifyAddWatch(fd, path: path, mask: mask) }
    }
    func timerCreate() throws(Errno) -> FileDescriptor { try bracket { () throws(Errno) in try inner.timerCreate() } }
    func timerSet(_ fd: FileDescriptor, deadline: MonotonicInstant?) throws(Errno) {
        try bracket { () throws(Errno) in try inner.timerSet(fd, deadline: deadline) }
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
enum Clock {
    static func nanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }
}
