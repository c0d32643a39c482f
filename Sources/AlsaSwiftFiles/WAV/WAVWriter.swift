import AlsaSwift
import SystemPackage

/// Writes a WAV file as frames arrive: create it with a format, append frames, then `finish()`.
///
/// ```swift
/// let format = WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16)
/// let file = try WAVWriter(path: "take.wav", format: format)
/// let silence = [Float](repeating: 0, count: 480 * format.channelCount)
/// try silence.withUnsafeBufferPointer { try file.append($0) }
/// try file.finish()
/// ```
///
/// The header's sizes are patched every `patchInterval` and at `finish()`, so a recording that is
/// interrupted, even killed, leaves a valid file holding every frame written before the last patch
/// (and `finish()` covers all of them). A writer released without `finish()` finishes then, its
/// errors unseen: call `finish()` to see them.
///
/// An output that can only be written in order (a pipe, `-` for standard output) gets its header
/// once, first, as arecord writes it: with the size of `expectedFrames` when the length is known,
/// else the largest sizes (0xFFFFFFFF, "until the end", which WAV readers and this library's
/// `WAVReader` read to the end of the data).
public final class WAVWriter: CustomStringConvertible {
    /// The path written to (`stdout` for standard output).
    public let path: String
    /// The layout of the samples written.
    public let format: WAVFormat
    /// Whole frames appended so far.
    public private(set) var framesWritten = 0
    private let output: FileOutput
    private let headerBytes: Int
    private let patchFrames: Int
    private let expectedFrames: Int?
    private var framesAtLastPatch = 0
    private var finished = false
    /// The file's samples for a Float append, allocated at the first one.
    private var scratch: UnsafeMutableRawBufferPointer?

    /// The data size a header written before the length is known declares: "until the end".
    static let unknownDataBytes = UInt64(UInt32.max)

    /// Creates (or truncates) the WAV file at `path` for samples of `format`; its sizes are
    /// patched every `patchInterval` of audio (one second unless given) and at `finish()`.
    /// Refuses, leaving no file, a format a WAV header cannot describe (`WAVError.unrepresentable`).
    public convenience init(path: String, format: WAVFormat, patchInterval: Duration = .seconds(1)) throws(WAVError) {
        // Refused before the file is created: a layout no header describes leaves no file behind.
        if let why = format.headerLimitViolation { throw .unrepresentable(why) }
        try self.init(output: try FileOutput(path: path), format: format, expectedFrames: nil, patchInterval: patchInterval)
    }

    /// A WAV file on `output`; `expectedFrames` is what a header written once declares (the output
    /// cannot be patched), nil when the length is not known.
    package init(output: FileOutput, format: WAVFormat, expectedFrames: Int?, patchInterval: Duration = .seconds(1)) throws(WAVError) {
        if let why = format.headerLimitViolation { throw .unrepresentable(why) }
        if let expectedFrames, expectedFrames > format.maximumFrames { throw .tooLarge(maximumFrames: format.maximumFrames) }
        self.path = output.name
        self.format = format
        self.output = output
        // Zero or negative: patched at every append.
        self.patchFrames = max(AudioTiming.frames(in: patchInterval, sampleRate: format.sampleRate), 0)
        self.expectedFrames = expectedFrames
        let declared = output.isSeekable ? 0 : expectedFrames.map { UInt64($0 * format.bytesPerFrame) } ?? Self.unknownDataBytes
        let header = Self.header(format, dataBytes: declared)
        headerBytes = header.count
        do {
            try output.write(header, at: output.isSeekable ? 0 : nil)
        } catch {
            output.close()
            throw error
        }
    }

    deinit {
        try? finish()
        scratch?.deallocate()
    }

