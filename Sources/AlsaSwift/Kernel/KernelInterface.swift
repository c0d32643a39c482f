import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The only door between AlsaSwift and the kernel: the system calls a PCM needs.
///
/// `LinuxKernel` passes them straight to the system; `SimulatedKernel` (module `AlsaSimulation`)
/// answers them with a model of the ALSA PCM core. Everything above this protocol (negotiation,
/// the sync strategy, recovery) is written once and runs unchanged on both.
///
/// Implementations report failure by throwing the kernel's errno, exactly as the system call would
/// have set it; they never retry, log or interpret. Calls on the audio path (`ioctl`, `poll`) must
/// not allocate or lock in the real implementation.
public protocol KernelInterface: AnyObject, Sendable {
    /// True when the descriptors this kernel hands out are the machine's own, so that alsa-lib, which
    /// makes its own system calls, can serve names beside it. A kernel that forwards to another says
    /// what that one says; a simulated kernel says false.
    var servesMachineDevices: Bool { get }
    /// `open(2)` of a device node.
    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor
    /// `fcntl(F_SETFL)` setting or clearing O_NONBLOCK. A PCM is opened non-blocking, so that a busy
    /// device fails at once instead of waiting, then switched to the mode the caller asked for.
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno)
    /// `close(2)`.
    func close(_ fd: FileDescriptor) throws(Errno)
    /// `ioctl(2)`. `argument` points at the request's record, or is nil for `_IO` requests. The few
    /// requests that take a value rather than a pointer (PAUSE) carry it in the pointer's bits, as
    /// the C call does. Returns the call's non-negative result.
    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32
    /// `mmap(2)` of `length` bytes shared at `offset`.
    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer
    /// `munmap(2)`.
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno)
    /// `poll(2)` on `count` descriptors for at most `timeout` (nil: without limit, `.zero`: not at
    /// all); returns how many have events.
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32
    /// `read(2)` into `buffer`; returns the bytes read. A control device hands out its events this
    /// way.
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int
    /// `inotify_init1(IN_NONBLOCK | IN_CLOEXEC)`: a descriptor that reports changes to watched
    /// directories through `read` and `poll`. Hotplug watches /dev/snd with it, without udev.
    func inotifyInit() throws(Errno) -> FileDescriptor
    /// `inotify_add_watch(2)`; returns the watch descriptor.
    func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32
}

extension KernelInterface {
    /// For kernels that model no readable device: read(2) on a file that cannot be read fails with
    /// EINVAL.
    public func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        throw .invalidArgument
    }

    /// For kernels that model no directory watches: ENOSYS, as a kernel built without inotify.
    public func inotifyInit() throws(Errno) -> FileDescriptor { throw .noFunction }
    public func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 { throw .noFunction }
}
