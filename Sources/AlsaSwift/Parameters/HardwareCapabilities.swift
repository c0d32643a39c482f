import CAlsaKernel

/// What a device can do, read from HW_REFINE of the whole configuration space.
public struct HardwareCapabilities: Sendable, Equatable {
    /// The access types offered.
    public var accessTypes: [AccessType]
    /// The sample formats offered.
    public var formats: [SampleFormat]
    /// The channel counts offered.
    public var channels: ClosedRange<Int>
    /// The rates offered, in frames per second.
    public var rate: ClosedRange<Int>
    /// The period sizes offered, in frames.
    public var periodSize: ClosedRange<Int>
    /// The numbers of periods per buffer offered.
    public var periods: ClosedRange<Int>
    /// The buffer sizes offered, in frames.
    public var bufferSize: ClosedRange<Int>
    /// Microseconds.
    public var periodTime: ClosedRange<Int>
    /// The buffer lengths offered, in microseconds.
    public var bufferTime: ClosedRange<Int>
    /// The driver's info flags (mmap, pause, explicit sync...).
    public var info: PCMInfoFlags

    /// The driver declared `SNDRV_PCM_INFO_EXPLICIT_SYNC`: its buffer is not coherent, so pointers
    /// and data must move through SYNC_PTR.
    public var requiresExplicitSync: Bool { info.contains(.explicitSync) }

    /// Capabilities with these ranges; PCMs read their own at open (`PCM.capabilities`).
    public init(accessTypes: [AccessType], formats: [SampleFormat], channels: ClosedRange<Int>, rate: ClosedRange<Int>,
                periodSize: ClosedRange<Int>, periods: ClosedRange<Int>, bufferSize: ClosedRange<Int>,
                periodTime: ClosedRange<Int>, bufferTime: ClosedRange<Int>, info: PCMInfoFlags) {
        self.accessTypes = accessTypes
        self.formats = formats
        self.channels = channels
        self.rate = rate
        self.periodSize = periodSize
        self.periods = periods
        self.bufferSize = bufferSize
        self.periodTime = periodTime
        self.bufferTime = bufferTime
        self.info = info
    }

    init(refined p: HardwareParameters) {
        accessTypes = p.maskBits(ALSA_HW_PARAM_ACCESS).compactMap { AccessType(rawValue: $0) }
        formats = p.maskBits(ALSA_HW_PARAM_FORMAT).map { SampleFormat(rawValue: $0) }
        func range(_ parameter: Int32) -> ClosedRange<Int> {
            guard let r = p.range(parameter) else { return 0...0 }
            return Int(r.lowerBound)...Int(r.upperBound)
        }
        channels = range(ALSA_HW_PARAM_CHANNELS)
        rate = range(ALSA_HW_PARAM_RATE)
        periodSize = range(ALSA_HW_PARAM_PERIOD_SIZE)
        periods = range(ALSA_HW_PARAM_PERIODS)
        bufferSize = range(ALSA_HW_PARAM_BUFFER_SIZE)
        periodTime = range(ALSA_HW_PARAM_PERIOD_TIME)
        bufferTime = range(ALSA_HW_PARAM_BUFFER_TIME)
        info = p.info
    }
}
