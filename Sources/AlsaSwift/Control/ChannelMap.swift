import CAlsaKernel

/// Where one channel of a stream plays or was picked up: a speaker position
/// (`SNDRV_CHMAP_*`), printed with alsa-lib's names (`FL`, `FR`, `FC`, `LFE`...).
public struct ChannelPosition: Sendable, Hashable, CustomStringConvertible {
    /// The kernel's value: the position in the low 16 bits, then the phase-inverse and
    /// driver-specific flags.
    public var rawValue: UInt32

    /// A position from the kernel's value (flags included).
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The position without its flags.
    public var position: UInt32 { rawValue & ALSA_CHMAP_POSITION_MASK }
    /// The channel carries the inverted signal (SNDRV_CHMAP_PHASE_INVERSE).
    public var isPhaseInverted: Bool { rawValue & ALSA_CHMAP_PHASE_INVERSE != 0 }
    /// The position is the driver's own number, not one of the standard positions.
    public var isDriverSpecific: Bool { rawValue & ALSA_CHMAP_DRIVER_SPEC != 0 }

    /// The same position with the phase-inverse flag set.
    public var phaseInverted: ChannelPosition { ChannelPosition(rawValue: rawValue | ALSA_CHMAP_PHASE_INVERSE) }

    /// UNKNOWN: the driver does not say.
    public static let unknown = ChannelPosition(rawValue: 0)
    /// Not used: the channel is silent.
    public static let notAvailable = ChannelPosition(rawValue: 1)
    /// MONO: a mono stream.
    public static let mono = ChannelPosition(rawValue: 2)
    /// FL, front left.
    public static let frontLeft = ChannelPosition(rawValue: 3)
    /// FR, front right.
    public static let frontRight = ChannelPosition(rawValue: 4)
    /// RL, rear left.
    public static let rearLeft = ChannelPosition(rawValue: 5)
    /// RR, rear right.
    public static let rearRight = ChannelPosition(rawValue: 6)
    /// FC, front center.
    public static let frontCenter = ChannelPosition(rawValue: 7)
    /// LFE, the low-frequency effects channel (subwoofer).
    public static let lowFrequency = ChannelPosition(rawValue: 8)
    /// SL, side left.
    public static let sideLeft = ChannelPosition(rawValue: 9)
    /// SR, side right.
    public static let sideRight = ChannelPosition(rawValue: 10)
    /// RC, rear center.
    public static let rearCenter = ChannelPosition(rawValue: 11)
    /// The other positions (FLC ... BRC) by their alsa-lib name, e.g. `ChannelPosition(name: "TFL")`.

    /// alsa-lib's names (`snd_pcm_chmap_name`), indexed by position.
    static let names = ["UNKNOWN", "NA", "MONO", "FL", "FR", "RL", "RR", "FC", "LFE", "SL", "SR", "RC",
                        "FLC", "FRC", "RLC", "RRC", "FLW", "FRW", "FLH", "FCH", "FRH", "TC", "TFL", "TFR", "TFC",
                        "TRL", "TRR", "TRC", "TFLC", "TFRC", "TSL", "TSR", "LLFE", "RLFE", "BC", "BLC", "BRC"]

    /// The position's name without flags, as alsa-lib prints it: `FL`, `LFE`, `Ch40` for a
    /// number beyond the named ones, or the bare number for a driver-specific position.
    public var name: String {
        if isDriverSpecific { return String(position) }
        return Int(position) < Self.names.count ? Self.names[Int(position)] : "Ch\(position)"
    }

    /// Parses one position as alsa-lib prints it (`FL`, `fl`, `Ch12`, `FL[INV]`); nil when the
    /// text names none.
    public init?(name text: String) {
        var base = Substring(text)
        var flags: UInt32 = 0
        if base.uppercased().hasSuffix("[INV]") {
            base = base.dropLast(5)
            flags |= ALSA_CHMAP_PHASE_INVERSE
        }
        let upper = base.uppercased()
        if let index = Self.names.firstIndex(of: upper) {
            self.init(rawValue: UInt32(index) | flags)
        } else if upper.hasPrefix("CH"), let number = UInt32(upper.dropFirst(2)), number <= ALSA_CHMAP_POSITION_MASK {
            self.init(rawValue: number | flags)
        } else if let number = UInt32(upper), number <= ALSA_CHMAP_POSITION_MASK {
            self.init(rawValue: number | flags | ALSA_CHMAP_DRIVER_SPEC)
        } else {
            return nil
        }
    }

    /// alsa-lib's form: the name, with `[INV]` after a phase-inverted position.
    public var description: String { name + (isPhaseInverted ? "[INV]" : "") }
}

