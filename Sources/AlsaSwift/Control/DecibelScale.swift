import CAlsaKernel

#if canImport(Glibc)
import Glibc
#endif

/// How an integer element's values map to decibels, from its TLV data. Gains are in hundredths of
/// a decibel (-650 is -6.5 dB), the unit the kernel and alsa-lib use, so that conversions are exact
/// and give the same integers alsa-lib gives.
///
/// The conversions follow alsa-lib's (`snd_tlv_convert_to_dB`, `snd_tlv_convert_from_dB`,
/// `snd_tlv_get_dB_range`) rule for rule, including their integer truncation, so that a value
/// set here reads back the same in amixer and alsamixer. The tests compare them with alsa-lib's own
/// functions over many scales and values.
public indirect enum DecibelScale: Sendable, Equatable {
    /// DB_SCALE: `minimum` at the lowest value, `step` more per value. `mutesAtMinimum`: the lowest
    /// value is silence rather than `minimum`.
    case steps(minimum: Int, step: Int, mutesAtMinimum: Bool)
    /// DB_MINMAX and DB_MINMAX_MUTE: linear in dB from `minimum` to `maximum` over the value range.
    case minMax(minimum: Int, maximum: Int, mutesAtMinimum: Bool)
    /// DB_LINEAR: values are linear in amplitude between the two gains.
    case linearAmplitude(minimum: Int, maximum: Int)
    /// DB_RANGE: different scales for different value ranges (many codecs).
    case ranges([DecibelSubrange])

    /// The gain alsa-lib reports for silence (SND_CTL_TLV_DB_GAIN_MUTE), in hundredths of a dB.
    public static let muteGain = Int(ALSA_CTL_TLV_DB_GAIN_MUTE)
}

/// One part of a DB_RANGE scale: the element values it covers and their scale.
public struct DecibelSubrange: Sendable, Equatable {
    /// The lowest element value the part covers.
    public var minimumValue: Int
    /// The highest element value the part covers.
    public var maximumValue: Int
    /// The scale over those values.
    public var scale: DecibelScale

    /// A part covering `minimumValue...maximumValue` with `scale`.
    public init(minimumValue: Int, maximumValue: Int, scale: DecibelScale) {
        self.minimumValue = minimumValue
        self.maximumValue = maximumValue
        self.scale = scale
    }
}

/// Which way a gain between two values goes, as alsa-lib's `xdir`.
public enum DecibelRounding: Sendable, Equatable {
    /// The value whose gain is at most the one asked for.
    case down
    /// The value whose gain is nearest the one asked for.
    case nearest
    /// The value whose gain is at least the one asked for.
    case up
}

// MARK: conversions

extension DecibelScale {
    /// The gain of `value` on an element whose values run over `range`, in hundredths of a dB;
    /// `muteGain` for silence. Throws for a DB_RANGE scale that does not cover the value.
    public func gain(ofValue value: Int, range: ClosedRange<Int>) throws(AlsaError) -> Int {
        switch self {
        case .ranges(let parts):
            guard let part = parts.first(where: { value >= $0.minimumValue && value <= $0.maximumValue }) else {
                throw AlsaError(.decibelConversion, .invalidArgument, context: "value \(value) is in no part of the dB range")
            }
            return try part.scale.gain(ofValue: value, bounds: part.minimumValue, part.maximumValue)
        default:
            return try gain(ofValue: value, bounds: range.lowerBound, range.upperBound)
        }
    }

    /// The lowest and highest gain over `range` (the lowest is `muteGain` when the scale mutes).
    public func gainRange(over range: ClosedRange<Int>) throws(AlsaError) -> (minimum: Int, maximum: Int) {
        try gainRange(bounds: range.lowerBound, range.upperBound)
    }

    /// The element value for `gain` (hundredths of a dB), rounded as asked when it falls between
    /// two values, and held to the range.
    public func value(forGain gain: Int, range: ClosedRange<Int>, rounding: DecibelRounding) throws(AlsaError) -> Int {
        try value(forGain: gain, bounds: range.lowerBound, range.upperBound, rounding: rounding)
    }

