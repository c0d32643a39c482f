import SystemPackage

/// Writes a WAV file as frames arrive. The header's sizes are patched every `patchInterval`
/// frames and at `finish`, so a recording that is interrupted, even killed, leaves a valid file
/// holding every frame written before the last patch (and `finish` covers all of them).
public final class WAVWriter {
    public let path: String
    public let format: WAVFormat
    public private(set) var framesWritten = 0
    private let file: FileDescriptor
    private let headerBytes: Int
    private let patchInterval: Int
    private var framesAtLastPatch = 0
    private var finished = false

    public init(path: String, format: WAVFormat, patchInterval: Int? = nil) throws(WAVError) {
        if let why = format.headerLimitViolation { throw .unrepresentable(why) }
        self.path = path
        self.format = format
        self.patchInterval = patchInterval ?? format.sampleRate
        do {
            file = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                           permissions: [.ownerReadWrite, .groupRead, .otherRead],
                                           // Not retried on EINTR: the open of a FIFO with no reader
                                           // blocks, and Ctrl-C must end it.
                                           retryOnInterrupt: false)
        } catch {
            throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
        }
        let header = Self.header(format, dataBytes: 0)
        headerBytes = header.count
        do {
            try write(header, at: 0)
        } catch {
            try? file.close()
            throw error
        }
    }

    deinit { try? finish() }

    /// Appends whole frames of raw samples in `format`.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError) {
        let frames = bytes.count / format.bytesPerFrame
        guard frames > 0 else { return }
        // Past 4 GiB the header's sizes would wrap and describe a different, shorter file.
        guard frames <= format.maximumFrames - framesWritten else { throw .tooLarge(maximumFrames: format.maximumFrames) }
        let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<frames * format.bytesPerFrame])
        do {
            _ = try file.writeAll(toAbsoluteOffset: Int64(headerBytes + framesWritten * format.bytesPerFrame), whole)
        } catch {
            throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
        }
        framesWritten += frames
        if framesWritten - framesAtLastPatch >= patchInterval { try patchSizes() }
    }

    /// Patches the sizes and closes the file. Safe to call twice.
    public func finish() throws(WAVError) {
        guard !finished else { return }
        finished = true
        defer { try? file.close() }
        try patchSizes()
    }

    private func patchSizes() throws(WAVError) {
        let data = UInt64(framesWritten * format.bytesPerFrame)
        try write(Self.header(format, dataBytes: data), at: 0)
        if data & 1 == 1 { try write([0], at: Int64(headerBytes) + Int64(data)) }  // pad byte
        framesAtLastPatch = framesWritten
    }

    private func write(_ bytes: [UInt8], at offset: Int64) throws(WAVError) {
        do {
            _ = try bytes.withUnsafeBytes { try file.writeAll(toAbsoluteOffset: offset, $0) }
        } catch {
            throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
        }
    }

    /// RIFF header, `fmt ` chunk (EXTENSIBLE above two channels or 16 bits, as Microsoft asks) and
    /// the `data` chunk header.
    static func header(_ format: WAVFormat, dataBytes: UInt64) -> [UInt8] {
        let extensible = format.channels > 2 || format.containerBits > 16 || format.validBits != format.containerBits
        var fmt: [UInt8] = []
        let tag: UInt16 = format.encoding == .float ? 3 : 1
        fmt.appendLE16(extensible ? 0xFFFE : tag)
        fmt.appendLE16(UInt16(format.channels))
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
