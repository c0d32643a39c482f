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
    /// read(2) of a MIDI file (raw MIDI bytes, sequencer events).
    case read
    /// write(2) to a MIDI file.
    case write
    /// timerfd_create(2).
    case timerCreate
    /// timerfd_settime(2).
    case timerSet
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
    /// For HW_PARAMS: the record's `flags` (SNDRV_PCM_HW_PARAMS_*), NO_PERIOD_WAKEUP among them.
    public var hardwareParameterFlags: UInt32?
    /// nil when the call succeeded.
    public var errno: Errno?
    /// For an ioctl: the descriptor it was made on (which PCM, where several are open).
    public var descriptor: Int32?

    /// A record of one call; the simulated kernel makes these, tests compare against them.
    public init(call: SimulatedCall, request: UInt? = nil, requestName: String? = nil, syncPtrFlags: UInt32? = nil,
                applPtr: UInt? = nil, mmapOffset: Int? = nil, hardwareParameterFlags: UInt32? = nil, errno: Errno? = nil) {
        self.call = call
        self.request = request
        self.requestName = requestName
        self.syncPtrFlags = syncPtrFlags
        self.applPtr = applPtr
        self.mmapOffset = mmapOffset
        self.hardwareParameterFlags = hardwareParameterFlags
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
        ALSA_IOCTL_RAWMIDI_PVERSION: "RAWMIDI_PVERSION", ALSA_IOCTL_RAWMIDI_INFO: "RAWMIDI_INFO",
        ALSA_IOCTL_RAWMIDI_PARAMS: "RAWMIDI_PARAMS", ALSA_IOCTL_RAWMIDI_STATUS: "RAWMIDI_STATUS",
        ALSA_IOCTL_RAWMIDI_DROP: "RAWMIDI_DROP", ALSA_IOCTL_RAWMIDI_DRAIN: "RAWMIDI_DRAIN",
        ALSA_IOCTL_CTL_RAWMIDI_NEXT_DEVICE: "CTL_RAWMIDI_NEXT_DEVICE", ALSA_IOCTL_CTL_RAWMIDI_INFO: "CTL_RAWMIDI_INFO",
        ALSA_IOCTL_CTL_RAWMIDI_PREFER_SUBDEVICE: "CTL_RAWMIDI_PREFER_SUBDEVICE",
        ALSA_IOCTL_SEQ_PVERSION: "SEQ_PVERSION", ALSA_IOCTL_SEQ_CLIENT_ID: "SEQ_CLIENT_ID",
        ALSA_IOCTL_SEQ_SYSTEM_INFO: "SEQ_SYSTEM_INFO", ALSA_IOCTL_SEQ_GET_CLIENT_INFO: "SEQ_GET_CLIENT_INFO",
        ALSA_IOCTL_SEQ_SET_CLIENT_INFO: "SEQ_SET_CLIENT_INFO", ALSA_IOCTL_SEQ_CREATE_PORT: "SEQ_CREATE_PORT",
        ALSA_IOCTL_SEQ_DELETE_PORT: "SEQ_DELETE_PORT", ALSA_IOCTL_SEQ_GET_PORT_INFO: "SEQ_GET_PORT_INFO",
        ALSA_IOCTL_SEQ_SUBSCRIBE_PORT: "SEQ_SUBSCRIBE_PORT", ALSA_IOCTL_SEQ_UNSUBSCRIBE_PORT: "SEQ_UNSUBSCRIBE_PORT",
        ALSA_IOCTL_SEQ_CREATE_QUEUE: "SEQ_CREATE_QUEUE", ALSA_IOCTL_SEQ_DELETE_QUEUE: "SEQ_DELETE_QUEUE",
        ALSA_IOCTL_SEQ_GET_QUEUE_STATUS: "SEQ_GET_QUEUE_STATUS", ALSA_IOCTL_SEQ_GET_QUEUE_TEMPO: "SEQ_GET_QUEUE_TEMPO",
        ALSA_IOCTL_SEQ_SET_QUEUE_TEMPO: "SEQ_SET_QUEUE_TEMPO", ALSA_IOCTL_SEQ_GET_CLIENT_POOL: "SEQ_GET_CLIENT_POOL",
        ALSA_IOCTL_SEQ_SET_CLIENT_POOL: "SEQ_SET_CLIENT_POOL", ALSA_IOCTL_SEQ_QUERY_SUBS: "SEQ_QUERY_SUBS",
        ALSA_IOCTL_SEQ_GET_SUBSCRIPTION: "SEQ_GET_SUBSCRIPTION", ALSA_IOCTL_SEQ_QUERY_NEXT_CLIENT: "SEQ_QUERY_NEXT_CLIENT",
        ALSA_IOCTL_SEQ_QUERY_NEXT_PORT: "SEQ_QUERY_NEXT_PORT",
        ALSA_IOCTL_CTL_PVERSION: "CTL_PVERSION", ALSA_IOCTL_CTL_CARD_INFO: "CTL_CARD_INFO",
        ALSA_IOCTL_CTL_PCM_NEXT_DEVICE: "CTL_PCM_NEXT_DEVICE", ALSA_IOCTL_CTL_PCM_INFO: "CTL_PCM_INFO",
        ALSA_IOCTL_CTL_PCM_PREFER_SUBDEVICE: "CTL_PCM_PREFER_SUBDEVICE",
    ]
}
