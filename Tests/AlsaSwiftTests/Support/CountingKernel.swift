import AlsaSwift
import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Passes every seam call to another kernel and counts them: ioctls by request, and polls. Used to
/// count calls per period on the real kernel the same way the simulated kernel's trace does.
final class CountingKernel: KernelInterface, @unchecked Sendable {
    // One thread drives a PCM in these tests; the counters are read after it finishes.
    private let inner: any KernelInterface
    private(set) var ioctls: [UInt: Int] = [:]
    private(set) var polls = 0
    private(set) var mmaps: [Int: Int] = [:]

    init(_ inner: any KernelInterface = LinuxKernel.shared) { self.inner = inner }

    func reset() {
        ioctls = [:]
        polls = 0
    }

    func count(_ request: UInt) -> Int { ioctls[request, default: 0] }
    var totalIoctls: Int { ioctls.values.reduce(0, +) }

    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor { try inner.open(path, flags: flags) }
    func close(_ fd: FileDescriptor) throws(Errno) { try inner.close(fd) }
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) { try inner.setNonBlocking(fd, nonBlocking) }
    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        ioctls[request, default: 0] += 1
        return try inner.ioctl(fd, request, argument)
    }
    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        mmaps[offset, default: 0] += 1
        return try inner.mmap(fd, length: length, protection: protection, offset: offset)
    }
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) { try inner.munmap(address, length: length) }
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int { try inner.read(fd, into: buffer) }
    func write(_ fd: FileDescriptor, from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int { try inner.write(fd, from: bytes) }
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeoutMilliseconds: Int32) throws(Errno) -> Int32 {
        polls += 1
        return try inner.poll(descriptors, count: count, timeoutMilliseconds: timeoutMilliseconds)
    }
}
