import CSampleConversion
import Foundation
import Testing
@testable import AlsaSwift

/// The conversion loops are built once per x86-64 level and the library runs only the best one this
/// CPU has, so `SampleConversionReferenceTests` sees that one alone. Here every level this CPU runs
/// is held against the same scalar reference, byte for byte: the baseline level rounds 24- and
/// 32-bit codes by arithmetic of its own, and the others by a rounding instruction.
///
/// Serialized: each case is a few seconds of CPU on a thread of its own, and 32 of them at once
/// starved the reactor-driven tests on a 2-core machine (deadlines of one second missed by four).
@Suite("Sample conversion at every instruction-set level this CPU runs", .serialized)
struct SampleConversionLevelTests {
    static let levels = (1...Int(ALSA_SAMPLE_LEVELS)).filter { alsa_sample_level_supported(Int32($0)) != 0 }

    @Test("the library runs the best level this CPU has")
    func boundLevel() {
        #expect(Self.levels.contains(1))
        #expect(Int(alsa_sample_level()) == Self.levels.last)
    }

    @Test("every level encodes as the reference does, contiguous and strided",
          arguments: SampleConversionReferenceTests.formats)
    func encode(format: SampleFormat) async throws {
        let failures = await onOwnThread { () -> [String] in
            guard let bits = format.physicalBits else { return ["\(format) has no width"] }
            let width = bits / 8
            let inputs = SampleConversionReferenceTests.encodeInputs
            let expected = inputs.flatMap { SampleConversionReferenceTests.referenceEncode($0, format) }
            var failures: [String] = []
            for level in Self.levels {
                // A start that is not a whole vector, so that the loops' last, partial block is taken too.
                for (shift, stride) in [(0, width), (3, width), (0, width + 3), (5, 2 * width)] {
                    let values = Array(inputs[shift...])
                    let want = Array(expected[(shift * width)...])
                    var area = [UInt8](repeating: 0xEE, count: values.count * stride)
                    values.withUnsafeBufferPointer { input in
                        area.withUnsafeMutableBytes {
                            alsa_sample_encode_at(Int32(level), format.rawValue, input.baseAddress!, $0.baseAddress!, input.count, stride)
                        }
                    }
                    // Compared in place: slices of 90 000 samples would cost more than the loops tested.
                    var firstWrong: Int?, wroteBetween = false
                    for i in 0..<values.count where firstWrong == nil {
                        for byte in 0..<width where area[i * stride + byte] != want[i * width + byte] { firstWrong = i }
                        for gap in width..<stride where area[i * stride + gap] != 0xEE { wroteBetween = true }
                    }
                    if let i = firstWrong {
                        failures.append("level \(level), \(format), stride \(stride), shift \(shift): sample \(i) (\(values[i])) gave "
                                        + "\(area[(i * stride)..<(i * stride + width)]), expected \(want[(i * width)..<(i * width + width)])")
                    }
                    if wroteBetween { failures.append("level \(level), \(format), stride \(stride): wrote between samples") }
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("every level decodes as the reference does, contiguous and strided",
          arguments: SampleConversionReferenceTests.formats)
    func decode(format: SampleFormat) async throws {
        let failures = await onOwnThread { () -> [String] in
            guard let bits = format.physicalBits else { return ["\(format) has no width"] }
            let width = bits / 8
            var generator = SplitMix(seed: 77)
            // Every code up to 16 bits; wider formats: random words, the extremes and float specials.
            var words: [UInt64] = width <= 2 ? (0..<(UInt64(1) << (8 * width))).map { $0 } : []
            if width > 2 {
                let top: UInt64 = width == 8 ? .max : (1 << UInt64(8 * width)) - 1
                words += (0..<20_000).map { _ in generator.next() & top }
                for k in 0..<UInt64(64) { words += [k, top - k, top / 2 - k, top / 2 + 1 + k] }
                let specials: [Float] = [.nan, -.nan, .signalingNaN, .infinity, -.infinity, .leastNonzeroMagnitude, -0.0, 1, -1]
                if width == 4 { words += specials.map { UInt64($0.bitPattern) } }
                if width == 8 { words += specials.map { Double($0).bitPattern } }
            }
            let bytes = words.flatMap { word in (0..<width).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
            let expected = (0..<words.count).map {
                SampleConversionReferenceTests.referenceDecode(Array(bytes[($0 * width)..<($0 * width + width)]), format)
            }
            var failures: [String] = []
            for level in Self.levels {
                for (shift, stride) in [(0, width), (3, width), (0, width + 3), (5, 2 * width)] {
                    let count = words.count - shift
                    var area = [UInt8](repeating: 0xEE, count: count * stride)
                    for i in 0..<count {
                        area.replaceSubrange((i * stride)..<(i * stride + width), with: bytes[((shift + i) * width)..<((shift + i) * width + width)])
                    }
                    var got = [Float](repeating: 7, count: count)
                    area.withUnsafeBytes { raw in
                        got.withUnsafeMutableBufferPointer {
                            alsa_sample_decode_at(Int32(level), format.rawValue, raw.baseAddress!, stride, $0.baseAddress!, count)
                        }
                    }
                    if let i = (0..<count).first(where: { got[$0].bitPattern != expected[shift + $0].bitPattern }) {
                        failures.append("level \(level), \(format), stride \(stride), shift \(shift): sample \(i) gave \(got[i]), expected \(expected[shift + i])")
                    }
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
