import CAlsa

/// A volume through alsa-lib's simple mixer (`snd_mixer_selem_*`), for names that are not a card
/// of their own: `default`, a softvol plugin's control, a sound server's mixer. For a card, the
/// kernel's elements (`CardControls.mainVolume`) give the same values without alsa-lib.
public final class AlsaLibVolume: VolumeControl {
    public let name: String
    /// Whether this is the playback or the capture volume of its element.
    public let direction: StreamDirection
    public let valueRange: ClosedRange<Int>
    public let gainRange: (minimum: Int, maximum: Int)?
    public let hasSwitch: Bool
    private let mixer: OpaquePointer
    private let element: OpaquePointer

    /// The simple mixer element `name` of `device`, or the main one: the first of
    /// `CardControls.playbackVolumeNames` (or capture names) present, else the first element with
    /// a volume in that direction.
    public init(device: String = "default", direction: StreamDirection = .playback, name: String? = nil) throws(AlsaError) {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        var opened: OpaquePointer?
        try LibraryCall.check(snd_mixer_open(&opened, 0), .simpleMixer)
        guard let mixer = opened else { throw AlsaError(.simpleMixer, .noMemory) }
        do throws(AlsaError) {
            try LibraryCall.check(snd_mixer_attach(mixer, device), .simpleMixer)
            try LibraryCall.check(snd_mixer_selem_register(mixer, nil, nil), .simpleMixer)
            try LibraryCall.check(snd_mixer_load(mixer), .simpleMixer)
            let capture = direction == .capture
            var candidates: [(name: String, element: OpaquePointer)] = []
            var next = snd_mixer_first_elem(mixer)
            while let element = next {
                let hasVolume = capture ? snd_mixer_selem_has_capture_volume(element) : snd_mixer_selem_has_playback_volume(element)
                if hasVolume != 0, snd_mixer_selem_get_index(element) == 0 {
                    candidates.append((String(cString: snd_mixer_selem_get_name(element)), element))
                }
                next = snd_mixer_elem_next(element)
            }
            let wanted = name.map { [$0] } ?? (capture ? CardControls.captureVolumeNames : CardControls.playbackVolumeNames)
            let chosen = wanted.lazy.compactMap { want in candidates.first { $0.name == want } }.first
                ?? (name == nil ? candidates.first : nil)
            guard let chosen else {
                throw AlsaError(.simpleMixer, .noSuchFileOrDirectory, context: "\(device): no \(name ?? "volume") for \(direction)")
            }
            self.name = chosen.name
            self.direction = direction
            self.mixer = mixer
            self.element = chosen.element
            var low = 0, high = 0
            try LibraryCall.check(capture ? snd_mixer_selem_get_capture_volume_range(chosen.element, &low, &high)
                                          : snd_mixer_selem_get_playback_volume_range(chosen.element, &low, &high), .simpleMixer)
            guard low <= high else { throw AlsaError(.simpleMixer, .badMessage, context: "range \(low)...\(high)") }
            valueRange = low...high
            var lowGain = 0, highGain = 0
            let hasScale = capture ? snd_mixer_selem_get_capture_dB_range(chosen.element, &lowGain, &highGain)
                                   : snd_mixer_selem_get_playback_dB_range(chosen.element, &lowGain, &highGain)
            gainRange = hasScale == 0 ? (lowGain, highGain) : nil
            hasSwitch = (capture ? snd_mixer_selem_has_capture_switch(chosen.element) : snd_mixer_selem_has_playback_switch(chosen.element)) != 0
        } catch {
            snd_mixer_close(mixer)
            throw error
        }
    }

    deinit { snd_mixer_close(mixer) }

    private var capture: Bool { direction == .capture }
    private static let firstChannel = SND_MIXER_SCHN_FRONT_LEFT

    /// Picks up changes made elsewhere since the last call.
    private func refresh() {
        _ = snd_mixer_handle_events(mixer)
    }

    public func value() throws(AlsaError) -> Int {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        refresh()
        var value = 0
        try LibraryCall.check(capture ? snd_mixer_selem_get_capture_volume(element, Self.firstChannel, &value)
                                      : snd_mixer_selem_get_playback_volume(element, Self.firstChannel, &value), .simpleMixer)
        return value
    }

