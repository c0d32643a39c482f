import CAlsa
import CAlsaSupport
import SystemPackage

/// Turns alsa-lib's return convention (negative errno) into `AlsaError`, with the message alsa-lib
/// reported for the failure (captured by the CAlsaSupport handler instead of printed on stderr).
enum LibraryCall {
    /// Installs the capturing error handler once per process, before the first alsa-lib call.
    static let installErrorCapture: Void = alsa_swift_capture_library_errors()

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

    /// The last message alsa-lib reported on this thread, if any; clears it. Allocates only when
    /// there is a message, which alsa-lib emits on setup failures, not on xruns or EAGAIN.
    static func takeMessage() -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buffer in
            guard let base = buffer.baseAddress, alsa_swift_take_library_error(base, buffer.count) > 0 else { return nil }
            return String(cString: base)
        }
    }

    /// Messages alsa-lib has reported in this process (none of them reached stderr).
    static var messageCount: UInt { UInt(alsa_swift_library_error_count()) }
}
