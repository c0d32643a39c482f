/// A WAV file or stream whose data ends before the length its header declares (a download cut
/// short, a recording whose writer died). The frames there are can be read, as aplay plays them;
/// this says what is missing.
public struct WAVTruncation: Sendable, Hashable, CustomStringConvertible {
    /// The size the data chunk declares, in bytes.
    public var declaredBytes: Int
    /// The bytes of data there were.
    public var availableBytes: Int

    /// A data chunk that declares `declaredBytes` and holds `availableBytes`.
    public init(declaredBytes: Int, availableBytes: Int) {
        self.declaredBytes = declaredBytes
        self.availableBytes = availableBytes
    }

    /// The truncation, if any, of data that declares `declared` bytes (0 and 0xFFFFFFFF: "until
    /// the end", which nothing can fall short of) and holds `available`: judged in whole frames of
    /// `frameBytes`, the unit that plays.
    static func of(declared: UInt64, available: UInt64, frameBytes: Int) -> WAVTruncation? {
        guard declared != 0, declared != UInt64(UInt32.max), frameBytes > 0,
              available / UInt64(frameBytes) < declared / UInt64(frameBytes) else { return nil }
        return WAVTruncation(declaredBytes: Int(clamping: declared), availableBytes: Int(clamping: available))
    }

    /// "the data chunk declares 4000 bytes but holds 42".
    public var description: String { "the data chunk declares \(declaredBytes) bytes but holds \(availableBytes)" }
}
