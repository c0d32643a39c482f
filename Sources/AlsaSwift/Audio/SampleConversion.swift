/// Conversion between `Float` samples and the device's sample formats.
///
/// The contract, for every integer format of `n` significant bits:
/// - full scale is [-1, 1): encoding multiplies by 2^(n-1), rounds to nearest (ties to even) and
///   clips to the format's range, so 1.0 becomes the maximum (32767 for S16) and -1.0 the minimum
///   (-32768); anything beyond ±1 clips; NaN becomes silence.
/// - decoding divides by 2^(n-1), so the minimum decodes to exactly -1.0, and decode(encode(x))
///   is within half a step of x for x in [-1, 1).
/// - unsigned formats are offset binary (U8 silence is 128). S24_LE keeps 24 bits in the low three
///   bytes of a 32-bit word: encoding sign-extends into the top byte, decoding ignores it.
/// Float formats pass values through unchanged (no clipping; NaN stays NaN).
///
/// Every loop reads and writes unaligned, with explicit byte order, allocates nothing and takes no
/// lock: these run on the real-time audio path. The format is switched on once per call.

public enum SampleConversion {
    /// The formats `encode` and `decode` handle.
    public static func isSupported(_ format: SampleFormat) -> Bool { Kind(format) != nil }

    /// Encodes `samples` into `bytes`, one after another. `bytes` must hold at least
    /// `samples.count` samples of `format`.
    public static func encode(_ samples: UnsafeBufferPointer<Float>, as format: SampleFormat,
                              into bytes: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        let kind = try supported(format)
        guard bytes.count >= samples.count * kind.bytes else { throw tooSmall(samples.count, format, bytes.count) }
        guard let target = bytes.baseAddress else { return }
        encode(samples, kind: kind, to: target, stride: kind.bytes)
    }

