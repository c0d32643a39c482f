/// A volume made of a card's elements: "<name> Playback Volume" (or the "<name> Volume" that
/// alsa-lib's simple mixer counts for both directions) and the matching switch.
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
    /// The names tried for the main volume, first found wins: what alsa-lib-based mixers and
    /// desktop sound servers treat as the card's output and input level.
    public static let playbackVolumeNames = ["Master", "PCM", "Speaker", "Headphone", "Front", "Line Out"]
    /// The names tried for the main capture volume, first found wins.
    public static let captureVolumeNames = ["Capture", "Mic", "Internal Mic", "Line", "ADC"]

    /// The card's main playback or capture volume; nil when it has none. Beyond the usual names,
    /// the first element with a playback (capture) volume in the card's order is taken.
    public func mainVolume(_ direction: StreamDirection) throws(AlsaError) -> CardVolume? {
        let elements = try elements().filter { $0.id.interface == .mixer }
        let suffix = " \(Self.word(direction)) Volume"
        let others = elements.compactMap { $0.id.name.hasSuffix(suffix) ? String($0.id.name.dropLast(suffix.count)) : nil }
        let preferred = direction == .playback ? Self.playbackVolumeNames : Self.captureVolumeNames
        for base in preferred + others {
            if let volume = try volume(named: base, direction, among: elements) { return volume }
        }
        return nil
    }

    /// A volume by its simple mixer name ("Master", "Mic"…) for one direction; nil when absent.
    public func volume(named base: String, _ direction: StreamDirection = .playback) throws(AlsaError) -> CardVolume? {
        try volume(named: base, direction, among: elements().filter { $0.id.interface == .mixer })
    }

    private func volume(named base: String, _ direction: StreamDirection, among elements: [ControlElement]) throws(AlsaError) -> CardVolume? {
        let word = Self.word(direction)
        // "Capture Volume" is the capture volume named "Capture", not a global "Capture".
        let volumeNames = base == word ? ["\(base) Volume"] : ["\(base) \(word) Volume", "\(base) Volume"]
        let switchNames = base == word ? ["\(base) Switch"] : ["\(base) \(word) Switch", "\(base) Switch"]
        let volume = volumeNames.lazy.compactMap { name in elements.first { $0.id.name == name && $0.integerRange != nil } }.first
        guard let volume else { return nil }
        let muteSwitch = switchNames.lazy.compactMap { name in elements.first { $0.id.name == name && $0.type == .boolean } }.first
        return try CardVolume(name: base, volume: volume, muteSwitch: muteSwitch, controls: self)
    }

    private static func word(_ direction: StreamDirection) -> String { direction == .playback ? "Playback" : "Capture" }
}
