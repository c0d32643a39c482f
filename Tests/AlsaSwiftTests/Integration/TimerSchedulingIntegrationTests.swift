import AlsaSwift
import Foundation
import Testing

/// Timer-scheduled streams on the real kernel. The explicit-sync test driver offers
/// NO_PERIOD_WAKEUP, as HDA does: the stream turns its period interrupts off (the driver counts
/// none) and keeps the contract at every timer wakeup (no stale, late or poisoned frame). snd-dummy
/// does not offer it: the stream keeps the largest period and its timer paces it all the same.
@Suite(.enabled(if: RigEnvironment.explicitSync != nil && RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)),
       .serialized)
struct TimerSchedulingIntegrationTests {
    static let seconds = 3
    static let signal = (0..<48_000 * 2 * seconds).map { Float(sin(Double($0 / 2) * 2 * .pi * 440 / 48_000) * 0.25) }

    static func request(mmap: Bool) -> StreamRequest {
        StreamRequest(sampleRate: 48_000, channelCount: 2, formats: [.s16LE], preferMmap: mmap, scheduling: .timer())
    }

    /// The most wakeups `frames` may take: none for the first fill, one per target less watermark
    /// after it, a few for the drain.
    static func mostWakeups(_ frames: Int, _ timer: TimerSchedule) -> Int {
        (frames - timer.fillTarget) / max(timer.fillTarget - timer.initialWatermark, 1) + 1 + 8
    }

    /// Every frame played, with no xrun; or, where the emulated guest delivered a wakeup too late
    /// (its timer stalls for 50-150 ms at times, against a first watermark of 20 ms), what the
    /// design answers with: a higher watermark (read before the drain, whose PREPARE resets the
    /// schedule's state). Either way the contract's counters are checked by the caller.
    static func expectEveryFrameOrAdaptation(_ stream: PlaybackStream, _ running: StreamStatus, _ timer: TimerSchedule,
                                            _ counters: [String: UInt64]) {
        let frames = 48_000 * seconds
        if stream.xrunCount == 0 {
            // The driver counts a frame when it next looks at the device: the last few of the
            // drain may not be counted yet.
            #expect(counters["playback_frames"].map { abs(Int($0) - frames) <= 64 } == true, "\(counters)")
        } else {
            #expect(stream.xrunCount <= 2 && (running.watermarkFrames ?? 0) > timer.initialWatermark,
                    "\(stream.xrunCount) xruns and the watermark did not rise: \(running), \(counters)")
            print("timer rig: \(stream.xrunCount) xrun(s), answered by the watermark: \(running)")
        }
    }

    @Test("playback on the explicit-sync driver: no period interrupt, the contract kept at every wakeup", arguments: [false, true])
    func explicitSyncPlayback(mmap: Bool) throws {
        let card = try #require(RigEnvironment.explicitSync)
        let stream = try PlaybackStream(device: "hw:\(card),0", request: Self.request(mmap: mmap))
        let timer = try #require(stream.configuration.timer)
        #expect(!timer.periodWakeups && !stream.configuration.setup.periodWakeups, "\(stream.configuration)")
        try Self.signal.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        let running = try stream.status()
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        let counters = RigEnvironment.explicitSyncCounters(card: card)
        let frames = 48_000 * Self.seconds
        #expect(counters["playback_period_interrupts"] == 0, "\(counters)")
        // The totals since open: the drain ends in a PREPARE, which zeroes the counters since the last one.
        #expect(counters["playback_stale_frames_total"] == 0 && counters["playback_late_frames_total"] == 0, "\(counters)")
        Self.expectEveryFrameOrAdaptation(stream, running, timer, counters)
        #expect(stream.statistics.waits <= Self.mostWakeups(frames, timer), "\(stream.statistics), \(stream.configuration)")
        print("timer rig explicit-sync \(mmap ? "mmap" : "read/write"): \(frames) frames in \(stream.statistics.waits) wakeups; \(stream.configuration)")
    }

    @Test("capture on the explicit-sync driver: no period interrupt, no poisoned frame", arguments: [false, true])
    func explicitSyncCapture(mmap: Bool) throws {
        let card = try #require(RigEnvironment.explicitSync)
        let stream = try CaptureStream(device: "hw:\(card),0", request: Self.request(mmap: mmap))
        #expect(stream.configuration.timer?.periodWakeups == false, "\(stream.configuration)")
        var samples = [Float](repeating: 0, count: 48_000 * 2 * Self.seconds)
        try samples.withUnsafeMutableBufferPointer { try stream.readBlocking(into: $0) }
        let counters = RigEnvironment.explicitSyncCounters(card: card)
        #expect(counters["capture_period_interrupts"] == 0, "\(counters)")
        #expect(counters["capture_poisoned_frames_total"] == 0 && counters["capture_xruns"] == 0, "\(counters)")
        print("timer rig explicit-sync capture \(mmap ? "mmap" : "read/write"): \(stream.statistics)")
    }

    @Test("playback through alsa-lib on the explicit-sync driver: the contract kept at every timer wakeup", arguments: [false, true])
    func explicitSyncPlaybackThroughAlsaLib(mmap: Bool) throws {
        let card = try #require(RigEnvironment.explicitSync)
        let stream = try PlaybackStream(device: "hw:\(card),0", request: Self.request(mmap: mmap), transport: .alsaLib)
        #expect(stream.configuration.transport == .alsaLib, "\(stream.configuration)")
        let timer = try #require(stream.configuration.timer)
        try Self.signal.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        let running = try stream.status()
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        let counters = RigEnvironment.explicitSyncCounters(card: card)
        // alsa-lib's own SYNC_PTR calls, at the wakeups the timer chose; the totals since open,
        // as the drain ends in a PREPARE.
        #expect(counters["playback_stale_frames_total"] == 0 && counters["playback_late_frames_total"] == 0, "\(counters)")
        Self.expectEveryFrameOrAdaptation(stream, running, timer, counters)
        #expect(stream.statistics.waits <= Self.mostWakeups(48_000 * Self.seconds, timer), "\(stream.statistics), \(stream.configuration)")
        print("timer rig explicit-sync alsa-lib \(mmap ? "mmap" : "read/write"): \(stream.statistics.waits) wakeups; \(stream.configuration)")
    }

    @Test("playback on snd-dummy, which keeps its interrupts: the largest period, paced by the timer")
    func dummyPlayback() throws {
        let card = try #require(RigEnvironment.dummy)
        let stream = try PlaybackStream(device: "hw:\(card),0", request: Self.request(mmap: false))
        let timer = try #require(stream.configuration.timer)
        #expect(timer.periodWakeups && stream.configuration.periodSize * 2 >= stream.configuration.bufferSize, "\(stream.configuration)")
        try Self.signal.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        #expect(stream.xrunCount == 0)
        #expect(stream.statistics.waits <= Self.mostWakeups(48_000 * Self.seconds, timer), "\(stream.statistics), \(stream.configuration)")
    }
}
