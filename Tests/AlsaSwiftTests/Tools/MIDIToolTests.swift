import AlsaSimulation
import AlsaSwift
import ArgumentParser
import Foundation
import Synchronization
import Testing
@testable import AlsaTools

#if canImport(Glibc)
import Glibc
#endif

// In ToolTests (serialized): the tools stop on the process-wide Interruption flag, which
// ToolTests and StalledDeviceToolTests raise; run beside them, a tool here would stop too.
extension ToolTests {
    /// alsa-midi on the simulated machine (`-D sim`): raw MIDI hw:1,0 is cabled back into itself, the
    /// sequencer's Midi Through 14:0 passes on what it gets, so what the tool sends it also dumps.
    @Suite("alsa-midi on the simulated machine", .hangTimeLimit)
    struct MIDIToolTests {
        /// The lines the command prints, run in this process on `kernel`.
        private func run(_ arguments: [String], on kernel: SimulatedKernel = SimulatedMachine.makeWithMIDI()) async throws -> [String] {
            let command = try AlsaMIDI.parse(arguments)
            let lines = Mutex<[String]>([])
            try await command.perform(on: kernel) { line in lines.withLock { $0.append(line) } }
            return lines.withLock { $0 }
        }

        @Test("-l lists the raw MIDI devices and every sequencer client and port, as text and JSON")
        func listing() async throws {
            let text = try await run(["-D", "sim", "-l"]).joined(separator: "\n")
            #expect(text == """
                Dir Device    Name
                IO  hw:1,0    Simulated MIDI loop-back
                client 0: 'System' [type=kernel]
                    0 'Timer'
                    1 'Announce'
                client 14: 'Midi Through' [type=kernel]
                    0 'Midi Through Port-0'
                """)
            let json = try await run(["-D", "sim", "-l", "--json"]).joined()
            let listing = try JSONDecoder().decode(MIDIListing.self, from: Data(json.utf8))
            #expect(listing.rawMIDI.map(\.name) == ["hw:1,0"] && listing.sequencer.map(\.number) == [0, 14])
        }

        @Test("-S sends hex to raw MIDI and -d dumps it back typed, as text and JSON lines")
        func rawSendAndDump() async throws {
            let lines = try await run(["-D", "sim", "-p", "hw:1,0", "-S", "90 3C 7F 3E 40 F0 7E 7F F8 09 01 F7", "-d", "-c", "4"])
            #expect(lines == ["hw:1,0   Note on 0, note 60, velocity 127", "hw:1,0   Note on 0, note 62, velocity 64",
                              "hw:1,0   Clock", "hw:1,0   System exclusive F0 7E 7F 09 01 F7"],
                    "running status and a clock inside a SysEx come out as the messages they are")
            let json = try await run(["-D", "sim", "-p", "hw:1,0", "-S", "B10740", "-d", "-c", "1", "--json"])
            let line = try JSONDecoder().decode(MIDIDumpLine.self, from: Data(try #require(json.first).utf8))
            #expect(line.event == "controlChange" && line.channel == 1 && line.controller == 7 && line.value == 64 && line.source == "hw:1,0")
        }

        @Test("--note sends a test note; the sequencer's Midi Through passes -S bytes on to the dump")
        func noteAndSequencer() async throws {
            let raw = try await run(["-D", "sim", "-p", "hw:1,0", "--note", "-d", "-c", "2"])
            #expect(raw == ["hw:1,0   Note on 0, note 60, velocity 100", "hw:1,0   Note off 0, note 60, velocity 0"])
            let lines = try await run(["-D", "sim", "-p", "Midi Through", "-S", "C0 05", "-d", "-c", "1", "--json"])
            let line = try JSONDecoder().decode(MIDIDumpLine.self, from: Data(try #require(lines.first).utf8))
            #expect(line.event == "programChange" && line.program == 5 && line.source == "14:0")
        }

        @Test("--connect and --disconnect join and part two other clients' ports, as aconnect does")
        func connections() async throws {
            let kernel = SimulatedMachine.makeWithMIDI()
            let synth = try Sequencer(name: "Synth", kernel: kernel)
            let input = try synth.createPort(name: "in", capabilities: .input)
            _ = try await run(["--connect", "14:0", "Synth:0"], on: kernel)
            #expect(try synth.port(input).connectedFrom == [.midiThrough])
            let listed = try await run(["-l"], on: kernel).joined(separator: "\n")
            #expect(listed.contains("\tConnecting To: \(input)") && listed.contains("\tConnected From: 14:0"), "\(listed)")
            _ = try await run(["--disconnect", "Midi Through:0", "\(input)"], on: kernel)
            #expect(try synth.port(input).connectedFrom.isEmpty)
            await #expect(throws: AlsaError.self) { _ = try await run(["--disconnect", "14:0", "Synth:0"], on: kernel) }
        }

        @Test("bad command lines are refused with a reason", arguments: [
            [], ["-D", "hw:0", "-l"], ["-S", "90"], ["-p", "hw:1,0", "-S", "9"], ["-p", "hw:1,0", "-S", "zz"], ["-p", "hw:x,y", "-d"],
            ["-p", "", "-d"], ["--connect", "14:0"], ["--disconnect", "1", "2", "3"], ["-p", "14:0", "-d", "-t", "0"],
            ["-p", "14:0", "-d", "-t", "nan"], ["-p", "14:0", "-d", "-c", "0"], ["-l", "-c", "3"],
        ])
        func refused(arguments: [String]) {
            #expect(throws: (any Error).self) { try AlsaMIDI.parse(arguments) }
        }

        @Test("sending an incomplete message to a sequencer port, or to a missing port, is a failure with a reason")
        func failures() async throws {
            await #expect(throws: ToolFailure.self) { _ = try await run(["-D", "sim", "-p", "14:0", "-S", "90 3C"]) }
            await #expect(throws: AlsaError.self) { _ = try await run(["-D", "sim", "-p", "hw:1,5", "-S", "F8"]) }
            await #expect(throws: AlsaError.self) { _ = try await run(["-D", "sim", "-p", "Nobody:0", "-d"]) }
        }

        @Test("the built alsa-midi prints each message as it comes, and Ctrl-C ends its dump with 130")
        func interrupted() async throws {
            let path = WAVTests.temporary("midi-dump")
            let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            try #require(output >= 0)
            defer { unlink(path) }
            // The loop-back echoes the note; then the dump waits, as on a quiet keyboard.
            let process = try SignalTests.Child("alsa-midi", ["-D", "sim", "-p", "hw:1,0", "-S", "90 3C 7F", "-d", "--json"], output: output)
            close(output)
            await SignalTests.waitUntilHandling(process)
            let printed = try await SignalTests.firstLines(of: process, in: path)
            let line = try JSONDecoder().decode(MIDIDumpLine.self, from: Data(printed.utf8))
            #expect(line.event == "noteOn" && line.note == 60 && line.velocity == 127)
            #expect(await SignalTests.interrupt(process, with: SIGINT) != nil, "alsa-midi -d did not end within \(SignalTests.bound)")
            #expect(process.exitStatus == 130)
        }
    }
}
