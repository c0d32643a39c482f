// How the value types an app prints read: one line each, in the terms of this library's API.

extension HardwareRequest: CustomStringConvertible {
    public var description: String {
        var text = "\(access) \(format) \(channelCount)ch \(sampleRate) Hz"
        if let periodSize { text += ", period \(periodSize) frames" }
        if let periodCount { text += " x \(periodCount)" }
        if let bufferSize { text += ", buffer \(bufferSize) frames" }
        return text
    }
}

extension HardwareCapabilities: CustomStringConvertible {
    public var description: String {
        "\(formats.map(\.name).joined(separator: "|")), \(Self.range(channelCount)) channels, \(Self.range(sampleRate)) Hz, "
            + "\(accessTypes.map(\.description).joined(separator: "|")), period \(Self.range(periodSize)) frames, "
            + "buffer \(Self.range(bufferSize)) frames, info \(info)"
    }

    private static func range(_ values: ClosedRange<Int>) -> String {
        values.lowerBound == values.upperBound ? "\(values.lowerBound)" : "\(values.lowerBound)-\(values.upperBound)"
    }
}

extension SoftwareParameters: CustomStringConvertible {
    public var description: String {
        "avail_min \(availMin), start at \(startThreshold), stop at \(stopThreshold), boundary \(boundary)"
            + (timestampsEnabled ? ", timestamps \(timestampType)" : "")
    }
}

extension StreamRequest: CustomStringConvertible {
    public var description: String {
        var text = "\(channelCount)ch \(sampleRate) Hz, latency \(latency), \(periodCount) periods, formats \(formats.map(\.name).joined(separator: "|"))"
        if preferMmap { text += ", mmap preferred" }
        if !mayAdapt.isEmpty {
            text += ", may adapt " + StreamAdaptation.Parameter.allCases.filter(mayAdapt.contains).map(\.description).joined(separator: " and ")
        }
        return text
    }
}

extension PCMStatus: CustomStringConvertible {
    public var description: String {
        "\(state), hw_ptr \(hwPtr), appl_ptr \(applPtr), avail \(avail), delay \(delay), at \(timestamp)"
    }
}

extension PCMDeviceInfo: CustomStringConvertible {
    public var description: String {
        "hw:\(card),\(device),\(subdevice) \(direction) \"\(name)\" (\(subdevicesAvailable) of \(subdeviceCount) subdevices free)"
    }
}

extension SoundCard: CustomStringConvertible {
    public var description: String { "card \(index) [\(id)]: \(driver) - \(name)" }
}

/// A hint's `description` is alsa-lib's own text for the name.
extension PCMNameHint: CustomStringConvertible {}

extension TimestampType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .realtime: "realtime"
        case .monotonic: "monotonic"
        case .monotonicRaw: "monotonic raw"
        }
    }
}

extension RecoveryPolicy: CustomStringConvertible {
    public var description: String { self == .report ? "report" : "automatic" }
}

extension ControlChanges: CustomStringConvertible {
    /// The changes by name, in the kernel's order: `value`, `value, info`, `removed`; `none` when empty.
    public var description: String {
        let names: [(ControlChanges, String)] = [(.value, "value"), (.info, "info"), (.added, "added"), (.tlv, "TLV"), (.removed, "removed")]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: ", ")
    }
}

extension ControlEvent: CustomStringConvertible {
    /// The element in amixer's form, then what changed: `numid=3,iface=MIXER,name='Master Playback Volume': value`.
    public var description: String { "\(element): \(changes)" }
}

extension ControlInterface: CustomStringConvertible {
    /// amixer's spelling: `MIXER`, `PCM`, `CARD`.
    public var description: String { name }
}

extension ControlAccess: CustomStringConvertible {
    /// The flags by name: `read, write, TLV read`; `none` when empty.
    public var description: String {
        let names: [(ControlAccess, String)] = [(.read, "read"), (.write, "write"), (.volatile, "volatile"), (.tlvRead, "TLV read"),
                                               (.tlvWrite, "TLV write"), (.inactive, "inactive"), (.locked, "locked")]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: ", ")
    }
}

extension DeviceChange: CustomStringConvertible {
    /// `card 1 added`, `playback PCM hw:1,0 removed`.
    public var description: String {
        switch self {
        case .cardAdded(let card): "card \(card) added"
        case .cardRemoved(let card): "card \(card) removed"
        case .pcmAdded(let card, let device, let direction): "\(direction) PCM hw:\(card),\(device) added"
        case .pcmRemoved(let card, let device, let direction): "\(direction) PCM hw:\(card),\(device) removed"
        }
    }
}

extension InterleavedAudioBuffer: CustomStringConvertible {
    /// Its shape, not its samples: `2 channels x 480 frames, interleaved`.
    public var description: String { "\(channelCount) channels x \(frameCount) frames, interleaved" }
}

extension NonInterleavedAudioBuffer: CustomStringConvertible {
    /// Its shape, not its samples: `2 channels x 480 frames, non-interleaved`.
    public var description: String { "\(channelCount) channels x \(frameCount) frames, non-interleaved" }
}
