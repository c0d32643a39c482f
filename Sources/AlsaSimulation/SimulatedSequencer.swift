import CAlsaKernel
import SystemPackage

/// A port of a simulated sequencer client.
final class SequencerPortState {
    let client: Int
    let port: Int
    var name: String
    var capability: Int
    var type: Int
    var midiChannels: Int
    /// Events arriving here are stamped with this queue's time (FLG_TIMESTAMP), in real time
    /// with FLG_TIME_REAL.
    var timestampQueue: Int?
    var timestampReal = false

    init(client: Int, port: Int, name: String, capability: Int, type: Int, midiChannels: Int = 16) {
        self.client = client
        self.port = port
        self.name = name
        self.capability = capability
        self.type = type
        self.midiChannels = midiChannels
    }
}

/// A simulated sequencer client: a user client (one open /dev/snd/seq) or a kernel client.
final class SequencerClientState {
    let number: Int
    var name: String
    let isKernel: Bool
    var ports: [Int: SequencerPortState] = [:]
    /// User clients: the events delivered and not yet read, and the pool they use (in cells).
    var fifo: [SimulatedSequencerEvent] = []
    var inputPool = 200
    var outputPool = 500
    /// Events did not fit: the next read fails with ENOSPC and empties the FIFO.
    var overflow = false
    var lost = 0
    var filter: UInt32 = 0
    var eventFilter = [UInt8](repeating: 0, count: 32)
    /// Kernel clients only: a port that passes what it receives on to its subscribers (Midi Through).
    var through = false

    init(number: Int, name: String, isKernel: Bool) {
        self.number = number
        self.name = name
        self.isKernel = isKernel
    }

    var fifoCells: Int { fifo.reduce(0) { $0 + $1.cells } }
}

/// A subscription: events from `sender` go to `destination`.
struct SequencerSubscription: Equatable {
    var sender: SequencerAddressKey
    var destination: SequencerAddressKey
    var flags: Int
    var queue: Int
}

/// A client:port pair as a dictionary key.
struct SequencerAddressKey: Hashable, Comparable {
    var client: Int
    var port: Int
    static func < (a: Self, b: Self) -> Bool { (a.client, a.port) < (b.client, b.port) }
}

/// A simulated queue: its tempo, and its position in real time and in ticks, on the machine's
/// clock.
final class SequencerQueueState {
    let id: Int
    let owner: Int
    var name: String
    var locked: Bool
    /// Microseconds per quarter note, and ticks per quarter note.
    var tempo = 500_000
    var ppq = 96
    var running = false
    /// Queue time (ns) and tick at the last start, tempo change or position set.
    var baseTime = 0
    var baseTick = 0
    /// The machine's clock when the queue last started running (or its base was moved while running).
    var since = 0
    /// Scheduled events, in the order they were written; dispatched when their time comes.
    var pending: [SimulatedSequencerEvent] = []

    init(id: Int, owner: Int, name: String, locked: Bool) {
        self.id = id
        self.owner = owner
        self.name = name
        self.locked = locked
    }

    /// Queue time, in nanoseconds, when the machine's clock reads `now`.
    func time(at now: Int) -> Int { running ? baseTime + (now - since) : baseTime }
    /// Queue tick when the machine's clock reads `now`.
    func tick(at now: Int) -> Int { baseTick + (time(at: now) - baseTime) * ppq / (tempo * 1000) }

    /// Moves the base to `now`, so that a change of tempo applies from here on.
    func rebase(at now: Int) {
        baseTick = tick(at: now)
        baseTime = time(at: now)
        since = now
    }

    /// The machine's clock reading at which the queue reaches `event`'s time, if it is running.
    func dueTime(of event: SimulatedSequencerEvent, now: Int) -> Int? {
        guard running else { return nil }
        // Rounded up, so that the tick has been reached at the time given.
        let ticks = Int(event.tick) - baseTick
        let queueTime = event.isRealTime ? event.realTime : baseTime + (ticks * tempo * 1000 + ppq - 1) / ppq
        return max(now, since + (queueTime - baseTime))
    }

    func isDue(_ event: SimulatedSequencerEvent, now: Int) -> Bool {
        guard running else { return false }
        return event.isRealTime ? event.realTime <= time(at: now) : Int(event.tick) <= tick(at: now)
    }
}

