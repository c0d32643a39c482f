import CAlsaKernel

/// What an app asks for. Access and format are exact (the direct transport does not convert);
/// the numbers are targets that negotiation meets as closely as the device allows.
public struct HardwareRequest: Sendable, Equatable {
    public var access: AccessType
    public var format: SampleFormat
    public var channels: UInt32
    public var rate: UInt32
    /// Frames per period; nil lets the driver choose.
    public var periodSize: UInt32?
    /// Periods per buffer; ignored when `bufferSize` is set; nil lets the driver choose.
    public var periodCount: UInt32?
    /// Frames in the ring buffer; nil derives it from `periodCount` or lets the driver choose.
    public var bufferSize: UInt32?

    public init(access: AccessType = .readWriteInterleaved, format: SampleFormat = .s16LE,
                channels: UInt32 = 2, rate: UInt32 = 48_000, periodSize: UInt32? = nil,
                periodCount: UInt32? = nil, bufferSize: UInt32? = nil) {
        self.access = access
        self.format = format
        self.channels = channels
        self.rate = rate
        self.periodSize = periodSize
        self.periodCount = periodCount
        self.bufferSize = bufferSize
    }
}

extension HardwareRequest {
    /// Refuses what no device can grant, before any transport sees it.
    func validate() throws(AlsaError) {
        let numbers: [(String, UInt32?)] = [("channels", channels), ("rate", rate), ("period size", periodSize),
                                            ("period count", periodCount), ("buffer size", bufferSize)]
        for (name, value) in numbers where value == 0 {
            throw AlsaError(.configure, .invalidArgument, context: "\(name) 0 is impossible")
        }
        guard format.physicalBits != nil else {
            throw AlsaError(.configure, .invalidArgument, context: "format \(format) has no fixed sample width")
        }
    }
}

/// What the kernel granted with HW_PARAMS.
public struct HardwareSetup: Sendable, Equatable, CustomStringConvertible {
    public var access: AccessType
    public var format: SampleFormat
    public var channels: UInt32
    public var rate: UInt32
    /// The exact rate as the fraction the kernel reported (numerator / denominator), when it did.
    public var rateFraction: (numerator: UInt32, denominator: UInt32)?
    public var periodSize: UInt32
    public var periodCount: UInt32
    public var bufferSize: UInt32
    public var significantBits: UInt32
    /// The negotiated info word: the device's flags, EXPLICIT_SYNC included.
    public var info: PCMInfoFlags

    /// Bytes one frame occupies in the buffer.
    public var frameBytes: Int { channels == 0 ? 0 : Int(channels) * (format.physicalBits ?? 0) / 8 }
    public var bufferBytes: Int { Int(bufferSize) * frameBytes }
    /// The buffer's length in time, the worst-case output latency.
    public var bufferDuration: Duration { .nanoseconds(Int64(bufferSize) * 1_000_000_000 / Int64(max(rate, 1))) }
    public var periodDuration: Duration { .nanoseconds(Int64(periodSize) * 1_000_000_000 / Int64(max(rate, 1))) }

    public static func == (a: HardwareSetup, b: HardwareSetup) -> Bool {
        a.access == b.access && a.format == b.format && a.channels == b.channels && a.rate == b.rate
            && a.periodSize == b.periodSize && a.periodCount == b.periodCount && a.bufferSize == b.bufferSize
            && a.significantBits == b.significantBits && a.info == b.info
            && a.rateFraction?.numerator == b.rateFraction?.numerator
            && a.rateFraction?.denominator == b.rateFraction?.denominator
    }

    public var description: String {
        "\(access) \(format) \(channels)ch \(rate)Hz, period \(periodSize) x \(periodCount) = buffer \(bufferSize) frames, info \(info)"
    }

    public init(access: AccessType, format: SampleFormat, channels: UInt32, rate: UInt32,
                rateFraction: (numerator: UInt32, denominator: UInt32)? = nil, periodSize: UInt32, periodCount: UInt32,
                bufferSize: UInt32, significantBits: UInt32, info: PCMInfoFlags) {
        self.access = access
        self.format = format
        self.channels = channels
        self.rate = rate
        self.rateFraction = rateFraction
        self.periodSize = periodSize
        self.periodCount = periodCount
        self.bufferSize = bufferSize
        self.significantBits = significantBits
        self.info = info
    }

    init(fixed p: HardwareParameters) throws(AlsaError) {
        guard let accessBit = p.maskBits(ALSA_HW_PARAM_ACCESS).first, let access = AccessType(rawValue: accessBit),
              let formatBit = p.maskBits(ALSA_HW_PARAM_FORMAT).first,
              let channels = p.value(ALSA_HW_PARAM_CHANNELS), let rate = p.value(ALSA_HW_PARAM_RATE),
              let periodSize = p.value(ALSA_HW_PARAM_PERIOD_SIZE), let bufferSize = p.value(ALSA_HW_PARAM_BUFFER_SIZE)
        else {
            throw AlsaError(.hwParams, .invalidArgument, context: "the kernel returned parameters that are not fixed")
        }
        self.access = access
        self.format = SampleFormat(rawValue: formatBit)
        self.channels = channels
        self.rate = rate
        self.rateFraction = p.rateDenominator == 0 ? nil : (p.rateNumerator, p.rateDenominator)
        self.periodSize = periodSize
        self.periodCount = p.value(ALSA_HW_PARAM_PERIODS) ?? (periodSize == 0 ? 0 : bufferSize / periodSize)
        self.bufferSize = bufferSize
        self.significantBits = p.significantBits
        self.info = p.info
    }
}
