import AlsaSwift
import AlsaSwiftFiles
import CAlsaKernel
import Foundation
import Testing
import AlsaTools

#if canImport(Glibc)
import Glibc
#endif

/// WAV through pipes, as `-` for standard input and output carries it: read in order without
/// knowing the length first, written with a header that cannot be patched later.
@Suite("WAV on pipes")
struct WAVStreamTests {
    /// A pipe already holding `bytes` (under the pipe's 64 KiB), its write end closed, open for
    /// reading as a `FileInput` through /dev/fd so the reader sees a pipe, not a file.
    static func pipeInput(_ bytes: [UInt8]) throws -> FileInput {
        var ends: [Int32] = [-1, -1]
        try #require(alsa_pipe_cloexec(&ends) == 0)
        defer { close(ends[0]) }
        try #require(bytes.withUnsafeBytes { Glibc.write(ends[1], $0.baseAddress, $0.count) } == bytes.count)
        close(ends[1])
        let input = try FileInput(path: "/dev/fd/\(ends[0])")
        #expect(!input.isSeekable)
        return input
    }

    static func readAll(_ source: any AudioSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let frames = try buffer.withUnsafeMutableBytes { try source.read(frames: 1000, into: $0) }
            if frames == 0 { return out }
            out += buffer[0..<frames * source.format.bytesPerFrame]
        }
    }

    @Test("a stream is read chunk by chunk: unknown and odd chunks skipped, the data to its declared size only")
    func declaredSize() throws {
        let list: (String, [UInt8]) = ("LIST", Array("INFOISFT\u{5}\0\0\0abcde".utf8))
        let data = WAVTests.bytes(count: 40, seed: 3)
        let bytes = WAVTests.file([list, ("fmt ", WAVTests.fmt()), ("data", data), ("junk", [1, 2, 3, 4])])
        let reader = try WAVStreamReader(input: try Self.pipeInput(bytes))
        #expect(reader.format == WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16))
        #expect(reader.totalFrames == 10)
        #expect(try Self.readAll(reader) == data, "the trailing chunk is not audio")
    }

    @Test("a data size left unset (0xFFFFFFFF or 0), or larger than what arrives, runs to the end of the stream",
          arguments: [UInt32.max, 0, 4_000])
    func openEnded(declared: UInt32) throws {
        let data = WAVTests.bytes(count: 42, seed: 4)  // 10 frames and a half
        let bytes = WAVTests.file([("fmt ", WAVTests.fmt()), ("data", data)], declared: ["data": declared])
        let reader = try WAVStreamReader(input: try Self.pipeInput(bytes))
        #expect(reader.truncation == nil, "known only at the end")
        #expect(try Self.readAll(reader) == Array(data[0..<40]), "whole frames, to the end")
        // A declared size the stream falls short of is a truncation, said; an unset one is not.
        #expect(reader.truncation == (declared == 4_000 ? WAVTruncation(declaredBytes: 4_000, availableBytes: 42) : nil))
    }

    @Test("defect: a truncated WAV was refused from a file but played from a pipe; now both read the same frames and say the same truncation",
          arguments: [4_000, 43, 42, 40, 8])
    func truncatedLikeAFile(declared: UInt32) throws {
        let data = WAVTests.bytes(count: 42, seed: 5)  // 10 frames and a half
        let bytes = WAVTests.file([("fmt ", WAVTests.fmt()), ("data", data)], declared: ["data": declared])
        let path = WAVTests.temporary("truncated")
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try WAVReader(path: path)
        let stream = try WAVStreamReader(input: try Self.pipeInput(bytes))
        let fromFile = try Self.readAll(file), fromStream = try Self.readAll(stream)
        #expect(fromFile == fromStream && fromFile.count == min(Int(declared), 42) / 4 * 4)
        #expect(file.truncation == stream.truncation)
        #expect((file.truncation != nil) == (declared > 43), "only whole frames missing make a truncation")
    }

    @Test("malformed streams get the file reader's errors; a huge fmt chunk is refused before it is read")
    func malformed() throws {
        let data = ("data", [UInt8](repeating: 0, count: 8))
        let cases: [([UInt8], WAVError)] = [
            (Array("not a wave file at all".utf8), .notRIFF),
            (WAVTests.file([], form: "AVI "), .notWAVE),
            (Array(WAVTests.file([("fmt ", WAVTests.fmt()), data]).prefix(10)), .truncatedHeader),
            (WAVTests.file([("fmt ", WAVTests.fmt()), data], declared: ["fmt ": 0xFFFF_FFF0]), .malformedFormatChunk("4294967280 bytes")),
            (WAVTests.file([data]), .missingFormatChunk),
            (WAVTests.file([("fmt ", WAVTests.fmt())]), .missingDataChunk),
            (WAVTests.file([("fmt ", WAVTests.fmt(tag: 0x55)), data]), .unsupportedEncoding(tag: 0x55)),
            (WAVTests.file([("fmt ", WAVTests.fmt()), ("LIST", [1, 2])], declared: ["LIST": 100]), .truncatedHeader),
        ]
        for (bytes, expected) in cases {
            #expect(throws: expected) { _ = try WAVStreamReader(input: try Self.pipeInput(bytes)) }
        }
    }

    @Test("on a pipe the writer's header comes first, with the expected size or the largest; the stream reads back",
          arguments: [Optional(1001), nil])
    func writerOnPipe(expected: Int?) throws {
        var ends: [Int32] = [-1, -1]
        try #require(alsa_pipe_cloexec(&ends) == 0)
        defer { close(ends[0]) }
        let format = WAVFormat(encoding: .integer, channelCount: 1, sampleRate: 8_000, containerBits: 8)
        let output = try FileOutput(path: "/dev/fd/\(ends[1])")
        close(ends[1])
        #expect(!output.isSeekable)
        let data = WAVTests.bytes(count: 1001, seed: 9)  // odd: the declared size needs a pad byte
        let writer = try WAVWriter(output: output, format: format, expectedFrames: expected)
        try data.withUnsafeBytes { try writer.append($0) }
        try writer.finish()
        var written = [UInt8](repeating: 0, count: 2048)
        let count = written.withUnsafeMutableBytes { Glibc.read(ends[0], $0.baseAddress, $0.count) }
        written = Array(written[0..<max(count, 0)])
        let size: [UInt8] = expected == nil ? [0xFF, 0xFF, 0xFF, 0xFF] : [0xE9, 0x03, 0, 0]
        #expect(Array(written[40..<44]) == size)
        #expect(written.count == 44 + 1001 + (expected == nil ? 0 : 1))
        let reader = try WAVStreamReader(input: try Self.pipeInput(written))
        #expect(reader.totalFrames == expected)
        #expect(try Self.readAll(reader) == data)
    }
}
