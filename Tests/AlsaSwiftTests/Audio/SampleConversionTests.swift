import SystemPackage
import Testing
@testable import AlsaSwift

@Suite("Sample conversion", .serialized)
struct SampleConversionTests {
    // MARK: - Exact edge values, every integer format

    /// The inputs every integer format is checked on; `step` is one code, 2^-(bits-1).
    static func edgeInputs(step: Float) -> [Float] {
        [0, 1, -1, 1.5, -1.5, .nan, .infinity, -.infinity, step, -step, step / 2, 3 * step / 2]
    }

    /// One integer format and the bytes `edgeInputs` must encode to, worked out by hand:
    /// 0, max, min, max (clipped), min (clipped), 0 (NaN), max, min, +1 code, -1 code,
    /// 0 (half a code ties to even), +2 codes (one and a half codes ties to even).
    struct IntegerEdges: Sendable, CustomTestStringConvertible {
        let format: SampleFormat
        let bits: Int
        let codes: [String]
        var testDescription: String { format.name }
    }

    static let integerEdges: [IntegerEdges] = [
        IntegerEdges(format: .s8, bits: 8, codes: ["00", "7F", "80", "7F", "80", "00", "7F", "80", "01", "FF", "00", "02"]),
        IntegerEdges(format: .u8, bits: 8, codes: ["80", "FF", "00", "FF", "00", "80", "FF", "00", "81", "7F", "80", "82"]),
        IntegerEdges(format: .s16LE, bits: 16, codes: ["0000", "FF7F", "0080", "FF7F", "0080", "0000", "FF7F", "0080", "0100", "FFFF", "0000", "0200"]),
        IntegerEdges(format: .s16BE, bits: 16, codes: ["0000", "7FFF", "8000", "7FFF", "8000", "0000", "7FFF", "8000", "0001", "FFFF", "0000", "0002"]),
        IntegerEdges(format: .u16LE, bits: 16, codes: ["0080", "FFFF", "0000", "FFFF", "0000", "0080", "FFFF", "0000", "0180", "FF7F", "0080", "0280"]),
        IntegerEdges(format: .u16BE, bits: 16, codes: ["8000", "FFFF", "0000", "FFFF", "0000", "8000", "FFFF", "0000", "8001", "7FFF", "8000", "8002"]),
        IntegerEdges(format: .s24LE, bits: 24, codes: ["00000000", "FFFF7F00", "000080FF", "FFFF7F00", "000080FF", "00000000", "FFFF7F00", "000080FF",
                                                       "01000000", "FFFFFFFF", "00000000", "02000000"]),
        IntegerEdges(format: .s24BE, bits: 24, codes: ["00000000", "007FFFFF", "FF800000", "007FFFFF", "FF800000", "00000000", "007FFFFF", "FF800000",
                                                       "00000001", "FFFFFFFF", "00000000", "00000002"]),
        IntegerEdges(format: .s24_3LE, bits: 24, codes: ["000000", "FFFF7F", "000080", "FFFF7F", "000080", "000000", "FFFF7F", "000080",
                                                         "010000", "FFFFFF", "000000", "020000"]),
        IntegerEdges(format: .s24_3BE, bits: 24, codes: ["000000", "7FFFFF", "800000", "7FFFFF", "800000", "000000", "7FFFFF", "800000",
                                                         "000001", "FFFFFF", "000000", "000002"]),
        IntegerEdges(format: .s32LE, bits: 32, codes: ["00000000", "FFFFFF7F", "00000080", "FFFFFF7F", "00000080", "00000000", "FFFFFF7F", "00000080",
                                                       "01000000", "FFFFFFFF", "00000000", "02000000"]),
        IntegerEdges(format: .s32BE, bits: 32, codes: ["00000000", "7FFFFFFF", "80000000", "7FFFFFFF", "80000000", "00000000", "7FFFFFFF", "80000000",
                                                       "00000001", "FFFFFFFF", "00000000", "00000002"]),
    ]

