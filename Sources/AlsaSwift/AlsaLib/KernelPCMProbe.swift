import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The kernel PCM behind an alsa-lib handle, found through the descriptors alsa-lib polls (for
/// `hw`, `plughw`, `plug` and other plugins over a hardware PCM, that is the substream's own file).
///
/// alsa-lib strips EXPLICIT_SYNC and SYNC_APPLPTR from what it shows, so the probe asks the kernel
/// directly: HW_REFINE of the whole space on the same descriptor, which changes nothing in the
/// stream's configuration or state. Which record paths alsa-lib ended up with is read from this
/// process's mappings of the device node.
struct KernelPCMProbe: Sendable {
    let address: HardwareAddress
    /// The driver's info word, straight from the kernel.
    let info: PCMInfoFlags
    /// `/dev/snd/pcmC<card>D<device>{p,c}`.
    let devicePath: String

    /// nil when no descriptor is a kernel PCM (dmix polls a timer, `null` polls /dev/null...).
    /// `kernel` is the seam to the machine whose descriptors alsa-lib polls.
    init?(descriptors: UnsafeBufferPointer<pollfd>, kernel: any KernelInterface) {
        for descriptor in descriptors {
            guard descriptor.fd >= 0, let path = Self.path(of: descriptor.fd), path.hasPrefix("/dev/snd/pcmC") else { continue }
            let fd = FileDescriptor(rawValue: descriptor.fd)
            var pcmInfo = snd_pcm_info()
            var space = HardwareParameters.any
            space.requestFullRefine()
            do throws(Errno) {
                _ = try kernel.ioctl(fd, ALSA_IOCTL_INFO, &pcmInfo)
                _ = try kernel.ioctl(fd, ALSA_IOCTL_HW_REFINE, &space.raw)
            } catch {
                continue
            }
            address = HardwareAddress(card: Int(pcmInfo.card), device: Int(pcmInfo.device), subdevice: Int(pcmInfo.subdevice))
            info = space.info
            devicePath = path
            return
        }
        return nil
    }

    /// The path each record takes in this process: mapped when this process maps the device node
    /// at the record's offset, else SYNC_PTR with the reason that explains it.
    ///
    /// /proc/self/maps names the node, not the open file. When several descriptors of this process
    /// have the same node open (two substreams of one device), the mappings are attributed only when
    /// they are unambiguous: as many as descriptors (all mapped) or none (none mapped). Otherwise
    /// the path is the one the kernel's rules give for this device.
    func strategyInEffect() -> SyncStrategy {
        let mappings = mappedRecordCounts()
        let openFiles = Self.descriptorCount(of: devicePath)
        func path(_ record: PCMRecords) -> RecordPath {
            let mapped = record == .status ? mappings.status : mappings.control
            let observed: RecordObservation = mapped == 0 ? .notMapped : mapped >= openFiles ? .mapped : .ambiguous
            // alsa-lib 1.2.8 announces protocol 2.0.14 or later to the kernel.
            return SyncStrategy.path(of: record, info: info, announcedProtocol: alsa_protocol_version(2, 0, 14), forced: [],
                                     observed: observed) ?? .mapped
        }
        return SyncStrategy(status: path(.status), control: path(.control),
                            deviceRequiresExplicitSync: info.contains(.explicitSync))
    }

    /// Mappings of `devicePath` at the status and control offsets in this process (either protocol's
    /// offsets; /proc/self/maps gives the offset in hexadecimal).
    private func mappedRecordCounts() -> (status: Int, control: Int) {
        guard let maps = Self.readFile("/proc/self/maps") else { return (0, 0) }
        let status = [ALSA_MMAP_OFFSET_STATUS_OLD, ALSA_MMAP_OFFSET_STATUS_NEW]
        let control = [ALSA_MMAP_OFFSET_CONTROL_OLD, ALSA_MMAP_OFFSET_CONTROL_NEW]
        var found = (status: 0, control: 0)
        for line in maps.split(separator: "\n") where line.hasSuffix(devicePath) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, let offset = Int(fields[2], radix: 16) else { continue }
            if status.contains(offset) { found.status += 1 }
            if control.contains(offset) { found.control += 1 }
        }
        return found
    }

    /// How many of this process's descriptors have `path` open.
    private static func descriptorCount(of path: String) -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), Self.path(of: fd) == path { count += 1 }
        }
        return max(count, 1)
    }

    private static func path(of fd: Int32) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer -> String? in
            let length = readlink("/proc/self/fd/\(fd)", buffer.baseAddress!, buffer.count - 1)
            guard length > 0 else { return nil }
            buffer[length] = 0
            return String(cString: buffer.baseAddress!)
        }
    }

    static func readFile(_ path: String) -> String? {
        guard let fd = try? FileDescriptor.open(path, .readOnly) else { return nil }
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            guard let count = try? chunk.withUnsafeMutableBytes({ try fd.read(into: $0) }) else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
