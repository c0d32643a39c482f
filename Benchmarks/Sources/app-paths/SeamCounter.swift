import AlsaSwift
import CAlsaKernel
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A kernel that forwards every call to another (the machine's) and counts the ones a period costs: the
/// transfers (WRITEI/READI and the frames the kernel says they moved), SYNC_PTR split into queries
/// and commits, HWSYNC, every ioctl, and polls. It also follows the kernel's application pointer,
/// so that the frames moved are the kernel's count and not the library's: from SYNC_PTR records,
/// and from the control record when the library maps it. Apps pass such a kernel through the
/// public `kernel:` parameter; the direct transport makes every call through it.
///
/// Counters are atomics: a stream's reactor thread and a render thread call in while the
/// benchmark reads them. Counting adds a few atomic increments per call and allocates nothing.
final class SeamCounter: KernelInterface, Sendable {
    private let inner: any KernelInterface

    /// Counts the calls made to `inner`: the machine's kernel, or a simulated one.
    init(_ inner: any KernelInterface = LinuxKernel.shared) { self.inner = inner }

    private let ioctlCount = Atomic<Int>(0)
    private let writeiCount = Atomic<Int>(0)
    private let readiCount = Atomic<Int>(0)
    private let transferredFrames = Atomic<Int>(0)
    private let syncPtrCount = Atomic<Int>(0)
    private let commitCount = Atomic<Int>(0)
    private let hwsyncCount = Atomic<Int>(0)
    private let pollCount = Atomic<Int>(0)
    /// The application pointer the kernel last reported in a SYNC_PTR record.
    private let syncedApplication = Atomic<Int>(-1)
    /// The mapped control record (its first word is the application pointer), once mapped.
    private let mappedControl = Atomic<Int>(0)

    var servesMachineDevices: Bool { inner.servesMachineDevices }

    /// What was counted so far.
    var counts: SeamCounts {
        SeamCounts(ioctls: ioctlCount.load(ordering: .relaxed), writei: writeiCount.load(ordering: .relaxed),
                   readi: readiCount.load(ordering: .relaxed), transferredFrames: transferredFrames.load(ordering: .relaxed),
                   syncPtr: syncPtrCount.load(ordering: .relaxed), commits: commitCount.load(ordering: .relaxed),
                   hwsync: hwsyncCount.load(ordering: .relaxed), polls: pollCount.load(ordering: .relaxed),
                   applicationPointer: applicationPointer)
    }

    /// The kernel's application pointer as last seen: read from the mapped control record when the
    /// library mapped it, else from the last SYNC_PTR record; nil when neither was seen.
    private var applicationPointer: Int? {
        let control = mappedControl.load(ordering: .acquiring)
        if control != 0 {
            return Int(truncatingIfNeeded: UnsafeRawPointer(bitPattern: control)!.load(as: UInt.self))
        }
        let synced = syncedApplication.load(ordering: .relaxed)
        return synced >= 0 ? synced : nil
    }

    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor { try inner.open(path, flags: flags) }
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) { try inner.setNonBlocking(fd, nonBlocking) }
    func close(_ fd: FileDescriptor) throws(Errno) { try inner.close(fd) }

    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        ioctlCount.wrappingAdd(1, ordering: .relaxed)
        let result = try inner.ioctl(fd, request, argument)
        switch request {
        case ALSA_IOCTL_WRITEI_FRAMES, ALSA_IOCTL_READI_FRAMES:
            if request == ALSA_IOCTL_WRITEI_FRAMES {
                writeiCount.wrappingAdd(1, ordering: .relaxed)
            } else {
                readiCount.wrappingAdd(1, ordering: .relaxed)
            }
            // struct snd_xferi: the kernel writes the frames it moved into `result`, its first field.
            if let argument { transferredFrames.wrappingAdd(argument.load(as: Int.self), ordering: .relaxed) }
        case ALSA_IOCTL_SYNC_PTR:
            syncPtrCount.wrappingAdd(1, ordering: .relaxed)
            guard let argument else { break }
            // A commit sends the application pointer (APPL clear); either way the record comes back
            // holding the kernel's.
            if argument.load(as: UInt32.self) & UInt32(ALSA_SYNC_PTR_APPL) == 0 { commitCount.wrappingAdd(1, ordering: .relaxed) }
            syncedApplication.store(Int(truncatingIfNeeded: argument.load(fromByteOffset: ALSA_OFFSETOF_SYNC_PTR_CONTROL, as: UInt.self)),
                                    ordering: .relaxed)
        case ALSA_IOCTL_HWSYNC:
            hwsyncCount.wrappingAdd(1, ordering: .relaxed)
        default:
            break
        }
        return result
    }

    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        let address = try inner.mmap(fd, length: length, protection: protection, offset: offset)
        if offset == ALSA_MMAP_OFFSET_CONTROL_NEW || offset == ALSA_MMAP_OFFSET_CONTROL_OLD {
            mappedControl.store(Int(bitPattern: address), ordering: .releasing)
        }
        return address
    }

    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        _ = mappedControl.compareExchange(expected: Int(bitPattern: address), desired: 0, ordering: .acquiringAndReleasing)
        try inner.munmap(address, length: length)
    }

    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        pollCount.wrappingAdd(1, ordering: .relaxed)
        return try inner.poll(descriptors, count: count, timeout: timeout)
    }

    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int { try inner.read(fd, into: buffer) }
    func inotifyInit() throws(Errno) -> FileDescriptor { try inner.inotifyInit() }
    func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        try inner.inotifyAddWatch(fd, path: path, mask: mask)
    }
}

/// The seam's counters at one moment.
struct SeamCounts: Sendable {
    var ioctls = 0
    var writei = 0
    var readi = 0
    /// Frames the kernel reported moving in WRITEI/READI.
    var transferredFrames = 0
    var syncPtr = 0
    /// SYNC_PTR calls that sent the application pointer.
    var commits = 0
    var hwsync = 0
    var polls = 0
    var applicationPointer: Int?
}