    /// Decodes `samples.count` samples of `format` from `bytes` into `samples`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as format: SampleFormat,
                              into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let kind = try supported(format)
        guard bytes.count >= samples.count * kind.bytes else { throw tooSmall(samples.count, format, bytes.count) }
        guard let source = bytes.baseAddress else { return }
        decode(from: source, stride: kind.bytes, kind: kind, into: samples)
    }

    /// Encodes `samples` into a channel area: sample i goes to `first + i * strideBytes` (an mmap
    /// channel from `MmapArea.channel(_:)`, or one channel of an interleaved buffer). The bytes
    /// between samples are left alone. The caller guarantees the area holds `samples.count` samples.
    public static func encode(_ samples: UnsafeBufferPointer<Float>, as format: SampleFormat,
                              to first: UnsafeMutableRawPointer, strideBytes: Int) throws(AlsaError) {
        let kind = try supported(format)
        guard strideBytes >= kind.bytes else { throw AlsaError(.transfer, .invalidArgument, context: "stride \(strideBytes) is smaller than a \(format) sample") }
        encode(samples, kind: kind, to: first, stride: strideBytes)
    }

    /// Decodes `samples.count` samples from a channel area (see the strided `encode`).
    public static func decode(from first: UnsafeRawPointer, strideBytes: Int, as format: SampleFormat,
                              into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let kind = try supported(format)
        guard strideBytes >= kind.bytes else { throw AlsaError(.transfer, .invalidArgument, context: "stride \(strideBytes) is smaller than a \(format) sample") }
        decode(from: first, stride: strideBytes, kind: kind, into: samples)
    }

    // MARK: the formats

    enum Kind {
        case u8, s8, s16(bigEndian: Bool), u16(bigEndian: Bool), s24in32(bigEndian: Bool), s24packed(bigEndian: Bool)
        case s32(bigEndian: Bool), float32(bigEndian: Bool), float64(bigEndian: Bool)

        init?(_ format: SampleFormat) {
            switch format {
            case .u8: self = .u8
            case .s8: self = .s8
            case .s16LE: self = .s16(bigEndian: false)
            case .s16BE: self = .s16(bigEndian: true)
            case .u16LE: self = .u16(bigEndian: false)
            case .u16BE: self = .u16(bigEndian: true)
            case .s24LE: self = .s24in32(bigEndian: false)
            case .s24BE: self = .s24in32(bigEndian: true)
            case .s24_3LE: self = .s24packed(bigEndian: false)
            case .s24_3BE: self = .s24packed(bigEndian: true)
            case .s32LE: self = .s32(bigEndian: false)
            case .s32BE: self = .s32(bigEndian: true)
            case .floatLE: self = .float32(bigEndian: false)
            case .floatBE: self = .float32(bigEndian: true)
            case .float64LE: self = .float64(bigEndian: false)
            case .float64BE: self = .float64(bigEndian: true)
            default: return nil
            }
        }

        var bytes: Int {
            switch self {
            case .u8, .s8: 1
            case .s16, .u16: 2
            case .s24packed: 3
            case .s24in32, .s32, .float32: 4
            case .float64: 8
            }
        }
    }

    private static func supported(_ format: SampleFormat) throws(AlsaError) -> Kind {
        guard let kind = Kind(format) else {
            throw AlsaError(.transfer, .invalidArgument, context: "no Float conversion for format \(format)")
        }
        return kind
    }

    private static func tooSmall(_ count: Int, _ format: SampleFormat, _ available: Int) -> AlsaError {
        AlsaError(.transfer, .invalidArgument, context: "\(count) \(format) samples need \(count * (Kind(format)?.bytes ?? 0)) bytes; the buffer has \(available)")
    }

    // MARK: quantisation

    /// Rounds `x · 2^(bits-1)` to the nearest integer and clips it to `bits` signed bits; NaN → 0.
    /// Float arithmetic is exact here for up to 24 bits (scaling by a power of two, and every
    /// integer up to 2^24 is a Float).
    @inline(__always)
    static func quantize(_ x: Float, bits: Int) -> Int32 {
        let scale = Float(sign: .plus, exponent: bits - 1, significand: 1)
        let scaled = (x * scale).rounded(.toNearestOrEven)
        if scaled >= scale { return Int32(scale) - 1 }
        if scaled < -scale { return -Int32(scale) }
        if scaled.isNaN { return 0 }
        return Int32(scaled)
    }

    /// The same for 32 bits, in Double: Float cannot hold 2^31 − 1.
    @inline(__always)
    static func quantize32(_ x: Float) -> Int32 {
        let scaled = (Double(x) * 2_147_483_648).rounded(.toNearestOrEven)
        if scaled >= 2_147_483_647 { return .max }
        if scaled <= -2_147_483_648 { return .min }
        if scaled.isNaN { return 0 }
        return Int32(scaled)
    }

    // MARK: the loops

    private static func encode(_ samples: UnsafeBufferPointer<Float>, kind: Kind, to base: UnsafeMutableRawPointer, stride: Int) {
        switch kind {
        case .u8:
            for (i, x) in samples.enumerated() { base.storeBytes(of: UInt8(quantize(x, bits: 8) + 128), toByteOffset: i * stride, as: UInt8.self) }
        case .s8:
            for (i, x) in samples.enumerated() { base.storeBytes(of: Int8(quantize(x, bits: 8)), toByteOffset: i * stride, as: Int8.self) }
        case .s16(let big):
            for (i, x) in samples.enumerated() {
                let v = UInt16(bitPattern: Int16(quantize(x, bits: 16)))
                base.storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: i * stride, as: UInt16.self)
            }
        case .u16(let big):
            for (i, x) in samples.enumerated() {
                let v = UInt16(quantize(x, bits: 16) + 32768)
                base.storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: i * stride, as: UInt16.self)
            }
        case .s24in32(let big):
            for (i, x) in samples.enumerated() {
                let v = UInt32(bitPattern: quantize(x, bits: 24))
                base.storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: i * stride, as: UInt32.self)
            }
        case .s24packed(let big):
            for (i, x) in samples.enumerated() {
                let v = UInt32(bitPattern: quantize(x, bits: 24))
                let p = base + i * stride
                let (b0, b1, b2) = (UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16))
                p.storeBytes(of: big ? b2 : b0, as: UInt8.self)
                p.storeBytes(of: b1, toByteOffset: 1, as: UInt8.self)
                p.storeBytes(of: big ? b0 : b2, toByteOffset: 2, as: UInt8.self)
            }
        case .s32(let big):
            for (i, x) in samples.enumerated() {
                let v = UInt32(bitPattern: quantize32(x))
                base.storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: i * stride, as: UInt32.self)
            }
        case .float32(let big):
            for (i, x) in samples.enumerated() {
                base.storeBytes(of: big ? x.bitPattern.bigEndian : x.bitPattern.littleEndian, toByteOffset: i * stride, as: UInt32.self)
            }
        case .float64(let big):
            for (i, x) in samples.enumerated() {
                let v = Double(x).bitPattern
                base.storeBytes(of: big ? v.bigEndian : v.littleEndian, toByteOffset: i * stride, as: UInt64.self)
            }
        }
    }

    private static func decode(from base: UnsafeRawPointer, stride: Int, kind: Kind, into samples: UnsafeMutableBufferPointer<Float>) {
        let count = samples.count
        switch kind {
        case .u8:
            for i in 0..<count { samples[i] = Float(Int(base.load(fromByteOffset: i * stride, as: UInt8.self)) - 128) / 128 }
        case .s8:
            for i in 0..<count { samples[i] = Float(base.load(fromByteOffset: i * stride, as: Int8.self)) / 128 }
        case .s16(let big):
            for i in 0..<count {
                let raw = base.loadUnaligned(fromByteOffset: i * stride, as: UInt16.self)
                samples[i] = Float(Int16(bitPattern: big ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw))) / 32768
            }
        case .u16(let big):
            for i in 0..<count {
                let raw = base.loadUnaligned(fromByteOffset: i * stride, as: UInt16.self)
                samples[i] = Float(Int(big ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)) - 32768) / 32768
            }
        case .s24in32(let big):
            for i in 0..<count {
                let raw = base.loadUnaligned(fromByteOffset: i * stride, as: UInt32.self)
                let word = big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
                samples[i] = Float(Int32(bitPattern: word << 8) >> 8) / 8_388_608
            }
        case .s24packed(let big):
            for i in 0..<count {
                let p = base + i * stride
                let (b0, b1, b2) = (UInt32(p.load(as: UInt8.self)), UInt32(p.load(fromByteOffset: 1, as: UInt8.self)),
                                    UInt32(p.load(fromByteOffset: 2, as: UInt8.self)))
                let word = big ? (b0 << 16 | b1 << 8 | b2) : (b2 << 16 | b1 << 8 | b0)
                samples[i] = Float(Int32(bitPattern: word << 8) >> 8) / 8_388_608
            }
        case .s32(let big):
            for i in 0..<count {
                let raw = base.loadUnaligned(fromByteOffset: i * stride, as: UInt32.self)
                samples[i] = Float(Double(Int32(bitPattern: big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))) / 2_147_483_648)
            }
        case .float32(let big):
            for i in 0..<count {
                let raw = base.loadUnaligned(fromByteOffset: i * stride, as: UInt32.self)
                samples[i] = Float(bitPattern: big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
            }
        case .float64(let big):
            for i in 0..<count {
                let raw = base.loadUnaligned(fromByteOffset: i * stride, as: UInt64.self)
                samples[i] = Float(Double(bitPattern: big ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)))
            }
        }
    }
}
