import CAlsaKernel

/// What a device can do, read from HW_REFINE of the whole configuration space.
public struct HardwareCapabilities: Sendable, Equatable {
    /// The access types offered.
    public var accessTypes: [AccessType]
    /// The sample formats offered.
    public var formats: [SampleFormat]
    /// The channel counts offered.
    public var channelCount: ClosedRange<Int>
    /// The sample rates offered, in frames per second.
    public var sampleRate: ClosedRange<Int>
    /// The period sizes offered, in frames.
    public var periodSize: ClosedRange<Int>
    /// The numbers of periods per buffer offered.
    public var periodCount: ClosedRange<Int>
    /// The buffer sizes offered, in frames.
    public var bufferSize: ClosedRange<Int>
    /// The period lengths offered, to the microsecond (the kernel's unit).
    public var periodDuration: ClosedRange<Duration>
    /// The buffer lengths offered, to the microsecond (the kernel's unit).
    public var bufferDuration: ClosedRange<Duration>
    /// The driver's info flags (mmap, pause, explicit sync...).
    public var info: PCMInfoFlags

    /// The driver declared `SNDRV_PCM_INFO_EXPLICIT_SYNC`: its buffer is not coherent, so pointers
    /// and data must move through SYNC_PTR.
    public var requiresExplicitSync: Bool { info.contains(.explicitSync) }

    /// Capabilities with these ranges; PCMs read their own at open (`PCM.capabilities`).
    public init(accessTypes: [AccessType], formats: [SampleFormat], channelCount: ClosedRange<Int>, sampleRate: ClosedRange<Int>,
                periodSize: ClosedRange<Int>, periodCount: ClosedRange<Int>, bufferSize: ClosedRange<Int>,
                periodDuration: ClosedRange<Duration>, bufferDuration: ClosedRange<Duration>, info: PCMInfoFlags) {
        self.accessTypes = accessTypes
        self.formats = formats
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.periodSize = periodSize
        self.periodCount = periodCount
        self.bufferSize = bufferSize
        self.periodDuration = periodDuration
        self.bufferDuration = bufferDuration
        self.info = info
    }

    /// Microseconds, the kernel's unit for period and buffer time, as durations.
    static func microseconds(_ range: ClosedRange<Int>) -> ClosedRange<Duration> {
        .microseconds(range.lowerBound) ... .microseconds(range.upperBound)
    }

    init(refined p: HardwareParameters) {
        accessTypes = p.maskBits(ALSA_HW_PARAM_ACCESS).compactMap { AccessType(rawValue: $0) }
        formats = p.maskBits(ALSA_HW_PARAM_FORMAT).map { SampleFormat(rawValue: $0) }
        func range(_ parameter: Int32) -> ClosedRange<Int> {
            guard let r = p.range(parameter) else { return 0...0 }
            return Int(r.lowerBound)...Int(r.upperBound)
        }
        channelCount = range(ALSA_HW_PARAM_CHANNELS)
        sampleRate = range(ALSA_HW_PARAM_RATE)
        periodSize = range(ALSA_HW_PARAM_PERIOD_SIZE)
        periodCount = range(ALSA_HW_PARAM_PERIODS)
        bufferSize = range(ALSA_HW_PARAM_BUFFER_SIZE)
        periodDuration = Self.microseconds(range(ALSA_HW_PARAM_PERIOD_TIME))
        bufferDuration = Self.microseconds(range(ALSA_HW_PARAM_BUFFER_TIME))
        info = p.info
    }
}
