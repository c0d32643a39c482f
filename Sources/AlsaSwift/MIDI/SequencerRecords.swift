import CAlsaKernel

/// The sequencer's event records (struct snd_seq_event, 28 bytes) to and from typed events. What
/// read(2) gives is parsed as untrusted bytes: a record that claims more data than the read holds
/// is a typed error, never a read past the buffer.
enum SequencerRecords {
    static let size = ALSA_SEQ_EVENT_SIZE
    /// The largest SysEx piece per event, as the kernel's MIDI drivers (virmidi, seq_midi) send:
    /// a whole SysEx in one event could outgrow a receiver's pool (200 cells of 28 bytes by default).
    static let systemExclusiveChunk = 256

    // MARK: reading

    /// One record as read: its fields, and views of its data in the read buffer (valid until the
    /// next read): nothing is copied, so reading a record allocates nothing.
    struct Record {
        var type: Int
        var flags: Int
        var queue: Int
        var tick: UInt32
        var seconds: UInt32
        var nanoseconds: UInt32
        var source: SequencerAddress
        var destination: SequencerAddress
        /// The 12-byte data union.
        var payload: UnsafeRawBufferPointer
        /// A variable-length event's data (empty for a fixed one).
        var variable: UnsafeRawBufferPointer

        func byte(_ index: Int) -> Int { Int(payload[index]) }
        // A load, not a fold over the bytes: a closure per word allocated in unoptimized builds.
        func word(_ index: Int) -> UInt32 { UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: index, as: UInt32.self)) }
        func signedWord(_ index: Int) -> Int { Int(Int32(bitPattern: word(index))) }
    }

    /// The record at `offset` in `bytes` (what one read(2) gave), moving `offset` past it and, for
    /// a variable one, past its data padded to 28-byte cells.
    static func record(in bytes: UnsafeRawBufferPointer, at offset: inout Int) throws(AlsaError) -> Record {
        guard offset >= 0, bytes.count - offset >= size else {
            throw AlsaError(.sequencerRead, .badMessage, context: "\(bytes.count - offset) bytes left over after \(offset) bytes of events")
        }
        let base = offset
        func byte(_ at: Int) -> UInt8 { bytes[base + at] }
        func word(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + at, as: UInt32.self)) }
        var record = Record(type: Int(byte(ALSA_SEQ_EVENT_OFFSET_TYPE)), flags: Int(byte(ALSA_SEQ_EVENT_OFFSET_FLAGS)),
                            queue: Int(byte(ALSA_SEQ_EVENT_OFFSET_QUEUE)), tick: word(ALSA_SEQ_EVENT_OFFSET_TIME),
                            seconds: word(ALSA_SEQ_EVENT_OFFSET_TIME), nanoseconds: word(ALSA_SEQ_EVENT_OFFSET_TIME + 4),
                            source: SequencerAddress(client: Int(byte(ALSA_SEQ_EVENT_OFFSET_SOURCE)), port: Int(byte(ALSA_SEQ_EVENT_OFFSET_SOURCE + 1))),
                            destination: SequencerAddress(client: Int(byte(ALSA_SEQ_EVENT_OFFSET_DEST)), port: Int(byte(ALSA_SEQ_EVENT_OFFSET_DEST + 1))),
                            payload: UnsafeRawBufferPointer(rebasing: bytes[(base + ALSA_SEQ_EVENT_OFFSET_DATA)..<(base + size)]),
                            variable: UnsafeRawBufferPointer(start: nil, count: 0))
        if record.flags & ALSA_SEQ_EVENT_LENGTH_MASK == ALSA_SEQ_EVENT_LENGTH_VARIABLE {
            let length = Int(record.word(0) & ALSA_SEQ_EXT_LENGTH_MASK)
            let padded = (length + size - 1) / size * size
            guard padded <= bytes.count - base - size else {
                throw AlsaError(.sequencerRead, .badMessage, context: "an event claims \(length) bytes of data; \(bytes.count - base - size) follow it")
            }
            record.variable = UnsafeRawBufferPointer(rebasing: bytes[(base + size)..<(base + size + length)])
            offset = base + size + padded
        } else {
            offset = base + size
        }
        return record
    }

    /// What a record carries, typed, for every record but a SysEx piece (see
    /// `systemExclusive(in:parser:)`): one event each, and nothing allocated.
    static func content(of record: Record) -> SequencerEvent.Content {
        let channel = record.byte(0) & 0x0F
        switch record.type {
        case ALSA_SEQ_EVENT_NOTEON:
            return .midi(.noteOn(channel: channel, note: record.byte(1) & 0x7F, velocity: record.byte(2) & 0x7F))
        case ALSA_SEQ_EVENT_NOTEOFF:
            return .midi(.noteOff(channel: channel, note: record.byte(1) & 0x7F, velocity: record.byte(2) & 0x7F))
        case ALSA_SEQ_EVENT_KEYPRESS:
            return .midi(.polyphonicAftertouch(channel: channel, note: record.byte(1) & 0x7F, pressure: record.byte(2) & 0x7F))
        case ALSA_SEQ_EVENT_CONTROLLER:
            return .midi(.controlChange(channel: channel, controller: Int(record.word(4) & 0x7F), value: record.signedWord(8) & 0x7F))
        case ALSA_SEQ_EVENT_PGMCHANGE:
            return .midi(.programChange(channel: channel, program: record.signedWord(8) & 0x7F))
        case ALSA_SEQ_EVENT_CHANPRESS:
            return .midi(.channelAftertouch(channel: channel, pressure: record.signedWord(8) & 0x7F))
        case ALSA_SEQ_EVENT_PITCHBEND:
            return .midi(.pitchBend(channel: channel, value: min(max(record.signedWord(8), -8192), 8191)))
        case ALSA_SEQ_EVENT_SONGPOS: return .midi(.songPosition(record.signedWord(8) & 0x3FFF))
        case ALSA_SEQ_EVENT_SONGSEL: return .midi(.songSelect(record.signedWord(8) & 0x7F))
        case ALSA_SEQ_EVENT_QFRAME: return .midi(.timeCodeQuarterFrame(record.signedWord(8) & 0x7F))
        case ALSA_SEQ_EVENT_START: return .midi(.start)
        case ALSA_SEQ_EVENT_CONTINUE: return .midi(.continue)
        case ALSA_SEQ_EVENT_STOP: return .midi(.stop)
        case ALSA_SEQ_EVENT_CLOCK: return .midi(.clock)
        case ALSA_SEQ_EVENT_TUNE_REQUEST: return .midi(.tuneRequest)
        case ALSA_SEQ_EVENT_RESET: return .midi(.systemReset)
        case ALSA_SEQ_EVENT_SENSING: return .midi(.activeSensing)
        case ALSA_SEQ_EVENT_CLIENT_START: return .change(.clientAdded(record.byte(0)))
        case ALSA_SEQ_EVENT_CLIENT_EXIT: return .change(.clientRemoved(record.byte(0)))
        case ALSA_SEQ_EVENT_CLIENT_CHANGE: return .change(.clientChanged(record.byte(0)))
        case ALSA_SEQ_EVENT_PORT_START: return .change(.portAdded(address(record, 0)))
        case ALSA_SEQ_EVENT_PORT_EXIT: return .change(.portRemoved(address(record, 0)))
        case ALSA_SEQ_EVENT_PORT_CHANGE: return .change(.portChanged(address(record, 0)))
        case ALSA_SEQ_EVENT_PORT_SUBSCRIBED: return .change(.connected(from: address(record, 0), to: address(record, 2)))
        case ALSA_SEQ_EVENT_PORT_UNSUBSCRIBED: return .change(.disconnected(from: address(record, 0), to: address(record, 2)))
        default:
            return .other(type: record.type)
        }
    }

    /// The messages a SysEx piece completes, through `parser` (one per source, so that pieces from
    /// different senders never mix): a SysEx comes out once whole. Its payload is an array, so
    /// this allocates.
    static func systemExclusive(in record: Record, parser: inout MIDIParser) -> [MIDIMessage] {
        parser.parse(record.variable)
    }

    private static func address(_ record: Record, _ at: Int) -> SequencerAddress {
        SequencerAddress(client: record.byte(at), port: record.byte(at + 1))
    }

    /// The queue time a record carries, when it was scheduled on or stamped by a queue.
    static func time(of record: Record) -> SequencerTime? {
        guard record.queue != ALSA_SEQ_QUEUE_DIRECT else { return nil }
        if record.flags & ALSA_SEQ_TIME_STAMP_REAL != 0 {
            return .real(.seconds(Int(record.seconds)) + .nanoseconds(Int(record.nanoseconds)))
        }
        return .tick(Int(record.tick))
    }

    // MARK: writing

    /// The records that send `message` from `source`, to `destination` (nil: the source's
    /// subscribers), at once or on `schedule`: each SysEx in pieces of at most 256 bytes.
    static func encode(_ message: MIDIMessage, from source: SequencerAddress, to destination: SequencerAddress?,
                       schedule: SequencerSchedule?, into bytes: inout [UInt8]) throws(AlsaError) {
        guard case .systemExclusive = message else {
            // Encoded apart and appended once whole, as the SysEx pieces below: a message out of
            // range leaves `bytes` as it was.
            var record = [UInt8](repeating: 0, count: size)
            try record.withUnsafeMutableBytes { record in
                Result { () throws(AlsaError) in try encodeEvent(message, from: source, to: destination, schedule: schedule, into: record) }
            }.get()
            bytes += record
            return
        }
        // The range checks of the wire encoding apply to events too.
        let wire = try message.bytes()
        var start = 0
        while start < wire.count {
            let piece = Array(wire[start..<min(start + systemExclusiveChunk, wire.count)])
            var record = [UInt8](repeating: 0, count: size)
            try record.withUnsafeMutableBytes { record in
                Result { () throws(AlsaError) in
                    try write(type: ALSA_SEQ_EVENT_SYSEX, variableLength: piece.count, source: source, destination: destination,
                              schedule: schedule, into: record) { _ in }
                }
            }.get()
            bytes += record
            bytes += piece
            start += piece.count
        }
    }

    /// The one fixed-length record that sends `message` (anything but SysEx) into `record` (28
    /// bytes), without allocating.
    static func encodeEvent(_ message: MIDIMessage, from source: SequencerAddress, to destination: SequencerAddress?,
                            schedule: SequencerSchedule?, into record: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        // The range checks of the wire encoding apply to events too.
        try MIDIEncoder.check(message)
        func fixed(_ type: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(AlsaError) {
            try write(type: type, variableLength: nil, source: source, destination: destination, schedule: schedule, into: record, payload: fill)
        }
        func note(_ type: Int, _ channel: Int, _ note: Int, _ velocity: Int) throws(AlsaError) {
            try fixed(type) { $0[0] = UInt8(channel); $0[1] = UInt8(note); $0[2] = UInt8(velocity) }
        }
        func control(_ type: Int, _ channel: Int, parameter: Int, value: Int) throws(AlsaError) {
            try fixed(type) { payload in
                payload[0] = UInt8(channel)
                store(UInt32(parameter), at: 4, in: payload)
                store(UInt32(bitPattern: Int32(value)), at: 8, in: payload)
            }
        }
        switch message {
        case .noteOn(let channel, let key, let velocity): try note(ALSA_SEQ_EVENT_NOTEON, channel, key, velocity)
        case .noteOff(let channel, let key, let velocity): try note(ALSA_SEQ_EVENT_NOTEOFF, channel, key, velocity)
        case .polyphonicAftertouch(let channel, let key, let pressure): try note(ALSA_SEQ_EVENT_KEYPRESS, channel, key, pressure)
        case .controlChange(let channel, let controller, let value):
            try control(ALSA_SEQ_EVENT_CONTROLLER, channel, parameter: controller, value: value)
        case .programChange(let channel, let program): try control(ALSA_SEQ_EVENT_PGMCHANGE, channel, parameter: 0, value: program)
        case .channelAftertouch(let channel, let pressure): try control(ALSA_SEQ_EVENT_CHANPRESS, channel, parameter: 0, value: pressure)
        case .pitchBend(let channel, let value): try control(ALSA_SEQ_EVENT_PITCHBEND, channel, parameter: 0, value: value)
        case .songPosition(let beats): try control(ALSA_SEQ_EVENT_SONGPOS, 0, parameter: 0, value: beats)
        case .songSelect(let song): try control(ALSA_SEQ_EVENT_SONGSEL, 0, parameter: 0, value: song)
        case .timeCodeQuarterFrame(let value): try control(ALSA_SEQ_EVENT_QFRAME, 0, parameter: 0, value: value)
        case .tuneRequest: try fixed(ALSA_SEQ_EVENT_TUNE_REQUEST) { _ in }
        case .clock: try fixed(ALSA_SEQ_EVENT_CLOCK) { _ in }
        case .start: try fixed(ALSA_SEQ_EVENT_START) { _ in }
        case .continue: try fixed(ALSA_SEQ_EVENT_CONTINUE) { _ in }
        case .stop: try fixed(ALSA_SEQ_EVENT_STOP) { _ in }
        case .activeSensing: try fixed(ALSA_SEQ_EVENT_SENSING) { _ in }
        case .systemReset: try fixed(ALSA_SEQ_EVENT_RESET) { _ in }
        case .systemExclusive:
            throw AlsaError(.midiMessage, .invalidArgument, context: "a system exclusive message takes records of variable length")
        case .invalid:
            throw AlsaError(.midiMessage, .invalidArgument, context: "bytes that make no MIDI message cannot be sent as a sequencer event")
        }
    }

    /// A queue control event (START, STOP, CONTINUE) for `queue`, to the System Timer port, at once.
    static func queueControl(_ type: Int, queue: Int, client: Int, into bytes: inout [UInt8]) throws(AlsaError) {
        var record = [UInt8](repeating: 0, count: size)
        try record.withUnsafeMutableBytes { record in
            Result { () throws(AlsaError) in
                try write(type: type, variableLength: nil, source: SequencerAddress(client: client, port: 0), destination: .systemTimer,
                          schedule: nil, into: record) { $0[0] = UInt8(truncatingIfNeeded: queue) }
            }
        }.get()
        bytes += record
    }

    /// One record's 28 bytes into `record`: its header, `payload` filling the 12-byte data union
    /// (zeroed first), and for a variable event the length of the data that follows it.
    private static func write(type: Int, variableLength: Int?, source: SequencerAddress, destination: SequencerAddress?,
                              schedule: SequencerSchedule?, into record: UnsafeMutableRawBufferPointer,
                              payload: (UnsafeMutableRawBufferPointer) -> Void) throws(AlsaError) {
        let record = UnsafeMutableRawBufferPointer(rebasing: record[..<size])
        record.initializeMemory(as: UInt8.self, repeating: 0)
        var flags = 0
        record[ALSA_SEQ_EVENT_OFFSET_TYPE] = UInt8(type)
        record[ALSA_SEQ_EVENT_OFFSET_QUEUE] = UInt8(ALSA_SEQ_QUEUE_DIRECT)
        if let schedule {
            guard (0...253).contains(schedule.queue) else {
                throw AlsaError(.sequencerWrite, .invalidArgument, context: "queue \(schedule.queue) is out of range")
            }
            record[ALSA_SEQ_EVENT_OFFSET_QUEUE] = UInt8(schedule.queue)
            if schedule.relative { flags |= ALSA_SEQ_TIME_MODE_REL }
            switch schedule.time {
            case .tick(let tick):
                guard let value = UInt32(exactly: tick) else {
                    throw AlsaError(.sequencerWrite, .invalidArgument, context: "tick \(tick) is out of range (0-\(UInt32.max))")
                }
                store(value, at: ALSA_SEQ_EVENT_OFFSET_TIME, in: record)
            case .real(let duration):
                flags |= ALSA_SEQ_TIME_STAMP_REAL
                let (seconds, attoseconds) = duration.components
                guard let whole = UInt32(exactly: seconds), attoseconds >= 0 else {
                    throw AlsaError(.sequencerWrite, .invalidArgument, context: "time \(duration) is out of range (0 to \(UInt32.max) s)")
                }
                store(whole, at: ALSA_SEQ_EVENT_OFFSET_TIME, in: record)
                store(UInt32(attoseconds / 1_000_000_000), at: ALSA_SEQ_EVENT_OFFSET_TIME + 4, in: record)
            }
        }
        let from = try source.record(.sequencerWrite)
        record[ALSA_SEQ_EVENT_OFFSET_SOURCE] = from.client
        record[ALSA_SEQ_EVENT_OFFSET_SOURCE + 1] = from.port
        if let destination {
            let to = try destination.record(.sequencerWrite)
            record[ALSA_SEQ_EVENT_OFFSET_DEST] = to.client
            record[ALSA_SEQ_EVENT_OFFSET_DEST + 1] = to.port
        } else {
            record[ALSA_SEQ_EVENT_OFFSET_DEST] = UInt8(ALSA_SEQ_ADDRESS_SUBSCRIBERS)
            record[ALSA_SEQ_EVENT_OFFSET_DEST + 1] = UInt8(ALSA_SEQ_ADDRESS_UNKNOWN)
        }
        payload(UnsafeMutableRawBufferPointer(rebasing: record[ALSA_SEQ_EVENT_OFFSET_DATA..<size]))
        if let variableLength {
            flags |= ALSA_SEQ_EVENT_LENGTH_VARIABLE
            store(UInt32(variableLength), at: ALSA_SEQ_EVENT_OFFSET_DATA, in: record)
        }
        record[ALSA_SEQ_EVENT_OFFSET_FLAGS] = UInt8(flags)
    }

    private static func store(_ value: UInt32, at offset: Int, in bytes: UnsafeMutableRawBufferPointer) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}
