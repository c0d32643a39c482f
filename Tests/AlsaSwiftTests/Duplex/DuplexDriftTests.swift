import AlsaSimulation
import Testing
@testable import AlsaSwift

/// A duplex stream across two cards whose crystals differ (the simulated kernel runs each card by
/// its own clock, off by `clockDeviation` ppm): the stream measures the drift from both sides'
/// timestamps and holds the round trip within a period of where it started, without an xrun, by
/// the method it says it uses. Left uncompensated, the same run drifts by more than a period:
/// what shows that the compensation, not luck, holds it.
@Suite("Duplex stream: two clocks")
struct DuplexDriftTests {
    static let period = 256
    static let seconds = 20
    /// Two periods of 256 frames at 48 kHz (10.667 ms, rounded up to a whole frame).
    static let request = StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .microseconds(10_667), formats: [.s16LE])

    /// Playback on card 1, 300 ppm fast, against capture on card 0.
    static func twoCards() -> SimulatedKernel {
        let kernel = SimulatedKernel(card: 0, hardware: .explicitSync)
        var fast = SimulatedHardware.explicitSync
        fast.clockDeviation = 300
        kernel.addDevice(card: 1, device: 0, hardware: fast)
        return kernel
    }

    /// Runs `seconds` of a Float pass-through; the round trips seen once a second after the first.
    static func run(_ duplex: DuplexStream) throws -> [Int] {
        var roundTrips: [Int] = []
        let perSecond = 48_000 / period
        for _ in 0..<seconds {
            try duplex.processBlocking(periods: perSecond) { block in _ = block.output.update(fromContentsOf: block.input) }
            roundTrips.append(try duplex.timing().roundTripFrames)
        }
        return roundTrips
    }

    @Test("two cards: the drift is measured, and a frame dropped or repeated holds the round trip")
    func frameAdjustment() async throws {
        try await onOwnThread {
            let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request, kernel: Self.twoCards())
            #expect(duplex.configuration.compensation == .frameAdjustment)
            #expect(duplex.configuration.start == .linked, "one kernel links two cards' substreams")
            #expect(duplex.configuration.queuedFrames == 3 * Self.period, "a period more for the interrupts' phase")
            let roundTrips = try Self.run(duplex)
            let drift = try #require(duplex.drift)
            let ppm = try #require(drift.ppm)
            #expect(abs(ppm + 300) < 5, "capture against a playback clock 300 ppm fast: \(drift)")
            // 300 ppm of 20 s at 48 kHz is 288 frames: repeated input frames make them up.
            #expect(drift.repeatedFrames > 250 && drift.repeatedFrames < 330, "\(drift)")
            #expect(duplex.xruns.total == 0, "\(duplex.xruns) \(roundTrips)")
            for value in roundTrips { #expect(abs(value - 3 * Self.period) <= Self.period, "\(roundTrips)") }
        }
    }

    @Test("uncompensated, the same two cards drift by more than a period")
    func uncompensated() async throws {
        try await onOwnThread {
            let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request,
                                          options: DuplexOptions(compensation: .off), kernel: Self.twoCards())
            #expect(duplex.configuration.compensation == .none)
            let roundTrips = try Self.run(duplex)
            let ppm = try #require(duplex.drift?.ppm)
            #expect(abs(ppm + 300) < 5)
            #expect(roundTrips.contains { abs($0 - 3 * Self.period) > Self.period } || duplex.xruns.total > 0, "\(roundTrips)")
        }
    }

    /// Capture from an snd-aloop cable (its own clock, nominal) against playback on a card 300 ppm
    /// fast: the cable's rate shift is moved until it runs at the playback card's pace.
    @Test("a loopback card's rate shift follows the other card, as alsaloop moves it")
    func rateShift() async throws {
        try await onOwnThread {
            var fast = SimulatedHardware.explicitSync
            fast.clockDeviation = 300
            let kernel = SimulatedKernel(card: 0, hardware: fast)
            kernel.addLoopbackCard(card: 1)
            let duplex = try DuplexStream(capture: "hw:1,1", playback: "hw:0,0", request: Self.request, kernel: kernel)
            #expect(duplex.configuration.compensation == .rateShift(side: .capture, card: 1))
            #expect(duplex.configuration.queuedFrames == 2 * Self.period, "the shift holds the phase: two periods")
            let roundTrips = try Self.run(duplex)
            let drift = try #require(duplex.drift)
            let ppm = try #require(drift.ppm)
            #expect(abs(ppm + 300) < 5, "the cards' own drift, the shift taken out: \(drift)")
            // A shift below 100000 speeds the cable up: 300 ppm is 30 steps of 10 ppm.
            let shift = try #require(drift.rateShift)
            #expect(shift < 100_000 && shift > 99_900, "\(drift)")
            #expect(drift.droppedFrames + drift.repeatedFrames == 0)
            #expect(duplex.xruns.total == 0)
            for value in roundTrips { #expect(abs(value - 2 * Self.period) <= Self.period, "\(roundTrips)") }
        }
    }
}
