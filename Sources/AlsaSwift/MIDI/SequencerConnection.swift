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
    }

    deinit { buffer.deallocate() }

    @discardableResult
    func ioctl<Record>(_ operation: PCMOperation, _ request: UInt, _ record: inout Record) throws(AlsaError) -> Int32 {
        try midi.file.ioctl(operation, request, &record)
    }

    // MARK: writing

    /// Writes whole event records, waiting (in poll) for room in this client's pool.
    func writeBlocking(_ records: [UInt8]) throws(AlsaError) {
        var offset = 0
        var waited = false
        while offset < records.count {
            let taken = try writeSome(records, from: offset)
            if taken == 0 {
                try checkStuck(waited)
                try midi.waitBlocking(for: POLLOUT, .sequencerWrite)
            }
            waited = taken == 0
            offset += taken
        }
    }

    /// Writes whole event records, suspending the task while this client's pool is full.
    nonisolated(nonsending) func write(_ records: [UInt8]) async throws(AlsaError) {
        var offset = 0
        var waited = false
        while offset < records.count {
            let taken = try writeSome(records, from: offset)
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

    private func writeSome(_ records: [UInt8], from offset: Int) throws(AlsaError) -> Int {
        try records.withUnsafeBytes { all in
            Result { () throws(AlsaError) in try midi.write(UnsafeRawBufferPointer(rebasing: all[offset...]), .sequencerWrite) }
        }.get()
    }

    // MARK: reading

    /// The events one read(2) gives now (none when nothing waits). An overflow the kernel reports
    /// (ENOSPC: events were lost, and the kernel emptied the queue) is counted in `overruns`.
    func readEvents() throws(AlsaError) -> [SequencerEvent] {
        let count: Int
        do {
            count = try midi.read(into: buffer, .sequencerRead)
        } catch {
            guard error.errno == .noSpace else { throw error }
            overruns += 1
            parsers.removeAll()
            return []
        }
        guard count > 0 else { return [] }
        var events: [SequencerEvent] = []
        for record in try SequencerRecords.records(in: UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
            var parser = parsers[record.source] ?? MIDIParser(systemExclusiveLimit: systemExclusiveLimit)
            let contents = SequencerRecords.content(of: record, parser: &parser)
            if record.type == ALSA_SEQ_EVENT_SYSEX {
                parsers[record.source] = parser.hasPendingMessage ? parser : nil
            }
            let time = SequencerRecords.time(of: record)
            for content in contents {
                events.append(SequencerEvent(content: content, source: record.source, destination: record.destination,
                                             time: time, queue: time == nil ? nil : record.queue))
            }
        }
        return events
    }
}
