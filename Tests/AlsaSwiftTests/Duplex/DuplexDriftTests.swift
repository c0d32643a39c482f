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

    /// Playback on card 1, 300 ppm fast, against capture on card 0; or, `captureFast`, the
    /// capture card 300 ppm fast against a nominal playback card.
    static func twoCards(captureFast: Bool = false) -> SimulatedKernel {
        var fast = SimulatedHardware.explicitSync
        fast.clockDeviation = 300
        let kernel = SimulatedKernel(card: 0, hardware: captureFast ? fast : .explicitSync)
        kernel.addDevice(card: 1, device: 0, hardware: captureFast ? .explicitSync : fast)
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

    /// A 1 kHz sine on the capture card, at half scale.
    static func twoCardsWithSine(captureFast: Bool = false) -> SimulatedKernel {
        let kernel = twoCards(captureFast: captureFast)
        kernel.setCaptureSignal(.sine(frequency: 1000, amplitude: 0.5), card: 0)
        return kernel
    }

    /// Runs `seconds` of a Float pass-through of the sine (left channel), and returns the largest
    /// jump in its slope after the first second: a smooth sine changes slope by at most
    /// 0.5 × (2π × 1000 / 48000)² ≈ 0.009 a frame; a frame left out or repeated jumps by about
    /// the slope itself, up to 0.065.
    static func largestSlopeJump(_ duplex: DuplexStream) throws -> Float {
        var previous: (Float, Float)?
        var largest: Float = 0
        var frames = 0
        for _ in 0..<seconds {
            try duplex.processBlocking(periods: 48_000 / period) { block in
                _ = block.output.update(fromContentsOf: block.input)
                for frame in 0..<block.frameCount {
                    let sample = block.input[frame * block.channelCount]
                    if let (older, last) = previous, frames > 48_000 { largest = max(largest, abs(sample - 2 * last + older)) }
                    previous = (previous?.1 ?? 0, sample)
                    frames += 1
                }
            }
        }
        return largest
    }

    /// With the capture card slow, each period reads a little less than a period; fast, a little
    /// more, which the card has only because it runs ahead (a short read is made up by the next).
    @Test("two cards, Float samples: the input is resampled to the playback clock; no frame dropped or repeated",
          arguments: [false, true])
    func resampling(captureFast: Bool) async throws {
        try await onOwnThread {
            let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request,
                                          kernel: Self.twoCardsWithSine(captureFast: captureFast))
            #expect(duplex.configuration.compensation == .resampling(quality: .standard), "the automatic choice for Float samples")
            #expect(duplex.configuration.queuedFrames == 3 * Self.period, "the clocks' interrupts still slide past each other")
            let jump = try Self.largestSlopeJump(duplex)
            let drift = try #require(duplex.drift)
            let ppm = try #require(drift.ppm)
            // Against the playback card 300 ppm fast, the capture card runs 300 ppm slow, and each of
            // its frames fills 1 / (1 - 300e-6) of the playback card's; or the other way round.
            let expected = captureFast ? 300.0 : -300.0
            #expect(abs(ppm - expected) < 5, "\(drift)")
            let ratio = try #require(drift.resamplingRatio)
            #expect(abs(ratio - 1 / (1 + expected / 1_000_000)) < 20e-6, "\(drift)")
            #expect(drift.droppedFrames + drift.repeatedFrames == 0)
            #expect(duplex.xruns.total == 0, "\(duplex.xruns)")
            #expect(duplex.loop.shortInputPeriods == 0, "every period resampled whole, the first included")
            #expect(jump < 0.02, "the sine arrives smooth: largest slope jump \(jump)")
            // Held within a few frames of its start, where frame adjustment moves by whole frames
            // and a period's phase.
            #expect(abs(drift.latencyError) < 4, "\(drift)")
            let timing = try duplex.timing()
            // The filter's latency and the few capture frames kept staged (a 32nd of a period, at least 4).
            let filter = try Resampler(from: 48_000, to: 48_000, channelCount: 2, adaptive: true).latency
            #expect(timing.resamplerFrames >= filter && timing.resamplerFrames <= filter + 2 * Self.period / 32, "\(timing), filter \(filter)")
            #expect(abs(timing.roundTripFrames - 3 * Self.period - timing.resamplerFrames) <= Self.period, "\(timing)")
        }
    }

    @Test("resampling is refused for raw samples, with the way on; automatic then adjusts frames")
    func resamplingNeedsFloats() throws {
        let raw = DuplexOptions(samples: .raw, compensation: .resampling())
        let error = #expect(throws: AlsaError.self) {
            try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request, options: raw, kernel: Self.twoCards())
        }
        #expect(error?.errno == .invalidArgument)
        #expect(error?.context?.contains("Float samples") == true)
        let automatic = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request,
                                         options: DuplexOptions(samples: .raw), kernel: Self.twoCards())
        #expect(automatic.configuration.compensation == .frameAdjustment)
    }

    @Test("two cards: the drift is measured, and a frame dropped or repeated holds the round trip")
    func frameAdjustment() async throws {
        try await onOwnThread {
            let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request,
                                          options: DuplexOptions(compensation: .frameAdjustment), kernel: Self.twoCards())
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

    /// The smoothness check of `resampling()` sees what frame adjustment does to a sine.
    @Test("frame adjustment leaves a jump in a sine that resampling does not")
    func frameAdjustmentJumps() async throws {
        try await onOwnThread {
            let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: Self.request,
                                          options: DuplexOptions(compensation: .frameAdjustment), kernel: Self.twoCardsWithSine())
            let jump = try Self.largestSlopeJump(duplex)
            #expect(try #require(duplex.drift).repeatedFrames > 0)
            #expect(jump > 0.03, "a repeated frame: largest slope jump \(jump)")
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
