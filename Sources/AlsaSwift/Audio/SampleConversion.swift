import CSampleConversion

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
/// Each call validates here, once, then runs one loop chosen by the format outside the loop. The
/// loops are C (`Sources/CSampleConversion`): Swift compiles a function for the package's baseline
/// target only, and baseline x86-64 has neither a vector rounding instruction nor AVX, so each loop
/// is built once per x86-64 level (baseline, SSE4.1, AVX2, AVX-512) and the best one this CPU runs is
/// bound once, when the program starts. The loops read and write unaligned (device buffers and packed
/// 24-bit samples are not aligned), convert byte order explicitly, allocate nothing and take no
/// lock: they run on the real-time audio path. Only a failed validation builds an error message.
/// Every level gives bit for bit the results of the contract above computed one sample at a time
/// (`SampleConversionReferenceTests` compares them over every edge value, and
/// `SampleConversionLevelTests` each level this CPU runs).
public enum SampleConversion {
    /// Whether `encode` and `decode` handle `format`.
    public static func isSupported(_ format: SampleFormat) -> Bool { width(of: format) != nil }

    /// Encodes `samples` into `bytes`, one after another (interleaved audio is just this with the
    /// frames' samples in order). `bytes` must hold at least `samples.count` samples of `format`;
    /// bytes after them are left alone.
    ///
    /// Throws `.transfer`/`.invalidArgument`, having written nothing, for a format without a Float
    /// conversion or a buffer that is too small.
    public static func encode(_ samples: UnsafeBufferPointer<Float>, as format: SampleFormat,
                              into bytes: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        let width = try supportedWidth(format)
        try requireRoom(for: samples.count, of: format, width: width, in: bytes.count)
        guard let first = bytes.baseAddress, !samples.isEmpty else { return }
        encode(samples, format: format, to: first, strideBytes: width)
    }

    /// Decodes `samples.count` samples of `format` from the start of `bytes` into `samples`.
    ///
    /// Throws `.transfer`/`.invalidArgument`, having written nothing, for a format without a Float
    /// conversion or too few bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as format: SampleFormat,
                              into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let width = try supportedWidth(format)
        try requireRoom(for: samples.count, of: format, width: width, in: bytes.count)
        guard let first = bytes.baseAddress, !samples.isEmpty else { return }
        decode(from: first, strideBytes: width, format: format, into: samples)
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
        let width = try supportedWidth(format)
        try requireStride(strideBytes, of: format, width: width)
        guard !samples.isEmpty else { return }
        encode(samples, format: format, to: first, strideBytes: strideBytes)
    }

    /// Decodes `samples.count` samples from a channel area: sample `i` is read from
    /// `first + i * strideBytes` (see the strided `encode` for what the caller guarantees).
    public static func decode(from first: UnsafeRawPointer, strideBytes: Int, as format: SampleFormat,
                              into samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) {
        let width = try supportedWidth(format)
        try requireStride(strideBytes, of: format, width: width)
        guard !samples.isEmpty else { return }
        decode(from: first, strideBytes: strideBytes, format: format, into: samples)
    }

    /// Bytes one sample of `format` occupies, or an error if the format has no Float conversion.
    /// For the buffer types, which size their byte arrays before converting.
    static func bytesPerSample(_ format: SampleFormat) throws(AlsaError) -> Int {
        try supportedWidth(format)
    }

    // MARK: - The formats

    /// Bytes one sample occupies, for the formats with a Float conversion (the C loops have one for
    /// each of these); nil for any other.
    static func width(of format: SampleFormat) -> Int? {
        switch format {
        case .u8, .s8: 1
        case .s16LE, .s16BE, .u16LE, .u16BE: 2
        case .s24_3LE, .s24_3BE: 3
        case .s24LE, .s24BE, .s32LE, .s32BE, .floatLE, .floatBE: 4
        case .float64LE, .float64BE: 8
        default: nil
        }
    }

    // MARK: - Validation (the only place that builds error text)

    private static func supportedWidth(_ format: SampleFormat) throws(AlsaError) -> Int {
        guard let width = width(of: format) else {
            throw AlsaError(.transfer, .invalidArgument, context: "no Float conversion for sample format \(format)")
        }
        return width
    }

    private static func requireRoom(for count: Int, of format: SampleFormat, width: Int, in available: Int) throws(AlsaError) {
        let needed = count * width
        guard available >= needed else {
            throw AlsaError(.transfer, .invalidArgument,
                            context: "\(count) \(format) samples need \(needed) bytes, the buffer has \(available)")
        }
    }

    private static func requireStride(_ strideBytes: Int, of format: SampleFormat, width: Int) throws(AlsaError) {
        guard strideBytes >= width else {
            throw AlsaError(.transfer, .invalidArgument,
                            context: "stride of \(strideBytes) bytes is smaller than one \(width)-byte \(format) sample")
        }
    }

    // MARK: - The loops

    /// The C loops (`Sources/CSampleConversion`), for the best instruction set this CPU runs.
    /// `samples` is not empty and the area has been validated.
    private static func encode(_ samples: UnsafeBufferPointer<Float>, format: SampleFormat,
                               to first: UnsafeMutableRawPointer, strideBytes: Int) {
        alsa_sample_encode(format.rawValue, samples.baseAddress!, first, samples.count, strideBytes)
    }

    private static func decode(from first: UnsafeRawPointer, strideBytes: Int, format: SampleFormat,
                               into samples: UnsafeMutableBufferPointer<Float>) {
        alsa_sample_decode(format.rawValue, first, strideBytes, samples.baseAddress!, samples.count)
    }
}
