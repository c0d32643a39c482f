/// Conversion between `Float` samples and the device's sample formats.
///
/// The contract, for every integer format of `n` significant bits:
/// - Full scale is [-1, 1). Encoding multiplies by 2^(n-1), rounds to nearest (ties to even, so the
///   rounding is symmetric around zero) and clips to the format's range: 1.0 becomes the maximum
///   (32767 for S16) and -1.0 the minimum (-32768); anything beyond ±1, infinities included, clips;
///   NaN becomes silence.
/// - Decoding divides by 2^(n-1), so the minimum decodes to exactly -1.0 and the maximum to
///   1 - 2^-(n-1). For up to 24 bits every code is exactly a `Float`, so encode(decode(code)) gives
///   back the code and decode(encode(x)) is within half a step of x for x in [-1, 1). Thirty-two-bit
///   codes carry more precision than a `Float`, so decoding them rounds to the nearest `Float`.
/// - Unsigned formats are offset binary (U8 silence is 128, U16 silence 32768).
/// - S24_LE / S24_BE keep 24 bits in the low three bytes of a 32-bit word: encoding sign-extends into
///   the top byte, decoding ignores the top byte (some drivers leave garbage there).
///
/// Float formats pass values through unchanged: no clipping, NaN and infinities stay as they are
/// (FLOAT64 widens and narrows with ordinary rounding). A float device is expected to clip itself.
///
/// Each call validates once, then runs one loop chosen by a `switch` on the format, outside the loop.
/// The loops read and write unaligned (device buffers and packed 24-bit samples are not aligned),
/// convert byte order explicitly, allocate nothing and take no lock: they run on the real-time audio
/// path. Only a failed validation builds an error message.
public enum SampleConversion {
    /// Whether `encode` and `decode` handle `format`.
    public static func isSupported(_ format: SampleFormat) -> Bool { Layout(format) != nil }

    /// Encodes `samples` into `bytes`, one after another (interleaved audio is just this with the
    /// frames' samples in order). `bytes` must hold at least `samples.count` samples of `format`;
    /// bytes after them are left alone.
    ///
    /// Throws `.transfer`/`.invalidArgument`, having written nothing, for a format without a Float
    /// conversion or a buffer that is too small.
    public static func encode(_ samples: UnsafeBufferPointer<Float>, as format: SampleFormat,
                              into bytes: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        let layout = try supportedLayout(format)
        try requireRoom(for: samples.count, of: format, layout: layout, in: bytes.count)
        guard let first = bytes.baseAddress, !samples.isEmpty else { return }
        encode(samples, layout: layout, to: first, strideBytes: layout.bytes)
    }

