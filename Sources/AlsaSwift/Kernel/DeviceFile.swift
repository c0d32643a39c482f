import SystemPackage

/// One open PCM device node and the rules every call on it follows: EINTR is retried (the kernel
/// returns it only when nothing was transferred), ENODEV marks the file dead so that later calls
/// fail at once without reaching the kernel, and every errno becomes an `AlsaError` naming the
/// operation. Allocates nothing.
final class DeviceFile {
    let kernel: any KernelInterface
    let fd: FileDescriptor
    @exclusivity(unchecked) private(set) var isDisconnected = false { didSet { isUnusable = isClosed || isDisconnected } }
    @exclusivity(unchecked) private(set) var isClosed = false { didSet { isUnusable = isClosed || isDisconnected } }
    /// Closed or disconnected: the once-a-period transfers test this one flag before the kernel
    /// call, and only when it is set look at which error applies.
    @exclusivity(unchecked) private(set) var isUnusable = false

    /// Whether the kernel is the machine's own seam instance, `LinuxKernel.shared`: transfers then
    /// make its system call directly, inlined, instead of calling through the existential. Any other
    /// kernel, one that forwards to the machine's included, keeps that path, so it sees every call.
    /// A flag rather than the instance, which would be retained and released around every call.
    private let isLinux: Bool

    init(kernel: any KernelInterface, fd: FileDescriptor) {
        self.kernel = kernel
        self.fd = fd
        isLinux = kernel === LinuxKernel.shared
    }

    @discardableResult
    func ioctl(_ operation: PCMOperation, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(AlsaError) -> Int32 {
        try checkUsable(operation)
        while true {
            do {
                return try kernel.ioctl(fd, request, argument)
            } catch {
                if error == .interrupted { continue }
                throw failure(operation, error)
            }
        }
    }

    /// `ioctl` for the read/write transfers, which run once a period: inlined into the caller, with
    /// everything but the kernel call (the usability check's errors, EINTR, errno) out of line, so
    /// the period costs no call frame of its own. The same rules as `ioctl`.
    @inline(__always)
    func transferIoctl(_ operation: PCMOperation, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(AlsaError) {
        if isUnusable { try checkUsable(operation) }
        do {
            if isLinux {
                _ = try LinuxKernel.ioctl(fd, request, argument)
            } else {
                _ = try kernel.ioctl(fd, request, argument)
            }
        } catch {
            try retryAfter(error, operation, request, argument)
        }
    }

    @inline(never)
    private func retryAfter(_ error: Errno, _ operation: PCMOperation, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(AlsaError) {
        guard error == .interrupted else { throw failure(operation, error) }
        try ioctl(operation, request, argument)
    }

    /// An ioctl whose argument is a kernel record passed by pointer.
    @discardableResult
    func ioctl<Record>(_ operation: PCMOperation, _ request: UInt, _ record: inout Record) throws(AlsaError) -> Int32 {
        try withUnsafeMutablePointer(to: &record) { (pointer: UnsafeMutablePointer<Record>) throws(AlsaError) -> Int32 in
            try ioctl(operation, request, UnsafeMutableRawPointer(pointer))
        }
    }

    func mmap(_ operation: PCMOperation, length: Int, protection: Int32, offset: Int) throws(AlsaError) -> UnsafeMutableRawPointer {
        try checkUsable(operation)
        do {
            return try kernel.mmap(fd, length: length, protection: protection, offset: offset)
        } catch {
            throw failure(operation, error)
        }
    }

    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(AlsaError) {
        // Unmapping must work on a disconnected device too: it only releases our address space.
        do {
            try kernel.munmap(address, length: length)
        } catch {
            throw AlsaError(.munmap, error)
        }
    }

    /// Releases the descriptor. Linux frees it even when close reports an error, so the file is
    /// closed afterwards whatever happens.
    func close() throws(AlsaError) {
        guard !isClosed else { return }
        isClosed = true
        do {
            try kernel.close(fd)
        } catch {
            throw AlsaError(.close, error)
        }
    }

    func checkUsable(_ operation: PCMOperation) throws(AlsaError) {
        if isClosed { throw AlsaError(operation, .badFileDescriptor) }
        if isDisconnected { throw AlsaError(operation, .noDevice) }
    }

    private func failure(_ operation: PCMOperation, _ errno: Errno) -> AlsaError {
        if errno == .noDevice { isDisconnected = true }
        return AlsaError(operation, errno)
    }
}