    /// Sets every channel to a raw value within `valueRange`.
    public func setValue(_ value: Int) throws(AlsaError) {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        guard valueRange.contains(value) else {
            throw AlsaError(.simpleMixer, .invalidArgument, context: "\(value) outside \(valueRange)")
        }
        try LibraryCall.check(capture ? snd_mixer_selem_set_capture_volume_all(element, value)
                                      : snd_mixer_selem_set_playback_volume_all(element, value), .simpleMixer)
    }

    public func gain() throws(AlsaError) -> Int {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        refresh()
        var gain = 0
        try LibraryCall.check(capture ? snd_mixer_selem_get_capture_dB(element, Self.firstChannel, &gain)
                                      : snd_mixer_selem_get_playback_dB(element, Self.firstChannel, &gain), .simpleMixer)
        return gain
    }

    public func setGain(_ gain: Int, rounding: DecibelRounding) throws(AlsaError) {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        let direction: Int32 = switch rounding {
        case .down: -1
        case .nearest: 0
        case .up: 1
        }
        try LibraryCall.check(capture ? snd_mixer_selem_set_capture_dB_all(element, gain, direction)
                                      : snd_mixer_selem_set_playback_dB_all(element, gain, direction), .simpleMixer)
    }

    public func isMuted() throws(AlsaError) -> Bool {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        guard hasSwitch else { return false }
        refresh()
        var on: Int32 = 0
        try LibraryCall.check(capture ? snd_mixer_selem_get_capture_switch(element, Self.firstChannel, &on)
                                      : snd_mixer_selem_get_playback_switch(element, Self.firstChannel, &on), .simpleMixer)
        return on == 0
    }

    /// Turns every channel's switch off (muted) or on.
    public func setMuted(_ muted: Bool) throws(AlsaError) {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        guard hasSwitch else { throw AlsaError(.simpleMixer, .notSupported, context: "\(name) has no switch to mute with") }
        try LibraryCall.check(capture ? snd_mixer_selem_set_capture_switch_all(element, muted ? 0 : 1)
                                      : snd_mixer_selem_set_playback_switch_all(element, muted ? 0 : 1), .simpleMixer)
    }
}

/// One element of alsa-lib's simple mixer as alsa-lib groups it: what amixer lists. Used to check
/// that `CardControls` groups a card's elements the same way.
struct AlsaLibSimpleElement: Sendable, Equatable {
    var name: String
    var index: Int
    var hasPlaybackVolume: Bool
    var hasCaptureVolume: Bool
    var hasPlaybackSwitch: Bool
    var hasCaptureSwitch: Bool
    /// The capture "switch" is a capture source (one of several, chosen by an enumeration).
    var captureSwitchIsExclusive: Bool

    /// Every simple element of `device` ("hw:0"...), in alsa-lib's order.
    static func all(device: String) throws(AlsaError) -> [AlsaLibSimpleElement] {
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        var opened: OpaquePointer?
        try LibraryCall.check(snd_mixer_open(&opened, 0), .simpleMixer)
        guard let mixer = opened else { throw AlsaError(.simpleMixer, .noMemory) }
        defer { snd_mixer_close(mixer) }
        try LibraryCall.check(snd_mixer_attach(mixer, device), .simpleMixer)
        try LibraryCall.check(snd_mixer_selem_register(mixer, nil, nil), .simpleMixer)
        try LibraryCall.check(snd_mixer_load(mixer), .simpleMixer)
        var elements: [AlsaLibSimpleElement] = []
        var next = snd_mixer_first_elem(mixer)
        while let element = next {
            elements.append(AlsaLibSimpleElement(
                name: String(cString: snd_mixer_selem_get_name(element)), index: Int(snd_mixer_selem_get_index(element)),
                hasPlaybackVolume: snd_mixer_selem_has_playback_volume(element) != 0,
                hasCaptureVolume: snd_mixer_selem_has_capture_volume(element) != 0,
                hasPlaybackSwitch: snd_mixer_selem_has_playback_switch(element) != 0,
                hasCaptureSwitch: snd_mixer_selem_has_capture_switch(element) != 0,
                captureSwitchIsExclusive: snd_mixer_selem_has_capture_switch_exclusive(element) != 0))
            next = snd_mixer_elem_next(element)
        }
        return elements
    }
}
