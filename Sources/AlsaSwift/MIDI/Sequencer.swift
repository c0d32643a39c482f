import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A client of the ALSA sequencer (`/dev/snd/seq`): ports that send and receive typed events,
/// connections between any clients' ports (as aconnect makes them), the listing of every client
/// and port (as `aconnect -l` shows it), queues with tempo and PPQ that deliver events at a time
/// in ticks or real time, and the incoming events as an `AsyncSequence`.
///
/// ```swift
/// let sequencer = try Sequencer(name: "My Synth")
/// let input = try sequencer.createPort(name: "in", capabilities: .input)
/// try sequencer.connect(from: SequencerAddress(client: 20, port: 0), to: input)   // a keyboard
/// for try await event in sequencer.events { print(event.message ?? "other event") }
/// ```
///
/// It speaks the kernel's sequencer ioctls and event records itself, through the kernel seam like
/// every other device here, rather than through alsa-lib's `snd_seq`: one door to the kernel, so
/// the simulated kernel serves it in tests and the poll reactor waits for it with the streams; no
/// alsa-lib buffer between the app and the kernel (alsa-lib's output buffer needs an explicit
/// drain, its input buffer a second poll); and alsa-lib's `hw` sequencer is these same ioctls.
///
/// Every call that waits has a blocking form, named `…Blocking`, and an `async` one that suspends
/// the task on the kernel's poll reactor. The client leaves the sequencer (its ports,
/// connections and queues go with it) when the object goes away. One task at a time should use it.
public final class Sequencer {
    /// This client's number.
    public var client: Int { connection.client }
    /// How many times the kernel reported that this client's queue of incoming events
    /// overflowed, losing events (it is emptied then; reading resumes with what comes next).
    public var overruns: Int { connection.overruns }

    let connection: SequencerConnection

    /// Opens a client named `name` (what `aconnect -l` shows). SysEx messages longer than
    /// `systemExclusiveLimit` are dropped as they arrive and reported as `.invalid`.
    public init(name: String = "AlsaSwift", systemExclusiveLimit: Int = MIDIParser.defaultSystemExclusiveLimit,
                kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        connection = try SequencerConnection(kernel: kernel, systemExclusiveLimit: systemExclusiveLimit)
        try rename(name)
        // Larger pools than the kernel's 500 and 200 cells, as PipeWire takes: bursts and SysEx
        // pieces then fit. Sizes the kernel refuses are left as they were.
        var pool = alsa_seq_client_pool()
        pool.client = Int32(client)
        pool.output_pool = 2000
        pool.input_pool = 2000
        pool.output_room = 1
        try connection.ioctl(.sequencerClientPool, ALSA_IOCTL_SEQ_SET_CLIENT_POOL, &pool)
    }

    /// Renames this client.
    public func rename(_ name: String) throws(AlsaError) {
        var info = alsa_seq_client_info()
        info.client = Int32(client)
        try connection.ioctl(.sequencerClientInfo, ALSA_IOCTL_SEQ_GET_CLIENT_INFO, &info)
        try SequencerNames.store(name, in: &info.name, .sequencerSetClientInfo)
        try connection.ioctl(.sequencerSetClientInfo, ALSA_IOCTL_SEQ_SET_CLIENT_INFO, &info)
    }

    // MARK: ports

    /// Creates a port of this client: `.input` for one others send to, `.output` for one others
    /// receive from, or both. With `timestamps`, every event arriving at the port carries that
    /// queue's real time.
    public func createPort(name: String, capabilities: SequencerPortCapabilities,
                           types: SequencerPortTypes = [.midiGeneric, .application],
                           timestamps queue: SequencerQueue? = nil) throws(AlsaError) -> SequencerAddress {
        var info = alsa_seq_port_info()
        info.addr.client = UInt8(client)
        try SequencerNames.store(name, in: &info.name, .sequencerCreatePort)
        info.capability = UInt32(truncatingIfNeeded: capabilities.rawValue)
        info.type = UInt32(truncatingIfNeeded: types.rawValue)
        info.midi_channels = 16
        if let queue {
            info.flags = UInt32(ALSA_SEQ_PORT_FLG_TIMESTAMP | ALSA_SEQ_PORT_FLG_TIME_REAL)
            info.time_queue = UInt8(truncatingIfNeeded: queue.id)
        }
        try connection.ioctl(.sequencerCreatePort, ALSA_IOCTL_SEQ_CREATE_PORT, &info)
        return SequencerAddress(client: client, port: Int(info.addr.port))
    }

