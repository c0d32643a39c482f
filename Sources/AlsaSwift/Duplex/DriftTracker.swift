/// A duplex stream's two clocks, watched once a period from both sides' status: how far apart
/// they run (the drift, in ppm), how far the round trip has moved from where it started, and what
/// to do about it (`DriftCompensation`): ask for a frame to be dropped or repeated, move a
/// loopback card's rate shift, or steer the input resampler's ratio. Allocates nothing once made.
final class DriftTracker {
    /// What the next period does to the signal.
    enum Adjustment: Equatable {
        case none
        /// The output period goes out one frame short: its quietest frame is left out.
        case dropOutput
        /// The input period comes in one frame short: its quietest frame is repeated.
        case repeatInput
    }

    let compensation: DriftCompensation
    private let rate: Int
    private let periodSeconds: Double
    private let rateShift: RateShiftControl?
    private let resampling: InputResampling?
    /// How far the resampler's ratio may move from 1: 5000 ppm, beyond any crystal's error and
    /// within what a period's read can take (`PeriodEngine.exactRunLimit`).
    static let ratioBound = 0.005

    /// Each side's device position against the monotonic clock, its own (a rate shift's share
    /// taken out): the drift is the ratio of their slopes.
    private var captureFit = LineFit()
    private var playbackFit = LineFit()
    private var captureNatural = 0.0
    private var playbackNatural = 0.0
    /// Device positions at the last look since the last start; nil right after a start.
    private var lastCapture: Int?
    private var lastPlayback: Int?

    /// The round trip at the start: the mean of its first half second.
    private var target: Double?
    private var startSum = 0.0
    private var startCount = 0
    private var startedAt: MonotonicInstant?
    /// The round trip, smoothed over about a second.
    private var smoothed = 0.0
    private var lastShiftUpdate: MonotonicInstant?

    private(set) var dropped = 0
    private(set) var repeated = 0
    private(set) var pending = Adjustment.none

    init(compensation: DriftCompensation, rate: Int, periodFrames: Int, rateShift: RateShiftControl?, resampling: InputResampling?) {
        self.compensation = compensation
        self.rate = rate
        periodSeconds = Double(periodFrames) / Double(max(rate, 1))
        self.rateShift = rateShift
        self.resampling = resampling
    }

    /// Both sides started again from position 0 (the start, a recovery): the round trip is
    /// measured anew; the clocks' fits go on.
    func restart() {
        lastCapture = nil
        lastPlayback = nil
        target = nil
        startSum = 0
        startCount = 0
        startedAt = nil
        pending = .none
    }

    /// The stream ends: a loopback card runs at its nominal rate again.
    func close() { rateShift?.restoreNominal() }

    /// One look at both sides, after a period moved (`DuplexLoop.timing()`: the round trip
    /// includes what a resampler holds).
    func observe(_ timing: DuplexTiming) throws(AlsaError) {
        let capture = timing.capture, playback = timing.playback
        let shift = Double(rateShift?.value ?? 100_000) / 100_000
        let captureShare = rateShift?.side == .capture ? shift : 1
        let playbackShare = rateShift?.side == .playback ? shift : 1
        if let lastCapture, let lastPlayback {
            captureNatural += Double(capture.devicePosition - lastCapture) * captureShare
            playbackNatural += Double(playback.devicePosition - lastPlayback) * playbackShare
        }
        lastCapture = capture.devicePosition
        lastPlayback = playback.devicePosition
        captureFit.add(x: capture.timestamp.seconds, y: captureNatural)
        playbackFit.add(x: playback.timestamp.seconds, y: playbackNatural)

        let roundTrip = Double(timing.roundTripFrames)
        let now = playback.timestamp
        guard let target else {
            startedAt = startedAt ?? now
            startSum += roundTrip
            startCount += 1
            if let startedAt, now - startedAt >= .milliseconds(500) {
                self.target = startSum / Double(startCount)
                smoothed = startSum / Double(startCount)
            }
            return
        }
        smoothed += (roundTrip - smoothed) * min(periodSeconds, 1)
        let error = smoothed - target
        switch compensation {
        case .frameAdjustment:
            pending = error >= 1.5 ? .dropOutput : error <= -1.5 ? .repeatInput : .none
        case .rateShift(let side, _):
            try steerRateShift(side: side, error: error, at: now)
        case .resampling:
            try steerResampling(error: error)
        case .oneClock, .none:
            break
        }
    }

