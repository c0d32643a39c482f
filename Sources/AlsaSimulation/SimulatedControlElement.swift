import AlsaSwift

/// A control element of a simulated card: what ELEM_INFO reports, its current values and its TLV.
public struct SimulatedControlElement: Sendable, Equatable {
    /// The element's name, such as "Master Playback Volume".
    public var name: String
    /// The interface it belongs to (mixer for volumes and switches).
    public var interface: ControlInterface
    /// Tells apart elements of the same name.
    public var index: Int
    /// What ELEM_INFO reports as its type and range.
    public var type: ControlElementType
    /// What ELEM_INFO reports as its access.
    public var access: ControlAccess
    /// One value per channel: booleans as 0/1, enumerated as item positions.
    public var values: [Int]
    /// Its TLV data, such as a dB scale, as 32-bit words; nil when it has none.
    public var tlv: [UInt32]?

    /// `access` defaults to read-write, plus TLV read when a TLV is given.
    public init(name: String, interface: ControlInterface = .mixer, index: Int = 0, type: ControlElementType,
                values: [Int], tlv: [UInt32]? = nil, access: ControlAccess? = nil) {
        self.name = name
        self.interface = interface
        self.index = index
        self.type = type
        self.values = values
        self.tlv = tlv
        self.access = access ?? (tlv == nil ? [.read, .write] : [.read, .write, .tlvRead])
    }

    /// A stereo volume with a DB_SCALE TLV, as snd-dummy and most codecs have.
    public static func volume(_ name: String, range: ClosedRange<Int>, value: Int, minimumGain: Int, step: Int,
                              mutesAtMinimum: Bool = false, channels: Int = 2) -> SimulatedControlElement {
        let scale: [UInt32] = [1, 8, UInt32(bitPattern: Int32(minimumGain)), UInt32(step) | (mutesAtMinimum ? 0x10000 : 0)]
        return SimulatedControlElement(name: name, type: .integer(minimum: range.lowerBound, maximum: range.upperBound, step: 1),
                                       values: Array(repeating: value, count: channels), tlv: scale)
    }

    /// An on/off switch (true is on, which for a playback switch means not muted).
    public static func toggle(_ name: String, on: Bool, channels: Int = 2) -> SimulatedControlElement {
        SimulatedControlElement(name: name, type: .boolean, values: Array(repeating: on ? 1 : 0, count: channels))
    }

    /// A mixer modelled on snd-dummy's (sound/drivers/dummy.c): five stereo volumes of -50...100
    /// with a DB_SCALE of -45 dB and 0.3 dB steps, each with a capture switch.
    public static let dummyMixer: [SimulatedControlElement] = {
        var elements: [SimulatedControlElement] = []
        for name in ["Master", "Synth", "Line", "Mic", "CD"] {
            elements.append(.volume("\(name) Volume", range: -50...100, value: 0, minimumGain: -4500, step: 30))
            elements.append(SimulatedControlElement(name: "\(name) Capture Switch", type: .boolean, values: [0, 0]))
        }
        return elements
    }()
}
