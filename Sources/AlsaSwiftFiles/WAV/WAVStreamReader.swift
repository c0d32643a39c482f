/// Reads a WAV stream in order, from a pipe or standard input (`cat x.wav | alsa-play -`): the
/// header chunk by chunk, then the data to its declared size or to the end of the stream.
///
/// A stream cannot be measured first, so sizes are believed as far as they are bounded: the `fmt `
/// chunk is read only when it is small (a real one is at most 40 bytes), other chunks are skipped
/// without being held, and a data size written before the length was known (0 or 0xFFFFFFFF)
/// ends where the stream ends. A stream that ends before a declared size is played as far as it
/// goes, its `truncation` said, as a file of the same bytes is.
package final class WAVStreamReader {
    /// The layout the `fmt ` chunk describes.
    package let format: WAVFormat
    /// The frames the data chunk declares; nil when it leaves the length to the end of the stream.
    package let totalFrames: Int?
    private let input: FileInput
    /// Data bytes still to read, nil until the end of the stream.
    private var remainingBytes: UInt64?
    /// The size the data chunk declares (0 or 0xFFFFFFFF: until the end).
    private let declaredBytes: UInt64
    /// Data bytes read so far, a partial last frame included.
    private var deliveredBytes: UInt64 = 0
    /// How the data fell short of its declared size, once the stream ended early.
    package private(set) var truncation: WAVTruncation?

    /// The largest `fmt ` chunk read: WAVE_FORMAT_EXTENSIBLE's is 40 bytes.
    static let largestFormatChunk: UInt64 = 1024

    /// The path, or `stdin`.
    package var name: String { input.name }

    /// Reads the header from `input`, up to the start of the data.
    package init(input: FileInput) throws(WAVError) {
        self.input = input
        let riff = try input.read(12, orThrow: .truncatedHeader)
        guard riff[0..<4].elementsEqual("RIFF".utf8) else { throw .notRIFF }
        guard riff[8..<12].elementsEqual("WAVE".utf8) else { throw .notWAVE }
        var format: WAVFormat?
        while true {
            let header: [UInt8]
            do {
                header = try input.read(8, orThrow: .truncatedHeader)
            } catch .truncatedHeader {
                throw format == nil ? .missingFormatChunk : .missingDataChunk
            }
            let id = String(decoding: header[0..<4], as: UTF8.self)
            let size = UInt64(header.le32(4))
            if id == "data" {
                guard let format else { throw .missingFormatChunk }
                let unset = size == 0 || size == UInt64(UInt32.max)
                self.format = format
                declaredBytes = size
                remainingBytes = unset ? nil : size - size % UInt64(format.bytesPerFrame)
                totalFrames = unset ? nil : Int(size / UInt64(format.bytesPerFrame))
                return
            }
            let padded = size + (size & 1)  // chunks are padded to even sizes
            if id == "fmt " {
                guard size <= Self.largestFormatChunk else { throw .malformedFormatChunk("\(size) bytes") }
                let body = try input.read(Int(padded), orThrow: .truncatedHeader)
                format = try WAVReader.parseFormat(Array(body[0..<Int(size)]))
            } else {
                try input.skip(padded, orThrow: .truncatedHeader)
            }
        }
    }

    /// Reads up to `frames` whole frames of the data; 0 at its end or the stream's.
    package func read(frames: Int, into buffer: UnsafeMutableRawBufferPointer) throws(WAVError) -> Int {
        var wanted = min(frames, buffer.count / format.bytesPerFrame)
        if let remainingBytes { wanted = min(wanted, Int(remainingBytes / UInt64(format.bytesPerFrame))) }
        guard wanted > 0 else { return 0 }
        let bytes = try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted * format.bytesPerFrame]))
        let got = bytes / format.bytesPerFrame
        deliveredBytes += UInt64(bytes)
        if got < wanted {
            // The stream ended: the data ends here, short of a declared size (a truncated file,
            // or a placeholder a live writer could not patch), which is said as for a file.
            remainingBytes = 0
            truncation = WAVTruncation.of(declared: declaredBytes, available: deliveredBytes, frameBytes: format.bytesPerFrame)
        } else {
            remainingBytes = remainingBytes.map { $0 - UInt64(got * format.bytesPerFrame) }
        }
        return got
    }
}
