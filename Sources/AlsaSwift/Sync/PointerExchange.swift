import SystemPackage
import CAlsaKernel

#if canImport(Glibc)
import Glibc
#endif

/// The status and control records of one PCM, each either mapped from the kernel or exchanged
/// through SYNC_PTR, and the named operations the transport builds on:
///
/// - `query(hardwareSync:)`, phase 1 (CPU sync): `HWSYNC|APPL|AVAIL_MIN`. Fetches `hw_ptr`, state and
///   the kernel's `appl_ptr`, makes captured data visible to the CPU, changes nothing in the kernel.
/// - `commit(applPtr:)`, phase 2 (device sync): APPL clear, AVAIL_MIN set. Pushes `appl_ptr`, so the
///   kernel flushes playback data to the device and the driver's `.ack` runs.
/// - `pull()`: `APPL|AVAIL_MIN`. A pure read, for when the kernel moved `appl_ptr` itself.
///
/// It never sends a SYNC_PTR with APPL clear unless the `appl_ptr` it carries was derived from a
/// value pulled since the kernel last moved the pointer (`controlIsStale` guards that): pushing a
/// stale copy would rewind the stream (tinyalsa issue 253).
final class PointerExchange {
    private let file: DeviceFile
    /// The SYNC_PTR record. Allocated once at open; never on the audio path.
    private let record: UnsafeMutablePointer<snd_pcm_sync_ptr>
    @exclusivity(unchecked) private(set) var status: UnsafeMutablePointer<snd_pcm_mmap_status>
    @exclusivity(unchecked) private(set) var control: UnsafeMutablePointer<snd_pcm_mmap_control>
    private var statusMapping: UnsafeMutableRawPointer?
    private var controlMapping: UnsafeMutableRawPointer?
    private let pageSize: Int
    private let useNewOffsets: Bool
    private let forced: PCMRecords
    private let announcedProtocol: UInt32?
    @exclusivity(unchecked) private(set) var strategy: SyncStrategy
    /// True when the kernel may have moved `appl_ptr` since our copy was taken (read/write
    /// transfers, PREPARE, RESET, DROP, FORWARD, REWIND). Only meaningful for an unmapped control.
    @exclusivity(unchecked) var controlIsStale = true

    /// Decides the path of each record from the device's `info` word and maps what may be mapped.
    init(file: DeviceFile, info: PCMInfoFlags, kernelProtocol: UInt32, announcedProtocol: UInt32?,
         forced: PCMRecords) throws(AlsaError) {
        self.file = file
        self.forced = forced
        self.announcedProtocol = announcedProtocol
        self.pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        self.useNewOffsets = kernelProtocol >= alsa_protocol_version(2, 0, 15)
        record = .allocate(capacity: 1)
        record.initialize(to: snd_pcm_sync_ptr())
        let raw = UnsafeMutableRawPointer(record)
        status = (raw + MemoryLayout<snd_pcm_sync_ptr>.offset(of: \.s)!).assumingMemoryBound(to: snd_pcm_mmap_status.self)
        control = (raw + MemoryLayout<snd_pcm_sync_ptr>.offset(of: \.c)!).assumingMemoryBound(to: snd_pcm_mmap_control.self)
        strategy = SyncStrategy(status: .syncPtr(.forced), control: .syncPtr(.forced), deviceRequiresExplicitSync: false)
        do {
            try apply(info: info)
        } catch {
            release()
            throw error
        }
    }

    /// Re-decides after HW_PARAMS with the negotiated info. The kernel decides its refusals from the
    /// same word at open, so this normally changes nothing; if the device now declares EXPLICIT_SYNC,
    /// a mapped record is dropped rather than trusted.
    func apply(info: PCMInfoFlags) throws(AlsaError) {
        let plan = SyncStrategy.predetermined(info: info, announcedProtocol: announcedProtocol, forced: forced)
        let statusPath = try settle(.status, plan.status)
        let controlPath = try settle(.control, plan.control)
        strategy = SyncStrategy(status: statusPath, control: controlPath,
                                deviceRequiresExplicitSync: info.contains(.explicitSync))
        if !controlPath.isMapped || !statusPath.isMapped { try pull() }
    }

