/// How a run of `Float` frames is laid out in memory for the app.
public enum SampleLayout: Sendable, Equatable, CustomStringConvertible {
    /// Frame after frame: sample `f × channels + c` is channel `c` of frame `f`.
    case interleaved
    /// Channel after channel: sample `c × frames + f` is channel `c` of frame `f`.
    case nonInterleaved

    public var description: String { self == .interleaved ? "interleaved" : "non-interleaved" }
}
