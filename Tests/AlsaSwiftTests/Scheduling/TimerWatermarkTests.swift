import Testing
@testable import AlsaSwift

/// The timer schedule's decisions and its watermark, alone: what a wakeup moves, when the next one
/// is due, and how the watermark follows xruns the way PulseAudio's does.
@Suite struct TimerWatermarkTests {
    static let rate = 48_000
    static func ms(_ milliseconds: Int) -> Int { milliseconds * rate / 1000 }

    static func plan(_ direction: StreamDirection, fillTarget: Int, buffer: Int = 96_000) -> TimerWatermark {
        let schedule = TimerSchedule(fillTarget: fillTarget, initialWatermark: TimerWatermark.initial(fillTarget: fillTarget, sampleRate: rate),
                                     blockFrames: 1024, periodWakeups: false, periodFrames: 8192)
        return TimerWatermark(direction: direction, schedule: schedule, bufferFrames: buffer, sampleRate: rate)
    }

    @Test("the watermark starts at 20 ms, at most half the fill target")
    func initialWatermark() {
        #expect(TimerWatermark.initial(fillTarget: 96_000, sampleRate: Self.rate) == Self.ms(20))
        #expect(TimerWatermark.initial(fillTarget: Self.ms(10), sampleRate: Self.rate) == Self.ms(5))
        #expect(TimerWatermark.initial(fillTarget: 2, sampleRate: Self.rate) == 1)
    }

    @Test("playback sleeps until the fill is down to the watermark, then tops it up to the target in one wakeup")
    func playbackDecisions() {
        var plan = Self.plan(.playback, fillTarget: Self.ms(100))
        let w = plan.watermark
        // Nothing queued, not running: fill at once.
        #expect(plan.decide(position: 0, fill: 0, running: false) == .move(Self.ms(100)))
        // The move goes on across calls until done, without looking again.
        plan.moved(Self.ms(30))
        #expect(plan.decide(position: Self.ms(30), fill: 12_345, running: false) == .move(Self.ms(70)))
        plan.moved(Self.ms(70))
        // Full and running: sleep until the device has played down to the watermark.
        #expect(plan.decide(position: Self.ms(100), fill: Self.ms(100) - 37, running: true) == .sleep(untilFrame: Self.ms(100) - w))
        // Woken a little early: sleep again, to the same frame.
        #expect(plan.decide(position: Self.ms(100), fill: w + 3, running: true) == .sleep(untilFrame: Self.ms(100) - w))
        // At the watermark: top up to the target.
        #expect(plan.decide(position: Self.ms(100), fill: w - 2, running: true) == .move(Self.ms(100) - w + 2))
    }

    @Test("capture sleeps until the target less the watermark is captured, then reads everything")
    func captureDecisions() {
        var plan = Self.plan(.capture, fillTarget: 96_000)
        let wake = 96_000 - plan.watermark
        #expect(plan.decide(position: 0, fill: 0, running: true) == .sleep(untilFrame: wake))
        #expect(plan.decide(position: 0, fill: wake + 40, running: true) == .move(wake + 40))
        plan.moved(wake)
        #expect(plan.decide(position: wake, fill: 999, running: true) == .move(40))
        plan.moved(40)
        #expect(plan.decide(position: wake + 40, fill: 500, running: true) == .sleep(untilFrame: wake + 40 + wake))
    }

    /// PulseAudio's rule: an xrun raises the watermark by min(x2, +10 ms), up to three quarters of
    /// the fill target; 20 s of audio without one lowers it by 5 ms, down to 4 ms.
    @Test("an xrun raises the watermark, 20 s without one lowers it again")
    func adapts() {
        var plan = Self.plan(.playback, fillTarget: 96_000)
        #expect(plan.watermark == Self.ms(20))
        plan.xrun()
        #expect(plan.watermark == Self.ms(30))  // +10 ms beats x2
        plan.xrun()
        #expect(plan.watermark == Self.ms(40))
        // 19.99 s of audio: no change yet; the 20th second lowers it by 5 ms.
        plan.moved(20 * Self.rate - 10)
        #expect(plan.watermark == Self.ms(40))
        plan.moved(10)
        #expect(plan.watermark == Self.ms(35))
        // An xrun starts the 20 s again.
        plan.moved(10 * Self.rate)
        plan.xrun()
        #expect(plan.watermark == Self.ms(45))
        plan.moved(19 * Self.rate)
        #expect(plan.watermark == Self.ms(45))
        // Down to 4 ms at most.
        for _ in 0..<20 { plan.moved(20 * Self.rate) }
        #expect(plan.watermark == Self.ms(4))
        #expect(plan.raises == 3 && plan.drops == 10)
    }

