import CAlsaKernel

/// What an app asks for. Access and format are exact (the direct transport does not convert);
/// the numbers are targets that negotiation meets as closely as the device allows.
public struct HardwareRequest: Sendable, Equatable {
    /// How the app will transfer: read/write or mmap, interleaved or not. Granted exactly or refused.
    public var access: AccessType
    /// The sample format. Granted exactly or refused.
    public var format: SampleFormat
    /// Samples per frame.
    public var channelCount: Int
    /// Frames per second.
    public var sampleRate: Int
    /// Frames per period; nil lets the driver choose.
    public var periodSize: Int?
    /// Periods per buffer; ignored when `bufferSize` is set; nil lets the driver choose.
    public var periodCount: Int?
    /// Frames in the ring buffer; nil derives it from `periodCount` or lets the driver choose.
    public var bufferSize: Int?

    /// A request; every number is checked when a PCM is configured with it.
    public init(access: AccessType = .readWriteInterleaved, format: SampleFormat = .s16LE,
                channelCount: Int = 2, sampleRate: Int = 48_000, periodSize: Int? = nil,
                periodCount: Int? = nil, bufferSize: Int? = nil) {
        self.access = access
        self.format = format
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.periodSize = periodSize
        self.periodCount = periodCount
        self.bufferSize = bufferSize
    }
}

extension HardwareRequest {
    /// Refuses what no device can grant, before any transport sees it: zero, negative, or
    /// beyond the kernel's 32-bit intervals.
    func validate() throws(AlsaError) {
        let numbers: [(String, Int?)] = [("channels", channelCount), ("rate", sampleRate), ("period size", periodSize),
                                         ("period count", periodCount), ("buffer size", bufferSize)]
        for (name, value) in numbers {
            guard let value else { continue }
            guard value > 0 else { throw AlsaError(.configure, .invalidArgument, context: "\(name) \(value) is impossible") }
            guard value <= Int(UInt32.max) else {
                throw AlsaError(.configure, .invalidArgument, context: "\(name) \(value) is beyond what ALSA can express (\(UInt32.max))")
            }
        }
        guard format.physicalBits != nil else {
            throw AlsaError(.configure, .invalidArgument, context: "format \(format) has no fixed sample width")
        }
    }
}

/// What the kernel granted with HW_PARAMS.
public struct HardwareSetup: Sendable, Equatable, CustomStringConvertible {
    /// The access type granted.
    public var access: AccessType
    /// The sample format granted.
    public var format: SampleFormat
    /// Samples per frame.
    public var channelCount: Int
    /// Frames per second (rounded when the device's rate is a fraction).
    public var sampleRate: Int
    /// The exact rate as the fraction the kernel reported (numerator / denominator), when it did.
    public var rateFraction: (numerator: Int, denominator: Int)?
    /// Frames per period: the unit the device wakes the app in.
    public var periodSize: Int
    /// Periods in the ring buffer.
    public var periodCount: Int
    /// Frames in the ring buffer.
    public var bufferSize: Int
    /// Bits of each sample the device uses (the rest is padding).
    public var significantBits: Int
    /// The negotiated info word: the device's flags, EXPLICIT_SYNC included.
    public var info: PCMInfoFlags

    /// Bytes one frame occupies in the buffer.
    public var frameBytes: Int { channelCount * (format.physicalBits ?? 0) / 8 }
    /// Bytes the ring buffer occupies.
    public var bufferBytes: Int { bufferSize * frameBytes }
    /// The buffer's length in time, the worst-case output latency.
    public var bufferDuration: Duration { .nanoseconds(Int64(bufferSize) * 1_000_000_000 / Int64(max(sampleRate, 1))) }
    /// A period's length in time.
    public var periodDuration: Duration { .nanoseconds(Int64(periodSize) * 1_000_000_000 / Int64(max(sampleRate, 1))) }

    public static func == (a: HardwareSetup, b: HardwareSetup) -> Bool {
        a.access == b.access && a.format == b.format && a.channelCount == b.channelCount && a.sampleRate == b.sampleRate
            && a.periodSize == b.periodSize && a.periodCount == b.periodCount && a.bufferSize == b.bufferSize
            && a.significantBits == b.significantBits && a.info == b.info
            && a.rateFraction?.numerator == b.rateFraction?.numerator
            && a.rateFraction?.denominator == b.rateFraction?.denominator
    }

    public var description: String {
        "\(access) \(format) \(channelCount)ch \(sampleRate)Hz, period \(periodSize) x \(periodCount) = buffer \(bufferSize) frames, info \(info)"
    }

    /// A setup as a transport reports it.
    public init(access: AccessType, format: SampleFormat, channelCount: Int, sampleRate: Int,
                rateFraction: (numerator: Int, denominator: Int)? = nil, periodSize: Int, periodCount: Int,
                bufferSize: Int, significantBits: Int, info: PCMInfoFlags) {
        self.access = access
        self.format = format
        self.channelCount = channelCount
        self.sampleRate = sampleRate
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
        self.channelCount = Int(channels)
        self.sampleRate = Int(rate)
        self.rateFraction = p.rateDenominator == 0 ? nil : (Int(p.rateNumerator), Int(p.rateDenominator))
        self.periodSize = Int(periodSize)
        self.periodCount = Int(p.value(ALSA_HW_PARAM_PERIODS) ?? (periodSize == 0 ? 0 : bufferSize / periodSize))
        self.bufferSize = Int(bufferSize)
        self.significantBits = Int(p.significantBits)
        self.info = p.info
    }
}
