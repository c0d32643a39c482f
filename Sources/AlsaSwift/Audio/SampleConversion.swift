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
///
/// The loops work eight samples at a time in `SIMD8` registers, without a branch or a library call
/// per sample: rounding is done by adding a power of two (the FPU's own round-to-nearest-even), and
/// the integer is read out of the sum's bit pattern, because Swift's `rounded(.toNearestOrEven)` is a
/// `rintf` call on baseline x86-64 and `Int32(Float)` carries a trap check per sample, either of which
/// keeps the loop scalar. The results are bit for bit those of the contract above, computed one sample
/// at a time (`SampleConversionTests` compares the two over every edge value).
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

    // MARK: - Quantisation, eight samples at a time

    /// NaN becomes 0, then `v` is clipped to [lo, hi]. The NaN test comes first: a NaN fails both
    /// comparisons of the clip and would pass through.
    @inline(__always)
    private static func clip(_ v: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
        var v = v.replacing(with: 0, where: v .!= v)
        v.replace(with: hi, where: v .> hi)
        v.replace(with: lo, where: v .< lo)
        return v
    }

    /// Codes of up to 16 bits (`fullScale` 2^(bits-1) ≤ 2^15).
    ///
    /// Clipping to the integer bounds before rounding gives the same code as rounding first: the
    /// bounds are integers, which rounding leaves in place. After the clip |v| ≤ 2^15, so
    /// v + 1.5·2^23 lies in [2^23, 2^24), where Floats are exactly the integers: the addition rounds v
    /// to nearest (ties to even, the magic number being even), and the sum's bit pattern is
    /// 0x4B40_0000 + round(v).
    @inline(__always)
    static func codes16(_ x: SIMD8<Float>, fullScale: Float) -> SIMD8<Int32> {
        let v = clip(x * fullScale, -fullScale, fullScale - 1)
        return unsafeBitCast(v + 0x1.8p23, to: SIMD8<Int32>.self) &- 0x4B40_0000
    }

    /// 24-bit codes. |v| reaches 2^23 here, too far for the trick above, so the magnitude is rounded
    /// instead: |v| + 2^23 lies in [2^23, 2^24], where Floats are the integers and the bit patterns
    /// count them one by one, so its bit pattern minus 2^23's is round(|v|) (ties to even, as the
    /// sign does not change a tie). The magnitude is clipped to 2^23, the sign put back from v's own
    /// sign bit, and a positive 2^23 (one above the largest code) brought down to 2^23 − 1.
    @inline(__always)
    static func codes24(_ x: SIMD8<Float>) -> SIMD8<Int32> {
        let bits = unsafeBitCast(x * 0x1p23, to: SIMD8<Int32>.self)
        var magnitude = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        magnitude.replace(with: 0, where: magnitude .!= magnitude)
        magnitude.replace(with: 0x1p23, where: magnitude .> 0x1p23)
        let rounded = unsafeBitCast(magnitude + 0x1p23, to: SIMD8<Int32>.self) &- 0x4B00_0000  // 0 ... 2^23
        let sign = bits &>> 31  // 0 or -1
        let positiveOverflow = (rounded &>> 23) & ~sign
        return ((rounded ^ sign) &- sign) &- positiveOverflow
    }

    /// 32-bit codes: x·2^31 rounded to nearest even and clipped to Int32, NaN → 0, as the contract
    /// computes in Double. x·2^31 is exact in Float (a power of two; overflow gives ±inf, which
    /// clips), so only the rounding and the read-out need care beyond 2^22:
    /// - v, clipped to ±2^31, is split into H = 65536·round(v/65536) and the rest r = v − H, with
    ///   |r| ≤ 32768. The subtraction is exact (both are multiples of v's spacing and r is small), so
    ///   round(v) = H + round(r), and H, being even, keeps r's tie-breaking;
    /// - both parts are read out with the 1.5·2^23 trick of `codes16`;
    /// - 2^31 itself would wrap to Int32.min, so anything at or above it becomes Int32.max.
    @inline(__always)
    static func codes32(_ x: SIMD8<Float>) -> SIMD8<Int32> {
        let scaled = x * 0x1p31
        let v = clip(scaled, -0x1p31, 0x1p31)
        let highSum = v * 0x1p-16 + 0x1.8p23
        let high = unsafeBitCast(highSum, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let rest = v - (highSum - 0x1.8p23) * 65536
        let low = unsafeBitCast(rest + 0x1.8p23, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return ((high &<< 16) &+ low).replacing(with: .max, where: scaled .>= 0x1p31)
    }

    // Decoding multiplies by one step instead of dividing by full scale: the same result (a power of
    // two), cheaper. Computed rather than stored so the hot loops never touch lazy-global state.
    private static var step8: Float { 0x1p-7 }
    private static var step16: Float { 0x1p-15 }
    private static var step24: Float { 0x1p-23 }
    private static var step32: Float { 0x1p-31 }

    /// Constant-folded: every Linux target Swift supports but s390x.
    private static var hostIsLittleEndian: Bool { 1.littleEndian == 1 }

    // MARK: - Encoding loops

    /// One loop per layout; `strideBytes` is the distance between consecutive samples. The common
    /// little-endian layouts get a contiguous loop of their own that stores whole vectors.
    private static func encode(_ samples: UnsafeBufferPointer<Float>, layout: Layout,
                               to first: UnsafeMutableRawPointer, strideBytes: Int) {
        // Whole-vector loads and stores put the bytes in host order: little-endian layouts only.
        let contiguous = strideBytes == layout.bytes && hostIsLittleEndian
        switch layout {
        case .u8:
            store(samples, to: first, strideBytes, { codes16($0, fullScale: 0x1p7) }) { UInt8(truncatingIfNeeded: $0 &+ 128) }
        case .s8:
            store(samples, to: first, strideBytes, { codes16($0, fullScale: 0x1p7) }) { UInt8(truncatingIfNeeded: $0) }
        case .s16(bigEndian: false) where contiguous:
            blocks(samples, { codes16($0, fullScale: 0x1p15) }) { codes, index in
                first.storeBytes(of: SIMD8<Int16>(truncatingIfNeeded: codes), toByteOffset: index &* 2, as: SIMD8<Int16>.self)
            } one: { code, index in
                first.storeBytes(of: Int16(truncatingIfNeeded: code).littleEndian, toByteOffset: index &* 2, as: Int16.self)
            }
        case .s16(bigEndian: false):
            store(samples, to: first, strideBytes, { codes16($0, fullScale: 0x1p15) }) { UInt16(truncatingIfNeeded: $0).littleEndian }
        case .s16(bigEndian: true):
            store(samples, to: first, strideBytes, { codes16($0, fullScale: 0x1p15) }) { UInt16(truncatingIfNeeded: $0).bigEndian }
        case .u16(bigEndian: false):
            store(samples, to: first, strideBytes, { codes16($0, fullScale: 0x1p15) }) { UInt16(truncatingIfNeeded: $0 &+ 32768).littleEndian }
        case .u16(bigEndian: true):
            store(samples, to: first, strideBytes, { codes16($0, fullScale: 0x1p15) }) { UInt16(truncatingIfNeeded: $0 &+ 32768).bigEndian }
        case .s24in32(bigEndian: false):
            // The bit pattern of a negative Int32 is already sign-extended into the top byte.
            store(samples, to: first, strideBytes, { codes24($0) }) { UInt32(bitPattern: $0).littleEndian }
        case .s24in32(bigEndian: true):
            store(samples, to: first, strideBytes, { codes24($0) }) { UInt32(bitPattern: $0).bigEndian }
        case .s24packed(bigEndian: false) where contiguous:
            // A block of eight samples is 24 bytes: three 64-bit words. Pairs of codes are first
            // packed into six bytes each inside the vector (one 64-bit lane per pair), so only four
            // lanes are taken out of it.
            blocks(samples, { codes24($0) }) { codes, index in
                let pairs = unsafeBitCast(codes, to: SIMD4<UInt64>.self)
                let packed = pairs & 0xFF_FFFF | (pairs &>> 8) & 0xFFFF_FF00_0000
                let w0 = packed[0] | packed[1] &<< 48
                let w1 = packed[1] &>> 16 | packed[2] &<< 32
                let w2 = packed[2] &>> 32 | packed[3] &<< 16
                let base = first + index &* 3
                base.storeBytes(of: w0.littleEndian, as: UInt64.self)
                base.storeBytes(of: w1.littleEndian, toByteOffset: 8, as: UInt64.self)
                base.storeBytes(of: w2.littleEndian, toByteOffset: 16, as: UInt64.self)
            } one: { code, index in
                store24(UInt32(bitPattern: code), littleEndian: true, at: first + index &* 3)
            }
        case .s24packed(let bigEndian):
            blocks(samples, { codes24($0) }) { codes, index in
                for lane in 0..<8 {
                    store24(UInt32(bitPattern: codes[lane]), littleEndian: !bigEndian, at: first + (index &+ lane) &* strideBytes)
                }
            } one: { code, index in
                store24(UInt32(bitPattern: code), littleEndian: !bigEndian, at: first + index &* strideBytes)
            }
        case .s32(bigEndian: false) where contiguous:
            blocks(samples, { codes32($0) }) { codes, index in
                first.storeBytes(of: codes, toByteOffset: index &* 4, as: SIMD8<Int32>.self)
            } one: { code, index in
                first.storeBytes(of: code.littleEndian, toByteOffset: index &* 4, as: Int32.self)
            }
        case .s32(bigEndian: false):
            store(samples, to: first, strideBytes, { codes32($0) }) { UInt32(bitPattern: $0).littleEndian }
        case .s32(bigEndian: true):
            store(samples, to: first, strideBytes, { codes32($0) }) { UInt32(bitPattern: $0).bigEndian }
        case .float32(bigEndian: false) where contiguous:
            first.copyMemory(from: samples.baseAddress!, byteCount: samples.count &* 4)
        case .float32(bigEndian: false):
            // Through the vector loop too, one load per eight samples: the plain loop of a load
            // and a store per sample measured 0.6 G samples/s strided here, this one 6.9.
            store(samples, to: first, strideBytes, { unsafeBitCast($0, to: SIMD8<Int32>.self) }) { UInt32(bitPattern: $0).littleEndian }
        case .float32(bigEndian: true):
            store(samples, to: first, strideBytes, { unsafeBitCast($0, to: SIMD8<Int32>.self) }) { UInt32(bitPattern: $0).bigEndian }
        case .float64(bigEndian: false):
            copy(samples, to: first, strideBytes) { Double($0).bitPattern.littleEndian }
        case .float64(bigEndian: true):
            copy(samples, to: first, strideBytes) { Double($0).bitPattern.bigEndian }
        }
    }

    /// Runs `codes` over the samples eight at a time and hands each vector of codes to `block`
    /// with the index of its first sample; the last few samples go through the same `codes` (padded
    /// with zeros) and come out one by one through `one`, so every sample takes the same arithmetic.
    /// Inlined so each call site becomes its own specialised loop. `samples` is not empty.
    @inline(__always)
    private static func blocks(_ samples: UnsafeBufferPointer<Float>, _ codes: (SIMD8<Float>) -> SIMD8<Int32>,
                               block: (SIMD8<Int32>, Int) -> Void, one: (Int32, Int) -> Void) {
        let source = UnsafeRawPointer(samples.baseAddress!)
        let count = samples.count
        var index = 0
        while count &- index >= 8 {
            block(codes(source.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)), index)
            index &+= 8
        }
        guard index < count else { return }
        var tail = SIMD8<Float>()
        for lane in 0..<(count &- index) { tail[lane] = samples[index &+ lane] }
        let last = codes(tail)
        for lane in 0..<(count &- index) { one(last[lane], index &+ lane) }
    }

    /// Stores `word(code)` for each sample, unaligned, `strideBytes` apart. `word` returns the bytes
    /// already in device order.
    @inline(__always)
    private static func store<Word: FixedWidthInteger>(_ samples: UnsafeBufferPointer<Float>, to first: UnsafeMutableRawPointer,
                                                       _ strideBytes: Int, _ codes: (SIMD8<Float>) -> SIMD8<Int32>,
                                                       _ word: (Int32) -> Word) {
        blocks(samples, codes) { codes, index in
            for lane in 0..<8 {
                first.storeBytes(of: word(codes[lane]), toByteOffset: (index &+ lane) &* strideBytes, as: Word.self)
            }
        } one: { code, index in
            first.storeBytes(of: word(code), toByteOffset: index &* strideBytes, as: Word.self)
        }
    }

    /// Float formats: each sample's bits, unaligned, `strideBytes` apart.
    @inline(__always)
    private static func copy<Word: FixedWidthInteger>(_ samples: UnsafeBufferPointer<Float>, to first: UnsafeMutableRawPointer,
                                                      _ strideBytes: Int, _ word: (Float) -> Word) {
        var offset = 0
        for x in samples {
            first.storeBytes(of: word(x), toByteOffset: offset, as: Word.self)
            offset &+= strideBytes
        }
    }

    /// Two stores, not three: the first two bytes in device order, then the third.
    @inline(__always)
    private static func store24(_ code: UInt32, littleEndian: Bool, at sample: UnsafeMutableRawPointer) {
        if littleEndian {
            sample.storeBytes(of: UInt16(truncatingIfNeeded: code).littleEndian, as: UInt16.self)
            sample.storeBytes(of: UInt8(truncatingIfNeeded: code >> 16), toByteOffset: 2, as: UInt8.self)
        } else {
            sample.storeBytes(of: UInt16(truncatingIfNeeded: code >> 8).bigEndian, as: UInt16.self)
            sample.storeBytes(of: UInt8(truncatingIfNeeded: code), toByteOffset: 2, as: UInt8.self)
        }
    }

    // MARK: - Decoding loops

    private static func decode(from first: UnsafeRawPointer, strideBytes: Int, layout: Layout,
                               into samples: UnsafeMutableBufferPointer<Float>) {
        // Whole-vector loads and stores put the bytes in host order: little-endian layouts only.
        let contiguous = strideBytes == layout.bytes && hostIsLittleEndian
        switch layout {
        case .u8:
            load(from: first, strideBytes, into: samples, step8) { (code: UInt8) in Int32(code) &- 128 }
        case .s8:
            load(from: first, strideBytes, into: samples, step8) { (code: UInt8) in Int32(Int8(bitPattern: code)) }
        case .s16(bigEndian: false) where contiguous:
            // A fixed stride lets the whole vector be loaded at once.
            decodeBlocks(samples, step16) { index in
                SIMD8<Int32>(truncatingIfNeeded: first.loadUnaligned(fromByteOffset: index &* 2, as: SIMD8<Int16>.self))
            } one: { index in
                Int32(Int16(littleEndian: first.loadUnaligned(fromByteOffset: index &* 2, as: Int16.self)))
            }
        case .s16(bigEndian: false):
            load(from: first, strideBytes, into: samples, step16) { (raw: UInt16) in Int32(Int16(bitPattern: UInt16(littleEndian: raw))) }
        case .s16(bigEndian: true):
            load(from: first, strideBytes, into: samples, step16) { (raw: UInt16) in Int32(Int16(bitPattern: UInt16(bigEndian: raw))) }
        case .u16(bigEndian: false):
            load(from: first, strideBytes, into: samples, step16) { (raw: UInt16) in Int32(UInt16(littleEndian: raw)) &- 32768 }
        case .u16(bigEndian: true):
            load(from: first, strideBytes, into: samples, step16) { (raw: UInt16) in Int32(UInt16(bigEndian: raw)) &- 32768 }
        case .s24in32(bigEndian: false):
            // Shifting the low 24 bits to the top and back sign-extends them and drops the top byte.
            load(from: first, strideBytes, into: samples, step24) { (raw: UInt32) in Int32(bitPattern: UInt32(littleEndian: raw) &<< 8) &>> 8 }
        case .s24in32(bigEndian: true):
            load(from: first, strideBytes, into: samples, step24) { (raw: UInt32) in Int32(bitPattern: UInt32(bigEndian: raw) &<< 8) &>> 8 }
        case .s24packed(bigEndian: false):
            // Every sample but the first is read as the four bytes ending with it: the byte before
            // belongs to the previous sample or the gap after it, so the read stays inside the area,
            // and an arithmetic shift drops that byte and sign-extends. The first sample has no byte
            // before it and is assembled byte by byte.
            samples[0] = Float(load24(first, littleEndian: true)) * step24
            let rest = UnsafeMutableBufferPointer(rebasing: samples[1...])
            guard !rest.isEmpty else { return }
            let second = first + (strideBytes &- 1)
            decodeBlocks(rest, step24) { index in
                var codes = SIMD8<Int32>()
                for lane in 0..<8 {
                    codes[lane] = Int32(littleEndian: second.loadUnaligned(fromByteOffset: (index &+ lane) &* strideBytes, as: Int32.self))
                }
                return codes &>> 8
            } one: { index in
                Int32(littleEndian: second.loadUnaligned(fromByteOffset: index &* strideBytes, as: Int32.self)) &>> 8
            }
        case .s24packed(bigEndian: true):
            decodeBlocks(samples, step24) { index in
                var codes = SIMD8<Int32>()
                for lane in 0..<8 { codes[lane] = load24(first + (index &+ lane) &* strideBytes, littleEndian: false) }
                return codes
            } one: { index in
                load24(first + index &* strideBytes, littleEndian: false)
            }
        case .s32(bigEndian: false) where contiguous:
            // Float(Int32) rounds once to nearest; the power-of-two scale is then exact.
            decodeBlocks(samples, step32) { index in
                first.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Int32>.self)
            } one: { index in
                Int32(littleEndian: first.loadUnaligned(fromByteOffset: index &* 4, as: Int32.self))
            }
        case .s32(bigEndian: false):
            load(from: first, strideBytes, into: samples, step32) { (raw: UInt32) in Int32(bitPattern: UInt32(littleEndian: raw)) }
        case .s32(bigEndian: true):
            load(from: first, strideBytes, into: samples, step32) { (raw: UInt32) in Int32(bitPattern: UInt32(bigEndian: raw)) }
        case .float32(bigEndian: false) where contiguous:
            UnsafeMutableRawPointer(samples.baseAddress!).copyMemory(from: first, byteCount: samples.count &* 4)
        case .float32(bigEndian: false):
            copy(from: first, strideBytes, into: samples) { (raw: UInt32) in Float(bitPattern: UInt32(littleEndian: raw)) }
        case .float32(bigEndian: true):
            copy(from: first, strideBytes, into: samples) { (raw: UInt32) in Float(bitPattern: UInt32(bigEndian: raw)) }
        case .float64(bigEndian: false):
            copy(from: first, strideBytes, into: samples) { (raw: UInt64) in Float(Double(bitPattern: UInt64(littleEndian: raw))) }
        case .float64(bigEndian: true):
            copy(from: first, strideBytes, into: samples) { (raw: UInt64) in Float(Double(bitPattern: UInt64(bigEndian: raw))) }
        }
    }

    /// Fills `samples` eight at a time with `Float(code) · step`, the codes of a block coming from
    /// `block(index of its first sample)` and those of the last few samples from `one(index)`; the
    /// conversion and the scale are the same instructions either way (one rounding, then an exact
    /// power-of-two multiply). Inlined so each call site becomes its own loop. `samples` is not empty.
    @inline(__always)
    private static func decodeBlocks(_ samples: UnsafeMutableBufferPointer<Float>, _ step: Float,
                                     block: (Int) -> SIMD8<Int32>, one: (Int) -> Int32) {
        let target = UnsafeMutableRawPointer(samples.baseAddress!)
        let count = samples.count
        var index = 0
        while count &- index >= 8 {
            target.storeBytes(of: SIMD8<Float>(block(index)) * step, toByteOffset: index &* 4, as: SIMD8<Float>.self)
            index &+= 8
        }
        while index < count {
            samples[index] = Float(one(index)) * step
            index &+= 1
        }
    }

    /// Loads one `Word` per sample, unaligned, `strideBytes` apart, and decodes `code(word)`.
    /// `code` receives the bytes in device order and returns the signed code.
    @inline(__always)
    private static func load<Word: FixedWidthInteger>(from first: UnsafeRawPointer, _ strideBytes: Int,
                                                      into samples: UnsafeMutableBufferPointer<Float>, _ step: Float,
                                                      _ code: (Word) -> Int32) {
        decodeBlocks(samples, step) { index in
            var codes = SIMD8<Int32>()
            for lane in 0..<8 {
                codes[lane] = code(first.loadUnaligned(fromByteOffset: (index &+ lane) &* strideBytes, as: Word.self))
            }
            return codes
        } one: { index in
            code(first.loadUnaligned(fromByteOffset: index &* strideBytes, as: Word.self))
        }
    }

    /// Float formats: each sample from its bits, unaligned, `strideBytes` apart.
    @inline(__always)
    private static func copy<Word: FixedWidthInteger>(from first: UnsafeRawPointer, _ strideBytes: Int,
                                                      into samples: UnsafeMutableBufferPointer<Float>, _ value: (Word) -> Float) {
        var offset = 0
        for i in samples.indices {
            samples[i] = value(first.loadUnaligned(fromByteOffset: offset, as: Word.self))
            offset &+= strideBytes
        }
    }

    /// A packed 24-bit sample, sign-extended.
    @inline(__always)
    private static func load24(_ sample: UnsafeRawPointer, littleEndian: Bool) -> Int32 {
        let b0 = UInt32(sample.load(as: UInt8.self)), b1 = UInt32(sample.load(fromByteOffset: 1, as: UInt8.self))
        let b2 = UInt32(sample.load(fromByteOffset: 2, as: UInt8.self))
        let (low, high) = littleEndian ? (b0, b2) : (b2, b0)
        return Int32(bitPattern: low << 8 | b1 << 16 | high << 24) &>> 8
    }
}