/// The ALSA sequencer core (sound/core/seq, 6.1) as the simulated kernel models it: clients and
/// their ports, subscriptions, queues on the machine's clock, delivery into the readers' FIFOs, and the
/// System client's announcements. The kernel clients of a machine with snd-seq-dummy are there
/// from the start: 0 "System" (0:0 Timer, 0:1 Announce) and 14 "Midi Through". Used under the
/// kernel's lock.
final class SimulatedSequencer {
    var clients: [Int: SequencerClientState] = [:]
    var subscriptions: [SequencerSubscription] = []
    var queues: [Int: SequencerQueueState] = [:]
    /// The machine's clock, the one PCM positions and timers run on: the queues keep time by it.
    /// Time passes only through the kernel (`SimulatedKernel.passTime`), which sends out what falls
    /// due on the way.
    private let clock: SimulatedClock
    /// The machine's clock now, in nanoseconds since boot.
    var now: Int { Int(clock.nanoseconds) }
    /// Called when a user client's FIFO gets an event (wakes pollers sleeping on host descriptors).
    var wake: () -> Void = {}

    init(clock: SimulatedClock) {
        self.clock = clock
        let system = SequencerClientState(number: ALSA_SEQ_CLIENT_SYSTEM, name: "System", isKernel: true)
        system.ports[0] = SequencerPortState(client: 0, port: 0, name: "Timer",
                                             capability: ALSA_SEQ_PORT_CAP_READ | ALSA_SEQ_PORT_CAP_WRITE | ALSA_SEQ_PORT_CAP_SUBS_READ,
                                             type: 0, midiChannels: 0)
        system.ports[1] = SequencerPortState(client: 0, port: 1, name: "Announce",
                                             capability: ALSA_SEQ_PORT_CAP_READ | ALSA_SEQ_PORT_CAP_SUBS_READ, type: 0, midiChannels: 0)
        clients[0] = system
        let through = SequencerClientState(number: ALSA_SEQ_CLIENT_DUMMY, name: "Midi Through", isKernel: true)
        through.through = true
        through.ports[0] = SequencerPortState(client: 14, port: 0, name: "Midi Through Port-0", capability: Self.duplexCapability,
                                              type: ALSA_SEQ_PORT_TYPE_MIDI_GENERIC | ALSA_SEQ_PORT_TYPE_SOFTWARE | ALSA_SEQ_PORT_TYPE_PORT)
        clients[14] = through
    }

    static let duplexCapability = ALSA_SEQ_PORT_CAP_READ | ALSA_SEQ_PORT_CAP_WRITE | ALSA_SEQ_PORT_CAP_SUBS_READ | ALSA_SEQ_PORT_CAP_SUBS_WRITE

    // MARK: clients and ports

    /// A new user client: the lowest free number from 128, announced.
    func openClient() throws(Errno) -> SequencerClientState {
        guard let number = (128..<192).first(where: { clients[$0] == nil }) else { throw .resourceBusy }
        let client = SequencerClientState(number: number, name: "Client-\(number)", isKernel: false)
        clients[number] = client
        announce(ALSA_SEQ_EVENT_CLIENT_START, client: number, port: 0)
        return client
    }

    /// A client leaves: its connections go (each announced), then the client.
    func closeClient(_ number: Int) {
        guard let client = clients[number] else { return }
        for port in client.ports.keys.sorted() { removeSubscriptions(of: SequencerAddressKey(client: number, port: port)) }
        for queue in queues.values where queue.owner == number { queues[queue.id] = nil }
        clients[number] = nil
        announce(ALSA_SEQ_EVENT_CLIENT_EXIT, client: number, port: 0)
    }

    func addPort(_ port: SequencerPortState, to client: SequencerClientState) {
        client.ports[port.port] = port
        announce(ALSA_SEQ_EVENT_PORT_START, client: client.number, port: port.port)
    }

    func deletePort(_ port: Int, of client: SequencerClientState) throws(Errno) {
        guard client.ports[port] != nil else { throw .noSuchFileOrDirectory }
        removeSubscriptions(of: SequencerAddressKey(client: client.number, port: port))
        client.ports[port] = nil
        announce(ALSA_SEQ_EVENT_PORT_EXIT, client: client.number, port: port)
    }

