import Glibc

/// The simulated machine's CLOCK_MONOTONIC: one clock for every substream and timer, so that
/// timestamps of two streams compare (linked streams share a trigger time; a duplex stream measures
/// two cards' drift against it) and a timer wakes its sleeper at the instant a stream's position
/// says. Virtual and exact: it moves only when time passes in the kernel (a test's `advance`, a
/// caller sleeping in poll, in a blocking call or on a timer, the frames moved per call), never
/// with the host's clock, from a nonzero origin as a real clock has.
///
/// Time passes in frames of a reference rate, and the part of a nanosecond they leave is kept: N
/// frames at one rate always last exactly floor(N × 10⁹ / rate) ns, however they are split.
final class SimulatedClock {
    /// The clock's reading when the machine starts: an hour after boot.
    static let bootTime: UInt64 = 3_600_000_000_000
    /// The longest stretch a sleeper without a limit waits (an hour), so a wait that cannot end
    /// returns instead of hanging.
    static let hour: UInt64 = 3_600_000_000_000

    /// Nanoseconds since boot.
    private(set) var nanoseconds = SimulatedClock.bootTime
    /// What the frames counted so far leave below a nanosecond, in units of 1 / `remainderRate` ns.
    private var remainder: UInt64 = 0
    private var remainderRate: UInt64 = 1

    /// `frames` frames at `rate` pass.
    func advance(frames: Int, rate: Int) {
        guard frames > 0 else { return }
        let rate = UInt64(max(rate, 1))
        rebase(rate)
        let elapsed = UInt64(frames) * 1_000_000_000 + remainder
        nanoseconds += elapsed / rate
        remainder = elapsed % rate
    }

    /// Time passes up to `instant` (nothing happens if it is not later): a sleeper on a timer.
    func advance(to instant: UInt64) {
        guard instant > nanoseconds else { return }
        nanoseconds = instant
        remainder = 0
    }

    /// The fewest frames at `rate` after which the clock has reached `instant` (0 when it has
    /// already), for at most an hour of time: a later instant takes another call.
    func frames(until instant: UInt64, rate: Int) -> Int {
        guard instant > nanoseconds, rate > 0 else { return 0 }
        let gap = min(instant - nanoseconds, Self.hour)
        // What is left below a nanosecond, in the unit `advance` would carry it over in.
        let left = remainder * UInt64(rate) / remainderRate
        // The smallest k with floor((k × 10⁹ + left) / rate) >= gap, i.e. k × 10⁹ >= gap × rate − left
        // (gap × rate >= rate > left, and an hour at any real rate fits in 64 bits).
        let needed = gap * UInt64(rate) - left
        return Int((needed + 999_999_999) / 1_000_000_000)
    }

    /// The reading now.
    var now: timespec { Self.time(nanoseconds) }

    static func time(_ nanoseconds: UInt64) -> timespec {
        timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }

    /// Another reference rate: what was left carries over, rounded down to the new unit.
    private func rebase(_ rate: UInt64) {
        guard rate != remainderRate else { return }
        remainder = remainder * rate / remainderRate
        remainderRate = rate
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
