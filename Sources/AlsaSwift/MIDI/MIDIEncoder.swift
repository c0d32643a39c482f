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

    /// A checked message's bytes: a fixed-length message's encoded in place, SysEx's payload
    /// (framed by F0 and F7 on the wire), `.invalid`'s as they came. A send works them out twice a
    /// message: once to check every message before any byte goes, once when staging reaches it.
    enum Encoded {
        case short(Short)
        case systemExclusive([UInt8])
        case verbatim([UInt8])

        /// How many bytes the message takes on the wire.
        var count: Int {
            switch self {
            case .short(let short): short.count
            case .systemExclusive(let payload): payload.count + 2
            case .verbatim(let bytes): bytes.count
            }
        }
    }

    /// The bytes of `message`, after its range checks: a value out of range throws.
    static func encoded(_ message: MIDIMessage) throws(AlsaError) -> Encoded {
        switch message {
        case .noteOff(let channel, let note, let velocity):
            return .short(Short(try status(0x80, channel), try dataByte(note, "note"), try dataByte(velocity, "velocity")))
        case .noteOn(let channel, let note, let velocity):
            return .short(Short(try status(0x90, channel), try dataByte(note, "note"), try dataByte(velocity, "velocity")))
        case .polyphonicAftertouch(let channel, let note, let pressure):
            return .short(Short(try status(0xA0, channel), try dataByte(note, "note"), try dataByte(pressure, "pressure")))
        case .controlChange(let channel, let controller, let value):
            return .short(Short(try status(0xB0, channel), try dataByte(controller, "controller"), try dataByte(value, "value")))
        case .programChange(let channel, let program):
            return .short(Short(try status(0xC0, channel), try dataByte(program, "program")))
        case .channelAftertouch(let channel, let pressure):
            return .short(Short(try status(0xD0, channel), try dataByte(pressure, "pressure")))
        case .pitchBend(let channel, let value):
            guard (-8192...8191).contains(value) else { throw outOfRange("pitch bend", value, "-8192...8191") }
            let raw = value + 8192
            return .short(Short(try status(0xE0, channel), UInt8(raw & 0x7F), UInt8(raw >> 7)))
        case .timeCodeQuarterFrame(let value): return .short(Short(0xF1, try dataByte(value, "time code quarter frame")))
        case .songPosition(let beats):
            guard (0...16383).contains(beats) else { throw outOfRange("song position", beats, "0...16383") }
            return .short(Short(0xF2, UInt8(beats & 0x7F), UInt8(beats >> 7)))
        case .songSelect(let song): return .short(Short(0xF3, try dataByte(song, "song")))
        case .tuneRequest: return .short(Short(0xF6))
        case .clock: return .short(Short(0xF8))
        case .start: return .short(Short(0xFA))
        case .continue: return .short(Short(0xFB))
        case .stop: return .short(Short(0xFC))
        case .activeSensing: return .short(Short(0xFE))
        case .systemReset: return .short(Short(0xFF))
        case .systemExclusive(let payload):
            if let index = payload.firstIndex(where: { $0 >= 0x80 }) {
                throw AlsaError(.midiMessage, .invalidArgument,
                                context: "system exclusive byte \(index) is \(hexByte(payload[index])): its bytes must be 00-7F")
            }
            return .systemExclusive(payload)
        case .invalid(let invalid): return .verbatim(invalid.bytes)
        }
    }

    /// Checks every value of `message` is in range, without keeping its bytes.
    static func check(_ message: MIDIMessage) throws(AlsaError) { _ = try encoded(message) }

    /// Copies the bytes of `encoded` from its byte `start` on into `destination`, as many as fit;
    /// returns how many were copied.
    static func copy(_ encoded: Encoded, from start: Int, into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(encoded.count - start, destination.count)
        guard count > 0 else { return 0 }
        switch encoded {
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
        case .verbatim(let bytes):
            bytes.withUnsafeBytes { source in
                destination.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: start), byteCount: count)
            }
            return count
        case .short(let short):
            for index in 0..<count { destination[index] = short.byte(start + index) }
            return count
        }
    }

    static func append(_ message: MIDIMessage, to bytes: inout [UInt8]) throws(AlsaError) {
        let encoded = try encoded(message)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: encoded.count))
        bytes.withUnsafeMutableBytes { all in
            _ = copy(encoded, from: 0, into: UnsafeMutableRawBufferPointer(rebasing: all[start...]))
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
