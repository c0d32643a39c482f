import Foundation
import Testing
@testable import AlsaSwift

/// The vectorised conversion loops against a scalar transcription of the contract in
/// `SampleConversion`'s documentation (the code the loops replaced), byte for byte, over the values
/// where a rounding or clipping shortcut would show: ±1 and their neighbours, NaN, ±inf,
/// subnormals, every rounding tie near the codes that matter, and every 16-bit code for decoding.
/// Each comparison runs contiguous and strided, at every position in a block of eight and in the
/// tail that is not a whole block, because those are separate loops.
@Suite("Sample conversion against the scalar reference", .serialized)
struct SampleConversionReferenceTests {
    static let formats: [SampleFormat] = [.u8, .s8, .s16LE, .s16BE, .u16LE, .u16BE, .s24LE, .s24BE, .s24_3LE, .s24_3BE,
                                          .s32LE, .s32BE, .floatLE, .floatBE, .float64LE, .float64BE]

    // MARK: - The reference, one sample at a time

    /// `x · 2^(bits-1)` rounded to nearest (ties to even), clipped, NaN → 0: today's definition.
    static func referenceCode(_ x: Float, bits: Int) -> Int32 {
        if bits == 32 {
            let scaled = (Double(x) * 2_147_483_648).rounded(.toNearestOrEven)
            if scaled >= 2_147_483_647 { return .max }
            if scaled <= -2_147_483_648 { return .min }
            if scaled.isNaN { return 0 }
            return Int32(scaled)
        }
        let fullScale = Float(Int32(1) << (bits - 1))
        let scaled = (x * fullScale).rounded(.toNearestOrEven)
        if scaled >= fullScale { return Int32(fullScale) - 1 }
        if scaled < -fullScale { return -Int32(fullScale) }
        if scaled.isNaN { return 0 }
        return Int32(scaled)
    }

    /// The bytes of one sample, written out by hand from the code.
    static func referenceEncode(_ x: Float, _ format: SampleFormat) -> [UInt8] {
        func little(_ word: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        func code(_ bits: Int) -> UInt64 { UInt64(UInt32(bitPattern: referenceCode(x, bits: bits))) }
        switch format {
        case .u8: return little(code(8) &+ 128, 1)
        case .s8: return little(code(8), 1)
        case .s16LE: return little(code(16), 2)
        case .s16BE: return little(code(16), 2).reversed()
        case .u16LE: return little(code(16) &+ 32768, 2)
        case .u16BE: return little(code(16) &+ 32768, 2).reversed()
        case .s24LE: return little(code(24), 4)
        case .s24BE: return little(code(24), 4).reversed()
        case .s24_3LE: return little(code(24), 3)
        case .s24_3BE: return little(code(24), 3).reversed()
        case .s32LE: return little(code(32), 4)
        case .s32BE: return little(code(32), 4).reversed()
        case .floatLE: return little(UInt64(x.bitPattern), 4)
        case .floatBE: return little(UInt64(x.bitPattern), 4).reversed()
        case .float64LE: return little(Double(x).bitPattern, 8)
        default: return little(Double(x).bitPattern, 8).reversed()
        }
    }

    /// The value of one sample's bytes: the code divided by full scale.
    static func referenceDecode(_ bytes: [UInt8], _ format: SampleFormat) -> Float {
        let littleBytes = [SampleFormat.s16BE, .u16BE, .s24BE, .s24_3BE, .s32BE, .floatBE, .float64BE].contains(format) ? bytes.reversed() : bytes
        let word = littleBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        func signed(_ bits: Int) -> Float { Float(Int64(bitPattern: word << (64 - bits)) >> (64 - bits)) / Float(sign: .plus, exponent: bits - 1, significand: 1) }
        switch format {
        case .u8: return Float(Int(word) - 128) / 128
        case .s8: return signed(8)
        case .s16LE, .s16BE: return signed(16)
        case .u16LE, .u16BE: return Float(Int(word) - 32768) / 32768
        case .s24LE, .s24BE, .s24_3LE, .s24_3BE: return signed(24)
        case .s32LE, .s32BE: return signed(32)
        case .floatLE, .floatBE: return Float(bitPattern: UInt32(word))
        default: return Float(Double(bitPattern: word))
        }
    }

    // MARK: - The values

    /// Every value where a shortcut in rounding or clipping would differ from the reference.
    static let edgeValues: [Float] = {
        var values: [Float] = [0, -0, 1, -1, 1.5, -1.5, 2, -2, .infinity, -.infinity,
                               .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFFF_FFFF),
                               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
                               Float.leastNormalMagnitude.nextDown, -Float.leastNormalMagnitude.nextDown,
                               Float(bitPattern: 0x0040_0000), -Float(bitPattern: 0x0040_0000),
                               .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0x1p97, -0x1p97]
        // ±1 and their neighbours, several floats deep.
        for one: Float in [1, -1] {
            var up = one, down = one
            for _ in 0..<4 {
                up = up.nextUp
                down = down.nextDown
                values += [up, down]
            }
        }
        // For each width, the codes near 0 and near the extremes, the ties halfway between them
        // and the floats just either side of each tie, and the places where the 24- and 32-bit
        // loops change method (2^22, 2^23, 2^31 − 128 after scaling).
        for bits in [8, 16, 24, 32] {
            let step = Float(sign: .plus, exponent: -(bits - 1), significand: 1)
            var centres: [Float] = (-6...6).map { Float($0) * step }
            centres += (0..<6).flatMap { k in [1 - Float(k) * step, -1 + Float(k) * step] }
            for exponent in [15, 16, 17, 22, 23, 24] where exponent < bits {
                let scaledPower = Float(sign: .plus, exponent: exponent - (bits - 1), significand: 1)
                centres += [scaledPower, -scaledPower, scaledPower - step, -(scaledPower - step), scaledPower + step, -(scaledPower + step)]
            }
            for centre in centres {
                for tie in [centre + step / 2, centre - step / 2] {
                    values += [centre, centre.nextUp, centre.nextDown, tie, tie.nextUp, tie.nextDown]
                }
            }
        }
        return values
    }()

