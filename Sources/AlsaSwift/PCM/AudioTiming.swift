#if canImport(Glibc)
import Glibc
#endif

/// A point in time on the kernel's monotonic clock (`CLOCK_MONOTONIC`), the clock AlsaSwift asks
/// the kernel to stamp PCM positions with. Compare it with `MonotonicInstant.now`, or with any
/// other `CLOCK_MONOTONIC` reading (video presentation times, `clock_gettime`).
///
/// Swift's `ContinuousClock` and `SuspendingClock` hide which kernel clock they read, so they are
/// not used here.
public struct MonotonicInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Time since the clock's origin (the boot, not counting time suspended).
    public var sinceBoot: Duration

    /// The instant `sinceBoot` after the clock's origin.
    public init(sinceBoot: Duration) { self.sinceBoot = sinceBoot }

    /// Now, read from `CLOCK_MONOTONIC`.
    public static var now: MonotonicInstant {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return MonotonicInstant(sinceBoot: Duration(now))
    }

    /// Earlier instants are smaller.
    public static func < (a: MonotonicInstant, b: MonotonicInstant) -> Bool { a.sinceBoot < b.sinceBoot }
    /// The instant `b` after `a`.
    public static func + (a: MonotonicInstant, b: Duration) -> MonotonicInstant { MonotonicInstant(sinceBoot: a.sinceBoot + b) }
    /// The instant `b` before `a`.
    public static func - (a: MonotonicInstant, b: Duration) -> MonotonicInstant { MonotonicInstant(sinceBoot: a.sinceBoot - b) }
    /// The time from `b` to `a`.
    public static func - (a: MonotonicInstant, b: MonotonicInstant) -> Duration { a.sinceBoot - b.sinceBoot }

    /// Seconds since boot with nanoseconds, e.g. `1234.000500000 s`.
    public var description: String {
        let nanoseconds = sinceBoot.nanosecondsSaturating
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        let fraction = String(magnitude % 1_000_000_000)
        return "\(sign)\(magnitude / 1_000_000_000).\(String(repeating: "0", count: 9 - fraction.count))\(fraction) s"
    }
}

/// Where a PCM's audio timestamp comes from (`SNDRV_PCM_AUDIO_TSTAMP_TYPE_*`).
public enum AudioTimestampSource: Int, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Counted from the hardware pointer: frames the DMA engine moved since the start, divided by
    /// the rate (DEFAULT; also what a kernel without a report gives).
    case hardwarePointer = 1
    /// A sample or wall-clock counter on the link to the codec, reset at start (LINK).
    case link = 2
    /// As `link`, not reset at start (LINK_ABSOLUTE).
    case linkAbsolute = 3
    /// Link time estimated indirectly (LINK_ESTIMATED).
    case linkEstimated = 4
    /// Link time read together with the system time (LINK_SYNCHRONIZED).
    case linkSynchronized = 5

    /// The source the kernel can give for a device with these info flags, best first: a link
    /// counter where the driver declares one, else the hardware pointer.
    public static func best(offeredBy info: PCMInfoFlags) -> AudioTimestampSource {
        if info.contains(.hasLinkSynchronizedTime) { return .linkSynchronized }
        if info.contains(.hasLinkAbsoluteTime) { return .linkAbsolute }
        if info.contains(.hasLinkTime) { return .link }
        if info.contains(.hasLinkEstimatedTime) { return .linkEstimated }
        return .hardwarePointer
    }

    public var description: String {
        switch self {
        case .hardwarePointer: "hardware pointer"
        case .link: "link"
        case .linkAbsolute: "absolute link"
        case .linkEstimated: "estimated link"
        case .linkSynchronized: "synchronized link"
        }
    }
}

/// The device's own reading of the audio position: audio time since the stream started (or, for
/// `linkAbsolute`, since the link started), taken at the same instant as `AudioTiming.timestamp`.
public struct AudioTimestamp: Sendable, Equatable, CustomStringConvertible {
    /// Audio time since the start (or since the link started, for `linkAbsolute`).
    public var time: Duration
    /// Where the kernel took it from. A kernel older than PCM protocol 2.0.13, or a driver that
    /// reports nothing, gives `.hardwarePointer`.
    public var source: AudioTimestampSource
    /// How exact the driver says `time` is, when it says.
    public var accuracy: Duration?

    /// A reading of `time` from `source`, exact to `accuracy` when known.
    public init(time: Duration, source: AudioTimestampSource, accuracy: Duration?) {
        self.time = time
        self.source = source
        self.accuracy = accuracy
    }

    public var description: String {
        "\(time) (\(source)\(accuracy.map { ", ±\($0)" } ?? ""))"
    }
}

