import SystemPackage
import CAlsaKernel

/// How one of the two kernel records (status: state and `hw_ptr`; control: `appl_ptr` and
/// `avail_min`) travels between the kernel and this process.
public enum RecordPath: Sendable, Equatable, CustomStringConvertible {
    /// The kernel's record is mapped into this process: reads and writes cost no system call.
    case mapped
    /// The record is exchanged with `SNDRV_PCM_IOCTL_SYNC_PTR`, for the given reason.
    case syncPtr(SyncPtrReason)

    /// Whether the record is mapped (no system call to read or write it).
    public var isMapped: Bool { self == .mapped }

    public var description: String {
        switch self {
        case .mapped: "mapped"
        case .syncPtr(let reason): "SYNC_PTR (\(reason))"
        }
    }
}

/// Why a record goes through SYNC_PTR instead of a mapping.
public enum SyncPtrReason: Sendable, Equatable, CustomStringConvertible {
    /// The negotiated `info` has `SNDRV_PCM_INFO_EXPLICIT_SYNC`: the buffer is not coherent, so every
    /// pointer move must pass through the kernel, which syncs the data with it. The library does not
    /// even try to map the record.
    case explicitSync
    /// The driver set `SNDRV_PCM_INFO_SYNC_APPLPTR`: it must see every `appl_ptr` move (control
    /// record; the status record too when the protocol we announced is older than 2.0.14).
    case syncApplPtr
    /// The kernel refused the mapping with this errno. ENXIO on every architecture but x86, PowerPC
    /// and Alpha, and for the control record of 32-bit processes on 64-bit kernels.
    case mmapRefused(Errno)
    /// The caller asked for SYNC_PTR.
    case forced
    /// alsa-lib exchanges the record through SYNC_PTR though the kernel would map it: its `hw`
    /// plugin's `sync_ptr_ioctl` option (reported for alsa-lib PCMs only).
    case libraryOption

    public var description: String {
        switch self {
        case .explicitSync: "device requires explicit sync"
        case .syncApplPtr: "driver tracks appl_ptr (SYNC_APPLPTR)"
        case .mmapRefused(let errno): "kernel refused the mapping: \(errno)"
        case .forced: "forced by the caller"
        case .libraryOption: "alsa-lib's sync_ptr_ioctl option"
        }
    }
}

/// The records a caller can force through SYNC_PTR.
public struct PCMRecords: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The status record: the state and `hw_ptr`.
    public static let status = PCMRecords(rawValue: 1)
    /// The control record: `appl_ptr` and `avail_min`.
    public static let control = PCMRecords(rawValue: 2)
    /// Both records.
    public static let both: PCMRecords = [.status, .control]
}

/// The strategy in effect for a PCM, per record, with the reasons. Public so tools can print it.
public struct SyncStrategy: Sendable, Equatable, CustomStringConvertible {
    /// How the status record (state, `hw_ptr`) moves.
    public var status: RecordPath
    /// How the control record (`appl_ptr`, `avail_min`) moves.
    public var control: RecordPath
    /// The device declared EXPLICIT_SYNC (read from the negotiated info, not inferred).
    public var deviceRequiresExplicitSync: Bool

    /// Whether any pointer exchange costs a system call.
    public var usesSyncPtr: Bool { !status.isMapped || !control.isMapped }

    public var description: String {
        if status == control { return "status and control: \(status)" }
        return "status: \(status); control: \(control)"
    }

    /// The one decision of a record's path, for both transports. The kernel's own rules come first
    /// (`pcm_status_mmap_allowed` / `pcm_control_mmap_allowed`: a mapping it is known to refuse is
    /// never tried); what the process saw decides the rest:
    ///
    /// - the direct transport asks with `observed` nil first; nil back means "try the mapping", and it
    ///   asks again with what the kernel answered (`.mapped` or `.refused`);
    /// - alsa-lib maps or not by its own rules, so its PCMs pass what this process's mappings show,
    ///   and a record seen mapped is mapped whatever the rules predicted.
    static func path(of record: PCMRecords, info: PCMInfoFlags, announcedProtocol: UInt32?, forced: PCMRecords,
                     observed: RecordObservation?) -> RecordPath? {
        switch observed {
        case .mapped: return .mapped
        case .refused(let errno): return .syncPtr(.mmapRefused(errno))
        case .notMapped, .ambiguous, nil: break
        }
        if forced.contains(record) { return .syncPtr(.forced) }
        if info.contains(.explicitSync) { return .syncPtr(.explicitSync) }
        if info.contains(.syncApplPtr) {
            if record == .control { return .syncPtr(.syncApplPtr) }
            if (announcedProtocol ?? 0) < alsa_protocol_version(2, 0, 14) { return .syncPtr(.syncApplPtr) }
        }
        switch observed {
        case nil: return nil
        case .ambiguous: return .mapped
        case .notMapped:
            // Only x86, PowerPC and Alpha kernels map the records at all; elsewhere the kernel refused.
            #if arch(x86_64) || arch(i386) || arch(powerpc64) || arch(powerpc64le)
            return .syncPtr(.libraryOption)
            #else
            return .syncPtr(.mmapRefused(.noSuchAddressOrDevice))
            #endif
        case .mapped, .refused: return nil  // answered above
        }
    }

    /// Both records' paths, where the rules alone decide them (nil: try the mapping).
    static func predetermined(info: PCMInfoFlags, announcedProtocol: UInt32?, forced: PCMRecords)
        -> (status: RecordPath?, control: RecordPath?)
    {
        (path(of: .status, info: info, announcedProtocol: announcedProtocol, forced: forced, observed: nil),
         path(of: .control, info: info, announcedProtocol: announcedProtocol, forced: forced, observed: nil))
    }
}

/// What this process saw of one record's mapping, the input of `SyncStrategy.path(of:...)`.
enum RecordObservation: Sendable, Equatable {
    /// This process maps the record (the direct transport's mapping succeeded, or alsa-lib's is seen).
    case mapped
    /// The kernel refused the mapping with this errno.
    case refused(Errno)
    /// The library did not map it (no mapping of it in this process).
    case notMapped
    /// Some but not all of this process's files of the device map it: which one is ours is unknown.
    case ambiguous
}
