/// A reason a tool stops with a non-zero status, in one line.
package struct ToolFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Formats an FNV-1a checksum as the tools print it.
package func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
