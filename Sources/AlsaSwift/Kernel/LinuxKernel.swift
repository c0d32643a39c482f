import SystemPackage
import CAlsaKernel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real kernel: each seam call is one system call, nothing more.
public final class LinuxKernel: KernelInterface {
    /// The process-wide instance; it has no state.
    public static let shared = LinuxKernel()

    /// A seam over the machine's kernel; `shared` is the one the library uses by default.
    public init() {}

    /// Always true: these are the machine's own descriptors.
    public var servesMachineDevices: Bool { true }

    public func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor {
        let fd = path.withCString { Glibc.open($0, flags | O_CLOEXEC) }
        guard fd >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return FileDescriptor(rawValue: fd)
    }

    public func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) {
        let flags = fcntl(fd.rawValue, F_GETFL)
        guard flags >= 0 else { throw Errno(rawValue: Glibc.errno) }
        let wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        guard wanted == flags || fcntl(fd.rawValue, F_SETFL, wanted) == 0 else { throw Errno(rawValue: Glibc.errno) }
    }

    public func close(_ fd: FileDescriptor) throws(Errno) {
        // Linux releases the descriptor even when close reports an error; never retry it.
        guard Glibc.close(fd.rawValue) == 0 else { throw Errno(rawValue: Glibc.errno) }
    }

    public func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try Self.ioctl(fd, request, argument)
    }

    /// The system call itself. Static, so the read/write transfers can make it without holding an
    /// instance (a retain and a release around every period).
    @inline(__always)
    static func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        // Always three arguments: a nil argument is the value 0 (PAUSE release, LINK to descriptor 0),
        // which the variadic two-argument call would leave to whatever the register held.
        let result = alsa_ioctl(fd.rawValue, request, argument)
        guard result >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return result
    }

    public func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        guard let address = Glibc.mmap(nil, length, protection, MAP_SHARED, fd.rawValue, off_t(offset)),
              address != MAP_FAILED
        else { throw Errno(rawValue: Glibc.errno) }
        return address
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        guard Glibc.munmap(address, length) == 0 else { throw Errno(rawValue: Glibc.errno) }
    }

    public func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        let result = Glibc.poll(descriptors, nfds_t(count), timeout.pollMilliseconds)
        guard result >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return result
    }

    public func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let result = Glibc.read(fd.rawValue, buffer.baseAddress, buffer.count)
        guard result >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return result
    }

    public func write(_ fd: FileDescriptor, from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        let result = Glibc.write(fd.rawValue, bytes.baseAddress, bytes.count)
        guard result >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return result
    }

    public func inotifyInit() throws(Errno) -> FileDescriptor {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return FileDescriptor(rawValue: fd)
    }

    public func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        let watch = path.withCString { inotify_add_watch(fd.rawValue, $0, mask) }
        guard watch >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return watch
    }

    public func timerCreate() throws(Errno) -> FileDescriptor {
        let fd = alsa_timer_create()
        guard fd >= 0 else { throw Errno(rawValue: Glibc.errno) }
        return FileDescriptor(rawValue: fd)
    }

    public func timerSet(_ fd: FileDescriptor, deadline: MonotonicInstant?) throws(Errno) {
        var (seconds, nanoseconds) = (Int64(0), 0)
        if let deadline {
            // An instant at or before the clock's origin has passed already: 1 ns, since 0 disarms.
            let total = max(deadline.sinceBoot.nanosecondsSaturating, 1)
            (seconds, nanoseconds) = (total / 1_000_000_000, Int(total % 1_000_000_000))
        }
        guard alsa_timer_set(fd.rawValue, seconds, nanoseconds) == 0 else { throw Errno(rawValue: Glibc.errno) }
    }
}
