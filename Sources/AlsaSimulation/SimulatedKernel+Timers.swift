import AlsaSwift
import Glibc
import SystemPackage

/// The machine's timers (timerfd) on its virtual clock: a poll that holds an armed timer lets time
/// pass to its deadline, so a timer-scheduled stream sleeps exactly as long as it asked, in virtual
/// time, and its DMA engine moves meanwhile.
extension SimulatedKernel {
    /// The machine's CLOCK_MONOTONIC now: what it stamps PCM positions with and runs timers on.
    public var now: MonotonicInstant {
        locked { MonotonicInstant(sinceBoot: .nanoseconds(Int64(clock.nanoseconds))) }
    }

    /// Makes every timer wake its sleeper `latency` after its deadline, as a loaded machine's
    /// scheduler does: a stream that sleeps until its buffer is nearly empty then finds it emptier
    /// (or empty: an xrun) by that much. Zero (the default) wakes sleepers at their deadlines.
    public func setTimerLatency(_ latency: Duration) {
        locked { timerLatency = UInt64(max(latency.nanosecondsValue, 0)) }
    }

    public func timerCreate() throws(Errno) -> FileDescriptor {
        try locked { () throws(Errno) -> FileDescriptor in
            var record = SimulatedCallRecord(call: .timerCreate)
            try checkFault(&record, .timerCreate, nil)
            let fd = nextDescriptorForWatch()
            timers[fd] = .some(nil)
            records.append(record)
            return FileDescriptor(rawValue: fd)
        }
    }

    public func timerSet(_ fd: FileDescriptor, deadline: MonotonicInstant?) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .timerSet)
            try checkFault(&record, .timerSet, nil)
            guard timers[fd.rawValue] != nil else { return try fail(&record, .badFileDescriptor) }
            // An instant before boot has passed already, as on the real clock.
            timers[fd.rawValue] = .some(deadline.map { UInt64(max($0.sinceBoot.nanosecondsValue, 0)) })
            records.append(record)
        }
    }

    /// Whether a timer armed for `deadline` wakes its sleeper now. Lock held.
    func timerHasExpired(_ deadline: UInt64?) -> Bool {
        guard let deadline else { return false }
        return clock.nanoseconds >= deadline + timerLatency
    }

    /// read(2) of a timer: the expiries since it was armed (one at most: it never repeats), which
    /// disarms it; EAGAIN before its deadline, as a non-blocking timerfd. Lock held.
    func readTimer(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard buffer.count >= 8 else { throw .invalidArgument }
        guard let deadline = timers[fd], timerHasExpired(deadline) else { throw .resourceTemporarilyUnavailable }
        buffer.storeBytes(of: UInt64(1), as: UInt64.self)
        timers[fd] = .some(nil)
        return 8
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? (seconds < 0 ? .min : .max) : sum
    }
}
