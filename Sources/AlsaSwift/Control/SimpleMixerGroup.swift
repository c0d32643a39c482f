/// A card's mixer elements grouped as alsa-lib's simple mixer groups them for amixer and
/// alsamixer: by the name left once the part's suffix is taken off, and the index. "Master
/// Playback Volume" and "Master Playback Switch" are the two parts of "Master"; "Mic Volume" alone
/// is a volume for both directions; "Capture Volume" and "Capture Switch" are the capture parts of
/// "Capture". The rules follow alsa-lib's "none" abstraction, which is what `hw:` cards get.
struct SimpleMixerGroup: Equatable {
    /// What an element is to its group.
    enum Part: Equatable, Hashable {
        case playbackVolume, playbackSwitch, captureVolume, captureSwitch
        /// "<name> Volume" / "<name> Switch": both directions at once.
        case volume, `switch`
        /// A name with no part suffix: an integer is a playback volume, a boolean a playback switch.
        case single
        /// Routes, enumerations and capture sources: members of the group, never its volume or mute.
        case other
    }

    let name: String
    let index: Int
    private(set) var parts: [Part: ControlElement] = [:]

    /// The element that is the group's volume in `direction`, if any: the direction's own, else
    /// the shared one, else (playback only) an integer single element. alsa-lib 1.2.8 shows such an
    /// element ("3D Control Sigmatel - Depth" on the rig's AC97) as a playback volume only:
    /// amixer's "Capabilities: pvolume".
    func volume(_ direction: StreamDirection) -> ControlElement? {
        let own = parts[direction == .playback ? .playbackVolume : .captureVolume]
        let single = direction == .playback ? parts[.single].flatMap { Self.isInteger($0) ? $0 : nil } : nil
        return own ?? parts[.volume] ?? single
    }

    /// The element that mutes the group in `direction`, if any. As in alsa-lib, a shared
    /// "<name> Switch" (or a boolean single element) is a playback switch, and only when the group
    /// has no directional switch: beside a capture switch it is no playback switch at all.
    func muteSwitch(_ direction: StreamDirection) -> ControlElement? {
        if direction == .capture { return parts[.captureSwitch] }
        if let own = parts[.playbackSwitch] { return own }
        guard parts[.captureSwitch] == nil else { return nil }
        return parts[.switch] ?? parts[.single].flatMap { $0.type == .boolean ? $0 : nil }
    }

    /// The mixer elements' groups, in the order their first element comes in `elements`. Elements
    /// of other interfaces, and parts of the wrong type (an enumerated "Switch"), are left out.
    static func groups(of elements: [ControlElement]) -> [SimpleMixerGroup] {
        var groups: [SimpleMixerGroup] = []
        for element in elements where element.id.interface == .mixer {
            let (base, part) = split(element.id.name)
            guard fits(element, part) else { continue }
            let name = shortNames[base] ?? base
            if let at = groups.firstIndex(where: { $0.name == name && $0.index == element.id.index }) {
                // A second element for the same part (alsa-lib refuses it too) keeps the first.
                if groups[at].parts[part] == nil { groups[at].parts[part] = element }
            } else {
                var group = SimpleMixerGroup(name: name, index: element.id.index)
                group.parts[part] = element
                groups.append(group)
            }
        }
        return groups
    }

    /// The group name and part of a control name.
    static func split(_ name: String) -> (base: String, part: Part) {
        for (suffix, part) in suffixes where name.count > suffix.count && name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            // "3D Control - Switch" is one element of its own, not the switch of "3D Control -".
            if base.hasSuffix("-") { continue }
            // "Capture Volume" / "Capture Switch": the capture parts of "Capture".
            if base == "Capture" && part == .volume { return (base, .captureVolume) }
            if base == "Capture" && part == .switch { return (base, .captureSwitch) }
            return (base, part)
        }
        // A driver's workaround for several capture sources, taken as a capture route.
        if name == "Input Source" { return (name, .other) }
        return (name, .single)
    }

    /// Suffixes in the order they are tried: directional ones before the shared ones they end with.
    private static let suffixes: [(String, Part)] = [
        (" Playback Enum", .other), (" Playback Switch", .playbackSwitch), (" Playback Route", .other),
        (" Playback Volume", .playbackVolume), (" Capture Enum", .other), (" Capture Switch", .captureSwitch),
        (" Capture Route", .other), (" Capture Volume", .captureVolume), (" Enum", .other), (" Switch", .switch),
        (" Route", .other), (" Volume", .volume),
    ]

    /// Old tone-control names that the simple mixer shows under a short one.
    private static let shortNames = [
        "Tone Control - Switch": "Tone", "Tone Control - Bass": "Bass", "Tone Control - Treble": "Treble",
        "Synth Tone Control - Switch": "Synth Tone", "Synth Tone Control - Bass": "Synth Bass",
        "Synth Tone Control - Treble": "Synth Treble",
    ]

    /// Whether the element's type suits its part: volumes are integers, switches booleans.
    private static func fits(_ element: ControlElement, _ part: Part) -> Bool {
        switch part {
        case .playbackVolume, .captureVolume, .volume: isInteger(element)
        case .playbackSwitch, .captureSwitch, .switch: element.type == .boolean
        case .single: isInteger(element) || element.type == .boolean
        case .other: true
        }
    }

    /// A 32-bit integer element: the only kind the simple mixer takes for a volume.
    private static func isInteger(_ element: ControlElement) -> Bool {
        if case .integer = element.type { return true }
        return false
    }
}