    /// The loop did what `pending` asked: the round trip is a frame shorter or longer now.
    func applied(_ adjustment: Adjustment) {
        switch adjustment {
        case .dropOutput:
            dropped += 1
            smoothed -= 1
        case .repeatInput:
            repeated += 1
            smoothed += 1
        case .none:
            break
        }
        pending = .none
    }

    /// Twice a second: the shift that makes the loopback side run at the other side's pace, plus
    /// what brings the round trip back to its start in about two seconds. A larger shift slows
    /// the loopback card's clock.
    private func steerRateShift(side: StreamDirection, error: Double, at now: MonotonicInstant) throws(AlsaError) {
        guard let rateShift else { return }
        if let lastShiftUpdate, now - lastShiftUpdate < .milliseconds(500) { return }
        lastShiftUpdate = now
        // The capture side's natural clock against the playback side's.
        let ratio = ppm.map { 1 + $0 / 1_000_000 } ?? 1
        // Frames of error per frame of rate difference in two seconds, in units of 10 ppm.
        let correction = min(max(error * 100_000 / (2 * Double(rate)), -200), 200)
        let wanted = side == .capture ? 100_000 * ratio + correction : 100_000 / ratio - correction
        try rateShift.set(Int(wanted.rounded()))
    }

    /// Every period: the ratio at which the capture card's frames fill the playback card's time
    /// (the measured drift), less what brings the round trip back to its start in about two
    /// seconds. A smaller ratio reads more capture frames per period. The round trip is smoothed
    /// over a second, so the loop settles with little overshoot (damping about 0.7).
    private func steerResampling(error: Double) throws(AlsaError) {
        guard let resampling else { return }
        let follow = ppm.map { 1 / (1 + $0 / 1_000_000) } ?? 1
        let wanted = follow - error / (2 * Double(rate))
        try resampling.setRatio(min(max(wanted, 1 - Self.ratioBound), 1 + Self.ratioBound))
    }

    /// The capture clock against the playback clock, in ppm, once both fits span a second.
    var ppm: Double? {
        guard captureFit.span >= 1, playbackFit.span >= 1, let capture = captureFit.slope, let playback = playbackFit.slope,
              playback > 0 else { return nil }
        return (capture / playback - 1) * 1_000_000
    }

    var report: DriftReport {
        DriftReport(compensation: compensation, ppm: ppm, droppedFrames: dropped, repeatedFrames: repeated,
                    rateShift: rateShift?.value, resamplingRatio: resampling?.ratio, latencyError: target == nil ? 0 : smoothed - (target ?? 0))
    }
}

/// A least-squares line through points added one at a time: sums only, taken relative to the
/// first point so that they keep their precision.
struct LineFit {
    private var count = 0.0
    private var x0 = 0.0
    private var y0 = 0.0
    private var sumX = 0.0
    private var sumY = 0.0
    private var sumXX = 0.0
    private var sumXY = 0.0
    private var lastX = 0.0

    mutating func add(x: Double, y: Double) {
        if count == 0 {
            x0 = x
            y0 = y
        }
        let dx = x - x0
        let dy = y - y0
        count += 1
        sumX += dx
        sumY += dy
        sumXX += dx * dx
        sumXY += dx * dy
        lastX = dx
    }

    /// The x the points cover.
    var span: Double { lastX }

    /// dy/dx, once the points are not all at one x.
    var slope: Double? {
        let denominator = count * sumXX - sumX * sumX
        guard count >= 2, denominator > 0 else { return nil }
        return (count * sumXY - sumX * sumY) / denominator
    }
}

extension MonotonicInstant {
    /// Seconds since the clock's origin.
    var seconds: Double {
        let (whole, attoseconds) = sinceBoot.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
