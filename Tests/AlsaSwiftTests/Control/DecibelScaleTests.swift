import AlsaSwift
import CAlsa
import Testing

/// The dB conversions against alsa-lib's own (`snd_tlv_*`), over many scales and every value or
/// gain in and around their ranges: a volume set here must read back the same in amixer.
@Suite("dB scales from TLV match alsa-lib")
struct DecibelScaleTests {
    /// A TLV entry as the kernel builds it (type, length in bytes, payload).
    static func entry(_ type: UInt32, _ payload: [UInt32]) -> [UInt32] { [type, UInt32(payload.count * 4)] + payload }
    static func word(_ value: Int) -> UInt32 { UInt32(bitPattern: Int32(value)) }

    static func steps(_ minimum: Int, _ step: Int, mute: Bool) -> [UInt32] {
        entry(1, [word(minimum), UInt32(step) | (mute ? 0x10000 : 0)])
    }
    static func minMax(_ minimum: Int, _ maximum: Int, mute: Bool) -> [UInt32] { entry(mute ? 5 : 4, [word(minimum), word(maximum)]) }
    static func linear(_ minimum: Int, _ maximum: Int) -> [UInt32] { entry(2, [word(minimum), word(maximum)]) }
    static func ranges(_ parts: [(Int, Int, [UInt32])]) -> [UInt32] {
        entry(3, parts.flatMap { [word($0.0), word($0.1)] + $0.2 })
    }

    /// Scales real drivers use (snd-dummy, AC97, HDA codecs, USB audio) and odd ones, each with
    /// the element range it comes with.
    static let cases: [(name: String, tlv: [UInt32], range: ClosedRange<Int>)] = [
        ("dummy -45..0 dB, 0.3 dB steps", steps(-4500, 30, mute: false), 0...100),
        ("AC97 master -46.5 dB, 1.5 dB steps, mute", steps(-4650, 150, mute: true), 0...31),
        ("AC97 gain 0..22.5 dB", steps(0, 150, mute: false), 0...15),
        ("HDA -95.25 dB 0.75 step mute", steps(-9525, 75, mute: true), 0...127),
        ("odd element range", steps(-1000, 7, mute: true), -20...57),
        ("one value", steps(-600, 100, mute: false), 5...5),
        ("minmax -60..0", minMax(-6000, 0, mute: false), 0...255),
        ("minmax mute -50..+6", minMax(-5000, 600, mute: true), 0...100),
        // An odd dB span, where rounding to nearest has an exact half to break.
        ("minmax odd span", minMax(-1001, 0, mute: false), 0...2),
        ("minmax negative values", minMax(-3000, -100, mute: false), -64...63),
        ("linear from silence", linear(Int(CAlsa.SND_CTL_TLV_DB_GAIN_MUTE), 0), 0...65536),
        ("linear -40..+12", linear(-4000, 1200), 0...1000),
        ("linear to 0 dB", linear(-9000, 0), 0...32),
        ("range: two parts", ranges([(0, 3, steps(-3000, 500, mute: true)), (4, 31, steps(-1500, 100, mute: false))]), 0...31),
        ("range: three parts, mixed kinds",
         ranges([(0, 1, minMax(-7000, -6000, mute: true)), (2, 40, steps(-5900, 50, mute: false)),
                 (41, 80, linear(-3900, 600))]), 0...80),
        ("range: element narrower than the parts", ranges([(0, 10, steps(-2000, 100, mute: false)), (11, 60, steps(-1000, 25, mute: false))]), 0...40),
        // alsa-lib 1.2.8 refuses a container whose dB entry is not its first; newer ones search on,
        // as DecibelScale does. Only the shape both accept is compared.
        ("container around a scale", entry(0, steps(-2400, 50, mute: true)), 0...48),
    ]

    static func alsaRange(_ tlv: inout [UInt32], _ range: ClosedRange<Int>) -> (Int32, Int, Int) {
        var minimum = 0, maximum = 0
        let result = tlv.withUnsafeMutableBufferPointer { words -> Int32 in
            var found: UnsafeMutablePointer<UInt32>?
            guard snd_tlv_parse_dB_info(words.baseAddress, UInt32(words.count * 4), &found) > 0 else { return -1 }
            return snd_tlv_get_dB_range(found, range.lowerBound, range.upperBound, &minimum, &maximum)
        }
        return (result, minimum, maximum)
    }