    @Test("integer formats encode the edge values to hand-computed bytes and decode them back exactly", arguments: integerEdges)
    func integerEdgeValues(edges: IntegerEdges) throws {
        let step = Float(sign: .plus, exponent: -(edges.bits - 1), significand: 1)
        let encoded = try encode(Self.edgeInputs(step: step), edges.format)
        #expect(encoded == edges.codes.flatMap(hex))

        // Decoding the same bytes: clipped values come back as the extremes, NaN as silence.
        let top = 1 - step
        let expected: [Float] = [0, top, -1, top, -1, 0, top, -1, step, -step, 0, 2 * step]
        #expect(try decode(encoded, edges.format) == expected)
    }

    @Test("hand-computed byte patterns from the contract")
    func bytePatterns() throws {
        #expect(try encode([0.5], .s24_3LE) == [0x00, 0x00, 0x40])
        #expect(try encode([-1], .s24LE) == [0x00, 0x00, 0x80, 0xFF])
        #expect(try encode([0], .u8) == [0x80])
        #expect(try encode([1], .s16LE) == [0xFF, 0x7F])
        #expect(try encode([1], .s32LE) == [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(try encode([0.5, -0.5], .s16LE) == [0x00, 0x40, 0x00, 0xC0])
        // The largest Float below 1 is 1 - 2^-24: in S32 that is 2^31 - 2^7, not a clipped maximum.
        #expect(try encode([1 - 0x1p-24], .s32LE) == [0x80, 0xFF, 0xFF, 0x7F])
        // Just past -1 clips to the minimum rather than wrapping.
        #expect(try encode([-1.0000001], .s32LE) == [0x00, 0x00, 0x00, 0x80])
        #expect(try encode([-1.0000001], .s16LE) == [0x00, 0x80])
    }

    @Test("float formats pass values through unclipped, in the stated byte order")
    func floatFormats() throws {
        #expect(try encode([0.25], .floatLE) == [0x00, 0x00, 0x80, 0x3E])
        #expect(try encode([0.25], .floatBE) == [0x3E, 0x80, 0x00, 0x00])
        #expect(try encode([2.5, -3], .floatLE) == [0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x40, 0xC0], "float formats are not clipped")
        #expect(try encode([-0.5], .float64LE) == [0, 0, 0, 0, 0, 0, 0xE0, 0xBF])
        #expect(try encode([-0.5], .float64BE) == [0xBF, 0xE0, 0, 0, 0, 0, 0, 0])
        #expect(try decode([0x00, 0x00, 0x20, 0x40], .floatLE) == [2.5])
        #expect(try decode([0x40, 0x20, 0x00, 0x00], .floatBE) == [2.5])
        #expect(try decode([0, 0, 0, 0, 0, 0, 0xE0, 0xBF], .float64LE) == [-0.5])
        #expect(try decode([0xBF, 0xE0, 0, 0, 0, 0, 0, 0], .float64BE) == [-0.5])
        // NaN is documented to pass through float formats.
        #expect(try decode(try encode([.nan], .floatLE), .floatLE).first?.isNaN == true)
        #expect(try decode(try encode([.nan], .float64LE), .float64LE).first?.isNaN == true)
    }

    @Test("minimum codes decode to exactly -1, and the top byte of a 24-in-32 word is ignored")
    func decodeEdges() throws {
        #expect(try decode([0x00, 0x80], .s16LE) == [-1])
        #expect(try decode([0x00], .u8) == [-1])
        #expect(try decode([0x80], .s8) == [-1])
        #expect(try decode([0x00, 0x00, 0x80], .s24_3LE) == [-1])
        #expect(try decode([0x00, 0x00, 0x80, 0x12], .s24LE) == [-1])
        #expect(try decode([0x00, 0x00, 0x40, 0xAB], .s24LE) == [0.5])
        #expect(try decode([0x12, 0x40, 0x00, 0x00], .s24BE) == [0.5])
        #expect(try decode([0x00, 0x00, 0x00, 0x80], .s32LE) == [-1])
        #expect(try decode([0xFF, 0x7F], .s16LE) == [Float(32767) / 32768])
        // 2^31 - 1 has more bits than a Float: it rounds to the nearest Float, which is 1.0.
        #expect(try decode([0xFF, 0xFF, 0xFF, 0x7F], .s32LE) == [1])
    }