    private func settle(_ which: PCMRecords, _ planned: RecordPath?) throws(AlsaError) -> RecordPath {
        let isStatus = which == .status
        let mapped = isStatus ? statusMapping != nil : controlMapping != nil
        if let planned {
            if mapped { try unmap(which) }
            return planned
        }
        if mapped { return .mapped }
        let offset = isStatus
            ? (useNewOffsets ? ALSA_MMAP_OFFSET_STATUS_NEW : ALSA_MMAP_OFFSET_STATUS_OLD)
            : (useNewOffsets ? ALSA_MMAP_OFFSET_CONTROL_NEW : ALSA_MMAP_OFFSET_CONTROL_OLD)
        let protection = isStatus ? PROT_READ : PROT_READ | PROT_WRITE
        let observed: RecordObservation
        do {
            let page = try file.mmap(isStatus ? .mmapStatus : .mmapControl, length: pageSize,
                                     protection: protection, offset: offset)
            if isStatus {
                statusMapping = page
                status = page.assumingMemoryBound(to: snd_pcm_mmap_status.self)
            } else {
                controlMapping = page
                control = page.assumingMemoryBound(to: snd_pcm_mmap_control.self)
            }
            observed = .mapped
        } catch {
            // A dead device is not a refusal to map: report it.
            if error.kind == .disconnected { throw error }
            observed = .refused(error.errno)
        }
        return SyncStrategy.path(of: which, info: [], announcedProtocol: announcedProtocol, forced: [], observed: observed) ?? .mapped
    }

    private func unmap(_ which: PCMRecords) throws(AlsaError) {
        let raw = UnsafeMutableRawPointer(record)
        if which == .status, let page = statusMapping {
            statusMapping = nil
            status = (raw + MemoryLayout<snd_pcm_sync_ptr>.offset(of: \.s)!).assumingMemoryBound(to: snd_pcm_mmap_status.self)
            try file.munmap(page, length: pageSize)
        } else if which == .control, let page = controlMapping {
            controlMapping = nil
            control = (raw + MemoryLayout<snd_pcm_sync_ptr>.offset(of: \.c)!).assumingMemoryBound(to: snd_pcm_mmap_control.self)
            try file.munmap(page, length: pageSize)
        }
    }

    /// Unmaps both records. Errors are ignored: this runs on close.
    /// The record stays allocated until deinit, and both record pointers point back into it, so a
    /// call on a closed PCM meets EBADF (every exchange checks the file first) instead of freed or
    /// unmapped memory.
    func release() {
        try? unmap(.status)
        try? unmap(.control)
    }

    deinit {
        release()
        record.deinitialize(count: 1)
        record.deallocate()
    }

    // MARK: the named exchanges

    var state: StreamState { StreamState(kernelValue: status.pointee.state) }
    var hwPtr: UInt { status.pointee.hw_ptr }
    var applPtr: UInt { control.pointee.appl_ptr }
    var availMin: UInt { control.pointee.avail_min }
    var timestamp: timespec { status.pointee.tstamp }

    /// Phase 1. With a mapped status record the kernel keeps `hw_ptr` current at every period
    /// interrupt and the buffer is coherent, so no call is needed unless `hardwareSync` asks for the
    /// exact position now.
    func query(hardwareSync: Bool) throws(AlsaError) {
        try file.checkUsable(.syncPtr)
        if !strategy.status.isMapped {
            let flags = (hardwareSync ? ALSA_SYNC_PTR_HWSYNC : 0) | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN
            do {
                try exchange(flags)
            } catch {
                // A failed HWSYNC fills nothing in: learn the state with a pure read before reporting.
                if hardwareSync, error.kind == .xrun || error.kind == .suspended || error.kind == .badState {
                    try exchange(ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
                }
                throw error
            }
            controlIsStale = false
            return
        }
        if hardwareSync { try file.ioctl(.hwsync, ALSA_IOCTL_HWSYNC, nil) }
        if controlIsStale { try pull() }
    }

    /// Phase 2.
    func commit(applPtr: UInt) throws(AlsaError) {
        try file.checkUsable(.syncPtr)
        if strategy.control.isMapped {
            control.pointee.appl_ptr = applPtr
            return
        }
        precondition(!controlIsStale, "AlsaSwift: refusing to push an appl_ptr derived from a stale copy")
        control.pointee.appl_ptr = applPtr
        try exchange(ALSA_SYNC_PTR_AVAIL_MIN)
    }

    /// A side-effect-free read of both records (no-op when both are mapped).
    func pull() throws(AlsaError) {
        try file.checkUsable(.syncPtr)
        guard usesSyncPtr else {
            controlIsStale = false  // both records mapped: the control record is the kernel's own
            return
        }
        try exchange(ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
        controlIsStale = false
    }

    /// Marks that the kernel moved `appl_ptr` on its own (read/write transfer, prepare, reset...).
    /// Unconditional, as it runs once a period on read/write streams: with a mapped control record
    /// the flag is never acted on (`commit` writes the mapped record, `pull` clears it at once).
    func kernelMovedApplPtr() {
        controlIsStale = true
    }

    var usesSyncPtr: Bool { strategy.usesSyncPtr }

    private func exchange(_ flags: UInt32) throws(AlsaError) {
        record.pointee.flags = flags
        _ = try file.ioctl(.syncPtr, ALSA_IOCTL_SYNC_PTR, UnsafeMutableRawPointer(record))
        // A mapped record stays authoritative; the copy SYNC_PTR returned for it is ignored.
    }
}
