import CAlsaKernel

/// The kernel's software parameters (`struct snd_pcm_sw_params`): when the stream starts, stops,
/// wakes its poller and fills silence. Frame counts are in frames.
public struct SoftwareParameters: Sendable, Equatable {
    /// Wake a poller when at least this many frames can be transferred. Never 0 (the kernel refuses it).
    public var availMin: Int
    /// Start automatically once this many frames are queued (playback) or requested (capture).
    /// Values above the buffer size mean "only on an explicit start".
    public var startThreshold: Int
    /// Stop with an xrun once this many frames are available. `boundary` or more means "never".
    public var stopThreshold: Int
    /// Playback: fill silence when fewer than this many frames are queued (0: off).
    public var silenceThreshold: Int
    /// Playback: how many frames of silence to fill at a time.
    public var silenceSize: Int
    /// Take a timestamp at each pointer update.
    public var timestampsEnabled: Bool
    /// The clock the timestamps come from.
    public var timestampType: TimestampType
    /// Where the kernel wraps `hw_ptr` and `appl_ptr` (a multiple of the buffer size). Read only:
    /// the kernel computes it from the buffer size and reports it with every SW_PARAMS.
    public internal(set) var boundary: Int

    /// The values the transport installs after HW_PARAMS, as aplay and alsa-lib do: start when the
    /// buffer is full (playback) or at once (capture), stop on any xrun, wake once per period.
    public static func defaults(for setup: HardwareSetup, direction: StreamDirection) -> SoftwareParameters {
        SoftwareParameters(
            availMin: setup.periodSize,
            startThreshold: direction == .playback ? setup.bufferSize : 1,
            stopThreshold: setup.bufferSize,
            silenceThreshold: 0,
            silenceSize: 0,
            timestampsEnabled: true,
            timestampType: .monotonic,
            boundary: 0)
    }

    /// The kernel's record; a negative count is refused (the kernel's fields are unsigned).
    func kernelRecord() throws(AlsaError) -> snd_pcm_sw_params {
        func frames(_ value: Int, _ name: String) throws(AlsaError) -> UInt {
            guard let frames = UInt(exactly: value) else {
                throw AlsaError(.swParams, .invalidArgument, context: "\(name) \(value) is negative")
            }
            return frames
        }
        var r = snd_pcm_sw_params()
        r.tstamp_mode = timestampsEnabled ? ALSA_TSTAMP_ENABLE : ALSA_TSTAMP_NONE
        r.period_step = 1
        r.avail_min = try frames(availMin, "avail min")
        r.start_threshold = try frames(startThreshold, "start threshold")
        r.stop_threshold = try frames(stopThreshold, "stop threshold")
        r.silence_threshold = try frames(silenceThreshold, "silence threshold")
        r.silence_size = try frames(silenceSize, "silence size")
        r.boundary = try frames(boundary, "boundary")
        r.proto = ALSA_PCM_VERSION
        r.tstamp_type = UInt32(timestampType.rawValue)
        return r
    }

    init(availMin: Int, startThreshold: Int, stopThreshold: Int, silenceThreshold: Int, silenceSize: Int,
         timestampsEnabled: Bool, timestampType: TimestampType, boundary: Int) {
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
        // The kernel's frame counts are below its boundary, itself below LONG_MAX; clamping only
        // guards against a kernel (or a fuzzed simulator) answering nonsense.
        self.init(availMin: Int(clamping: r.avail_min), startThreshold: Int(clamping: r.start_threshold),
                  stopThreshold: Int(clamping: r.stop_threshold),
                  silenceThreshold: Int(clamping: r.silence_threshold), silenceSize: Int(clamping: r.silence_size),
                  timestampsEnabled: r.tstamp_mode != ALSA_TSTAMP_NONE,
                  // Whatever the kernel answers: a value that is no clock type (even one beyond Int32) reads as monotonic.
                  timestampType: Int32(exactly: r.tstamp_type).flatMap(TimestampType.init(rawValue:)) ?? .monotonic,
                  boundary: Int(clamping: r.boundary))
    }
}

/// The clock of PCM timestamps (`SNDRV_PCM_TSTAMP_TYPE_*`).
public enum TimestampType: Int32, Sendable {
    /// The wall clock (CLOCK_REALTIME), which jumps when the time is set.
    case realtime = 0
    /// CLOCK_MONOTONIC: steady, slewed by NTP.
    case monotonic = 1
    /// CLOCK_MONOTONIC_RAW: steady, never slewed.
    case monotonicRaw = 2
}
