import CAlsaKernel

/// Which part of a card a control element belongs to. Mixer controls (volumes, switches) are
/// `.mixer`; the others configure PCMs, MIDI and the card itself.
public enum ControlInterface: Int, Sendable, Equatable, CaseIterable {
    /// The card as a whole (CARD).
    case card = 0
    /// Hardware-specific (HWDEP).
    case hardwareDependent
    /// The mixer: volumes, switches, sources (MIXER).
    case mixer
    /// A PCM device, such as its channel map (PCM).
    case pcm
    /// A raw MIDI device (RAWMIDI).
    case rawMIDI
    /// A timer (TIMER).
    case timer
    /// The sequencer (SEQUENCER).
    case sequencer

    /// amixer's spelling (`iface=MIXER`).
    public var name: String {
        switch self {
        case .card: "CARD"
        case .hardwareDependent: "HWDEP"
        case .mixer: "MIXER"
        case .pcm: "PCM"
        case .rawMIDI: "RAWMIDI"
        case .timer: "TIMER"
        case .sequencer: "SEQUENCER"
        }
    }
}

/// Which element: the kernel's numeric id, and the name, interface and index that stay the same
/// across boots (the numeric id may not).
public struct ControlElementID: Sendable, Hashable, CustomStringConvertible {
    /// The kernel's numeric id (numid); 0 means "look the element up by the other fields".
    public var numericID: Int
    /// The interface the element belongs to.
    public var interface: ControlInterface
    /// The device number, for elements that belong to a device.
    public var device: Int
    /// The subdevice number, for elements that belong to a subdevice.
    public var subdevice: Int
    /// The element's name, such as "Master Playback Volume".
    public var name: String
    /// Tells apart elements of the same name, such as two "Mic Boost" controls.
    public var index: Int

    /// An identifier; the kernel finds an element by `numericID` when it is not 0, else by the other fields.
    public init(numericID: Int = 0, interface: ControlInterface = .mixer, device: Int = 0, subdevice: Int = 0,
                name: String, index: Int = 0) {
        self.numericID = numericID
        self.interface = interface
        self.device = device
        self.subdevice = subdevice
        self.name = name
        self.index = index
    }

    /// amixer's form: `numid=3,iface=MIXER,name='Master Playback Volume'`.
    public var description: String {
        var text = "numid=\(numericID),iface=\(interface.name),name='\(name)'"
        if index != 0 { text += ",index=\(index)" }
        if device != 0 { text += ",device=\(device)" }
        if subdevice != 0 { text += ",subdevice=\(subdevice)" }
        return text
    }
}

/// What kind of values an element holds, with their ranges.
public enum ControlElementType: Sendable, Equatable {
    /// On or off (a switch).
    case boolean
    /// `step` 0 means any value in the range.
    case integer(minimum: Int, maximum: Int, step: Int)
    /// A 64-bit integer in a range; `step` 0 means any value in the range.
    case integer64(minimum: Int, maximum: Int, step: Int)
    /// One of `items`, by position.
    case enumerated(items: [String])
    /// Raw bytes.
    case bytes
    /// An IEC958 (S/PDIF) channel status record; read as bytes.
    case iec958
}

extension ControlElementType: CustomStringConvertible {
    /// What an error or a listing says: `integer 0-31`, `enumerated: Mic, CD, Line`, `boolean`.
    public var description: String {
        switch self {
        case .boolean: "boolean"
        case .integer(let minimum, let maximum, let step): "integer \(minimum)-\(maximum)" + (step > 1 ? " step \(step)" : "")
        case .integer64(let minimum, let maximum, let step): "integer64 \(minimum)-\(maximum)" + (step > 1 ? " step \(step)" : "")
        case .enumerated(let items): "enumerated: \(items.joined(separator: ", "))"
        case .bytes: "bytes"
        case .iec958: "IEC958"
        }
    }
}

/// What may be done with an element.
public struct ControlAccess: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Its value can be read.
    public static let read = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_READ)
    /// Its value can be written.
    public static let write = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_WRITE)
    /// The value may change without an event (a level meter).
    public static let volatile = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_VOLATILE)
    /// It has TLV data to read, such as its dB scale.
    public static let tlvRead = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_TLV_READ)
    /// Its TLV data can be written.
    public static let tlvWrite = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_TLV_WRITE)
    /// It does nothing at the moment (for example the path it controls is unused).
    public static let inactive = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_INACTIVE)
    /// Another process has locked it against writes.
    public static let locked = ControlAccess(rawValue: ALSA_CTL_ELEM_ACCESS_LOCK)
}

/// One control element of a card, as ELEM_INFO describes it.
public struct ControlElement: Sendable, Equatable {
    /// Which element it is.
    public var id: ControlElementID
    /// What kind of values it holds, with their range.
    public var type: ControlElementType
    /// What may be done with it.
    public var access: ControlAccess
    /// How many values it holds (channels, for a volume).
    public var count: Int

    /// An element description, as ELEM_INFO gives one.
    public init(id: ControlElementID, type: ControlElementType, access: ControlAccess, count: Int) {
        self.id = id
        self.type = type
        self.access = access
        self.count = count
    }

    /// The value range of an integer element, nil for other types.
    public var integerRange: ClosedRange<Int>? {
        switch type {
        case .integer(let minimum, let maximum, _), .integer64(let minimum, let maximum, _): minimum...maximum
        default: nil
        }
    }
}

// MARK: the kernel record

extension ControlElementID {
    /// Reads a snd_ctl_elem_id the kernel filled in, refusing an interface it does not define.
    init(_ record: snd_ctl_elem_id, operation: PCMOperation) throws(AlsaError) {
        guard let interface = ControlInterface(rawValue: Int(record.iface)) else {
            throw AlsaError(operation, .badMessage, context: "interface \(record.iface) of element \(record.numid)")
        }
        self.init(numericID: Int(record.numid), interface: interface, device: Int(record.device),
                  subdevice: Int(record.subdevice), name: CString.decode(record.name), index: Int(record.index))
    }

    /// The record that names this element to the kernel. A name too long for the kernel's field
    /// is refused rather than cut, since a cut name would address another element.
    func record(operation: PCMOperation) throws(AlsaError) -> snd_ctl_elem_id {
        var record = snd_ctl_elem_id()
        guard let numid = UInt32(exactly: numericID), let device = UInt32(exactly: device),
              let subdevice = UInt32(exactly: subdevice), let index = UInt32(exactly: index) else {
            throw AlsaError(operation, .invalidArgument, context: "element \(self) has a negative or huge number")
        }
        let utf8 = Array(name.utf8)
        guard utf8.count < Int(ALSA_CTL_ELEM_ID_NAME_MAXLEN) else {
            throw AlsaError(operation, .invalidArgument, context: "element name longer than \(ALSA_CTL_ELEM_ID_NAME_MAXLEN - 1) bytes: \(name)")
        }
        record.numid = numid
        record.iface = Int32(interface.rawValue)
        record.device = device
        record.subdevice = subdevice
        record.index = index
        withUnsafeMutableBytes(of: &record.name) { field in
            for (i, byte) in utf8.enumerated() { field[i] = byte }
        }
        return record
    }
}
