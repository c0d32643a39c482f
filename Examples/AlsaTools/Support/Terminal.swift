import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A status line redrawn in place when standard output is a terminal, and nothing otherwise (logs
/// and pipes get the summary lines only).
public final class StatusLine {
    public let enabled: Bool
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var drawn = false

    public init(quiet: Bool = false) {
        enabled = !quiet && isatty(STDOUT_FILENO) == 1
    }

    /// Redraws at most ten times a second unless `force`.
    public func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + text()).utf8))
        drawn = true
    }

    /// Leaves the line and moves to the next.
    public func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardOutput.write(Data("\n".utf8))
        drawn = false
    }
}

/// Prints a line to standard output or, for errors, standard error.
public enum Say {
    public static func line(_ text: String) { print(text) }
    public static func error(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}

/// Time as the tools print it: m:ss.t
public func clock(_ seconds: Double) -> String {
    // A time no Int can count (a file with an absurd length) prints as such instead of trapping.
    guard let tenths = Int(exactly: (seconds * 10).rounded(.down)) else { return "-:--.-" }
    return String(format: "%d:%02d.%d", tenths / 600, (tenths / 10) % 60, tenths % 10)
}
