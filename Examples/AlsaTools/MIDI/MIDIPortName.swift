import AlsaSwift
import ArgumentParser

/// What `-p` names: a raw MIDI device (`hw:1,0`, as amidi takes it) or a sequencer port (`14:0`,
/// `Midi Through:0`, as aconnect and aseqdump take them).
package enum MIDIPortName: Equatable, Sendable, CustomStringConvertible {
    /// A raw MIDI device by its `hw:` name.
    case raw(String)
    /// A sequencer port by number or client name (resolved on the sequencer).
    case sequencer(String)

    /// `hw:` names are raw MIDI devices; anything else names a sequencer port.
    package init(_ text: String) throws(ValidationError) {
        guard !text.isEmpty else { throw ValidationError("-p needs a port: hw:CARD,DEV for raw MIDI, client:port for the sequencer") }
        if text.hasPrefix("hw:") {
            guard case .hardware = try? PCMName(parsing: text) else {
                throw ValidationError("\(text) is not a raw MIDI device name (hw:CARD,DEV[,SUBDEV])")
            }
            self = .raw(text)
        } else {
            self = .sequencer(text)
        }
    }

    package var description: String {
        switch self {
        case .raw(let name), .sequencer(let name): name
        }
    }
}

/// The bytes of `-S`, written as amidi takes them: hex pairs, with or without spaces
/// (`90 3C 7F`, `903C7F`).
package enum HexBytes {
    /// The bytes `text` spells; an odd digit count or a character that is not hex is refused.
    package static func parse(_ text: String) throws(ValidationError) -> [UInt8] {
        let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }
        guard !digits.isEmpty else { throw ValidationError("-S needs bytes in hex, such as \"90 3C 7F\"") }
        var bytes: [UInt8] = []
        var high: UInt8?
        for scalar in digits {
            guard scalar.isASCII, let value = UInt8(String(scalar), radix: 16) else {
                throw ValidationError("-S takes hex bytes; \"\(scalar)\" is not a hex digit")
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        guard high == nil else { throw ValidationError("-S takes whole bytes: an odd number of hex digits was given") }
        return bytes
    }
}
