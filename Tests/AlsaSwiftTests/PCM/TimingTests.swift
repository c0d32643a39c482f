@testable import AlsaSwift
import AlsaSimulation
import CAlsaKernel
import Testing

/// Position and timestamps for audio/video sync, on the simulated kernel's virtual clock, where
/// every instant is known exactly: the DMA engine moves only when the test says, and the clock
/// with it.
@Suite struct TimingTests {
    static let sampleRate = 48_000
    /// The simulated substream's clock when a stream is first started (its nonzero origin).
    static let boot = MonotonicInstant(sinceBoot: .nanoseconds(3_600_000_000_000))

    private func silence(_ frames: Int) -> [UInt8] { [UInt8](repeating: 0, count: frames * 4) }

    private func frames(_ count: Int) -> Duration { AudioTiming.duration(ofFrames: count, sampleRate: Self.sampleRate) }

    /// |a - b| within a nanosecond: sums of durations each rounded down to the nanosecond.
    private func close(_ a: MonotonicInstant, _ b: MonotonicInstant) -> Bool {
        let difference = a - b
        return difference <= .nanoseconds(1) && difference >= .nanoseconds(-1)
    }

    static let devices: [(SimulatedHardware, PCMRecords)] = [(.dummy, []), (.dummy, [.status, .control]), (.explicitSync, [])]

