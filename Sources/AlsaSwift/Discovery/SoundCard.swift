/// A sound card, as its control device describes it (CARD_INFO).
public struct SoundCard: Sendable, Equatable {
    /// The card's number, as in `hw:<index>,0`.
    public var index: Int
    /// The short id used in names such as `hw:CARD=<id>`.
    public var id: String
    /// The driver's name, such as `HDA-Intel`.
    public var driver: String
    /// The card's short name.
    public var name: String
    /// The card's long name, with its bus address and interrupt.
    public var longName: String
    /// The mixer chip's name.
    public var mixerName: String
    /// The card's component list, such as codec ids.
    public var components: String
}

/// One PCM device of a card, with what each direction offers.
public struct PCMDeviceEntry: Sendable, Equatable {
    /// The card's index.
    public var card: Int
    /// The device's number on its card.
    public var device: Int
    /// The device's id, as INFO reports it.
    public var id: String
    /// The device's name, as INFO reports it.
    public var name: String
    /// Its playback direction, nil when it has none.
    public var playback: PCMStreamEntry?
    /// Its capture direction, nil when it has none.
    public var capture: PCMStreamEntry?

    /// The ALSA name that addresses it directly.
    public var hardwareName: String { "hw:\(card),\(device)" }
}

/// One direction of a PCM device.
public struct PCMStreamEntry: Sendable, Equatable {
    /// The number of subdevices (streams that can run at once).
    public var subdeviceCount: Int
    /// Subdevices no process holds right now.
    public var subdevicesAvailable: Int
    /// What opening it for a moment told.
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

    /// The capabilities, when the probe got them.
    public var capabilities: HardwareCapabilities? {
        if case .available(let capabilities, _) = self { return capabilities }
        return nil
    }

    /// The sync path this library would use, when the probe got it.
    public var syncStrategy: SyncStrategy? {
        if case .available(_, let strategy) = self { return strategy }
        return nil
    }
}

/// A card with its PCM and raw MIDI devices; `problem` says why the listing of this card is
/// incomplete.
public struct CardListing: Sendable, Equatable {
    /// The card.
    public var card: SoundCard
    /// Its PCM devices, in device order.
    public var devices: [PCMDeviceEntry]
    /// Why the listing of this card is incomplete; nil when it is complete.
    public var problem: AlsaError?
    /// Its raw MIDI devices, in device order.
    public var midiDevices: [RawMIDIDeviceEntry] = []
}

/// One raw MIDI device of a card (`/dev/snd/midiC<card>D<device>`), as its control device
/// describes it (RAWMIDI_INFO).
public struct RawMIDIDeviceEntry: Sendable, Equatable, CustomStringConvertible {
    /// The card's index.
    public var card: Int
    /// The device's number on its card.
    public var device: Int
    /// The device's id.
    public var id: String
    /// The device's name.
    public var name: String
    /// The directions it has: a MIDI IN, a MIDI OUT or both.
    public var directions: RawMIDIDirections
    /// Its subdevices (one per port on most interfaces; virmidi has 16), in order.
    public var subdevices: [RawMIDISubdeviceEntry]
    /// Why this entry is incomplete; the rest of the listing is unaffected.
    public var problem: AlsaError?

    /// The name `RawMIDI` opens it by: `hw:<card>,<device>`.
    public var hardwareName: String { "hw:\(card),\(device)" }

    /// `IO  hw:1,0  VirMIDI 1-0 (16 subdevices)`, as amidi -l lists it.
    public var description: String {
        let count = subdevices.count == 1 ? "" : " (\(subdevices.count) subdevices)"
        let problem = problem.map { " [\($0)]" } ?? ""
        let direction = directions.description
        return direction + String(repeating: " ", count: max(4 - direction.count, 1)) + "\(hardwareName)  \(name)\(count)\(problem)"
    }
}

/// One subdevice of a raw MIDI device.
public struct RawMIDISubdeviceEntry: Sendable, Equatable {
    /// Its number, as in `hw:<card>,<device>,<subdevice>`.
    public var number: Int
    /// Its name (the kernel's subname).
    public var name: String
    /// The directions it has.
    public var directions: RawMIDIDirections
}
