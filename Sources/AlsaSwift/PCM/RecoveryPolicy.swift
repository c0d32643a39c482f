/// What a PCM does when a transfer meets an xrun or a suspend.
///
/// - `report`: throw the `AlsaError` (kind `.xrun` or `.suspended`); the caller decides, and may
///   call `recover(from:)`.
/// - `automatic`: recover inside the call and carry on, counting the event in `xrunCount` /
///   `suspendCount`: PREPARE after an xrun; RESUME after a suspend, and PREPARE when the driver cannot
///   resume. The error is thrown after all when 4 recoveries in a row within one call move no frame
///   (the device fails each time it is brought back), and while a suspended device is still waking
///   (RESUME says EAGAIN): the library never sleeps on the audio path.
///
/// In both policies EINTR is retried, EAGAIN in non-blocking mode is thrown (`.wouldBlock`), and ENODEV
/// is thrown (`.disconnected`) and leaves the handle dead: every later call fails at once.
///
/// Streams (`PlaybackStream`, `CaptureStream`, `RenderThread`) recover whatever their PCM's policy,
/// by the same procedure and rule, with "in a row" counted since the stream last moved a frame; their
/// `delay()` and `status()` recover too.
public enum RecoveryPolicy: Sendable, Equatable {
    /// Throw the xrun or suspend; the caller recovers (`recover(from:)`).
    case report
    /// Recover inside the transfer, count it, and carry on.
    case automatic
}
