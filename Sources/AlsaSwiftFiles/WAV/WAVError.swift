import SystemPackage

/// Why a WAV file could not be read or written: a small `kind` to switch on, and a sentence that
/// names what was wrong and where (the malformed field; or the file operation, the path and the
/// errno). New situations get a sentence, not a new kind, so an app's `switch` keeps compiling.
///
/// ```swift
/// do {
///     _ = try WAVReader(path: "song.wav")
/// } catch {
///     switch error.kind {
///     case .io: print("cannot read the file:", error)
///     case .notWAV, .malformed, .unsupported: print("cannot play this file:", error)
///     case .unrepresentable: break   // only writers meet this
///     }
/// }
/// ```
public struct WAVError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Kind: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The file is no WAV file at all: no RIFF header, or a RIFF form other than WAVE.
        case notWAV
        /// A WAV file whose headers or sizes are wrong: truncated, inconsistent or out of range.
        case malformed
        /// A well-formed WAV file this library does not read: compressed audio, an odd sample size.
        case unsupported
        /// A file operation failed (`operation`, `path` and `errno` say which and why).
        case io
        /// What a writer was asked to write cannot be described by a WAV header (too many
        /// channels, too fast a byte rate, more than 4 GiB).
        case unrepresentable

        public var description: String {
            switch self {
            case .notWAV: "not a WAV file"
            case .malformed: "malformed WAV file"
            case .unsupported: "unsupported WAV file"
            case .io: "file operation failed"
            case .unrepresentable: "not representable in a WAV file"
            }
        }
    }

    /// What kind of problem it is.
    public let kind: Kind
    /// For `.io`: the file operation that failed (`open`, `read`, `write` or `seek`).
    public let operation: String?
    /// For `.io`: the file's path.
    public let path: String?
    /// For `.io`: the error the system reported.
    public let errno: Errno?
    /// What went wrong, in a sentence for a user.
    public let description: String

    private init(_ kind: Kind, _ description: String, operation: String? = nil, path: String? = nil, errno: Errno? = nil) {
        self.kind = kind
        self.description = description
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The file does not start with a RIFF header.
    public static let notRIFF = WAVError(.notWAV, "not a WAV file: no RIFF header")
    /// The RIFF form is not WAVE.
    public static let notWAVE = WAVError(.notWAV, "not a WAV file: the RIFF form is not WAVE")
    /// The file ends inside the RIFF header or a chunk header.
    public static let truncatedHeader = WAVError(.malformed, "the file ends inside a header")
    /// No `fmt ` chunk comes before the data.
    public static let missingFormatChunk = WAVError(.malformed, "no 'fmt ' chunk before the data")
    /// No `data` chunk.
    public static let missingDataChunk = WAVError(.malformed, "no 'data' chunk")

    /// A chunk says it is longer than what is left of the file.
    public static func chunkBeyondEnd(chunk: String, declared: Int, available: Int) -> WAVError {
        WAVError(.malformed, "chunk '\(chunk)' declares \(declared) bytes but only \(available) remain")
    }

    /// A `fmt ` chunk field is out of range or inconsistent; `why` names the field.
    public static func malformedFormatChunk(_ why: String) -> WAVError {
        WAVError(.malformed, "malformed 'fmt ' chunk: \(why)")
    }

    /// The data chunk got shorter than it declared while it was being read (the file shrank).
    public static func truncatedData(declared: Int, available: Int) -> WAVError {
        WAVError(.malformed, "the data chunk declares \(declared) bytes but the file holds \(available)")
    }

    /// A format tag other than PCM (1), IEEE float (3) and EXTENSIBLE with a PCM or float subformat.
    public static func unsupportedEncoding(tag: UInt16) -> WAVError {
        WAVError(.unsupported, "unsupported WAV encoding 0x\(String(tag, radix: 16)) (compressed audio is not supported)")
    }

    /// A sample size this library does not read: integer 8/16/24/32 and float 32/64 are read.
    public static func unsupportedBitDepth(bits: Int, encoding: WAVFormat.Encoding) -> WAVError {
        WAVError(.unsupported, "unsupported \(bits)-bit \(encoding) samples")
    }

    /// A file operation failed: `operation` is `open`, `read`, `write` or `seek`.
    public static func io(operation: String, path: String, errno: Errno) -> WAVError {
        WAVError(.io, "\(path): \(operation) failed: \(errno)", operation: operation, path: path, errno: errno)
    }

    /// A layout a WAV header cannot describe (too many channels, too fast a byte rate).
    public static func unrepresentable(_ why: String) -> WAVError {
        WAVError(.unrepresentable, "a WAV file cannot hold \(why)")
    }

    /// Appending would take the file past the 4 GiB its 32-bit sizes can describe.
    public static func tooLarge(maximumFrames: Int) -> WAVError {
        WAVError(.unrepresentable, "a WAV file holds at most \(maximumFrames) frames of this format (4 GiB)")
    }

    /// An I/O error of `operation` on `path` from what SystemPackage threw.
    static func io(_ operation: String, _ path: String, _ error: any Error) -> WAVError {
        .io(operation: operation, path: path, errno: (error as? Errno) ?? .ioError)
    }
}
