import CSoxr

/// How well a `Resampler` converts, stated as what its filter guarantees. Frequencies are fractions
/// of the Nyquist frequency of the lower of the two rates (for 44.1 kHz <-> 48 kHz, of 22 050 Hz).
/// BENCHMARKS.md ("Sample-rate conversion") holds the measured figures of each level beside
/// libsamplerate, speexdsp and alsa-lib's `rate` plugin.
public struct ResamplingQuality: Sendable, Hashable, CustomStringConvertible {
    /// The level's name, as in descriptions.
    public let name: String
    /// The highest frequency kept within `passbandRipple`.
    public let passbandEdge: Double
    /// The largest deviation from a flat response below `passbandEdge`, in dB.
    public let passbandRipple: Double
    /// How far everything that would fold back (alias) or image is pushed down, in dB: the
    /// conversion's noise floor relative to full scale.
    public let stopbandAttenuation: Double
    /// soxr's recipe for the level.
    let recipe: UInt

    /// 20-bit quality (120 dB) with a wider transition band: flat to 0.01 dB up to 87 % of
    /// Nyquist (19.2 kHz of 22.05), then rolling off; a shorter filter than `standard`'s, the
    /// cheapest level, and still above speexdsp's quality 5 on distortion and aliasing.
    public static let fast = ResamplingQuality(name: "fast", passbandEdge: 0.87, passbandRipple: 0.01,
                                               stopbandAttenuation: 120.4, recipe: UInt(SOXR_HQ))
    /// 20-bit quality (120 dB), flat to 0.01 dB up to 91 % of Nyquist (20.1 kHz of 22.05): soxr's
    /// high quality, the default.
    public static let standard = ResamplingQuality(name: "standard", passbandEdge: 0.9137, passbandRipple: 0.01,
                                                   stopbandAttenuation: 120.4, recipe: UInt(SOXR_HQ))
    /// 28-bit quality (168 dB), beyond any 24-bit converter's noise: for mastering and analysis.
    public static let high = ResamplingQuality(name: "high", passbandEdge: 0.9113, passbandRipple: 0.01,
                                               stopbandAttenuation: 168.6, recipe: UInt(SOXR_VHQ))

    /// Every level, cheapest first.
    public static let all: [ResamplingQuality] = [.fast, .standard, .high]

    /// For example "standard (flat to 0.01 dB up to 0.9137 of Nyquist, 120 dB stopband)".
    public var description: String {
        "\(name) (flat to \(passbandRipple) dB up to \(passbandEdge) of Nyquist, \(Int(stopbandAttenuation)) dB stopband)"
    }
}
