import AlsaSwift
import CAlsaKernel

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
    /// The id's device field: PCM controls name their PCM device here.
    public var device: Int = 0
    /// The id's subdevice field.
    public var subdevice: Int = 0
    /// Set for a PCM's channel map control: the maps it offers. Its value is then the kernel's
    /// answer for the substream's current channel count (as pcm_chmap_ctl_get answers it), not `values`.
    public var channelMapOffers: [ChannelMapOption]?

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
                              mutesAtMinimum: Bool = false, channelCount: Int = 2) -> SimulatedControlElement {
        let scale: [UInt32] = [1, 8, UInt32(bitPattern: Int32(minimumGain)), UInt32(step) | (mutesAtMinimum ? 0x10000 : 0)]
        return SimulatedControlElement(name: name, type: .integer(minimum: range.lowerBound, maximum: range.upperBound, step: 1),
                                       values: Array(repeating: value, count: channelCount), tlv: scale)
    }

    /// An on/off switch (true is on, which for a playback switch means not muted).
    public static func toggle(_ name: String, on: Bool, channelCount: Int = 2) -> SimulatedControlElement {
        SimulatedControlElement(name: name, type: .boolean, values: Array(repeating: on ? 1 : 0, count: channelCount))
    }

    /// A PCM's channel map control as snd_pcm_add_chmap_ctls makes it (sound/core/pcm_lib.c):
    /// interface PCM, "Playback Channel Map" or "Capture Channel Map", device = the PCM device,
    /// `maxChannels` integer values of 0...SNDRV_CHMAP_LAST, read-only and volatile, with a TLV
    /// container of the offered maps. `writable` makes it like the drivers that let user space
    /// choose (HDMI).
    public static func channelMap(direction: StreamDirection, device: Int, offers: [ChannelMapOption], maxChannels: Int,
                                  writable: Bool = false) -> SimulatedControlElement {
        var tlv: [UInt32] = []
        for offer in offers {
            let type = switch offer.arrangement {
            case .fixed: ALSA_CTL_TLVT_CHMAP_FIXED
            case .variable: ALSA_CTL_TLVT_CHMAP_VAR
            case .paired: ALSA_CTL_TLVT_CHMAP_PAIRED
            }
            tlv += [type, UInt32(offer.map.channelCount * 4)] + offer.map.positions.map(\.rawValue)
        }
        var access: ControlAccess = [.read, .volatile, .tlvRead]
        if writable { access.insert(.write) }
        var element = SimulatedControlElement(name: direction == .playback ? "Playback Channel Map" : "Capture Channel Map",
                                              interface: .pcm, type: .integer(minimum: 0, maximum: Int(ALSA_CHMAP_LAST), step: 0),
                                              values: Array(repeating: 0, count: maxChannels),
                                              tlv: [ALSA_CTL_TLVT_CONTAINER, UInt32(tlv.count * 4)] + tlv, access: access)
        element.device = device
        element.channelMapOffers = offers
        return element
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
