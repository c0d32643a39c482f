import AlsaSimulation
import CAlsaKernel
import Testing
@testable import AlsaSwift

/// The paths that hand out and send one message at a time from storage kept since the open (no
/// array per message): they must give exactly what the array paths give.
@Suite("MIDI one message at a time, from kept storage", .hangTimeLimit)
struct MIDIOneAtATimeTests {
    /// Every message `next(in:from:)` gives for `chunks`, each chunk used up before the next.
    private func pulled(_ chunks: [[UInt8]], limit: Int = MIDIParser.defaultSystemExclusiveLimit) -> [MIDIMessage] {
        var parser = MIDIParser(systemExclusiveLimit: limit)
        var messages: [MIDIMessage] = []
        for chunk in chunks {
            chunk.withUnsafeBytes { bytes in
                var offset = 0
                while let message = parser.next(in: bytes, from: &offset) { messages.append(message) }
                #expect(offset == bytes.count)
            }
        }
        return messages
    }

    private func parsed(_ chunks: [[UInt8]], limit: Int = MIDIParser.defaultSystemExclusiveLimit) -> [MIDIMessage] {
        var parser = MIDIParser(systemExclusiveLimit: limit)
        return chunks.flatMap { parser.parse($0) }
    }

    @Test("the parser's one-at-a-time form gives what parse(_:) gives: running status, real-time, SysEx, bad bytes")
    func pullMatchesParse() {
        let cases: [[[UInt8]]] = [
            [[0x90, 60, 100, 64, 100, 0xF8, 67, 100]],                            // running status, a clock between messages
            [[0x90, 60], [0xF8, 100, 62], [100]],                                 // a clock inside a message split over reads
            [[0xF0, 1, 2, 0xFE, 3, 0xF7, 0xB0, 7, 100]],                          // a real-time byte inside a SysEx
            [[0xF0, 1, 2, 0xF6]],                                                 // unterminated SysEx and tune request from one byte
            [[5, 6, 0xF8], [7]],                                                  // stray data, a clock, stray data at a chunk's end
            [[0x90, 60, 0xF6, 1, 2]],                                             // cut message, tune request, stray data at the end
            [[0xF0] + Array(repeating: 1, count: 80) + [0xF7, 0x80, 1, 2]],       // a SysEx over the limit
            [[0xF7, 0xF4, 0xF5, 0xF9, 0xFD, 0xF2, 1]],
        ]
        for chunks in cases {
            #expect(pulled(chunks, limit: 64) == parsed(chunks, limit: 64), "\(chunks)")
            #expect(!pulled(chunks, limit: 64).isEmpty)
        }
        // Two messages from one byte come out one per call, in order.
        var parser = MIDIParser()
        ([0xF0, 1, 0xF6] as [UInt8]).withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            #expect(parser.next(in: bytes, from: &offset) == .invalid(InvalidMIDI(.unterminatedSystemExclusive, bytes: [0xF0, 1])))
            #expect(offset == 3)
            #expect(parser.next(in: bytes, from: &offset) == .tuneRequest)
            #expect(parser.next(in: bytes, from: &offset) == nil)
        }
        // An offset outside the chunk gives nothing and never traps.
        ([0x90, 60, 100] as [UInt8]).withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var before = -1, after = 7
            #expect(parser.next(in: bytes, from: &before) == nil && parser.next(in: bytes, from: &after) == nil)
        }
    }

    @Test("random streams in random chunks: one at a time and all at once agree")
    func pullMatchesParseOnRandomStreams() {
        var generator = SplitMix(seed: 24)
        for _ in 0..<300 {
            let bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var chunks: [[UInt8]] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + 1 + Int(generator.next() % 40))
                chunks.append(Array(bytes[start..<end]))
                start = end
            }
            #expect(pulled(chunks, limit: 16) == parsed(chunks, limit: 16))
        }
    }

    @Test("messages staged in pieces of any size give their wire bytes; one out of range stages nothing")
    func outputStage() throws {
        let messages: [MIDIMessage] = [
            .noteOn(channel: 1, note: 60, velocity: 100), .systemExclusive(Array(0..<100)), .clock, .pitchBend(channel: 2, value: -8192),
            .systemExclusive([]), .invalid(InvalidMIDI(.dataWithoutStatus, bytes: [1, 2, 3])), .songPosition(300), .tuneRequest,
            .invalid(InvalidMIDI(.systemExclusiveTooLong(limit: 4), bytes: [], length: 9)), .programChange(channel: 3, program: 4),
        ]
        // The wire bytes written out by hand, not by the encoder under test.
        let expected: [UInt8] = [0x91, 60, 100, 0xF0] + (0..<100).map { UInt8($0) } + [0xF7, 0xF8, 0xE2, 0x00, 0x00, 0xF0, 0xF7, 1, 2, 3,
                                                                                      0xF2, 44, 2, 0xF6, 0xC3, 4]   // song position 300 = 2 × 128 + 44
        #expect(try MIDIEncoder.bytes(of: messages) == expected)
        for size in [1, 2, 3, 5, 64, 4096] {
            let stage = MIDIOutputStage(byteCount: size)
            try stage.check(.many(messages))
            var position = MIDIOutputStage.Position()
            var staged: [UInt8] = []
            while true {
                let piece = stage.stage(.many(messages), from: &position)
                if piece.isEmpty { break }
                #expect(piece.count <= size)
                staged += piece
            }
            #expect(staged == expected, "pieces of \(size)")
        }
        let stage = MIDIOutputStage(byteCount: 16)
        #expect(throws: AlsaError.self) { try stage.check(.many([.clock, .noteOn(channel: 0, note: 128, velocity: 0)])) }
        #expect(throws: AlsaError.self) { try stage.check(.one(.systemExclusive([1, 0x80]))) }
    }

    @Test("raw MIDI: next, nextBlocking, available and raw reads share one read buffer and lose nothing")
    func rawMIDIOneAtATime() async throws {
        let kernel = makeMIDIMachine()
        let keyboard = try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel)
        #expect(try keyboard.nextBlocking(timeout: .zero) == nil, "nothing yet; the input starts")
        kernel.receiveMIDI([0x90, 60, 100, 0xF8, 0xB0, 7, 90, 0xFC, 0xF0, 1, 2, 0xF7], card: 1, device: 2)
        #expect(try keyboard.nextBlocking() == .noteOn(channel: 0, note: 60, velocity: 100))
        #expect(try await keyboard.next() == .clock)
        // Bytes read from the kernel since are not the parsed ones: a raw read (longer than what
        // was parsed) leaves those be.
        kernel.receiveMIDI([0x80, 60, 0, 0x80, 61, 0], card: 1, device: 2)
        #expect(try keyboard.readBlocking() == [0x80, 60, 0, 0x80, 61, 0])
        #expect(try keyboard.available() == [.controlChange(channel: 0, controller: 7, value: 90), .stop, .systemExclusive([1, 2])])
        #expect(try keyboard.nextBlocking(timeout: .zero) == nil)
        // Running status carries over from one read to the next.
        kernel.receiveMIDI([0xE0, 0, 0x40], card: 1, device: 2)
        #expect(try keyboard.nextBlocking() == .pitchBend(channel: 0, value: 0))
        kernel.receiveMIDI([0x7F, 0x7F], card: 1, device: 2)
        #expect(try await keyboard.receive() == [.pitchBend(channel: 0, value: 8191)])
    }

    @Test("raw MIDI: one message sends from kept storage, and a bad one in a batch sends nothing")
    func rawMIDISendOne() async throws {
        let kernel = makeMIDIMachine()
        let a = try RawMIDI("hw:1,0", kernel: kernel)
        let b = try RawMIDI("hw:1,1", directions: .input, kernel: kernel)
        _ = try b.available()
        try a.sendBlocking(.noteOn(channel: 0, note: 60, velocity: 100))
        try await a.send(.clock)
        try a.sendBlocking(.systemExclusive(Array(repeating: 5, count: 3000)), .stop)
        #expect(throws: AlsaError.self) { try a.sendBlocking(.clock, .noteOn(channel: 0, note: 128, velocity: 0)) }
        await #expect(throws: AlsaError.self) { try await a.send([.clock, .pitchBend(channel: 0, value: 9000)]) }
        #expect(kernel.sentMIDI(card: 1, device: 0) == [0x90, 60, 100, 0xF8, 0xF0] + Array(repeating: 5, count: 3000) + [0xF7, 0xFC])
        #expect(try b.receiveBlocking() == [.noteOn(channel: 0, note: 60, velocity: 100), .clock,
                                            .systemExclusive(Array(repeating: 5, count: 3000)), .stop])
        // A file opened for input only refuses to send, after the range checks.
        #expect(#expect(throws: AlsaError.self) { try b.sendBlocking(.clock) }?.errno == .badFileDescriptor)
        #expect(#expect(throws: AlsaError.self) { try b.sendBlocking(.songSelect(128)) }?.operation == .midiMessage)
    }

    @Test("sequencer: events one at a time, a SysEx piece completing two messages, then a note")
    func sequencerOneAtATime() async throws {
        let kernel = makeKernel()
        let sender = try Sequencer(name: "Sender", kernel: kernel)
        let out = try sender.createPort(name: "out", capabilities: .output)
        let receiver = try Sequencer(name: "Receiver", kernel: kernel)
        let input = try receiver.createPort(name: "in", capabilities: .input)
        try receiver.connect(from: out, to: input)
        #expect(try receiver.nextBlocking(timeout: .zero) == nil)
        // One SysEx event whose data holds two whole SysEx messages (F0 01 F7 F0 02 F7).
        var records: [UInt8] = []
        try SequencerRecords.encode(.systemExclusive([1, 2, 3, 4]), from: out, to: nil, schedule: nil, into: &records)
        records.replaceSubrange((records.count - 6)..., with: [0xF0, 1, 0xF7, 0xF0, 2, 0xF7])
        try sender.connection.writeBlocking(records)
        try sender.sendBlocking(.noteOn(channel: 2, note: 3, velocity: 4), from: out)
        try await sender.send(.controlChange(channel: 1, controller: 2, value: 3), from: out, to: input)
        #expect(try receiver.nextBlocking()?.message == .systemExclusive([1]))
        #expect(try await receiver.next()?.message == .systemExclusive([2]))
        let note = try receiver.nextBlocking()
        #expect(note?.message == .noteOn(channel: 2, note: 3, velocity: 4) && note?.source == out && note?.destination == input)
        #expect(try receiver.available().map(\.message) == [.controlChange(channel: 1, controller: 2, value: 3)])
        #expect(try receiver.nextBlocking(timeout: .zero) == nil)
        // A message out of range, or from another client's port, sends nothing.
        #expect(throws: AlsaError.self) { try sender.sendBlocking(.noteOn(channel: 16, note: 0, velocity: 0), from: out) }
        await #expect(throws: AlsaError.self) { try await sender.send(.clock, from: input) }
        #expect(throws: AlsaError.self) { try sender.sendBlocking(.invalid(InvalidMIDI(.undefinedStatus, bytes: [0xF4])), from: out) }
        #expect(try receiver.available().isEmpty)
    }

    @Test("sequencer records are read one at a time from the read buffer; a record cut short is a typed error")
    func sequencerBadRecord() throws {
        var records: [UInt8] = []
        let from = SequencerAddress(client: 128, port: 0)
        try SequencerRecords.encode(.clock, from: from, to: nil, schedule: nil, into: &records)
        try records.withUnsafeBytes { bytes in
            var offset = 0
            let record = try SequencerRecords.record(in: bytes, at: &offset)
            #expect(offset == 28 && record.type == ALSA_SEQ_EVENT_CLOCK && SequencerRecords.content(of: record) == .midi(.clock))
            #expect(throws: AlsaError.self) { try SequencerRecords.record(in: bytes, at: &offset) }
        }
        // A variable event claiming more data than follows it.
        records = []
        try SequencerRecords.encode(.systemExclusive([1, 2]), from: from, to: nil, schedule: nil, into: &records)
        records.removeLast()
        records.withUnsafeBytes { bytes in
            var offset = 0
            let error = #expect(throws: AlsaError.self) { try SequencerRecords.record(in: bytes, at: &offset) }
            #expect(error?.errno == .badMessage)
        }
    }

    @Test("a message out of range adds no record: the records encoded before it stay as they were")
    func sequencerEncodeRefusalAddsNothing() throws {
        var records: [UInt8] = []
        let from = SequencerAddress(client: 128, port: 0)
        try SequencerRecords.encode(.clock, from: from, to: nil, schedule: nil, into: &records)
        let before = records
        #expect(throws: AlsaError.self) {
            try SequencerRecords.encode(.noteOn(channel: 16, note: 60, velocity: 100), from: from, to: nil, schedule: nil, into: &records)
        }
        #expect(records == before)
    }
}
