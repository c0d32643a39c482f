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
}