    // MARK: - Round trips

    @Test("decode(encode(x)) stays within half a step",
          arguments: [SampleFormat.u8, .s8, .s16LE, .s16BE, .u16LE, .u16BE, .s24LE, .s24BE, .s24_3LE, .s24_3BE, .s32LE, .s32BE,
                      .floatLE, .floatBE, .float64LE, .float64BE])
    func roundTrip(format: SampleFormat) throws {
        let isFloat = [SampleFormat.floatLE, .floatBE, .float64LE, .float64BE].contains(format)
        let bits = try #require(format.significantBits)
        // Values up to the largest code, 1 - 2^-(n-1); everything above it clips to that code.
        let largest = isFloat ? 1 : 1 - Float(sign: .plus, exponent: -(bits - 1), significand: 1)
        var generator = SplitMix(seed: UInt64(format.rawValue))
        let sweep = (0...4000).map { Float($0 - 2000) / 2000 } + (0..<4000).map { _ in generator.nextUnit() }
        let values = sweep.filter { $0 <= largest }
        let back = try decode(try encode(values, format), format)
        // Float formats must be exact; for 32-bit integers a Float's own precision is the limit.
        for (x, y) in zip(values, back) {
            let halfStep = isFloat ? 0 : max(Float(sign: .plus, exponent: -bits, significand: 1), x.ulp / 2)
            #expect(abs(x - y) <= halfStep, "\(format): \(x) came back as \(y)")
        }
        #expect(back.count == values.count)
    }

