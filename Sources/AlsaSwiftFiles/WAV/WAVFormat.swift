import AlsaSwift

/// The sample layout of a WAV file, as its `fmt ` chunk describes it: how each sample is encoded,
/// how many channels a frame has and how many frames a second plays.
///
/// ```swift
/// let format = WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16)
/// print(format)               // 16-bit signed, 2 channels, 48000 Hz
/// print(format.sampleFormat)  // the ALSA format with the same bytes: S16_LE
/// ```
public struct WAVFormat: Sendable, Hashable, CustomStringConvertible {
    /// How a WAV file encodes its samples.
    public enum Encoding: Sendable, Hashable, CustomStringConvertible {
        /// Integer PCM: unsigned for 8 bits, signed little-endian above.
        case integer
        /// IEEE float, 32 or 64 bits.
        case float

        /// "integer" or "float".
        public var description: String { self == .float ? "float" : "integer" }
    }

    /// How each sample is encoded.
    public var encoding: Encoding
    /// Samples in one frame.
    public var channelCount: Int
    /// Frames per second.
    public var sampleRate: Int
    /// Bits each sample occupies in the file (8, 16, 24, 32, 64).
    public var containerBits: Int
    /// Bits that carry signal (WAVE_FORMAT_EXTENSIBLE may say fewer than the container).
    public var validBits: Int
    /// Speaker positions (WAVE_FORMAT_EXTENSIBLE's `dwChannelMask`), 0 when not given.
    public var channelMask: UInt32

    /// A layout; `validBits` defaults to the whole container. Nothing is checked here: a writer
    /// refuses what a WAV header cannot describe (see `headerLimitViolation`).
    public init(encoding: Encoding, channelCount: Int, sampleRate: Int, containerBits: Int, validBits: Int? = nil, channelMask: UInt32 = 0) {
        self.encoding = encoding
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.containerBits = containerBits
        self.validBits = validBits ?? containerBits
        self.channelMask = channelMask
    }

    /// Bytes one sample occupies in the file.
    public var bytesPerSample: Int { containerBits / 8 }
    /// Bytes one frame (a sample of every channel) occupies in the file.
    public var bytesPerFrame: Int { channelCount * bytesPerSample }

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

    /// The WAV layout that stores `format` unchanged, if there is one: U8, S16_LE, S24_3LE, S32_LE,
    /// FLOAT_LE and FLOAT64_LE.
    public init?(storing format: SampleFormat, channelCount: Int, sampleRate: Int) {
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
    public var headerLimitViolation: String? {
        // The sample sizes a WAV reader reads (WAVReader.parseFormat's): a 0-byte sample would
        // make every frame count a division by zero.
        guard (encoding == .float ? [32, 64] : [8, 16, 24, 32]).contains(containerBits), (1...containerBits).contains(validBits) else {
            return "\(validBits)-in-\(containerBits)-bit \(encoding) samples"
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

    /// The most frames one WAV file of this layout holds: its sizes are 32-bit, counted from the
    /// RIFF header on (about 4 GiB of samples).
    public var maximumFrames: Int {
        bytesPerFrame > 0 ? (Int(UInt32.max) - WAVFormat.largestHeaderBytes) / bytesPerFrame : 0
    }

    /// RIFF, WAVE, an EXTENSIBLE `fmt ` chunk and the `data` chunk header, plus a pad byte.
    static let largestHeaderBytes = 12 + 8 + 40 + 8 + 1

    /// "16-bit signed, 2 channels, 48000 Hz", "20-in-24-bit signed, ...", "32-bit float, ...".
    public var description: String {
        let kind = encoding == .float ? "float" : (containerBits == 8 ? "unsigned" : "signed")
        let bits = validBits == containerBits ? "\(containerBits)-bit" : "\(validBits)-in-\(containerBits)-bit"
        return "\(bits) \(kind), \(channelCount) channel\(channelCount == 1 ? "" : "s"), \(sampleRate) Hz"
    }
}
