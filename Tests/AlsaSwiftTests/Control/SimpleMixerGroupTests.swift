import AlsaSimulation
import Testing
@testable import AlsaSwift

/// Control names split and grouped as alsa-lib's simple mixer does (the rig compares whole cards
/// against alsa-lib itself: SimpleMixerIntegrationTests).
@Suite("Simple mixer grouping")
struct SimpleMixerGroupTests {
    @Test("a name's group and part")
    func split() {
        let cases: [(String, String, SimpleMixerGroup.Part)] = [
            ("Master Playback Volume", "Master", .playbackVolume), ("Master Playback Switch", "Master", .playbackSwitch),
            ("Mic Capture Switch", "Mic", .captureSwitch), ("Line Capture Volume", "Line", .captureVolume),
            ("Mic Volume", "Mic", .volume), ("Headphone Switch", "Headphone", .switch),
            // The capture parts of "Capture", not a shared volume named "Capture".
            ("Capture Volume", "Capture", .captureVolume), ("Capture Switch", "Capture", .captureSwitch),
            // A suffix after " -" is part of the name.
            ("3D Control - Switch", "3D Control - Switch", .single), ("Foo - Playback Switch", "Foo - Playback", .switch),
            ("External Amplifier", "External Amplifier", .single), ("Input Source", "Input Source", .other),
            ("PCM Playback Route", "PCM", .other), ("Mic Select Capture Enum", "Mic Select", .other),
        ]
        for (name, base, part) in cases {
            let got = SimpleMixerGroup.split(name)
            #expect(got.base == base && got.part == part, "\(name): \(got)")
        }
    }

    @Test("parts of one name form one group, whose volume and switch follow the simple mixer's rules")
    func groups() {
        func element(_ name: String, _ type: ControlElementType, index: Int = 0) -> ControlElement {
            ControlElement(id: ControlElementID(name: name, index: index), type: type, access: [.read, .write], count: 2)
        }
        let volume = ControlElementType.integer(minimum: 0, maximum: 31, step: 0)
        let groups = SimpleMixerGroup.groups(of: [
            element("Master Playback Volume", volume), element("Master Playback Switch", .boolean),
            element("Mic Volume", volume), element("Mic Capture Switch", .boolean),
            element("Line Volume", volume), element("Line Switch", .boolean),
            element("Aux Switch", .boolean), element("Aux Capture Switch", .boolean), element("Aux Volume", volume),
            element("Capture Volume", volume), element("Capture Switch", .boolean),
            element("Tone Control - Switch", .boolean), element("PCM Playback Volume", volume, index: 1),
            element("3D Control Sigmatel - Depth", ControlElementType.integer(minimum: 0, maximum: 3, step: 0)),
            // The wrong type for its part: not a volume.
            element("Beep Playback Volume", .boolean),
        ])
        #expect(groups.map(\.name) == ["Master", "Mic", "Line", "Aux", "Capture", "Tone", "PCM", "3D Control Sigmatel - Depth"])
        func group(_ name: String) -> SimpleMixerGroup? { groups.first { $0.name == name } }
        #expect(group("Master")?.volume(.playback)?.id.name == "Master Playback Volume" && group("Master")?.volume(.capture) == nil)
        #expect(group("Master")?.muteSwitch(.playback)?.id.name == "Master Playback Switch")
        // A shared volume serves both directions; its capture switch mutes capture only.
        #expect(group("Mic")?.volume(.capture)?.id.name == "Mic Volume" && group("Mic")?.volume(.playback)?.id.name == "Mic Volume")
        #expect(group("Mic")?.muteSwitch(.capture)?.id.name == "Mic Capture Switch" && group("Mic")?.muteSwitch(.playback) == nil)
        // A shared switch alone is a playback switch; beside a capture switch, none.
        #expect(group("Line")?.muteSwitch(.playback)?.id.name == "Line Switch" && group("Line")?.muteSwitch(.capture) == nil)
        #expect(group("Aux")?.muteSwitch(.playback) == nil && group("Aux")?.muteSwitch(.capture)?.id.name == "Aux Capture Switch")
        #expect(group("Capture")?.volume(.capture)?.id.name == "Capture Volume" && group("Capture")?.volume(.playback) == nil)
        #expect(group("Tone")?.muteSwitch(.playback)?.id.name == "Tone Control - Switch")
        #expect(group("PCM")?.index == 1 && group("Beep") == nil)
        // An integer with no part suffix: a playback volume only (amixer: "pvolume").
        let depth = group("3D Control Sigmatel - Depth")
        #expect(depth?.volume(.playback) != nil && depth?.volume(.capture) == nil)
    }
}
