import Testing
@testable import AlsaSwift

@Suite("Sample conversion")
struct SampleConversionTests {
    func encode(_ values: [Float], _ format: SampleFormat) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: values.count * ((format.physicalBits ?? 8) / 8))
        try values.withUnsafeBufferPointer { input in
            try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: format, into: $0) }
        }
        return bytes
    }

    func decode(_ bytes: [UInt8], _ format: SampleFormat) throws -> [Float] {
        var values = [Float](repeating: .nan, count: bytes.count / (format.physicalBits! / 8))
        try bytes.withUnsafeBytes { input in
            try values.withUnsafeMutableBufferPointer { try SampleConversion.decode(input, as: format, into: $0) }
        }
        return values
    }

    @Test("edge values encode to the exact bytes")
    func edgeValues() throws {
        #expect(try encode([0, 1, -1, 2, -2, .nan, 0.5], .s16LE) == [0, 0, 0xFF, 0x7F, 0, 0x80, 0xFF, 0x7F, 0, 0x80, 0, 0, 0, 0x40])
        #expect(try encode([0, 1, -1, .nan], .u8) == [0x80, 0xFF, 0x00, 0x80])
        #expect(try encode([0.5, -1, 1], .s24_3LE) == [0, 0, 0x40, 0, 0, 0x80, 0xFF, 0xFF, 0x7F])
        #expect(try encode([0.5, -1], .s24_3BE) == [0x40, 0, 0, 0x80, 0, 0])
        #expect(try encode([-1, 1, 0.5], .s24LE) == [0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0x40, 0])
        #expect(try encode([1, -1, 3, .nan], .s32LE) == [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0])
        #expect(try encode([1], .s32BE) == [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(try encode([1, -1], .s16BE) == [0x7F, 0xFF, 0x80, 0x00])
        #expect(try encode([0.25], .floatLE) == [0, 0, 0x80, 0x3E])
        #expect(try encode([2.5], .floatLE) == [0, 0, 0x20, 0x40], "float formats are not clipped")
        #expect(try encode([-0.5], .float64LE) == [0, 0, 0, 0, 0, 0, 0xE0, 0xBF])
        // The smallest step rounds to nearest, ties to even.
        #expect(try encode([1.0 / 32768, 0.5 / 32768, 1.5 / 32768, -0.5 / 32768], .s16LE) == [1, 0, 0, 0, 2, 0, 0, 0])
    }

    @Test("minimum values decode to exactly -1, and the top byte of S24_LE is ignored")
    func decodeEdges() throws {
        #expect(try decode([0, 0x80], .s16LE) == [-1])
        #expect(try decode([0], .u8) == [-1])
        #expect(try decode([0, 0, 0x80], .s24_3LE) == [-1])
        #expect(try decode([0, 0, 0x80, 0x12], .s24LE) == [-1])
        #expect(try decode([0, 0, 0x40, 0x00], .s24LE) == [0.5])
        #expect(try decode([0, 0, 0, 0x80], .s32LE) == [-1])
        #expect(try decode([0xFF, 0x7F], .s16LE) == [Float(32767) / 32768])
    }

    @Test("decode(encode(x)) stays within half a step", arguments: [SampleFormat.u8, .s8, .s16LE, .s16BE, .u16LE, .s24LE, .s24_3LE, .s24_3BE, .s32LE, .floatLE, .float64LE])
    func roundTrip(format: SampleFormat) throws {
        let bits = format == .floatLE || format == .float64LE ? 24 : format.significantBits!
        // Up to the largest code, (2^(n-1) - 1) / 2^(n-1); above it everything clips to that code.
        let largest = 1 - Float(sign: .plus, exponent: -(bits - 1), significand: 1)
        let values = (0..<2001).map { Float($0 - 1000) / 1000 }.filter { $0 <= largest }
        let back = try decode(try encode(values, format), format)
        let halfStep = Float(sign: .plus, exponent: -bits, significand: 1) * 1.0001
        for (x, y) in zip(values, back) { #expect(abs(x - y) <= halfStep, "\(format): \(x) came back as \(y)") }
    }

    @Test("encode(decode(bytes)) is exact for every 8- and 16-bit code and for 24-bit codes")
    func everyCode() throws {
        let s16 = (0..<65536).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try encode(try decode(s16, .s16LE), .s16LE) == s16)
        let u8 = (0..<256).map { UInt8($0) }
        #expect(try encode(try decode(u8, .u8), .u8) == u8)
        var generator = SplitMix(seed: 24)
        let packed = (0..<30_000).flatMap { _ -> [UInt8] in
            let v = generator.next()
            return [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16)]
        }
        #expect(try encode(try decode(packed, .s24_3LE), .s24_3LE) == packed)
        // S24_LE in 32 bits: encoding sign-extends, so compare with the sign-extended words.
        let words = stride(from: 0, to: packed.count, by: 3).flatMap { i -> [UInt8] in
            [packed[i], packed[i + 1], packed[i + 2], packed[i + 2] & 0x80 != 0 ? 0xFF : 0]
        }
        #expect(try encode(try decode(words, .s24LE), .s24LE) == words)
    }

    @Test("strided encoding writes only its samples and leaves the bytes between alone")
    func strided() throws {
        var area = [UInt8](repeating: 0xAA, count: 12)
        let values: [Float] = [0.5, -0.5, 1]
        try values.withUnsafeBufferPointer { input in
            try area.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s16LE, to: $0.baseAddress! + 2, strideBytes: 4) }
        }
        #expect(area == [0xAA, 0xAA, 0x00, 0x40, 0xAA, 0xAA, 0x00, 0xC0, 0xAA, 0xAA, 0xFF, 0x7F])
        var back = [Float](repeating: 0, count: 3)
        try area.withUnsafeBytes { bytes in
            try back.withUnsafeMutableBufferPointer { try SampleConversion.decode(from: bytes.baseAddress! + 2, strideBytes: 4, as: .s16LE, into: $0) }
        }
        #expect(back == [0.5, -0.5, Float(32767) / 32768])
    }

    @Test("an unsupported format or a short buffer is an error, not a crash")
    func refusals() throws {
        #expect(!SampleConversion.isSupported(SampleFormat(rawValue: 48)))
        let dsd = #expect(throws: AlsaError.self) { try encode([0], SampleFormat(rawValue: 48)) }
        #expect(dsd == nil || dsd?.kind == .invalidArgument)
        let unsupported = #expect(throws: AlsaError.self) {
            var bytes = [UInt8](repeating: 0, count: 8)
            try [Float(0)].withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: SampleFormat(rawValue: 20), into: $0) }
            }
        }
        #expect(unsupported?.context?.contains("no Float conversion") == true)
        let short = #expect(throws: AlsaError.self) {
            var bytes = [UInt8](repeating: 0, count: 3)
            try [Float](repeating: 0, count: 2).withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s16LE, into: $0) }
            }
        }
        #expect(short?.kind == .invalidArgument)
    }

    @Test("buffers interleave and deinterleave, and refuse ragged input")
    func buffers() throws {
        let buffer = try InterleavedAudioBuffer(channels: 2, samples: [1, -1, 0.5, -0.5, 0.25, -0.25])
        #expect(buffer.frames == 3 && buffer[1, 1] == -0.5)
        #expect(buffer.channel(0) == [1, 0.5, 0.25])
        #expect(buffer.nonInterleaved.interleaved == buffer)
        #expect(throws: AlsaError.self) { try InterleavedAudioBuffer(channels: 2, samples: [1, 2, 3]) }
        #expect(throws: AlsaError.self) { try NonInterleavedAudioBuffer(channels: [[1, 2], [3]]) }
        let bytes = try buffer.encoded(as: .s16LE)
        let decoded = try bytes.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channels: 2) }
        #expect(decoded.samples == [Float(32767) / 32768, -1, 0.5, -0.5, 0.25, -0.25])
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