    @Test("encode(decode(bytes)) is exact for every 8- and 16-bit code",
          arguments: [SampleFormat.u8, .s8, .s16LE, .s16BE, .u16LE, .u16BE])
    func everyCode(format: SampleFormat) async throws {
        // Sweeps of 65536 codes and more (here and below): on a thread of their own, so that the
        // cooperative pool stays free for the other tests.
        try await onOwnThread {
            let width = try #require(format.physicalBits) / 8
            let codes = (0..<(1 << (8 * width))).flatMap { code in (0..<width).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) } }
            #expect(try encode(try decode(codes, format), format) == codes)
        }
    }

    @Test("encode(decode(bytes)) is exact for pseudo-random 24-bit codes", arguments: [SampleFormat.s24_3LE, .s24_3BE, .s24LE, .s24BE])
    func random24BitCodes(format: SampleFormat) async throws {
        try await onOwnThread { () throws in
            var generator = SplitMix(seed: 24)
            let values = (0..<100_000).map { _ in UInt32(truncatingIfNeeded: generator.next()) & 0xFF_FFFF } + [0, 1, 0x7F_FFFF, 0x80_0000, 0xFF_FFFF]
            let bytes = values.flatMap { value -> [UInt8] in
                // A 24-in-32 word carries the sign extension that encoding writes, so it survives the trip.
                let word = value & 0x80_0000 != 0 ? value | 0xFF00_0000 : value
                let little = (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
                switch format {
                case .s24_3LE: return Array(little[0..<3])
                case .s24_3BE: return little[0..<3].reversed()
                case .s24LE: return little
                default: return little.reversed()
                }
            }
            #expect(try encode(try decode(bytes, format), format) == bytes)
        }
    }

    // MARK: - Strided channel areas

    @Test("strided encoding writes only its samples and leaves the bytes between alone")
    func strided() throws {
        var area = [UInt8](repeating: 0xAA, count: 12)
        let values: [Float] = [0.5, -0.5, 1]
        try values.withUnsafeBufferPointer { input in
            try area.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s16LE, to: $0.baseAddress! + 2, strideBytes: 4) }
        }
        #expect(area == [0xAA, 0xAA, 0x00, 0x40, 0xAA, 0xAA, 0x00, 0xC0, 0xAA, 0xAA, 0xFF, 0x7F])
        var back = [Float](repeating: .nan, count: 3)
        try area.withUnsafeBytes { bytes in
            try back.withUnsafeMutableBufferPointer { try SampleConversion.decode(from: bytes.baseAddress! + 2, strideBytes: 4, as: .s16LE, into: $0) }
        }
        #expect(back == [0.5, -0.5, Float(32767) / 32768])
    }

    @Test("packed 24-bit samples at an odd stride land unaligned, with the gaps untouched")
    func stridedPacked() throws {
        var area = [UInt8](repeating: 0x55, count: 1 + 3 * 5)
        let values: [Float] = [0.5, -1, 0x1p-23]
        try values.withUnsafeBufferPointer { input in
            try area.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s24_3BE, to: $0.baseAddress! + 1, strideBytes: 5) }
        }
        #expect(area == [0x55,
                         0x40, 0x00, 0x00, 0x55, 0x55,
                         0x80, 0x00, 0x00, 0x55, 0x55,
                         0x00, 0x00, 0x01, 0x55, 0x55])
        var back = [Float](repeating: .nan, count: 3)
        try area.withUnsafeBytes { bytes in
            try back.withUnsafeMutableBufferPointer { try SampleConversion.decode(from: bytes.baseAddress! + 1, strideBytes: 5, as: .s24_3BE, into: $0) }
        }
        #expect(back == values)
    }

    // MARK: - Refusals

    @Test("an unsupported format is refused with a clear error and nothing written")
    func unsupportedFormat() throws {
        let dsd = SampleFormat(rawValue: 48)  // SNDRV_PCM_FORMAT_DSD_U8
        #expect(!SampleConversion.isSupported(dsd))
        #expect(!SampleConversion.isSupported(SampleFormat(rawValue: 8)), "U24_LE has a width but no conversion")
        #expect(!SampleConversion.isSupported(.s20_3LE))
        for format in [SampleFormat.u8, .s8, .s16LE, .s16BE, .u16LE, .s24LE, .s24_3LE, .s24_3BE, .s32LE, .s32BE, .floatLE, .floatBE, .float64LE] {
            #expect(SampleConversion.isSupported(format), "\(format)")
        }

        var bytes = [UInt8](repeating: 0xEE, count: 8)
        let error = #expect(throws: AlsaError.self) {
            try [Float(0)].withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: dsd, into: $0) }
            }
        }
        #expect(error?.operation == .transfer)
        #expect(error?.errno == .invalidArgument)
        #expect(error?.context == "no Float conversion for sample format FORMAT(48)")
        #expect(bytes == [UInt8](repeating: 0xEE, count: 8))

        #expect(throws: AlsaError.self) { try decode([0, 0, 0], .s20_3LE) }
        #expect(throws: AlsaError.self) {
            try [Float(0)].withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: dsd, to: $0.baseAddress!, strideBytes: 4) }
            }
        }
    }

    @Test("a short buffer or a stride narrower than a sample is an error, not a crash")
    func shortBuffers() throws {
        var bytes = [UInt8](repeating: 0xEE, count: 3)
        let short = #expect(throws: AlsaError.self) {
            try [Float](repeating: 0.5, count: 2).withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s16LE, into: $0) }
            }
        }
        #expect(short?.errno == .invalidArgument)
        #expect(short?.context == "2 S16_LE samples need 4 bytes, the buffer has 3")
        #expect(bytes == [0xEE, 0xEE, 0xEE], "a refused encode writes nothing")

        var samples = [Float](repeating: .nan, count: 2)
        let shortSource = #expect(throws: AlsaError.self) {
            try bytes.withUnsafeBytes { raw in
                try samples.withUnsafeMutableBufferPointer { try SampleConversion.decode(raw, as: .s24_3LE, into: $0) }
            }
        }
        #expect(shortSource?.kind == .invalidArgument)

        let narrow = #expect(throws: AlsaError.self) {
            try [Float](repeating: 0, count: 2).withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s16LE, to: $0.baseAddress!, strideBytes: 1) }
            }
        }
        #expect(narrow?.context == "stride of 1 bytes is smaller than one 2-byte S16_LE sample")
        #expect(throws: AlsaError.self) {
            try bytes.withUnsafeBytes { raw in
                try samples.withUnsafeMutableBufferPointer { try SampleConversion.decode(from: raw.baseAddress!, strideBytes: 0, as: .u8, into: $0) }
            }
        }

        // A bigger buffer is fine, and the bytes after the samples stay as they were.
        var roomy = [UInt8](repeating: 0xEE, count: 5)
        try [Float](repeating: 0, count: 2).withUnsafeBufferPointer { input in
            try roomy.withUnsafeMutableBytes { try SampleConversion.encode(input, as: .s16LE, into: $0) }
        }
        #expect(roomy == [0, 0, 0, 0, 0xEE])
    }

    // MARK: - Buffer types

    @Test("interleaved buffers index frame-major and refuse ragged input")
    func interleavedBuffer() throws {
        var silence = try InterleavedAudioBuffer(channelCount: 3, frameCount: 2)
        #expect(silence.samples == [0, 0, 0, 0, 0, 0] && silence.frameCount == 2)
        silence[1, 2] = 0.75
        #expect(silence.samples == [0, 0, 0, 0, 0, 0.75])

        let buffer = try InterleavedAudioBuffer(channelCount: 2, samples: [1, -1, 0.5, -0.5, 0.25, -0.25])
        #expect(buffer.frameCount == 3 && buffer[1, 1] == -0.5)
        #expect(buffer.channel(0) == [1, 0.5, 0.25])
        #expect(buffer.channel(1) == [-1, -0.5, -0.25])

        let ragged = #expect(throws: AlsaError.self) { try InterleavedAudioBuffer(channelCount: 2, samples: [1, 2, 3]) }
        #expect(ragged?.context == "3 samples are not a whole number of 2-channel frames")
        #expect(throws: AlsaError.self) { try InterleavedAudioBuffer(channelCount: 0, samples: []) }
    }

    @Test("interleave and deinterleave round trip, and non-interleaved buffers refuse ragged channels")
    func interleaving() throws {
        let buffer = try InterleavedAudioBuffer(channelCount: 2, samples: [1, -1, 0.5, -0.5, 0.25, -0.25])
        let split = buffer.nonInterleaved
        #expect(split.channels == [[1, 0.5, 0.25], [-1, -0.5, -0.25]])
        #expect(split.frameCount == 3 && split.channelCount == 2 && split[1, 1] == -0.5)
        #expect(split.interleaved == buffer)

        var built = try NonInterleavedAudioBuffer(channelCount: 2, frameCount: 3)
        for frame in 0..<3 { for channel in 0..<2 { built[frame, channel] = buffer[frame, channel] } }
        #expect(built == split)

        #expect(throws: AlsaError.self) { try NonInterleavedAudioBuffer(channels: [[1, 2], [3]]) }
        #expect(throws: AlsaError.self) { try NonInterleavedAudioBuffer(channels: []) }
    }

    @Test("buffers move to and from device bytes")
    func deviceBytes() throws {
        let buffer = try InterleavedAudioBuffer(channelCount: 2, samples: [1, -1, 0.5, -0.5, 0.25, -0.25])
        let bytes = try buffer.encoded(as: .s16LE)
        #expect(bytes == [0xFF, 0x7F, 0x00, 0x80, 0x00, 0x40, 0x00, 0xC0, 0x00, 0x20, 0x00, 0xE0])
        let decoded = try InterleavedAudioBuffer(decoding: bytes, format: .s16LE, channelCount: 2)
        #expect(decoded.samples == [Float(32767) / 32768, -1, 0.5, -0.5, 0.25, -0.25])
        let viaPointer = try bytes.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        #expect(viaPointer == decoded)
        #expect(throws: AlsaError.self) { try InterleavedAudioBuffer(decoding: Array(bytes[0..<6]), format: .s16LE, channelCount: 2) }
        #expect(throws: AlsaError.self) { try buffer.encoded(as: SampleFormat(rawValue: 48)) }

        // Encoding a range of frames, without allocating, into a device buffer.
        var device = [UInt8](repeating: 0xEE, count: 6)
        try device.withUnsafeMutableBytes { try buffer.encode(frames: 1..<2, as: .s24_3LE, into: $0) }
        #expect(device == [0x00, 0x00, 0x40, 0x00, 0x00, 0xC0])
        let outside = #expect(throws: AlsaError.self) {
            try device.withUnsafeMutableBytes { try buffer.encode(frames: 2..<4, as: .u8, into: $0) }
        }
        #expect(outside?.context == "frames 2..<4 are outside a 3-frame buffer")

        // Decoding into a range of frames leaves the others alone.
        var target = try InterleavedAudioBuffer(channelCount: 2, frameCount: 3)
        try device.withUnsafeBytes { try target.decode($0, as: .s24_3LE, intoFrames: 2..<3) }
        #expect(target.samples == [0, 0, 0, 0, 0.5, -0.5])

        // Non-interleaved: one byte array per channel.
        let split = buffer.nonInterleaved
        let channelBytes = try split.encoded(as: .u8)
        #expect(channelBytes == [[0xFF, 0xC0, 0xA0], [0x00, 0x40, 0x60]])
        #expect(try NonInterleavedAudioBuffer(decoding: channelBytes, format: .u8).channels == [[Float(127) / 128, 0.5, 0.25], [-1, -0.5, -0.25]])
        #expect(throws: AlsaError.self) { try NonInterleavedAudioBuffer(decoding: [[0, 0], [0]], format: .u8) }
    }

    @Test("non-interleaved channels fill an interleaved area through their stride, as the interleaved encoder would")
    func channelAreas() throws {
        let buffer = try InterleavedAudioBuffer(channelCount: 2, samples: [1, -1, 0.5, -0.5, 0.25, -0.25])
        let split = buffer.nonInterleaved
        var area = [UInt8](repeating: 0xEE, count: 12)
        try area.withUnsafeMutableBytes { raw in
            for channel in 0..<2 {
                try split.encode(channel: channel, frames: 0..<3, as: .s16BE, to: raw.baseAddress! + 2 * channel, strideBytes: 4)
            }
        }
        #expect(area == (try buffer.encoded(as: .s16BE)))

        var back = try NonInterleavedAudioBuffer(channelCount: 2, frameCount: 3)
        try area.withUnsafeBytes { raw in
            try back.decode(channel: 1, frames: 1..<3, as: .s16BE, from: raw.baseAddress! + 6, strideBytes: 4)
        }
        #expect(back.channels == [[0, 0, 0], [0, -0.5, -0.25]])
        #expect(throws: AlsaError.self) {
            try area.withUnsafeMutableBytes { try split.encode(channel: 2, frames: 0..<1, as: .s16BE, to: $0.baseAddress!, strideBytes: 4) }
        }
    }

    // MARK: - Helpers

    func encode(_ values: [Float], _ format: SampleFormat) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: values.count * ((format.physicalBits ?? 8) / 8))
        try values.withUnsafeBufferPointer { input in
            try bytes.withUnsafeMutableBytes { try SampleConversion.encode(input, as: format, into: $0) }
        }
        return bytes
    }

    func decode(_ bytes: [UInt8], _ format: SampleFormat) throws -> [Float] {
        var values = [Float](repeating: .nan, count: bytes.count / ((format.physicalBits ?? 8) / 8))
        try bytes.withUnsafeBytes { input in
            try values.withUnsafeMutableBufferPointer { try SampleConversion.decode(input, as: format, into: $0) }
        }
        return values
    }

    /// "FF7F" → [0xFF, 0x7F].
    func hex(_ text: String) -> [UInt8] {
        let digits = Array(text)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }
}

/// A small deterministic generator for test data (SplitMix64), shared by the conversion tests.
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

    /// A Float in [-1, 1) with 24 random bits.
    mutating func nextUnit() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) * 0x1p-23
    }
}
