/// A sound card, as its control device describes it (CARD_INFO), with its raw MIDI devices. Its PCM
/// devices are the `AudioDevice` entries of the same listing whose `card` is `index`.
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
    /// Its raw MIDI devices, in device order.
    public var midiDevices: [RawMIDIDeviceEntry] = []
    /// Why the listing of this card is incomplete (its control device would not open, describe
    /// the card or list its devices); nil when it is complete.
    public var problem: AlsaError?
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
