/// A delay-locked loop that locks the device's frame clock to CLOCK_MONOTONIC: fed the device's
/// position and the kernel's timestamp of it (hw_ptr and tstamp, from one status call), it tells
/// when any frame is (or was) at the device, and the rate the device really runs at, which no
/// crystal holds to its nominal value (a few hundred ppm off is common).
///
/// It is the second-order loop of Fons Adriaensen's "Using a DLL to filter time" (2005), for
/// samples taken at any interval: each sample's error (measured time less predicted time) moves the
/// phase by sqrt(2)·ω·error and the frame period by ω²·error per frame, where ω = 2π·B·Δt for a
/// loop bandwidth B and the time Δt since the last sample (ω at most 0.7, where the loop stays
/// stable). B starts wide (1 Hz), so the loop locks within seconds, and narrows as 1/(1 + t) to
/// 0.02 Hz after 50 s, so that timestamp jitter barely moves it once locked: with 20 µs of jitter,
/// a 300 ppm drift is followed within 7 ppm after 20 s, sampled every 5 ms or every 2 s. A sample further off than any drift explains (a stall, a jump of the
/// position) starts the phase again from that sample, keeping the rate learnt so far.
struct RateEstimator {
    /// The frames per second the device was configured for.
    let nominalRate: Int
    /// Seconds per frame: the loop's estimate of the device's true rate, inverted.
    private(set) var framePeriod: Double
    /// The filtered phase: frame `anchorFrame` was at the device `anchorSeconds` after `origin`.
    private var anchorFrame = 0
    private var anchorSeconds = 0.0
    private var origin = MonotonicInstant(sinceBoot: .zero)
    private var isLocked = false
    /// Seconds of samples since the loop first locked: the bandwidth narrows with them.
    private var lockedSeconds = 0.0
    /// Samples taken since the loop first locked.
    private(set) var samples = 0

    init(nominalRate: Int) {
        self.nominalRate = max(nominalRate, 1)
        framePeriod = 1 / Double(max(nominalRate, 1))
    }

    /// The estimated rate, in frames per second of CLOCK_MONOTONIC.
    var rate: Double { 1 / framePeriod }
    /// Whether the phase is locked (at least one sample since the last restart).
    var hasPhase: Bool { isLocked }

    /// Feeds one sample: frame `frame` was at the device at `time`.
    mutating func update(frame: Int, at time: MonotonicInstant) {
        guard isLocked else { return lock(frame: frame, at: time) }
        let frames = frame - anchorFrame
        // The device did not move since the last sample (the kernel keeps the timestamp of the last
        // position change): nothing new. Backwards: a position the loop cannot follow.
        if frames == 0 { return }
        guard frames > 0 else { return lock(frame: frame, at: time) }
        let interval = Double(frames) * framePeriod
        let predicted = anchorSeconds + interval
        let error = Self.seconds(time - origin) - predicted
        // Beyond 1% of the interval, or 50 ms, no clock drift explains it.
        if abs(error) > max(0.05, interval * 0.01) { return lock(frame: frame, at: time) }
        let bandwidth = max(0.02, 1 / (1 + lockedSeconds))
        let omega = min(2 * Double.pi * bandwidth * interval, 0.7)
        anchorSeconds = predicted + 2.0.squareRoot() * omega * error
        anchorFrame = frame
        framePeriod += omega * omega * error / Double(frames)
        lockedSeconds += interval
        samples += 1
    }

    /// Unlocks the phase (the stream was prepared again: positions start over), keeping the rate.
    mutating func restart() { isLocked = false }

    /// When frame `frame` is (or was) at the device; nil before the first sample.
    func time(ofFrame frame: Int) -> MonotonicInstant? {
        guard isLocked else { return nil }
        let seconds = anchorSeconds + Double(frame - anchorFrame) * framePeriod
        return origin + .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    private mutating func lock(frame: Int, at time: MonotonicInstant) {
        anchorFrame = frame
        anchorSeconds = 0
        origin = time
        isLocked = true
        samples += 1
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
