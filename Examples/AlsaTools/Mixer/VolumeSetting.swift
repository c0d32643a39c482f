import AlsaSwift

/// One word of `alsa-mixer set`, in amixer's spelling: `50%`, `-6dB`, `+3dB` or `3dB+` (up),
/// `3dB-` (down), `27` (raw), `mute`, `unmute`, `toggle`, `on`, `off`, or an item name.
public enum VolumeSetting: Equatable, Sendable {
    public enum Amount: Equatable, Sendable {
        case percent(Double)
        case decibels(Double)
        case raw(Int)
    }
    /// An absolute amount, or a step up (+1) or down (-1) by it.
    case set(Amount, step: Int)
    case mute, unmute, toggle
    /// `on`/`off` for switches, or an enumerated element's item.
    case word(String)

    public static func parse(_ text: String) throws(ToolFailure) -> VolumeSetting {
        let lower = text.lowercased()
        switch lower {
        case "mute": return .mute
        case "unmute": return .unmute
        case "toggle": return .toggle
        default: break
        }
        var body = Substring(lower)
        var step = 0
        if body.hasSuffix("+") || body.hasSuffix("-") {
            step = body.last == "+" ? 1 : -1
            body = body.dropLast()
        } else if body.hasPrefix("+") {
            // `+3dB`: up by; a leading `-` is an absolute negative gain, as amixer reads `-6dB`.
            step = 1
            body = body.dropFirst()
        }
        if body.hasSuffix("db"), let value = Double(body.dropLast(2)), value.isFinite {
            return .set(.decibels(value), step: step)
        }
        if body.hasSuffix("%"), let value = Double(body.dropLast()), value.isFinite, (0...100).contains(value) {
            return .set(.percent(value), step: step)
        }
        if body.hasSuffix("db") || body.hasSuffix("%") {
            throw ToolFailure("not a volume: \(text) (percentages run 0-100%, gains read like -6dB)")
        }
        if let value = Int(body) {
            guard step == 0 || value >= 0 else { throw ToolFailure("a step takes a positive amount: \(text)") }
            return .set(.raw(value), step: step)
        }
        guard step == 0, !lower.isEmpty else { throw ToolFailure("not a volume: \(text) (try 50%, -6dB, 3dB+, mute, toggle)") }
        return .word(text)
    }
}

/// Applies settings to a simple volume, as amixer's `sset` does.
public enum VolumeAdjuster {
    /// `mapped`: percentages on alsamixer's perceptual scale (amixer -M) instead of the raw range.
    public static func apply(_ setting: VolumeSetting, to volume: any VolumeControl, mapped: Bool) throws {
        switch setting {
        case .mute: try volume.setMuted(true)
        case .unmute: try volume.setMuted(false)
        case .toggle: try volume.setMuted(!(try volume.isMuted()))
        case .word(let word):
            switch word.lowercased() {
            case "on": try volume.setMuted(false)
            case "off": try volume.setMuted(true)
            default: throw ToolFailure("\(volume.name) is a volume; \(word) is not a volume setting")
            }
        case .set(.percent(let percent), let step):
            if mapped {
                let target = step == 0 ? percent / 100 : try volume.perceptualVolume() + Double(step) * percent / 100
                try volume.setPerceptualVolume(target, rounding: rounding(step))
            } else {
                let range = volume.valueRange
                let span = Double(range.upperBound - range.lowerBound)
                let delta = Int((percent / 100 * span).rounded())
                let target = step == 0 ? range.lowerBound + delta : try volume.value() + step * max(delta, 1)
                try volume.setValue(min(max(target, range.lowerBound), range.upperBound))
            }
        case .set(.decibels(let decibels), let step):
            guard let range = volume.gainRange else { throw ToolFailure("\(volume.name) has no dB scale") }
            var target = Int((decibels * 100).rounded())
            if step != 0 {
                let current = try volume.gain()
                // From silence, a step up starts at the lowest audible gain.
                let base = current <= DecibelScale.muteGain ? range.minimum : current
                target = max(base, DecibelScale.muteGain + 1) + step * target
            }
            try volume.setGain(target, rounding: rounding(step))
        case .set(.raw(let value), let step):
            let range = volume.valueRange
            let target = step == 0 ? value : try volume.value() + step * value
            try volume.setValue(min(max(target, range.lowerBound), range.upperBound))
        }
    }

    /// Steps round away from where they started, so a step always moves (alsamixer's rule).
    private static func rounding(_ step: Int) -> DecibelRounding {
        step > 0 ? .up : step < 0 ? .down : .nearest
    }
}
