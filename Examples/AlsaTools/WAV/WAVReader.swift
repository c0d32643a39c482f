import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads a WAV file's header, then its frames in chunks, straight from the file. Every size the
/// file declares is checked against the file's real length before it is believed.
///
/// For a regular file (a path, or standard input redirected from one); a pipe is read in order by
/// `WAVStreamReader`.
package final class WAVReader: AudioSource {
    package let path: String
    package let format: WAVFormat
    /// Frames in the data chunk: those there are, when the file ends before its declared length.
    package let frameCount: Int
    /// How the data falls short of its declared length; nil for a whole file.
    package let truncation: WAVTruncation?
    private let input: FileInput
    private var file: FileDescriptor { input.descriptor }
    private let dataOffset: Int64
    /// Frames read so far.
    package private(set) var position = 0

    package convenience init(path: String) throws(WAVError) {
        try self.init(input: try FileInput(path: path))
    }

    /// Reads the header of the regular file `input` is open on.
    package init(input: FileInput) throws(WAVError) {
        self.path = input.name
        self.input = input
        let header = try Self.parse(input.descriptor, path: input.name)
        format = header.format
        dataOffset = header.dataOffset
        frameCount = Int(header.dataBytes / UInt64(header.format.bytesPerFrame))
        truncation = header.truncation
    }

    /// The path, or `stdin` when standard input is a redirected file.
    package var name: String { path }
    /// The frames in the data chunk: a file says how long it is.
    package var totalFrames: Int? { frameCount }
    /// Seconds of audio.
    package var duration: Double { Double(frameCount) / Double(format.sampleRate) }

    /// Reads up to `frames` frames of raw file bytes into `buffer`; returns the frames read (0 at
    /// the end).
    package func read(frames: Int, into buffer: UnsafeMutableRawBufferPointer) throws(WAVError) -> Int {
        let wanted = min(frames, frameCount - position, buffer.count / format.bytesPerFrame)
        guard wanted > 0 else { return 0 }
        let bytes = wanted * format.bytesPerFrame
        let offset = dataOffset + Int64(position * format.bytesPerFrame)
        var done = 0
        while done < bytes {
            let got: Int
            do {
                got = try file.read(fromAbsoluteOffset: offset + Int64(done),
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<bytes]))
            } catch {
                throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
            }
            if got == 0 { throw .truncatedData(declared: UInt64(frameCount * format.bytesPerFrame), available: UInt64(position * format.bytesPerFrame + done)) }
            done += got
        }
        position += wanted
        return wanted
    }

    package func rewind() { position = 0 }

    // MARK: parsing

    struct Header {
        var format: WAVFormat
        var dataOffset: Int64
        /// Whole frames' worth of the data there is.
        var dataBytes: UInt64
        var truncation: WAVTruncation?
    }

    static func parse(_ file: FileDescriptor, path: String) throws(WAVError) -> Header {
        let length: Int64
        do {
            length = try file.seek(offset: 0, from: .end)
        } catch {
            throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
        }
        func bytes(_ offset: Int64, _ count: Int) throws(WAVError) -> [UInt8] {
            guard offset >= 0, offset + Int64(count) <= length else { throw .truncatedHeader }
            var result = [UInt8](repeating: 0, count: count)
            let got: Int
            do {
                got = try result.withUnsafeMutableBytes { try file.read(fromAbsoluteOffset: offset, into: $0) }
            } catch {
                throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
            }
            guard got == count else { throw .truncatedHeader }
            return result
        }
        let riff = try bytes(0, 12)
        guard riff[0..<4].elementsEqual("RIFF".utf8) else { throw .notRIFF }
        guard riff[8..<12].elementsEqual("WAVE".utf8) else { throw .notWAVE }

        var format: WAVFormat?
        var offset: Int64 = 12
        while offset + 8 <= length {
            let header = try bytes(offset, 8)
            let id = String(decoding: header[0..<4], as: UTF8.self)
            let size = UInt64(header.le32(4))
            let available = UInt64(length - offset - 8)
            if id == "data" {
                guard let format else { throw .missingFormatChunk }
                // Streams written live often leave the size unset (0 or 0xFFFFFFFF): the data runs to
                // the end of the file. A file that ends before its declared size is played as far as
                // it goes, as aplay plays it (and as a stream of it is read).
                let unset = size == 0 || size == 0xFFFF_FFFF
                let dataBytes = unset ? available : min(size, available)
                return Header(format: format, dataOffset: offset + 8, dataBytes: dataBytes - dataBytes % UInt64(format.bytesPerFrame),
                              truncation: WAVTruncation.of(declared: size, available: available, frameBytes: format.bytesPerFrame))
            }
            guard size <= available else { throw .chunkBeyondEnd(chunk: id, declared: size, available: available) }
            if id == "fmt " {
                format = try parseFormat(try bytes(offset + 8, Int(size)))
            }
            offset += 8 + Int64(size) + Int64(size & 1)  // chunks are padded to even sizes
        }
        throw format == nil ? .missingFormatChunk : .missingDataChunk
    }

    static func parseFormat(_ chunk: [UInt8]) throws(WAVError) -> WAVFormat {
        guard chunk.count >= 16 else { throw .malformedFormatChunk("\(chunk.count) bytes, at least 16 expected") }
        var tag = chunk.le16(0)
        let channels = Int(chunk.le16(2))
        let rate = Int(chunk.le32(4))
        let blockAlign = Int(chunk.le16(12))
        let bits = Int(chunk.le16(14))
        var validBits = bits
        var mask: UInt32 = 0
        if tag == 0xFFFE {
            guard chunk.count >= 40, chunk.le16(16) >= 22 else { throw .malformedFormatChunk("WAVE_FORMAT_EXTENSIBLE without its 22-byte extension") }
            validBits = Int(chunk.le16(18))
            mask = chunk.le32(20)
            // The subformat GUID: its first two bytes are the format tag, the rest is fixed.
            let guidTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
            guard Array(chunk[26..<40]) == guidTail else { throw .unsupportedEncoding(tag: 0xFFFE) }
            tag = chunk.le16(24)
            if validBits == 0 { validBits = bits }
        }
        let encoding: WAVFormat.Encoding
        switch tag {
        case 1: encoding = .integer
        case 3: encoding = .float
        default: throw .unsupportedEncoding(tag: tag)
        }
        guard (1...64).contains(channels) else { throw .malformedFormatChunk("\(channels) channels") }
        guard (1...768_000).contains(rate) else { throw .malformedFormatChunk("sample rate \(rate)") }
        let allowed = encoding == .float ? [32, 64] : [8, 16, 24, 32]
        guard allowed.contains(bits) else { throw .unsupportedBitDepth(bits: bits, encoding: encoding) }
        guard blockAlign == channels * bits / 8 else {
            throw .malformedFormatChunk("block align \(blockAlign) for \(channels) × \(bits)-bit samples")
        }
        guard validBits <= bits else { throw .malformedFormatChunk("\(validBits) valid bits in a \(bits)-bit container") }
        return WAVFormat(encoding: encoding, channelCount: channels, sampleRate: rate, containerBits: bits, validBits: validBits, channelMask: mask)
    }
}

extension Array where Element == UInt8 {
    func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func le32(_ at: Int) -> UInt32 { UInt32(le16(at)) | UInt32(le16(at + 2)) << 16 }
}
