#if canImport(Glibc)
import Glibc
#endif

/// A progress line redrawn in place on standard error when it is a terminal, and nothing otherwise
/// (logs and pipes get the summary lines only). Never on standard output, which may carry audio.
package final class StatusLine {
    package let enabled: Bool
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var drawn = false

    package init(quiet: Bool = false) {
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    /// Redraws at most ten times a second unless `force`.
    package func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        Say.write("\r\u{1B}[2K" + text(), to: STDERR_FILENO)
        drawn = true
    }

    /// Leaves the line and moves to the next.
    package func finish() {
        guard enabled, drawn else { return }
        Say.write("\n", to: STDERR_FILENO)
        drawn = false
    }
}

/// Prints a line to standard output (a tool's result: a listing, a report) or to standard error
/// (status, progress and errors, which must never mix with audio on standard output).
///
/// Straight to the descriptor with write(2), unbuffered: a write blocked on a full pipe that a
/// signal interrupts gives up once a stop was asked, where stdio would keep the text for exit to
/// flush (blocking again) and FileHandle would retry EINTR for ever.
package enum Say {
    package static func line(_ text: String) { write(text + "\n", to: STDOUT_FILENO) }
    package static func error(_ text: String) { write(text + "\n", to: STDERR_FILENO) }

    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR && !Interruption.requested {
                    continue
                } else {
                    return  // interrupted on purpose, a closed pipe (EPIPE), or nowhere to write
                }
            }
        }
    }
}

/// Time as the tools print it: m:ss.t
package func clock(_ seconds: Double) -> String {
    // A time no Int can count (a file with an absurd length) prints as such instead of trapping.
    guard let tenths = Int(exactly: (seconds * 10).rounded(.down)) else { return "-:--.-" }
    let minutes = tenths / 600, rest = tenths % 600
    return "\(minutes):\(rest / 100)\(rest / 10 % 10).\(rest % 10)"
}
