extension Duration {
    /// Whole milliseconds, rounded down: what poll(2) and the bounded drain take. Saturates instead
    /// of trapping, so a caller's `.seconds(.max)` means "as long as can be said", and a negative
    /// duration means none.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = Int(seconds).multipliedReportingOverflow(by: 1000)
        if overflow { return .max }
        let (sum, carry) = whole.addingReportingOverflow(Int(attoseconds / 1_000_000_000_000_000))
        return carry ? .max : sum
    }

    /// poll(2)'s timeout: whole milliseconds rounded up, so that a wait never ends before its time
    /// and a short one does not spin; saturated to Int32, negative as 0.
    package var pollMilliseconds: Int32 {
        let nanoseconds = nanosecondsSaturating
        guard nanoseconds > 0 else { return 0 }
        return Int32(clamping: nanoseconds / 1_000_000 + (nanoseconds % 1_000_000 == 0 ? 0 : 1))
    }
}

extension Optional where Wrapped == Duration {
    /// poll(2)'s timeout for an optional limit: -1, no limit, for nil.
    package var pollMilliseconds: Int32 { self?.pollMilliseconds ?? -1 }
}
