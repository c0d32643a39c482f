import SystemPackage

/// An error from ALSA: which operation failed, and the kernel's errno.
///
/// It carries no heap storage on the audio path (`context` is only set during setup), so throwing
/// it from a transfer loop allocates nothing.
public struct AlsaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: PCMOperation
    public let errno: Errno
    /// Extra detail for setup errors, such as what was asked and what the device offers.
    public let context: String?

    public init(_ operation: PCMOperation, _ errno: Errno, context: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.context = context
    }

    /// What the errno means for the stream, so callers can switch on it.
    public var kind: Kind {
        switch errno {
        case .brokenPipe: return .xrun
        case Errno(rawValue: ESTRPIPE_VALUE): return .suspended
        case .noDevice: return .disconnected
        case .resourceTemporarilyUnavailable: return .wouldBlock
        case Errno(rawValue: EBADFD_VALUE): return .badState
        case .interrupted: return .interrupted
        case .resourceBusy: return .busy
        case .invalidArgument: return .invalidArgument
        case .canceled: return .cancelled
        case .noSuchFileOrDirectory: return .noSuchDevice
        case .permissionDenied, .notPermitted: return .permissionDenied
        default: return .other
        }
    }

    public enum Kind: Sendable, Equatable {
        /// Underrun (playback) or overrun (capture): EPIPE.
        case xrun
        /// The system suspended the device: ESTRPIPE. Resume, or prepare if the driver cannot.
        case suspended
        /// The device is gone (unplugged, driver unloaded): ENODEV. The handle is dead.
        case disconnected
        /// Non-blocking mode and the device cannot take or give frames now: EAGAIN.
        case wouldBlock
        /// The stream is in the wrong state for the call: EBADFD.
        case badState
        /// A signal interrupted the call before anything was transferred: EINTR.
        case interrupted
        /// Another process has the device: EBUSY.
        case busy
        /// The kernel refused a parameter or pointer value: EINVAL.
        case invalidArgument
        /// The task waiting on the device was cancelled: ECANCELED (async API only).
        case cancelled
        /// No such device: the node or card does not exist (ENOENT), e.g. a card index with no
        /// card, or a machine without sound hardware.
        case noSuchDevice
        /// The process may not open the device (EACCES, EPERM): on most systems the user must be in
        /// the `audio` group, or logged in at the seat that owns the device.
        case permissionDenied
        case other
    }

    public var description: String {
        var text = "\(operation.rawValue) failed: \(errno) (errno \(errno.rawValue))"
        if let context { text += ": \(context)" }
        if let remedy { text += " (\(remedy))" }
        return text
    }

    /// What usually fixes an error of this kind, for the kinds where one thing does.
    public var remedy: String? {
        switch kind {
        case .permissionDenied: "add the user to the audio group (sudo usermod -aG audio $USER, then log in again)"
        case .noSuchDevice where operation == .open: "no such sound device: see `alsa-info` or /proc/asound/cards for what this machine has"
        default: nil
        }
    }
}

/// The operation an `AlsaError` came from. One case per kernel call the transport makes, plus the
/// library-level steps that can refuse a request before the kernel sees it.
public enum PCMOperation: String, Sendable, Equatable {
    case open, close
    case protocolVersion = "PVERSION"
    case userProtocolVersion = "USER_PVERSION"
    case info = "INFO"
    case timestampType = "TTSTAMP"
    case hwRefine = "HW_REFINE"
    case hwParams = "HW_PARAMS"
    case hwFree = "HW_FREE"
    case swParams = "SW_PARAMS"
    case status = "STATUS"
    case statusExtended = "STATUS_EXT"
    case delay = "DELAY"
    case hwsync = "HWSYNC"
    case syncPtr = "SYNC_PTR"
    case channelInfo = "CHANNEL_INFO"
    case prepare = "PREPARE"
    case reset = "RESET"
    case start = "START"
    case drop = "DROP"
    case drain = "DRAIN"
    case pause = "PAUSE"
    case resume = "RESUME"
    case rewind = "REWIND"
    case forward = "FORWARD"
    case writeInterleaved = "WRITEI_FRAMES"
    case readInterleaved = "READI_FRAMES"
    case writeNonInterleaved = "WRITEN_FRAMES"
    case readNonInterleaved = "READN_FRAMES"
    case mmapData = "mmap(data)"
    case mmapStatus = "mmap(status)"
    case mmapControl = "mmap(control)"
    case munmap
    case poll
    /// Negotiation refused a request before or after asking the kernel.
    case configure
    /// A transfer call whose arguments did not fit the stream's setup.
    case transfer
    case mmapBegin = "snd_pcm_mmap_begin"
    case mmapCommit = "snd_pcm_mmap_commit"
    case controlCardInfo = "CTL CARD_INFO"
    case controlNextDevice = "CTL PCM_NEXT_DEVICE"
    case controlPCMInfo = "CTL PCM_INFO"
    case controlPreferSubdevice = "CTL PCM_PREFER_SUBDEVICE"
    case nameHints = "snd_device_name_hint"
    case controlElementList = "CTL ELEM_LIST"
    case controlElementInfo = "CTL ELEM_INFO"
    case controlElementRead = "CTL ELEM_READ"
    case controlElementWrite = "CTL ELEM_WRITE"
    case controlTLVRead = "CTL TLV_READ"
    /// Reading, querying or setting a PCM's channel map (its CHMAP control, or alsa-lib's chmap calls).
    case channelMap = "channel map"
    case controlSubscribe = "CTL SUBSCRIBE_EVENTS"
    case controlReadEvents = "read(control)"
    /// A value or gain a dB scale cannot convert.
    case decibelConversion = "dB conversion"
    /// alsa-lib's simple mixer (`snd_mixer_*`).
    case simpleMixer = "snd_mixer"
    case watchDevices = "inotify"
    case readDeviceChanges = "read(inotify)"
}

// Glibc spells these as macros that Swift imports as Int32; keep the values in one place.
let ESTRPIPE_VALUE: Int32 = 86
let EBADFD_VALUE: Int32 = 77

extension Errno {
    /// ESTRPIPE: the stream was suspended.
    public static var streamPipe: Errno { Errno(rawValue: ESTRPIPE_VALUE) }
    /// ENODEV: the device is gone. (swift-system calls it `operationNotSupportedByDevice`.)
    public static var noDevice: Errno { .operationNotSupportedByDevice }
    /// EBADFD: file descriptor in bad state (ALSA uses it for "wrong PCM state").
    public static var badFileDescriptorState: Errno { Errno(rawValue: EBADFD_VALUE) }
}