    // The bounds are separate integers, not a range: DB_RANGE parts may be given inverted, and
    // alsa-lib then computes with them as they are.
    private func gain(ofValue value: Int, bounds low: Int, _ high: Int) throws(AlsaError) -> Int {
        switch self {
        case .ranges:
            return try gain(ofValue: value, range: low...max(low, high))
        case .steps(let minimum, let step, let mutes):
            if mutes && value <= low { return Self.muteGain }
            return (value - low) * step + minimum
        case .minMax(let minimum, let maximum, let mutes):
            var gain = high <= low ? minimum : (maximum - minimum) * (value - low) / (high - low) + minimum
            gain = Swift.min(Swift.max(gain, minimum), maximum)
            return mutes && gain == minimum ? Self.muteGain : gain
        case .linearAmplitude(let minimum, let maximum):
            if value <= low || high <= low { return minimum }
            if value >= high { return maximum }
            let fraction = Double(value - low) / Double(high - low)
            if minimum <= Self.muteGain { return Int(2000.0 * log10(fraction)) + maximum }
            let lowAmplitude = pow(10.0, Double(minimum) / 2000.0)
            let highAmplitude = pow(10.0, Double(maximum) / 2000.0)
            return Int(2000.0 * log10((highAmplitude - lowAmplitude) * fraction + lowAmplitude))
        }
    }

    private func gainRange(bounds low: Int, _ high: Int) throws(AlsaError) -> (minimum: Int, maximum: Int) {
        switch self {
        case .ranges(let parts):
            var result: (minimum: Int, maximum: Int)?
            for part in parts {
                let partHigh = Swift.min(part.maximumValue, high)
                let gains = try part.scale.gainRange(bounds: part.minimumValue, partHigh)
                result = result.map { (Swift.min($0.minimum, gains.minimum), Swift.max($0.maximum, gains.maximum)) } ?? gains
                if partHigh == high { break }
            }
            guard let result else { throw AlsaError(.decibelConversion, .invalidArgument, context: "empty dB range") }
            return result
        case .steps(let minimum, let step, let mutes):
            return (mutes ? Self.muteGain : minimum, minimum + step * (high - low))
        case .minMax(let minimum, let maximum, let mutes):
            return (mutes ? Self.muteGain : minimum, maximum)
        case .linearAmplitude(let minimum, let maximum):
            return (minimum, maximum)
        }
    }

    private func value(forGain gain: Int, bounds low: Int, _ high: Int, rounding: DecibelRounding) throws(AlsaError) -> Int {
        switch self {
        case .ranges(let parts):
            var previousHigh = 0
            for (position, part) in parts.enumerated() {
                let partHigh = Swift.min(part.maximumValue, high)
                let gains = try? part.scale.gainRange(bounds: part.minimumValue, partHigh)
                if let gains, gain >= gains.minimum, gain <= gains.maximum {
                    return try part.scale.value(forGain: gain, bounds: part.minimumValue, partHigh, rounding: rounding)
                }
                // Below this part: its lowest value, or the top of the part before when rounding down.
                if let gains, gain < gains.minimum {
                    return rounding == .up || position == 0 ? part.minimumValue : previousHigh
                }
                previousHigh = partHigh
                if partHigh == high { break }
            }
            return previousHigh
        case .steps(let minimum, let step, let mutes):
            // The kernel's int arithmetic: the top gain wraps as a 32-bit int would.
            let maximum = minimum + Int(Int32(truncatingIfNeeded: step * (high - low)))
            return Self.interpolate(gain, minimum: minimum, maximum: maximum, low: low, high: high, rounding: rounding,
                                    mutes: mutes)
        case .minMax(let minimum, let maximum, let mutes):
            return Self.interpolate(gain, minimum: minimum, maximum: maximum, low: low, high: high, rounding: rounding,
                                    mutes: mutes)
        case .linearAmplitude(let minimum, let maximum):
            if gain <= minimum { return low }
            if gain >= maximum { return high }
            let lowAmplitude = minimum <= Self.muteGain ? 0.0 : pow(10.0, Double(minimum) / 2000.0)
            let highAmplitude = maximum == 0 ? 1.0 : pow(10.0, Double(maximum) / 2000.0)
            var v = (pow(10.0, Double(gain) / 2000.0) - lowAmplitude) * Double(high - low) / (highAmplitude - lowAmplitude)
            switch rounding {
            case .up: v = ceil(v)
            case .nearest: v = Double(lrint(v))
            case .down: break
            }
            return Int(v) + low
        }
    }

    /// A gain between `minimum` (at `low`) and `maximum` (at `high`), linear in dB.
    private static func interpolate(_ gain: Int, minimum: Int, maximum: Int, low: Int, high: Int,
                                    rounding: DecibelRounding, mutes: Bool) -> Int {
        if gain <= minimum {
            // Rounding up from just below the minimum must not land on silence.
            return gain > muteGain && rounding == .up && mutes ? low + 1 : low
        }
        if gain >= maximum { return high }
        let span = maximum - minimum
        var scaled = (gain - minimum) * (high - low)
        switch rounding {
        case .up: scaled += span - 1
        case .nearest: scaled += (span + 1) / 2
        case .down: break
        }
        return scaled / span + low
    }
}

// MARK: the TLV words

