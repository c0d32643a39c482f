import AlsaSwift
import AlsaSwiftFiles
import Foundation
import Testing

/// What an app uses most: frames as Float in and out of a WAV file, its length as a `Duration`, and
/// values and errors that print readably.
@Suite("WAV files as Float")
struct WAVFloatTests {
    /// Interleaved samples spread over [-0.99, 0.99], below the top code of every format (U8 clips at
    /// 127/128), different in every channel.
    static func signal(frames: Int, channelCount: Int) -> [Float] {
        (0..<frames * channelCount).map { Float(($0 &* 7_919) % 2_001 - 1_000) / 1_010 }
    }

    /// The most a sample of `format` may differ from the Float written: half a step of its integer
    /// code (the step of a 32-bit integer is below Float's own precision), nothing for float files.
    static func tolerance(_ format: WAVFormat) -> Float {
        format.encoding == .float ? 0 : format.containerBits <= 24 ? 0.5 / Float(1 << (format.containerBits - 1)) : 1e-7
    }

    @Test("Float frames written to every layout, in chunks larger than the writer's, read back within half a step",
          arguments: WAVTests.layouts)
    func roundTrip(format: WAVFormat) throws {
        let path = WAVTests.temporary("float")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let frames = 70_001  // past the 64 KiB the writer and reader convert at a time, and odd
        let written = Self.signal(frames: frames, channelCount: format.channelCount)
        let writer = try WAVWriter(path: path, format: format)
        try written.withUnsafeBufferPointer { try writer.append($0) }
        try writer.finish()
        #expect(writer.framesWritten == frames)

        let reader = try WAVReader(path: path)
        #expect(reader.format == format && reader.frameCount == frames)
        var read: [Float] = []
        // A sample short of one frame more: only whole frames are read.
        var chunk = [Float](repeating: .nan, count: 777 * format.channelCount + format.channelCount - 1)
        var largest = 0
        while true {
            let got = try chunk.withUnsafeMutableBufferPointer { try reader.read(into: $0) }
            if got == 0 { break }
            largest = max(largest, got)
            read += chunk[0..<got * format.channelCount]
        }
        #expect(largest == 777)
        #expect(read.count == written.count && reader.position == frames)
        let worst = zip(read, written).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= Self.tolerance(format), "\(format): off by \(worst)")
    }

    @Test("Float beyond full scale clips in an integer file; the raw and Float reads agree on the frames")
    func clipping() throws {
        let path = WAVTests.temporary("clip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let format = WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 8_000, containerBits: 16)
        let writer = try WAVWriter(path: path, format: format)
        try [Float(2), -2, 0.5, .nan, 1].withUnsafeBufferPointer { try writer.append($0) }  // the fifth is half a frame
        try writer.finish()
        #expect(writer.framesWritten == 2)
        #expect("\(writer)" == "\(path): 16-bit signed, 2 channels, 8000 Hz, 2 frames written")
        let reader = try WAVReader(path: path)
        var raw = [Int16](repeating: 0, count: 4)
        #expect(try raw.withUnsafeMutableBytes { try reader.read(frames: 10, into: $0) } == 2)
        #expect(raw == [32_767, -32_768, 16_384, 0])
        reader.rewind()
        var samples = [Float](repeating: 0, count: 4)
        #expect(try samples.withUnsafeMutableBufferPointer { try reader.read(into: $0) } == 2)
        #expect(samples == [Float(32_767) / 32_768, -1, 0.5, 0])
    }

    @Test("the length is a Duration at the file's rate; the patch interval is one too")
    func durations() throws {
        let path = WAVTests.temporary("duration")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let format = WAVFormat(encoding: .float, channelCount: 1, sampleRate: 8_000, containerBits: 32)
        var writer: WAVWriter? = try WAVWriter(path: path, format: format, patchInterval: .milliseconds(100))
        for count in [500, 500, 1] {
            try [Float](repeating: 0.25, count: count).withUnsafeBufferPointer { try writer!.append($0) }
        }
        // Patched once 800 frames (100 ms) had come since the last patch, at 1000; as if killed here.
        #expect(try WAVReader(path: path).frameCount == 1_000)
        writer = nil
        let reader = try WAVReader(path: path)
        #expect(reader.duration == .milliseconds(125) + .microseconds(125))
        #expect("\(reader)" == "\(path): 32-bit float, 1 channel, 8000 Hz, 1001 frames (0.125125 seconds)")
    }

    @Test("values and errors print for a user")
    func descriptions() throws {
        let format = WAVFormat(encoding: .integer, channelCount: 6, sampleRate: 96_000, containerBits: 24, validBits: 20)
        #expect("\(format)" == "20-in-24-bit signed, 6 channels, 96000 Hz")
        #expect("\(WAVFormat.Encoding.float)" == "float" && "\(WAVFormat.Encoding.integer)" == "integer")
        #expect("\(WAVTruncation(declaredBytes: 10, availableBytes: 4))" == "the data chunk declares 10 bytes but holds 4")
        do {
            _ = try WAVReader(path: "/nonexistent/x.wav")
            Issue.record("opened a file that does not exist")
        } catch {
            #expect("\(error)" == "/nonexistent/x.wav: open failed: No such file or directory")
        }
        #expect("\(WAVError.unsupportedBitDepth(bits: 12, encoding: .integer))" == "unsupported 12-bit integer samples")
    }
}
