import AlsaSimulation
import AlsaSwift
import AlsaSwiftFiles
import ArgumentParser
import Foundation
import Testing
@testable import AlsaTools

/// The example tools, in-process: argument handling, and each tool end to end on the simulated
/// explicit-sync device. Serialized: the tools share the process-wide Ctrl-C flag.
@Suite("Example tools", .serialized)
struct ToolTests {
    init() { Interruption.reset() }

    @Test("arguments are parsed and bad ones refused with a reason")
    func arguments() async throws {
        try await onOwnThread {
            let play = try AlsaPlay.parse(["-D", "hw:1,0", "--transport", "direct", "--mmap", "--force-sync-ptr", "--period", "256", "--buffer", "1024", "-q", "a.wav", "b.wav"])
            #expect(play.device.device == "hw:1,0" && play.device.transport == .direct && play.device.mmap && play.device.forceSyncPtr)
            #expect(play.files == ["a.wav", "b.wav"] && play.quiet)
            #expect(play.device.request(format: .s16LE, channelCount: 2, sampleRate: 48_000)
                    == HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, bufferSize: 1024))
            #expect(try AlsaPlay.parse(["--latency", "40", "x.wav"]).device.request(format: .s16LE, channelCount: 2, sampleRate: 48_000).bufferSize == 1920)
            let bad: [(any ParsableCommand.Type, [String])] = [
                (AlsaPlay.self, []),
                (AlsaPlay.self, ["--period", "0", "x.wav"]),
                (AlsaPlay.self, ["--transport", "pulse", "x.wav"]),
                (AlsaPlay.self, ["--transport", "alsa-lib", "--force-sync-ptr", "x.wav"]),
                (AlsaRecord.self, ["--duration", "0", "x.wav"]),
                (AlsaRecord.self, ["--format", "s12", "x.wav"]),
                (AlsaRecord.self, []),
                (AlsaTone.self, ["--frequency", "30000"]),
                (AlsaTone.self, ["--level=3"]),
                (AlsaTone.self, ["--output", "x.wav"]),
                (AlsaInfo.self, ["-D", "hw:99999999999"]),
                (AlsaInfo.self, ["-D", "sim:default"]),
                (AlsaPlay.self, ["-t", "raw", "x.raw"]),
                (AlsaPlay.self, ["-t", "raw", "-f", "s16", "-r", "8000", "x.raw"]),
                (AlsaPlay.self, ["-f", "cd", "x.wav"]),
                (AlsaPlay.self, ["-t", "mp3", "x.wav"]),
                (AlsaPlay.self, ["-q", "-v", "x.wav"]),
                (AlsaPlay.self, ["-", "-"]),
                (AlsaRecord.self, ["-t", "raw", "-f", "S16_BE", "-"]),
            ]
            for (command, arguments) in bad {
                #expect(throws: (any Error).self, "\(command) \(arguments)") { _ = try command.parseAsRoot(arguments) }
            }
            let record = try AlsaRecord.parse(["-d", "2.5", "-f", "s24", "-r", "44100", "-c", "1", "out.wav"])
            #expect(record.duration == 2.5 && record.format.sampleFormat == .s24_3LE && record.sampleRate == 44_100 && record.channelCount == 1)
            // arecord's habits: ALSA format names, and cd/dat presets that -r and -c still override.
            for (name, expected) in [("S16_LE", SampleFormat.s16LE), ("s24_3le", .s24_3LE), ("FLOAT_LE", .floatLE), ("U8", .u8)] {
                #expect(try AlsaRecord.parse(["-f", name, "x.wav"]).format.sampleFormat == expected, "\(name)")
            }
            let cd = try AlsaRecord.parse(["-f", "cd", "x.wav"])
            #expect(cd.format.sampleFormat == .s16LE && cd.sampleRate == 44_100 && cd.channelCount == 2)
            let dat = try AlsaRecord.parse(["-f", "dat", "-c", "1", "x.wav"])
            #expect(dat.sampleRate == 48_000 && dat.channelCount == 1)
            let plain = try AlsaRecord.parse(["x.wav"])
            #expect(plain.format.sampleFormat == .s16LE && plain.sampleRate == 48_000 && plain.channelCount == 2)
            #expect(throws: (any Error).self) { _ = try AlsaRecord.parse(["-f", "S16_BE", "x.wav"]) }
            // aplay's habits: -t raw with -f/-r/-c (or cd/dat), -l/-L without a file, - for stdin/stdout.
            let raw = try AlsaPlay.parse(["-t", "RAW", "-f", "dat", "-"])
            #expect(try raw.samples.rawInputFormat() == WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16))
            #expect(raw.files == ["-"])
            #expect(try AlsaPlay.parse(["-t", "raw", "-f", "FLOAT_LE", "-r", "8000", "-c", "1", "x"]).samples.rawInputFormat()
                    == WAVFormat(encoding: .float, channelCount: 1, sampleRate: 8_000, containerBits: 32))
            #expect(try AlsaPlay.parse(["-l"]).listing.listDevices && AlsaRecord.parse(["-L"]).listing.listNames)
            #expect(try AlsaRecord.parse(["-t", "raw", "-f", "cd", "-d", "1", "-"]).file == "-")
            let tone = try AlsaTone.parse(["-s", "sweep", "-f", "100", "--to", "1000", "--level=-6"])
            #expect(tone.signal == .sweep && tone.frequency == 100 && tone.to == 1000 && tone.level == -6 && tone.duration == nil)
        }
    }

    static func writeWAV(_ format: WAVFormat, frames: Int) throws -> (path: String, data: [UInt8]) {
        let path = WAVTests.temporary("tool")
        let data = WAVTests.bytes(count: frames * format.bytesPerFrame, seed: 5)
        let writer = try WAVWriter(path: path, format: format)
        try data.withUnsafeBytes { try writer.append($0) }
        try writer.finish()
        return (path, data)
    }

    @Test("the player sends a file's bytes untouched when the device has its format, and the device gets them all",
          arguments: [false, true])
    func playNative(mmap: Bool) throws {
        let (path, data) = try Self.writeWAV(WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 24), frames: 24_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = try DeviceOptions.parse(["-D", "sim"])
        options.mmap = mmap
        let opened = try options.open(.playback)
        let report = try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
        #expect(!report.converted && report.setup.format == .s24_3LE)
        #expect(report.setup.access == (mmap ? .mmapInterleaved : .readWriteInterleaved))
        var expected = FrameChecksum.seed
        data.withUnsafeBytes { FrameChecksum.fnv1a($0, into: &expected) }
        #expect(report.checksum == expected && report.frames == 24_000)
        let device = try #require(opened.simulator).playbackObservation()
        #expect(device.checksum == expected && device.frames == 24_000)
    }

    /// The simulated coherent card runs at 5.5 to 48 kHz: a 96 kHz file is refused, unless
    /// `--resample` lets a stream convert it to 48 kHz, read/write and mmap.
    @Test("alsa-play --resample plays a 96 kHz file on a device that stops at 48 kHz, at the device's rate",
          arguments: [false, true])
    func playResampled(mmap: Bool) async throws {
        try await onOwnThread {
            let (path, _) = try Self.writeWAV(WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 96_000, containerBits: 16), frames: 24_000)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var options = try DeviceOptions.parse(["-D", "sim:hw:1,0"])
            options.mmap = mmap
            #expect(throws: (any Error).self) {
                _ = try Player(pcm: try options.open(.playback).pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
            }
            let opened = try options.open(.playback)
            let report = try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true), resampling: .fast)
                .play(try WAVReader(path: path))
            #expect(report.setup.sampleRate == 48_000 && report.frames == 24_000 && report.resampledFrames == 12_000)
            #expect(report.setup.access == (mmap ? .mmapInterleaved : .readWriteInterleaved))
            let device = try #require(opened.simulator).playbackObservation(card: 1)
            #expect(device.frames == 12_000 && device.staleFrames == 0 && device.underrunFrames == 0, "\(device)")
            try AlsaPlay.parse(["-D", "sim:hw:1,0", "--resample", "standard", "-q", path]).run()
        }
    }

    @Test("a format the device lacks is converted through Float, and the whole command reports a match")
    func playConverted() throws {
        let (path, _) = try Self.writeWAV(WAVFormat(encoding: .float, channelCount: 1, sampleRate: 44_100, containerBits: 64), frames: 10_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try DeviceOptions.parse(["-D", "sim"])
        let opened = try options.open(.playback)
        let report = try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
        #expect(report.converted && report.setup.format == .floatLE)
        #expect(try #require(opened.simulator).playbackObservation().checksum == report.checksum)
        let command = try AlsaPlay.parse(["-D", "sim", "-q", path])
        try command.run()
    }

    /// `--timer`: the deepest buffer (2 s), no period interrupts on the simulated explicit-sync
    /// card, and a wakeup per fill less watermark: 5 s of audio in a handful.
    @Test("--timer plays every byte through a timer-scheduled stream, in a few wakeups", arguments: [false, true])
    func playOnTimer(mmap: Bool) async throws {
        try await onOwnThread {
            let (path, data) = try Self.writeWAV(WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16), frames: 240_000)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var options = try DeviceOptions.parse(["-D", "sim", "--timer"])
            options.mmap = mmap
            let opened = try options.open(.playback)
            let report = try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
            let wakeups = try #require(report.wakeups)
            #expect(!wakeups.periodWakeups && wakeups.wakeups <= 8 && report.xruns == 0, "\(wakeups), \(report.setup)")
            #expect(wakeups.description.contains("/s)"), "\(wakeups)")
            var expected = FrameChecksum.seed
            data.withUnsafeBytes { FrameChecksum.fnv1a($0, into: &expected) }
            #expect(report.checksum == expected && report.frames == 240_000)
            let device = try #require(opened.simulator).playbackObservation()
            #expect(device.checksum == expected && device.frames == 240_000 && device.periodInterrupts == 0, "\(device)")
        }
    }

    /// `--timer --latency 10` on a machine that wakes the stream 12 ms late: the stream raises its
    /// latency to 20 ms after two xruns (see TimerSchedulingTests.latencyRaised), and the tool
    /// prints it beside its wakeups, in the line the rig's scripts read.
    @Test("--timer prints the latency xruns raised the stream to")
    func playOnTimerRaisedLatency() async throws {
        try await onOwnThread {
            let (path, _) = try Self.writeWAV(WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16), frames: 48_000)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let options = try DeviceOptions.parse(["-D", "sim", "--timer", "--latency", "10"])
            let opened = try options.open(.playback)
            let kernel = try #require(opened.simulator)
            kernel.setFramesPerCall(0)
            kernel.setTimerLatency(.milliseconds(12))
            let report = try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
            let wakeups = try #require(report.wakeups)
            #expect(report.xruns == 2 && wakeups.latencyRaise?.asked == 10 && wakeups.latencyRaise?.kept == 20, "\(wakeups), \(report.xruns) xruns")
            #expect(wakeups.description.hasPrefix("timer: \(wakeups.wakeups) wakeups in 1.0 s of audio ("), "\(wakeups)")
            #expect(wakeups.description.hasSuffix("no period interrupts, latency raised by xruns from 10.0 ms to 20.0 ms"), "\(wakeups)")
        }
    }

    @Test("--timer records every frame exactly, in a few wakeups")
    func recordOnTimer() async throws {
        try await onOwnThread {
            let path = WAVTests.temporary("rec-timer")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let options = try DeviceOptions.parse(["-D", "sim", "--timer"])
            let opened = try options.open(.capture)
            let report = try Recorder(pcm: opened.pcm, options: options, status: StatusLine(quiet: true))
                .record(to: path, format: .s16LE, channelCount: 2, sampleRate: 48_000, frames: 240_000)
            let wakeups = try #require(report.wakeups)
            #expect(!wakeups.periodWakeups && wakeups.wakeups <= 8 && report.xruns == 0, "\(wakeups)")
            let reader = try WAVReader(path: path)
            #expect(reader.frameCount == 240_000)
            #expect(try WAVTests.readAll(reader) == expectedCapture(startFrame: 0, frames: 240_000, frameBytes: 4))
        }
    }

    @Test("--timer chooses the period and buffer itself: --period or --buffer with it is refused")
    func timerRefusesSizes() {
        #expect(throws: (any Error).self) { try AlsaPlay.parse(["--timer", "--period", "256", "x.wav"]) }
        #expect(throws: (any Error).self) { try AlsaRecord.parse(["--timer", "--buffer", "4096", "x.wav"]) }
        #expect((try? AlsaPlay.parse(["--timer", "--latency", "10", "x.wav"]))?.device.timerRequest(formats: [.s16LE], channelCount: 2, sampleRate: 48_000)
            .scheduling == .timer(latency: .milliseconds(10)))
    }

    @Test("a malformed file stops the player with the file's error, not a crash")
    func playMalformed() throws {
        let path = WAVTests.temporary("bad")
        _ = FileManager.default.createFile(atPath: path, contents: Data(WAVTests.file([("fmt ", WAVTests.fmt(tag: 0x55)), ("data", [0, 0, 0, 0])])))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let command = try AlsaPlay.parse(["-D", "sim", "-q", path])
        #expect(throws: WAVError.unsupportedEncoding(tag: 0x55)) { try command.run() }
    }

    @Test("the recorder stores the device's frames exactly; an interrupted recording is a valid WAV of every frame")
    func record() throws {
        let path = WAVTests.temporary("rec")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let command = try AlsaRecord.parse(["-D", "sim", "-d", "0.25", "-q", path])
        try command.run()
        let reader = try WAVReader(path: path)
        #expect(reader.format == WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16))
        #expect(reader.frameCount == 12_000)
        #expect(try WAVTests.readAll(reader) == expectedCapture(startFrame: 0, frames: 12_000, frameBytes: 4))

        // Open-ended, then Ctrl-C: everything captured up to the stop is in the file.
        // The stop comes once frames reach the file, not after a fixed time, which a slow run (under
        // a sanitizer) spends opening the device: it then recorded nothing.
        try FileManager.default.removeItem(atPath: path)
        let stopper = Thread {
            _ = eventuallyBlocking { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0) >= 4_096 }
            Interruption.request()
        }
        stopper.start()
        let options = try DeviceOptions.parse(["-D", "sim"])
        let opened = try options.open(.capture)
        let report = try Recorder(pcm: opened.pcm, options: options, status: StatusLine(quiet: true))
            .record(to: path, format: .s16LE, channelCount: 2, sampleRate: 48_000, frames: nil)
        Interruption.reset()
        #expect(report.interrupted && report.frames > 0)
        let stopped = try WAVReader(path: path)
        #expect(stopped.frameCount == report.frames)
        #expect(try WAVTests.readAll(stopped) == expectedCapture(startFrame: 0, frames: report.frames, frameBytes: 4))
    }

    @Test("tone signals are what they say")
    func tones() {
        func render(_ signal: ToneGenerator.Signal, frames: Int, channelCount: Int = 2) -> [Float] {
            var generator = ToneGenerator(signal: signal, sampleRate: 8_000, channelCount: channelCount, frequency: 1_000, sweepTo: 3_000, segment: 0.5, levelDB: 0)
            var samples = [Float](repeating: 9, count: frames * channelCount)
            samples.withUnsafeMutableBufferPointer { generator.fill($0) }
            return samples
        }
        let sine = render(.sine, frames: 8)
        let expected: [Float] = [0, 0.70710677, 1, 0.70710677, 0, -0.70710677, -1, -0.70710677]
        for (f, value) in expected.enumerated() {
            #expect(abs(sine[2 * f] - value) < 1e-5 && sine[2 * f] == sine[2 * f + 1])
        }
        let speakers = render(.channels, frames: 8_000, channelCount: 2)
        #expect(speakers[0..<8_000].enumerated().allSatisfy { $0.offset % 2 == 1 ? $0.element == 0 : true }, "first half second: left only")
        #expect(speakers[8_000...].enumerated().allSatisfy { $0.offset % 2 == 0 ? $0.element == 0 : true }, "then right only")
        for noise in [ToneGenerator.Signal.white, .pink] {
            let samples = render(noise, frames: 4_000, channelCount: 1)
            #expect(samples.allSatisfy { $0 >= -1 && $0 <= 1 } && Set(samples).count > 3_000, "\(noise)")
            #expect(samples == render(noise, frames: 4_000, channelCount: 1), "reproducible")
        }
        let sweep = render(.sweep, frames: 4_000, channelCount: 1)
        let early = sweep[0..<400].indices.filter { $0 > 0 && sweep[$0 - 1] < 0 && sweep[$0] >= 0 }.count
        let late = sweep[3_600..<4_000].indices.filter { $0 > 3_600 && sweep[$0 - 1] < 0 && sweep[$0] >= 0 }.count
        #expect(late > early * 2, "the sweep rises: \(early) → \(late) crossings per 50 ms")
    }

    @Test("the tone tool plays to the simulated device, and writes a WAV file")
    func toneTool() throws {
        let command = try AlsaTone.parse(["-D", "sim", "-s", "pink", "-d", "0.2", "-q"])
        try command.run()
        let path = WAVTests.temporary("tone")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AlsaTone.parse(["-s", "sine", "--to", "2000", "-d", "0.5", "-r", "8000", "-c", "1", "-q", "-o", path])
        try writer.run()
        let reader = try WAVReader(path: path)
        #expect(reader.frameCount == 4_000 && reader.format.sampleRate == 8_000 && reader.format.channelCount == 1)
    }

    @Test("info lists the simulated machine, with explicit sync and record paths, as text and JSON")
    func info() throws {
        let report = try AlsaInfo.report(simulated: true, probe: true, hints: false)
        #expect(report.cards.map(\.id) == ["SimSync", "SimCoherent"])
        let sync = try #require(report.cards[0].devices.first?.playback)
        #expect(sync.explicitSync == true && sync.statusRecord == "SYNC_PTR (device requires explicit sync)")
        #expect(report.cards[1].devices[0].playback?.controlRecord == "mapped")
        #expect(report.text.contains("explicit sync: REQUIRED"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let cards = try #require(json?["cards"] as? [[String: Any]])
        #expect(cards.count == 2 && cards[1]["driver"] as? String == "AlsaSwiftSim")
    }
}
