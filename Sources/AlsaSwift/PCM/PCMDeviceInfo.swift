import CAlsaKernel

/// Identity of an open PCM, from the INFO ioctl.
public struct PCMDeviceInfo: Sendable, Equatable {
    public var card: Int32
    public var device: UInt32
    public var subdevice: UInt32
    public var direction: StreamDirection
    public var id: String
    public var name: String
    public var subdeviceName: String
    public var subdeviceCount: UInt32
    public var subdevicesAvailable: UInt32

    init(_ r: snd_pcm_info) {
        card = r.card
        device = r.device
        subdevice = r.subdevice
        direction = StreamDirection(rawValue: r.stream) ?? .playback
        id = CString.decode(r.id)
        name = CString.decode(r.name)
        subdeviceName = CString.decode(r.subname)
        subdeviceCount = r.subdevices_count
        subdevicesAvailable = r.subdevices_avail
    }
}

/// The kernel's STATUS record: positions, counts and timestamps at one instant.
public struct PCMStatus: Sendable, Equatable {
    public var state: PCMState
    public var suspendedState: PCMState
    public var applPtr: UInt
    public var hwPtr: UInt
    /// Frames between what the app transferred and what the hardware played or captured.
    public var delay: Int
    public var avail: UInt
    public var availMax: UInt
    public var triggerTimestamp: Duration
    public var timestamp: Duration
    public var audioTimestamp: Duration

    init(_ r: snd_pcm_status) {
        state = PCMState(kernelValue: r.state)
        suspendedState = PCMState(kernelValue: r.suspended_state)
        applPtr = r.appl_ptr
        hwPtr = r.hw_ptr
        delay = r.delay
        avail = r.avail
        availMax = r.avail_max
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