    func port(_ address: SequencerAddressKey) -> SequencerPortState? { clients[address.client]?.ports[address.port] }

    // MARK: subscriptions

    /// snd_seq_ioctl_subscribe_port: both ports must exist (EINVAL); a third client needs the
    /// ports' export, and whoever is not the subscriber needs read or write permission (EPERM);
    /// a connection made twice is EBUSY.
    func subscribe(_ subscription: SequencerSubscription, by client: Int) throws(Errno) {
        guard let sender = port(subscription.sender), let destination = port(subscription.destination) else { throw .invalidArgument }
        try checkPermission(sender: sender, destination: destination, by: client)
        guard !subscriptions.contains(where: { $0.sender == subscription.sender && $0.destination == subscription.destination }) else {
            throw .resourceBusy
        }
        subscriptions.append(subscription)
        notifyEnds(ALSA_SEQ_EVENT_PORT_SUBSCRIBED, subscription, by: client)
        announceConnection(ALSA_SEQ_EVENT_PORT_SUBSCRIBED, subscription)
    }

    func unsubscribe(sender: SequencerAddressKey, destination: SequencerAddressKey, by client: Int) throws(Errno) {
        guard let senderPort = port(sender), let destinationPort = port(destination) else { throw .invalidArgument }
        try checkPermission(sender: senderPort, destination: destinationPort, by: client)
        guard let index = subscriptions.firstIndex(where: { $0.sender == sender && $0.destination == destination }) else {
            throw .noSuchFileOrDirectory
        }
        let gone = subscriptions.remove(at: index)
        notifyEnds(ALSA_SEQ_EVENT_PORT_UNSUBSCRIBED, gone, by: client)
        announceConnection(ALSA_SEQ_EVENT_PORT_UNSUBSCRIBED, gone)
    }

    /// snd_seq_port_connect and _disconnect: a user client whose port another client connected or
    /// disconnected is told so at that port, from System:Announce, before the announcement to all
    /// (snd_seq_client_notify_subscription). Ports that cannot be written to are not told.
    private func notifyEnds(_ type: Int, _ subscription: SequencerSubscription, by connector: Int) {
        for end in [subscription.sender, subscription.destination] where end.client != connector && clients[end.client]?.isKernel == false {
            var event = SimulatedSequencerEvent(type: type, source: (0, ALSA_SEQ_PORT_SYSTEM_ANNOUNCE), destination: (end.client, end.port))
            event.setDataByte(0, subscription.sender.client)
            event.setDataByte(1, subscription.sender.port)
            event.setDataByte(2, subscription.destination.client)
            event.setDataByte(3, subscription.destination.port)
            _ = try? deliver(event)
        }
    }

    private func checkPermission(sender: SequencerPortState, destination: SequencerPortState, by client: Int) throws(Errno) {
        if client != sender.client && client != destination.client {
            if sender.capability & ALSA_SEQ_PORT_CAP_NO_EXPORT != 0 || destination.capability & ALSA_SEQ_PORT_CAP_NO_EXPORT != 0 {
                throw .notPermitted
            }
        }
        let read = ALSA_SEQ_PORT_CAP_READ | ALSA_SEQ_PORT_CAP_SUBS_READ, write = ALSA_SEQ_PORT_CAP_WRITE | ALSA_SEQ_PORT_CAP_SUBS_WRITE
        if client != sender.client && sender.capability & read != read { throw .notPermitted }
        if client != destination.client && destination.capability & write != write { throw .notPermitted }
    }

    private func removeSubscriptions(of address: SequencerAddressKey) {
        let gone = subscriptions.filter { $0.sender == address || $0.destination == address }
        subscriptions.removeAll { $0.sender == address || $0.destination == address }
        for subscription in gone { announceConnection(ALSA_SEQ_EVENT_PORT_UNSUBSCRIBED, subscription) }
    }

    // MARK: delivery

