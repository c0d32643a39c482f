import AlsaSimulation
import AlsaSwift
import AlsaSwiftFiles
import Foundation
import Testing
@testable import AlsaTools

#if canImport(Glibc)
import Glibc
#endif

/// The built tools run the way aplay, arecord and alsa-info users run theirs: through a shell, with
/// pipes, `-` for standard input and output, `-t raw`, `-l`, `-L`, `-v` and `-q`. Standard output
/// carries only audio or the listing asked for; status goes to standard error. Every tool's `sim`
/// is the same simulated machine.
@Suite("Tools the alsa-utils way", .hangTimeLimit)
struct AlsaUtilsHabitTests {
    /// S16_LE stereo 48 kHz test data, as a WAV file and as raw samples, and its FNV-1a checksum.
    struct Sample {
        let wav: String
        let raw: String
        let frames: Int
        let checksum: UInt64

        init(frames: Int = 24_000) throws {
            self.frames = frames
            let data = WAVTests.bytes(count: frames * 4, seed: 11)
            wav = WAVTests.temporary("habit")
            raw = WAVTests.temporary("habit-raw")
            let writer = try WAVWriter(path: wav, format: WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16))
            try data.withUnsafeBytes { try writer.append($0) }
            try writer.finish()
            try Data(data).write(to: URL(fileURLWithPath: raw))
            var sum = FrameChecksum.seed
            data.withUnsafeBytes { FrameChecksum.fnv1a($0, into: &sum) }
            checksum = sum
        }

