/// A volume made of a card's elements, grouped as alsa-lib's simple mixer groups them: "<name>
/// Playback Volume" (or the "<name> Volume" it counts for both directions) and the matching switch.
public final class CardVolume: VolumeControl {
    public let name: String
    /// The volume element.
    public let volume: ControlElement
    /// The switch element that mutes it, if the card has one.
    public let muteSwitch: ControlElement?
    /// The volume element's dB scale, if its TLV gives one.
    public let scale: DecibelScale?
    public let valueRange: ClosedRange<Int>
    public let gainRange: (minimum: Int, maximum: Int)?
    private let controls: CardControls

    init(name: String, volume: ControlElement, muteSwitch: ControlElement?, controls: CardControls) throws(AlsaError) {
        guard let range = volume.integerRange else {
            throw AlsaError(.controlElementInfo, .invalidArgument, context: "\(volume.id.name) is not an integer element")
        }
        self.name = name
        self.volume = volume
        self.muteSwitch = muteSwitch
        self.controls = controls
        valueRange = range
        scale = try controls.decibelScale(of: volume)
        gainRange = try scale?.gainRange(over: range)
    }

    public var hasSwitch: Bool { muteSwitch != nil }

    public func value() throws(AlsaError) -> Int {
        guard case .integers(let values) = try controls.value(of: volume), let first = values.first else {
            throw AlsaError(.controlElementRead, .badMessage, context: "\(volume.id.name) has no value")
        }
        return first
    }

    /// Sets every channel to a raw value.
    public func setValue(_ value: Int) throws(AlsaError) {
        try controls.setValue(.integers(Array(repeating: value, count: volume.count)), of: volume)
    }

    public func gain() throws(AlsaError) -> Int {
        guard let scale else { throw noScale() }
        return try scale.gain(ofValue: try value(), range: valueRange)
    }

    public func setGain(_ gain: Int, rounding: DecibelRounding) throws(AlsaError) {
        guard let scale else { throw noScale() }
        try setValue(try scale.value(forGain: gain, range: valueRange, rounding: rounding))
    }

    public func isMuted() throws(AlsaError) -> Bool {
        guard let muteSwitch else { return false }
        guard case .booleans(let on) = try controls.value(of: muteSwitch) else {
            throw AlsaError(.controlElementRead, .badMessage, context: "\(muteSwitch.id.name) is not a switch")
        }
        return !on.contains(true)
    }

    /// Turns every channel's switch off (muted) or on; fails when there is no switch.
    public func setMuted(_ muted: Bool) throws(AlsaError) {
        guard let muteSwitch else {
            throw AlsaError(.controlElementWrite, .notSupported, context: "\(name) has no switch to mute with")
        }
        try controls.setValue(.booleans(Array(repeating: !muted, count: muteSwitch.count)), of: muteSwitch)
    }

    private func noScale() -> AlsaError {
        AlsaError(.decibelConversion, .notSupported, context: "\(volume.id.name) has no dB scale")
    }
}

extension CardControls {
    /// The names preferred for the main volume, first found wins: what alsa-lib-based mixers and
    /// desktop sound servers treat as the card's output and input level.
    public static let playbackVolumeNames = ["Master", "PCM", "Speaker", "Headphone", "Front", "Line Out"]
    /// The names tried for the main capture volume, first found wins.
    public static let captureVolumeNames = ["Capture", "Mic", "Internal Mic", "Line", "ADC"]

    /// The card's main playback or capture volume; nil when it has none. The card's elements are
    /// grouped as alsa-lib's simple mixer groups them (a volume and its switch under one name);
    /// of the groups with a volume in `direction`, the first of the preferred names is taken, else
    /// the first in the card's order.
    public func mainVolume(_ direction: StreamDirection) throws(AlsaError) -> CardVolume? {
        let candidates = try SimpleMixerGroup.groups(of: elements()).filter { $0.index == 0 && $0.volume(direction) != nil }
        let preferred = direction == .playback ? Self.playbackVolumeNames : Self.captureVolumeNames
        let chosen = preferred.lazy.compactMap { name in candidates.first { $0.name == name } }.first ?? candidates.first
        guard let chosen else { return nil }
        return try volume(of: chosen, direction)
    }

    /// A volume by its simple mixer name ("Master", "Mic"…) for one direction; nil when the card
    /// has no such name, or none with a volume in that direction.
    public func volume(named name: String, _ direction: StreamDirection = .playback) throws(AlsaError) -> CardVolume? {
        let group = try SimpleMixerGroup.groups(of: elements()).first { $0.name == name && $0.index == 0 && $0.volume(direction) != nil }
        guard let group else { return nil }
        return try volume(of: group, direction)
    }

    private func volume(of group: SimpleMixerGroup, _ direction: StreamDirection) throws(AlsaError) -> CardVolume? {
        guard let volume = group.volume(direction) else { return nil }
        return try CardVolume(name: group.name, volume: volume, muteSwitch: group.muteSwitch(direction), controls: self)
    }
}