    /// snd_seq_deliver_event: to the subscribers of the source port, or to one port. Returns how
    /// many received it; throws the first failure (ENOENT no such port, EPERM not writable,
    /// EAGAIN a full FIFO), or EINVAL when subscribers are asked of a port that does not exist.
    @discardableResult
    func deliver(_ event: SimulatedSequencerEvent, hop: Int = 0) throws(Errno) -> Int {
        guard hop < 10 else { throw .tooManyLinks }
        if event.destination.client == ALSA_SEQ_ADDRESS_SUBSCRIBERS {
            let source = SequencerAddressKey(client: event.source.client, port: event.source.port)
            guard port(source) != nil else { throw .invalidArgument }
            var delivered = 0
            var failure: Errno?
            for subscription in subscriptions where subscription.sender == source {
                var copy = event
                copy.destination = (subscription.destination.client, subscription.destination.port)
                if subscription.flags & ALSA_SEQ_PORT_SUBS_TIMESTAMP != 0 {
                    stamp(&copy, queue: subscription.queue, real: subscription.flags & ALSA_SEQ_PORT_SUBS_TIME_REAL != 0)
                }
                do throws(Errno) {
                    try deliverSingle(copy, hop: hop)
                    delivered += 1
                } catch {
                    failure = failure ?? error
                }
            }
            if let failure { throw failure }
            return delivered
        }
        try deliverSingle(event, hop: hop)
        return 1
    }

    private func deliverSingle(_ event: SimulatedSequencerEvent, hop: Int) throws(Errno) {
        var event = event
        guard let client = clients[event.destination.client], let port = client.ports[event.destination.port] else {
            throw .noSuchFileOrDirectory
        }
        guard port.capability & ALSA_SEQ_PORT_CAP_WRITE != 0 else { throw .notPermitted }
        if let queue = port.timestampQueue { stamp(&event, queue: queue, real: port.timestampReal) }
        if client.isKernel {
            if client.number == ALSA_SEQ_CLIENT_SYSTEM {
                if port.port == ALSA_SEQ_PORT_SYSTEM_TIMER { control(event) }
                return
            }
            if client.through {
                var forwarded = event
                forwarded.source = (client.number, port.port)
                forwarded.destination = (ALSA_SEQ_ADDRESS_SUBSCRIBERS, 0)
                forwarded.queue = ALSA_SEQ_QUEUE_DIRECT
                try deliver(forwarded, hop: hop + 1)
            }
            return
        }
        if client.filter & 0x8000_0000 != 0 && client.eventFilter[event.type / 8] & UInt8(1 << (event.type % 8)) == 0 { return }
        if client.fifoCells + event.cells > client.inputPool {
            client.overflow = true
            client.lost += 1
            throw .resourceTemporarilyUnavailable
        }
        client.fifo.append(event)
        wake()
    }

    /// update_timestamp_of_queue: the event takes the queue's current time.
    private func stamp(_ event: inout SimulatedSequencerEvent, queue id: Int, real: Bool) {
        guard let queue = queues[id] else { return }
        event.queue = id
        if real {
            event.flags = event.flags | ALSA_SEQ_TIME_STAMP_REAL
            event.realTime = queue.time(at: now)
        } else {
            event.flags = event.flags & ~ALSA_SEQ_TIME_STAMP_REAL
            event.tick = UInt32(truncatingIfNeeded: queue.tick(at: now))
        }
    }

    /// An event written by `client`: delivered now (direct), or scheduled on its queue.
    func enqueue(_ event: SimulatedSequencerEvent, from client: SequencerClientState) throws(Errno) {
        var event = event
        if event.queue == ALSA_SEQ_ADDRESS_SUBSCRIBERS {
            event.destination = (ALSA_SEQ_ADDRESS_SUBSCRIBERS, event.destination.port)
            event.queue = ALSA_SEQ_QUEUE_DIRECT
        }
        if event.queue == ALSA_SEQ_QUEUE_DIRECT {
            // A NOTE (with its duration) must be scheduled: snd_seq_client_enqueue_event.
            guard event.type != ALSA_SEQ_EVENT_NOTE else { throw .invalidArgument }
            try deliver(event)
            return
        }
        guard let queue = queues[event.queue] else { throw .invalidArgument }
        // Scheduled events wait in the writer's output pool.
        let waiting = queues.values.flatMap(\.pending).filter { $0.source.client == client.number }.reduce(0) { $0 + $1.cells }
        guard waiting + event.cells <= client.outputPool else { throw .resourceTemporarilyUnavailable }
        if event.isRelative {
            // Relative to the queue's current time: made absolute now.
            if event.isRealTime { event.realTime += queue.time(at: now) } else { event.tick &+= UInt32(truncatingIfNeeded: queue.tick(at: now)) }
            event.flags = event.flags & ~ALSA_SEQ_TIME_MODE_REL
        }
        queue.pending.append(event)
        dispatchDue()
    }

