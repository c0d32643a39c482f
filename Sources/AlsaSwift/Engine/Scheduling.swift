/// How a stream wakes to move its frames.
///
/// `.periods` is how every ALSA client works: the device interrupts once a period, the stream wakes
/// and moves a period. Low latency then costs many wakeups, and a deep buffer costs latency.
/// `.timer` is how PulseAudio and PipeWire drive a card: the deepest buffer the device allows, no
/// period interrupts where the device can turn them off, and the stream sleeps on a timer until
/// the buffer is about to run dry (playback) or full (capture). See the article "Timer scheduling".
public enum StreamScheduling: Sendable, Equatable, CustomStringConvertible {
    /// Wake when the device has a period of room or data (its interrupt, through `avail_min`), and
    /// move whole periods. The buffer is `StreamRequest.latency` long, in
    /// `StreamRequest.periodCount` periods.
    case periods
    /// Sleep on a timer, with the deepest buffer the device allows up to `bufferLimit` (2 s by
    /// default, as PulseAudio's). `latency` is the most audio kept queued ahead of the device
    /// (playback) or left waiting after capture: a sample written now is heard within it, however
    /// deep the buffer. nil asks for as few wakeups as the buffer allows: it is filled whole
    /// (playback) or read only when nearly full (capture). `StreamRequest.latency` and
    /// `periodCount` are not used.
    case timer(latency: Duration? = nil, bufferLimit: Duration = .seconds(2))

    public var description: String {
        switch self {
        case .periods: "period wakeups"
        case .timer(let latency, let limit):
            "timer scheduling, " + (latency.map { "latency target \($0.wholeMilliseconds) ms" } ?? "no latency target")
                + ", buffer up to \(limit.wholeMilliseconds) ms"
        }
    }
}

/// What a timer-scheduled stream got (`StreamConfiguration.timer`): how full it keeps the buffer,
/// the watermark it starts with, and what paces the device.
public struct TimerSchedule: Sendable, Equatable, CustomStringConvertible {
    /// Playback: the most frames kept queued (the latency target, or the whole buffer). Capture:
    /// the most frames left waiting before they are read. As negotiated: playback xruns with the
    /// watermark at its highest raise it later (`StreamStatus.fillTargetFrames` has it now).
    public var fillTarget: Int
    /// The margin the stream starts with, in frames: playback wakes when this little is left
    /// queued, capture when this little room is left before the target. It grows after an xrun
    /// and shrinks again after 20 s without one (`StreamStatus.watermarkFrames` has it now).
    public var initialWatermark: Int
    /// Frames a render callback gets per call (`RenderContext.frameCount`): at most the initial
    /// watermark, so that a callback run for a refill's first piece renders no more audio than
    /// the device still has queued.
    public var blockFrames: Int
    /// false: the device was told not to interrupt at period boundaries (NO_PERIOD_WAKEUP): only
    /// the stream's timer wakes it. true: the device cannot turn its interrupts off, so the stream
    /// runs with its largest period and the timer, not the interrupt, paces it.
    public var periodWakeups: Bool
    /// The period the device runs with, in frames.
    public var periodFrames: Int

    /// A schedule as a stream reports it.
    public init(fillTarget: Int, initialWatermark: Int, blockFrames: Int, periodWakeups: Bool, periodFrames: Int) {
        self.fillTarget = fillTarget
        self.initialWatermark = initialWatermark
        self.blockFrames = blockFrames
        self.periodWakeups = periodWakeups
        self.periodFrames = periodFrames
    }

    public var description: String {
        "fill up to \(fillTarget) frames, watermark \(initialWatermark) frames, "
            + (periodWakeups ? "period interrupts left on (largest period, \(periodFrames) frames)" : "no period interrupts")
    }

