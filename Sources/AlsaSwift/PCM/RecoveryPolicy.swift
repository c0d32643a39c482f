/// What a PCM does when a transfer meets an xrun or a suspend.
///
/// - `report`: throw the `AlsaError` (kind `.xrun` or `.suspended`); the caller decides, and may
///   call `recover(from:)`.
/// - `automatic`: recover inside the transfer and carry on, counting the event in
///   `KernelPCM.xrunCount` / `suspendCount`. An xrun is answered with PREPARE. A suspend is answered
///   with RESUME, and with PREPARE when the driver cannot resume (any RESUME error but EAGAIN); while
///   the device is still waking (EAGAIN) the transfer throws `.suspended` so the caller can retry
///   later: the library never sleeps on the audio path.
///
/// In both policies EINTR is retried, EAGAIN in non-blocking mode is thrown (`.wouldBlock`), and ENODEV
/// is thrown (`.disconnected`) and leaves the handle dead: every later call fails at once.
public enum RecoveryPolicy: Sendable, Equatable {
    /// Throw the xrun or suspend; the caller recovers (`recover(from:)`).
    case report
    /// Recover inside the transfer, count it, and carry on.
    case automatic
}
