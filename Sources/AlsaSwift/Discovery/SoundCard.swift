/// A sound card, as its control device describes it (CARD_INFO).
public struct SoundCard: Sendable, Equatable {
    public var index: Int
    /// The short id used in names such as `hw:CARD=<id>`.
    public var id: String
    public var driver: String
    public var name: String
    public var longName: String
    public var mixerName: String
    public var components: String
}

/// One PCM device of a card, with what each direction offers.
public struct PCMDeviceEntry: Sendable, Equatable {
    public var card: Int
    public var device: Int
    public var id: String
    public var name: String
    public var playback: PCMStreamEntry?
    public var capture: PCMStreamEntry?

    /// The ALSA name that addresses it directly.
    public var hardwareName: String { "hw:\(card),\(device)" }
}

/// One direction of a PCM device.
public struct PCMStreamEntry: Sendable, Equatable {
    public var subdeviceCount: Int
    /// Subdevices no process holds right now.
    public var subdevicesAvailable: Int
    public var probe: PCMProbe
}

/// What opening a PCM for a moment told about it.
public enum PCMProbe: Sendable, Equatable {
    /// What the device offers, and the sync path this library would use for it.
    case available(capabilities: HardwareCapabilities, syncStrategy: SyncStrategy)
    /// Every subdevice is held by another process (EBUSY); nothing else was learned.
    case busy
    /// Opening or asking failed for another reason.
    case failed(AlsaError)
    /// Capabilities were not asked for.
    case notProbed

    public var capabilities: HardwareCapabilities? {
        if case .available(let capabilities, _) = self { return capabilities }
        return nil
    }

    public var syncStrategy: SyncStrategy? {
        if case .available(_, let strategy) = self { return strategy }
        return nil
    }
}

/// A card with its PCM devices; `problem` says why the listing of this card is incomplete.
public struct CardListing: Sendable, Equatable {
    public var card: SoundCard
    public var devices: [PCMDeviceEntry]
    public var problem: AlsaError?
}
