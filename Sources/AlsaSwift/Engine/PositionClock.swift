/// The engine's map from frame positions to the monotonic clock: a delay-locked loop
/// (`RateEstimator`) fed with the device's position at the kernel's timestamps. Each sample costs
/// a status call, so in period mode one is taken only when the map is stale (none yet, taken
/// before the stream ran, or a second of audio old); a timer-scheduled stream takes one at every
/// wakeup, which its next deadline needs anyway.
struct PositionClock {
    private var loop: RateEstimator
    /// The engine's position when the last sample was taken.
    private var takenAt = 0
    /// The last sample was taken while the device moved: its timestamp is the device's.
    private var running = false
    private var valid = false
    /// Before the device moves: the frame at the device (counted like the engine's position) and
    /// when the sample was taken, for "as if it started now".
    private var idleFrame = 0
    private var idleTime = MonotonicInstant(sinceBoot: .zero)

    init(sampleRate: Int) { loop = RateEstimator(nominalRate: sampleRate) }

    /// The stream was prepared again: positions start over. The rate learnt so far is kept.
    mutating func invalidate() {
        valid = false
        loop.restart()
    }

    func needsAnchor(at position: Int, sampleRate: Int) -> Bool {
        !valid || !running || position - takenAt >= sampleRate
    }

    /// Takes the sample `timing` (nil when the status call failed: the map stays invalid), taken
    /// at the engine's position `enginePosition`.
    mutating func anchor(_ timing: AudioTiming?, enginePosition: Int) {
        guard let timing else {
            valid = false
            return
        }
        // The kernel's pointer may have wrapped at its boundary; the distance between the device and
        // the application is what carries over to the engine's count.
        let deviceFrame = enginePosition + (timing.devicePosition - timing.applicationPosition)
        running = timing.state == .running || timing.state == .draining
        takenAt = enginePosition
        valid = true
        if running {
            loop.update(frame: deviceFrame, at: timing.timestamp)
        } else {
            // Until the device moves, its timestamp is no anchor: as if it started now.
            loop.restart()
            idleFrame = deviceFrame
            idleTime = .now
        }
    }

    /// When `frame` is (or was) at the device; now, when there is no sample.
    func time(ofFrame frame: Int, sampleRate: Int) -> MonotonicInstant {
        guard valid else { return .now }
        if running, let time = loop.time(ofFrame: frame) { return time }
        return idleTime + AudioTiming.duration(ofFrames: frame - idleFrame, sampleRate: sampleRate)
    }

    /// The device's rate against CLOCK_MONOTONIC, as the loop estimates it.
    var estimatedRate: Double { loop.rate }
}
