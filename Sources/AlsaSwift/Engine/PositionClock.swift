/// The engine's map from frame positions to the monotonic clock: an anchor (where the device was
/// at a kernel timestamp) and the nominal rate. Anchors cost a STATUS call, so they are renewed
/// only when stale: not taken yet, taken before the stream ran, or a second of audio old (the
/// device's drift over that second, at most a few hundred ppm on real hardware, is the error).
struct PositionClock {
    /// The frame at the device at `time`, counted like the engine's position.
    private var deviceFrame = 0
    private var time = MonotonicInstant(sinceBoot: .zero)
    /// The engine's position when the anchor was taken.
    private var takenAt = 0
    /// An anchor taken while the device moved: its timestamp is the device's.
    private var running = false
    private var valid = false

    mutating func invalidate() { valid = false }

    func needsAnchor(at position: Int, sampleRate: Int) -> Bool {
        !valid || !running || position - takenAt >= sampleRate
    }

    /// Anchors at `timing` (nil when the status call failed: the anchor stays invalid), taken at
    /// the engine's position `enginePosition`.
    mutating func anchor(_ timing: AudioTiming?, enginePosition: Int) {
        guard let timing else {
            valid = false
            return
        }
        // The kernel's pointer may have wrapped at its boundary; the distance between the device and
        // the application is what carries over to the engine's count.
        deviceFrame = enginePosition + (timing.devicePosition - timing.applicationPosition)
        running = timing.state == .running || timing.state == .draining
        // Until the device moves, its timestamp is no anchor: as if it started now.
        time = running ? timing.timestamp : .now
        takenAt = enginePosition
        valid = true
    }

    /// When `frame` is (or was) at the device; now, when there is no anchor.
    func time(ofFrame frame: Int, sampleRate: Int) -> MonotonicInstant {
        guard valid else { return .now }
        return time + AudioTiming.duration(ofFrames: frame - deviceFrame, sampleRate: sampleRate)
    }
}
