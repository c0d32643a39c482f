/// What the device side of a substream saw since the substream was opened.
public struct DeviceObservation: Sendable, Equatable {
    /// Playback: frames consumed below appl_ptr (committed). Capture: frames produced.
    public var frames = 0
    /// FNV-1a 64 over the bytes of those frames, in order, as the device saw them. A frame's bytes
    /// are taken channel by channel, whatever the buffer layout, so the checksum does not depend
    /// on the access type.
    public var checksum: UInt64 = FrameChecksum.seed
    /// Playback: frames the device reached beyond appl_ptr (not in the checksum).
    public var underrunFrames = 0
    /// Xruns the device side met (the hardware pointer caught up with the application's).
    public var xruns = 0
    /// Playback: the most frames queued ahead of the device at once (appl_ptr ahead of the DMA
    /// position as a frame is played): the longest a frame waited to be heard, in frames.
    public var maximumQueuedFrames = 0
    /// Period interrupts the device signalled (each updates hw_ptr and may wake a poller); none
    /// while the stream runs without them (NO_PERIOD_WAKEUP granted).
    public var periodInterrupts = 0

    // The explicit-sync counters, as the rig's test card keeps them; zero on a coherent device.
    // Unlike the fields above (kept from open), they start again at every PREPARE.
    /// CPU syncs (SNDRV_DMA_SYNC_CPU) of this buffer: HWSYNC, DELAY, SYNC_PTR with HWSYNC, READ*.
    public var cpuSyncs = 0
    /// Device syncs (SNDRV_DMA_SYNC_DEVICE): SYNC_PTR with APPL clear, FORWARD, REWIND, WRITE*.
    public var deviceSyncs = 0
    /// Playback: frames played while the device's copy differed from what the CPU had written,
    /// i.e. written but not flushed in time (even if a later flush happened to repair the data).
    public var staleFrames = 0
    /// Playback: frames committed and not yet played that the CPU changed after their commit, seen
    /// at a device sync (each change once). A write after commit, caught even when the next flush
    /// carries the late data to the device before it plays (three periods queued or more), where
    /// neither `staleFrames` nor the checksum sees it. Frames taken back by a rewind are no longer
    /// committed, so rewriting them is legal.
    public var lateFrames = 0
    /// Capture: frames user space consumed (moved appl_ptr past) while its view of them was not
    /// what the device captured, i.e. read without a CPU sync after the device wrote them.
    public var poisonedFrames = 0

    /// An observation with these counts, for tests to compare with; the explicit-sync counters start at 0.
    public init(frames: Int = 0, checksum: UInt64 = FrameChecksum.seed, underrunFrames: Int = 0, xruns: Int = 0) {
        self.frames = frames
        self.checksum = checksum
        self.underrunFrames = underrunFrames
        self.xruns = xruns
    }

    /// PREPARE starts the explicit-sync counters again.
    mutating func resetSyncCounters() {
        cpuSyncs = 0
        deviceSyncs = 0
        staleFrames = 0
        lateFrames = 0
        poisonedFrames = 0
    }
}

/// The checksum the simulated device keeps, for tests to compute the same way.
public enum FrameChecksum {
    /// The FNV-1a 64 offset basis: the checksum of no frames.
    public static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// Folds `bytes`, in order, into `hash` (FNV-1a 64).
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer, into hash: inout UInt64) {
        for byte in bytes { add(byte, into: &hash) }
    }

    static func add(_ byte: UInt8, into hash: inout UInt64) {
        hash ^= UInt64(byte)
        hash = hash &* prime
    }
}

extension SimulatedKernel {
    /// The deterministic capture signal: byte `byte` of capture frame `frame`. Frames are counted
    /// from the stream's START (each START begins again at 0), like the project's explicit-sync test
    /// driver, which produces the same signal on a real kernel.
    public static func captureSample(frame: UInt64, byte: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (frame &* 31 &+ UInt64(byte) &* 7) ^ (frame >> 8))
    }

    /// What the CPU sees of a captured frame on a non-coherent device before its CPU sync: byte
    /// `byte` of any frame (the test card writes the same pattern).
    public static func poisonByte(_ byte: Int) -> UInt8 {
        [0xde, 0xad, 0xbe, 0xef][byte & 3]
    }
}
