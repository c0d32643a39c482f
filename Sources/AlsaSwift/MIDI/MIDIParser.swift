/// Turns a MIDI 1.0 byte stream into messages, as it arrives: bytes may come one at a time or in
/// any chunks, and a message split between two chunks comes out once it is whole.
///
/// It follows the MIDI 1.0 rules a receiver must: running status (data bytes after a channel
/// message repeat its status), real-time bytes anywhere (even between the data bytes of a message
/// or inside a system exclusive message, without disturbing either), system common messages and
/// SysEx cancelling running status, and system exclusive messages of any length up to
/// `systemExclusiveLimit`. Bytes that make no message come out as `.invalid` in their place; the
/// parser never traps and resynchronises at the next status byte.
///
/// ```swift
/// var parser = MIDIParser()
/// parser.parse([0x90, 60, 100, 64, 0])   // [.noteOn(channel: 0, note: 60, velocity: 100), .noteOn(channel: 0, note: 64, velocity: 0)]
/// ```
public struct MIDIParser: Sendable {
    /// The longest system exclusive message kept, in bytes between F0 and F7. A longer one is
    /// dropped as it arrives (memory stays bounded whatever the sender does) and reported as
    /// `.invalid` with `.systemExclusiveTooLong`.
    public var systemExclusiveLimit: Int

    /// The default limit: 1 MiB, far above any instrument's dump.
    public static let defaultSystemExclusiveLimit = 1 << 20

    /// The status in force: that of the message in progress, or the running status (0: none).
    private var status: UInt8 = 0
    /// The data bytes of the message in progress.
    private var first: UInt8 = 0
    private var received = 0
    /// Whether the message in progress began with its own status byte (for reporting it as it came).
    private var statusSeen = false
    /// Inside a system exclusive message.
    private var inSystemExclusive = false
    private var systemExclusive: [UInt8] = []
    private var systemExclusiveLength = 0
    /// Data bytes with no status, gathered until the next status byte or the end of the chunk.
    private var stray: [UInt8] = []
    /// Messages one byte completed after the one `next(in:from:)` handed out (a byte completes at
    /// most two, with the chunk's end one more), in order: given out before any more bytes are read.
    private var held = Held()

    /// A parser with nothing pending; `systemExclusiveLimit` is clamped to at least 0.
    public init(systemExclusiveLimit: Int = MIDIParser.defaultSystemExclusiveLimit) {
        self.systemExclusiveLimit = max(systemExclusiveLimit, 0)
    }

    /// Forgets any message in progress and the running status (after the stream was interrupted).
    public mutating func reset() {
        self = MIDIParser(systemExclusiveLimit: systemExclusiveLimit)
    }

    /// Whether a message (or a system exclusive message) has begun and not yet ended.
    public var hasPendingMessage: Bool { inSystemExclusive || (status != 0 && (statusSeen || received > 0)) }

    /// The messages `bytes` complete, in order. Data bytes without status at the end of the chunk
    /// come out as one `.invalid` at its end rather than wait for more.
    public mutating func parse(_ bytes: some Sequence<UInt8>) -> [MIDIMessage] {
        var messages: [MIDIMessage] = []
        parse(bytes) { messages.append($0) }
        return messages
    }

    /// `parse(_:)` handing each message to `deliver` as it completes.
    public mutating func parse(_ bytes: some Sequence<UInt8>, _ deliver: (MIDIMessage) -> Void) {
        while let message = held.take() { deliver(message) }
        for byte in bytes { parse(byte, deliver) }
        flushStray(deliver)
    }

