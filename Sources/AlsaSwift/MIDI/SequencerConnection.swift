import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One open /dev/snd/seq: a sequencer client. What `Sequencer` and its queues share: the file,
/// its ioctls, the writing of event records and the reading of them into typed events.
final class SequencerConnection {
    let midi: MIDIFile<SequencerEvent>
    let client: Int
    /// Room for one read(2). The kernel hands out only whole events and a variable one only with
    /// all its data; a FIFO of at most 2000 cells (what this client asks for) holds 56 000 bytes,
    /// so every event the kernel can queue for it fits. Allocated last in `init`, once nothing can
    /// throw: a throwing initializer runs no `deinit`, so an earlier allocation would leak.
    private let buffer: UnsafeMutableRawBufferPointer
    /// The bytes the last read(2) put in `buffer`, and how many of them are decoded: events are
    /// handed out one at a time, never gathered in an array.
    private var readCount = 0
    private var decoded = 0
    /// Messages one SysEx piece completed beyond the first, not yet handed out.
    private var completed: [SequencerEvent] = []
    /// The one fixed-length record a message is sent in, kept from the open; allocated last in
    /// `init` with `buffer`, for the same reason.
    private let record: UnsafeMutableRawBufferPointer
    /// SysEx pieces being joined, per sender.
    private var parsers: [SequencerAddress: MIDIParser] = [:]
    private let systemExclusiveLimit: Int
    /// How many times the kernel reported that this client's queue overflowed (ENOSPC).
    private(set) var overruns = 0

