/// The kernel's PCM state (`SNDRV_PCM_STATE_*`). Values are the kernel ABI.
public enum StreamState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Opened, not configured (OPEN).
    case open = 0
    /// Configured, not prepared (SETUP).
    case setup
    /// Ready to start (PREPARED).
    case prepared
    /// Moving samples (RUNNING).
    case running
    /// Stopped by an underrun or overrun; prepare to go on (XRUN).
    case xrun
    /// Playing out what is queued, then stopping (DRAINING).
    case draining
    /// Paused (PAUSED).
    case paused
    /// Stopped by a system suspend; resume or prepare (SUSPENDED).
    case suspended
    /// The device is gone (DISCONNECTED).
    case disconnected

    /// A state number the kernel sent that this library does not know is reported, not trapped on.
    init(kernelValue: Int32) {
        self = StreamState(rawValue: kernelValue) ?? .disconnected
    }

    public var description: String {
        switch self {
        case .open: "OPEN"
        case .setup: "SETUP"
        case .prepared: "PREPARED"
        case .running: "RUNNING"
        case .xrun: "XRUN"
        case .draining: "DRAINING"
        case .paused: "PAUSED"
        case .suspended: "SUSPENDED"
        case .disconnected: "DISCONNECTED"
        }
    }
}

/// Playback or capture (`SNDRV_PCM_STREAM_*`).
public enum StreamDirection: Int32, Sendable, CustomStringConvertible {
    /// From the app to the device.
    case playback = 0
    /// From the device to the app.
    case capture = 1

    /// The letter the kernel puts at the end of the device node name.
    var nodeSuffix: Character { self == .playback ? "p" : "c" }

    public var description: String { self == .playback ? "playback" : "capture" }
}

extension StreamState {
    /// The error a transfer meets in this state (what the kernel would answer), or nil when frames
    /// can move.
    var transferError: AlsaError? {
        switch self {
        case .prepared, .running, .paused, .draining: nil
        case .xrun: AlsaError(.transfer, .brokenPipe)
        case .suspended: AlsaError(.transfer, .streamPipe)
        case .disconnected: AlsaError(.transfer, .noDevice)
        case .open, .setup: AlsaError(.transfer, .badFileDescriptorState)
        }
    }
}
