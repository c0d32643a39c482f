import AlsaSwift

/// One word of `alsa-mixer set`, in amixer's spelling: `50%`, `-6dB`, `+3dB` or `3dB+` (up),
/// `3dB-` (down), `27` (raw), `mute`, `unmute`, `toggle`, `on`, `off`, or an item name.
package enum VolumeSetting: Equatable, Sendable {
    package enum Amount: Equatable, Sendable {
        case percent(Double)
        case decibels(Double)
        case raw(Int)
    }
    /// An absolute amount, or a step up (+1) or down (-1) by it.
    case set(Amount, step: Int)
    case mute, unmute, toggle
    /// `on`/`off` for switches, or an enumerated element's item.
    case word(String)

    /// The gains a setting may name, in hundredths of a dB: ALSA's dB values are 32-bit counts of
    /// hundredths (TLV data, alsa-lib's `long`s), so no control has a gain beyond them.
    package static let gains = Int(Int32.min)...Int(Int32.max)

    package static func parse(_ text: String) throws(ToolFailure) -> VolumeSetting {
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
            // Compared as a Double: hundredths beyond an Int would trap in the conversion.
            guard (Double(gains.lowerBound)...Double(gains.upperBound)).contains((value * 100).rounded()) else {
                throw ToolFailure("not a volume: \(text) (gains lie within -21474836.48dB and 21474836.47dB, what ALSA's dB values hold)")
            }
            guard step == 0 || value >= 0 else { throw ToolFailure("a step takes a positive amount: \(text)") }
            return .set(.decibels(value), step: step)
        }
        if body.hasSuffix("%"), let value = Double(body.dropLast()), value.isFinite, (0...100).contains(value) {
            return .set(.percent(value), step: step)
        }
        if body.hasSuffix("db") || body.hasSuffix("%") {
            throw ToolFailure("not a volume: \(text) (percentages run 0-100%, gains read like -6dB)")
        }
        let digits = body.hasPrefix("-") ? body.dropFirst() : body
        if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let value = Int(body) else {
                throw ToolFailure("not a volume: \(text) (a raw value is a whole number from \(Int.min) to \(Int.max))")
            }
            guard step == 0 || value >= 0 else { throw ToolFailure("a step takes a positive amount: \(text)") }
            return .set(.raw(value), step: step)
        }
        guard step == 0, !lower.isEmpty else { throw ToolFailure("not a volume: \(text) (try 50%, -6dB, 3dB+, mute, toggle)") }
        return .word(text)
    }
}

extension VolumeSetting {
    /// `decibels` in hundredths of a dB, held to `gains` (whatever a setting was made from: a
    /// parsed one is within them already).
    static func hundredths(_ decibels: Double) -> Int {
        guard !decibels.isNaN else { return 0 }
        return Int(min(max((decibels * 100).rounded(), Double(gains.lowerBound)), Double(gains.upperBound)))
    }
}

/// The arithmetic of a setting, for simple volumes and elements alike: it saturates instead of
/// overflowing and holds raw values to the element's range (as amixer does), so that no amount a
/// user types can trap.
enum SettingArithmetic {
    /// `value`, or `now` moved by `step` times `value`, held to `range`.
    static func raw(_ value: Int, step: Int, now: Int, in range: ClosedRange<Int>) -> Int {
        let target = step == 0 ? value : now.addingSaturated(step.multipliedSaturated(by: value))
        return min(max(target, range.lowerBound), range.upperBound)
    }

    /// `percent` of `range` from its bottom, or `now` moved by `step` times that much (at least one
    /// value, so a step always moves), held to `range`. In Doubles: the span of a 64-bit range
    /// does not fit an Int.
    static func percent(_ percent: Double, step: Int, now: Int, in range: ClosedRange<Int>) -> Int {
        let span = Double(range.upperBound) - Double(range.lowerBound)
        let delta = (percent / 100 * span).rounded()
        let target = step == 0 ? Double(range.lowerBound) + delta : Double(now) + Double(step) * max(delta, 1)
        if !(target > Double(range.lowerBound)) { return range.lowerBound }
        if target >= Double(range.upperBound) { return range.upperBound }
        return Int(target)
    }

    /// The gain to set: `gain` itself, or the current gain moved by `step` times `gain`. From
    /// silence a step starts at `lowest`, the lowest gain of the scale (alsamixer's rule).
    static func gain(_ gain: Int, step: Int, current: Int, lowest: Int) -> Int {
        guard step != 0 else { return gain }
        let base = max(current <= DecibelScale.muteGain ? lowest : current, DecibelScale.muteGain + 1)
        return base.addingSaturated(step.multipliedSaturated(by: gain))
    }

    /// Steps round away from where they started, so a step always moves (alsamixer's rule).
    static func rounding(_ step: Int) -> DecibelRounding {
        step > 0 ? .up : step < 0 ? .down : .nearest
    }
}

extension Int {
    /// The sum, or `Int.min`/`Int.max` where it would overflow.
    func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other < 0 ? .min : .max) : sum
    }

    /// The product, or `Int.min`/`Int.max` where it would overflow.
    func multipliedSaturated(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) != (other < 0) ? .min : .max) : product
    }
}

/// Applies settings to a simple volume, as amixer's `sset` does.
package enum VolumeAdjuster {
    /// `mapped`: percentages on alsamixer's perceptual scale (amixer -M) instead of the raw range.
    package static func apply(_ setting: VolumeSetting, to volume: any VolumeControl, mapped: Bool) throws {
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
                try volume.setPerceptualVolume(target, rounding: SettingArithmetic.rounding(step))
            } else {
                let now = step == 0 ? 0 : try volume.value()
                try volume.setValue(SettingArithmetic.percent(percent, step: step, now: now, in: volume.valueRange))
            }
        case .set(.decibels(let decibels), let step):
            guard let range = volume.gainRange else { throw ToolFailure("\(volume.name) has no dB scale") }
            let current = step == 0 ? 0 : try volume.gain()
            let target = SettingArithmetic.gain(VolumeSetting.hundredths(decibels), step: step, current: current, lowest: range.minimum)
            try volume.setGain(target, rounding: SettingArithmetic.rounding(step))
        case .set(.raw(let value), let step):
            let now = step == 0 ? 0 : try volume.value()
            try volume.setValue(SettingArithmetic.raw(value, step: step, now: now, in: volume.valueRange))
        }
    }
}
