import Testing
@testable import AlsaSwift

/// The delay-locked loop on synthetic devices whose true rate and timestamp jitter are known: it
/// finds the true rate from the nominal one, and its predictions follow the device, sampled as a
/// timer-scheduled stream samples it (every few milliseconds, or every two seconds) or as a period
/// stream's render clock does (once a second).
@Suite struct RateEstimatorTests {
    /// A device running at `nominal * (1 + ppm / 10^6)` frames per second of CLOCK_MONOTONIC, seen
    /// every `interval` frames with a timestamp jitter drawn from a fixed sequence (±`jitter` ns).
    struct Device {
        let nominal = 48_000
        let ppm: Double
        let jitter: Int64
        var trueRate: Double { Double(nominal) * (1 + ppm / 1_000_000) }
        let origin = MonotonicInstant(sinceBoot: .seconds(5_000))

        /// When frame `frame` is really at the device.
        func time(ofFrame frame: Int) -> MonotonicInstant {
            origin + .nanoseconds(Int64((Double(frame) / trueRate * 1e9).rounded()))
        }

        /// The kernel's timestamp of frame `frame`: its true time, off by the k-th jitter.
        func stamp(frame: Int, sample k: Int) -> MonotonicInstant {
            // A deterministic spread over [-jitter, jitter]: no random numbers in unit tests.
            let spread = Int64((k &* 7_919) % 201) - 100
            return time(ofFrame: frame) + .nanoseconds(spread * jitter / 100)
        }
    }

    /// Runs the loop over `seconds` of a device's samples; returns it and the worst prediction error
    /// for the next sample's frame, over the last half of the run.
    static func run(_ device: Device, every interval: Int, seconds: Int) -> (RateEstimator, Duration) {
        var loop = RateEstimator(nominalRate: device.nominal)
        var worst = Duration.zero
        let samples = seconds * device.nominal / interval
        for k in 1...samples {
            let frame = k * interval
            if k > samples / 2, let predicted = loop.time(ofFrame: frame) {
                let error = predicted - device.time(ofFrame: frame)
                worst = max(worst, error < .zero ? .zero - error : error)
            }
            loop.update(frame: frame, at: device.stamp(frame: frame, sample: k))
        }
        return (loop, worst)
    }

    static func ppm(_ estimate: Double, _ truth: Double) -> Double { abs(estimate - truth) / truth * 1_000_000 }

    @Test("finds a device's true rate, fast or slow, sampled often or seldom",
          arguments: [-300.0, 300.0], [240, 48_000, 96_000])
    func findsTheTrueRate(ppm: Double, interval: Int) {
        let device = Device(ppm: ppm, jitter: 20_000)
        let (loop, worst) = Self.run(device, every: interval, seconds: 40)
        let error = Self.ppm(loop.rate, device.trueRate)
        print("DLL \(ppm) ppm sampled every \(interval) frames: estimate \(loop.rate) Hz for \(device.trueRate) Hz "
              + "(\(error) ppm off); prediction of the next sample within \(worst)")
        #expect(error < 10, "\(loop.rate) Hz against \(device.trueRate) Hz")
        // The nominal rate would mispredict by ppm * interval: the loop does far better.
        #expect(worst < .microseconds(60))
    }

    @Test("exact timestamps give the exact rate")
    func exactTimestamps() {
        let device = Device(ppm: 150, jitter: 0)
        let (loop, worst) = Self.run(device, every: 1_024, seconds: 30)
        #expect(Self.ppm(loop.rate, device.trueRate) < 0.5)
        #expect(worst < .microseconds(2))
    }

    @Test("a restart keeps the rate and takes the next sample as the phase")
    func restartKeepsTheRate() throws {
        let device = Device(ppm: -200, jitter: 0)
        var (loop, _) = Self.run(device, every: 4_800, seconds: 30)
        let learnt = loop.rate
        loop.restart()
        #expect(!loop.hasPhase && loop.time(ofFrame: 0) == nil)
        let later = MonotonicInstant(sinceBoot: .seconds(9_000))
        loop.update(frame: 100, at: later)
        #expect(loop.rate == learnt)
        #expect(loop.time(ofFrame: 100) == later)
        // A second later at the rate learnt, not at the nominal rate.
        let next = try #require(loop.time(ofFrame: 100 + device.nominal))
        let expected = Duration.nanoseconds(Int64((1e9 * Double(device.nominal) / learnt).rounded()))
        #expect(abs((next - later - expected).nanosecondsSaturating) <= 1)
    }

    @Test("a jump no drift explains starts the phase again")
    func jumpRelocks() {
        let device = Device(ppm: 0, jitter: 0)
        var (loop, _) = Self.run(device, every: 4_800, seconds: 10)
        // The device position jumps (a stall the loop did not see): the sample is the new phase.
        let frame = 10 * 48_000 + 4_800
        let stalled = device.time(ofFrame: frame) + .milliseconds(300)
        loop.update(frame: frame, at: stalled)
        #expect(loop.time(ofFrame: frame) == stalled)
        #expect(Self.ppm(loop.rate, device.trueRate) < 1)
    }
}
