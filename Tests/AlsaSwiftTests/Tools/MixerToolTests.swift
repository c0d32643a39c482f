import AlsaSimulation
import ArgumentParser
import Foundation
import Testing
@testable import AlsaSwift
@testable import AlsaTools

@Suite("alsa-mixer", .scaledTimeLimit(minutes: 1))
struct MixerToolTests {
    @Test("settings are read with amixer's spelling; bad commands are refused")
    func parsing() throws {
        #expect(try VolumeSetting.parse("50%") == .set(.percent(50), step: 0))
        #expect(try VolumeSetting.parse("-6dB") == .set(.decibels(-6), step: 0))
        #expect(try VolumeSetting.parse("+3dB") == .set(.decibels(3), step: 1))
        #expect(try VolumeSetting.parse("3dB+") == .set(.decibels(3), step: 1))
        #expect(try VolumeSetting.parse("1.5dB-") == .set(.decibels(1.5), step: -1))
        #expect(try VolumeSetting.parse("5%+") == .set(.percent(5), step: 1))
        #expect(try VolumeSetting.parse("27") == .set(.raw(27), step: 0))
        #expect(try VolumeSetting.parse("MUTE") == .mute && VolumeSetting.parse("toggle") == .toggle)
        #expect(try VolumeSetting.parse("Line") == .word("Line"))
        for bad in ["150%", "nandB", "-3+", "", "x%+"] {
            #expect(throws: ToolFailure.self, "\(bad)") { try VolumeSetting.parse(bad) }
        }
        let set = try AlsaMixer.parse(["-c", "1", "set", "Master", "-6dB", "unmute"])
        #expect(set.card == 1 && set.words == ["set", "Master", "-6dB", "unmute"])
        for bad in [["frobnicate"], ["get"], ["set", "Master"], ["set", "Master", "150%"], ["-c", "0", "-D", "hw:0"],
                    ["list", "extra"], ["--count", "0", "monitor"]] {
            #expect(throws: (any Error).self, "\(bad)") { _ = try AlsaMixer.parseAsRoot(bad) }
        }
    }

    static func run(_ kernel: SimulatedKernel, _ arguments: [String]) async throws -> String {
        try await AlsaMixer.parse(arguments).output(.card(0, kernel))
    }

    @Test("set and get a simple volume: dB, steps, percent, mute and toggle reach the card")
    func simpleVolume() async throws {
        let kernel = AlsaMixer.simulatedMachine()
        var text = try await Self.run(kernel, ["set", "Master", "-6dB"])
        #expect(kernel.control(named: "Master Playback Volume")?.values == [27, 27])
        #expect(text.contains("27 [87%] [-6.00dB] [on]"))
        _ = try await Self.run(kernel, ["set", "Master", "+3dB"])
        #expect(kernel.control(named: "Master Playback Volume")?.values == [29, 29])
        _ = try await Self.run(kernel, ["set", "Master", "3dB-"])
        #expect(kernel.control(named: "Master Playback Volume")?.values == [27, 27])
        _ = try await Self.run(kernel, ["set", "Master", "50%", "mute"])
        #expect(kernel.control(named: "Master Playback Volume")?.values == [16, 16])
        #expect(kernel.control(named: "Master Playback Switch")?.values == [0, 0])
        text = try await Self.run(kernel, ["set", "Master", "toggle"])
        #expect(kernel.control(named: "Master Playback Switch")?.values == [1, 1] && text.contains("[on]"))
        _ = try await Self.run(kernel, ["-M", "set", "Master", "100%"])
        #expect(kernel.control(named: "Master Playback Volume")?.values == [31, 31])
        _ = try await Self.run(kernel, ["--capture", "set", "Capture", "6dB", "unmute"])
        #expect(kernel.control(named: "Capture Volume")?.values == [4, 4] && kernel.control(named: "Capture Switch")?.values == [1, 1])
        let json = try await Self.run(kernel, ["--json", "get", "PCM"])
        let report = try JSONDecoder().decode(VolumeReport.self, from: Data(json.utf8))
        #expect(report.value == 23 && report.gain == 0 && report.gainMaximum == 1200 && report.muted == false)
        await #expect(throws: AlsaError.self) { try await Self.run(kernel, ["get", "Nonexistent"]) }
    }

    @Test("elements by full name; list as text and JSON with values and dB ranges")
    func elements() async throws {
        let kernel = AlsaMixer.simulatedMachine()
        _ = try await Self.run(kernel, ["set", "Capture Source", "line"])
        #expect(kernel.control(named: "Capture Source")?.values == [2, 2])
        _ = try await Self.run(kernel, ["set", "PCM Playback Volume", "-3dB"])
        #expect(kernel.control(named: "PCM Playback Volume")?.values == [21, 21])
        _ = try await Self.run(kernel, ["set", "PCM Playback Switch", "off"])
        #expect(kernel.control(named: "PCM Playback Switch")?.values == [0, 0])
        await #expect(throws: ToolFailure.self) { try await Self.run(kernel, ["set", "Capture Source", "Tape"]) }

        let text = try await Self.run(kernel, ["list"])
        #expect(text.contains("numid=1,iface=MIXER,name='Master Playback Volume'\n  ; type=INTEGER,access=rw---R-,values=2,min=0,max=31,step=1\n  : values=25,25\n  | dB range mute to 0.00dB, now -9.00dB,-9.00dB"))
        let reports = try JSONDecoder().decode([ElementReport].self, from: Data(try await Self.run(kernel, ["--json", "list"]).utf8))
        #expect(reports.count == 7)
        #expect(reports[2].name == "PCM Playback Volume" && reports[2].gainMinimum == -3450 && reports[2].gains == [-300, -300])
        #expect(reports[6].items == ["Mic", "CD", "Line"] && reports[6].values == ["Line", "Line"])
    }

    @Test("monitor prints changes made by another process as they happen")
    func monitor() async throws {
        let kernel = AlsaMixer.simulatedMachine()
        let changer = Task {
            // The simulated card, as the kernel, queues events only for files already subscribed:
            // change once the monitor listens, or both events are lost and it waits for ever.
            while kernel.controlSubscriberCount() == 0 { try await Task.sleep(for: .milliseconds(5)) }
            kernel.setControl(named: "PCM Playback Volume", values: [5, 5])
            kernel.removeControl(named: "Capture Source")
        }
        let json = try await Self.run(kernel, ["--json", "--count", "2", "monitor"])
        try await changer.value
        let lines = try JSONDecoder().decode([String].self, from: Data(json.utf8))
        #expect(lines == ["event VALUE: numid=3,iface=MIXER,name='PCM Playback Volume' values=5,5 [-27.00dB,-27.00dB]",
                          "event REMOVE: numid=7,iface=MIXER,name='Capture Source'"])
    }
}
