#if canImport(Glibc)
import Glibc
#endif

extension PCM {
    /// Plays out what is queued, but for no longer than `timeout`; past that the stream is
    /// dropped. Returns true when the drain completed. Never hangs, even on a device that
    /// has stopped moving: the PCM is switched to non-blocking mode for the drain and back after.
    @discardableResult
    public func drain(timeout: Duration) throws(AlsaError) -> Bool {
        let wasNonBlocking = isNonBlocking
        if !wasNonBlocking { try setNonBlocking(true) }
        defer { if !wasNonBlocking { try? setNonBlocking(false) } }
        do {
            try drain()
            if try state != .draining { return true }
        } catch {
            guard error.kind == .wouldBlock else { throw error }
        }
        let deadline = MonotonicInstant.now + max(min(timeout, .seconds(86_400 * 365)), .zero)
        while try state == .draining {
            let remaining = deadline - MonotonicInstant.now
            if remaining <= .zero {
                try drop()
                return false
            }
            // The kernel wakes pollers when the drain ends; the cap only bounds a silent stall.
            _ = try? wait(timeout: min(remaining, .milliseconds(100)))
        }
        return true
    }
}