extension DecibelScale {
    /// Largest dB entry alsa-lib accepts, in bytes (its MAX_TLV_RANGE_SIZE).
    static let largestEntryBytes = 256

    /// Finds the dB scale in an element's TLV words (searching containers), as
    /// `snd_tlv_parse_dB_info` does. nil when the TLV has no dB entry; throws when it is malformed.
    public init?(tlv words: [UInt32]) throws(AlsaError) {
        guard let scale = try Self.find(in: words[...]) else { return nil }
        self = scale
    }

    private static func malformed(_ why: String) -> AlsaError {
        AlsaError(.controlTLVRead, .badMessage, context: "TLV: \(why)")
    }

    /// Whole 32-bit words needed for `bytes` of payload.
    private static func words(forBytes bytes: UInt32) -> Int { (Int(bytes) + 3) / 4 }

    private static func find(in words: ArraySlice<UInt32>) throws(AlsaError) -> DecibelScale? {
        guard words.count >= 2 else { throw malformed("\(words.count) words, too short for a type and length") }
        let type = words[words.startIndex], length = words[words.startIndex + 1]
        let payloadWords = self.words(forBytes: length)
        guard payloadWords <= words.count - 2 else { throw malformed("entry of \(length) bytes in \((words.count - 2) * 4)") }
        let payload = words[(words.startIndex + 2)..<(words.startIndex + 2 + payloadWords)]
        switch type {
        case ALSA_CTL_TLVT_CONTAINER:
            var rest = payload
            while !rest.isEmpty {
                if let found = try find(in: rest) { return found }
                let entryWords = 2 + self.words(forBytes: rest[rest.startIndex + 1])
                rest = rest.dropFirst(entryWords)
            }
            return nil
        case ALSA_CTL_TLVT_DB_SCALE, ALSA_CTL_TLVT_DB_MINMAX, ALSA_CTL_TLVT_DB_MINMAX_MUTE, ALSA_CTL_TLVT_DB_LINEAR,
             ALSA_CTL_TLVT_DB_RANGE:
            let smallest = type == ALSA_CTL_TLVT_DB_RANGE ? 16 : 8
            guard Int(length) >= smallest, Int(length) <= largestEntryBytes else { throw malformed("dB entry of \(length) bytes") }
            return try scale(type: type, payload: payload)
        default:
            return nil
        }
    }

    /// One dB entry's payload, already bounded to its length.
    private static func scale(type: UInt32, payload: ArraySlice<UInt32>) throws(AlsaError) -> DecibelScale {
        func signed(_ offset: Int) -> Int { Int(Int32(bitPattern: payload[payload.startIndex + offset])) }
        switch type {
        case ALSA_CTL_TLVT_DB_SCALE:
            let word = payload[payload.startIndex + 1]
            return .steps(minimum: signed(0), step: Int(word & 0xffff), mutesAtMinimum: word & 0x10000 != 0)
        case ALSA_CTL_TLVT_DB_MINMAX, ALSA_CTL_TLVT_DB_MINMAX_MUTE:
            return .minMax(minimum: signed(0), maximum: signed(1), mutesAtMinimum: type == ALSA_CTL_TLVT_DB_MINMAX_MUTE)
        case ALSA_CTL_TLVT_DB_LINEAR:
            return .linearAmplitude(minimum: signed(0), maximum: signed(1))
        case ALSA_CTL_TLVT_DB_RANGE:
            // Parts of min, max, then a dB entry; alsa-lib walks them while a part of a two-word
            // entry (six words) still fits.
            var parts: [DecibelSubrange] = []
            var position = 0
            while position + 6 <= payload.count {
                let entryType = payload[payload.startIndex + position + 2]
                let entryWords = words(forBytes: payload[payload.startIndex + position + 3])
                let start = payload.startIndex + position + 4
                guard start + entryWords <= payload.endIndex, entryWords >= 2 else {
                    throw malformed("DB_RANGE part of \(entryWords) words at word \(position)")
                }
                guard [ALSA_CTL_TLVT_DB_SCALE, ALSA_CTL_TLVT_DB_MINMAX, ALSA_CTL_TLVT_DB_MINMAX_MUTE,
                       ALSA_CTL_TLVT_DB_LINEAR].contains(entryType) else {
                    throw malformed("DB_RANGE part of type \(entryType)")
                }
                parts.append(DecibelSubrange(minimumValue: signed(position), maximumValue: signed(position + 1),
                                             scale: try scale(type: entryType, payload: payload[start..<(start + entryWords)])))
                position += 4 + entryWords
            }
            guard !parts.isEmpty else { throw malformed("DB_RANGE without parts") }
            return .ranges(parts)
        default:
            throw malformed("type \(type)")
        }
    }
}