    /// snd_seq_queue_process_event: a queue control event sent to the System Timer port.
    private func control(_ event: SimulatedSequencerEvent) {
        let id = event.dataByte(0)
        guard let queue = queues[id], !queue.locked || queue.owner == event.source.client else { return }
        let value = Int(Int32(bitPattern: event.word(ALSA_SEQ_EVENT_OFFSET_DATA + 4)))
        switch event.type {
        case ALSA_SEQ_EVENT_START:
            queue.baseTime = 0
            queue.baseTick = 0
            queue.since = now
            queue.running = true
        case ALSA_SEQ_EVENT_CONTINUE:
            queue.since = now
            queue.running = true
        case ALSA_SEQ_EVENT_STOP:
            queue.rebase(at: now)
            queue.running = false
        case ALSA_SEQ_EVENT_TEMPO:
            guard value > 0 else { return }
            queue.rebase(at: now)
            queue.tempo = value
        case ALSA_SEQ_EVENT_SETPOS_TICK:
            queue.rebase(at: now)
            queue.baseTick = Int(UInt32(truncatingIfNeeded: value))
        case ALSA_SEQ_EVENT_SETPOS_TIME:
            queue.rebase(at: now)
            let seconds = Int(event.word(ALSA_SEQ_EVENT_OFFSET_DATA + 4)), nanoseconds = Int(event.word(ALSA_SEQ_EVENT_OFFSET_DATA + 8))
            queue.baseTime = seconds * 1_000_000_000 + nanoseconds
        default:
            return
        }
        dispatchDue()
    }

    /// Every scheduled event whose time has come goes out, earliest first.
    func dispatchDue() {
        while true {
            var next: (queue: SequencerQueueState, index: Int, at: Int)?
            for queue in queues.values.sorted(by: { $0.id < $1.id }) {
                for (index, event) in queue.pending.enumerated() where queue.isDue(event, now: now) {
                    let at = queue.dueTime(of: event, now: 0) ?? 0
                    if next == nil || at < next!.at { next = (queue, index, at) }
                }
            }
            guard let next else { return }
            let event = next.queue.pending.remove(at: next.index)
            _ = try? deliver(event)
        }
    }

    /// The clock reading at which the next scheduled event falls due, if any queue is running.
    /// Asked at every step of the clock (PCM tests take thousands): it builds no array.
    var nextDueTime: UInt64? {
        var earliest: Int?
        for queue in queues.values {
            for event in queue.pending {
                guard let due = queue.dueTime(of: event, now: now) else { break }
                earliest = min(earliest ?? due, due)
            }
        }
        return earliest.map { UInt64($0) }
    }

    /// Events scheduled and not yet sent out, on every queue.
    var pendingCount: Int { queues.values.reduce(0) { $0 + $1.pending.count } }

    // MARK: announcements

    /// A client starting or leaving, announced.
    func announceClient(_ type: Int, _ number: Int) { announce(type, client: number, port: 0) }

    /// An event from System:Announce to its subscribers.
    private func announce(_ type: Int, client: Int, port: Int) {
        var event = SimulatedSequencerEvent(type: type, source: (0, ALSA_SEQ_PORT_SYSTEM_ANNOUNCE),
                                            destination: (ALSA_SEQ_ADDRESS_SUBSCRIBERS, 0))
        event.setDataByte(0, client)
        event.setDataByte(1, port)
        _ = try? deliver(event)
    }

    private func announceConnection(_ type: Int, _ subscription: SequencerSubscription) {
        var event = SimulatedSequencerEvent(type: type, source: (0, ALSA_SEQ_PORT_SYSTEM_ANNOUNCE),
                                            destination: (ALSA_SEQ_ADDRESS_SUBSCRIBERS, 0))
        event.setDataByte(0, subscription.sender.client)
        event.setDataByte(1, subscription.sender.port)
        event.setDataByte(2, subscription.destination.client)
        event.setDataByte(3, subscription.destination.port)
        _ = try? deliver(event)
    }
}