/// Where a stream is in time, for audio/video sync: which frame was at the speaker (playback) or
/// at the converter (capture) at which instant of the monotonic clock, taken from the kernel's
/// status record (its `tstamp`, trigger timestamp and audio timestamp) in one call.
///
/// Frames are counted from 0 at the last prepare: the frames the app wrote (playback) or read
/// (capture) since the stream was opened, stopped, or recovered from an xrun.
///
///     let timing = try stream.timing()
///     let heardAt = timing.nextFrameTime        // when the next frame written will be heard
///     let lateBy = MonotonicInstant.now - timing.time(ofFrame: someFrame)
public struct AudioTiming: Sendable, Equatable, CustomStringConvertible {
    /// Playback or capture: which way the delay counts.
    public var direction: StreamDirection
    /// The stream's state when the look was taken.
    public var state: StreamState
    /// Frames per second, to turn frames into time.
    public var sampleRate: Int
    /// The kernel clock of `timestamp` and `triggerTimestamp`: monotonic unless the app installed
    /// software parameters with another clock.
    public var clock: TimestampType
    /// When the kernel last saw the hardware position that `delayFrames` was counted from.
    public var timestamp: MonotonicInstant
    /// When the stream was last started, stopped or paused.
    public var triggerTimestamp: MonotonicInstant
    /// Frames the app wrote (playback) or read (capture) since the last prepare.
    public var applicationPosition: Int
    /// Frames between the app and the device at `timestamp`: queued and not yet heard (playback),
    /// or captured and not yet read (capture), including the latency the driver declares beyond
    /// its buffer.
    public var delayFrames: Int
    /// Frames that could be written (playback) or read (capture) without waiting.
    public var availableFrames: Int
    /// The device's own reading of the audio time, when the kernel stamped one (the stream ran).
    public var audioTimestamp: AudioTimestamp?

    /// A `timestamp` older than `triggerTimestamp` is taken as the trigger time: the kernel renews
    /// its timestamp only when the hardware position moves, so until the device moved after a
    /// start (or a resume) the record holds an older time, or zero; the position it reports is
    /// the one the device had at the trigger.
    public init(direction: StreamDirection, state: StreamState, sampleRate: Int, clock: TimestampType, timestamp: MonotonicInstant,
                triggerTimestamp: MonotonicInstant, applicationPosition: Int, delayFrames: Int, availableFrames: Int,
                audioTimestamp: AudioTimestamp?) {
        self.direction = direction
        self.state = state
        self.sampleRate = sampleRate
        self.clock = clock
        self.timestamp = max(timestamp, triggerTimestamp)
        self.triggerTimestamp = triggerTimestamp
        self.applicationPosition = applicationPosition
        self.delayFrames = delayFrames
        self.availableFrames = availableFrames
        self.audioTimestamp = audioTimestamp
    }

    /// The frame at the device at `timestamp`: the one being heard (playback: the app is
    /// `delayFrames` ahead) or being captured (capture: the device is `delayFrames` ahead of the app).
    public var devicePosition: Int {
        direction == .playback ? applicationPosition - delayFrames : applicationPosition + delayFrames
    }

    /// When frame `frame` (counted like `applicationPosition`) is heard (playback) or was captured
    /// (capture), at the nominal rate. Frames before `devicePosition` give instants before
    /// `timestamp`.
    public func time(ofFrame frame: Int) -> MonotonicInstant {
        timestamp + Self.duration(ofFrames: frame - devicePosition, sampleRate: sampleRate)
    }

    /// Playback: when the next frame written will be heard. Capture: when the next frame read
    /// was captured.
    public var nextFrameTime: MonotonicInstant { time(ofFrame: applicationPosition) }

    /// The frame at the device at `instant`, at the nominal rate (the inverse of `time(ofFrame:)`,
    /// rounded down).
    public func frame(at instant: MonotonicInstant) -> Int {
        devicePosition + Self.frames(in: instant - timestamp, sampleRate: sampleRate)
    }

    /// `frames` at `rate` as a duration, exact to the nanosecond (rounded toward zero).
    public static func duration(ofFrames frames: Int, sampleRate: Int) -> Duration {
        guard sampleRate > 0 else { return .zero }
        let seconds = frames / sampleRate
        let rest = frames % sampleRate  // |rest| < rate, so rest * 10^9 cannot overflow for any real rate
        return .seconds(seconds) + .nanoseconds(rest * 1_000_000_000 / sampleRate)
    }

    /// Whole frames `duration` lasts at `rate` (rounded toward minus infinity).
    public static func frames(in duration: Duration, sampleRate: Int) -> Int {
        guard sampleRate > 0 else { return 0 }
        let nanoseconds = duration.nanosecondsSaturating
        let seconds = nanoseconds / 1_000_000_000
        let rest = nanoseconds % 1_000_000_000
        let (whole, overflow) = Int(seconds).multipliedReportingOverflow(by: sampleRate)
        if overflow { return seconds < 0 ? .min : .max }
        let part = Int(rest) * sampleRate
        // Floor, not truncation: a frame starts at its first nanosecond.
        return whole + (part >= 0 ? part / 1_000_000_000 : (part - 999_999_999) / 1_000_000_000)
    }

    public var description: String {
        var text = "\(direction) \(state): frame \(devicePosition) at the device at \(timestamp), app at \(applicationPosition) "
            + "(delay \(delayFrames), avail \(availableFrames)), next frame at \(nextFrameTime), started \(triggerTimestamp)"
        if let audioTimestamp { text += ", audio time \(audioTimestamp)" }
        return text
    }
}

extension Duration {
    /// Whole nanoseconds, saturating beyond ±292 years.
    var nanosecondsSaturating: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? (seconds < 0 ? .min : .max) : sum
    }
}
