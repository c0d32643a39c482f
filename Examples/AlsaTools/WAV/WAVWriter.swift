import SystemPackage

/// Writes a WAV file as frames arrive. The header's sizes are patched every `patchInterval`
/// frames and at `finish`, so a recording that is interrupted, even killed, leaves a valid file
/// holding every frame written before the last patch (and `finish` covers all of them).
///
/// An output that can only be written in order (a pipe, `-` for standard output) gets its header
/// once, first, as arecord writes it: with the size of `expectedFrames` when the length is known,
/// else the largest sizes (0xFFFFFFFF, "until the end", which WAV readers and this library's
/// `WAVReader` read to the end of the data).
package final class WAVWriter: AudioSink {
    package let path: String
    package let format: WAVFormat
    package private(set) var framesWritten = 0
    private let output: FileOutput
    private let headerBytes: Int
    private let patchInterval: Int
    private let expectedFrames: Int?
    private var framesAtLastPatch = 0
    private var finished = false

    /// The data size a header written before the length is known declares: "until the end".
    static let unknownDataBytes = UInt64(UInt32.max)

    package convenience init(path: String, format: WAVFormat, patchInterval: Int? = nil) throws(WAVError) {
        // Refused before the file is created: a layout no header describes leaves no file behind.
        if let why = format.headerLimitViolation { throw .unrepresentable(why) }
        try self.init(output: try FileOutput(path: path), format: format, expectedFrames: nil, patchInterval: patchInterval)
    }

    /// A WAV file on `output`; `expectedFrames` is what a header written once declares (the output
    /// cannot be patched), nil when the length is not known.
    package init(output: FileOutput, format: WAVFormat, expectedFrames: Int?, patchInterval: Int? = nil) throws(WAVError) {
        if let why = format.headerLimitViolation { throw .unrepresentable(why) }
        if let expectedFrames, expectedFrames > format.maximumFrames { throw .tooLarge(maximumFrames: format.maximumFrames) }
        self.path = output.name
        self.format = format
        self.output = output
        self.patchInterval = patchInterval ?? format.sampleRate
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

    deinit { try? finish() }

    /// Appends whole frames of raw samples in `format`.
    package func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError) {
        let frames = bytes.count / format.bytesPerFrame
        guard frames > 0 else { return }
        // Past 4 GiB the header's sizes would wrap and describe a different, shorter file.
        guard frames <= format.maximumFrames - framesWritten else { throw .tooLarge(maximumFrames: format.maximumFrames) }
        let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<frames * format.bytesPerFrame])
        try output.write(whole, at: output.isSeekable ? Int64(headerBytes + framesWritten * format.bytesPerFrame) : nil)
        framesWritten += frames
        if output.isSeekable && framesWritten - framesAtLastPatch >= patchInterval { try patchSizes() }
    }

    /// Patches the sizes (on an output that can be patched) and closes the file. Safe to call twice.
    package func finish() throws(WAVError) {
        guard !finished else { return }
        finished = true
        defer { output.close() }
        if output.isSeekable {
            try patchSizes()
        } else if framesWritten == expectedFrames, (framesWritten * format.bytesPerFrame) & 1 == 1 {
            try output.write([0])  // the pad byte the declared odd size calls for
        }
    }

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

extension Array where Element == UInt8 {
    mutating func appendLE16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func appendLE32(_ value: UInt32) { appendLE16(UInt16(value & 0xFFFF)); appendLE16(UInt16(value >> 16)) }
}
