import CAlsaKernel

/// The `info` word of hw_params (`SNDRV_PCM_INFO_*`): what the driver declares about the device.
public struct PCMInfoFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The buffer can be mapped (MMAP).
    public static let mmap = PCMInfoFlags(rawValue: ALSA_INFO_MMAP)
    /// The position in a mapped buffer is valid while running (MMAP_VALID).
    public static let mmapValid = PCMInfoFlags(rawValue: ALSA_INFO_MMAP_VALID)
    /// The device double-buffers (DOUBLE).
    public static let double = PCMInfoFlags(rawValue: ALSA_INFO_DOUBLE)
    /// The device moves data in blocks, so the position is only exact to a block (BATCH).
    public static let batch = PCMInfoFlags(rawValue: ALSA_INFO_BATCH)
    /// The driver wants to see every `appl_ptr` move (its `.ack`): the control record is never mapped.
    public static let syncApplPtr = PCMInfoFlags(rawValue: ALSA_INFO_SYNC_APPLPTR)
    /// Interleaved access is offered (INTERLEAVED).
    public static let interleaved = PCMInfoFlags(rawValue: ALSA_INFO_INTERLEAVED)
    /// Non-interleaved access is offered (NONINTERLEAVED).
    public static let nonInterleaved = PCMInfoFlags(rawValue: ALSA_INFO_NONINTERLEAVED)
    /// Complex access is offered (COMPLEX).
    public static let complex = PCMInfoFlags(rawValue: ALSA_INFO_COMPLEX)
    /// The device transfers a block at a time (BLOCK_TRANSFER).
    public static let blockTransfer = PCMInfoFlags(rawValue: ALSA_INFO_BLOCK_TRANSFER)
    /// The device can detect an ADC overrange (OVERRANGE).
    public static let overrange = PCMInfoFlags(rawValue: ALSA_INFO_OVERRANGE)
    /// The driver can resume after a system suspend (RESUME); without it, the stream must be prepared again.
    public static let resume = PCMInfoFlags(rawValue: ALSA_INFO_RESUME)
    /// The hardware can pause (PAUSE).
    public static let pause = PCMInfoFlags(rawValue: ALSA_INFO_PAUSE)
    /// Playback and capture cannot run at once (HALF_DUPLEX).
    public static let halfDuplex = PCMInfoFlags(rawValue: ALSA_INFO_HALF_DUPLEX)
    /// Playback and capture must share their parameters (JOINT_DUPLEX).
    public static let jointDuplex = PCMInfoFlags(rawValue: ALSA_INFO_JOINT_DUPLEX)
    /// Linked streams can start together (SYNC_START).
    public static let syncStart = PCMInfoFlags(rawValue: ALSA_INFO_SYNC_START)
    /// Period interrupts can be turned off (NO_PERIOD_WAKEUP).
    public static let noPeriodWakeup = PCMInfoFlags(rawValue: ALSA_INFO_NO_PERIOD_WAKEUP)
    /// The driver reports link time (a sample or wall-clock counter on the link), reset when the
    /// stream starts (HAS_LINK_ATIME, formerly HAS_WALL_CLOCK).
    public static let hasLinkTime = PCMInfoFlags(rawValue: ALSA_INFO_HAS_LINK_ATIME)
    /// The driver reports absolute link time, not reset when the stream starts.
    public static let hasLinkAbsoluteTime = PCMInfoFlags(rawValue: ALSA_INFO_HAS_LINK_ABSOLUTE_ATIME)
    /// The driver reports link time estimated indirectly.
    public static let hasLinkEstimatedTime = PCMInfoFlags(rawValue: ALSA_INFO_HAS_LINK_ESTIMATED_ATIME)
    /// The driver reports link time taken together with the system time.
    public static let hasLinkSynchronizedTime = PCMInfoFlags(rawValue: ALSA_INFO_HAS_LINK_SYNCHRONIZED_ATIME)
    /// The buffer is not coherent with the device: pointers and data must move through SYNC_PTR,
    /// and the kernel refuses to map the status and control records.
    public static let explicitSync = PCMInfoFlags(rawValue: ALSA_INFO_EXPLICIT_SYNC)
    /// The driver cannot rewind (NO_REWINDS).
    public static let noRewinds = PCMInfoFlags(rawValue: ALSA_INFO_NO_REWINDS)

    private static let names: [(PCMInfoFlags, String)] = [
        (.mmap, "MMAP"), (.mmapValid, "MMAP_VALID"), (.double, "DOUBLE"), (.batch, "BATCH"),
        (.syncApplPtr, "SYNC_APPLPTR"), (.interleaved, "INTERLEAVED"), (.nonInterleaved, "NONINTERLEAVED"),
        (.complex, "COMPLEX"), (.blockTransfer, "BLOCK_TRANSFER"), (.overrange, "OVERRANGE"),
        (.resume, "RESUME"), (.pause, "PAUSE"), (.halfDuplex, "HALF_DUPLEX"), (.jointDuplex, "JOINT_DUPLEX"),
        (.syncStart, "SYNC_START"), (.noPeriodWakeup, "NO_PERIOD_WAKEUP"),
        (.hasLinkTime, "HAS_LINK_ATIME"), (.hasLinkAbsoluteTime, "HAS_LINK_ABSOLUTE_ATIME"),
        (.hasLinkEstimatedTime, "HAS_LINK_ESTIMATED_ATIME"), (.hasLinkSynchronizedTime, "HAS_LINK_SYNCHRONIZED_ATIME"),
        (.explicitSync, "EXPLICIT_SYNC"), (.noRewinds, "NO_REWINDS"),
    ]

    /// Flag names joined by `|`, with any unnamed bits in hex.
    public var description: String {
        var rest = rawValue
        var parts: [String] = []
        for (flag, name) in Self.names where contains(flag) {
            parts.append(name)
            rest &= ~flag.rawValue
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.isEmpty ? "none" : parts.joined(separator: "|")
    }
}