    /// The next message `bytes` complete from `offset` on, one at a time and without building an
    /// array: `offset` moves past the bytes used. Nil once the chunk is used up; as with
    /// `parse(_:)`, data bytes without status at its end come out as one `.invalid` first. Give the
    /// same chunk until it gives nil, then the next chunk from offset 0. Allocates nothing, except
    /// for a system exclusive message (its payload grows as it arrives) and bytes that make no
    /// message (`.invalid` keeps them).
    public mutating func next(in bytes: UnsafeRawBufferPointer, from offset: inout Int) -> MIDIMessage? {
        if let message = held.take() { return message }
        while offset >= 0 && offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            var completed = Held()
            parse(byte) { completed.put($0) }
            if offset == bytes.count { flushStray { completed.put($0) } }
            if let first = completed.take() {
                held = completed
                return first
            }
        }
        return nil
    }

    private mutating func parse(_ byte: UInt8, _ deliver: (MIDIMessage) -> Void) {
        if byte >= 0xF8 {
            // Real-time: one byte, anywhere, and nothing else changes.
            switch byte {
            case 0xF8: deliver(.clock)
            case 0xFA: deliver(.start)
            case 0xFB: deliver(.continue)
            case 0xFC: deliver(.stop)
            case 0xFE: deliver(.activeSensing)
            case 0xFF: deliver(.systemReset)
            default: deliver(.invalid(InvalidMIDI(.undefinedStatus, bytes: [byte])))
            }
            return
        }
        guard byte >= 0x80 else { return data(byte, deliver) }
        flushStray(deliver)
        if inSystemExclusive {
            inSystemExclusive = false
            endSystemExclusive(terminated: byte == 0xF7, deliver)
            if byte == 0xF7 { return }
        }
        if status != 0 && (statusSeen || received > 0) {
            var cut: [UInt8] = statusSeen ? [status] : []
            if received > 0 { cut.append(first) }
            deliver(.invalid(InvalidMIDI(.incompleteMessage, bytes: cut)))
        }
        received = 0
        statusSeen = false
        switch byte {
        case 0x80...0xEF:
            status = byte
            statusSeen = true
        case 0xF0:
            status = 0
            inSystemExclusive = true
            systemExclusive.removeAll(keepingCapacity: false)
            systemExclusiveLength = 0
        case 0xF1, 0xF2, 0xF3:
            status = byte
            statusSeen = true
        case 0xF6:
            status = 0
            deliver(.tuneRequest)
        case 0xF7:
            status = 0
            deliver(.invalid(InvalidMIDI(.endWithoutStart, bytes: [byte])))
        default:  // F4, F5
            status = 0
            deliver(.invalid(InvalidMIDI(.undefinedStatus, bytes: [byte])))
        }
    }

    private mutating func data(_ byte: UInt8, _ deliver: (MIDIMessage) -> Void) {
        if inSystemExclusive {
            systemExclusiveLength += 1
            if systemExclusiveLength <= systemExclusiveLimit {
                systemExclusive.append(byte)
            } else if !systemExclusive.isEmpty {
                systemExclusive = []  // over the limit: let the memory go now
            }
            return
        }
        guard status != 0 else {
            stray.append(byte)
            return
        }
        if received == 0 && Self.dataLength(status) == 2 {
            first = byte
            received = 1
            return
        }
        let message = Self.message(status, first, byte)
        received = 0
        statusSeen = false
        // Running status applies to channel messages only; a system common message ends it.
        if status >= 0xF0 { status = 0 }
        deliver(message)
    }

    private mutating func endSystemExclusive(terminated: Bool, _ deliver: (MIDIMessage) -> Void) {
        if systemExclusiveLength > systemExclusiveLimit {
            // F0 and, when it came, F7 are part of what was dropped.
            deliver(.invalid(InvalidMIDI(.systemExclusiveTooLong(limit: systemExclusiveLimit), bytes: [],
                                         length: systemExclusiveLength + (terminated ? 2 : 1))))
        } else if terminated {
            deliver(.systemExclusive(systemExclusive))
        } else {
            deliver(.invalid(InvalidMIDI(.unterminatedSystemExclusive, bytes: [0xF0] + systemExclusive)))
        }
        systemExclusive = []
        systemExclusiveLength = 0
    }

    private mutating func flushStray(_ deliver: (MIDIMessage) -> Void) {
        guard !stray.isEmpty else { return }
        deliver(.invalid(InvalidMIDI(.dataWithoutStatus, bytes: stray)))
        stray = []
    }

    /// Up to three messages in order, kept in place (an array would allocate).
    private struct Held: Sendable {
        private var first: MIDIMessage?
        private var second: MIDIMessage?
        private var third: MIDIMessage?

        mutating func put(_ message: MIDIMessage) {
            if first == nil { first = message } else if second == nil { second = message } else { third = message }
        }

        mutating func take() -> MIDIMessage? {
            defer { (first, second, third) = (second, third, nil) }
            return first
        }
    }

    /// Data bytes after a status byte (channel messages and system common).
    static func dataLength(_ status: UInt8) -> Int {
        switch status {
        case 0xC0...0xDF, 0xF1, 0xF3: 1
        default: 2
        }
    }

    /// A whole message: the status and its one or two data bytes (`first` unused for one).
    private static func message(_ status: UInt8, _ first: UInt8, _ last: UInt8) -> MIDIMessage {
        let channel = Int(status & 0x0F)
        let one = dataLength(status) == 1
        let a = Int(one ? last : first), b = Int(last)
        switch status {
        case 0x80...0x8F: return .noteOff(channel: channel, note: a, velocity: b)
        case 0x90...0x9F: return .noteOn(channel: channel, note: a, velocity: b)
        case 0xA0...0xAF: return .polyphonicAftertouch(channel: channel, note: a, pressure: b)
        case 0xB0...0xBF: return .controlChange(channel: channel, controller: a, value: b)
        case 0xC0...0xCF: return .programChange(channel: channel, program: a)
        case 0xD0...0xDF: return .channelAftertouch(channel: channel, pressure: a)
        case 0xE0...0xEF: return .pitchBend(channel: channel, value: (b << 7 | a) - 8192)
        case 0xF1: return .timeCodeQuarterFrame(a)
        case 0xF2: return .songPosition(b << 7 | a)
        default: return .songSelect(a)
        }
    }
}
