import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The sequencer's file operations (sound/core/seq/seq_clientmgr.c, 6.1) for one open
/// /dev/snd/seq: a user client's ioctls, its read(2) of delivered events and its write(2) of
/// events to send or schedule. Served non-blocking, like the raw MIDI files.
struct SequencerCore {
    let sequencer: SimulatedSequencer
    let client: SequencerClientState

    func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        switch request {
        case ALSA_IOCTL_SEQ_PVERSION:
            try argument.pointer(Int32.self).pointee = Int32(ALSA_SEQ_VERSION_1_0_2)
        case ALSA_IOCTL_SEQ_CLIENT_ID:
            try argument.pointer(Int32.self).pointee = Int32(client.number)
        case ALSA_IOCTL_SEQ_SYSTEM_INFO:
            let info = try argument.pointer(alsa_seq_system_info.self)
            info.pointee = alsa_seq_system_info()
            info.pointee.queues = 32
            info.pointee.clients = 192
            info.pointee.ports = 254
            info.pointee.channels = 256
            info.pointee.cur_clients = Int32(sequencer.clients.count)
            info.pointee.cur_queues = Int32(sequencer.queues.count)
        case ALSA_IOCTL_SEQ_GET_CLIENT_INFO:
            let info = try argument.pointer(alsa_seq_client_info.self)
            guard let other = sequencer.clients[Int(info.pointee.client)] else { throw .noSuchFileOrDirectory }
            fill(info, with: other)
        case ALSA_IOCTL_SEQ_QUERY_NEXT_CLIENT:
            let info = try argument.pointer(alsa_seq_client_info.self)
            let start = max(Int(info.pointee.client) + 1, 0)
            guard let next = sequencer.clients.keys.filter({ $0 >= start }).min() else { throw .noSuchFileOrDirectory }
            fill(info, with: sequencer.clients[next]!)
        case ALSA_IOCTL_SEQ_SET_CLIENT_INFO:
            let info = try argument.pointer(alsa_seq_client_info.self)
            guard Int(info.pointee.client) == client.number else { throw .notPermitted }
            guard info.pointee.type == Int32(ALSA_SEQ_USER_CLIENT) else { throw .invalidArgument }
            let name = Self.string(info.pointee.name)
            if !name.isEmpty { client.name = name }
            client.filter = info.pointee.filter
            client.eventFilter = withUnsafeBytes(of: info.pointee.event_filter) { Array($0) }
        case ALSA_IOCTL_SEQ_GET_CLIENT_POOL:
            let pool = try argument.pointer(alsa_seq_client_pool.self)
            guard let other = sequencer.clients[Int(pool.pointee.client)] else { throw .noSuchFileOrDirectory }
            pool.pointee.output_pool = Int32(other.outputPool)
            pool.pointee.input_pool = Int32(other.inputPool)
            pool.pointee.output_room = Int32(other.outputPool / 2)
            pool.pointee.output_free = Int32(other.outputPool)
            pool.pointee.input_free = Int32(other.inputPool - other.fifoCells)
        case ALSA_IOCTL_SEQ_SET_CLIENT_POOL:
            let pool = try argument.pointer(alsa_seq_client_pool.self)
            guard Int(pool.pointee.client) == client.number else { throw .invalidArgument }
            // Sizes outside 1...2000 are left as they were; a new input pool empties the FIFO.
            if (1...2000).contains(Int(pool.pointee.output_pool)) { client.outputPool = Int(pool.pointee.output_pool) }
            if (1...2000).contains(Int(pool.pointee.input_pool)), Int(pool.pointee.input_pool) != client.inputPool {
                client.inputPool = Int(pool.pointee.input_pool)
                client.fifo.removeAll()
            }
        case ALSA_IOCTL_SEQ_CREATE_PORT:
            let info = try argument.pointer(alsa_seq_port_info.self)
            guard Int(info.pointee.addr.client) == client.number else { throw .notPermitted }
            let number: Int
            if info.pointee.flags & UInt32(ALSA_SEQ_PORT_FLG_GIVEN_PORT) != 0 {
                number = Int(info.pointee.addr.port)
                guard client.ports[number] == nil else { throw .resourceBusy }
            } else {
                guard let free = (0..<254).first(where: { client.ports[$0] == nil }) else { throw .noMemory }
                number = free
            }
            let port = SequencerPortState(client: client.number, port: number, name: Self.string(info.pointee.name),
                                          capability: Int(info.pointee.capability), type: Int(info.pointee.type),
                                          midiChannels: Int(info.pointee.midi_channels))
            if info.pointee.flags & UInt32(ALSA_SEQ_PORT_FLG_TIMESTAMP) != 0 {
                port.timestampQueue = Int(info.pointee.time_queue)
                port.timestampReal = info.pointee.flags & UInt32(ALSA_SEQ_PORT_FLG_TIME_REAL) != 0
            }
            info.pointee.addr.port = UInt8(number)
            sequencer.addPort(port, to: client)
        case ALSA_IOCTL_SEQ_DELETE_PORT:
            let info = try argument.pointer(alsa_seq_port_info.self)
            guard Int(info.pointee.addr.client) == client.number else { throw .notPermitted }
            try sequencer.deletePort(Int(info.pointee.addr.port), of: client)
        case ALSA_IOCTL_SEQ_GET_PORT_INFO:
            let info = try argument.pointer(alsa_seq_port_info.self)
            guard let other = sequencer.clients[Int(info.pointee.addr.client)] else { throw .noSuchAddressOrDevice }
            guard let port = other.ports[Int(info.pointee.addr.port)] else { throw .noSuchFileOrDirectory }
            fill(info, with: port)
        case ALSA_IOCTL_SEQ_QUERY_NEXT_PORT:
            let info = try argument.pointer(alsa_seq_port_info.self)
            guard let other = sequencer.clients[Int(info.pointee.addr.client)] else { throw .noSuchAddressOrDevice }
            // The kernel adds one to the port given (an unsigned char: 255 wraps to 0).
            let start = (Int(info.pointee.addr.port) + 1) & 0xFF
            guard let next = other.ports.keys.filter({ $0 >= start }).min() else { throw .noSuchFileOrDirectory }
            fill(info, with: other.ports[next]!)
        case ALSA_IOCTL_SEQ_SUBSCRIBE_PORT:
            let info = try argument.pointer(alsa_seq_port_subscribe.self).pointee
            try sequencer.subscribe(SequencerSubscription(sender: Self.key(info.sender), destination: Self.key(info.dest),
                                                          flags: Int(info.flags), queue: Int(info.queue)), by: client.number)
        case ALSA_IOCTL_SEQ_UNSUBSCRIBE_PORT:
            let info = try argument.pointer(alsa_seq_port_subscribe.self).pointee
            try sequencer.unsubscribe(sender: Self.key(info.sender), destination: Self.key(info.dest), by: client.number)
        case ALSA_IOCTL_SEQ_GET_SUBSCRIPTION:
            let info = try argument.pointer(alsa_seq_port_subscribe.self)
            let sender = Self.key(info.pointee.sender), destination = Self.key(info.pointee.dest)
            guard let found = sequencer.subscriptions.first(where: { $0.sender == sender && $0.destination == destination }) else {
                throw .noSuchFileOrDirectory
            }
            info.pointee.flags = UInt32(found.flags)
            info.pointee.queue = UInt8(truncatingIfNeeded: found.queue)
        case ALSA_IOCTL_SEQ_QUERY_SUBS:
            let query = try argument.pointer(alsa_seq_query_subs.self)
            let root = Self.key(query.pointee.root)
            guard let rootClient = sequencer.clients[root.client] else { throw .noSuchAddressOrDevice }
            guard rootClient.ports[root.port] != nil else { throw .noSuchFileOrDirectory }
            let reading = query.pointee.type == Int32(ALSA_SEQ_QUERY_SUBS_READ)
            guard reading || query.pointee.type == Int32(ALSA_SEQ_QUERY_SUBS_WRITE) else { throw .invalidArgument }
            let list = sequencer.subscriptions.filter { reading ? $0.sender == root : $0.destination == root }
            query.pointee.num_subs = Int32(list.count)
            let index = Int(query.pointee.index)
            guard list.indices.contains(index) else { throw .noSuchFileOrDirectory }
            let other = reading ? list[index].destination : list[index].sender
            query.pointee.addr = alsa_seq_addr(client: UInt8(other.client), port: UInt8(other.port))
            query.pointee.flags = UInt32(list[index].flags)
            query.pointee.queue = UInt8(truncatingIfNeeded: list[index].queue)
        case ALSA_IOCTL_SEQ_CREATE_QUEUE:
            let info = try argument.pointer(alsa_seq_queue_info.self)
            guard let id = (0..<32).first(where: { sequencer.queues[$0] == nil }) else { throw .noMemory }
            let queue = SequencerQueueState(id: id, owner: client.number, name: Self.string(info.pointee.name),
                                            locked: alsa_seq_queue_info_locked(info) != 0)
            sequencer.queues[id] = queue
            info.pointee.queue = Int32(id)
            info.pointee.owner = Int32(client.number)
        case ALSA_IOCTL_SEQ_DELETE_QUEUE:
            let info = try argument.pointer(alsa_seq_queue_info.self)
            guard let queue = sequencer.queues[Int(info.pointee.queue)] else { throw .invalidArgument }
            guard queue.owner == client.number else { throw .notPermitted }
            sequencer.queues[queue.id] = nil
        case ALSA_IOCTL_SEQ_GET_QUEUE_STATUS:
            let status = try argument.pointer(alsa_seq_queue_status.self)
            guard let queue = sequencer.queues[Int(status.pointee.queue)] else { throw .invalidArgument }
            let time = queue.time(at: sequencer.now)
            status.pointee.events = Int32(queue.pending.count)
            status.pointee.tick = UInt32(truncatingIfNeeded: queue.tick(at: sequencer.now))
            status.pointee.time = alsa_seq_real_time(tv_sec: UInt32(truncatingIfNeeded: time / 1_000_000_000),
                                                     tv_nsec: UInt32(truncatingIfNeeded: time % 1_000_000_000))
            status.pointee.running = queue.running ? 1 : 0
            status.pointee.flags = 0
        case ALSA_IOCTL_SEQ_GET_QUEUE_TEMPO:
            let tempo = try argument.pointer(alsa_seq_queue_tempo.self)
            guard let queue = sequencer.queues[Int(tempo.pointee.queue)] else { throw .invalidArgument }
            tempo.pointee.tempo = UInt32(queue.tempo)
            tempo.pointee.ppq = Int32(queue.ppq)
            tempo.pointee.skew_value = 0x10000
            tempo.pointee.skew_base = 0x10000
        case ALSA_IOCTL_SEQ_SET_QUEUE_TEMPO:
            let tempo = try argument.pointer(alsa_seq_queue_tempo.self).pointee
            guard let queue = sequencer.queues[Int(tempo.queue)] else { throw .invalidArgument }
            guard !queue.locked || queue.owner == client.number else { throw .notPermitted }
            guard tempo.tempo > 0, tempo.tempo <= Int32.max, tempo.ppq > 0 else { throw .invalidArgument }
            queue.rebase(at: sequencer.now)
            queue.tempo = Int(tempo.tempo)
            queue.ppq = Int(tempo.ppq)
            sequencer.dispatchDue()
        default:
            throw .inappropriateIOCTLForDevice
        }
        return 0
    }

    /// snd_seq_read: whole events, each variable one followed by its data padded to 28-byte
    /// cells; ENOSPC once after the FIFO overflowed (it is emptied); EAGAIN when there is nothing,
    /// or when the first event does not fit the buffer.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        if client.overflow {
            client.overflow = false
            client.fifo.removeAll()
            throw .noSpace
        }
        var written = 0
        while buffer.count - written >= ALSA_SEQ_EVENT_SIZE, let event = client.fifo.first {
            let padded = (event.data.count + ALSA_SEQ_EVENT_SIZE - 1) / ALSA_SEQ_EVENT_SIZE * ALSA_SEQ_EVENT_SIZE
            guard written + ALSA_SEQ_EVENT_SIZE + padded <= buffer.count else { break }
            for (i, byte) in event.record.enumerated() { buffer[written + i] = byte }
            written += ALSA_SEQ_EVENT_SIZE
            for i in 0..<padded { buffer[written + i] = i < event.data.count ? event.data[i] : 0 }
            written += padded
            client.fifo.removeFirst()
        }
        guard written > 0 || buffer.count < ALSA_SEQ_EVENT_SIZE else { throw .resourceTemporarilyUnavailable }
        return written
    }

    /// snd_seq_write: events one after another, each variable one followed by its data (unpadded).
    /// The first that fails fails the call when nothing was taken before it.
    func write(from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        var taken = 0
        while bytes.count - taken >= ALSA_SEQ_EVENT_SIZE {
            var event = SimulatedSequencerEvent(record: Array(bytes[taken..<(taken + ALSA_SEQ_EVENT_SIZE)]))
            var length = ALSA_SEQ_EVENT_SIZE
            if event.isVariable {
                let extra = Int(event.word(ALSA_SEQ_EVENT_OFFSET_DATA) & ALSA_SEQ_EXT_LENGTH_MASK)
                guard extra <= bytes.count - taken - ALSA_SEQ_EVENT_SIZE else {
                    if taken == 0 { throw .invalidArgument }
                    break
                }
                event.data = Array(bytes[(taken + ALSA_SEQ_EVENT_SIZE)..<(taken + ALSA_SEQ_EVENT_SIZE + extra)])
                event.setWord(ALSA_SEQ_EVENT_OFFSET_DATA, UInt32(extra))
                for i in 4..<12 { event.setDataByte(i, 0) }
                length += extra
            }
            event.source = (client.number, event.source.port)
            if event.type != ALSA_SEQ_EVENT_NONE {
                do throws(Errno) {
                    try sequencer.enqueue(event, from: client)
                } catch {
                    if taken == 0 { throw error }
                    break
                }
            }
            taken += length
        }
        return taken
    }

    /// snd_seq_poll: readable with events waiting (or an overflow to report), writable while the
    /// output pool has room.
    var events: Int16 {
        var events: Int32 = POLLOUT | POLLWRNORM
        if !client.fifo.isEmpty || client.overflow { events |= POLLIN | POLLRDNORM }
        return Int16(events)
    }

    // MARK: records

    private func fill(_ info: UnsafeMutablePointer<alsa_seq_client_info>, with other: SequencerClientState) {
        info.pointee = alsa_seq_client_info()
        info.pointee.client = Int32(other.number)
        info.pointee.type = Int32(other.isKernel ? ALSA_SEQ_KERNEL_CLIENT : ALSA_SEQ_USER_CLIENT)
        withUnsafeMutableBytes(of: &info.pointee.name) { copyCString(other.name, into: $0) }
        info.pointee.filter = other.filter
        info.pointee.num_ports = Int32(other.ports.count)
        info.pointee.event_lost = Int32(other.lost)
        info.pointee.card = -1
        info.pointee.pid = other.isKernel ? -1 : getpid()
    }

    private func fill(_ info: UnsafeMutablePointer<alsa_seq_port_info>, with port: SequencerPortState) {
        info.pointee = alsa_seq_port_info()
        info.pointee.addr = alsa_seq_addr(client: UInt8(port.client), port: UInt8(port.port))
        withUnsafeMutableBytes(of: &info.pointee.name) { copyCString(port.name, into: $0) }
        info.pointee.capability = UInt32(port.capability)
        info.pointee.type = UInt32(port.type)
        info.pointee.midi_channels = Int32(port.midiChannels)
        let address = SequencerAddressKey(client: port.client, port: port.port)
        info.pointee.read_use = Int32(sequencer.subscriptions.filter { $0.sender == address }.count)
        info.pointee.write_use = Int32(sequencer.subscriptions.filter { $0.destination == address }.count)
        if let queue = port.timestampQueue {
            info.pointee.flags = UInt32(ALSA_SEQ_PORT_FLG_TIMESTAMP | (port.timestampReal ? ALSA_SEQ_PORT_FLG_TIME_REAL : 0))
            info.pointee.time_queue = UInt8(truncatingIfNeeded: queue)
        }
    }

    static func key(_ address: alsa_seq_addr) -> SequencerAddressKey {
        SequencerAddressKey(client: Int(address.client), port: Int(address.port))
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
