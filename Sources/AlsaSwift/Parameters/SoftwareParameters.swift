import CAlsaKernel

/// The kernel's software parameters (`struct snd_pcm_sw_params`): when the stream starts, stops,
/// wakes its poller and fills silence. Frame counts are in frames.
public struct SoftwareParameters: Sendable, Equatable {
    /// Wake a poller when at least this many frames can be transferred. Never 0 (the kernel refuses it).
    public var availMin: UInt
    /// Start automatically once this many frames are queued (playback) or requested (capture).
    /// Values above the buffer size mean "only on an explicit start".
    public var startThreshold: UInt
    /// Stop with an xrun once this many frames are available. `boundary` or more means "never".
    public var stopThreshold: UInt
    public var silenceThreshold: UInt
    public var silenceSize: UInt
    /// Take a timestamp at each pointer update.
    public var timestampsEnabled: Bool
    public var timestampType: TimestampType
    /// Where the kernel wraps `hw_ptr` and `appl_ptr` (a multiple of the buffer size). Read only:
    /// the kernel computes it from the buffer size and reports it with every SW_PARAMS.
    public internal(set) var boundary: UInt

    /// The values the transport installs after HW_PARAMS, as aplay and alsa-lib do: start when the
    /// buffer is full (playback) or at once (capture), stop on any xrun, wake once per period.
    public static func defaults(for setup: HardwareSetup, direction: StreamDirection) -> SoftwareParameters {
        SoftwareParameters(
            availMin: UInt(setup.periodSize),
            startThreshold: direction == .playback ? UInt(setup.bufferSize) : 1,
            stopThreshold: UInt(setup.bufferSize),
            silenceThreshold: 0,
            silenceSize: 0,
            timestampsEnabled: true,
            timestampType: .monotonic,
            boundary: 0)
    }

    var kernelRecord: snd_pcm_sw_params {
        var r = snd_pcm_sw_params()
        r.tstamp_mode = timestampsEnabled ? ALSA_TSTAMP_ENABLE : ALSA_TSTAMP_NONE
        r.period_step = 1
        r.avail_min = availMin
        r.start_threshold = startThreshold
        r.stop_threshold = stopThreshold
        r.silence_threshold = silenceThreshold
        r.silence_size = silenceSize
        r.boundary = boundary
        r.proto = ALSA_PCM_VERSION
        r.tstamp_type = UInt32(timestampType.rawValue)
        return r
    }

    init(availMin: UInt, startThreshold: UInt, stopThreshold: UInt, silenceThreshold: UInt, silenceSize: UInt,
         timestampsEnabled: Bool, timestampType: TimestampType, boundary: UInt) {
        self.availMin = availMin
        self.startThreshold = startThreshold
        self.stopThreshold = stopThreshold
        self.silenceThreshold = silenceThreshold
        self.silenceSize = silenceSize
        self.timestampsEnabled = timestampsEnabled
        self.timestampType = timestampType
        self.boundary = boundary
    }

    init(kernelRecord r: snd_pcm_sw_params) {
        self.init(availMin: r.avail_min, startThreshold: r.start_threshold, stopThreshold: r.stop_threshold,
                  silenceThreshold: r.silence_threshold, silenceSize: r.silence_size,
                  timestampsEnabled: r.tstamp_mode != ALSA_TSTAMP_NONE,
                  // Whatever the kernel answers: a value that is no clock type (even one beyond Int32) reads as monotonic.
                  timestampType: Int32(exactly: r.tstamp_type).flatMap(TimestampType.init(rawValue:)) ?? .monotonic,
                  boundary: r.boundary)
    }
}

/// The clock of PCM timestamps (`SNDRV_PCM_TSTAMP_TYPE_*`).
public enum TimestampType: Int32, Sendable {
    case realtime = 0
    case monotonic = 1
    case monotonicRaw = 2
}