    /// Decodes `samples.count` samples of `format` from the start of `bytes` into `samples`.
    ///
    /// Throws `.transfer`/`.invalidArgument`, having written nothing, for a format without a Float
    /// conversion or too few bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as format: SampleFormat,
                              into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let layout = try supportedLayout(format)
        try requireRoom(for: samples.count, of: format, layout: layout, in: bytes.count)
        guard let first = bytes.baseAddress, !samples.isEmpty else { return }
        decode(from: first, strideBytes: layout.bytes, layout: layout, into: samples)
    }

    /// Encodes `samples` into a channel area: sample `i` goes to `first + i * strideBytes`. This fills
    /// an mmap channel (`MmapArea.channel(_:)`) or one channel of an interleaved buffer directly; the
    /// bytes between samples are left alone.
    ///
    /// The area cannot be bounds-checked from a pointer: the caller guarantees it holds
    /// `samples.count` samples at that stride. Throws for an unsupported format or a stride smaller
    /// than one sample (which would overwrite the previous sample).
    public static func encode(_ samples: UnsafeBufferPointer<Float>, as format: SampleFormat,
                              to first: UnsafeMutableRawPointer, strideBytes: Int) throws(AlsaError) {
        let layout = try supportedLayout(format)
        try requireStride(strideBytes, of: format, layout: layout)
        guard !samples.isEmpty else { return }
        encode(samples, layout: layout, to: first, strideBytes: strideBytes)
    }

    /// Decodes `samples.count` samples from a channel area: sample `i` is read from
    /// `first + i * strideBytes` (see the strided `encode` for what the caller guarantees).
    public static func decode(from first: UnsafeRawPointer, strideBytes: Int, as format: SampleFormat,
                              into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let layout = try supportedLayout(format)
        try requireStride(strideBytes, of: format, layout: layout)
        guard !samples.isEmpty else { return }
        decode(from: first, strideBytes: strideBytes, layout: layout, into: samples)
    }

    /// Bytes one sample of `format` occupies, or an error if the format has no Float conversion.
    /// For the buffer types, which size their byte arrays before converting.
    static func bytesPerSample(_ format: SampleFormat) throws(AlsaError) -> Int {
        try supportedLayout(format).bytes
    }

    // MARK: - The formats

    /// How a supported format is laid out in memory. Each case is one loop below.
    enum Layout: Equatable {
        case u8, s8
        case s16(bigEndian: Bool), u16(bigEndian: Bool)
        /// 24 significant bits in a 32-bit word (S24_LE, S24_BE).
        case s24in32(bigEndian: Bool)
        /// 24 bits in three bytes (S24_3LE, S24_3BE).
        case s24packed(bigEndian: Bool)
        case s32(bigEndian: Bool)
        case float32(bigEndian: Bool), float64(bigEndian: Bool)

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

    // MARK: - Validation (the only place that builds error text)

    private static func supportedLayout(_ format: SampleFormat) throws(AlsaError) -> Layout {
        guard let layout = Layout(format) else {
            throw AlsaError(.transfer, .invalidArgument, context: "no Float conversion for sample format \(format)")
        }
        return layout
    }

    private static func requireRoom(for count: Int, of format: SampleFormat, layout: Layout, in available: Int) throws(AlsaError) {
        let needed = count * layout.bytes
        guard available >= needed else {
            throw AlsaError(.transfer, .invalidArgument,
                            context: "\(count) \(format) samples need \(needed) bytes, the buffer has \(available)")
        }
    }

    private static func requireStride(_ strideBytes: Int, of format: SampleFormat, layout: Layout) throws(AlsaError) {
        guard strideBytes >= layout.bytes else {
            throw AlsaError(.transfer, .invalidArgument,
                            context: "stride of \(strideBytes) bytes is smaller than one \(layout.bytes)-byte \(format) sample")
        }
    }

    // MARK: - Quantisation

    /// `x · 2^(bits-1)` rounded to nearest (ties to even) and clipped to `bits` signed bits; NaN → 0.
    /// Exact in Float for up to 24 bits: scaling by a power of two loses nothing and every integer
    /// up to 2^24 is a Float.
    @inline(__always)
    static func quantize(_ x: Float, bits: Int) -> Int32 {
        let fullScale = Float(Int32(1) << (bits - 1))
        let scaled = (x * fullScale).rounded(.toNearestOrEven)
        if scaled >= fullScale { return Int32(fullScale) - 1 }
        if scaled < -fullScale { return -Int32(fullScale) }
        if scaled.isNaN { return 0 }  // NaN fails both comparisons above
        return Int32(scaled)
    }

    /// The same for 32 bits, in Double: Float(Int32.max) rounds up to 2^31, which would trap on
    /// conversion back, whereas Double holds 2^31 - 1 and every `Float · 2^31` exactly.
    @inline(__always)
    static func quantize32(_ x: Float) -> Int32 {
        let scaled = (Double(x) * 2_147_483_648).rounded(.toNearestOrEven)
        if scaled >= 2_147_483_647 { return .max }
        if scaled <= -2_147_483_648 { return .min }
        if scaled.isNaN { return 0 }
        return Int32(scaled)
    }

    // Decoding multiplies by one step instead of dividing by full scale: the same result (a power of
    // two), cheaper. Computed rather than stored so the hot loops never touch lazy-global state.
    private static var step8: Float { 0x1p-7 }
    private static var step16: Float { 0x1p-15 }
    private static var step24: Float { 0x1p-23 }
    private static var step32: Float { 0x1p-31 }

    // MARK: - Encoding loops

    /// One loop per layout; `strideBytes` is the distance between consecutive samples.
    private static func encode(_ samples: UnsafeBufferPointer<Float>, layout: Layout,
                               to first: UnsafeMutableRawPointer, strideBytes: Int) {
        switch layout {
        case .u8:
            store(samples, to: first, strideBytes) { UInt8(truncatingIfNeeded: quantize($0, bits: 8) + 128) }
        case .s8:
            store(samples, to: first, strideBytes) { UInt8(truncatingIfNeeded: quantize($0, bits: 8)) }
        case .s16(bigEndian: false):
            store(samples, to: first, strideBytes) { UInt16(truncatingIfNeeded: quantize($0, bits: 16)).littleEndian }
        case .s16(bigEndian: true):
            store(samples, to: first, strideBytes) { UInt16(truncatingIfNeeded: quantize($0, bits: 16)).bigEndian }
        case .u16(bigEndian: false):
            store(samples, to: first, strideBytes) { UInt16(truncatingIfNeeded: quantize($0, bits: 16) + 32768).littleEndian }
        case .u16(bigEndian: true):
            store(samples, to: first, strideBytes) { UInt16(truncatingIfNeeded: quantize($0, bits: 16) + 32768).bigEndian }
        case .s24in32(bigEndian: false):
            // The bit pattern of a negative Int32 is already sign-extended into the top byte.
            store(samples, to: first, strideBytes) { UInt32(bitPattern: quantize($0, bits: 24)).littleEndian }
        case .s24in32(bigEndian: true):
            store(samples, to: first, strideBytes) { UInt32(bitPattern: quantize($0, bits: 24)).bigEndian }
        case .s24packed(bigEndian: false):
            var sample = first
            for x in samples {
                let code = UInt32(bitPattern: quantize(x, bits: 24))
                sample.storeBytes(of: UInt8(truncatingIfNeeded: code), as: UInt8.self)
                sample.storeBytes(of: UInt8(truncatingIfNeeded: code >> 8), toByteOffset: 1, as: UInt8.self)
                sample.storeBytes(of: UInt8(truncatingIfNeeded: code >> 16), toByteOffset: 2, as: UInt8.self)
                sample += strideBytes
            }
        case .s24packed(bigEndian: true):
            var sample = first
            for x in samples {
                let code = UInt32(bitPattern: quantize(x, bits: 24))
                sample.storeBytes(of: UInt8(truncatingIfNeeded: code >> 16), as: UInt8.self)
                sample.storeBytes(of: UInt8(truncatingIfNeeded: code >> 8), toByteOffset: 1, as: UInt8.self)
                sample.storeBytes(of: UInt8(truncatingIfNeeded: code), toByteOffset: 2, as: UInt8.self)
                sample += strideBytes
            }
        case .s32(bigEndian: false):
            store(samples, to: first, strideBytes) { UInt32(bitPattern: quantize32($0)).littleEndian }
        case .s32(bigEndian: true):
            store(samples, to: first, strideBytes) { UInt32(bitPattern: quantize32($0)).bigEndian }
        case .float32(bigEndian: false):
            store(samples, to: first, strideBytes) { $0.bitPattern.littleEndian }
        case .float32(bigEndian: true):
            store(samples, to: first, strideBytes) { $0.bitPattern.bigEndian }
        case .float64(bigEndian: false):
            store(samples, to: first, strideBytes) { Double($0).bitPattern.littleEndian }
        case .float64(bigEndian: true):
            store(samples, to: first, strideBytes) { Double($0).bitPattern.bigEndian }
        }
    }

    /// Stores `word(x)` for each sample, unaligned, `strideBytes` apart. `word` returns the bytes
    /// already in device order. Inlined so each call site becomes its own specialised loop.
    @inline(__always)
    private static func store<Word: FixedWidthInteger>(_ samples: UnsafeBufferPointer<Float>, to first: UnsafeMutableRawPointer,
                                                       _ strideBytes: Int, _ word: (Float) -> Word) {
        var offset = 0
        for x in samples {
            first.storeBytes(of: word(x), toByteOffset: offset, as: Word.self)
            offset += strideBytes
        }
    }

    // MARK: - Decoding loops

    private static func decode(from first: UnsafeRawPointer, strideBytes: Int, layout: Layout,
                               into samples: UnsafeMutableBufferPointer<Float>) {
        switch layout {
        case .u8:
            load(from: first, strideBytes, into: samples) { (code: UInt8) in Float(Int32(code) - 128) * step8 }
        case .s8:
            load(from: first, strideBytes, into: samples) { (code: UInt8) in Float(Int8(bitPattern: code)) * step8 }
        case .s16(bigEndian: false):
            load(from: first, strideBytes, into: samples) { (raw: UInt16) in Float(Int16(bitPattern: UInt16(littleEndian: raw))) * step16 }
        case .s16(bigEndian: true):
            load(from: first, strideBytes, into: samples) { (raw: UInt16) in Float(Int16(bitPattern: UInt16(bigEndian: raw))) * step16 }
        case .u16(bigEndian: false):
            load(from: first, strideBytes, into: samples) { (raw: UInt16) in Float(Int32(UInt16(littleEndian: raw)) - 32768) * step16 }
        case .u16(bigEndian: true):
            load(from: first, strideBytes, into: samples) { (raw: UInt16) in Float(Int32(UInt16(bigEndian: raw)) - 32768) * step16 }
        case .s24in32(bigEndian: false):
            // Shifting the low 24 bits to the top and back sign-extends them and drops the top byte.
            load(from: first, strideBytes, into: samples) { (raw: UInt32) in
                Float(Int32(bitPattern: UInt32(littleEndian: raw) << 8) >> 8) * step24
            }
        case .s24in32(bigEndian: true):
            load(from: first, strideBytes, into: samples) { (raw: UInt32) in
                Float(Int32(bitPattern: UInt32(bigEndian: raw) << 8) >> 8) * step24
            }
        case .s24packed(bigEndian: false):
            var sample = first
            for i in samples.indices {
                let code = UInt32(sample.load(as: UInt8.self)) << 8
                    | UInt32(sample.load(fromByteOffset: 1, as: UInt8.self)) << 16
                    | UInt32(sample.load(fromByteOffset: 2, as: UInt8.self)) << 24
                samples[i] = Float(Int32(bitPattern: code) >> 8) * step24
                sample += strideBytes
            }
        case .s24packed(bigEndian: true):
            var sample = first
            for i in samples.indices {
                let code = UInt32(sample.load(as: UInt8.self)) << 24
                    | UInt32(sample.load(fromByteOffset: 1, as: UInt8.self)) << 16
                    | UInt32(sample.load(fromByteOffset: 2, as: UInt8.self)) << 8
                samples[i] = Float(Int32(bitPattern: code) >> 8) * step24
                sample += strideBytes
            }
        case .s32(bigEndian: false):
            // Float(Int32) rounds once to nearest; the power-of-two scale is then exact.
            load(from: first, strideBytes, into: samples) { (raw: UInt32) in Float(Int32(bitPattern: UInt32(littleEndian: raw))) * step32 }
        case .s32(bigEndian: true):
            load(from: first, strideBytes, into: samples) { (raw: UInt32) in Float(Int32(bitPattern: UInt32(bigEndian: raw))) * step32 }
        case .float32(bigEndian: false):
            load(from: first, strideBytes, into: samples) { (raw: UInt32) in Float(bitPattern: UInt32(littleEndian: raw)) }
        case .float32(bigEndian: true):
            load(from: first, strideBytes, into: samples) { (raw: UInt32) in Float(bitPattern: UInt32(bigEndian: raw)) }
        case .float64(bigEndian: false):
            load(from: first, strideBytes, into: samples) { (raw: UInt64) in Float(Double(bitPattern: UInt64(littleEndian: raw))) }
        case .float64(bigEndian: true):
            load(from: first, strideBytes, into: samples) { (raw: UInt64) in Float(Double(bitPattern: UInt64(bigEndian: raw))) }
        }
    }

    /// Loads one `Word` per sample, unaligned, `strideBytes` apart, and stores `value(word)`. `value`
    /// receives the bytes in device order. Inlined so each call site becomes its own loop.
    @inline(__always)
    private static func load<Word: FixedWidthInteger>(from first: UnsafeRawPointer, _ strideBytes: Int,
                                                      into samples: UnsafeMutableBufferPointer<Float>, _ value: (Word) -> Float) {
        var offset = 0
        for i in samples.indices {
            samples[i] = value(first.loadUnaligned(fromByteOffset: offset, as: Word.self))
            offset += strideBytes
        }
    }
}
