extension Duration {
    /// Whole milliseconds, rounded down: what poll(2) and the bounded drain take.
    var wholeMilliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}
