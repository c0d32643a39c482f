/// MIDI 1.0 messages to bytes, each message whole with its own status byte (no running status: a
/// receiver that missed a byte resynchronises at the next message). Every value from the app is
/// range-checked first; a message out of range adds nothing.
enum MIDIEncoder {
    static func append(_ message: MIDIMessage, to bytes: inout [UInt8]) throws(AlsaError) {
        switch message {
        case .noteOff(let channel, let note, let velocity):
            try channelMessage(0x80, channel, [(note, "note"), (velocity, "velocity")], to: &bytes)
        case .noteOn(let channel, let note, let velocity):
            try channelMessage(0x90, channel, [(note, "note"), (velocity, "velocity")], to: &bytes)
        case .polyphonicAftertouch(let channel, let note, let pressure):
            try channelMessage(0xA0, channel, [(note, "note"), (pressure, "pressure")], to: &bytes)
        case .controlChange(let channel, let controller, let value):
            try channelMessage(0xB0, channel, [(controller, "controller"), (value, "value")], to: &bytes)
        case .programChange(let channel, let program):
            try channelMessage(0xC0, channel, [(program, "program")], to: &bytes)
        case .channelAftertouch(let channel, let pressure):
            try channelMessage(0xD0, channel, [(pressure, "pressure")], to: &bytes)
        case .pitchBend(let channel, let value):
            guard (-8192...8191).contains(value) else { throw outOfRange("pitch bend", value, "-8192...8191") }
            let raw = value + 8192
            try channelMessage(0xE0, channel, [(raw & 0x7F, "pitch bend"), (raw >> 7, "pitch bend")], to: &bytes)
        case .systemExclusive(let payload):
            if let index = payload.firstIndex(where: { $0 >= 0x80 }) {
                throw AlsaError(.midiMessage, .invalidArgument,
                                context: "system exclusive byte \(index) is \(hexByte(payload[index])): its bytes must be 00-7F")
            }
            bytes.reserveCapacity(bytes.count + payload.count + 2)
            bytes.append(0xF0)
            bytes.append(contentsOf: payload)
            bytes.append(0xF7)
        case .timeCodeQuarterFrame(let value):
            bytes += [0xF1, try dataByte(value, "time code quarter frame")]
        case .songPosition(let beats):
            guard (0...16383).contains(beats) else { throw outOfRange("song position", beats, "0...16383") }
            bytes += [0xF2, UInt8(beats & 0x7F), UInt8(beats >> 7)]
        case .songSelect(let song):
            bytes += [0xF3, try dataByte(song, "song")]
        case .tuneRequest: bytes.append(0xF6)
        case .clock: bytes.append(0xF8)
        case .start: bytes.append(0xFA)
        case .continue: bytes.append(0xFB)
        case .stop: bytes.append(0xFC)
        case .activeSensing: bytes.append(0xFE)
        case .systemReset: bytes.append(0xFF)
        case .invalid(let invalid):
            bytes.append(contentsOf: invalid.bytes)
        }
    }

    /// The bytes of `messages` one after another; nothing when one of them is out of range.
    static func bytes(of messages: [MIDIMessage]) throws(AlsaError) -> [UInt8] {
        var bytes: [UInt8] = []
        for message in messages { try append(message, to: &bytes) }
        return bytes
    }

    private static func channelMessage(_ status: UInt8, _ channel: Int, _ data: [(Int, String)],
                                       to bytes: inout [UInt8]) throws(AlsaError) {
        guard (0...15).contains(channel) else { throw outOfRange("channel", channel, "0...15") }
        var encoded: [UInt8] = [status | UInt8(channel)]
        for (value, name) in data { encoded.append(try dataByte(value, name)) }
        bytes += encoded
    }

    private static func dataByte(_ value: Int, _ name: String) throws(AlsaError) -> UInt8 {
        guard (0...127).contains(value) else { throw outOfRange(name, value, "0...127") }
        return UInt8(value)
    }

    private static func outOfRange(_ name: String, _ value: Int, _ range: String) -> AlsaError {
        AlsaError(.midiMessage, .invalidArgument, context: "\(name) \(value) is out of range (\(range))")
    }
}

/// A byte as MIDI tools print it: two upper-case hex digits.
func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
