import Testing
@testable import AlsaSwift
@testable import AlsaTools

@Suite("MIDI 1.0 byte streams to typed messages, and back")
struct MIDIParserTests {
    private func parse(_ bytes: [UInt8], limit: Int = MIDIParser.defaultSystemExclusiveLimit) -> [MIDIMessage] {
        var parser = MIDIParser(systemExclusiveLimit: limit)
        return parser.parse(bytes)
    }

    @Test("every channel and system message, with its fields")
    func everyMessage() {
        #expect(parse([0x80, 60, 64, 0x91, 62, 100, 0xA2, 64, 10, 0xB3, 7, 127, 0xC4, 5, 0xD5, 99, 0xE6, 0x00, 0x40]) == [
            .noteOff(channel: 0, note: 60, velocity: 64), .noteOn(channel: 1, note: 62, velocity: 100),
            .polyphonicAftertouch(channel: 2, note: 64, pressure: 10), .controlChange(channel: 3, controller: 7, value: 127),
            .programChange(channel: 4, program: 5), .channelAftertouch(channel: 5, pressure: 99), .pitchBend(channel: 6, value: 0),
        ])
        #expect(parse([0xEF, 0x00, 0x00, 0xEF, 0x7F, 0x7F]) == [.pitchBend(channel: 15, value: -8192), .pitchBend(channel: 15, value: 8191)])
        #expect(parse([0xF1, 0x35, 0xF2, 0x10, 0x02, 0xF3, 9, 0xF6, 0xF8, 0xFA, 0xFB, 0xFC, 0xFE, 0xFF]) == [
            .timeCodeQuarterFrame(0x35), .songPosition(2 << 7 | 0x10), .songSelect(9), .tuneRequest,
            .clock, .start, .continue, .stop, .activeSensing, .systemReset,
        ])
    }

    @Test("running status: data bytes after a channel message repeat its status")
    func runningStatus() {
        #expect(parse([0x90, 60, 100, 62, 100, 64, 0]) == [
            .noteOn(channel: 0, note: 60, velocity: 100), .noteOn(channel: 0, note: 62, velocity: 100),
            .noteOn(channel: 0, note: 64, velocity: 0),
        ])
        // One data byte messages, and running status surviving real-time bytes in between.
        #expect(parse([0xC2, 1, 2, 0xF8, 3]) == [.programChange(channel: 2, program: 1), .programChange(channel: 2, program: 2),
                                                 .clock, .programChange(channel: 2, program: 3)])
        // A system common message cancels it: what follows is data without status.
        #expect(parse([0x90, 60, 100, 0xF3, 1, 61, 100]) == [
            .noteOn(channel: 0, note: 60, velocity: 100), .songSelect(1), .invalid(InvalidMIDI(.dataWithoutStatus, bytes: [61, 100])),
        ])
        // So does a SysEx.
        #expect(parse([0x90, 60, 100, 0xF0, 1, 0xF7, 61, 100]) == [
            .noteOn(channel: 0, note: 60, velocity: 100), .systemExclusive([1]),
            .invalid(InvalidMIDI(.dataWithoutStatus, bytes: [61, 100])),
        ])
    }

    @Test("a message split anywhere between chunks comes out once, whole")
    func splitAcrossChunks() {
        let stream: [UInt8] = [0x90, 60, 100, 62, 101, 0xF0, 0x43, 0x10, 0x4C, 0x00, 0xF7, 0xE0, 0x11, 0x22, 0xF2, 1, 2]
        var whole = MIDIParser()
        let expected = whole.parse(stream)
        for split in 0...stream.count {
            var parser = MIDIParser()
            let messages = parser.parse(stream[..<split]) + parser.parse(stream[split...])
            #expect(messages == expected, "split at \(split)")
        }
        var bytewise = MIDIParser()
        #expect(stream.flatMap { bytewise.parse([$0]) } == expected)
    }

    /// A megabyte through the parser is CPU work: on a thread of its own, not the cooperative pool.
    @Test("SysEx of any length arrives whole, even split over many reads, with real-time bytes inside")
    func systemExclusive() async throws {
        let (beforeEnd, afterEnd, pending) = await onOwnThread { () -> ([MIDIMessage], [MIDIMessage], Bool) in
            let payload = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 % 128) }
            var parser = MIDIParser()
            var messages: [MIDIMessage] = []
            messages += parser.parse([0xF0] + payload[..<300_000])
            messages += parser.parse([0xF8])  // a clock inside: delivered at once
            messages += parser.parse(payload[300_000...])
            let pending = parser.hasPendingMessage
            let end = parser.parse([0xF7, 0x90, 1, 2])
            return (messages, end, pending && !parser.hasPendingMessage)
        }
        #expect(beforeEnd == [.clock])
        #expect(pending, "pending until F7, then complete")
        #expect(afterEnd == [.systemExclusive((0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 % 128) }),
                             .noteOn(channel: 0, note: 1, velocity: 2)])
    }

    @Test("a SysEx over the limit is dropped as it comes and reported with its length")
    func systemExclusiveTooLong() {
        var parser = MIDIParser(systemExclusiveLimit: 8)
        #expect(parser.parse([0xF0] + [UInt8](repeating: 1, count: 8) + [0xF7]) == [.systemExclusive([UInt8](repeating: 1, count: 8))])
        #expect(parser.parse([0xF0] + [UInt8](repeating: 1, count: 20) + [0xFE] + [UInt8](repeating: 2, count: 5) + [0xF7, 0xC0, 3]) == [
            .activeSensing, .invalid(InvalidMIDI(.systemExclusiveTooLong(limit: 8), bytes: [], length: 27)),
            .programChange(channel: 0, program: 3),
        ])
        // Cut short by a status byte while over the limit: F7 never came.
        #expect(parser.parse([0xF0] + [UInt8](repeating: 1, count: 9) + [0x80, 1, 2]) == [
            .invalid(InvalidMIDI(.systemExclusiveTooLong(limit: 8), bytes: [], length: 10)), .noteOff(channel: 0, note: 1, velocity: 2),
        ])
    }

    @Test("malformed streams give typed .invalid messages, never a trap, and the parser resynchronises")
    func malformed() {
        #expect(parse([1, 2, 3, 0x90, 60, 100]) == [.invalid(InvalidMIDI(.dataWithoutStatus, bytes: [1, 2, 3])),
                                                   .noteOn(channel: 0, note: 60, velocity: 100)])
        #expect(parse([0x90, 60, 0xB0, 7, 100]) == [.invalid(InvalidMIDI(.incompleteMessage, bytes: [0x90, 60])),
                                                    .controlChange(channel: 0, controller: 7, value: 100)])
        #expect(parse([0xF0, 1, 2, 0x90, 60, 100]) == [.invalid(InvalidMIDI(.unterminatedSystemExclusive, bytes: [0xF0, 1, 2])),
                                                       .noteOn(channel: 0, note: 60, velocity: 100)])
        #expect(parse([0xF7, 0xF4, 0xF5, 0xF9, 0xFD]) == [
            .invalid(InvalidMIDI(.endWithoutStart, bytes: [0xF7])), .invalid(InvalidMIDI(.undefinedStatus, bytes: [0xF4])),
            .invalid(InvalidMIDI(.undefinedStatus, bytes: [0xF5])), .invalid(InvalidMIDI(.undefinedStatus, bytes: [0xF9])),
            .invalid(InvalidMIDI(.undefinedStatus, bytes: [0xFD])),
        ])
        // A truncated message at the very end waits for the rest; nothing is invented.
        var parser = MIDIParser()
        #expect(parser.parse([0x90, 60]).isEmpty && parser.hasPendingMessage)
        // Random bytes: whatever they are, every byte is accounted for once.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var parser = MIDIParser(systemExclusiveLimit: 64)
            let messages = parser.parse(bytes)
            let encoded = messages.map { message -> Int in
                if case .invalid(let invalid) = message { return invalid.length }
                return (try? message.bytes().count) ?? -1
            }
            #expect(!encoded.contains(-1))
        }
    }

    @Test("messages encode to their wire bytes, and parse back to themselves")
    func roundTrip() throws {
        let messages: [MIDIMessage] = [
            .noteOff(channel: 15, note: 0, velocity: 127), .noteOn(channel: 9, note: 36, velocity: 1),
            .polyphonicAftertouch(channel: 0, note: 1, pressure: 2), .controlChange(channel: 1, controller: 64, value: 127),
            .programChange(channel: 2, program: 127), .channelAftertouch(channel: 3, pressure: 0),
            .pitchBend(channel: 4, value: -8192), .pitchBend(channel: 4, value: 8191), .pitchBend(channel: 4, value: 1),
            .systemExclusive([0x7E, 0x7F, 0x09, 0x01]), .systemExclusive([]), .timeCodeQuarterFrame(0x7F), .songPosition(16383),
            .songSelect(0), .tuneRequest, .clock, .start, .continue, .stop, .activeSensing, .systemReset,
        ]
        let bytes = try MIDIEncoder.bytes(of: messages)
        #expect(try MIDIMessage.noteOn(channel: 0, note: 60, velocity: 127).bytes() == [0x90, 0x3C, 0x7F])
        #expect(try MIDIMessage.pitchBend(channel: 1, value: 0).bytes() == [0xE1, 0x00, 0x40])
        var parser = MIDIParser()
        #expect(parser.parse(bytes) == messages)
    }

    @Test("a message out of range is a typed error naming the value, and adds no bytes")
    func outOfRange() {
        let cases: [MIDIMessage] = [
            .noteOn(channel: 16, note: 60, velocity: 1), .noteOn(channel: 0, note: 128, velocity: 1),
            .noteOff(channel: -1, note: 0, velocity: 0), .controlChange(channel: 0, controller: 0, value: 200),
            .pitchBend(channel: 0, value: 8192), .pitchBend(channel: 0, value: -8193), .songPosition(16384),
            .songSelect(-1), .timeCodeQuarterFrame(128), .systemExclusive([1, 0xF7, 2]), .programChange(channel: 0, program: Int.max),
        ]
        for message in cases {
            let error = #expect(throws: AlsaError.self) { try message.bytes() }
            #expect(error?.operation == .midiMessage && error?.kind == .invalidArgument, "\(message)")
            #expect(error?.context?.isEmpty == false)
        }
        #expect(throws: AlsaError.self) { try MIDIEncoder.bytes(of: [.clock, .noteOn(channel: 0, note: 999, velocity: 0)]) }
    }

    @Test("invalid bytes are sent back as they came")
    func invalidRoundTrip() throws {
        let stream: [UInt8] = [5, 6, 0x90, 60, 0xF0, 1, 0x80, 1, 2]
        var parser = MIDIParser()
        #expect(try MIDIEncoder.bytes(of: parser.parse(stream)) == stream)
    }
}