    /// Appends whole frames of the file's own samples (`format.sampleFormat`, interleaved); a
    /// trailing partial frame is not written.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError) {
        let frames = bytes.count / format.bytesPerFrame
        guard frames > 0 else { return }
        // Past 4 GiB the header's sizes would wrap and describe a different, shorter file.
        guard frames <= format.maximumFrames - framesWritten else { throw .tooLarge(maximumFrames: format.maximumFrames) }
        let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<frames * format.bytesPerFrame])
        try output.write(whole, at: output.isSeekable ? Int64(headerBytes + framesWritten * format.bytesPerFrame) : nil)
        framesWritten += frames
        if output.isSeekable && framesWritten - framesAtLastPatch >= patchFrames { try patchSizes() }
    }

    /// Appends whole frames of interleaved Float samples, full scale [-1, 1), encoded in the file's
    /// format (integers rounded and clipped); a trailing partial frame is not written.
    public func append(_ samples: UnsafeBufferPointer<Float>) throws(WAVError) {
        let scratch = self.scratch ?? WAVReader.allocateScratch(for: format)
        self.scratch = scratch
        let frames = samples.count / format.channelCount
        guard frames <= format.maximumFrames - framesWritten else { throw .tooLarge(maximumFrames: format.maximumFrames) }
        let chunkFrames = scratch.count / format.bytesPerFrame
        var done = 0
        while done < frames {
            let count = min(chunkFrames, frames - done)
            let first = done * format.channelCount
            let bytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count * format.bytesPerFrame])
            // Whole frames of a format SampleConversion has, into room for them: it cannot throw.
            try? SampleConversion.encode(UnsafeBufferPointer(rebasing: samples[first..<first + count * format.channelCount]),
                                         as: format.sampleFormat, into: bytes)
            try append(UnsafeRawBufferPointer(bytes))
            done += count
        }
    }

    /// Patches the sizes (on an output that can be patched) and closes the file. Safe to call twice.
    public func finish() throws(WAVError) {
        guard !finished else { return }
        finished = true
        defer { output.close() }
        if output.isSeekable {
            try patchSizes()
        } else if framesWritten == expectedFrames, (framesWritten * format.bytesPerFrame) & 1 == 1 {
            try output.write([0])  // the pad byte the declared odd size calls for
        }
    }

    /// "take.wav: 16-bit signed, 2 channels, 48000 Hz, 4800 frames written".
    public var description: String { "\(path): \(format), \(framesWritten) frames written" }

    private func patchSizes() throws(WAVError) {
        let data = UInt64(framesWritten * format.bytesPerFrame)
        try output.write(Self.header(format, dataBytes: data), at: 0)
        if data & 1 == 1 { try output.write([0], at: Int64(headerBytes) + Int64(data)) }  // pad byte
        framesAtLastPatch = framesWritten
    }

    /// RIFF header, `fmt ` chunk (EXTENSIBLE above two channels or 16 bits, as Microsoft asks) and
    /// the `data` chunk header.
    static func header(_ format: WAVFormat, dataBytes: UInt64) -> [UInt8] {
        let extensible = format.channelCount > 2 || format.containerBits > 16 || format.validBits != format.containerBits
        var fmt: [UInt8] = []
        let tag: UInt16 = format.encoding == .float ? 3 : 1
        fmt.appendLE16(extensible ? 0xFFFE : tag)
        fmt.appendLE16(UInt16(format.channelCount))
        fmt.appendLE32(UInt32(format.sampleRate))
        fmt.appendLE32(UInt32(format.sampleRate * format.bytesPerFrame))
        fmt.appendLE16(UInt16(format.bytesPerFrame))
        fmt.appendLE16(UInt16(format.containerBits))
        if extensible {
            fmt.appendLE16(22)
            fmt.appendLE16(UInt16(format.validBits))
            fmt.appendLE32(format.channelMask)
            fmt.appendLE16(tag)
            fmt += [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        }
        let dataSize = UInt32(clamping: dataBytes)
        var header: [UInt8] = Array("RIFF".utf8)
        header.appendLE32(UInt32(clamping: 4 + 8 + UInt64(fmt.count) + 8 + UInt64(dataSize) + (UInt64(dataSize) & 1)))
        header += Array("WAVE".utf8) + Array("fmt ".utf8)
        header.appendLE32(UInt32(fmt.count))
        header += fmt + Array("data".utf8)
        header.appendLE32(dataSize)
        return header
    }
}
