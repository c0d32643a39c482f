import SystemPackage

/// An error from ALSA: which operation failed, and the kernel's errno. Switch on `kind`; print it,
/// or read `operationName`, to tell which call failed.
///
/// It carries no heap storage on the audio path (`context` is only set during setup), so throwing
/// it from a transfer loop allocates nothing.
public struct AlsaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The operation that failed. Package-only, so that a new call never breaks an app's `switch`:
    /// apps read `operationName` and `kind`.
    package let operation: PCMOperation
    /// The kernel's (or alsa-lib's) error number.
    public let errno: Errno
    /// Extra detail for setup errors, such as what was asked and what the device offers.
    public let context: String?

    /// An error of `operation` with `errno`, and detail for setup errors.
    package init(_ operation: PCMOperation, _ errno: Errno, context: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.context = context
    }

    /// The name of the call that failed, as the description prints it: the kernel's ioctl
    /// (`HW_PARAMS`, `SYNC_PTR`), alsa-lib's function (`snd_pcm_mmap_begin`) or the library's step
    /// (`open`, `configure`, `transfer`). For messages and logs; switch on `kind`.
    public var operationName: String { operation.rawValue }

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

    /// What an error means for the stream, for a `switch`.
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
        /// Any other errno: see `errno`.
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
        case .noSuchDevice where operation == .open: "no such sound device: /proc/asound/cards lists the cards this machine has"
        default: nil
        }
    }
}

