import Foundation
import Testing
@testable import AlsaSwift

/// Full duplex on the real kernel, on an snd-aloop cable whose two ends are the stream's two sides:
/// what the stream plays on hw:L,0,0 comes back on hw:L,1,0, so an impulse train written to the
/// output is found again in the input, and the distance between them is the real round trip.
///
/// Round trip: every 4096 output frames (counted as the callback sees them) carries one impulse;
/// each impulse found in the input (the frame whose sample peaks, a cross-correlation with a single
/// impulse) lies d frames after it. d must be one value for the whole run, and equal to the round
/// trip `timing()` reports within one frame plus the frames between its two status calls: the
/// report carries the capture side's delay to the playback side's timestamp as if positions moved
/// continuously, and snd-aloop moves them once a timer tick, so the time between the two calls
/// (tens of microseconds in the emulated guest) is counted on top. A wrong report is off by periods. Linked: one START runs both sides; refused
/// (direct capture beside an alsa-lib playback: EINVAL across transports), both started within a
/// period. Forced xruns on each side, 10 each: both restart, each counted on its side, and the
/// round trip after each is the one before.
///
/// Periods are whole multiples of 192 frames. snd-aloop's default timer is the jiffy (4 ms at the
/// rig kernel's HZ=250, 192 frames at 48 kHz): its pointers move 192 frames at a step and it wakes
/// at the first jiffy past each period's end. A 256-frame period then wakes after 384 frames, with
/// 128 of the two queued periods left, which the next step empties before an emulated guest has
/// written: every start underran (traced per period on the rig), and the fourth restart in a row
/// with no frame moved was thrown, as `RecoveryProcedure` rules. At 384 frames each wakeup finds one
/// period and one step of room to spare; 1152 frames (six steps) replaces the 1024 of before.
@Suite(.enabled(if: RigEnvironment.loopback != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct DuplexIntegrationTests {
    static let rate = 48_000
    static let spacing = 4096
    /// A 384-frame period, the bound of a start's gap.
    static let periodTime = AudioTiming.duration(ofFrames: 384, sampleRate: rate)

    static func request(period: Int) -> StreamRequest {
        // Two periods, rounded up to the next nanosecond so that they count as whole frames.
        StreamRequest(sampleRate: rate, channelCount: 2, latency: .nanoseconds((2 * period * 1_000_000_000 + rate - 1) / rate), formats: [.s16LE])
    }

    static func cable(_ card: Int, transport: PCMDevice.TransportChoice = .direct,
                      playbackTransport: PCMDevice.TransportChoice? = nil, period: Int) throws -> DuplexStream {
        let capture = try StreamNegotiation.open("hw:\(card),1,0", .capture, transport: transport, kernel: LinuxKernel.shared)
        let playback = try StreamNegotiation.open("hw:\(card),0,0", .playback, transport: playbackTransport ?? transport,
                                                  kernel: LinuxKernel.shared)
        return try DuplexStream(capture: capture, playback: playback, request: request(period: period))
    }

    /// The distances from each impulse written to where it came back, and the round trip reported.
    /// How far a report may stray: a frame, plus the frames between its two status calls.
    static func tolerance(_ timing: DuplexTiming) -> Int {
        1 + abs(AudioTiming.frames(in: timing.playback.timestamp - timing.capture.timestamp, sampleRate: rate))
    }

    static func measure(_ duplex: DuplexStream, seconds: Int) throws -> (distances: [Int], reported: [DuplexTiming]) {
        let period = duplex.configuration.periodSize
        var found: [Int] = []
        var reported: [DuplexTiming] = []
        try duplex.processBlocking(periods: seconds * rate / period) { block in
            for frame in 0..<block.frameCount {
                let index = block.framePosition + frame
                let input = block.input[frame * 2]
                if input > 0.25 { found.append(index) }
                block.output[frame * 2] = index % spacing == 0 ? 0.5 : 0
                block.output[frame * 2 + 1] = 0
            }
        }
        for _ in 0..<5 {
            try duplex.processBlocking(periods: 1) { block in block.output.update(repeating: 0) }
            reported.append(try duplex.timing())
        }
        return (found.map { $0 - $0 / spacing * spacing }, reported)
    }

    @Test("the round trip on an aloop cable is one value, and the one reported", arguments: [384, 1152])
    func roundTrip(period: Int) async throws {
        let card = try #require(RigEnvironment.loopback)
        try await onOwnThread {
            let duplex = try Self.cable(card, period: period)
            #expect(duplex.configuration.periodSize == period, "\(duplex.configuration)")
            #expect(duplex.configuration.start == .linked)
            let (distances, reported) = try Self.measure(duplex, seconds: 3)
            print("duplex round trip, period \(period): impulses came back after \(Set(distances).sorted()) frames; "
                  + "reported \(reported.map(\.roundTripFrames)), within \(reported.map(Self.tolerance)); \(duplex.xruns)")
            try #require(distances.count >= 3, "impulses found: \(distances.count)")
            #expect(Set(distances).count == 1, "one distance: \(Set(distances).sorted())")
            for timing in reported {
                #expect(abs(timing.roundTripFrames - distances[0]) <= Self.tolerance(timing), "reported \(timing), measured \(distances[0])")
            }
        }
    }

    /// Linked, the start procedure sends one START, to the capture side, and the kernel starts
    /// both. Each side keeps a trigger timestamp of its own unless the driver starts linked
    /// substreams in one shot (`snd_pcm_trigger_done`), which snd-aloop does not: they were 5 to 110
    /// microseconds apart in the guest. So the proof is the playback side running after that one
    /// START.
    @Test("linked: one START runs both sides; refused across transports: started within a period")
    func starts() async throws {
        let card = try #require(RigEnvironment.loopback)
        try await onOwnThread {
            let linked = try Self.cable(card, period: 384)
            #expect(linked.configuration.start == .linked)
            try linked.loop.startUp()
            let together = try linked.timing()
            #expect(together.capture.state == .running && together.playback.state == .running, "\(together)")
            let gap = together.playback.triggerTimestamp - together.capture.triggerTimestamp
            print("duplex linked start: trigger timestamps \(gap) apart")
            #expect(gap > .zero - Self.periodTime && gap < Self.periodTime, "\(gap)")
            try linked.processBlocking(periods: 4) { block in block.output.update(repeating: 0) }
            try linked.stop()
        }
        try await onOwnThread {
            let apart = try Self.cable(card, playbackTransport: .alsaLib, period: 384)
            guard case .backToBack(let refusal) = apart.configuration.start else {
                Issue.record("linked across transports: \(apart.configuration.start)")
                return
            }
            #expect(refusal.errno == .invalidArgument)
            try apart.processBlocking(periods: 4) { block in block.output.update(repeating: 0) }
            let timing = try apart.timing()
            let gap = timing.playback.triggerTimestamp - timing.capture.triggerTimestamp
            print("duplex back-to-back start: playback started \(gap) after capture")
            #expect(gap >= .zero && gap < Self.periodTime, "\(gap)")
        }
    }

    @Test("xruns forced 10 times on each side: both restart with the round trip they had", arguments: [StreamDirection.capture, .playback])
    func forcedXruns(side: StreamDirection) async throws {
        let card = try #require(RigEnvironment.loopback)
        try await onOwnThread {
            let duplex = try Self.cable(card, period: 1152)
            try duplex.processBlocking(periods: 8) { block in block.output.update(repeating: 0) }
            let before = try duplex.timing()
            var after: [DuplexTiming] = []
            for _ in 0..<10 {
                duplex.loop.starving = side
                while duplex.loop.starving != nil {
                    try duplex.processBlocking(periods: 1) { block in block.output.update(repeating: 0) }
                }
                try duplex.processBlocking(periods: 4) { block in block.output.update(repeating: 0) }
                after.append(try duplex.timing())
            }
            print("duplex forced \(side) xruns: round trip \(before.roundTripFrames) before, \(after.map(\.roundTripFrames)) after; \(duplex.xruns)")
            #expect(side == .capture ? duplex.xruns.capture >= 10 : duplex.xruns.playback >= 10, "\(duplex.xruns)")
            for timing in after {
                // Each report strays by its own calls' gap (see the suite's comment).
                #expect(abs(timing.roundTripFrames - before.roundTripFrames) <= Self.tolerance(timing) + Self.tolerance(before),
                        "\(before) before, \(timing) after")
            }
        }
    }

    /// Two clocks on the real kernel: capture from an snd-aloop cable (moved by the jiffy timer)
    /// and playback on snd-dummy (an hrtimer), the input resampled to the playback clock (asked
    /// for: the automatic choice would take the cable's rate shift). The drift is measured, nothing
    /// is dropped or repeated, every period is resampled whole, and the round trip stays within
    /// two of snd-aloop's 192-frame steps of where it started.
    @Test("two cards: the input resampled to the playback clock holds the round trip")
    func resampledAcrossCards() async throws {
        let card = try #require(RigEnvironment.loopback)
        let dummy = try #require(RigEnvironment.dummy)
        try await onOwnThread {
            let period = 1152
            let duplex = try DuplexStream(capture: "hw:\(card),1,0", playback: "hw:\(dummy),0", request: Self.request(period: period),
                                          options: DuplexOptions(compensation: .resampling()), transport: .direct)
            #expect(duplex.configuration.compensation == .resampling(quality: .standard))
            var errors: [Double] = []
            for _ in 0..<20 {
                try duplex.processBlocking(periods: Self.rate / period) { block in block.output.update(repeating: 0) }
                errors.append(duplex.drift?.latencyError ?? .nan)
            }
            let drift = try #require(duplex.drift)
            print("duplex two clocks, resampled: \(drift); \(duplex.xruns); \(try duplex.timing()); "
                  + "round trip from its start, once a second: \(errors.map { $0.formatted(decimals: 1) })")
            let ppm = try #require(drift.ppm)
            #expect(abs(ppm) < 1000, "\(drift)")
            #expect(drift.droppedFrames + drift.repeatedFrames == 0)
            #expect(duplex.loop.shortInputPeriods == 0)
            #expect(abs(drift.latencyError) <= 2 * 192, "\(drift)")
        }
    }
}
