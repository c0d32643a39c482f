/// The simulated machine's CLOCK_MONOTONIC: virtual and exact, from a nonzero origin as a real
/// clock has. It moves only when the kernel lets time pass (a DMA engine runs, or a sleeper waits
/// for a timer), never with the host's clock, so a test knows every instant exactly.
///
/// Frames last exactly: `remainder` keeps what their duration leaves below a nanosecond, so N
/// frames at one rate always last floor(N * 10^9 / rate) ns, however they are split.
struct SimulatedClock: Equatable {
    /// Where every clock of a new machine starts: an hour after boot.
    static let boot: UInt64 = 3_600_000_000_000
    /// The longest stretch a sleeper without a limit waits (an hour), so a wait that cannot end
    /// returns instead of hanging.
    static let hour: UInt64 = 3_600_000_000_000

    /// Nanoseconds since boot.
    var nanoseconds: UInt64 = boot
    /// The part of a nanosecond the last frames left, in units of 1/`rate` ns.
    var remainder: UInt64 = 0
    /// The rate of the frames that left `remainder` (0: none).
    var rate = 0

    /// `frames` frames at `rate` pass.
    mutating func advance(frames: Int, rate: Int) {
        guard frames > 0, rate > 0 else { return }
        if rate != self.rate {
            remainder = 0
            self.rate = rate
        }
        let elapsed = UInt64(frames) * 1_000_000_000 + remainder
        nanoseconds += elapsed / UInt64(rate)
        remainder = elapsed % UInt64(rate)
    }

    /// Time passes up to `instant` (nothing happens if it is not later).
    mutating func advance(to instant: UInt64) {
        guard instant > nanoseconds else { return }
        nanoseconds = instant
        remainder = 0
    }

    /// The fewest frames at `rate` after which the clock has reached `instant` (0 when it has
    /// already), for at most an hour of time: a later instant takes another call.
    func frames(until instant: UInt64, rate: Int) -> Int {
        guard instant > nanoseconds, rate > 0 else { return 0 }
        let gap = min(instant - nanoseconds, Self.hour)
        let left = self.rate == rate ? remainder : 0
        // The smallest k with floor((k * 10^9 + left) / rate) >= gap, i.e. k * 10^9 >= gap * rate - left
        // (gap * rate >= rate > left, and an hour at any real rate fits in 64 bits).
        let needed = gap * UInt64(rate) - left
        return Int((needed + 999_999_999) / 1_000_000_000)
    }

    /// Whether this reading is later than `other` (equal readings of one rate compare by remainder).
    func isLater(than other: SimulatedClock) -> Bool {
        if nanoseconds != other.nanoseconds { return nanoseconds > other.nanoseconds }
        return rate == other.rate && remainder > other.remainder
    }
}