/// The operation an `AlsaError` came from. One case per kernel call the transport makes, plus the
/// library-level steps that can refuse a request before the kernel sees it. Package-only: an app
/// reads the name (`AlsaError.operationName`), so adding a call adds a case without breaking it.
package enum PCMOperation: String, Sendable, Equatable {
    /// Opening the device node.
    case open
    /// Closing it.
    case close
    /// Reading the kernel's PCM protocol version (PVERSION).
    case protocolVersion = "PVERSION"
    /// Announcing the protocol version this library speaks (USER_PVERSION).
    case userProtocolVersion = "USER_PVERSION"
    /// Reading the PCM's description (INFO).
    case info = "INFO"
    /// Choosing the timestamp clock (TTSTAMP).
    case timestampType = "TTSTAMP"
    /// Narrowing a hardware configuration space (HW_REFINE).
    case hwRefine = "HW_REFINE"
    /// Installing a hardware configuration (HW_PARAMS).
    case hwParams = "HW_PARAMS"
    /// Releasing the hardware configuration (HW_FREE).
    case hwFree = "HW_FREE"
    /// Installing software parameters (SW_PARAMS).
    case swParams = "SW_PARAMS"
    /// Reading the status record (STATUS).
    case status = "STATUS"
    /// Reading the status record with the audio timestamp asked for (STATUS_EXT).
    case statusExtended = "STATUS_EXT"
    /// Reading the delay (DELAY).
    case delay = "DELAY"
    /// Synchronising the hardware pointer (HWSYNC).
    case hwsync = "HWSYNC"
    /// Exchanging the status and control records (SYNC_PTR).
    case syncPtr = "SYNC_PTR"
    /// Reading where a channel lies in the buffer (CHANNEL_INFO).
    case channelInfo = "CHANNEL_INFO"
    /// Preparing the stream (PREPARE).
    case prepare = "PREPARE"
    /// Resetting the position counters (RESET).
    case reset = "RESET"
    /// Starting the stream (START).
    case start = "START"
    /// Stopping and discarding (DROP).
    case drop = "DROP"
    /// Playing out and stopping (DRAIN).
    case drain = "DRAIN"
    /// Pausing or releasing (PAUSE).
    case pause = "PAUSE"
    /// Resuming after a suspend (RESUME).
    case resume = "RESUME"
    /// Moving the application pointer back (REWIND).
    case rewind = "REWIND"
    /// Moving the application pointer forward (FORWARD).
    case forward = "FORWARD"
    /// Linking two PCMs so that they start and stop together (LINK, `snd_pcm_link`).
    case link = "LINK"
    /// Taking a PCM out of its link group (UNLINK, `snd_pcm_unlink`).
    case unlink = "UNLINK"
    /// Writing interleaved frames (WRITEI_FRAMES).
    case writeInterleaved = "WRITEI_FRAMES"
    /// Reading interleaved frames (READI_FRAMES).
    case readInterleaved = "READI_FRAMES"
    /// Writing non-interleaved frames (WRITEN_FRAMES).
    case writeNonInterleaved = "WRITEN_FRAMES"
    /// Reading non-interleaved frames (READN_FRAMES).
    case readNonInterleaved = "READN_FRAMES"
    /// Mapping the sample buffer.
    case mmapData = "mmap(data)"
    /// Mapping the status record.
    case mmapStatus = "mmap(status)"
    /// Mapping the control record.
    case mmapControl = "mmap(control)"
    /// Unmapping a region.
    case munmap
    /// Waiting in poll(2), or setting up the wait.
    case poll
    /// Negotiation refused a request before or after asking the kernel.
    case configure
    /// A transfer call whose arguments did not fit the stream's setup.
    case transfer
    /// alsa-lib's start of an mmap transfer (`snd_pcm_mmap_begin`).
    case mmapBegin = "snd_pcm_mmap_begin"
    /// alsa-lib's end of an mmap transfer (`snd_pcm_mmap_commit`).
    case mmapCommit = "snd_pcm_mmap_commit"
    /// Reading a card's description (control CARD_INFO).
    case controlCardInfo = "CTL CARD_INFO"
    /// Listing a card's PCM devices (control PCM_NEXT_DEVICE).
    case controlNextDevice = "CTL PCM_NEXT_DEVICE"
    /// Reading a PCM device's description (control PCM_INFO).
    case controlPCMInfo = "CTL PCM_INFO"
    /// Asking for a subdevice (control PCM_PREFER_SUBDEVICE).
    case controlPreferSubdevice = "CTL PCM_PREFER_SUBDEVICE"
    /// Reading alsa-lib's PCM names (`snd_device_name_hint`).
    case nameHints = "snd_device_name_hint"
    /// Listing a card's control elements (ELEM_LIST).
    case controlElementList = "CTL ELEM_LIST"
    /// Reading an element's description (ELEM_INFO).
    case controlElementInfo = "CTL ELEM_INFO"
    /// Reading an element's value (ELEM_READ).
    case controlElementRead = "CTL ELEM_READ"
    /// Writing an element's value (ELEM_WRITE).
    case controlElementWrite = "CTL ELEM_WRITE"
    /// Reading an element's TLV data, such as its dB scale (TLV_READ).
    case controlTLVRead = "CTL TLV_READ"
    /// Reading, querying or setting a PCM's channel map (its CHMAP control, or alsa-lib's chmap calls).
    case channelMap = "channel map"
    /// Subscribing to control events (SUBSCRIBE_EVENTS).
    case controlSubscribe = "CTL SUBSCRIBE_EVENTS"
    /// Reading control events from the control device.
    case controlReadEvents = "read(control)"
    /// A value or gain a dB scale cannot convert.
    case decibelConversion = "dB conversion"
    /// alsa-lib's simple mixer (`snd_mixer_*`).
    case simpleMixer = "snd_mixer"
    /// Setting up the inotify watch on the device directory.
    case watchDevices = "inotify"
    /// Reading inotify events of the device directory.
    case readDeviceChanges = "read(inotify)"
    /// Setting up or running a sample-rate converter (`Resampler`).
    case resampling
    /// A MIDI message the app built with a value out of range, or an event the sequencer cannot carry.
    case midiMessage = "MIDI message"
    /// Listing a card's raw MIDI devices (control RAWMIDI_NEXT_DEVICE).
    case controlRawMIDINextDevice = "CTL RAWMIDI_NEXT_DEVICE"
    /// Reading a raw MIDI device's description through the control device (control RAWMIDI_INFO).
    case controlRawMIDIInfo = "CTL RAWMIDI_INFO"
    /// Reading an open raw MIDI device's description (RAWMIDI INFO).
    case rawMIDIInfo = "RAWMIDI INFO"
    /// Setting a raw MIDI stream's buffer (RAWMIDI PARAMS).
    case rawMIDIParameters = "RAWMIDI PARAMS"
    /// Reading a raw MIDI stream's status (RAWMIDI STATUS).
    case rawMIDIStatus = "RAWMIDI STATUS"
    /// Discarding the raw MIDI output not yet sent (RAWMIDI DROP).
    case rawMIDIDrop = "RAWMIDI DROP"
    /// Waiting until the raw MIDI output is sent (RAWMIDI DRAIN).
    case rawMIDIDrain = "RAWMIDI DRAIN"
    /// Reading bytes from a raw MIDI device.
    case rawMIDIRead = "read(rawmidi)"
    /// Writing bytes to a raw MIDI device.
    case rawMIDIWrite = "write(rawmidi)"
    /// Reading the sequencer's protocol version (SEQ PVERSION).
    case sequencerVersion = "SEQ PVERSION"
    /// Learning this client's number (SEQ CLIENT_ID).
    case sequencerClientID = "SEQ CLIENT_ID"
    /// Reading a client's description (SEQ GET_CLIENT_INFO, QUERY_NEXT_CLIENT).
    case sequencerClientInfo = "SEQ GET_CLIENT_INFO"
    /// Naming this client (SEQ SET_CLIENT_INFO).
    case sequencerSetClientInfo = "SEQ SET_CLIENT_INFO"
    /// Setting this client's event pools (SEQ SET_CLIENT_POOL).
    case sequencerClientPool = "SEQ SET_CLIENT_POOL"
    /// Creating a port (SEQ CREATE_PORT).
    case sequencerCreatePort = "SEQ CREATE_PORT"
    /// Deleting a port (SEQ DELETE_PORT).
    case sequencerDeletePort = "SEQ DELETE_PORT"
    /// Reading a port's description (SEQ GET_PORT_INFO, QUERY_NEXT_PORT).
    case sequencerPortInfo = "SEQ GET_PORT_INFO"
    /// Connecting two ports (SEQ SUBSCRIBE_PORT).
    case sequencerSubscribe = "SEQ SUBSCRIBE_PORT"
    /// Disconnecting two ports (SEQ UNSUBSCRIBE_PORT).
    case sequencerUnsubscribe = "SEQ UNSUBSCRIBE_PORT"
    /// Listing a port's connections (SEQ QUERY_SUBS).
    case sequencerQuerySubscriptions = "SEQ QUERY_SUBS"
    /// Creating a queue (SEQ CREATE_QUEUE).
    case sequencerCreateQueue = "SEQ CREATE_QUEUE"
    /// Deleting a queue (SEQ DELETE_QUEUE).
    case sequencerDeleteQueue = "SEQ DELETE_QUEUE"
    /// Reading a queue's position (SEQ GET_QUEUE_STATUS).
    case sequencerQueueStatus = "SEQ GET_QUEUE_STATUS"
    /// Reading or setting a queue's tempo (SEQ GET_QUEUE_TEMPO, SET_QUEUE_TEMPO).
    case sequencerQueueTempo = "SEQ SET_QUEUE_TEMPO"
    /// Reading events from the sequencer.
    case sequencerRead = "read(seq)"
    /// Writing events to the sequencer.
    case sequencerWrite = "write(seq)"
}

// Glibc spells these as macros that Swift imports as Int32; keep the values in one place.
let ESTRPIPE_VALUE: Int32 = 86
let EBADFD_VALUE: Int32 = 77

/// The errno values ALSA uses that swift-system has no name for, or names otherwise.
extension Errno {
    /// ESTRPIPE: the stream was suspended.
    public static var streamPipe: Errno { Errno(rawValue: ESTRPIPE_VALUE) }
    /// ENODEV: the device is gone. (swift-system calls it `operationNotSupportedByDevice`.)
    public static var noDevice: Errno { .operationNotSupportedByDevice }
    /// EBADFD: file descriptor in bad state (ALSA uses it for "wrong PCM state").
    public static var badFileDescriptorState: Errno { Errno(rawValue: EBADFD_VALUE) }
}
