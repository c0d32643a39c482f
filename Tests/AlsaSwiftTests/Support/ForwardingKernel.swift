import AlsaSwift
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A kernel that only forwards every seam call to another: the library must behave through it
/// exactly as through the kernel it wraps (the seam is never bypassed, e.g. by asking which type of
/// kernel it was given). Test kernels that count or change calls override the ones they need.
class ForwardingKernel: KernelInterface, @unchecked Sendable {
    let inner: any KernelInterface

    init(_ inner: any KernelInterface) { self.inner = inner }

    var servesMachineDevices: Bool { inner.servesMachineDevices }
    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor { try inner.open(path, flags: flags) }
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) { try inner.setNonBlocking(fd, nonBlocking) }
    func close(_ fd: FileDescriptor) throws(Errno) { try inner.close(fd) }
    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try inner.ioctl(fd, request, argument)
    }
    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try inner.mmap(fd, length: length, protection: protection, offset: offset)
    }
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) { try inner.munmap(address, length: length) }
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        try inner.poll(descriptors, count: count, timeout: timeout)
    }
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int { try inner.read(fd, into: buffer) }
    func inotifyInit() throws(Errno) -> FileDescriptor { try inner.inotifyInit() }
    func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        try inner.inotifyAddWatch(fd, path: path, mask: mask)
    }
}