    static func alsaToDB(_ tlv: inout [UInt32], _ range: ClosedRange<Int>, _ value: Int) -> Int? {
        tlv.withUnsafeMutableBufferPointer { words -> Int? in
            var found: UnsafeMutablePointer<UInt32>?
            guard snd_tlv_parse_dB_info(words.baseAddress, UInt32(words.count * 4), &found) > 0 else { return nil }
            var gain = 0
            return snd_tlv_convert_to_dB(found, range.lowerBound, range.upperBound, value, &gain) == 0 ? gain : nil
        }
    }

    static func alsaFromDB(_ tlv: inout [UInt32], _ range: ClosedRange<Int>, _ gain: Int, _ direction: Int32) -> Int? {
        tlv.withUnsafeMutableBufferPointer { words -> Int? in
            var found: UnsafeMutablePointer<UInt32>?
            guard snd_tlv_parse_dB_info(words.baseAddress, UInt32(words.count * 4), &found) > 0 else { return nil }
            var value = 0
            return snd_tlv_convert_from_dB(found, range.lowerBound, range.upperBound, gain, &value, direction) == 0 ? value : nil
        }
    }

    @Test("value → dB, gain range and dB → value agree with alsa-lib", arguments: cases.indices)
    func agreesWithAlsaLib(_ index: Int) throws {
        var (name, tlv, range) = Self.cases[index]
        let scale = try #require(try DecibelScale(tlv: tlv), "\(name)")

        let (status, alsaMinimum, alsaMaximum) = Self.alsaRange(&tlv, range)
        #expect(status == 0)
        let ours = try scale.gainRange(over: range)
        #expect(ours.minimum == alsaMinimum && ours.maximum == alsaMaximum, "\(name): range \(ours) vs \(alsaMinimum)...\(alsaMaximum)")

        // Every value, and a few beyond the range (alsa-lib computes them too).
        var mismatches: [String] = []
        for value in (range.lowerBound - 3)...(range.upperBound + 3) {
            let expected = Self.alsaToDB(&tlv, range, value)
            let got = try? scale.gain(ofValue: value, range: range)
            if got != expected { mismatches.append("value \(value): \(String(describing: got)) vs \(String(describing: expected))") }
        }
        // Every gain in hundredths from below the minimum to above the maximum, each rounding.
        let low = max(alsaMinimum, -12_000) - 150, high = alsaMaximum + 150
        for gain in Array(low...high) + [Int(CAlsa.SND_CTL_TLV_DB_GAIN_MUTE), Int(CAlsa.SND_CTL_TLV_DB_GAIN_MUTE) + 1] {
            for (rounding, direction) in [(DecibelRounding.down, Int32(-1)), (.nearest, 0), (.up, 1)] {
                let expected = Self.alsaFromDB(&tlv, range, gain, direction)
                let got = try? scale.value(forGain: gain, range: range, rounding: rounding)
                if got != expected {
                    mismatches.append("gain \(gain) \(rounding): \(String(describing: got)) vs \(String(describing: expected))")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches, first \(mismatches.prefix(5))")
    }

    @Test("a TLV without dB data has no scale; malformed ones are refused")
    func parsing() throws {
        // A channel map is TLV too, but not a dB scale.
        #expect(try DecibelScale(tlv: Self.entry(0x101, [3, 4])) == nil)
        #expect(try DecibelScale(tlv: Self.steps(-100, 10, mute: false)) == .steps(minimum: -100, step: 10, mutesAtMinimum: false))
        // A channel map, then the dB scale, in one container.
        #expect(try DecibelScale(tlv: Self.entry(0, Self.entry(0x101, [3]) + Self.minMax(-100, 0, mute: true)))
                == .minMax(minimum: -100, maximum: 0, mutesAtMinimum: true))
        // Length beyond the words given, a scale too short, a range without parts, a bare header.
        #expect(throws: AlsaError.self) { try DecibelScale(tlv: [1, 64, 0, 0]) }
        #expect(throws: AlsaError.self) { try DecibelScale(tlv: [1, 4, 0]) }
        #expect(throws: AlsaError.self) { try DecibelScale(tlv: [3, 16, 0, 1, 9, 9]) }
        #expect(throws: AlsaError.self) { try DecibelScale(tlv: [1]) }
    }
}