    @Test("a small target's watermark doubles, up to three quarters of the target")
    func smallTarget() {
        var plan = Self.plan(.capture, fillTarget: Self.ms(10))
        #expect(plan.watermark == Self.ms(5))
        plan.xrun()
        #expect(plan.watermark == Self.ms(10) * 3 / 4)
        plan.xrun()
        #expect(plan.watermark == Self.ms(10) * 3 / 4 && plan.raises == 1)
    }

    /// PulseAudio's answer to a stream that xruns at its highest watermark: the latency grows by
    /// min(x2, +10 ms), up to what the buffer holds, and the watermark grows under the new target
    /// (three quarters of it): each wakeup then moves more, and the stream settles where it can be
    /// served instead of xrunning for ever 2.5 ms apart.
    @Test("xruns at the highest watermark raise a playback fill target by min(x2, +10 ms), up to the buffer")
    func raisesTheTarget() {
        let buffer = Self.ms(42)
        var plan = Self.plan(.playback, fillTarget: Self.ms(10), buffer: buffer)
        var targets = [plan.fillTarget]
        var watermarks = [plan.watermark]
        var moves: [Int] = []
        for _ in 0..<8 {
            // A wakeup at the watermark tops the fill up to the target in force: its move.
            if case .move(let frames) = plan.decide(position: 0, fill: plan.watermark, running: true) { moves.append(frames) }
            plan.xrun()
            targets.append(plan.fillTarget)
            watermarks.append(plan.watermark)
        }
        // 10 ms; the first xrun grows the watermark to its maximum (7.5 ms), the next ones the
        // target: x2 (20 ms), then +10 ms (30, 40), then the buffer (42 ms), and no further.
        #expect(targets == [10, 10, 20, 30, 40, 42, 42, 42, 42].map(Self.ms), "\(targets.map { $0 / Self.ms(1) })")
        #expect(watermarks == [Self.ms(5), Self.ms(10) * 3 / 4, Self.ms(15), Self.ms(30) * 3 / 4, Self.ms(30),
                               Self.ms(42) * 3 / 4, Self.ms(42) * 3 / 4, Self.ms(42) * 3 / 4, Self.ms(42) * 3 / 4], "\(watermarks)")
        #expect(watermarks.indices.allSatisfy { watermarks[$0] <= max(targets[$0] * 3 / 4, Self.ms(5)) })
        // A wakeup moves target less watermark: 5, 2.5, 5, 7.5, 10, then 10.5 ms.
        #expect(moves == [Self.ms(5), Self.ms(10) - Self.ms(10) * 3 / 4, Self.ms(5), Self.ms(30) - Self.ms(30) * 3 / 4, Self.ms(10),
                          Self.ms(42) - Self.ms(42) * 3 / 4, Self.ms(42) - Self.ms(42) * 3 / 4, Self.ms(42) - Self.ms(42) * 3 / 4],
                "\(moves)")
        #expect(plan.fillTargetRaises == 4 && plan.raises == 5)
        // The next wakeup sleeps until the watermark of the raised target, and fills to it.
        #expect(plan.decide(position: Self.ms(100), fill: Self.ms(40), running: true) == .sleep(untilFrame: Self.ms(100) - Self.ms(42) * 3 / 4))
        #expect(plan.decide(position: Self.ms(100), fill: 0, running: false) == .move(buffer))
    }

    /// The app asked for 10 ms, but the stream showed it cannot keep it: lowering the target again
    /// would bring the xruns back. 20 s without one lowers the watermark only (larger wakeups).
    @Test("a raised fill target stays raised; 20 s without an xrun lower only the watermark")
    func raisedTargetStays() {
        var plan = Self.plan(.playback, fillTarget: Self.ms(10))
        for _ in 0..<3 { plan.xrun() }
        #expect(plan.fillTarget == Self.ms(30) && plan.watermark == Self.ms(30) * 3 / 4)
        for _ in 0..<10 { plan.moved(20 * Self.rate) }
        #expect(plan.fillTarget == Self.ms(30) && plan.watermark == Self.ms(4), "down to 4 ms, the target kept")
        // Below its maximum, an xrun grows the watermark first, and leaves the target.
        plan.xrun()
        #expect(plan.fillTarget == Self.ms(30) && plan.watermark == Self.ms(8) && plan.fillTargetRaises == 2)
        // A stop forgets the move, not the target.
        plan.forget()
        #expect(plan.fillTarget == Self.ms(30))
    }

    /// Capture's margin against an overrun is the room left when it wakes, buffer - (target -
    /// watermark): a higher target would narrow it. Only the watermark grows.
    @Test("a capture fill target is never raised")
    func captureTargetStays() {
        var plan = Self.plan(.capture, fillTarget: Self.ms(10))
        for _ in 0..<5 { plan.xrun() }
        #expect(plan.fillTarget == Self.ms(10) && plan.watermark == Self.ms(10) * 3 / 4 && plan.fillTargetRaises == 0)
        // A playback target that is the whole buffer has nowhere to go either.
        var whole = Self.plan(.playback, fillTarget: 96_000)
        for _ in 0..<200 { whole.xrun() }
        #expect(whole.fillTarget == 96_000 && whole.watermark == 72_000 && whole.fillTargetRaises == 0)
    }

    /// A move is committed in pieces no larger than the margin the stream woke with: they follow
    /// the watermark down, but not up (a watermark raised after xruns covers late wakeups).
    @Test("a move's pieces are at most the watermark, and at most the initial one")
    func pieces() {
        var plan = Self.plan(.playback, fillTarget: 96_000)
        #expect(plan.pieceFrames == Self.ms(20))
        plan.xrun()
        #expect(plan.watermark == Self.ms(30) && plan.pieceFrames == Self.ms(20))
        for _ in 0..<6 { plan.moved(20 * Self.rate) }
        #expect(plan.watermark == Self.ms(4) && plan.pieceFrames == Self.ms(4))
        #expect(Self.plan(.capture, fillTarget: Self.ms(10)).pieceFrames == Self.ms(5))
    }

    /// Within a move the margin grows with what is committed: a piece may be half of it (in whole
    /// watermarks); a new
    /// move, an xrun or a stop starts again from the watermark.
    @Test("a move's pieces grow to half of what it has committed, and start again with each move")
    func piecesGrow() {
        var plan = Self.plan(.playback, fillTarget: 96_000)
        #expect(plan.decide(position: 0, fill: 0, running: false) == .move(96_000))
        var sizes: [Int] = []
        while plan.pending > 0 {
            let piece = min(plan.pieceFrames, plan.pending)
            sizes.append(piece)
            plan.moved(piece)
        }
        #expect(sizes.prefix(4) == [Self.ms(20), Self.ms(20), Self.ms(20), Self.ms(20)] && sizes[4] == Self.ms(40), "\(sizes)")
        #expect(sizes.dropLast().allSatisfy { $0 % Self.ms(20) == 0 }, "whole watermarks: \(sizes)")
        #expect(sizes.count <= 14, "a 2 s fill in \(sizes.count) pieces: \(sizes)")
        #expect(plan.decide(position: 96_000, fill: Self.ms(20), running: true) == .move(96_000 - Self.ms(20)))
        #expect(plan.pieceFrames == Self.ms(20), "a new move starts from the watermark")
        plan.moved(Self.ms(200))
        plan.xrun()
        #expect(plan.pieceFrames == Self.ms(20))
        plan.moved(Self.ms(200))
        plan.forget()
        #expect(plan.pieceFrames == Self.ms(20))
    }

    @Test("an xrun voids the move under way")
    func xrunVoidsTheMove() {
        var plan = Self.plan(.playback, fillTarget: Self.ms(50))
        #expect(plan.decide(position: 0, fill: 0, running: false) == .move(Self.ms(50)))
        plan.xrun()
        #expect(plan.pending == 0)
    }
}
