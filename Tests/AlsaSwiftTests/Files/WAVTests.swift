import AlsaSwift
import AlsaSwiftFiles
import Foundation
import Testing

/// AlsaSwiftFiles' WAV reader and writer, through their public API.
@Suite("WAV files")
struct WAVTests {
    static func temporary(_ name: String = "t") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("alsaswift-\(name)-\(UUID()).wav").path
    }

    static func bytes(count: Int, seed: Int = 1) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761 &+ seed) >> 7) } }

    static func readAll(_ reader: WAVReader) throws -> [UInt8] {
        var data = [UInt8](repeating: 0, count: reader.frameCount * reader.format.bytesPerFrame)
        var offset = 0
        try data.withUnsafeMutableBytes { buffer in
            while true {
                let frames = try reader.read(frames: 1000, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
                if frames == 0 { break }
                offset += frames * reader.format.bytesPerFrame
            }
        }
        return data
    }

    static let layouts: [WAVFormat] = [
        WAVFormat(encoding: .integer, channelCount: 1, sampleRate: 8_000, containerBits: 8),
        WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 44_100, containerBits: 16),
        WAVFormat(encoding: .integer, channelCount: 6, sampleRate: 48_000, containerBits: 24, channelMask: 0x3F),
        WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 96_000, containerBits: 24, validBits: 20),
        WAVFormat(encoding: .integer, channelCount: 4, sampleRate: 48_000, containerBits: 32),
        WAVFormat(encoding: .float, channelCount: 2, sampleRate: 48_000, containerBits: 32),
        WAVFormat(encoding: .float, channelCount: 1, sampleRate: 22_050, containerBits: 64),
    ]

    @Test("every layout round-trips through the writer and the reader", arguments: layouts)
    func roundTrip(format: WAVFormat) throws {
        let path = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = Self.bytes(count: 1001 * format.bytesPerFrame)  // odd frame counts exercise the pad byte
        let writer = try WAVWriter(path: path, format: format)
        try data.withUnsafeBytes { try writer.append($0) }
        try writer.finish()
        let reader = try WAVReader(path: path)
        #expect(reader.format == format)
        #expect(reader.frameCount == 1001)
        #expect(try Self.readAll(reader) == data)
    }

    /// A hand-built file: RIFF header, then the given chunks.
    static func file(_ chunks: [(String, [UInt8])], riff: String = "RIFF", form: String = "WAVE", declared: [String: UInt32] = [:]) -> [UInt8] {
        var body: [UInt8] = Array(form.utf8)
        for (id, payload) in chunks {
            body += Array(id.utf8)
            body.appendLE32(declared[id] ?? UInt32(payload.count))
            body += payload
            if payload.count % 2 == 1 { body.append(0) }
        }
        var out: [UInt8] = Array(riff.utf8)
        out.appendLE32(UInt32(body.count))
        return out + body
    }

    static func fmt(tag: UInt16 = 1, channelCount: UInt16 = 2, sampleRate: UInt32 = 48_000, bits: UInt16 = 16, blockAlign: UInt16? = nil) -> [UInt8] {
        var f: [UInt8] = []
        f.appendLE16(tag)
        f.appendLE16(channelCount)
        f.appendLE32(sampleRate)
        f.appendLE32(sampleRate * UInt32(channelCount) * UInt32(bits) / 8)
        f.appendLE16(blockAlign ?? channelCount * bits / 8)
        f.appendLE16(bits)
        return f
    }

    func parse(_ bytes: [UInt8]) throws(WAVError) -> WAVReader {
        let path = Self.temporary("m")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try WAVReader(path: path)
    }

    @Test("unknown chunks are skipped, odd chunks padded, an unset data size runs to the end")
    func tolerated() throws {
        let list: (String, [UInt8]) = ("LIST", Array("INFOISFT\u{5}\0\0\0abcde".utf8))
        let reader = try parse(Self.file([("fmt ", Self.fmt()), list, ("data", [UInt8](repeating: 7, count: 40))]))
        #expect(reader.frameCount == 10)
        let streamed = try parse(Self.file([("fmt ", Self.fmt()), ("data", [UInt8](repeating: 1, count: 16))], declared: ["data": 0xFFFF_FFFF]))
        #expect(streamed.frameCount == 4)
    }

    @Test("each malformed input gets its own error")
    func malformed() throws {
        let data = ("data", [UInt8](repeating: 0, count: 8))
        let cases: [([UInt8], WAVError)] = [
            (Array("not a wave file at all".utf8), .notRIFF),
            (Self.file([], form: "AVI "), .notWAVE),
            (Array(Self.file([("fmt ", Self.fmt()), data]).prefix(10)), .truncatedHeader),
            (Self.file([("fmt ", Self.fmt()), data], declared: ["fmt ": 0xFFFF_FFF0]),
             .chunkBeyondEnd(chunk: "fmt ", declared: 0xFFFF_FFF0, available: 16 + 8 + 8)),
            (Self.file([("fmt ", Self.fmt(tag: 0x55)), data]), .unsupportedEncoding(tag: 0x55)),
            (Self.file([("fmt ", Self.fmt(bits: 12, blockAlign: 4)), data]), .unsupportedBitDepth(bits: 12, encoding: .integer)),
            (Self.file([("fmt ", Self.fmt(tag: 3, bits: 16)), data]), .unsupportedBitDepth(bits: 16, encoding: .float)),
            (Self.file([data]), .missingFormatChunk),
            (Self.file([("fmt ", Self.fmt())]), .missingDataChunk),
            (Self.file([("fmt ", Self.fmt(blockAlign: 3)), data]), .malformedFormatChunk("block align 3 for 2 × 16-bit samples")),
            (Self.file([("fmt ", Array(Self.fmt().prefix(12))), data]), .malformedFormatChunk("12 bytes, at least 16 expected")),
            (Self.file([("fmt ", Self.fmt(channelCount: 0, blockAlign: 0)), data]), .malformedFormatChunk("0 channels")),
            (Self.file([("fmt ", Self.fmt(channelCount: 65, blockAlign: 130)), data]), .malformedFormatChunk("65 channels")),
            (Self.file([("fmt ", Self.fmt(sampleRate: 0)), data]), .malformedFormatChunk("sample rate 0")),
            (Self.file([("fmt ", Self.fmt(sampleRate: 768_001)), data]), .malformedFormatChunk("sample rate 768001")),
            (Self.file([("fmt ", Self.fmt(channelCount: 2, bits: 32, blockAlign: 4)), data]),
             .malformedFormatChunk("block align 4 for 2 × 32-bit samples")),
            (Self.file([("fmt ", Self.fmt(tag: 0xFFFE)), data]), .malformedFormatChunk("WAVE_FORMAT_EXTENSIBLE without its 22-byte extension")),
        ]
        for (bytes, expected) in cases {
            #expect(throws: expected) { try parse(bytes) }
        }
        #expect(throws: WAVError.io(operation: "open", path: "/nonexistent/x.wav", errno: .noSuchFileOrDirectory)) {
            try WAVReader(path: "/nonexistent/x.wav")
        }
    }

    @Test("an error's kind is what an app switches on; the sentence and the I/O fields say the rest")
    func errorKinds() throws {
        let kinds: [(WAVError, WAVError.Kind)] = [
            (.notRIFF, .notWAV), (.notWAVE, .notWAV),
            (.truncatedHeader, .malformed), (.missingFormatChunk, .malformed), (.missingDataChunk, .malformed),
            (.chunkBeyondEnd(chunk: "data", declared: 9, available: 8), .malformed), (.malformedFormatChunk("0 channels"), .malformed),
            (.truncatedData(declared: 9, available: 8), .malformed),
            (.unsupportedEncoding(tag: 0x55), .unsupported), (.unsupportedBitDepth(bits: 12, encoding: .integer), .unsupported),
            (.io(operation: "read", path: "x.wav", errno: .ioError), .io),
            (.unrepresentable("65 channels"), .unrepresentable), (.tooLarge(maximumFrames: 7), .unrepresentable),
        ]
        for (error, kind) in kinds {
            #expect(error.kind == kind, "\(error)")
            #expect((error.operation != nil) == (kind == .io) && (error.path != nil) == (kind == .io) && (error.errno != nil) == (kind == .io))
        }
        #expect(Set(kinds.map(\.1)) == Set(WAVError.Kind.allCases))
        let opened = #expect(throws: WAVError.self) { try WAVReader(path: "/nonexistent/x.wav") }
        #expect(opened?.kind == .io && opened?.operation == "open" && opened?.path == "/nonexistent/x.wav" && opened?.errno == .noSuchFileOrDirectory)
        #expect("\(try #require(opened))" == "/nonexistent/x.wav: open failed: No such file or directory")
        let refused = #expect(throws: WAVError.self) { try parse(Array("not a wave file at all".utf8)) }
        #expect(refused?.kind == .notWAV && refused?.description == "not a WAV file: no RIFF header")
        // Errors of one kind are told apart by what they say.
        #expect(WAVError.malformedFormatChunk("0 channels") != .malformedFormatChunk("65 channels"))
    }

    @Test("defect: a file that ends before its data chunk's declared size was refused; now its frames are read and the truncation said")
    func truncatedFile() throws {
        let data = Self.bytes(count: 42, seed: 6)  // 10 frames and half of one
        let reader = try parse(Self.file([("fmt ", Self.fmt()), ("data", data)], declared: ["data": 4000]))
        #expect(reader.frameCount == 10 && reader.totalFrames == 10)
        #expect(reader.truncation == WAVTruncation(declaredBytes: 4000, availableBytes: 42))
        #expect(reader.truncation?.description == "the data chunk declares 4000 bytes but holds 42")
        #expect(try Self.readAll(reader) == Array(data[0..<40]))
        // Short only by a partial frame, or of a size left unset: nothing that plays is missing.
        #expect(try parse(Self.file([("fmt ", Self.fmt()), ("data", data)], declared: ["data": 43])).truncation == nil)
        #expect(try parse(Self.file([("fmt ", Self.fmt()), ("data", data)], declared: ["data": 0xFFFF_FFFF])).truncation == nil)
    }

    @Test("EXTENSIBLE with a float subformat is read; an unknown subformat is refused")
    func extensible() throws {
        var ext = Self.fmt(tag: 0xFFFE, bits: 32)
        ext.appendLE16(22)
        ext.appendLE16(32)
        ext.appendLE32(3)
        ext.appendLE16(3)
        ext += [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        let reader = try parse(Self.file([("fmt ", ext), ("data", [UInt8](repeating: 0, count: 16))]))
        #expect(reader.format.encoding == .float && reader.format.channelMask == 3 && reader.format.sampleFormat == .floatLE)
        ext[ext.count - 1] = 0
        #expect(throws: WAVError.unsupportedEncoding(tag: 0xFFFE)) { try parse(Self.file([("fmt ", ext), ("data", [UInt8](repeating: 0, count: 16))])) }
    }

    @Test("a writer that is never finished still leaves a valid file up to its last patch")
    func interruptedWriter() throws {
        let path = Self.temporary("w")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let format = WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 1000, containerBits: 16)
        let data = Self.bytes(count: 2500 * 4)
        var writer: WAVWriter? = try WAVWriter(path: path, format: format, patchInterval: .seconds(1))
        for chunk in 0..<5 {
            try data.withUnsafeBytes { try writer!.append(UnsafeRawBufferPointer(rebasing: $0[(chunk * 2000)..<((chunk + 1) * 2000)])) }
        }
        // As if the process were killed now: read the file without finishing the writer.
        let reader = try WAVReader(path: path)
        #expect(reader.frameCount == 2000)
        #expect(try Self.readAll(reader) == Array(data[0..<(2000 * 4)]))
        writer = nil  // deinit finishes
        #expect(try WAVReader(path: path).frameCount == 2500)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` as two little-endian bytes, as a RIFF header stores it.
    mutating func appendLE16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    /// Appends `value` as four little-endian bytes.
    mutating func appendLE32(_ value: UInt32) { appendLE16(UInt16(value & 0xFFFF)); appendLE16(UInt16(value >> 16)) }
}

extension WAVFormat: CustomTestStringConvertible {
    public var testDescription: String { description }
}
