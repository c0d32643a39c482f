import CAlsaKernel

/// What a simulated sound device offers: the `snd_pcm_hardware` a driver declares, plus the
/// machine's architecture (which decides whether the kernel may map the PCM records at all).
public struct SimulatedHardware: Sendable, Equatable {
    /// `runtime->hw.info` (ALSA_INFO_* bits).
    public var info: UInt32
    /// Bits `1 << SNDRV_PCM_ACCESS_*` the device accepts. The kernel also derives accesses from
    /// `info` (INTERLEAVED, NONINTERLEAVED, MMAP); refinement offers only those in both.
    public var accessMask: UInt32
    /// `SNDRV_PCM_FORMAT_*` values.
    public var formats: [Int32]
    /// The channel counts the device accepts.
    public var channelCount: ClosedRange<UInt32>
    /// The rates the device accepts.
    public var rates: Rates
    /// The period sizes the device accepts, in bytes.
    public var periodBytes: ClosedRange<UInt32>
    /// The numbers of periods per buffer the device accepts.
    public var periods: ClosedRange<UInt32>
    /// The largest buffer, in bytes.
    public var bufferBytesMax: UInt32
    /// The machine's architecture, which decides whether the kernel may map the PCM records.
    public var architecture: Architecture
    /// How the device answers RESUME after a suspend.
    public var resume: ResumeBehaviour
    /// The PCM's name, as INFO reports it.
    public var name: String
    /// runtime->delay: frames the driver declares between its buffer and the converter (a FIFO, a
    /// codec's pipeline). STATUS and DELAY add it to the delay of a running stream.
    public var extraDelayFrames: Int = 0
    /// How far the device's crystal is off, in parts per million of its rate (positive: fast).
    /// Two cards with different values are two clocks; one card's devices share its clock.
    public var clockDeviation: Int = 0
    /// A loopback card like snd-aloop: its clock follows the card's "PCM Rate Shift 100000"
    /// controls (`SimulatedKernel.addLoopbackCard`).
    public var isLoopback = false
    /// The accuracy the model reports for link timestamps (when `info` has HAS_LINK_ATIME).
    public static let linkTimestampAccuracyNanoseconds: UInt32 = 250

    /// The rates a device accepts: a range or a list.
    public enum Rates: Sendable, Equatable {
        /// Any rate in the range.
        case continuous(ClosedRange<UInt32>)
        /// Only these rates.
        case list([UInt32])
    }

    /// Where the simulated machine's kernel runs, as far as the PCM record mappings care.
    public enum Architecture: Sendable, Equatable {
        /// x86 (and PowerPC, Alpha): the kernel may map the status and control records.
        case x86
        /// Every other architecture: the kernel refuses both mappings with ENXIO.
        case arm64
    }

    /// How a device answers RESUME after a system suspend.
    public enum ResumeBehaviour: Sendable, Equatable {
        /// RESUME works at once.
        case supported
        /// RESUME fails with ENOSYS: the app must PREPARE.
        case unsupported
        /// RESUME fails with EAGAIN this many times (the device is still waking up), then works.
        case busy(times: Int)
    }

    /// A device with these limits; `.dummy`, `.explicitSync` and `.syncApplPtr` are ready-made ones.
    public init(info: UInt32, accessMask: UInt32, formats: [Int32], channelCount: ClosedRange<UInt32>, rates: Rates,
                periodBytes: ClosedRange<UInt32>, periods: ClosedRange<UInt32>, bufferBytesMax: UInt32,
                architecture: Architecture = .x86, resume: ResumeBehaviour = .supported, name: String = "Simulated PCM") {
        self.info = info
        self.accessMask = accessMask
        self.formats = formats
        self.channelCount = channelCount
        self.rates = rates
        self.periodBytes = periodBytes
        self.periods = periods
        self.bufferBytesMax = bufferBytesMax
        self.architecture = architecture
        self.resume = resume
        self.name = name
    }

    static let mmapAccesses: UInt32 = 1 << 0 | 1 << 1
    static let readWriteAccesses: UInt32 = 1 << 3 | 1 << 4

    /// Like snd-dummy on a 6.1 kernel: info 0x00040103, U8 and S16_LE, 5500–48000 Hz, 1–2 channels,
    /// 64 KiB of buffer. Being INTERLEAVED only, it offers MMAP_INTERLEAVED and RW_INTERLEAVED. Its
    /// period interrupts cannot be turned off (no NO_PERIOD_WAKEUP), as snd-dummy's and snd-aloop's.
    public static var dummy: SimulatedHardware {
        SimulatedHardware(info: ALSA_INFO_MMAP | ALSA_INFO_MMAP_VALID | ALSA_INFO_INTERLEAVED | ALSA_INFO_RESUME,
                          accessMask: 1 << 0 | 1 << 3,
                          formats: [1, 2], channelCount: 1...2, rates: .continuous(5500...48000),
                          periodBytes: 64...65536, periods: 1...1024, bufferBytesMax: 65536,
                          architecture: .x86, resume: .supported, name: "Simulated PCM")
    }

    /// A device with non-coherent DMA buffers: it declares EXPLICIT_SYNC, and, as HDA and SOF do,
    /// NO_PERIOD_WAKEUP (period interrupts can be turned off).
    public static var explicitSync: SimulatedHardware {
        SimulatedHardware(info: ALSA_INFO_MMAP | ALSA_INFO_MMAP_VALID | ALSA_INFO_INTERLEAVED | ALSA_INFO_NONINTERLEAVED
                            | ALSA_INFO_PAUSE | ALSA_INFO_RESUME | ALSA_INFO_EXPLICIT_SYNC | ALSA_INFO_NO_PERIOD_WAKEUP,
                          accessMask: mmapAccesses | readWriteAccesses,
                          formats: [1, 2, 10, 14, 32], channelCount: 1...8,
                          rates: .list([8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 192000]),
                          periodBytes: 64...262_144, periods: 2...1024, bufferBytesMax: 1 << 20,
                          architecture: .x86, resume: .supported, name: "ExplicitSync PCM")
    }

    /// Like snd-aloop: interleaved and non-interleaved, mmap and read/write, pause and resume,
    /// S16 to FLOAT in 1-32 channels at 8-192 kHz, 2 MiB of buffer, and a clock its "PCM Rate
    /// Shift 100000" controls slow or speed up.
    public static var loopback: SimulatedHardware {
        var hardware = SimulatedHardware(info: ALSA_INFO_MMAP | ALSA_INFO_MMAP_VALID | ALSA_INFO_INTERLEAVED | ALSA_INFO_NONINTERLEAVED
                                            | ALSA_INFO_PAUSE | ALSA_INFO_RESUME,
                                         accessMask: mmapAccesses | readWriteAccesses,
                                         formats: [2, 6, 10, 14, 32], channelCount: 1...32, rates: .continuous(8000...192_000),
                                         periodBytes: 64...1_048_576, periods: 1...1024, bufferBytesMax: 2 * 1_048_576,
                                         architecture: .x86, resume: .supported, name: "Loopback PCM")
        hardware.isLoopback = true
        return hardware
    }

    /// A driver that must see every appl_ptr move (like SOF): SYNC_APPLPTR.
    public static var syncApplPtr: SimulatedHardware {
        var hardware = dummy
        hardware.info |= ALSA_INFO_SYNC_APPLPTR
        hardware.name = "SyncApplPtr PCM"
        return hardware
    }
}
