/// MIDI 1.0 messages to bytes, each message whole with its own status byte (no running status: a
/// receiver that missed a byte resynchronises at the next message). Every value from the app is
/// range-checked first; a message out of range adds nothing. Nothing here allocates but the
/// `[UInt8]` conveniences: the sending paths copy the bytes into storage kept from the open.
enum MIDIEncoder {
    /// A message of at most three bytes (every kind but SysEx and `.invalid`), encoded in place.
    struct Short {
        var bytes: (UInt8, UInt8, UInt8) = (0, 0, 0)
        var count = 0

        init(_ status: UInt8) { bytes.0 = status; count = 1 }
        init(_ status: UInt8, _ first: UInt8) { bytes = (status, first, 0); count = 2 }
        init(_ status: UInt8, _ first: UInt8, _ second: UInt8) { bytes = (status, first, second); count = 3 }

        func byte(_ index: Int) -> UInt8 { index == 0 ? bytes.0 : index == 1 ? bytes.1 : bytes.2 }
    }

    /// The encoding of a message that has a fixed length, after its range checks; nil for SysEx and
    /// `.invalid`, whose bytes are the app's own.
    static func short(_ message: MIDIMessage) throws(AlsaError) -> Short? {
        switch message {
        case .noteOff(let channel, let note, let velocity):
            return Short(try status(0x80, channel), try dataByte(note, "note"), try dataByte(velocity, "velocity"))
        case .noteOn(let channel, let note, let velocity):
            return Short(try status(0x90, channel), try dataByte(note, "note"), try dataByte(velocity, "velocity"))
        case .polyphonicAftertouch(let channel, let note, let pressure):
            return Short(try status(0xA0, channel), try dataByte(note, "note"), try dataByte(pressure, "pressure"))
        case .controlChange(let channel, let controller, let value):
            return Short(try status(0xB0, channel), try dataByte(controller, "controller"), try dataByte(value, "value"))
        case .programChange(let channel, let program):
            return Short(try status(0xC0, channel), try dataByte(program, "program"))
        case .channelAftertouch(let channel, let pressure):
            return Short(try status(0xD0, channel), try dataByte(pressure, "pressure"))
        case .pitchBend(let channel, let value):
            guard (-8192...8191).contains(value) else { throw outOfRange("pitch bend", value, "-8192...8191") }
            let raw = value + 8192
            return Short(try status(0xE0, channel), UInt8(raw & 0x7F), UInt8(raw >> 7))
        case .timeCodeQuarterFrame(let value): return Short(0xF1, try dataByte(value, "time code quarter frame"))
        case .songPosition(let beats):
            guard (0...16383).contains(beats) else { throw outOfRange("song position", beats, "0...16383") }
            return Short(0xF2, UInt8(beats & 0x7F), UInt8(beats >> 7))
        case .songSelect(let song): return Short(0xF3, try dataByte(song, "song"))
        case .tuneRequest: return Short(0xF6)
        case .clock: return Short(0xF8)
        case .start: return Short(0xFA)
        case .continue: return Short(0xFB)
        case .stop: return Short(0xFC)
        case .activeSensing: return Short(0xFE)
        case .systemReset: return Short(0xFF)
        case .systemExclusive, .invalid: return nil
        }
    }

    /// Checks every value of `message` is in range, without encoding it.
    static func check(_ message: MIDIMessage) throws(AlsaError) {
        if case .systemExclusive(let payload) = message, let index = payload.firstIndex(where: { $0 >= 0x80 }) {
            throw AlsaError(.midiMessage, .invalidArgument,
                            context: "system exclusive byte \(index) is \(hexByte(payload[index])): its bytes must be 00-7F")
        }
        _ = try short(message)
    }

    /// How many bytes `message` takes on the wire (it must have passed `check`).
    static func length(of message: MIDIMessage) -> Int {
        switch message {
        case .systemExclusive(let payload): payload.count + 2
        case .invalid(let invalid): invalid.bytes.count
        default:
            // Checked before: every other message encodes.
            if let encoded = try? short(message) { encoded.count } else { 0 }
        }
    }

    /// Copies the bytes of `message` (checked before) from its byte `start` on into `destination`,
    /// as many as fit; returns how many were copied.
    static func copy(_ message: MIDIMessage, from start: Int, into destination: UnsafeMutableRawBufferPointer) -> Int {
        let total = length(of: message)
        let count = min(total - start, destination.count)
        guard count > 0 else { return 0 }
        switch message {
        case .systemExclusive(let payload):
            // F0, the payload, F7: positions 1...payload.count are the payload's 0..<payload.count.
            var copied = 0
            if start == 0 { destination[0] = 0xF0; copied = 1 }
            let fromPayload = start + copied - 1
            let payloadCount = min(payload.count - fromPayload, count - copied)
            if payloadCount > 0 {
                payload.withUnsafeBytes { source in
                    destination.baseAddress!.advanced(by: copied)
                        .copyMemory(from: source.baseAddress!.advanced(by: fromPayload), byteCount: payloadCount)
                }
                copied += payloadCount
            }
            if copied < count { destination[copied] = 0xF7; copied += 1 }
            return copied
        case .invalid(let invalid):
            invalid.bytes.withUnsafeBytes { source in
                destination.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: start), byteCount: count)
            }
            return count
        default:
            guard let encoded = try? short(message) else { return 0 }
            for index in 0..<count { destination[index] = encoded.byte(start + index) }
            return count
        }
    }

    static func append(_ message: MIDIMessage, to bytes: inout [UInt8]) throws(AlsaError) {
        try check(message)
        let length = length(of: message)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: length))
        bytes.withUnsafeMutableBytes { all in
            _ = copy(message, from: 0, into: UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
    }

    /// The bytes of `messages` one after another; nothing when one of them is out of range.
    static func bytes(of messages: [MIDIMessage]) throws(AlsaError) -> [UInt8] {
        var bytes: [UInt8] = []
        for message in messages { try append(message, to: &bytes) }
        return bytes
    }

    private static func status(_ base: UInt8, _ channel: Int) throws(AlsaError) -> UInt8 {
        guard (0...15).contains(channel) else { throw outOfRange("channel", channel, "0...15") }
        return base | UInt8(channel)
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