    /// The schedule for a stream of `setup` asking for `latency` (nil: no target).
    static func negotiated(_ setup: HardwareSetup, latency: Duration?) -> TimerSchedule {
        let buffer = setup.bufferSize
        // A target beyond the buffer is the buffer; below two frames it could not be kept.
        let target = latency.map { Int(min(max(StreamNegotiation.frames(in: $0, sampleRate: setup.sampleRate), 2), Int64(max(buffer, 2)))) } ?? buffer
        let watermark = TimerWatermark.initial(fillTarget: target, sampleRate: setup.sampleRate)
        return TimerSchedule(fillTarget: target, initialWatermark: watermark, blockFrames: min(setup.periodSize, max(target / 4, 1), watermark),
                             periodWakeups: setup.periodWakeups, periodFrames: setup.periodSize)
    }
}

/// The decision a timer-scheduled engine makes at each wakeup, and the watermark it adapts as
/// PulseAudio's does: after an xrun it grows by min(×2, +10 ms), after 20 s of audio without one
/// it shrinks by 5 ms, between 4 ms (or its start, if lower) and three quarters of the fill target.
/// A playback xrun with the watermark already at that maximum raises the fill target itself by
/// min(×2, +10 ms), up to the buffer, and the watermark grows under the new maximum: a stream that
/// cannot be served at the latency it asked for settles at one it can be served at, instead of
/// xrunning for ever at the same wakeups.
///
/// Playback keeps the fill between the watermark and the target: it sleeps until the device has
/// played down to the watermark, then tops the buffer up to the target in one wakeup. Capture lets
/// the device fill to the target less the watermark, then reads everything. Either way a wakeup
/// moves target - watermark frames, and once a move has begun it goes on until done, across the
/// app's calls: a device that moves while the stream works never makes it chase a few frames.
/// The move is committed in pieces of at most `pieceFrames`, so that the device gets its first
/// frames while the margin it woke with lasts, however deep the buffer, and few enough that the
/// commits (each flushes the whole buffer on an explicit-sync device) stay a dozen a refill.
struct TimerWatermark {
    let direction: StreamDirection
    /// The fill kept now: the schedule's (the app's request) until xruns at the highest watermark
    /// raise it.
    private(set) var fillTarget: Int
    /// The most the fill target may be raised to. Playback: the buffer, all the device can hold.
    /// Capture: the schedule's target, never raised: its margin against an overrun is the room
    /// left when it wakes, buffer - (target - watermark), which a higher target would shrink; only
    /// a higher watermark (an earlier wakeup) widens it.
    let fillTargetLimit: Int
    let rate: Int
    private(set) var watermark: Int
    /// The watermark the stream started with.
    let initial: Int
    let minimum: Int
    /// The highest the watermark grows to: three quarters of the fill target in force.
    var maximum: Int { max(fillTarget * 3 / 4, initial) }
    /// Frames to move before the stream may sleep again (decided at the last wakeup).
    private(set) var pending = 0
    /// Frames of the move under way moved so far.
    private(set) var movedInMove = 0
    /// Frames moved since the watermark last changed: 20 s of them shrink it.
    private var sinceChange = 0
    /// Xruns seen, and what they did to the watermark.
    private(set) var raises = 0
    private(set) var drops = 0
    /// Xruns that found the watermark at its maximum and raised the fill target.
    private(set) var fillTargetRaises = 0

    /// Where the watermark starts: 20 ms, at most half the fill target.
    static func initial(fillTarget: Int, sampleRate rate: Int) -> Int {
        max(min(AudioTiming.frames(in: .milliseconds(20), sampleRate: rate), fillTarget / 2), 1)
    }

    init(direction: StreamDirection, schedule: TimerSchedule, bufferFrames: Int, sampleRate rate: Int) {
        self.direction = direction
        fillTarget = schedule.fillTarget
        fillTargetLimit = direction == .playback ? max(bufferFrames, schedule.fillTarget) : schedule.fillTarget
        self.rate = rate
        watermark = schedule.initialWatermark
        initial = schedule.initialWatermark
        minimum = min(AudioTiming.frames(in: .milliseconds(4), sampleRate: rate), schedule.initialWatermark)
    }

