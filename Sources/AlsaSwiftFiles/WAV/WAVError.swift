import SystemPackage

/// Why a WAV file could not be read or written. Each case names what was wrong, and where: the
/// malformed field, or the file operation, the path and the errno.
public enum WAVError: Error, Hashable, CustomStringConvertible {
    /// The file does not start with a RIFF header.
    case notRIFF
    /// The RIFF form is not WAVE.
    case notWAVE
    /// The file ends inside the RIFF header or a chunk header.
    case truncatedHeader
    /// A chunk says it is longer than what is left of the file.
    case chunkBeyondEnd(chunk: String, declared: Int, available: Int)
    /// No `fmt ` chunk comes before the data.
    case missingFormatChunk
    /// No `data` chunk.
    case missingDataChunk
    /// A `fmt ` chunk field is out of range or inconsistent; the text names the field.
    case malformedFormatChunk(String)
    /// A format tag other than PCM (1), IEEE float (3) and EXTENSIBLE with a PCM or float subformat.
    case unsupportedEncoding(tag: UInt16)
    /// A sample size this library does not read: integer 8/16/24/32 and float 32/64 are read.
    case unsupportedBitDepth(bits: Int, encoding: WAVFormat.Encoding)
    /// The data chunk got shorter than it declared while it was being read (the file shrank).
    case truncatedData(declared: Int, available: Int)
    /// A file operation failed: `operation` is `open`, `read`, `write` or `seek`.
    case io(operation: String, path: String, errno: Errno)
    /// A layout a WAV header cannot describe (too many channels, too fast a byte rate).
    case unrepresentable(String)
    /// Appending would take the file past the 4 GiB its 32-bit sizes can describe.
    case tooLarge(maximumFrames: Int)

    /// What went wrong, in a sentence for a user.
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
        case .unsupportedBitDepth(let bits, let encoding): "unsupported \(bits)-bit \(encoding) samples"
        case .truncatedData(let declared, let available): "the data chunk declares \(declared) bytes but the file holds \(available)"
        case .io(let operation, let path, let errno): "\(path): \(operation) failed: \(errno)"
        case .unrepresentable(let why): "a WAV file cannot hold \(why)"
        case .tooLarge(let maximumFrames): "a WAV file holds at most \(maximumFrames) frames of this format (4 GiB)"
        }
    }

    /// An I/O error of `operation` on `path` from what SystemPackage threw.
    static func io(_ operation: String, _ path: String, _ error: any Error) -> WAVError {
        .io(operation: operation, path: path, errno: (error as? Errno) ?? .ioError)
    }
}
