/// The kernel's PCM state (`SNDRV_PCM_STATE_*`). Values are the kernel ABI.
public enum PCMState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case open = 0, setup, prepared, running, xrun, draining, paused, suspended, disconnected

    /// A state number the kernel sent that this library does not know is reported, not trapped on.
    init(kernelValue: Int32) {
        self = PCMState(rawValue: kernelValue) ?? .disconnected
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
    case playback = 0
    case capture = 1

    /// The letter the kernel puts at the end of the device node name.
    var nodeSuffix: Character { self == .playback ? "p" : "c" }

    public var description: String { self == .playback ? "playback" : "capture" }
}

extension PCMState {
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
