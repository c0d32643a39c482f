#if canImport(Glibc)
import Glibc
#endif

/// A volume as a user sees it: one slider with its mute, whatever elements are behind it. The
/// card's main playback and capture volumes come from `CardControls.mainVolume(_:)` (the kernel's
/// elements directly) or `AlsaLibVolume` (alsa-lib's simple mixer, for names such as `default`).
///
/// Gains are in hundredths of a dB, as the kernel and alsa-lib give them; `decibels` and
/// `perceptualVolume` are the friendlier views. Writes set every channel.
public protocol VolumeControl: AnyObject {
    /// The simple mixer's name: "Master", "PCM", "Capture"…
    var name: String { get }
    /// The raw value range of the volume element.
    var valueRange: ClosedRange<Int> { get }
    /// The lowest and highest gain, in hundredths of a dB; nil when the element has no dB scale.
    var gainRange: (minimum: Int, maximum: Int)? { get }
    /// Whether there is a switch to mute with.
    var hasSwitch: Bool { get }

    /// The raw value of the first channel.
    func value() throws(AlsaError) -> Int
    /// Sets every channel to a raw value within `valueRange`.
    func setValue(_ value: Int) throws(AlsaError)
    /// The gain of the first channel, in hundredths of a dB (`DecibelScale.muteGain` for silence).
    func gain() throws(AlsaError) -> Int
    /// Sets the gain, rounded to a value as asked, as `snd_mixer_selem_set_playback_dB_all` does.
    func setGain(_ gain: Int, rounding: DecibelRounding) throws(AlsaError)
    /// Muted when every channel's switch is off; false when there is no switch.
    func isMuted() throws(AlsaError) -> Bool
    /// Turns every channel's switch off (muted) or on; fails when there is no switch.
    func setMuted(_ muted: Bool) throws(AlsaError)
}

extension VolumeControl {
    /// The gain in dB of the first channel; -infinity when silent.
    public func decibels() throws(AlsaError) -> Double {
        let gain = try gain()
        return gain <= DecibelScale.muteGain ? -.infinity : Double(gain) / 100
    }

    /// Sets the gain in dB, to the hundredth.
    public func setDecibels(_ decibels: Double, rounding: DecibelRounding = .nearest) throws(AlsaError) {
        // Finite and within what hundredths of a dB in an Int can count: `Int(_:)` would trap on more.
        guard let gain = Int(exactly: (decibels * 100).rounded()) else {
            throw AlsaError(.decibelConversion, .invalidArgument, context: "\(decibels) dB")
        }
        try setGain(gain, rounding: rounding)
    }

    /// The volume on alsamixer's 0–1 scale, where equal steps sound like equal steps: linear in
    /// dB for scales of 24 dB or less, else `10^((gain - max) / 60 dB)` stretched so that the
    /// lowest gain is 0. Without a dB scale it is linear in the raw value.
    public func perceptualVolume() throws(AlsaError) -> Double {
        guard let range = gainRange, range.minimum < range.maximum else {
            let value = try value()
            guard valueRange.upperBound > valueRange.lowerBound else { return 0 }
            // In Doubles: the span of a 64-bit element's range does not fit an Int.
            let low = Double(valueRange.lowerBound)
            return (Double(value) - low) / (Double(valueRange.upperBound) - low)
        }
        return PerceptualScale(minimumGain: range.minimum, maximumGain: range.maximum).volume(atGain: try gain())
    }

    /// Sets the volume on alsamixer's 0–1 scale (clamped to it).
    public func setPerceptualVolume(_ volume: Double, rounding: DecibelRounding = .nearest) throws(AlsaError) {
        guard volume.isFinite else { throw AlsaError(.decibelConversion, .invalidArgument, context: "volume \(volume)") }
        let volume = min(max(volume, 0), 1)
        guard let range = gainRange, range.minimum < range.maximum else {
            // In Doubles, held to the range: the span of a 64-bit element's range does not fit an Int.
            let low = Double(valueRange.lowerBound), span = Double(valueRange.upperBound) - low
            let target = PerceptualScale.rounded(volume * span, rounding) + low
            if !(target > low) { return try setValue(valueRange.lowerBound) }
            return try setValue(target >= Double(valueRange.upperBound) ? valueRange.upperBound : Int(target))
        }
        let scale = PerceptualScale(minimumGain: range.minimum, maximumGain: range.maximum)
        try setGain(scale.gain(atVolume: volume, rounding: rounding), rounding: rounding)
    }
}

/// alsamixer's mapping between a gain range and its 0–1 slider (alsa-utils alsamixer/volume_mapping.c).
struct PerceptualScale {
    let minimumGain: Int
    let maximumGain: Int

    /// Up to this span (hundredths of a dB) the slider is linear in dB.
    static let largestLinearSpan = 2400

    private var isLinear: Bool { maximumGain - minimumGain <= Self.largestLinearSpan }
    /// The slider's bottom as an amplitude, 0 when the scale goes down to silence.
    private var floorAmplitude: Double? {
        minimumGain == DecibelScale.muteGain ? nil : pow(10, Double(minimumGain - maximumGain) / 6000)
    }

    func volume(atGain gain: Int) -> Double {
        if isLinear { return Double(gain - minimumGain) / Double(maximumGain - minimumGain) }
        let amplitude = pow(10, Double(gain - maximumGain) / 6000)
        guard let floor = floorAmplitude else { return amplitude }
        return (amplitude - floor) / (1 - floor)
    }

    func gain(atVolume volume: Double, rounding: DecibelRounding) -> Int {
        if isLinear { return Self.round(volume * Double(maximumGain - minimumGain), rounding) + minimumGain }
        var amplitude = volume
        if let floor = floorAmplitude { amplitude = volume * (1 - floor) + floor }
        // Zero on a scale that reaches silence: log10 would be -infinity.
        guard amplitude > 0 else { return DecibelScale.muteGain }
        return Self.round(6000 * log10(amplitude), rounding) + maximumGain
    }

    /// alsamixer's lrint_dir: ceiling, floor or nearest (ties to even, as lrint).
    static func round(_ x: Double, _ rounding: DecibelRounding) -> Int { Int(rounded(x, rounding)) }

    /// `round`, kept a Double: for spans an Int may not hold.
    static func rounded(_ x: Double, _ rounding: DecibelRounding) -> Double {
        switch rounding {
        case .up: ceil(x)
        case .down: floor(x)
        case .nearest: rint(x)
        }
    }
}
