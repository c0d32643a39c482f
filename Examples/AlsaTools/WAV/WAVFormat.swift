import AlsaSwift
import SystemPackage

/// The sample layout of a WAV file, as its `fmt ` chunk describes it.
public struct WAVFormat: Sendable, Equatable, CustomStringConvertible {
    public enum Encoding: Sendable, Equatable {
        /// Integer PCM: unsigned for 8 bits, signed little-endian above.
        case integer
        /// IEEE float, 32 or 64 bits.
        case float
    }

    public var encoding: Encoding
    public var channels: Int
    public var sampleRate: Int
    /// Bits each sample occupies in the file (8, 16, 24, 32, 64).
    public var containerBits: Int
    /// Bits that carry signal (WAVE_FORMAT_EXTENSIBLE may say fewer than the container).
    public var validBits: Int
    /// Speaker positions (WAVE_FORMAT_EXTENSIBLE), 0 when not given.
    public var channelMask: UInt32

    public init(encoding: Encoding, channels: Int, sampleRate: Int, containerBits: Int, validBits: Int? = nil, channelMask: UInt32 = 0) {
        self.encoding = encoding
        self.channels = channels
        self.sampleRate = sampleRate
        self.containerBits = containerBits
        self.validBits = validBits ?? containerBits
        self.channelMask = channelMask
    }

    public var bytesPerSample: Int { containerBits / 8 }
    public var bytesPerFrame: Int { channels * bytesPerSample }

    /// The ALSA sample format with the same bytes in memory, so frames can go to a device as they are.
    public var sampleFormat: SampleFormat {
        switch (encoding, containerBits) {
        case (.integer, 8): .u8
        case (.integer, 16): .s16LE
        case (.integer, 24): .s24_3LE
        case (.integer, 32): .s32LE
        case (.float, 32): .floatLE
        default: .float64LE
        }
    }

    /// The WAV layout that stores `format` unchanged, if there is one.
    public init?(storing format: SampleFormat, channels: Int, sampleRate: Int) {
        let layout: (Encoding, Int)
        switch format {
        case .u8: layout = (.integer, 8)
        case .s16LE: layout = (.integer, 16)
        case .s24_3LE: layout = (.integer, 24)
        case .s32LE: layout = (.integer, 32)
        case .floatLE: layout = (.float, 32)
        case .float64LE: layout = (.float, 64)
        default: return nil
        }
        self.init(encoding: layout.0, channels: channels, sampleRate: sampleRate, containerBits: layout.1)
    }

    public var description: String {
        let kind = encoding == .float ? "float" : (containerBits == 8 ? "unsigned" : "signed")
        let bits = validBits == containerBits ? "\(containerBits)-bit" : "\(validBits)-in-\(containerBits)-bit"
        return "\(bits) \(kind), \(channels) channel\(channels == 1 ? "" : "s"), \(sampleRate) Hz"
    }
}

/// Why a file is not a WAV this library can play. Each case names what was wrong, where.
public enum WAVError: Error, Equatable, CustomStringConvertible {
    case notRIFF
    case notWAVE
    /// The file ends inside the RIFF header or a chunk header.
    case truncatedHeader
    /// A chunk says it is longer than what is left of the file.
    case chunkBeyondEnd(chunk: String, declared: UInt64, available: UInt64)
    case missingFormatChunk
    case missingDataChunk
    case malformedFormatChunk(String)
    /// A format tag other than PCM (1), IEEE float (3) and EXTENSIBLE with a PCM or float subformat.
    case unsupportedEncoding(tag: UInt16)
    case unsupportedBitDepth(bits: Int, encoding: WAVFormat.Encoding)
    /// The data chunk is shorter than it declares.
    case truncatedData(declared: UInt64, available: UInt64)
    case io(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .notRIFF: "not a WAV file: no RIFF header"
        case .notWAVE: "not a WAV file: the RIFF form is not WAVE"
        case .truncatedHeader: "the file ends inside a header"
        case .chunkBeyondEnd(let chunk, let declared, let available):
            "chunk '\(chunk)' declares \(declared) bytes but only \(available) remain"
        case .missingFormatChunk: "no 'fmt ' chunk before the data"
        case .missingDataChunk: "no 'data' chunk"
        case .malformedFormatChunk(let why): "malformed 'fmt ' chunk: \(why)"
        case .unsupportedEncoding(let tag): "unsupported WAV encoding 0x\(String(tag, radix: 16)) (compressed audio is not supported)"
        case .unsupportedBitDepth(let bits, let encoding): "unsupported \(bits)-bit \(encoding == .float ? "float" : "integer") samples"
        case .truncatedData(let declared, let available): "the data chunk declares \(declared) bytes but the file holds \(available)"
        case .io(let path, let errno): "\(path): \(String(cString: strerror(errno)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
