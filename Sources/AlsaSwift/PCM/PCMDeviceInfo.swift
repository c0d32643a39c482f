import CAlsaKernel

/// Identity of an open PCM, from the INFO ioctl.
public struct PCMDeviceInfo: Sendable, Equatable {
    /// The card's number (the N of hw:N).
    public var card: Int
    /// The device's number on its card.
    public var device: Int
    /// The subdevice opened.
    public var subdevice: Int
    /// Playback or capture.
    public var direction: StreamDirection
    /// The device's id.
    public var id: String
    /// The device's name.
    public var name: String
    /// The subdevice's name.
    public var subdeviceName: String
    /// Subdevices the device has.
    public var subdeviceCount: Int
    /// Subdevices not open by anyone.
    public var subdevicesAvailable: Int

    init(_ r: snd_pcm_info) {
        card = Int(r.card)
        device = Int(r.device)
        subdevice = Int(r.subdevice)
        direction = StreamDirection(rawValue: r.stream) ?? .playback
        id = CString.decode(r.id)
        name = CString.decode(r.name)
        subdeviceName = CString.decode(r.subname)
        subdeviceCount = Int(r.subdevices_count)
        subdevicesAvailable = Int(r.subdevices_avail)
    }
}

/// The kernel's STATUS record: positions, counts and timestamps at one instant.
public struct PCMStatus: Sendable, Equatable {
    /// The stream's state.
    public var state: StreamState
    /// The state before a suspend, while suspended.
    public var suspendedState: StreamState
    /// Where the app is in the stream, in frames (wraps at the boundary).
    public var applPtr: Int
    /// Where the hardware is, in frames (wraps at the boundary).
    public var hwPtr: Int
    /// Frames between what the app transferred and what the hardware played or captured.
    public var delay: Int
    /// Frames that can be transferred now.
    public var avail: Int
    /// The most frames that were available since the last status.
    public var availMax: Int
    /// When the stream last started or stopped.
    public var triggerTimestamp: Duration
    /// When this status was taken.
    public var timestamp: Duration
    /// The position of the audio at `timestamp`, as time, where the driver reports it.
    public var audioTimestamp: Duration

    init(_ r: snd_pcm_status) {
        state = StreamState(kernelValue: r.state)
        suspendedState = StreamState(kernelValue: r.suspended_state)
        // Kernel pointers stay below its boundary (< LONG_MAX); clamp against nonsense answers.
        applPtr = Int(clamping: r.appl_ptr)
        hwPtr = Int(clamping: r.hw_ptr)
        delay = r.delay
        avail = Int(clamping: r.avail)
        availMax = Int(clamping: r.avail_max)
        triggerTimestamp = Duration(r.trigger_tstamp)
        timestamp = Duration(r.tstamp)
        audioTimestamp = Duration(r.audio_tstamp)
    }
}

extension Duration {
    init(_ t: timespec) {
        self = .seconds(Int64(t.tv_sec)) + .nanoseconds(Int64(t.tv_nsec))
    }
}