        func remove() {
            unlink(wav)
            unlink(raw)
        }
    }

    /// What the simulated device reports when it received exactly `sample`.
    static func received(_ sample: Sample) -> String {
        "simulated device: \(sample.frames) frames, checksum \(hex(sample.checksum)) = sent \(hex(sample.checksum)) (match)"
    }

    // MARK: - as standard input and output

    @Test("cat x.wav | alsa-play -D sim -   plays the stream; the device receives every byte")
    func playWAVFromPipe() async throws {
        let sample = try Sample()
        defer { sample.remove() }
        let result = try await ToolShell.run(#"cat "\#(sample.wav)" | "$alsa_play" -D sim -"#)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.isEmpty, "stdout must stay empty: \(result.outputText)")
        #expect(result.errors.contains("Playing WAVE 'stdin'"), "\(result.errors)")
        #expect(result.errors.contains(Self.received(sample)), "\(result.errors)")
    }

    @Test("cat x.raw | alsa-play -D sim -t raw -f dat -   plays raw samples that -f describes")
    func playRawFromPipe() async throws {
        let sample = try Sample()
        defer { sample.remove() }
        let result = try await ToolShell.run(#"cat "\#(sample.raw)" | "$alsa_play" -D sim -t raw -f dat -"#)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.isEmpty)
        #expect(result.errors.contains(Self.received(sample)), "\(result.errors)")
        // And from a file, with -f, -r and -c spelled out.
        let file = try await ToolShell.run(#""$alsa_play" -D sim -t raw -f S16_LE -r 48000 -c 2 "\#(sample.raw)""#)
        #expect(file.status == 0 && file.errors.contains(Self.received(sample)), "\(file.errors)")
    }

    @Test("alsa-record -D sim -t raw -f cd -d 1 - | wc -c   is 176400 bytes: one second of CD audio, nothing else")
    func recordRawToPipe() async throws {
        let counted = try await ToolShell.run(#""$alsa_record" -D sim -t raw -f cd -d 1 - | wc -c"#)
        #expect(counted.status == 0, "\(counted.errors)")
        #expect(counted.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == "176400")
        // The bytes are the device's, frame for frame.
        let captured = try await ToolShell.run(#""$alsa_record" -D sim -t raw -f cd -d 1 -q -"#)
        #expect(captured.status == 0 && captured.errors.isEmpty, "\(captured.errors)")
        let expected = expectedCapture(startFrame: 0, frames: 44_100, frameBytes: 4)
        #expect(captured.output.count == expected.count)
        #expect(zip(captured.output, expected).filter { $0 != $1 }.count == 0)
    }

    @Test("alsa-record -f cd -d 1 - | cat > x.wav   writes a valid WAV to a pipe, its header sized by -d")
    func recordWAVToPipeWithDuration() async throws {
        let path = WAVTests.temporary("pipe-wav")
        defer { unlink(path) }
        let result = try await ToolShell.run(#""$alsa_record" -D sim -f cd -d 1 - | cat > "\#(path)""#)
        #expect(result.status == 0, "\(result.errors)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count == 44 + 176_400)
        #expect(Array(bytes[40..<44]) == [0x10, 0xB1, 0x02, 0x00], "the data size is 176400")
        let reader = try WAVReader(path: path)
        #expect(reader.format == WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 44_100, containerBits: 16))
        let data = try WAVTests.readAll(reader)
        let expected = expectedCapture(startFrame: 0, frames: 44_100, frameBytes: 4)
        #expect(data.count == expected.count && zip(data, expected).filter { $0 != $1 }.count == 0)
    }

    @Test("alsa-record - to a pipe until Ctrl-C: the header says 'until the end'; cat x.wav | alsa-play - plays it to the end")
    func recordOpenEndedToPipe() async throws {
        let path = WAVTests.temporary("pipe-open"), fifo = WAVTests.temporary("pipe-fifo")
        defer { unlink(path); unlink(fifo) }
        // The recorder writes into a FIFO (a pipe: its header cannot be patched) that cat empties
        // into a file; once frames arrive (a sanitized build starts slowly), SIGINT stops it as
        // Ctrl-C would. The file does not exist until cat's shell opens it, so its size reads as
        // 0 until then (a failed stat once ended the wait at once, before the recorder had
        // installed its handlers: a background job ignores SIGINT until then, so it ran on).
        // Whatever happens, the recorder does not outlive the script.
        let saved = try await ToolShell.run(#"""
            mkfifo "\#(fifo)"
            cat "\#(fifo)" > "\#(path)" &
            "$alsa_record" -D sim -f u8 -r 8000 -c 1 -q - > "\#(fifo)" &
            recorder=$!
            trap 'kill -KILL $recorder 2>/dev/null' EXIT
            i=0
            size() { stat -c %s "\#(path)" 2>/dev/null || echo 0; }
            while [ "$(size)" -lt 4096 ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
            [ "$(size)" -ge 4096 ] || { echo "no frames after 30 s" >&2; exit 1; }
            kill -INT $recorder
            wait $recorder; echo "recorder status $?" >&2
            wait
            """#)
        #expect(saved.errors == "recorder status 130\n", "Ctrl-C ends it, with 128 + SIGINT as every tool")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count > 4096)
        #expect(Array(bytes[4..<8]) == [0xFF, 0xFF, 0xFF, 0xFF] && Array(bytes[40..<44]) == [0xFF, 0xFF, 0xFF, 0xFF],
                "a header written before the length is known has the largest sizes")
        let reader = try WAVReader(path: path)
        #expect(reader.frameCount == bytes.count - 44)
        let expected = expectedCapture(startFrame: 0, frames: reader.frameCount, frameBytes: 1)
        #expect(zip(try WAVTests.readAll(reader), expected).filter { $0 != $1 }.count == 0)

        // Through a pipe the player cannot measure the file: it reads to the end.
        let played = try await ToolShell.run(#"cat "\#(path)" | "$alsa_play" -D sim -"#)
        #expect(played.status == 0, "\(played.errors)")
        #expect(played.errors.contains("played \(reader.frameCount) frames") && played.errors.contains("(match)"), "\(played.errors)")
    }

    @Test("alsa-record - > x.wav (after other output, or appending): the header is patched where the WAV begins, or written sized")
    func recordToRedirectedFile() async throws {
        let path = WAVTests.temporary("redirect")
        defer { unlink(path) }
        for (command, note) in [(#"{ printf abc; "$alsa_record" -D sim -f u8 -r 8000 -c 1 -d 0.1 -q -; } > "\#(path)""#, "patched in place"),
                                (#"printf abc > "\#(path)"; "$alsa_record" -D sim -f u8 -r 8000 -c 1 -d 0.1 -q - >> "\#(path)""#, "appended")] {
            let result = try await ToolShell.run(command)
            #expect(result.status == 0 && result.errors.isEmpty, "\(note): \(result.errors)")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            try #require(bytes.count == 3 + 44 + 800, "\(note): \(bytes.count) bytes")
            #expect(Array(bytes[0..<3]) == Array("abc".utf8), "\(note)")
            #expect(Array(bytes[3..<7]) == Array("RIFF".utf8) && Array(bytes[43..<47]) == [0x20, 0x03, 0, 0], "\(note): 800 data bytes")
            let expected = expectedCapture(startFrame: 0, frames: 800, frameBytes: 1)
            #expect(zip(bytes[47...], expected).filter { $0 != $1 }.count == 0, "\(note)")
        }
    }

    @Test("defect: alsa-tone -o - wrote a 4 GiB header although the length was known; now the real length")
    func toneToPipe() async throws {
        let path = WAVTests.temporary("tone-pipe")
        defer { unlink(path) }
        let result = try await ToolShell.run(#""$alsa_tone" -q -r 8000 -c 1 --to 2000 -d 0.1 -o - | cat > "\#(path)""#)
        #expect(result.status == 0 && result.errors.isEmpty, "\(result.errors)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count == 44 + 1_600)
        #expect(Array(bytes[40..<44]) == [0x40, 0x06, 0, 0] && Array(bytes[4..<8]) == [0x64, 0x06, 0, 0], "1600 data bytes, 1636 in the RIFF")
        #expect(try WAVReader(path: path).frameCount == 800)
    }

    @Test("defect: a truncated WAV was refused from a file but played from standard input; now both play what is there and warn alike")
    func truncatedWAV() async throws {
        let sample = try Sample(frames: 4_000)
        defer { sample.remove() }
        // Cut the file short: the header still declares 4000 frames; 2500 and a half remain.
        let path = WAVTests.temporary("cut")
        defer { unlink(path) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sample.wav)))
        try Data(bytes[0..<(44 + 10_002)]).write(to: URL(fileURLWithPath: path))
        let warning = "is truncated: the data chunk declares 16000 bytes but holds 10002; played the 2500 whole frames there were"
        var received: [String] = []
        for command in [#""$alsa_play" -D sim "\#(path)""#, #""$alsa_play" -D sim - < "\#(path)""#, #"cat "\#(path)" | "$alsa_play" -D sim -"#,
                        #"cat "\#(path)" | "$alsa_play" -D sim -q -"#] {
            let result = try await ToolShell.run(command)
            #expect(result.status == 0 && result.output.isEmpty, "\(command): \(result.errors)")
            #expect(result.errors.contains(warning), "\(command): \(result.errors)")
            received += result.errors.split(separator: "\n").filter { $0.contains("simulated device:") }.map(String.init)
        }
        #expect(received.count == 3 && Set(received).count == 1, "the same frames reach the device: \(received)")
        #expect(received.first?.contains("2500 frames") == true && received.first?.contains("(match)") == true)
    }

    // MARK: - listings

    static let simulatedPlaybackDevices = """
        **** List of PLAYBACK Hardware Devices ****
        card 0: SimSync [Simulated explicit-sync card], device 0: Simulated [Simulated explicit-sync PCM]
          Subdevices: 1/1
          Subdevice #0: subdevice #0
        card 1: SimCoherent [Simulated coherent card], device 0: Simulated [Simulated coherent PCM]
          Subdevices: 1/1
          Subdevice #0: subdevice #0

        """

    @Test("-l lists hardware devices as aplay -l does, on standard output")
    func listDevices() async throws {
        let play = try await ToolShell.run(#""$alsa_play" -D sim -l"#)
        #expect(play.status == 0 && play.errors.isEmpty, "\(play.errors)")
        #expect(play.outputText == Self.simulatedPlaybackDevices)
        let record = try await ToolShell.run(#""$alsa_record" -D sim -l"#)
        #expect(record.outputText == Self.simulatedPlaybackDevices.replacingOccurrences(of: "PLAYBACK", with: "CAPTURE"))
        // This machine: its cards, or aplay's message on standard error when it has none.
        let here = try await ToolShell.run(#""$alsa_play" -l"#)
        #expect(here.status == 0)
        let cards = (try? String(contentsOfFile: "/proc/asound/cards", encoding: .utf8))?.contains { $0.isNumber } ?? false
        if cards {
            #expect(here.outputText.hasPrefix("**** List of PLAYBACK Hardware Devices ****\ncard "), "\(here.outputText)")
        } else {
            #expect(here.output.isEmpty && here.errors == "no soundcards found...\n", "\(here.errors)")
        }
    }

    @Test("-L lists PCM names as aplay -L does: alsa-lib's, or the simulated machine's")
    func listNames() async throws {
        let simulated = try await ToolShell.run(#""$alsa_play" -D sim -L"#)
        #expect(simulated.status == 0 && simulated.errors.isEmpty)
        #expect(simulated.outputText == """
            sim
                AlsaSwift simulated machine, default device
                The explicit-sync card, as sim:hw:0,0
            sim:hw:0,0
                Simulated explicit-sync card, Simulated explicit-sync PCM
                Direct hardware device
            sim:hw:1,0
                Simulated coherent card, Simulated coherent PCM
                Direct hardware device

            """)
        // alsa-lib's configuration defines `null` on every machine.
        for tool in ["alsa_play", "alsa_record"] {
            let names = try await ToolShell.run(#""$\#(tool)" -L"#)
            #expect(names.status == 0, "\(names.errors)")
            #expect(names.outputText.contains("null\n    Discard all samples (playback) or generate zero samples (capture)\n"), "\(names.outputText)")
        }
    }

    // MARK: - status, -v and -q

    @Test("status and -v go to standard error; with audio on standard output, stdout holds the audio only")
    func verboseOnStandardError() async throws {
        let sample = try Sample()
        defer { sample.remove() }
        let play = try await ToolShell.run(#""$alsa_play" -D sim -v --period 256 --buffer 1024 "\#(sample.wav)""#)
        #expect(play.status == 0, "\(play.errors)")
        #expect(play.output.isEmpty, "stdout: \(play.outputText)")
        for line in ["Its setup is:", "  stream           : PLAYBACK", "  access           : RW_INTERLEAVED", "  format           : S16_LE",
                     "  channels         : 2", "  rate             : 48000", "  period_size      : 256", "  buffer_size      : 1024",
                     "  periods          : 4", "  period_time      : 5333 us", "  avail_min        : 256", Self.received(sample)] {
            #expect(play.errors.contains(line + "\n"), "\(line) in \(play.errors)")
        }
        // Audio on stdout: exactly the frames asked for, with the setup on stderr.
        let record = try await ToolShell.run(#""$alsa_record" -D sim -v -t raw -f cd -d 0.2 -"#)
        #expect(record.status == 0, "\(record.errors)")
        #expect(record.output.count == 8_820 * 4)
        #expect(record.errors.contains("  stream           : CAPTURE\n") && record.errors.contains("  rate             : 44100\n"), "\(record.errors)")
        #expect(record.errors.contains("Recording raw data 'stdout'"), "\(record.errors)")
        let tone = try await ToolShell.run(#""$alsa_tone" -D sim -d 0.1 -v"#)
        #expect(tone.status == 0 && tone.output.isEmpty && tone.errors.contains("played 0:00.1"), "\(tone.errors)")
        #expect(tone.errors.contains("Its setup is:\n") && tone.errors.contains("  format           : FLOAT_LE\n"), "\(tone.errors)")
    }

    @Test("-q: nothing on either stream but the audio")
    func quiet() async throws {
        let sample = try Sample()
        defer { sample.remove() }
        let path = WAVTests.temporary("quiet")
        defer { unlink(path) }
        for command in [#""$alsa_play" -D sim -q "\#(sample.wav)""#, #""$alsa_record" -D sim -q -d 0.1 "\#(path)""#,
                        #"cat "\#(sample.raw)" | "$alsa_play" -D sim -q -t raw -f dat -"#, #""$alsa_tone" -D sim -q -d 0.1"#] {
            let result = try await ToolShell.run(command)
            #expect(result.status == 0 && result.output.isEmpty && result.errors.isEmpty, "\(command): \(result.outputText) \(result.errors)")
        }
        let audio = try await ToolShell.run(#""$alsa_record" -D sim -q -t raw -f u8 -r 8000 -c 1 -d 0.5 -"#)
        #expect(audio.status == 0 && audio.errors.isEmpty && audio.output.count == 4_000)
    }

    // MARK: - alsa-info -D with any name

    @Test("alsa-info -D takes any name: the simulated machine, one of its devices, an hw: name, an alsa-lib name")
    func infoAnyName() async throws {
        let machine = try await ToolShell.run(#""$alsa_info" -D sim"#)
        #expect(machine.status == 0, "\(machine.errors)")
        #expect(machine.outputText.contains("card 0: SimSync [Simulated explicit-sync card]") && machine.outputText.contains("card 1: SimCoherent"))
        let device = try await ToolShell.run(#""$alsa_info" -D sim:hw:1,0"#)
        #expect(device.status == 0 && device.outputText.hasPrefix("card 1: SimCoherent") && !device.outputText.contains("SimSync"), "\(device.outputText)")
        #expect(device.outputText.contains("explicit sync: no; status record: mapped"))
        let null = try await ToolShell.run(#""$alsa_info" -D null --json"#)
        #expect(null.status == 0, "\(null.errors)")
        let json = try JSONSerialization.jsonObject(with: Data(null.output)) as? [String: Any]
        let pcm = try #require(json?["pcm"] as? [String: Any])
        #expect(pcm["name"] as? String == "null")
        #expect((pcm["playback"] as? [String: Any])?["probe"] as? String == "available")
        #expect(((pcm["capture"] as? [String: Any])?["formats"] as? [String])?.contains("S16_LE") == true)
        let unknown = try await ToolShell.run(#""$alsa_info" -D no_such_pcm"#)
        #expect(unknown.status == 1 && unknown.output.isEmpty && unknown.errors.contains("no_such_pcm cannot be opened"), "\(unknown.errors)")
        let absurd = try await ToolShell.run(#""$alsa_info" -D hw:99999999999"#)
        #expect(absurd.status == 64 && absurd.output.isEmpty && absurd.errors.contains("out of range"), "\(absurd.errors)")
    }

    // MARK: - one simulated machine

    @Test("every tool's sim is the same machine: the same cards at the same numbers, card 0 the explicit-sync one")
    func oneSimulatedMachine() async throws {
        let sample = try Sample()
        defer { sample.remove() }
        // alsa-info's cards are the ones -l lists.
        let info = try await ToolShell.run(#""$alsa_info" -D sim --json"#)
        let json = try JSONSerialization.jsonObject(with: Data(info.output)) as? [String: Any]
        let cards = try #require(json?["cards"] as? [[String: Any]])
        let listed = cards.map { "card \($0["index"] as? Int ?? -1): \($0["id"] as? String ?? "")" }
        #expect(listed == ["card 0: SimSync", "card 1: SimCoherent"])
        for tool in ["alsa_play", "alsa_record"] {
            let lines = try await ToolShell.run(#""$\#(tool)" -D sim -l"#).outputText.split(separator: "\n").filter { $0.hasPrefix("card ") }
            #expect(lines.map { String($0.split(separator: " [")[0]) } == listed, "\(tool)")
        }
        let requires = cards.map { card in
            (((card["devices"] as? [[String: Any]])?.first?["playback"] as? [String: Any])?["explicitSync"] as? Bool)
        }
        #expect(requires == [true, false])
        // Each tool's sim plays on, and records from, card 0, which requires explicit sync; sim:hw:1,0 is the other card.
        let onCard0 = "on hw:0,0,0, device requires explicit sync"
        let commands = [#""$alsa_play" -D sim "\#(sample.wav)""#, #""$alsa_record" -D sim -t raw -d 0.1 - > /dev/null"#,
                        #""$alsa_tone" -D sim -d 0.1"#]
        for command in commands {
            let result = try await ToolShell.run(command)
            #expect(result.status == 0 && result.errors.contains(onCard0), "\(command): \(result.errors)")
        }
        let coherent = try await ToolShell.run(#""$alsa_play" -D sim:hw:1,0 "\#(sample.wav)""#)
        #expect(coherent.status == 0 && coherent.errors.contains("on hw:1,0,0, device does not require explicit sync"), "\(coherent.errors)")
        #expect(coherent.errors.contains(Self.received(sample)), "\(coherent.errors)")
        // The mixer is card 0's.
        let mixer = try await ToolShell.run(#""$alsa_mixer" -D sim get Master"#)
        #expect(mixer.status == 0 && mixer.outputText.hasPrefix("Simple mixer control 'Master'"), "\(mixer.errors)")
    }

    // MARK: - numbers and names from the command line

    @Test("numbers and names out of range are refused with a reason on standard error, status 64, and nothing on stdout",
          arguments: [
            (#""$alsa_play" -D sim -t raw -f cd -r 0 -"#, "--rate 0 is out of range (1 to 4294967295)"),
            (#""$alsa_play" -D sim -t raw -f cd --rate=-1 -"#, "--rate -1 is out of range"),
            (#""$alsa_record" -D sim -t raw -r 4294967296 -"#, "--rate 4294967296 is out of range"),
            (#""$alsa_play" -D sim -t raw -f cd -c 70000 -"#, "--channels 70000 is out of range (1 to 65535)"),
            (#""$alsa_record" -D sim -c 0 -"#, "--channels 0 is out of range"),
            (#""$alsa_play" -D sim -t raw -"#, "raw input (-t raw) needs -f FORMAT, -r RATE and -c CHANNELS"),
            (#""$alsa_play" -D sim -f cd x.wav"#, "-f, -r and -c describe raw input"),
            (#""$alsa_play" -D sim -t flac x.wav"#, "flac"),
            (#""$alsa_record" -D sim -f S16_BE -"#, "S16_BE"),
            (#""$alsa_record" -D sim -d 0 -"#, "--duration must be positive"),
            (#""$alsa_record" -D sim -d 1e15 -"#, "too long to count in frames"),
            (#""$alsa_record" -D sim -q -v -"#, "-q and -v contradict each other"),
            (#""$alsa_mixer" -D hw:99999999999 list"#, "out of range"),
          ])
    func refusals(command: String, reason: String) async throws {
        let result = try await ToolShell.run(command)
        #expect(result.status == 64, "\(command): \(result.errors)")
        #expect(result.output.isEmpty, "\(command): \(result.outputText)")
        #expect(result.errors.contains(reason), "\(command): \(result.errors)")
    }
}