    init(kernel: any KernelInterface, systemExclusiveLimit: Int) throws(AlsaError) {
        midi = try MIDIFile(path: "/dev/snd/seq", flags: O_RDWR, kernel: kernel)
        self.systemExclusiveLimit = systemExclusiveLimit
        var version: Int32 = 0
        try midi.file.ioctl(.sequencerVersion, ALSA_IOCTL_SEQ_PVERSION, &version)
        guard version >> 16 == 1 else {
            throw AlsaError(.sequencerVersion, .protocolNotSupported, context: "sequencer protocol \(version >> 16).\(version >> 8 & 0xFF) is not 1.x")
        }
        var number: Int32 = -1
        try midi.file.ioctl(.sequencerClientID, ALSA_IOCTL_SEQ_CLIENT_ID, &number)
        guard (0...255).contains(number) else {
            throw AlsaError(.sequencerClientID, .ioError, context: "the kernel named this client \(number)")
        }
        client = Int(number)
        buffer = .allocate(byteCount: 64 * 1024, alignment: 8)
        record = .allocate(byteCount: SequencerRecords.size, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        record.deallocate()
    }

    @discardableResult
    func ioctl<Record>(_ operation: PCMOperation, _ request: UInt, _ record: inout Record) throws(AlsaError) -> Int32 {
        try midi.file.ioctl(operation, request, &record)
    }

    // MARK: writing

    /// Sends `message` (anything but SysEx) in the record kept for it: allocates nothing.
    func sendBlocking(_ message: MIDIMessage, from port: SequencerAddress, to destination: SequencerAddress?,
                      schedule: SequencerSchedule?) throws(AlsaError) {
        try SequencerRecords.encodeEvent(message, from: port, to: destination, schedule: schedule, into: record)
        try writeBlocking(UnsafeRawBufferPointer(record))
    }

    /// `sendBlocking`, suspending the task while this client's pool is full.
    nonisolated(nonsending) func send(_ message: MIDIMessage, from port: SequencerAddress, to destination: SequencerAddress?,
                                      schedule: SequencerSchedule?) async throws(AlsaError) {
        try SequencerRecords.encodeEvent(message, from: port, to: destination, schedule: schedule, into: record)
        try await write(UnsafeRawBufferPointer(record))
    }

    /// Writes whole event records, waiting (in poll) for room in this client's pool.
    func writeBlocking(_ records: [UInt8]) throws(AlsaError) {
        try writeAllBlocking(count: records.count) { offset throws(AlsaError) in
            try records.withUnsafeBytes { all in Result { () throws(AlsaError) in try writeSome(all, from: offset) } }.get()
        }
    }

    /// `writeBlocking` for records in storage the caller keeps.
    func writeBlocking(_ records: UnsafeRawBufferPointer) throws(AlsaError) {
        try writeAllBlocking(count: records.count) { offset throws(AlsaError) in try writeSome(records, from: offset) }
    }

    /// Writes whole event records, suspending the task while this client's pool is full.
    nonisolated(nonsending) func write(_ records: [UInt8]) async throws(AlsaError) {
        try await writeAll(count: records.count) { offset throws(AlsaError) in
            try records.withUnsafeBytes { all in Result { () throws(AlsaError) in try writeSome(all, from: offset) } }.get()
        }
    }

    /// `write` for records in storage the caller keeps (and leaves alone until it returns).
    nonisolated(nonsending) func write(_ records: UnsafeRawBufferPointer) async throws(AlsaError) {
        try await writeAll(count: records.count) { offset throws(AlsaError) in try writeSome(records, from: offset) }
    }

    /// `count` bytes through `writeSome` (which writes from an offset and says how many the
    /// kernel took), waiting in poll(2) for room.
    private func writeAllBlocking(count: Int, _ writeSome: (Int) throws(AlsaError) -> Int) throws(AlsaError) {
        var offset = 0
        var waited = false
        while offset < count {
            let taken = try writeSome(offset)
            if taken == 0 {
                try checkStuck(waited)
                try midi.waitBlocking(for: POLLOUT, .sequencerWrite)
            }
            waited = taken == 0
            offset += taken
        }
    }

    /// `writeAllBlocking`, suspending the task while this client's pool is full.
    nonisolated(nonsending) private func writeAll(count: Int, _ writeSome: (Int) throws(AlsaError) -> Int) async throws(AlsaError) {
        var offset = 0
        var waited = false
        while offset < count {
            let taken = try writeSome(offset)
            if taken == 0 {
                try checkStuck(waited)
                try await midi.queue.waitWritable(.sequencerWrite)
            }
            waited = taken == 0
            offset += taken
        }
    }

    /// EAGAIN right after poll said there is room is not this client's pool but a receiver's
    /// full queue: the kernel dropped the event there. Waiting again would spin; it is reported.
    private func checkStuck(_ waited: Bool) throws(AlsaError) {
        guard waited else { return }
        throw AlsaError(.sequencerWrite, .resourceTemporarilyUnavailable,
                        context: "a receiving client's queue is full (it reads too slowly); the event was not delivered")
    }

    private func writeSome(_ records: UnsafeRawBufferPointer, from offset: Int) throws(AlsaError) -> Int {
        try midi.write(UnsafeRawBufferPointer(rebasing: records[offset...]), .sequencerWrite)
    }

    // MARK: reading

    /// The events waiting now, without waiting: those read before, then those of one read(2).
    func available() throws(AlsaError) -> [SequencerEvent] {
        var events: [SequencerEvent] = []
        while let event = try nextDecoded() { events.append(event) }
        guard try readMore() else { return events }
        while let event = try nextDecoded() { events.append(event) }
        return events
    }

    /// One read(2) and the first event it gives; nil when none.
    func readNext() throws(AlsaError) -> SequencerEvent? {
        guard try readMore() else { return nil }
        return try nextDecoded()
    }

    /// The next event from what was read before; nil once it is used up. A record the kernel
    /// should not have sent (cut short, or claiming more data than the read holds) is a typed
    /// error, and the rest of that read is dropped with it.
    func nextDecoded() throws(AlsaError) -> SequencerEvent? {
        if !completed.isEmpty { return completed.removeFirst() }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<readCount])
        while decoded < readCount {
            let record: SequencerRecords.Record
            do {
                record = try SequencerRecords.record(in: bytes, at: &decoded)
            } catch {
                decoded = readCount
                throw error
            }
            let time = SequencerRecords.time(of: record)
            func event(_ content: SequencerEvent.Content) -> SequencerEvent {
                SequencerEvent(content: content, source: record.source, destination: record.destination,
                               time: time, queue: time == nil ? nil : record.queue)
            }
            guard record.type == ALSA_SEQ_EVENT_SYSEX else { return event(SequencerRecords.content(of: record)) }
            var parser = parsers[record.source] ?? MIDIParser(systemExclusiveLimit: systemExclusiveLimit)
            let messages = SequencerRecords.systemExclusive(in: record, parser: &parser)
            parsers[record.source] = parser.hasPendingMessage ? parser : nil
            guard let first = messages.first else { continue }
            completed = messages.dropFirst().map { event(.midi($0)) }
            return event(.midi(first))
        }
        return nil
    }

    /// One read(2) into `buffer`, whose events must be used up: false when nothing waits. An
    /// overflow the kernel reports (ENOSPC: events were lost, and the kernel emptied the queue)
    /// is counted in `overruns`.
    private func readMore() throws(AlsaError) -> Bool {
        let count: Int
        do {
            count = try midi.read(into: buffer, .sequencerRead)
        } catch {
            guard error.errno == .noSpace else { throw error }
            overruns += 1
            parsers.removeAll()
            readCount = 0
            decoded = 0
            return false
        }
        readCount = count
        decoded = 0
        return count > 0
    }
}