    /// Deletes one of this client's ports; its connections go with it.
    public func deletePort(_ port: SequencerAddress) throws(AlsaError) {
        var info = alsa_seq_port_info()
        info.addr = try port.record(.sequencerDeletePort)
        try connection.ioctl(.sequencerDeletePort, ALSA_IOCTL_SEQ_DELETE_PORT, &info)
    }

    // MARK: connections

    /// Connects two ports, of this or any other clients (as `aconnect SENDER RECEIVER` does):
    /// every event `sender` sends to its subscribers reaches `receiver`. A connection that exists
    /// already is `.busy`; a port that may not be connected is `.permissionDenied`.
    public func connect(from sender: SequencerAddress, to receiver: SequencerAddress) throws(AlsaError) {
        var subscription = try Self.subscription(sender, receiver, .sequencerSubscribe)
        try connection.ioctl(.sequencerSubscribe, ALSA_IOCTL_SEQ_SUBSCRIBE_PORT, &subscription)
    }

    /// Undoes a connection (as `aconnect -d`); one that does not exist is `.noSuchDevice` (ENOENT).
    public func disconnect(from sender: SequencerAddress, to receiver: SequencerAddress) throws(AlsaError) {
        var subscription = try Self.subscription(sender, receiver, .sequencerUnsubscribe)
        try connection.ioctl(.sequencerUnsubscribe, ALSA_IOCTL_SEQ_UNSUBSCRIBE_PORT, &subscription)
    }

    private static func subscription(_ sender: SequencerAddress, _ receiver: SequencerAddress,
                                     _ operation: PCMOperation) throws(AlsaError) -> alsa_seq_port_subscribe {
        var subscription = alsa_seq_port_subscribe()
        subscription.sender = try sender.record(operation)
        subscription.dest = try receiver.record(operation)
        return subscription
    }

    // MARK: sending

    /// Sends `message` from this client's port `port`: to its subscribers, or to `destination`;
    /// at once, or on `schedule`. Waits (in poll) while this client's pool is full. A message
    /// out of range sends nothing.
    /// Allocates nothing but for a SysEx message, which goes as an array of records.
    public func sendBlocking(_ message: MIDIMessage, from port: SequencerAddress, to destination: SequencerAddress? = nil,
                             schedule: SequencerSchedule? = nil) throws(AlsaError) {
        guard case .systemExclusive = message else {
            try checkPort(port)
            return try connection.sendBlocking(message, from: port, to: destination, schedule: schedule)
        }
        try connection.writeBlocking(systemExclusiveRecords(message, from: port, to: destination, schedule: schedule))
    }

    /// `sendBlocking`, suspending the task (not a thread) while this client's pool is full.
    nonisolated(nonsending) public func send(_ message: MIDIMessage, from port: SequencerAddress, to destination: SequencerAddress? = nil,
                                             schedule: SequencerSchedule? = nil) async throws(AlsaError) {
        guard case .systemExclusive = message else {
            try checkPort(port)
            return try await connection.send(message, from: port, to: destination, schedule: schedule)
        }
        try await connection.write(systemExclusiveRecords(message, from: port, to: destination, schedule: schedule))
    }

    private func checkPort(_ port: SequencerAddress) throws(AlsaError) {
        guard port.client == client else {
            throw AlsaError(.sequencerWrite, .invalidArgument, context: "\(port) is not a port of this client (\(client))")
        }
    }

