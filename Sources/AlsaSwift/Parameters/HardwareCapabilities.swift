import CAlsaKernel

/// What a device can do, read from HW_REFINE of the whole configuration space.
public struct HardwareCapabilities: Sendable, Equatable {
    public var accessTypes: [AccessType]
    public var formats: [SampleFormat]
    public var channels: ClosedRange<UInt32>
    public var rate: ClosedRange<UInt32>
    public var periodSize: ClosedRange<UInt32>
    public var periods: ClosedRange<UInt32>
    public var bufferSize: ClosedRange<UInt32>
    /// Microseconds.
    public var periodTime: ClosedRange<UInt32>
    public var bufferTime: ClosedRange<UInt32>
    public var info: PCMInfoFlags

    /// The driver declared `SNDRV_PCM_INFO_EXPLICIT_SYNC`: its buffer is not coherent, so pointers
    /// and data must move through SYNC_PTR.
    public var requiresExplicitSync: Bool { info.contains(.explicitSync) }

    public init(accessTypes: [AccessType], formats: [SampleFormat], channels: ClosedRange<UInt32>, rate: ClosedRange<UInt32>,
                periodSize: ClosedRange<UInt32>, periods: ClosedRange<UInt32>, bufferSize: ClosedRange<UInt32>,
                periodTime: ClosedRange<UInt32>, bufferTime: ClosedRange<UInt32>, info: PCMInfoFlags) {
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
        let none: ClosedRange<UInt32> = 0...0
        channels = p.range(ALSA_HW_PARAM_CHANNELS) ?? none
        rate = p.range(ALSA_HW_PARAM_RATE) ?? none
        periodSize = p.range(ALSA_HW_PARAM_PERIOD_SIZE) ?? none
        periods = p.range(ALSA_HW_PARAM_PERIODS) ?? none
        bufferSize = p.range(ALSA_HW_PARAM_BUFFER_SIZE) ?? none
        periodTime = p.range(ALSA_HW_PARAM_PERIOD_TIME) ?? none
        bufferTime = p.range(ALSA_HW_PARAM_BUFFER_TIME) ?? none
        info = p.info
    }
}
