/// A PCM sample format (`SNDRV_PCM_FORMAT_*`), with the widths the transport needs.
///
/// A struct rather than an enum so that a format the kernel offers but this library does not name is
/// still represented (and reported) instead of dropped.
public struct SampleFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Signed 8-bit (S8).
    public static let s8 = SampleFormat(rawValue: 0)
    /// Unsigned 8-bit, silence at 128 (U8).
    public static let u8 = SampleFormat(rawValue: 1)
    /// Signed 16-bit, little-endian (S16_LE): the format every device offers.
    public static let s16LE = SampleFormat(rawValue: 2)
    /// Signed 16-bit, big-endian (S16_BE).
    public static let s16BE = SampleFormat(rawValue: 3)
    /// Unsigned 16-bit, little-endian (U16_LE).
    public static let u16LE = SampleFormat(rawValue: 4)
    /// Unsigned 16-bit, big-endian (U16_BE).
    public static let u16BE = SampleFormat(rawValue: 5)
    /// 24 significant bits in the low three bytes of a 32-bit little-endian word.
    public static let s24LE = SampleFormat(rawValue: 6)
    /// Signed 24-bit in the low 3 bytes of 4, big-endian (S24_BE).
    public static let s24BE = SampleFormat(rawValue: 7)
    /// Signed 32-bit, little-endian (S32_LE).
    public static let s32LE = SampleFormat(rawValue: 10)
    /// Signed 32-bit, big-endian (S32_BE).
    public static let s32BE = SampleFormat(rawValue: 11)
    /// 32-bit IEEE float in [-1, 1), little-endian (FLOAT_LE).
    public static let floatLE = SampleFormat(rawValue: 14)
    /// 32-bit IEEE float in [-1, 1), big-endian (FLOAT_BE).
    public static let floatBE = SampleFormat(rawValue: 15)
    /// 64-bit IEEE float in [-1, 1), little-endian (FLOAT64_LE).
    public static let float64LE = SampleFormat(rawValue: 16)
    /// 64-bit IEEE float in [-1, 1), big-endian (FLOAT64_BE).
    public static let float64BE = SampleFormat(rawValue: 17)
    /// 24-bit samples packed in three little-endian bytes.
    public static let s24_3LE = SampleFormat(rawValue: 32)
    /// Signed 24-bit packed in 3 bytes, big-endian (S24_3BE).
    public static let s24_3BE = SampleFormat(rawValue: 33)
    /// Signed 20-bit packed in 3 bytes, little-endian (S20_3LE).
    public static let s20_3LE = SampleFormat(rawValue: 36)

    private struct Widths { let name: String; let physical: Int; let significant: Int }

    private var widths: Widths? {
        switch rawValue {
        case 0: Widths(name: "S8", physical: 8, significant: 8)
        case 1: Widths(name: "U8", physical: 8, significant: 8)
        case 2: Widths(name: "S16_LE", physical: 16, significant: 16)
        case 3: Widths(name: "S16_BE", physical: 16, significant: 16)
        case 4: Widths(name: "U16_LE", physical: 16, significant: 16)
        case 5: Widths(name: "U16_BE", physical: 16, significant: 16)
        case 6: Widths(name: "S24_LE", physical: 32, significant: 24)
        case 7: Widths(name: "S24_BE", physical: 32, significant: 24)
        case 8: Widths(name: "U24_LE", physical: 32, significant: 24)
        case 9: Widths(name: "U24_BE", physical: 32, significant: 24)
        case 10: Widths(name: "S32_LE", physical: 32, significant: 32)
        case 11: Widths(name: "S32_BE", physical: 32, significant: 32)
        case 12: Widths(name: "U32_LE", physical: 32, significant: 32)
        case 13: Widths(name: "U32_BE", physical: 32, significant: 32)
        case 14: Widths(name: "FLOAT_LE", physical: 32, significant: 32)
        case 15: Widths(name: "FLOAT_BE", physical: 32, significant: 32)
        case 16: Widths(name: "FLOAT64_LE", physical: 64, significant: 64)
        case 17: Widths(name: "FLOAT64_BE", physical: 64, significant: 64)
        case 32: Widths(name: "S24_3LE", physical: 24, significant: 24)
        case 33: Widths(name: "S24_3BE", physical: 24, significant: 24)
        case 34: Widths(name: "U24_3LE", physical: 24, significant: 24)
        case 35: Widths(name: "U24_3BE", physical: 24, significant: 24)
        case 36: Widths(name: "S20_3LE", physical: 24, significant: 20)
        case 37: Widths(name: "S20_3BE", physical: 24, significant: 20)
        default: nil
        }
    }

    /// Bits one sample occupies in the buffer, or nil for a format this library cannot size
    /// (compressed, DSD...): such a format can be listed but not configured.
    public var physicalBits: Int? {
        // A plain switch: this is read on the audio path (frame sizes), the table below is not.
        switch rawValue {
        case 0, 1: 8
        case 2...5: 16
        case 32...37: 24
        case 6...15: 32
        case 16, 17: 64
        default: nil
        }
    }
    /// Bits that carry signal.
    public var significantBits: Int? { widths?.significant }
    /// The kernel's name, or `FORMAT(n)` for one this library does not name.
    public var name: String { widths?.name ?? "FORMAT(\(rawValue))" }
    public var description: String { name }
}

/// How samples are laid out and moved (`SNDRV_PCM_ACCESS_*`).
public enum AccessType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// The mapped buffer, frames with their channels side by side.
    case mmapInterleaved = 0
    /// The mapped buffer, one area per channel.
    case mmapNonInterleaved = 1
    /// The mapped buffer in a layout of the driver's own, described per channel.
    case mmapComplex = 2
    /// Copies through the kernel (WRITEI/READI), frames with their channels side by side.
    case readWriteInterleaved = 3
    /// Copies through the kernel (WRITEN/READN), one buffer per channel.
    case readWriteNonInterleaved = 4

    /// Whether the app transfers through the mapped buffer.
    public var isMmap: Bool { self == .mmapInterleaved || self == .mmapNonInterleaved || self == .mmapComplex }
    /// Whether a frame's channels lie side by side in one buffer.
    public var isInterleaved: Bool { self == .mmapInterleaved || self == .readWriteInterleaved }

    public var description: String {
        switch self {
        case .mmapInterleaved: "MMAP_INTERLEAVED"
        case .mmapNonInterleaved: "MMAP_NONINTERLEAVED"
        case .mmapComplex: "MMAP_COMPLEX"
        case .readWriteInterleaved: "RW_INTERLEAVED"
        case .readWriteNonInterleaved: "RW_NONINTERLEAVED"
        }
    }
}
