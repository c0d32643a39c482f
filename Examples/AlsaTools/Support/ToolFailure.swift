/// A reason a tool stops with a non-zero status, in one line.
public struct ToolFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Formats an FNV-1a checksum as the tools print it.
public func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
