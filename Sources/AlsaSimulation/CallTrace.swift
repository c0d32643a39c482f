import CAlsaKernel
import SystemPackage

/// A kind of seam call. `setNonBlocking` is the seam's fcntl(F_SETFL) call.
public enum SimulatedCall: Sendable, Hashable {
    /// open(2) of a device node.
    case open
    /// close(2).
    case close
    /// ioctl(2); the record's `request` says which.
    case ioctl
    /// mmap(2) of the buffer or a record.
    case mmap
    /// munmap(2).
    case munmap
    /// poll(2).
    case poll
    /// fcntl(F_SETFL) setting or clearing O_NONBLOCK.
    case setNonBlocking
}

/// One seam call as the simulated kernel saw it.
public struct SimulatedCallRecord: Sendable, Equatable {
    /// Which seam call it was.
    public var call: SimulatedCall
    /// For an ioctl: the request number.
    public var request: UInt?
    /// The kernel's name of an ioctl without `SNDRV_PCM_IOCTL_`, e.g. "SYNC_PTR".
    public var requestName: String?
    /// For SYNC_PTR: the flags user space passed.
    public var syncPtrFlags: UInt32?
    /// For SYNC_PTR with APPL clear: the appl_ptr user space pushed.
    public var applPtr: UInt?
    /// For mmap: the offset asked for, which names the region (data, status or control record).
    public var mmapOffset: Int?
    /// nil when the call succeeded.
    public var errno: Errno?
    /// For an ioctl: the descriptor it was made on (which PCM, where several are open).
    public var descriptor: Int32?

    /// A record of one call; the simulated kernel makes these, tests compare against them.
    public init(call: SimulatedCall, request: UInt? = nil, requestName: String? = nil, syncPtrFlags: UInt32? = nil,
                applPtr: UInt? = nil, mmapOffset: Int? = nil, errno: Errno? = nil) {
        self.call = call
        self.request = request
        self.requestName = requestName
        self.syncPtrFlags = syncPtrFlags
        self.applPtr = applPtr
        self.mmapOffset = mmapOffset
        self.errno = errno
    }
}

enum RequestNames {
    static let table: [UInt: String] = [
        ALSA_IOCTL_PVERSION: "PVERSION", ALSA_IOCTL_INFO: "INFO", ALSA_IOCTL_TSTAMP: "TSTAMP",
        ALSA_IOCTL_TTSTAMP: "TTSTAMP", ALSA_IOCTL_USER_PVERSION: "USER_PVERSION", ALSA_IOCTL_HW_REFINE: "HW_REFINE",
        ALSA_IOCTL_HW_PARAMS: "HW_PARAMS", ALSA_IOCTL_HW_FREE: "HW_FREE", ALSA_IOCTL_SW_PARAMS: "SW_PARAMS",
        ALSA_IOCTL_STATUS: "STATUS", ALSA_IOCTL_DELAY: "DELAY", ALSA_IOCTL_HWSYNC: "HWSYNC",
        ALSA_IOCTL_SYNC_PTR: "SYNC_PTR", ALSA_IOCTL_STATUS_EXT: "STATUS_EXT", ALSA_IOCTL_CHANNEL_INFO: "CHANNEL_INFO",
        ALSA_IOCTL_PREPARE: "PREPARE", ALSA_IOCTL_RESET: "RESET", ALSA_IOCTL_START: "START", ALSA_IOCTL_DROP: "DROP",
        ALSA_IOCTL_DRAIN: "DRAIN", ALSA_IOCTL_PAUSE: "PAUSE", ALSA_IOCTL_REWIND: "REWIND", ALSA_IOCTL_RESUME: "RESUME",
        ALSA_IOCTL_XRUN: "XRUN", ALSA_IOCTL_FORWARD: "FORWARD", ALSA_IOCTL_WRITEI_FRAMES: "WRITEI_FRAMES",
        ALSA_IOCTL_READI_FRAMES: "READI_FRAMES", ALSA_IOCTL_WRITEN_FRAMES: "WRITEN_FRAMES",
        ALSA_IOCTL_READN_FRAMES: "READN_FRAMES",
        ALSA_IOCTL_LINK: "LINK", ALSA_IOCTL_UNLINK: "UNLINK",
        ALSA_IOCTL_CTL_PVERSION: "CTL_PVERSION", ALSA_IOCTL_CTL_CARD_INFO: "CTL_CARD_INFO",
        ALSA_IOCTL_CTL_PCM_NEXT_DEVICE: "CTL_PCM_NEXT_DEVICE", ALSA_IOCTL_CTL_PCM_INFO: "CTL_PCM_INFO",
        ALSA_IOCTL_CTL_PCM_PREFER_SUBDEVICE: "CTL_PCM_PREFER_SUBDEVICE",
    ]
}
