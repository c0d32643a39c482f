/// An ALSA PCM name, as far as AlsaSwift needs to understand it: `hw:` names address one kernel
/// PCM and can be served by the direct transport; every other name (`default`, `plughw:1,0`,
/// `dmix`, `pulse`, a name from `~/.asoundrc`) means alsa-lib and its configuration.
public enum PCMName: Sendable, Equatable {
    /// `hw:CARD,DEV[,SUBDEV]` or `hw:CARD=x,DEV=y,SUBDEV=z`; the card by index or by id.
    case hardware(card: CardReference, device: Int, subdevice: Int?)
    /// Anything alsa-lib resolves.
    case library(String)

    /// How a `hw:` name names its card.
    public enum CardReference: Sendable, Equatable {
        /// By number: `hw:0`.
        case index(Int)
        /// By id: `hw:CARD=PCH`.
        case id(String)
    }

    /// Parses `name`. A malformed `hw:` name (`hw:`, `hw:0,x`, `hw:0,0,0,0`) is refused with a
    /// clear error rather than passed on.
    public init(parsing name: String) throws(AlsaError) {
        guard name.hasPrefix("hw:") else {
            self = .library(name)
            return
        }
        let fields = name.dropFirst(3).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var positional: [String] = []
        var keyed: [String: String] = [:]
        for field in fields {
            if let equals = field.firstIndex(of: "=") {
                keyed[field[..<equals].uppercased()] = String(field[field.index(after: equals)...])
            } else {
                positional.append(field)
            }
        }
        func bad(_ why: String) -> AlsaError {
            AlsaError(.open, .invalidArgument, context: "\(name) is not a valid hw name: \(why); expected hw:CARD,DEV[,SUBDEV]")
        }
        let cardText = keyed["CARD"] ?? positional.first
        guard let cardText, !cardText.isEmpty else { throw bad("no card") }
        guard positional.count <= 3, Set(keyed.keys).isSubset(of: ["CARD", "DEV", "SUBDEV"]) else { throw bad("unknown fields") }
        let deviceText = keyed["DEV"] ?? (positional.count > 1 ? positional[1] : "0")
        let subdeviceText = keyed["SUBDEV"] ?? (positional.count > 2 ? positional[2] : nil)
        guard let device = Int(deviceText), device >= 0 else { throw bad("device \(deviceText) is not a number") }
        var subdevice: Int? = nil
        if let subdeviceText {
            guard let value = Int(subdeviceText), value >= -1 else { throw bad("subdevice \(subdeviceText) is not a number") }
            subdevice = value == -1 ? nil : value
        }
        let card: CardReference = Int(cardText).map { .index($0) } ?? .id(cardText.trimmingQuotes)
        if case .index(let index) = card, index < 0 { throw bad("card \(index) is negative") }
        // The kernel's records hold these as 32-bit ints; a larger number can name no device.
        if case .index(let index) = card, index > Int32.max { throw bad("card \(index) is out of range") }
        guard device <= Int32.max else { throw bad("device \(device) is out of range") }
        if let subdevice, subdevice > Int32.max { throw bad("subdevice \(subdevice) is out of range") }
        self = .hardware(card: card, device: device, subdevice: subdevice)
    }
}

extension String {
    fileprivate var trimmingQuotes: String {
        count >= 2 && (hasPrefix("\"") && hasSuffix("\"") || hasPrefix("'") && hasSuffix("'")) ? String(dropFirst().dropLast()) : self
    }
}