/// The speaker position of each channel of a stream, in channel order.
///
///     try stream.setChannelMap(ChannelMap([.frontLeft, .frontRight]))
///     print(try stream.channelMap() ?? "no map")        // FL FR
public struct ChannelMap: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// One position per channel, in channel order.
    public var positions: [ChannelPosition]

    /// A map of these positions, channel 0 first.
    public init(_ positions: [ChannelPosition]) { self.positions = positions }
    /// `[.frontLeft, .frontRight]`.
    public init(arrayLiteral positions: ChannelPosition...) { self.positions = positions }

    /// Parses alsa-lib's form, positions separated by spaces or commas (`"FL FR LFE"`); nil when
    /// a position is not recognised.
    public init?(parsing text: String) {
        var positions: [ChannelPosition] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            guard let position = ChannelPosition(name: String(word)) else { return nil }
            positions.append(position)
        }
        self.init(positions)
    }

    /// How many channels the map describes.
    public var channelCount: Int { positions.count }

    /// As `snd_pcm_chmap_print` writes it: `FL FR`.
    public var description: String { positions.map(\.description).joined(separator: " ") }
}

/// How freely a device lets the channels of an offered map be arranged (the TLV type of a CHMAP
/// control entry).
public enum ChannelMapArrangement: Sendable, Hashable, CustomStringConvertible {
    /// Exactly this order (SNDRV_CTL_TLVT_CHMAP_FIXED).
    case fixed
    /// Any order of these positions (SNDRV_CTL_TLVT_CHMAP_VAR).
    case variable
    /// Any order of these pairs, each pair kept together (SNDRV_CTL_TLVT_CHMAP_PAIRED).
    case paired

    /// alsa-lib's name (`snd_pcm_chmap_type_name`).
    public var description: String {
        switch self {
        case .fixed: "FIXED"
        case .variable: "VAR"
        case .paired: "PAIRED"
        }
    }
}

/// One channel map a device offers, and how its channels may be arranged.
public struct ChannelMapOption: Sendable, Hashable, CustomStringConvertible {
    /// How the map's channels may be rearranged.
    public var arrangement: ChannelMapArrangement
    /// The map as the device lists it.
    public var map: ChannelMap

    /// An offer of `map`, rearrangeable as `arrangement` says.
    public init(arrangement: ChannelMapArrangement, map: ChannelMap) {
        self.arrangement = arrangement
        self.map = map
    }

    /// Whether `candidate` is this map in an arrangement the device accepts.
    public func allows(_ candidate: ChannelMap) -> Bool {
        guard candidate.channelCount == map.channelCount else { return false }
        switch arrangement {
        case .fixed:
            return candidate == map
        case .variable:
            return candidate.positions.map(\.rawValue).sorted() == map.positions.map(\.rawValue).sorted()
        case .paired:
            guard map.channelCount % 2 == 0 else { return candidate == map }
            func pairs(_ m: ChannelMap) -> [[UInt32]] {
                stride(from: 0, to: m.channelCount, by: 2).map { [m.positions[$0].rawValue, m.positions[$0 + 1].rawValue] }
            }
            return pairs(candidate).sorted { $0.lexicographicallyPrecedes($1) } == pairs(map).sorted { $0.lexicographicallyPrecedes($1) }
        }
    }

    /// As `speaker-test`/`aplay` list them: `FIXED: FL FR`.
    public var description: String { "\(arrangement): \(map)" }
}

extension ChannelMapOption {
    /// The offers in a CHMAP control's TLV: a container of FIXED, VAR or PAIRED entries, each a
    /// list of positions (sound/core/pcm_lib.c, pcm_chmap_ctl_tlv). A malformed TLV is refused
    /// with EBADMSG rather than read past.
    static func parse(tlv words: [UInt32], element: String) throws(AlsaError) -> [ChannelMapOption] {
        func malformed(_ why: String) -> AlsaError {
            AlsaError(.channelMap, .badMessage, context: "\(element): TLV \(why)")
        }
        guard words.count >= 2 else { throw malformed("shorter than its header") }
        guard words[0] == ALSA_CTL_TLVT_CONTAINER else { throw malformed("of type \(words[0]), not a container") }
        let bytes = Int(words[1])
        guard bytes % 4 == 0, bytes / 4 <= words.count - 2 else { throw malformed("length \(bytes) beyond its \(words.count - 2) words") }
        var options: [ChannelMapOption] = []
        var index = 2
        let end = 2 + bytes / 4
        while index < end {
            guard end - index >= 2 else { throw malformed("entry header cut short") }
            let type = words[index]
            let length = Int(words[index + 1])
            guard length % 4 == 0, length / 4 <= end - index - 2 else { throw malformed("entry of \(length) bytes beyond the container") }
            let arrangement: ChannelMapArrangement
            switch type {
            case ALSA_CTL_TLVT_CHMAP_FIXED: arrangement = .fixed
            case ALSA_CTL_TLVT_CHMAP_VAR: arrangement = .variable
            case ALSA_CTL_TLVT_CHMAP_PAIRED: arrangement = .paired
            default: throw malformed("entry of type \(type), not a channel map")
            }
            let positions = words[(index + 2)..<(index + 2 + length / 4)].map(ChannelPosition.init(rawValue:))
            options.append(ChannelMapOption(arrangement: arrangement, map: ChannelMap(positions)))
            index += 2 + length / 4
        }
        return options
    }
}
