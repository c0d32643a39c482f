/// What a duplex callback sees: `Float` samples in [-1, 1), frame after frame or channel after
/// channel, or the device's own frames (both sides run one format, so a pass-through is a copy).
public enum DuplexSamples: Sendable, Equatable, CustomStringConvertible {
    /// `Float` samples in this layout, converted from the input device and to the output device.
    case float(SampleLayout)
    /// The devices' interleaved frames in their common format, untouched.
    case raw

    public var description: String {
        switch self {
        case .float(let layout): "Float, \(layout)"
        case .raw: "raw device frames"
        }
    }
}

/// How a duplex stream holds its latency when its two sides run on two clocks.
public enum DriftCompensation: Sendable, Equatable, CustomStringConvertible {
    /// Both sides are on one card, one clock: nothing drifts.
    case oneClock
    /// The "PCM Rate Shift 100000" control of the snd-aloop card on `side` is adjusted so that
    /// its clock follows the other side's, as alsaloop does.
    case rateShift(side: StreamDirection, card: Int)
    /// The input is resampled from the capture card's clock to the playback card's, at a ratio
    /// steered every period from the measured drift and the round trip, as PipeWire resamples a
    /// follower: no frame is dropped or repeated. Needs `DuplexSamples.float`. soxr's
    /// variable-rate filter adds its latency to the round trip: 268 frames at 48 kHz, whatever
    /// the `quality` (`DuplexTiming.resamplerFrames`).
    case resampling(quality: ResamplingQuality)
    /// A frame of output is dropped, or a frame of input repeated, where the signal is quietest.
    case frameAdjustment
    /// Not compensated (`DuplexOptions.compensation` said so): the round trip drifts.
    case none

    /// Which method a duplex stream may use.
    public enum Choice: Sendable, Equatable {
        /// A loopback card's rate shift where one side is on snd-aloop; else resampling the input
        /// (`standard` quality) with `Float` samples, frame adjustment with raw ones, which must
        /// reach the device untouched.
        case automatic
        /// Resampling the input at `quality`, even where a rate shift is available. Refused with
        /// `DuplexSamples.raw`.
        case resampling(quality: ResamplingQuality = .standard)
        /// Frame adjustment, even where a rate shift is available.
        case frameAdjustment
        /// Measure the drift, compensate nothing.
        case off
    }

    public var description: String {
        switch self {
        case .oneClock: "one clock (both sides on one card)"
        case .rateShift(let side, let card): "rate shift of the loopback card \(card) on the \(side) side"
        case .resampling(let quality): "resampling the input to the playback clock (\(quality.name) quality)"
        case .frameAdjustment: "dropping or repeating a frame where the signal is quietest"
        case .none: "not compensated"
        }
    }
}

/// What a duplex stream is asked for beyond its `StreamRequest`.
public struct DuplexOptions: Sendable, Equatable {
    /// What the callback sees.
    public var samples: DuplexSamples
    /// How two clocks are held together.
    public var compensation: DriftCompensation.Choice

    /// Float samples, interleaved, and the best compensation the devices allow by default.
    public init(samples: DuplexSamples = .float(.interleaved), compensation: DriftCompensation.Choice = .automatic) {
        self.samples = samples
        self.compensation = compensation
    }
}

/// How a duplex stream's two sides were started.
public enum DuplexStart: Sendable, Equatable, CustomStringConvertible {
    /// Linked (SNDRV_PCM_IOCTL_LINK, `snd_pcm_link`): one START starts both with one trigger
    /// timestamp, and the kernel stops both when either runs out.
    case linked
    /// The PCMs could not be linked (`refusal`: ENOSYS from dmix, dsnoop or a plugin, EINVAL across
    /// transports), so the stream starts both itself, capture then playback, back to back.
    case backToBack(refusal: AlsaError)

    public var description: String {
        switch self {
        case .linked: "linked: one start for both sides"
        case .backToBack(let refusal): "started back to back (not linked: \(refusal))"
        }
    }
}

/// What a duplex stream got: both sides on the same rate, period and format.
public struct DuplexConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The input side.
    public var capture: StreamConfiguration
    /// The output side.
    public var playback: StreamConfiguration
    /// Whether the two sides are linked.
    public var start: DuplexStart
    /// How the round trip is held where the sides run on two clocks.
    public var compensation: DriftCompensation
    /// What the callback sees.
    public var samples: DuplexSamples

    /// Frames per second, on both sides.
    public var sampleRate: Int { capture.sampleRate }
    /// Samples per frame, on both sides.
    public var channelCount: Int { capture.channelCount }
    /// The device format, on both sides.
    public var format: SampleFormat { capture.format }
    /// Frames per period, on both sides: what each callback gets and gives.
    public var periodSize: Int { capture.periodSize }
    /// The output queued ahead of the input at every start: two periods of silence, as alsa-lib's
    /// test/latency.c queues them; three where two clocks run free of each other (resampling, frame
    /// adjustment, or none) and the playback buffer holds three, because the two cards' period interrupts
    /// slide past each other and, at the crossing, a queue of two periods runs dry before the
    /// period that refills it is there. The round trip is this plus what the drivers declare
    /// beyond their buffers (`DuplexTiming` measures it).
    public var queuedFrames: Int

    public var description: String {
        "\(format) \(channelCount)ch \(sampleRate) Hz, period \(periodSize) frames, \(queuedFrames) frames queued; "
            + "capture \(capture.deviceName) via \(capture.transport) (\(capture.setup.access)), "
            + "playback \(playback.deviceName) via \(playback.transport) (\(playback.setup.access)); \(start); \(compensation)"
    }
}

/// Xruns a duplex stream met, by the side that ran out: an overrun of the input, an underrun of
/// the output. Either restarts both sides.
public struct DuplexXruns: Sendable, Equatable, CustomStringConvertible {
    /// The input's buffer filled before the stream read it.
    public var capture = 0
    /// The output's buffer ran dry before the stream wrote it.
    public var playback = 0

    /// No xrun yet.
    public init() {}

    /// Both sides together.
    public var total: Int { capture + playback }

    public var description: String { "\(total) xruns (capture \(capture), playback \(playback))" }
}
