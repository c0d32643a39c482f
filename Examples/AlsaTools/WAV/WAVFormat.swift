import AlsaSwift
import SystemPackage

/// The sample layout of a WAV file, as its `fmt ` chunk describes it.
package struct WAVFormat: Sendable, Equatable, CustomStringConvertible {
    package enum Encoding: Sendable, Equatable {
        /// Integer PCM: unsigned for 8 bits, signed little-endian above.
        case integer
        /// IEEE float, 32 or 64 bits.
        case float
    }

    package var encoding: Encoding
    package var channelCount: Int
    package var sampleRate: Int
    /// Bits each sample occupies in the file (8, 16, 24, 32, 64).
    package var containerBits: Int
    /// Bits that carry signal (WAVE_FORMAT_EXTENSIBLE may say fewer than the container).
    package var validBits: Int
    /// Speaker positions (WAVE_FORMAT_EXTENSIBLE), 0 when not given.
    package var channelMask: UInt32

    package init(encoding: Encoding, channelCount: Int, sampleRate: Int, containerBits: Int, validBits: Int? = nil, channelMask: UInt32 = 0) {
        self.encoding = encoding
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.containerBits = containerBits
        self.validBits = validBits ?? containerBits
        self.channelMask = channelMask
    }

    package var bytesPerSample: Int { containerBits / 8 }
    package var bytesPerFrame: Int { channelCount * bytesPerSample }

    /// The ALSA sample format with the same bytes in memory, so frames can go to a device as they are.
    package var sampleFormat: SampleFormat {
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
    package init?(storing format: SampleFormat, channelCount: Int, sampleRate: Int) {
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
        self.init(encoding: layout.0, channelCount: channelCount, sampleRate: sampleRate, containerBits: layout.1)
    }

    /// Why a WAV header cannot describe this layout, or nil when it can: the `fmt ` chunk holds the
    /// channel count, block align and bit depths in 16 bits, the rate and byte rate in 32.
    package var headerLimitViolation: String? {
        // The sample sizes a WAV reader reads (WAVReader.parseFormat's): a 0-byte sample would
        // make every frame count a division by zero.
        guard (encoding == .float ? [32, 64] : [8, 16, 24, 32]).contains(containerBits), (1...containerBits).contains(validBits) else {
            return "\(validBits)-in-\(containerBits)-bit \(encoding == .float ? "float" : "integer") samples"
        }
        guard (1...Int(UInt16.max)).contains(channelCount) else { return "\(channelCount) channels (a WAV header holds 1 to 65535)" }
        guard bytesPerFrame <= Int(UInt16.max) else {
            return "\(channelCount) channels of \(containerBits)-bit samples make \(bytesPerFrame)-byte frames (a WAV header holds at most 65535)"
        }
        guard (1...Int(UInt32.max)).contains(sampleRate) else { return "sample rate \(sampleRate) Hz (a WAV header holds 1 to \(UInt32.max))" }
        guard sampleRate.multipliedReportingOverflow(by: bytesPerFrame).partialValue <= Int(UInt32.max) else {
            return "\(sampleRate) Hz × \(bytesPerFrame)-byte frames (a WAV header's byte rate holds at most \(UInt32.max) bytes per second)"
        }
        return nil
    }

    /// The most frames one WAV file holds: its sizes are 32-bit, counted from the RIFF header on.
    package var maximumFrames: Int {
        bytesPerFrame > 0 ? (Int(UInt32.max) - WAVFormat.largestHeaderBytes) / bytesPerFrame : 0
    }

    /// RIFF, WAVE, an EXTENSIBLE `fmt ` chunk and the `data` chunk header, plus a pad byte.
    static let largestHeaderBytes = 12 + 8 + 40 + 8 + 1

    package var description: String {
        let kind = encoding == .float ? "float" : (containerBits == 8 ? "unsigned" : "signed")
        let bits = validBits == containerBits ? "\(containerBits)-bit" : "\(validBits)-in-\(containerBits)-bit"
        return "\(bits) \(kind), \(channelCount) channel\(channelCount == 1 ? "" : "s"), \(sampleRate) Hz"
    }
}

/// A WAV file or stream whose data ends before the length its header declares (a download cut
/// short, a recording whose writer died): the players play the frames there are and say so, as
/// aplay plays them, whether the file is read at any offset or as a stream on standard input.
package struct WAVTruncation: Sendable, Equatable, CustomStringConvertible {
    /// The size the data chunk declares, in bytes.
    package var declaredBytes: UInt64
    /// The bytes of data there were.
    package var availableBytes: UInt64

    package init(declaredBytes: UInt64, availableBytes: UInt64) {
        self.declaredBytes = declaredBytes
        self.availableBytes = availableBytes
    }

    /// The truncation, if any, of data that declares `declared` bytes (0 and 0xFFFFFFFF: "until
    /// the end", which nothing can fall short of) and holds `available`: judged in whole frames of
    /// `frameBytes`, the unit that plays.
    static func of(declared: UInt64, available: UInt64, frameBytes: Int) -> WAVTruncation? {
        guard declared != 0, declared != UInt64(UInt32.max), frameBytes > 0,
              available / UInt64(frameBytes) < declared / UInt64(frameBytes) else { return nil }
        return WAVTruncation(declaredBytes: declared, availableBytes: available)
    }

    package var description: String { "the data chunk declares \(declaredBytes) bytes but holds \(availableBytes)" }
}

/// Why a file is not a WAV this library can play. Each case names what was wrong, where.
package enum WAVError: Error, Equatable, CustomStringConvertible {
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
    /// The data chunk got shorter than it declared while it was being read (the file shrank).
    case truncatedData(declared: UInt64, available: UInt64)
    case io(path: String, errno: Int32)
    /// A layout a WAV header cannot describe (too many channels, too fast a byte rate).
    case unrepresentable(String)
    /// Appending would take the file past the 4 GiB its 32-bit sizes can describe.
    case tooLarge(maximumFrames: Int)

    package var description: String {
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
        case .unrepresentable(let why): "a WAV file cannot hold \(why)"
        case .tooLarge(let maximumFrames): "a WAV file holds at most \(maximumFrames) frames of this format (4 GiB)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
