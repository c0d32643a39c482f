import AlsaSwift
import SystemPackage

/// Reads a WAV file: its header when it opens, then its frames in chunks into the caller's buffer,
/// straight from the file (the file is never held in memory). Every size the file declares is
/// checked against the file's real length before it is believed, and every `fmt ` field is
/// range-checked: a malformed file is refused with a `WAVError` naming what is wrong.
///
/// ```swift
/// let file = try WAVReader(path: "take.wav")
/// print("\(file.format), \(file.duration)")
/// var samples = [Float](repeating: 0, count: 4_096 * file.format.channelCount)
/// while try samples.withUnsafeMutableBufferPointer({ try file.read(into: $0) }) > 0 {
///     // the frames read are at the start of `samples`, interleaved
/// }
/// ```
///
/// PCM of 8, 16, 24 and 32 bits, IEEE float of 32 and 64 bits, and WAVE_FORMAT_EXTENSIBLE with
/// either are read. The file is closed when the reader is released.
public final class WAVReader: CustomStringConvertible {
    /// The path the reader was opened on (`stdin` for standard input).
    public let path: String
    /// The layout of the file's samples.
    public let format: WAVFormat
    /// Frames in the data chunk: those there are, when the file ends before its declared length.
    public let frameCount: Int
    /// How the data falls short of its declared length; nil for a whole file.
    public let truncation: WAVTruncation?
    private let input: FileInput
    private var file: FileDescriptor { input.descriptor }
    private let dataOffset: Int64
    /// The file's samples for a Float read, allocated at the first one.
    private var scratch: UnsafeMutableRawBufferPointer?
    /// Frames read so far: the next read starts here.
    public private(set) var position = 0

    /// Opens the WAV file at `path` and reads its header.
    public convenience init(path: String) throws(WAVError) {
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

    deinit { scratch?.deallocate() }

    /// How long the frames play at the file's rate.
    public var duration: Duration { AudioTiming.duration(ofFrames: frameCount, sampleRate: format.sampleRate) }

    /// Reads up to `frames` frames of the file's own samples (`format.sampleFormat`, interleaved)
    /// into `buffer`, as many as fit; returns the frames read, 0 at the end of the data.
    public func read(frames: Int, into buffer: UnsafeMutableRawBufferPointer) throws(WAVError) -> Int {
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
                throw .io("read", path, error)
            }
            if got == 0 {
                throw .truncatedData(declared: frameCount * format.bytesPerFrame, available: position * format.bytesPerFrame + done)
            }
            done += got
        }
        position += wanted
        return wanted
    }

    /// Reads as many whole frames as `samples` holds, as interleaved Float samples in [-1, 1)
    /// (float files as they are); returns the frames read, 0 at the end of the data.
    public func read(into samples: UnsafeMutableBufferPointer<Float>) throws(WAVError) -> Int {
        let scratch = self.scratch ?? Self.allocateScratch(for: format)
        self.scratch = scratch
        var frames = 0
        let wanted = samples.count / format.channelCount
        while frames < wanted {
            let got = try read(frames: wanted - frames, into: scratch)
            guard got > 0 else { break }
            let first = frames * format.channelCount, count = got * format.channelCount
            // Both sizes are whole frames of formats SampleConversion has: it cannot throw here.
            try? SampleConversion.decode(UnsafeRawBufferPointer(rebasing: scratch[0..<got * format.bytesPerFrame]), as: format.sampleFormat,
                                         into: UnsafeMutableBufferPointer(rebasing: samples[first..<first + count]))
            frames += got
        }
        return frames
    }

    /// Goes back to the first frame.
    public func rewind() { position = 0 }

    /// "take.wav: 16-bit signed, 2 channels, 48000 Hz, 48000 frames (1.0 seconds)", and the
    /// truncation if there is one.
    public var description: String {
        "\(path): \(format), \(frameCount) frames (\(duration))" + (truncation.map { ", truncated: \($0)" } ?? "")
    }

    /// A Float read's room for the file's samples: 64 KiB, at least one frame.
    static func allocateScratch(for format: WAVFormat) -> UnsafeMutableRawBufferPointer {
        let frames = max(1, 65_536 / format.bytesPerFrame)
        return .allocate(byteCount: frames * format.bytesPerFrame, alignment: 16)
    }

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
            throw .io("seek", path, error)
        }
        func bytes(_ offset: Int64, _ count: Int) throws(WAVError) -> [UInt8] {
            guard offset >= 0, offset + Int64(count) <= length else { throw .truncatedHeader }
            var result = [UInt8](repeating: 0, count: count)
            let got: Int
            do {
                got = try result.withUnsafeMutableBytes { try file.read(fromAbsoluteOffset: offset, into: $0) }
            } catch {
                throw .io("read", path, error)
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
            guard size <= available else { throw .chunkBeyondEnd(chunk: id, declared: Int(size), available: Int(available)) }
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
