import AlsaSimulation
import AlsaSwiftFiles
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The example apps (Examples/level-meter, pass-through, volume-watch, sync-report, play-file), built and run
/// as processes of their own with --simulated, as a user would run them: what they print must
/// agree with what the simulated machine did.
@Suite("Example apps")
struct ExampleAppTests {
    /// What a run printed on standard output and standard error, and how it ended.
    struct Run {
        let output: [String]
        let errors: String
        let exitStatus: Int32?
    }

    /// Runs the built app `name` to its end (`hangBound` tells "ends" from "never ends").
    static func run(_ name: String, _ arguments: [String]) async throws -> Run {
        let outputPath = WAVTests.temporary("\(name).out")
        let errorsPath = WAVTests.temporary("\(name).err")
        defer { unlink(outputPath); unlink(errorsPath) }
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let errors = open(errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(output >= 0 && errors >= 0)
        let child = try SignalTests.Child(name, arguments, output: output, errors: errors)
        close(output)
        close(errors)
        #expect(await child.wait(timeout: hangBound), "\(name) did not end")
        let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Run(output: printed.split(separator: "\n").map(String.init),
                   errors: (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "", exitStatus: child.exitStatus)
    }

    /// The numbers in `line`, in order.
    static func numbers(in line: String) -> [Double] {
        line.split(whereSeparator: { !"-.0123456789".contains($0) }).compactMap { Double($0) }
    }

    @Test("level-meter reports the simulated sine's peak and RMS level within 0.5 dB, every 100 ms")
    func levelMeter() async throws {
        let run = try await Self.run("level-meter", ["--simulated", "--seconds", "1"])
        #expect(run.exitStatus == 0, "\(run.errors)")
        let levels = run.output.filter { $0.hasPrefix("peak") }.map(Self.numbers)
        #expect(levels.count == 10, "\(run.output)")
        for level in levels {
            // A 1 kHz sine at half scale: -6.02 dBFS peak, 3.01 dB less RMS.
            #expect(level.count == 2 && abs(level[0] - -6.02) <= 0.5 && abs(level[1] - -9.03) <= 0.5, "\(level)")
        }
    }

    @Test("pass-through plays on card 1 what card 0 captured, after the round trip's silence")
    func passThrough() async throws {
        let run = try await Self.run("pass-through", ["--simulated", "--seconds", "1"])
        #expect(run.exitStatus == 0, "\(run.errors)")
        try #require(run.output.first?.contains("S16_LE") == true, "\(run.output)")   // 2 channels of 2 bytes
        let summary = try #require(run.output.first { $0.hasPrefix("passed") }, "\(run.output)")
        let roundTrip = Int(Self.numbers(in: summary)[2])
        let played = try #require(run.output.first { $0.hasPrefix("card 1 played") }, "\(run.output)")
        let words = played.split(separator: " ")
        let frames = try #require(Int(words[3]))
        let checksum = try #require(UInt64(words[6], radix: 16))
        // A second at 48 kHz, both sides started at once: card 1 played as many frames as card 0
        // captured, the round trip's silence first.
        #expect(frames == 48_000 && roundTrip > 0 && summary.contains("0 xruns"), "\(run.output)")

        // The silence queued first, then card 0's pattern frame by frame, unchanged.
        var expected = FrameChecksum.seed
        let bytes = [UInt8](repeating: 0, count: roundTrip * 4)
            + (0..<UInt64(frames - roundTrip)).flatMap { frame in (0..<4).map { SimulatedKernel.captureSample(frame: frame, byte: $0) } }
        bytes.withUnsafeBytes { FrameChecksum.fnv1a($0, into: &expected) }
        #expect(checksum == expected, "\(run.output)")
    }

    @Test("volume-watch reads back the volume it set, and sees card 1 pulled out and plugged in")
    func volumeWatch() async throws {
        let run = try await Self.run("volume-watch", ["--simulated", "--card", "1", "--decibels", "-12", "--seconds", "0.2"])
        #expect(run.exitStatus == 0, "\(run.errors)")
        // The AC97 mixer's Master: -46.5 dB at 0, 1.5 dB a step, so -12 dB is value 23.
        #expect(run.output.prefix(2) == ["card 1 Master: set -12.0 dB", "card 1 Master: reads -12.0 dB (value 23 of 0...31)"],
                "\(run.output)")
        #expect(run.output.dropFirst(2).first == "card 1 removed" && run.output.last == "card 1 added", "\(run.output)")
        #expect(run.output.contains("hw:1,0 playback removed") && run.output.contains("hw:1,0 capture added"), "\(run.output)")
    }

    @Test("sync-report: explicit sync and SYNC_PTR for card 0, mapped records for card 1")
    func syncReport() async throws {
        let run = try await Self.run("sync-report", ["--simulated"])
        #expect(run.exitStatus == 0, "\(run.errors)")
        let prefix = { (line: String) in String(line.prefix { $0 != ";" }) }
        #expect(run.output.map(prefix) == [
            "hw:CARD=SimSync,DEV=0 playback: explicit sync yes, status SYNC_PTR, control SYNC_PTR",
            "hw:CARD=SimSync,DEV=0 capture: explicit sync yes, status SYNC_PTR, control SYNC_PTR",
            "hw:CARD=SimCoherent,DEV=0 playback: explicit sync no, status mapped, control mapped",
            "hw:CARD=SimCoherent,DEV=0 capture: explicit sync no, status mapped, control mapped",
        ], "\(run.output)")
        #expect(run.output.first?.hasSuffix("status and control: SYNC_PTR (device requires explicit sync)") == true, "\(run.output)")
    }

    @Test("play-file plays a 44.1 kHz WAV to its end on card 0, with a progress line a second")
    func playFile() async throws {
        // 2.54 s of a 440 Hz tone (the last tenth of a second partial), 16-bit stereo: the device's
        // format, so its checksum is the file's.
        let frames = 112_000
        let values = (0..<frames).flatMap { frame -> [Int16] in
            let value = Int16((0.5 * 32_767 * sin(2 * Double.pi * 440 * Double(frame) / 44_100)).rounded())
            return [value, value]
        }
        let path = WAVTests.temporary("play-file.wav")
        defer { unlink(path) }
        let writer = try WAVWriter(path: path, format: WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 44_100, containerBits: 16))
        try values.withUnsafeBytes { try writer.append($0) }
        try writer.finish()

        let run = try await Self.run("play-file", ["--simulated", path])
        #expect(run.exitStatus == 0, "\(run.errors)")
        // Heard by each second of the file: what was written less the delay, at most a buffer (0.1 s) behind.
        let heard = run.output.filter { $0.hasPrefix("heard") }.map(Self.numbers)
        #expect(heard.count == 2, "\(run.output)")
        for (second, line) in heard.enumerated() {
            #expect(line.count == 2 && line[1] == 2.5 && line[0] < Double(second + 1) && line[0] >= Double(second + 1) - 0.2, "\(line)")
        }
        #expect(run.output.contains("played 2.5 s, 0 xruns"), "\(run.output)")
        var expected = FrameChecksum.seed
        values.withUnsafeBytes { FrameChecksum.fnv1a($0, into: &expected) }
        #expect(run.output.last == "card 0 played \(frames) frames, checksum \(String(expected, radix: 16))", "\(run.output)")
    }

    @Test("play-file refuses a file that is no WAV with the reason, and plays nothing")
    func playFileRefusesBadFile() async throws {
        let path = WAVTests.temporary("not-a-wav.wav")
        defer { unlink(path) }
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}AVI LIST".utf8).write(to: URL(fileURLWithPath: path))
        let run = try await Self.run("play-file", ["--simulated", path])
        #expect(run.exitStatus == 1 && run.errors.contains("\(path): not a WAV file"), "\(run.errors)")
        #expect(run.output.isEmpty, "\(run.output)")
    }

    @Test("the apps refuse a bad argument with the reason and exit status 64", arguments: [
        ("level-meter", ["--seconds", "0"], "--seconds must be from 0.1 to 3600"),
        ("pass-through", ["--seconds", "nan"], "--seconds must be from 0.1 to 3600"),
        ("volume-watch", ["--card", "99999999999999999999"], "--card"),
        ("volume-watch", ["--decibels", "-1e300"], "--decibels must be from -200 to 200"),
        ("sync-report", ["--loud"], "--loud"),
        ("play-file", ["--loud", "x.wav"], "--loud"),
    ])
    func badArguments(_ app: String, _ arguments: [String], _ reason: String) async throws {
        let run = try await Self.run(app, arguments)
        #expect(run.exitStatus == 64 && run.errors.contains(reason) && run.errors.contains("Usage: \(app)"), "\(run.errors)")
        #expect(run.output.isEmpty)
    }
}
