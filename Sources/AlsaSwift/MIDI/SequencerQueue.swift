import CAlsaKernel

/// A queue's tempo: how long a quarter note lasts, and how many ticks it has (PPQ).
public struct SequencerTempo: Sendable, Hashable, CustomStringConvertible {
    /// Microseconds per quarter note, as a MIDI file's tempo meta event gives it (500 000: 120 BPM).
    public var microsecondsPerQuarter: Int
    /// Ticks per quarter note (PPQ): how finely events can be placed.
    public var ticksPerQuarter: Int

    /// A tempo in the units MIDI files use.
    public init(microsecondsPerQuarter: Int = 500_000, ticksPerQuarter: Int = 96) {
        self.microsecondsPerQuarter = microsecondsPerQuarter
        self.ticksPerQuarter = ticksPerQuarter
    }

    /// A tempo in quarter notes a minute; `beatsPerMinute` above 0.
    public init(beatsPerMinute: Double, ticksPerQuarter: Int = 96) {
        let microseconds = beatsPerMinute > 0 ? (60_000_000 / beatsPerMinute).rounded() : 0
        self.init(microsecondsPerQuarter: microseconds.isFinite && microseconds < Double(Int32.max) ? Int(microseconds) : 0,
                  ticksPerQuarter: ticksPerQuarter)
    }

    /// Quarter notes a minute.
    public var beatsPerMinute: Double { microsecondsPerQuarter > 0 ? 60_000_000 / Double(microsecondsPerQuarter) : 0 }

    /// `120.0 BPM, 96 PPQ`.
    public var description: String { "\(beatsPerMinute) BPM, \(ticksPerQuarter) PPQ" }
}

/// Where a queue is.
public struct SequencerQueueStatus: Sendable, Hashable, CustomStringConvertible {
    /// Its position in ticks.
    public var tick: Int
    /// Its position in time.
    public var time: Duration
    /// Whether it runs.
    public var running: Bool
    /// Events scheduled on it and not yet delivered.
    public var scheduledEvents: Int

    /// `tick 96, 0.5 seconds, running, 3 scheduled`.
    public var description: String {
        "tick \(tick), \(time), \(running ? "running" : "stopped"), \(scheduledEvents) scheduled"
    }
}

/// A queue of a `Sequencer` client: a clock with a tempo and a resolution (PPQ) that delivers the
/// events scheduled on it (`SequencerSchedule`) when their time, in ticks or real time, comes.
/// It is created stopped; `start()` sets it going from 0. The kernel keeps the time (a timer of
/// its own), so events go out on time whatever the app is doing. It is deleted when the object
/// goes away.
public final class SequencerQueue {
    /// The queue's number.
    public let id: Int
    private let connection: SequencerConnection

    init(id: Int, connection: SequencerConnection) {
        self.id = id
        self.connection = connection
    }

    deinit {
        var info = alsa_seq_queue_info()
        info.queue = Int32(id)
        _ = try? connection.ioctl(.sequencerDeleteQueue, ALSA_IOCTL_SEQ_DELETE_QUEUE, &info)
    }

    /// The queue's tempo and resolution.
    public func tempo() throws(AlsaError) -> SequencerTempo {
        var tempo = alsa_seq_queue_tempo()
        tempo.queue = Int32(id)
        try connection.ioctl(.sequencerQueueTempo, ALSA_IOCTL_SEQ_GET_QUEUE_TEMPO, &tempo)
        return SequencerTempo(microsecondsPerQuarter: Int(tempo.tempo), ticksPerQuarter: Int(tempo.ppq))
    }

    /// Sets the tempo and resolution; a running queue goes on from where it is at the new tempo.
    /// Both must be positive (and fit the kernel's 32-bit fields).
    public func setTempo(_ tempo: SequencerTempo) throws(AlsaError) {
        guard (1...Int(Int32.max)).contains(tempo.microsecondsPerQuarter), (1...Int(Int32.max)).contains(tempo.ticksPerQuarter) else {
            throw AlsaError(.sequencerQueueTempo, .invalidArgument,
                            context: "tempo \(tempo.microsecondsPerQuarter) µs per quarter, \(tempo.ticksPerQuarter) PPQ: both must be 1 to \(Int32.max)")
        }
        var record = alsa_seq_queue_tempo()
        record.queue = Int32(id)
        record.tempo = UInt32(tempo.microsecondsPerQuarter)
        record.ppq = Int32(tempo.ticksPerQuarter)
        try connection.ioctl(.sequencerQueueTempo, ALSA_IOCTL_SEQ_SET_QUEUE_TEMPO, &record)
    }

    /// Starts the queue from tick 0 and time 0.
    public func start() throws(AlsaError) { try control(ALSA_SEQ_EVENT_START) }
    /// Stops the queue where it is; scheduled events wait.
    public func stop() throws(AlsaError) { try control(ALSA_SEQ_EVENT_STOP) }
    /// Lets a stopped queue run on from where it stopped.
    public func resume() throws(AlsaError) { try control(ALSA_SEQ_EVENT_CONTINUE) }

    /// Where the queue is now.
    public func status() throws(AlsaError) -> SequencerQueueStatus {
        var status = alsa_seq_queue_status()
        status.queue = Int32(id)
        try connection.ioctl(.sequencerQueueStatus, ALSA_IOCTL_SEQ_GET_QUEUE_STATUS, &status)
        return SequencerQueueStatus(tick: Int(status.tick), time: .seconds(Int(status.time.tv_sec)) + .nanoseconds(Int(status.time.tv_nsec)),
                                    running: status.running != 0, scheduledEvents: Int(status.events))
    }

    /// A queue control event to the System Timer port, at once (the kernel acts on it as the
    /// write delivers it).
    private func control(_ type: Int) throws(AlsaError) {
        var records: [UInt8] = []
        try SequencerRecords.queueControl(type, queue: id, client: connection.client, into: &records)
        try connection.writeBlocking(records)
    }
}
