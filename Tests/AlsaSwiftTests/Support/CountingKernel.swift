import AlsaSwift
import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Passes every seam call to another kernel and counts them: ioctls by request, polls, and each
/// descriptor's SYNC_PTR calls by their flags. Used to count calls per period on the real kernel
/// the same way the simulated kernel's trace does.
final class CountingKernel: ForwardingKernel, @unchecked Sendable {
    // One thread drives a PCM in these tests; the counters are read after it finishes.
    private(set) var ioctls: [UInt: Int] = [:]
    private(set) var polls = 0
    private(set) var mmaps: [Int: Int] = [:]
    /// Per descriptor, its SYNC_PTR calls by the flags user space passed (query or commit).
    private(set) var syncPtrs: [Int32: [UInt32: Int]] = [:]

    override init(_ inner: any KernelInterface = LinuxKernel.shared) { super.init(inner) }

    func reset() {
        ioctls = [:]
        polls = 0
        syncPtrs = [:]
    }

    func count(_ request: UInt) -> Int { ioctls[request, default: 0] }
    var totalIoctls: Int { ioctls.values.reduce(0, +) }

    override func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        ioctls[request, default: 0] += 1
        if request == ALSA_IOCTL_SYNC_PTR, let record = argument?.assumingMemoryBound(to: snd_pcm_sync_ptr.self) {
            syncPtrs[fd.rawValue, default: [:]][record.pointee.flags, default: 0] += 1
        }
        return try inner.ioctl(fd, request, argument)
    }
    override func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        mmaps[offset, default: 0] += 1
        return try inner.mmap(fd, length: length, protection: protection, offset: offset)
    }
    override func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        polls += 1
        return try inner.poll(descriptors, count: count, timeout: timeout)
    }
}
