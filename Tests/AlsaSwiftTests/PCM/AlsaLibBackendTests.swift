import Foundation
import SystemPackage
import Glibc
import Testing
@testable import AlsaSwift

/// alsa-lib's own PCMs on a machine with no sound: `null` discards, and a `file` PCM defined in a
/// configuration text records exactly what went through alsa-lib (or plays a file for capture).
@Suite("alsa-lib backend (host)")
struct AlsaLibBackendTests {
    static func pattern(frames: Int, channelCount: Int = 2) -> [Int16] {
        (0..<frames * channelCount).map { Int16(truncatingIfNeeded: ($0 &* 7919) ^ ($0 >> 5)) }
    }

    static func filePCM(_ path: String, infile: String? = nil) -> String {
        var text = "pcm.swiftfile { type file slave.pcm { type null } file \"\(path)\" format raw"
        if let infile { text += " infile \"\(infile)\"" }
        return text + " }"
    }

    @Test("null: configure reports what was granted, plays without a device and drains")
    func nullPlayback() throws {
        let pcm = try AlsaLibPCM(name: "null", direction: .playback)
        let setup = try pcm.configure(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 44_100, periodSize: 512, periodCount: 4))
        #expect(setup.format == .s16LE && setup.channelCount == 2 && setup.sampleRate == 44_100)
        #expect(setup.periodSize == 512 && setup.bufferSize == 2048)
        #expect(try pcm.state == .prepared)
        let samples = Self.pattern(frames: 512)
        for _ in 0..<8 {
            let written = try samples.withUnsafeBytes { try pcm.writeInterleaved($0) }
            #expect(written == 512)
        }
        // alsa-lib's null PCM reports its buffer as always empty, so it never reaches the start
        // threshold by itself; an explicit start runs it.
        if try pcm.state == .prepared { try pcm.start() }
        #expect(try pcm.state == .running)
        try pcm.drain()
        #expect(try pcm.state == .setup)
        #expect(pcm.syncReport.hardware == nil && pcm.syncReport.deviceRequiresExplicitSync == nil)
    }

    @Test("file PCM records every frame written through alsa-lib", arguments: [AccessType.readWriteInterleaved, .mmapInterleaved])
    func filePlayback(access: AccessType) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alsaswift-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = Self.pattern(frames: 256 * 40)
        do {
            let pcm = try AlsaLibPCM(name: "swiftfile", direction: .playback, configuration: Self.filePCM(path))
            let setup = try pcm.configure(HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                                          periodSize: 256, periodCount: 4))
            #expect(setup.access == access)
            try samples.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    if access == .mmapInterleaved {
                        let area = try pcm.beginTransfer(maxFrames: 256)
                        let count = min(area.frames * 4, bytes.count - offset)
                        area.interleaved.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                        try pcm.commitTransfer(count / 4)
                        offset += count
                    } else {
                        offset += try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + 1024, bytes.count)])) * 4
                    }
                }
            }
            try pcm.drain()
            try pcm.close()
        }
        let recorded = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(recorded.count == samples.count * 2)
        #expect(recorded == samples.withUnsafeBytes { Data($0) })
    }

    @Test("file PCM capture delivers the infile's frames through alsa-lib")
    func fileCapture() throws {
        let directory = FileManager.default.temporaryDirectory
        let input = directory.appendingPathComponent("alsaswift-in-\(UUID()).raw")
        let output = directory.appendingPathComponent("alsaswift-out-\(UUID()).raw")
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(at: output)
        }
        let samples = Self.pattern(frames: 4096)
        try samples.withUnsafeBytes { Data($0) }.write(to: input)
        let pcm = try AlsaLibPCM(name: "swiftfile", direction: .capture,
                                 configuration: Self.filePCM(output.path, infile: input.path))
        try pcm.configure(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, periodCount: 4))
        var captured = [Int16](repeating: 0, count: samples.count)
        try captured.withUnsafeMutableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                offset += try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<min(offset + 1024, bytes.count)])) * 4
            }
        }
        #expect(captured == samples)
    }

    @Test("a PlaybackStream over alsa-lib writes exactly the Float samples it was given")
    func streamThroughAlsaLib() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alsaswift-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = (0..<9600).map { Float($0 % 200 - 100) / 128 }
        do {
            let pcm = try AlsaLibPCM(name: "swiftfile", direction: .playback, configuration: Self.filePCM(path),
                                     options: PCMOpenOptions(nonBlocking: true, recovery: .automatic))
            let stream = try PlaybackStream(pcm: pcm, request: StreamRequest(sampleRate: 48_000, channelCount: 2))
            #expect(stream.configuration.format == .floatLE && stream.configuration.transport == .alsaLib)
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            try stream.drainBlocking(timeout: .seconds(1))
            try stream.close()
        }
        let recorded = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(recorded == samples.withUnsafeBytes { Data($0) })
    }

    /// fd 2 is the process's, so other tests running in parallel (and the test library's own
    /// progress lines) may write to it during the capture: what must not be there is alsa-lib's.
    @Test("an unknown name fails with alsa-lib's reason in the error, and none of alsa-lib's messages reaches stderr")
    func unknownName() throws {
        let before = LibraryCall.messageCount
        let stderrCopy = try StderrCapture()
        let error = #expect(throws: AlsaError.self) { try AlsaLibPCM(name: "no_such_pcm_swift", direction: .playback) }
        let printed = try stderrCopy.finish()
        #expect(error?.operation == .open)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.context?.contains("Unknown PCM no_such_pcm_swift") == true)
        #expect(LibraryCall.messageCount > before)
        #expect(!printed.contains("ALSA lib") && !printed.contains("no_such_pcm_swift"), "\(printed)")
    }

    /// A name for a card that is not there: alsa-lib reports why in several messages, the first
    /// of which is the reason (`cannot find card '7'`); the error keeps all of them, so a missing
    /// card does not read like a typo in the name. ENOENT is its own kind, with the remedy.
    @Test("a failed open keeps every message alsa-lib reported for it, in order")
    func everyMessageOfTheOpen() throws {
        let error = #expect(throws: AlsaError.self) { try AlsaLibPCM(name: "sysdefault:CARD=7", direction: .playback) }
        let context = error?.context ?? ""
        #expect(context.hasPrefix("sysdefault:CARD=7: parse_card: cannot find card '7'"), "\(context)")
        #expect(context.components(separatedBy: "; ").count >= 3, "every message, joined: \(context)")
        #expect(error?.kind == .noSuchDevice)
        #expect(error?.description.contains("no such sound device") == true)
    }

    /// alsa-lib has one process-wide handler, which an app may have set for its own use: the
    /// library collects messages through alsa-lib's thread-local handler and never touches it.
    @Test("the process-wide alsa-lib error handler is never replaced")
    func processWideHandlerUntouched() throws {
        let global = try #require(dlsym(dlopen(nil, RTLD_NOW), "snd_lib_error"), "alsa-lib's snd_lib_error")
        let before = global.load(as: UnsafeRawPointer?.self)
        _ = try? AlsaLibPCM(name: "no_such_pcm_swift", direction: .playback)
        _ = try? PCMNameHint.all()
        #expect(global.load(as: UnsafeRawPointer?.self) == before)
    }

    @Test("malformed configuration text is refused with a clear error")
    func malformedConfiguration() {
        let error = #expect(throws: AlsaError.self) {
            try AlsaLibPCM(name: "x", direction: .playback, configuration: "pcm.x { type file slave.pcm { ")
        }
        #expect(error?.operation == .configure)
        #expect(error?.context?.contains("malformed") == true)
    }

    @Test("impossible parameters: a clear error, and the PCM stays usable")
    func impossibleParameters() throws {
        let pcm = try AlsaLibPCM(name: "null", direction: .playback)
        let error = #expect(throws: AlsaError.self) { try pcm.configure(HardwareRequest(channelCount: 0)) }
        #expect(error?.operation == .configure)
        #expect(pcm.setup == nil)
        let setup = try pcm.configure(HardwareRequest(format: .floatLE, channelCount: 1, sampleRate: 8000))
        #expect(setup.format == .floatLE && setup.channelCount == 1 && setup.sampleRate == 8000)
    }
}

/// Redirects this process's stderr into a temporary file until `finish`.
final class StderrCapture {
    private let saved: Int32
    private let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID())").path

    init() throws {
        fflush(nil)
        saved = dup(2)
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard saved >= 0, fd >= 0 else { throw Errno(rawValue: errno) }
        dup2(fd, 2)
        Glibc.close(fd)
    }

    func finish() throws -> String {
        fflush(nil)
        dup2(saved, 2)
        Glibc.close(saved)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}
