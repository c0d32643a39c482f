import Glibc

/// The simulated machine's CLOCK_MONOTONIC: one clock for every substream, so that timestamps of
/// two streams compare (linked streams share a trigger time; a duplex stream measures two cards'
/// drift against it). Virtual: it moves only when time passes in the kernel (a test's `advance`, a
/// caller sleeping in poll or in a blocking call, the frames moved per call), from a nonzero
/// origin as a real clock has.
///
/// Time passes in frames of a reference rate, and the part of a nanosecond they leave is kept: N
/// frames at one rate always last exactly floor(N × 10⁹ / rate) ns, however they are split.
final class SimulatedClock {
    /// The clock's reading when the machine starts: an hour after boot.
    static let bootTime: UInt64 = 3_600_000_000_000

    private(set) var nanoseconds = SimulatedClock.bootTime
    /// What the frames counted so far leave below a nanosecond, in units of 1 / `remainderRate` ns.
    private var remainder: UInt64 = 0
    private var remainderRate: UInt64 = 1

    /// `frames` frames at `rate` pass.
    func advance(frames: Int, rate: Int) {
        guard frames > 0 else { return }
        let rate = UInt64(max(rate, 1))
        if rate != remainderRate {
            // Another reference rate: what was left carries over, rounded down to the new unit.
            remainder = remainder * rate / remainderRate
            remainderRate = rate
        }
        let elapsed = UInt64(frames) * 1_000_000_000 + remainder
        nanoseconds += elapsed / rate
        remainder = elapsed % rate
    }

    /// The reading now.
    var now: timespec { Self.time(nanoseconds) }

    static func time(_ nanoseconds: UInt64) -> timespec {
        timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }
}

/// How fast a device's clock runs against the machine's: its frames per nominal frame, as a
/// fraction. Real cards differ by tens to hundreds of ppm; snd-aloop's "PCM Rate Shift 100000"
/// control slows its cable by value / 100000.
struct ClockRatio: Equatable {
    var numerator: Int
    var denominator: Int

    static let exact = ClockRatio(numerator: 1, denominator: 1)

    /// A crystal `ppm` parts per million fast (negative: slow), with a loopback rate shift.
    init(ppm: Int, rateShift: Int = 100_000) {
        numerator = (1_000_000 + ppm) * 100_000
        denominator = 1_000_000 * max(rateShift, 1)
        if numerator == denominator { self = .exact }
    }

    init(numerator: Int, denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }
}
