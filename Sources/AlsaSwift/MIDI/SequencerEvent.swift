/// A time on a sequencer queue: in ticks (the queue's tempo and PPQ turn them into time) or in
/// real time from the queue's start.
public enum SequencerTime: Sendable, Hashable, CustomStringConvertible {
    /// Ticks from the queue's start: `ticksPerQuarter` of them make a quarter note.
    case tick(Int)
    /// Time from the queue's start.
    case real(Duration)

    /// `tick 96` or `0.500000000 s`.
    public var description: String {
        switch self {
        case .tick(let tick): return "tick \(tick)"
        case .real(let duration):
            let (seconds, attoseconds) = duration.components
            let nanoseconds = String(attoseconds / 1_000_000_000)
            return "\(seconds).\(String(repeating: "0", count: 9 - nanoseconds.count))\(nanoseconds) s"
        }
    }
}

/// When a sent event is to be delivered: at a time on a queue, or that long after the queue's
/// current time. Without a schedule an event is delivered at once.
public struct SequencerSchedule: Sendable, Hashable {
    /// The queue whose time counts.
    public var queue: Int
    /// The time.
    public var time: SequencerTime
    /// Whether `time` counts from the queue's current time rather than from its start.
    public var relative: Bool

    /// At `time` on `queue` (from its start).
    public static func at(_ time: SequencerTime, on queue: SequencerQueue) -> SequencerSchedule {
        SequencerSchedule(queue: queue.id, time: time, relative: false)
    }

    /// `time` after `queue`'s current time.
    public static func after(_ time: SequencerTime, on queue: SequencerQueue) -> SequencerSchedule {
        SequencerSchedule(queue: queue.id, time: time, relative: true)
    }
}

/// A client or port coming or going, or a connection made or undone, as the sequencer's System
/// client announces it: MIDI hotplug (a USB keyboard plugged in shows up as a new kernel client).
public enum SequencerChange: Sendable, Hashable, CustomStringConvertible {
    /// A client appeared.
    case clientAdded(Int)
    /// A client went away.
    case clientRemoved(Int)
    /// A client's details changed.
    case clientChanged(Int)
    /// A port appeared.
    case portAdded(SequencerAddress)
    /// A port went away.
    case portRemoved(SequencerAddress)
    /// A port's details changed.
    case portChanged(SequencerAddress)
    /// Two ports were connected.
    case connected(from: SequencerAddress, to: SequencerAddress)
    /// Two ports were disconnected.
    case disconnected(from: SequencerAddress, to: SequencerAddress)

    /// `client 20 added`, `14:0 -> 128:0 connected`...
    public var description: String {
        switch self {
        case .clientAdded(let client): "client \(client) added"
        case .clientRemoved(let client): "client \(client) removed"
        case .clientChanged(let client): "client \(client) changed"
        case .portAdded(let port): "port \(port) added"
        case .portRemoved(let port): "port \(port) removed"
        case .portChanged(let port): "port \(port) changed"
        case .connected(let from, let to): "\(from) -> \(to) connected"
        case .disconnected(let from, let to): "\(from) -> \(to) disconnected"
        }
    }
}

/// One event a sequencer client received.
public struct SequencerEvent: Sendable, Hashable {
    /// What the event carries.
    public enum Content: Sendable, Hashable {
        /// A MIDI message. A system exclusive message the sender split into several events (the
        /// kernel's MIDI drivers send at most 256 bytes each) comes as one, once whole.
        case midi(MIDIMessage)
        /// A client, port or connection change (from the System client's announce port).
        case change(SequencerChange)
        /// An event of a kind this library does not type (14-bit controllers, RPN/NRPN, queue
        /// control, user events): its type number, as in `<sound/asequencer.h>`.
        case other(type: Int)
    }

    /// What the event carries.
    public var content: Content
    /// The port it came from.
    public var source: SequencerAddress
    /// The port it was delivered to.
    public var destination: SequencerAddress
    /// Its time on `queue`: when it was scheduled for, or when it arrived on a port or connection
    /// that stamps events; nil for an event delivered at once without a stamp.
    public var time: SequencerTime?
    /// The queue `time` is on.
    public var queue: Int?

    /// An event as the sequencer delivers it; public so tests can build their own.
    public init(content: Content, source: SequencerAddress, destination: SequencerAddress, time: SequencerTime? = nil, queue: Int? = nil) {
        self.content = content
        self.source = source
        self.destination = destination
        self.time = time
        self.queue = queue
    }

    /// The MIDI message, when it carries one.
    public var message: MIDIMessage? {
        if case .midi(let message) = content { return message }
        return nil
    }
}
