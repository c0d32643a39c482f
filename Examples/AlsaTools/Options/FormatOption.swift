import AlsaSwift
import ArgumentParser

/// What `-f` names, as aplay and arecord read it: a sample format, and for `cd` and `dat` a rate
/// and channel count too, which `-r` and `-c` still override.
package struct FormatOption: ExpressibleByArgument, Sendable, Equatable {
    /// The format of the samples.
    package let sampleFormat: SampleFormat
    /// The rate `cd` (44100) and `dat` (48000) imply; nil for a plain format.
    package let presetRate: Int?
    /// The channels `cd` and `dat` imply (2); nil for a plain format.
    package let presetChannels: Int?

    /// S16_LE, a recording's default.
    package static let s16 = FormatOption(sampleFormat: .s16LE, presetRate: nil, presetChannels: nil)

    /// A format, and what a preset implies.
    package init(sampleFormat: SampleFormat, presetRate: Int?, presetChannels: Int?) {
        self.sampleFormat = sampleFormat
        self.presetRate = presetRate
        self.presetChannels = presetChannels
    }

    /// The formats a WAV file stores unchanged, under ALSA's names (any case) and short ones.
    static let names: [String: SampleFormat] = [
        "u8": .u8, "s16": .s16LE, "s16_le": .s16LE, "s24": .s24_3LE, "s24_3le": .s24_3LE,
        "s32": .s32LE, "s32_le": .s32LE, "float": .floatLE, "float_le": .floatLE, "float32": .floatLE,
        "float64": .float64LE, "float64_le": .float64LE,
    ]

    /// `cd`, `dat`, or a format by ALSA name or short name, in any case; nil for anything else.
    package init?(argument: String) {
        switch argument.lowercased() {
        case "cd": self.init(sampleFormat: .s16LE, presetRate: 44_100, presetChannels: 2)
        case "dat": self.init(sampleFormat: .s16LE, presetRate: 48_000, presetChannels: 2)
        case let name:
            guard let format = Self.names[name] else { return nil }
            self.init(sampleFormat: format, presetRate: nil, presetChannels: nil)
        }
    }

    /// What `--help` and shell completion offer.
    package static var allValueStrings: [String] {
        ["U8", "S16_LE", "S24_3LE", "S32_LE", "FLOAT_LE", "FLOAT64_LE", "u8", "s16", "s24", "s32", "float", "cd", "dat"]
    }

    /// The help text `-f` shows in both tools.
    static let help = ArgumentHelp(
        "Sample format: an ALSA name (U8, S16_LE, S24_3LE, S32_LE, FLOAT_LE, FLOAT64_LE, any case), u8, s16, s24 (3 bytes), s32 or float; or cd (S16_LE, 44100 Hz, stereo) or dat (S16_LE, 48000 Hz, stereo), whose rate and channels -r and -c override.",
        valueName: "format")
}
