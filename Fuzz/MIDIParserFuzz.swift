import AlsaSwift

/// The MIDI 1.0 parser on any bytes, in chunks cut anywhere, with a SysEx limit from the input:
/// typed messages or typed `.invalid` ones, never a trap. Every message it gives (but `.invalid`)
/// encodes without error and parses back to itself, and the same bytes in one piece give the same
/// messages as in chunks. (Data bytes without a status are handed out at the end of each chunk
/// rather than waited for, so how they are grouped depends on the chunks: they are compared as one
/// run of bytes.)
enum MIDIParserFuzz {
    static func run(_ input: FuzzInput) {
        var input = input
        let limit = Int(input.uint16())
        let cuts = Int(input.byte())
        let bytes = Array(input.rest())
        var chunked = MIDIParser(systemExclusiveLimit: limit)
        var messages: [MIDIMessage] = []
        var start = 0
        for cut in 0...cuts {
            let end = cut == cuts ? bytes.count : min(bytes.count, start + (cut * 7919 + 13) % 257)
            messages += chunked.parse(bytes[start..<max(start, end)])
            start = max(start, end)
        }
        var whole = MIDIParser(systemExclusiveLimit: limit)
        guard Self.separated(whole.parse(bytes)) == Self.separated(messages) else { fatalError("chunked and whole parses differ") }
        for message in messages {
            if case .invalid = message { continue }
            guard let encoded = try? message.bytes() else { fatalError("the parser gave \(message), which does not encode") }
            var again = MIDIParser(systemExclusiveLimit: Int.max)
            guard again.parse(encoded) == [message] else { fatalError("\(message) does not parse back to itself") }
        }
    }

    /// The messages but stray data bytes, and the stray bytes in the order they came.
    static func separated(_ messages: [MIDIMessage]) -> (typed: [MIDIMessage], stray: [UInt8]) {
        var typed: [MIDIMessage] = []
        var stray: [UInt8] = []
        for message in messages {
            if case .invalid(let invalid) = message, invalid.reason == .dataWithoutStatus {
                stray += invalid.bytes
            } else {
                typed.append(message)
            }
        }
        return (typed, stray)
    }
}