    /// The edge values and a pseudo-random spread over [-1.25, 1.25], with the 16-bit ties for every
    /// code (a tie that rounds the wrong way shows on any one of them).
    static let encodeInputs: [Float] = {
        var generator = SplitMix(seed: 14)
        let spread = (0..<20_000).map { _ in (Float(generator.next() >> 40) / Float(1 << 24) - 0.5) * 2.5 }
        let ties16 = (-32768..<32768).map { (Float($0) + 0.5) / 32768 }
        return edgeValues + spread + ties16
    }()

    // MARK: - The comparisons

    // Each case is seconds of CPU (tens under a sanitizer): it runs on a thread of its own, and the
    // suite runs its cases one at a time, so that the cooperative pool stays free for every other
    // test, and for Swift Testing's time limits, even on one CPU.

    @Test("encoding matches the scalar reference byte for byte, contiguous and strided", arguments: formats)
    func encodeMatchesReference(format: SampleFormat) async throws {
        try await onOwnThread { try Self.checkEncoding(format) }
    }

    @Test("decoding matches the scalar reference bit for bit, every 16-bit code included, contiguous and strided", arguments: formats)
    func decodeMatchesReference(format: SampleFormat) async throws {
        try await onOwnThread { try Self.checkDecoding(format) }
    }

    static func checkEncoding(_ format: SampleFormat) throws {
        let width = try #require(format.physicalBits) / 8
        let inputs = Self.encodeInputs
        let expected = inputs.flatMap { Self.referenceEncode($0, format) }
        // Every start position within a block of eight, and a count that leaves a tail.
        for shift in 0..<9 {
            let values = Array(inputs[shift...])
            let want = Array(expected[(shift * width)...])
            var contiguous = [UInt8](repeating: 0xEE, count: values.count * width)
            try values.withUnsafeBufferPointer { input in
                try contiguous.withUnsafeMutableBytes { try SampleConversion.encode(input, as: format, into: $0) }
            }
            #expect(firstDifference(contiguous, want, width: width, values) == nil, "\(format) contiguous, shift \(shift)")

            // One channel of a three-byte-wider frame, one byte in: every gap byte must be left alone.
            let stride = width + 3
            var area = [UInt8](repeating: 0xEE, count: values.count * stride + 1)
            try values.withUnsafeBufferPointer { input in
                try area.withUnsafeMutableBytes { try SampleConversion.encode(input, as: format, to: $0.baseAddress! + 1, strideBytes: stride) }
            }
            var wantArea = [UInt8](repeating: 0xEE, count: area.count)
            Self.spread(want, width: width, into: &wantArea, stride: stride)
            #expect(firstDifference(area, wantArea, stride: stride, width: width, values) == nil, "\(format) strided, shift \(shift)")
        }
    }