    /// A full buffer starts playback; 480 frames (10 ms) later the device plays frame 480, the
    /// app is 1024 - 480 frames ahead, and each frame's time follows from the trigger time.
    @Test("playback: the frame at the speaker, its timestamp and every frame's time agree with the clock",
          arguments: devices)
    func playbackArithmetic(hardware: SimulatedHardware, forced: PCMRecords) throws {
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel, options: PCMOpenOptions(forceSyncPtr: forced))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try silence(1024).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        kernel.advance(frames: 480)
        let timing = try pcm.timing()
        #expect(timing.state == .running)
        #expect(timing.clock == .monotonic)
        #expect(timing.triggerTimestamp == Self.boot)
        #expect(timing.applicationPosition == 1024)
        #expect(timing.delayFrames == 1024 - 480)
        #expect(timing.devicePosition == 480)
        #expect(timing.timestamp == Self.boot + .milliseconds(10))
        #expect(close(timing.nextFrameTime, Self.boot + frames(1024)))
        #expect(timing.time(ofFrame: 0) == Self.boot)
        #expect(timing.frame(at: Self.boot + .milliseconds(20)) == 960)
        #expect(timing.audioTimestamp == AudioTimestamp(time: .milliseconds(10), source: .hardwarePointer, accuracy: nil))
    }

    /// Over many periods the timestamps never go back, the device position only grows, and the
    /// time predicted for a frame early on is the time measured when the device reaches it: the
    /// delay correction has the right sign and size.
    @Test("playback: timestamps are monotonic and a frame's predicted time is the time it is played",
          arguments: devices)
    func playbackPredictionHolds(hardware: SimulatedHardware, forced: PCMRecords) throws {
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel, options: PCMOpenOptions(forceSyncPtr: forced))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        let period = silence(256)
        for _ in 0..<4 { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        let first = try pcm.timing()
        let target = first.applicationPosition  // the next frame written
        let predicted = first.nextFrameTime
        var previous = first
        var measured: MonotonicInstant?
        for step in 0..<40 {
            kernel.advance(frames: 100 + step % 7 * 13)
            try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
            let now = try pcm.timing()
            #expect(now.timestamp >= previous.timestamp)
            #expect(now.devicePosition >= previous.devicePosition)
            #expect(now.triggerTimestamp == first.triggerTimestamp)
            if measured == nil && now.devicePosition >= target { measured = now.time(ofFrame: target) }
            previous = now
        }
        let seen = try #require(measured)
        #expect(close(seen, predicted), "predicted \(predicted), played at \(seen)")
    }

    /// Capture: frame 0 was captured at the trigger; the device is ahead of the app by what is
    /// captured and not read.
    @Test("capture: the delay is ahead of the app, and frame k was captured k frames after the start",
          arguments: devices)
    func captureArithmetic(hardware: SimulatedHardware, forced: PCMRecords) throws {
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel, .capture, options: PCMOpenOptions(forceSyncPtr: forced))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try pcm.start()
        kernel.advance(frames: 700)
        var timing = try pcm.timing()
        #expect(timing.applicationPosition == 0)
        #expect(timing.delayFrames == 700)
        #expect(timing.devicePosition == 700)
        #expect(timing.time(ofFrame: 0) == Self.boot)
        #expect(timing.nextFrameTime == Self.boot)
        var buffer = silence(256)
        try buffer.withUnsafeMutableBytes { _ = try pcm.readInterleaved(into: $0) }
        kernel.advance(frames: 96)
        timing = try pcm.timing()
        #expect(timing.applicationPosition == 256)
        #expect(timing.delayFrames == 700 + 96 - 256)
        #expect(timing.nextFrameTime == Self.boot + frames(256))
        #expect(timing.timestamp == Self.boot + frames(796))
    }

    /// A driver's own latency beyond its buffer (runtime->delay) is part of the delay: the frame
    /// at the speaker is that much behind the DMA position, and every frame is heard that much later.
    @Test func theDriversExtraDelayMovesEveryFrameLater() throws {
        var hardware = SimulatedHardware.dummy
        hardware.extraDelayFrames = 96
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try silence(1024).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        kernel.advance(frames: 480)
        let timing = try pcm.timing()
        #expect(timing.delayFrames == 1024 - 480 + 96)
        #expect(timing.devicePosition == 480 - 96)
        #expect(timing.time(ofFrame: 0) == Self.boot + .milliseconds(2))
        #expect(try pcm.delay() == timing.delayFrames)
    }

    /// A stream that does not run has no audio timestamp, its timestamp is the clock now, and
    /// its delay is what is queued, so that the first frame's time is known before the start.
    @Test func aPreparedStreamReportsWhatIsQueued() throws {
        let kernel = makeKernel()
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try silence(512).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        let timing = try pcm.timing()
        #expect(timing.state == .prepared)
        #expect(timing.delayFrames == 512)
        #expect(timing.devicePosition == 0)
        #expect(timing.audioTimestamp == nil)
        #expect(timing.timestamp == Self.boot)
    }

    /// Pause stamps the trigger time; the position holds while paused.
    @Test func pauseStampsTheTriggerAndHoldsThePosition() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try silence(1024).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        kernel.advance(frames: 240)
        try pcm.pause(true)
        let paused = try pcm.timing()
        #expect(paused.state == .paused)
        #expect(paused.triggerTimestamp == Self.boot + .milliseconds(5))
        #expect(paused.devicePosition == 240)
        kernel.advance(frames: 480)
        #expect(try pcm.timing().devicePosition == 240)
    }

    /// Where the device offers a link counter (HAS_LINK_ATIME), the timing asks for it through
    /// STATUS_EXT and reports it with its accuracy; elsewhere the kernel's pointer-derived time.
    @Test func aLinkTimestampIsAskedForWhereTheDeviceOffersOne() throws {
        var hardware = SimulatedHardware.dummy
        hardware.info |= ALSA_INFO_HAS_LINK_ATIME
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        #expect(pcm.setup?.info.contains(.hasLinkTime) == true)
        try silence(1024).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        kernel.advance(frames: 100)
        kernel.clearTrace()
        let timing = try pcm.timing()
        #expect(kernel.ioctlNames == ["STATUS_EXT"])
        #expect(timing.audioTimestamp?.source == .link)
        #expect(timing.audioTimestamp?.accuracy == .nanoseconds(250))
        #expect(timing.audioTimestamp?.time == frames(100))
        #expect(AudioTimestampSource.best(offeredBy: [.hasLinkTime, .hasLinkAbsoluteTime]) == .linkAbsolute)
        #expect(AudioTimestampSource.best(offeredBy: [.mmap]) == .hardwarePointer)
    }

    /// Streams answer from their PCM, whichever way they were built.
    @Test func streamsAnswerTiming() throws {
        let kernel = makeKernel()
        let pcm = try openPCM(kernel, options: PCMOpenOptions(nonBlocking: true))
        let stream = try PlaybackStream(pcm: pcm, request: StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(20)))
        let buffer = try #require(pcm.setup).bufferSize
        try silence(buffer).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        kernel.advance(frames: 48)
        let timing = try stream.timing()
        #expect(timing.devicePosition == 48)
        #expect(timing.applicationPosition == buffer)
        #expect(close(timing.nextFrameTime, Self.boot + frames(buffer)))
        #expect("\(timing)".contains("frame 48 at the device"))
    }

    @Test func frameAndDurationArithmetic() {
        #expect(AudioTiming.duration(ofFrames: 48_000, sampleRate: 48_000) == .seconds(1))
        #expect(AudioTiming.duration(ofFrames: 1, sampleRate: 48_000) == .nanoseconds(20_833))
        #expect(AudioTiming.duration(ofFrames: -48_024, sampleRate: 48_000) == .nanoseconds(-1_000_500_000))
        #expect(AudioTiming.frames(in: .milliseconds(1), sampleRate: 48_000) == 48)
        #expect(AudioTiming.frames(in: .nanoseconds(20_833), sampleRate: 48_000) == 0)
        #expect(AudioTiming.frames(in: .nanoseconds(-1), sampleRate: 48_000) == -1)
        #expect(AudioTiming.frames(in: .seconds(-2), sampleRate: 44_100) == -88_200)
        #expect(AudioTiming.frames(in: .seconds(Int64.max / 2), sampleRate: 48_000) > 0)
        #expect(MonotonicInstant(sinceBoot: .nanoseconds(12_000_500_000)).description == "12.000500000 s")
        #expect(MonotonicInstant.now > MonotonicInstant(sinceBoot: .zero))
    }
}
