import CAlsa
import CAlsaSupport
import SystemPackage

/// Turns alsa-lib's return convention (negative errno) into `AlsaError`, with every message alsa-lib
/// reported for the failure (collected by CAlsaSupport's thread-local handler instead of printed on
/// stderr; a process-wide handler the app installed keeps receiving them).
enum LibraryCall {
    /// Starts collecting alsa-lib's messages on this thread, for the calls up to the matching
    /// `endCapture()`; nests. Bracket every entry point that calls alsa-lib:
    /// `LibraryCall.beginCapture(); defer { LibraryCall.endCapture() }`. Cheap enough for the audio
    /// path: a thread-local store, no allocation, no lock.
    @inline(__always) static func beginCapture() { alsa_swift_begin_capture() }
    @inline(__always) static func endCapture() { alsa_swift_end_capture() }

    @discardableResult
    static func check(_ result: Int32, _ operation: PCMOperation) throws(AlsaError) -> Int32 {
        if result < 0 { throw error(Int(result), operation) }
        return result
    }

    @discardableResult
    static func check(_ result: Int, _ operation: PCMOperation) throws(AlsaError) -> Int {
        if result < 0 { throw error(result, operation) }
        return result
    }

    static func error(_ result: Int, _ operation: PCMOperation, context: String? = nil) -> AlsaError {
        AlsaError(operation, Errno(rawValue: Int32(truncatingIfNeeded: -result)), context: context ?? takeMessage())
    }

    /// The messages alsa-lib reported on this thread since the capture began (or the last take),
    /// joined by "; ", if any; clears them. Allocates only when there is a message, which alsa-lib
    /// emits on setup failures, not on xruns or EAGAIN.
    static func takeMessage() -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 2048) { buffer in
            guard let base = buffer.baseAddress, alsa_swift_take_library_error(base, buffer.count) > 0 else { return nil }
            return String(cString: base)
        }
    }

    /// Messages alsa-lib has reported to a capture in this process (none of them reached stderr).
    static var messageCount: UInt { UInt(alsa_swift_library_error_count()) }
}
