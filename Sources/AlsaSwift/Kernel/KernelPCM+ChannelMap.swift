import SystemPackage

extension KernelPCM {
    /// The PCM's channel map control: interface PCM, "Playback Channel Map" or "Capture Channel
    /// Map", device = the PCM device, index = the substream (sound/core/pcm_lib.c,
    /// snd_pcm_add_chmap_ctls; alsa-lib looks it up the same way).
    var channelMapElementID: ControlElementID {
        ControlElementID(interface: .pcm, device: deviceInfo.device, name: Self.channelMapElementName(direction),
                         index: deviceInfo.subdevice)
    }

    static func channelMapElementName(_ direction: StreamDirection) -> String {
        direction == .playback ? "Playback Channel Map" : "Capture Channel Map"
    }

    /// The card's controls and the channel map element, or nil when the driver has none.
    private func channelMapControl() throws(AlsaError) -> (CardControls, ControlElement)? {
        let controls = try CardControls(card: deviceInfo.card, kernel: file.kernel)
        do {
            return (controls, try controls.element(channelMapElementID))
        } catch {
            if error.errno == .noSuchFileOrDirectory { return nil }
            throw error
        }
    }

    /// The channel maps the device offers (the control's TLV), in the driver's order; empty when
    /// the driver has no channel map control.
    public func channelMapOptions() throws(AlsaError) -> [ChannelMapOption] {
        guard let (controls, element) = try channelMapControl(), let words = try controls.tlv(of: element) else { return [] }
        return try ChannelMapOption.parse(tlv: words, element: element.id.name)
    }

    /// The channel map of the configured stream, as the driver reports it for its channel count;
    /// nil when the driver has no channel map control or none for this configuration (the
    /// kernel's EINVAL). Needs a configuration, as in alsa-lib.
    public func channelMap() throws(AlsaError) -> ChannelMap? {
        let setup = try requireSetup(.channelMap)
        guard let (controls, element) = try channelMapControl() else { return nil }
        let value: ControlValue
        do {
            value = try controls.value(of: element)
        } catch {
            if error.errno == .invalidArgument { return nil }
            throw error
        }
        guard case .integers(let raw) = value, raw.count >= setup.channelCount else {
            throw AlsaError(.channelMap, .badMessage, context: "\(element.id.name): \(value.count) values for \(setup.channelCount) channels")
        }
        return try ChannelMap(controlValues: raw.prefix(setup.channelCount), element: element.id.name)
    }

    /// Asks the driver to route the channels as `map` says. Setting the map already in effect
    /// succeeds without a write (as alsa-lib does); a map the device does not offer is refused
    /// before the driver sees it, and a driver whose map is fixed (a read-only control) or absent
    /// refuses any change with ENXIO, alsa-lib's answer. The stream must be prepared.
    public func setChannelMap(_ map: ChannelMap) throws(AlsaError) {
        try ChannelMapRules.checkSettable(map, setup: try requireSetup(.channelMap), state: try state)
        if try channelMap() == map { return }
        guard let (controls, element) = try channelMapControl() else {
            throw AlsaError(.channelMap, .noSuchAddressOrDevice, context: "\(name) has no channel map control")
        }
        let options = try controls.tlv(of: element).map { (words) throws(AlsaError) in
            try ChannelMapOption.parse(tlv: words, element: element.id.name)
        } ?? []
        try ChannelMapRules.checkOffered(map, among: options)
        guard element.access.contains(.write) else {
            throw AlsaError(.channelMap, .noSuchAddressOrDevice, context: "the driver's channel map is fixed (its control is read-only)")
        }
        var values = map.positions.map { Int($0.rawValue) }
        values += Array(repeating: 0, count: max(element.count - values.count, 0))
        try controls.setValue(.integers(values), of: element)
    }
}

extension ChannelMap {
    /// A map from a CHMAP control's values, each range-checked into a position.
    init(controlValues values: ArraySlice<Int>, element: String) throws(AlsaError) {
        var positions: [ChannelPosition] = []
        for value in values {
            guard let raw = UInt32(exactly: value) else {
                throw AlsaError(.channelMap, .badMessage, context: "\(element): position \(value)")
            }
            positions.append(ChannelPosition(rawValue: raw))
        }
        self.init(positions)
    }
}
