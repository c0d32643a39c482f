import Foundation
import Testing
@testable import AlsaTools

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM end the built tools, run as processes of their own, while they sit in a
/// blocking call: the open of a FIFO nobody opens from the other side, and a write to a full pipe.
/// The recorder stopped that way leaves a valid WAV file.
@Suite("Signals end the tools")
struct SignalTests {
    /// How long a tool may take to end after the signal. Generous for a loaded machine; the hang
    /// these tests catch is unbounded.
    static let bound: Duration = .seconds(3)

    /// The built tool `name`, next to the test bundle (`swift build --build-tests` builds both).
    static func tool(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        try #require(FileManager.default.isExecutableFile(atPath: url.path), "\(url.path) is not built")
        return url
    }

    static func temporaryFIFO() throws -> String {
        let path = WAVTests.temporary("fifo")
        try #require(mkfifo(path, 0o600) == 0)
        return path
    }

    /// Waits until `process` catches SIGINT and SIGTERM (its handlers are installed), then a moment
    /// more for it to enter the call it blocks in.
    static func waitUntilHandling(_ process: Process) throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
               let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16),
               mask & (1 << (SIGINT - 1)) != 0, mask & (1 << (SIGTERM - 1)) != 0 {
                Thread.sleep(forTimeInterval: 0.3)
                return
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("the tool never installed its signal handlers")
    }

    /// Sends `signal` and waits at most `bound` for the process to end; returns how long it took,
    /// or nil (after killing it) when it did not end.
    static func interrupt(_ process: Process, with signal: Int32) -> Duration? {
        let sent = ContinuousClock.now
        kill(process.processIdentifier, signal)
        while process.isRunning {
            if ContinuousClock.now - sent > bound {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return ContinuousClock.now - sent
    }

    static func launch(_ tool: String, _ arguments: [String], output: FileHandle? = nil) throws -> Process {
        let process = Process()
        process.executableURL = try Self.tool(tool)
        process.arguments = arguments
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("defect: alsa-play blocked opening a FIFO with no writer ignored Ctrl-C and SIGTERM; now it ends with 128 + the signal",
          arguments: [SIGINT, SIGTERM])
    func playerOnFIFO(signal: Int32) throws {
        let fifo = try Self.temporaryFIFO()
        defer { unlink(fifo) }
        let process = try Self.launch("alsa-play", ["-D", "sim", fifo])
        try Self.waitUntilHandling(process)
        #expect(process.isRunning, "alsa-play should be blocked in open(2)")
        let took = Self.interrupt(process, with: signal)
        #expect(took != nil, "alsa-play did not end within \(Self.bound) of signal \(signal)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal)
    }

    @Test("alsa-record blocked opening a FIFO with no reader for its output ends on Ctrl-C and SIGTERM",
          arguments: [SIGINT, SIGTERM])
    func recorderOnFIFO(signal: Int32) throws {
        let fifo = try Self.temporaryFIFO()
        defer { unlink(fifo) }
        let process = try Self.launch("alsa-record", ["-D", "sim", "-r", "8000", "-c", "1", "-f", "u8", "-q", fifo])
        try Self.waitUntilHandling(process)
        #expect(process.isRunning, "alsa-record should be blocked in open(2)")
        #expect(Self.interrupt(process, with: signal) != nil, "alsa-record did not end within \(Self.bound)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal)
    }

    @Test("alsa-record stopped by Ctrl-C or SIGTERM mid-recording leaves a valid WAV with every frame it counted",
          arguments: [SIGINT, SIGTERM])
    func recorderLeavesValidFile(signal: Int32) throws {
        let path = WAVTests.temporary("signal")
        defer { unlink(path) }
        let output = WAVTests.temporary("signal-out")
        try #require(FileManager.default.createFile(atPath: output, contents: nil))
        defer { unlink(output) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let process = try Self.launch("alsa-record", ["-D", "sim", "-r", "8000", "-c", "1", "-f", "u8", path], output: log)
        try Self.waitUntilHandling(process)
        #expect(Self.interrupt(process, with: signal) != nil, "alsa-record did not end within \(Self.bound)")
        // Open-ended: a signal is how such a recording ends, so the status is success.
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let reader = try WAVReader(path: path)
        #expect(reader.format == WAVFormat(encoding: .integer, channels: 1, sampleRate: 8_000, containerBits: 8))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(reader.frameCount > 0 && 44 + reader.frameCount + reader.frameCount % 2 == size)
        let printed = try String(contentsOfFile: output, encoding: .utf8)
        #expect(printed.contains("\(reader.frameCount) frames") && printed.contains("interrupted"), "\(printed)")
    }

    @Test("alsa-info blocked writing to a full pipe ends on Ctrl-C with 130")
    func infoOnFullPipe() throws {
        let pipe = Pipe()
        let writer = pipe.fileHandleForWriting.fileDescriptor
        #expect(fcntl(writer, 1031 /* F_SETPIPE_SZ, a GNU macro Swift does not import */, 4096) >= 4096)
        // Fill the pipe, then make its writes blocking again (the flag is shared with the child).
        _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
        var block = [UInt8](repeating: 0x2E, count: 4096)
        while Glibc.write(writer, &block, block.count) > 0 {}
        _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) & ~O_NONBLOCK)
        let process = try Self.launch("alsa-info", ["-D", "sim", "--json"], output: pipe.fileHandleForWriting)
        try Self.waitUntilHandling(process)
        #expect(process.isRunning, "alsa-info should be blocked writing its listing")
        #expect(Self.interrupt(process, with: SIGINT) != nil, "alsa-info did not end within \(Self.bound)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
    }
}