    /// What to do now that the device holds `fill` frames (queued, or captured and not read), the
    /// app being at frame `position`: move frames now, or sleep until the device reaches a frame.
    enum Decision: Equatable {
        /// Move this many frames before sleeping again.
        case move(Int)
        /// Sleep until the device has played (playback) or captured (capture) this frame.
        case sleep(untilFrame: Int)
    }

    mutating func decide(position: Int, fill: Int, running: Bool) -> Decision {
        if pending > 0 { return .move(pending) }
        switch direction {
        case .playback:
            // A stream that does not run yet is filled (it starts at the fill target): nothing to wait for.
            if fill <= watermark || !running, fillTarget - fill > 0 {
                pending = fillTarget - fill
                movedInMove = 0
                return .move(pending)
            }
            return .sleep(untilFrame: position - watermark)
        case .capture:
            let wake = max(fillTarget - watermark, 1)
            if fill >= wake {
                pending = fill
                movedInMove = 0
                return .move(pending)
            }
            return .sleep(untilFrame: position + wake)
        }
    }

    /// The most frames converted before their commit in the next piece of a move. The stream wakes
    /// with a watermark's margin (playback: queued; capture: room left), so a first piece of at
    /// most the watermark lands before the device has used the margin up whenever conversion runs
    /// faster than real time, which any stream needs; one piece of the whole move (2 s less 20 ms,
    /// with a 2 s buffer) would have to be converted within those 20 ms. Never more than the
    /// initial watermark to start with: one grown after xruns covers late wakeups, not larger pieces.
    ///
    /// The margin grows with every frame committed, since conversion outruns the device: a later
    /// piece may be half of what the move has committed so far. That holds the deadline while
    /// conversion runs at 1.5 times real time or faster, and a 2 s refill at a 20 ms watermark
    /// takes a dozen pieces instead of a hundred: on an explicit-sync device each commit flushes
    /// the whole buffer (the kernel syncs `dmab->bytes`, not the range), so a hundred pieces cost
    /// a hundred flushes of 384 KiB every refill. Pieces are whole watermarks, so that a render
    /// callback's blocks (at most a watermark) fill them evenly.
    var pieceFrames: Int {
        let first = min(watermark, initial)
        return max(first, movedInMove / 2 / first * first)
    }

    /// `frames` were moved: less to move now, and more audio since the last change.
    mutating func moved(_ frames: Int) {
        movedInMove += min(frames, pending)
        pending = max(pending - frames, 0)
        sinceChange += frames
        if sinceChange >= 20 * rate {
            sinceChange = 0
            if watermark > minimum {
                watermark = max(watermark - AudioTiming.frames(in: .milliseconds(5), sampleRate: rate), minimum)
                drops += 1
            }
        }
    }

    /// An xrun: the stream woke too late for this watermark. The device was prepared again: the
    /// move under way is void. A watermark already at its maximum cannot cover a later wakeup: the
    /// fill target is raised instead (up to its limit), and the watermark grows under the new one.
    ///
    /// The target is never lowered again, by the 20 s shrink or otherwise: the app asked for the
    /// lower latency, but this stream, on this machine, has shown it cannot keep it; lowering it
    /// would bring the same xruns back, then the same raise, in a cycle. The shrink lowers the
    /// watermark only, which makes the wakeups rarer at the latency in force.
    mutating func xrun() {
        pending = 0
        movedInMove = 0
        sinceChange = 0
        let tenMilliseconds = AudioTiming.frames(in: .milliseconds(10), sampleRate: rate)
        if watermark >= maximum, fillTarget < fillTargetLimit {
            fillTarget = min(fillTarget * 2, fillTarget + tenMilliseconds, fillTargetLimit)
            fillTargetRaises += 1
        }
        let raised = min(min(watermark * 2, watermark + tenMilliseconds), maximum)
        if raised > watermark {
            watermark = raised
            raises += 1
        }
    }

    /// The stream was stopped or drained: nothing is under way.
    mutating func forget() {
        pending = 0
        movedInMove = 0
    }
}