    /// The records of a SysEx message, in pieces the kernel's MIDI drivers take.
    private func systemExclusiveRecords(_ message: MIDIMessage, from port: SequencerAddress, to destination: SequencerAddress?,
                         schedule: SequencerSchedule?) throws(AlsaError) -> [UInt8] {
        try checkPort(port)
        var records: [UInt8] = []
        try SequencerRecords.encode(message, from: port, to: destination, schedule: schedule, into: &records)
        return records
    }

    // MARK: receiving

    /// The events waiting now, without waiting; empty when there are none.
    public func available() throws(AlsaError) -> [SequencerEvent] { try connection.available() }

    /// The next events: waits (in poll) until at least one has arrived.
    public func receiveBlocking() throws(AlsaError) -> [SequencerEvent] {
        while true {
            let events = try available()
            if !events.isEmpty { return events }
            try connection.midi.waitBlocking(for: POLLIN, .sequencerRead)
        }
    }

    /// The next events, suspending the task until at least one has arrived; empty when the task
    /// is cancelled.
    nonisolated(nonsending) public func receive() async throws(AlsaError) -> [SequencerEvent] {
        guard let first = try await next() else { return [] }
        return [first] + (try available())
    }

    /// The next event, suspending the task until one arrives; nil when the task is cancelled.
    /// Allocates nothing for an event other than a SysEx message.
    nonisolated(nonsending) public func next() async throws(AlsaError) -> SequencerEvent? {
        try await connection.midi.queue.next(kept: { () throws(AlsaError) in try connection.nextDecoded() },
                                             read: { () throws(AlsaError) in try connection.readNext() })
    }

    /// The next event, the calling thread sleeping in poll(2) until one arrives; nil when
    /// `timeout` (nil: no limit) passes first. Allocates nothing for an event other than a SysEx
    /// message: the call for a synth's MIDI input thread.
    public func nextBlocking(timeout: Duration? = nil) throws(AlsaError) -> SequencerEvent? {
        try connection.midi.queue.nextBlocking(timeout: timeout, kept: { () throws(AlsaError) in try connection.nextDecoded() },
                                               read: { () throws(AlsaError) in try connection.readNext() })
    }

    /// The events arriving at this client's ports, as an `AsyncSequence` served by the kernel's
    /// poll reactor. It ends (nil) when the task is cancelled.
    public var events: SequencerEvents { SequencerEvents(sequencer: self) }

    // MARK: queues

    /// A new queue owned by this client (tempo 120 quarter notes a minute, 96 ticks each, until
    /// set), stopped. It is deleted when the object goes away.
    public func makeQueue(name: String = "AlsaSwift") throws(AlsaError) -> SequencerQueue {
        var info = alsa_seq_queue_info()
        info.owner = Int32(client)
        alsa_seq_queue_info_set_locked(&info, 1)
        try SequencerNames.store(name, in: &info.name, .sequencerCreateQueue)
        try connection.ioctl(.sequencerCreateQueue, ALSA_IOCTL_SEQ_CREATE_QUEUE, &info)
        return SequencerQueue(id: Int(info.queue), connection: connection)
    }
}

/// The events arriving at a sequencer client's ports, as an `AsyncSequence` (see
/// `Sequencer.events`).
public struct SequencerEvents: AsyncSequence {
    public typealias Element = SequencerEvent
    public typealias Failure = AlsaError
    let sequencer: Sequencer

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AlsaError
        let sequencer: Sequencer

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AlsaError) -> SequencerEvent? {
            try await sequencer.next()
        }

        nonisolated(nonsending) public mutating func next() async throws(AlsaError) -> SequencerEvent? {
            try await sequencer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequencer: sequencer) }
}

/// Names in the sequencer's fixed 64-byte fields.
enum SequencerNames {
    /// `name` into a C char array, refused (not cut) when it does not fit with its terminator.
    static func store<T>(_ name: String, in field: inout T, _ operation: PCMOperation) throws(AlsaError) {
        let bytes = Array(name.utf8)
        let capacity = MemoryLayout<T>.size
        guard bytes.count < capacity, !bytes.contains(0) else {
            throw AlsaError(operation, .invalidArgument, context: "the name \"\(name)\" is longer than \(capacity - 1) bytes or holds a NUL")
        }
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
    }
}