    static func checkDecoding(_ format: SampleFormat) throws {
        let width = try #require(format.physicalBits) / 8
        var generator = SplitMix(seed: 41)
        // Every code of up to 16 bits; for wider formats the codes near 0 and the extremes, every
        // 16-bit pattern in the top bytes, and random ones.
        var words: [UInt64] = width <= 2 ? (0..<(UInt64(1) << (8 * width))).map { $0 } : []
        if width > 2 {
            let bits = UInt64(8 * width)
            let top: UInt64 = bits == 64 ? .max : (1 << bits) - 1
            let half: UInt64 = top / 2
            // Random codes first: the first sample of an area is decoded by a loop of its own, and
            // the structured codes below read the same in either byte order.
            words += (0..<20_000).map { _ in generator.next() & top }
            words += (0..<UInt64(65536)).map { (word: UInt64) -> UInt64 in word << (bits - 16) }
            for k in 0..<UInt64(64) { words += [k, top - k, half - k, half + 1 + k] }
            if [SampleFormat.floatLE, .floatBE, .float64LE, .float64BE].contains(format) {
                let specials: [Float] = [.nan, -.nan, .signalingNaN, .infinity, -.infinity, .leastNonzeroMagnitude, -0.0, 1, -1]
                words += specials.map { width == 4 ? UInt64($0.bitPattern) : Double($0).bitPattern }
            }
        }
        // Each word's low `width` bytes, little-endian.
        var bytes = [UInt8](repeating: 0, count: words.count * width)
        bytes.withUnsafeMutableBytes { out in
            for (i, word) in words.enumerated() {
                withUnsafeBytes(of: word.littleEndian) { (out.baseAddress! + i * width).copyMemory(from: $0.baseAddress!, byteCount: width) }
            }
        }
        let expected = (0..<words.count).map { Self.referenceDecode(Array(bytes[($0 * width)..<($0 * width + width)]), format) }
        for shift in [0, 1, 3, 7, 8] {
            let count = words.count - shift
            let input = Array(bytes[(shift * width)...])
            let want = Array(expected[shift...])
            var contiguous = [Float](repeating: 7, count: count)
            try input.withUnsafeBytes { raw in
                try contiguous.withUnsafeMutableBufferPointer { try SampleConversion.decode(raw, as: format, into: $0) }
            }
            #expect(firstDifference(contiguous, want) == nil, "\(format) contiguous, shift \(shift)")

            let stride = width + 3
            var area = [UInt8](repeating: 0xEE, count: count * stride + 1)
            Self.spread(input, width: width, into: &area, stride: stride)
            var strided = [Float](repeating: 7, count: count)
            try area.withUnsafeBytes { raw in
                try strided.withUnsafeMutableBufferPointer {
                    try SampleConversion.decode(from: raw.baseAddress! + 1, strideBytes: stride, as: format, into: $0)
                }
            }
            #expect(firstDifference(strided, want) == nil, "\(format) strided, shift \(shift)")
        }
    }

    // MARK: - Helpers

    /// Copies the samples of `packed` (`width` bytes each, back to back) into `area`, one every
    /// `stride` bytes from byte 1, leaving the bytes between them as they are.
    static func spread(_ packed: [UInt8], width: Int, into area: inout [UInt8], stride: Int) {
        area.withUnsafeMutableBytes { out in
            packed.withUnsafeBytes { samples in
                for i in 0..<(packed.count / width) {
                    (out.baseAddress! + 1 + i * stride).copyMemory(from: samples.baseAddress! + i * width, byteCount: width)
                }
            }
        }
    }

    /// The index of the first byte that differs, or nil when `got` and `want` are equal: one
    /// memcmp, so a sweep that passes costs no per-sample work.
    static func firstDifferentByte(_ got: [UInt8], _ want: [UInt8]) -> Int? {
        guard got.count == want.count else { return min(got.count, want.count) }
        guard !got.isEmpty else { return nil }
        let same = got.withUnsafeBytes { g in want.withUnsafeBytes { w in memcmp(g.baseAddress!, w.baseAddress!, g.count) == 0 } }
        return same ? nil : (0..<got.count).first { got[$0] != want[$0] }
    }

    /// The first sample whose bytes differ, described, or nil.
    static func firstDifference(_ got: [UInt8], _ want: [UInt8], width: Int, _ inputs: [Float]) -> String? {
        guard got.count == want.count else { return "\(got.count) bytes, expected \(want.count)" }
        guard let byte = firstDifferentByte(got, want) else { return nil }
        let i = byte / width
        return "sample \(i) (\(inputs[i]), bits 0x\(String(inputs[i].bitPattern, radix: 16))): got \(Array(got[(i * width)..<(i * width + width)])), expected \(Array(want[(i * width)..<(i * width + width)]))"
    }

    /// In a strided area (samples of `width` bytes every `stride`, from byte 1): the first sample
    /// whose bytes differ or the first byte written between samples, described, or nil.
    static func firstDifference(_ got: [UInt8], _ want: [UInt8], stride: Int, width: Int, _ inputs: [Float]) -> String? {
        guard got.count == want.count else { return "\(got.count) bytes, expected \(want.count)" }
        guard let byte = firstDifferentByte(got, want) else { return nil }
        guard byte > 0 && (byte - 1) % stride < width else { return "byte \(byte), between samples, was written: \(got[byte])" }
        let i = (byte - 1) / stride, start = 1 + i * stride
        return "sample \(i) (\(inputs[i]), bits 0x\(String(inputs[i].bitPattern, radix: 16))): got \(Array(got[start..<(start + width)])), expected \(Array(want[start..<(start + width)]))"
    }

    /// The first value whose bit pattern differs, described, or nil.
    static func firstDifference(_ got: [Float], _ want: [Float]) -> String? {
        guard got.count == want.count else { return "\(got.count) values, expected \(want.count)" }
        guard !got.isEmpty else { return nil }
        let same = got.withUnsafeBytes { g in want.withUnsafeBytes { w in memcmp(g.baseAddress!, w.baseAddress!, g.count) == 0 } }
        guard !same, let i = (0..<want.count).first(where: { got[$0].bitPattern != want[$0].bitPattern }) else { return nil }
        return "sample \(i): got \(got[i]) (0x\(String(got[i].bitPattern, radix: 16))), expected \(want[i]) (0x\(String(want[i].bitPattern, radix: 16)))"
    }
}
