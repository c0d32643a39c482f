import AlsaSimulation
import ArgumentParser
import Foundation
import Synchronization
import Testing
@testable import AlsaSwift
@testable import AlsaTools

@Suite("alsa-mixer", .hangTimeLimit)
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
        #expect(try VolumeSetting.parse("0x10dB") == .set(.decibels(16), step: 0))  // strtod's hex, as amixer reads it
        #expect(try VolumeSetting.parse("21474836.47dB") == .set(.decibels(21_474_836.47), step: 0))
        #expect(try VolumeSetting.parse("9223372036854775807+") == .set(.raw(.max), step: 1))
        for bad in ["150%", "nandB", "-3+", "", "x%+", "-6dB-", "1e300dB", "21474836.48dB", "infdB", "9223372036854775808", "-9223372036854775809"] {
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
        try await AlsaMixer.parse(arguments).output(.card(0, kernel), emit: { _ in Issue.record("only monitor emits") })
    }

    /// What `monitor` emits, line by line, from whichever task emits it.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
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
    }

    @Test("defect: an unknown control gave 'CTL ELEM_INFO failed: No such file or directory' without its name; now errors name it")
    func unknownControl() async throws {
        let kernel = AlsaMixer.simulatedMachine()
        for arguments in [["get", "Nonexistent"], ["set", "Nonexistent", "50%"]] {
            let error = await #expect(throws: ToolFailure.self) { try await Self.run(kernel, arguments) }
            #expect(error?.description == "card 0 has no control named 'Nonexistent' (alsa-mixer list shows them all)")
        }
    }

    @Test("defect: enumerated controls printed a raw Swift dump in errors; now their item names, and items by number too")
    func enumeratedItems() async throws {
        let kernel = AlsaMixer.simulatedMachine()
        let wrongKind = await #expect(throws: ToolFailure.self) { try await Self.run(kernel, ["set", "Capture Source", "mute"]) }
        #expect(wrongKind?.description == "mute does not apply to Capture Source (enumerated: Mic, CD, Line)")
        let noItem = await #expect(throws: ToolFailure.self) { try await Self.run(kernel, ["set", "Capture Source", "Tape"]) }
        #expect(noItem?.description == "Capture Source has no item Tape: its items are Mic, CD, Line")
        let noNumber = await #expect(throws: ToolFailure.self) { try await Self.run(kernel, ["set", "Capture Source", "3"]) }
        #expect(noNumber?.description == "Capture Source has no item 3: its items are Mic, CD, Line, 0 to 2")
        _ = try await Self.run(kernel, ["set", "Capture Source", "1"])
        #expect(kernel.control(named: "Capture Source")?.values == [1, 1])
    }

    @Test("set on an element by full name applies every setting in turn; switches take 0 and 1")
    func elementSettingsInTurn() async throws {
        let kernel = AlsaMixer.simulatedMachine()
        _ = try await Self.run(kernel, ["set", "Master Playback Volume", "0", "3dB+"])
        #expect(kernel.control(named: "Master Playback Volume")?.values == [1, 1], "from silence, a step up starts at the lowest gain")
        _ = try await Self.run(kernel, ["set", "Master Playback Switch", "0"])
        #expect(kernel.control(named: "Master Playback Switch")?.values == [0, 0])
        await #expect(throws: ToolFailure.self) { try await Self.run(kernel, ["set", "Master Playback Switch", "2"]) }
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

    @Test("monitor prints changes made by another process as they happen: text lines, or one JSON object per line",
          arguments: [false, true])
    func monitor(json: Bool) async throws {
        let kernel = AlsaMixer.simulatedMachine()
        let changer = Task {
            // The simulated card, as the kernel, queues events only for files already subscribed:
            // change once the monitor listens, or both events are lost and it waits for ever.
            while kernel.controlSubscriberCount() == 0 { try await Task.sleep(for: .milliseconds(5)) }
            kernel.setControl(named: "PCM Playback Volume", values: [5, 5])
            kernel.removeControl(named: "Capture Source")
        }
        let lines = Lines()
        let printed = try await AlsaMixer.parse((json ? ["--json"] : []) + ["--count", "2", "monitor"])
            .output(.card(0, kernel), emit: { lines.append($0) })
        try await valuePassingCancellation(changer)
        let texts = ["event VALUE: numid=3,iface=MIXER,name='PCM Playback Volume' values=5,5 [-27.00dB,-27.00dB]",
                     "event REMOVE: numid=7,iface=MIXER,name='Capture Source'"]
        if json {
            #expect(printed.isEmpty, "JSON lines are all there is")
            let events = try lines.all.map { try JSONDecoder().decode(EventReport.self, from: Data($0.utf8)) }
            #expect(events.map(\.text) == texts)
            #expect(events.first?.changes == ["VALUE"] && events.first?.gains == [-2700, -2700] && events.last?.values == nil)
            #expect(lines.all.allSatisfy { !$0.contains("\n") })
        } else {
            #expect(lines.all == texts && printed == "2 events")
        }
    }
}
