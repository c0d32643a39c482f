import CAlsaKernel

/// One sequencer event as the kernel keeps it: the 28-byte record (struct snd_seq_event) and, for
/// a variable-length event, its data. The record's fields are read and written at the offsets of
/// CAlsaSequencer.h, checked against the kernel's header at compile time.
struct SimulatedSequencerEvent {
    var record: [UInt8]
    var data: [UInt8]

    init(record: [UInt8], data: [UInt8] = []) {
        self.record = record
        self.data = data
    }

    /// A fixed-length event of `type` from `source` to `destination`, delivered directly.
    init(type: Int, source: (client: Int, port: Int), destination: (client: Int, port: Int)) {
        record = [UInt8](repeating: 0, count: ALSA_SEQ_EVENT_SIZE)
        data = []
        self.type = type
        queue = ALSA_SEQ_QUEUE_DIRECT
        self.source = source
        self.destination = destination
    }

    var type: Int {
        get { Int(record[ALSA_SEQ_EVENT_OFFSET_TYPE]) }
        set { record[ALSA_SEQ_EVENT_OFFSET_TYPE] = UInt8(truncatingIfNeeded: newValue) }
    }
    var flags: Int {
        get { Int(record[ALSA_SEQ_EVENT_OFFSET_FLAGS]) }
        set { record[ALSA_SEQ_EVENT_OFFSET_FLAGS] = UInt8(truncatingIfNeeded: newValue) }
    }
    var queue: Int {
        get { Int(record[ALSA_SEQ_EVENT_OFFSET_QUEUE]) }
        set { record[ALSA_SEQ_EVENT_OFFSET_QUEUE] = UInt8(truncatingIfNeeded: newValue) }
    }
    var source: (client: Int, port: Int) {
        get { (Int(record[ALSA_SEQ_EVENT_OFFSET_SOURCE]), Int(record[ALSA_SEQ_EVENT_OFFSET_SOURCE + 1])) }
        set {
            record[ALSA_SEQ_EVENT_OFFSET_SOURCE] = UInt8(truncatingIfNeeded: newValue.client)
            record[ALSA_SEQ_EVENT_OFFSET_SOURCE + 1] = UInt8(truncatingIfNeeded: newValue.port)
        }
    }
    var destination: (client: Int, port: Int) {
        get { (Int(record[ALSA_SEQ_EVENT_OFFSET_DEST]), Int(record[ALSA_SEQ_EVENT_OFFSET_DEST + 1])) }
        set {
            record[ALSA_SEQ_EVENT_OFFSET_DEST] = UInt8(truncatingIfNeeded: newValue.client)
            record[ALSA_SEQ_EVENT_OFFSET_DEST + 1] = UInt8(truncatingIfNeeded: newValue.port)
        }
    }
    /// The time field as a tick.
    var tick: UInt32 {
        get { word(ALSA_SEQ_EVENT_OFFSET_TIME) }
        set { setWord(ALSA_SEQ_EVENT_OFFSET_TIME, newValue) }
    }
    /// The time field as real time (seconds and nanoseconds), in nanoseconds.
    var realTime: Int {
        get { Int(word(ALSA_SEQ_EVENT_OFFSET_TIME)) * 1_000_000_000 + Int(word(ALSA_SEQ_EVENT_OFFSET_TIME + 4)) }
        set {
            setWord(ALSA_SEQ_EVENT_OFFSET_TIME, UInt32(truncatingIfNeeded: newValue / 1_000_000_000))
            setWord(ALSA_SEQ_EVENT_OFFSET_TIME + 4, UInt32(truncatingIfNeeded: newValue % 1_000_000_000))
        }
    }
    var isVariable: Bool { flags & ALSA_SEQ_EVENT_LENGTH_MASK == ALSA_SEQ_EVENT_LENGTH_VARIABLE }
    var isRealTime: Bool { flags & ALSA_SEQ_TIME_STAMP_REAL != 0 }
    var isRelative: Bool { flags & ALSA_SEQ_TIME_MODE_REL != 0 }

    /// A 32-bit word of the record (little-endian, as on the machines the kernel runs on here).
    func word(_ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(record[offset + $1]) << (8 * $1) }
    }

    mutating func setWord(_ offset: Int, _ value: UInt32) {
        for i in 0..<4 { record[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Byte `index` of the 12-byte data union.
    func dataByte(_ index: Int) -> Int { Int(record[ALSA_SEQ_EVENT_OFFSET_DATA + index]) }
    mutating func setDataByte(_ index: Int, _ value: Int) {
        record[ALSA_SEQ_EVENT_OFFSET_DATA + index] = UInt8(truncatingIfNeeded: value)
    }

    /// Memory cells the event takes in a pool: one, and one per 28 bytes of variable data.
    var cells: Int { 1 + (data.count + ALSA_SEQ_EVENT_SIZE - 1) / ALSA_SEQ_EVENT_SIZE }
}
