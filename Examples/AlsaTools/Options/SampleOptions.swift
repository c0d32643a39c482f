import AlsaSwift
import AlsaSwiftFiles
import ArgumentParser

/// `-t`, `-f`, `-r` and `-c`, as aplay and arecord take them: what the file holds (a WAV file, or
/// raw samples) and, for raw samples and recordings, their format, rate and channels.
package struct SampleOptions: ParsableArguments, Sendable {
    @Option(name: [.customShort("t"), .customLong("file-type")],
            help: "wav (the default) or raw: headerless samples that -f, -r and -c describe.")
    /// `-t`.
    package var fileType: FileType = .wav

    @Option(name: [.short, .long], help: FormatOption.help)
    package var format: FormatOption?

    @Option(name: [.short, .long], parsing: .unconditional,
            help: "Frames per second, 1 to 4294967295 (a recording's default is 48000, or the rate of -f cd/dat).")
    package var rate: Int?

    @Option(name: [.short, .long], parsing: .unconditional, help: "Channels, 1 to 65535 (a recording's default is 2).")
    package var channels: Int?

    /// WAV, nothing else given.
    package init() {}

    /// Refuses a rate or channel count no device or file can have.
    package func validate() throws {
        try ToolLimits.check(rate: rate, channels: channels)
    }

    /// `-r`, else the `-f cd`/`dat` rate.
    package var givenRate: Int? { rate ?? format?.presetRate }
    /// `-c`, else the `-f cd`/`dat` channels.
    package var givenChannels: Int? { channels ?? format?.presetChannels }

    /// Whether any of `-f`, `-r`, `-c` was given.
    var describesSamples: Bool { format != nil || rate != nil || channels != nil }

    /// The layout of raw input, which must be given in full; nil for WAV input, whose header says.
    /// A player's check: refuses `-f`/`-r`/`-c` with WAV input, and raw input they do not describe.
    package func rawInputFormat() throws(ValidationError) -> WAVFormat? {
        switch fileType {
        case .wav:
            if describesSamples { throw ValidationError("-f, -r and -c describe raw input (-t raw); a WAV file's header says its own") }
            return nil
        case .raw:
            guard let format, let rate = givenRate, let channels = givenChannels else {
                throw ValidationError("raw input (-t raw) needs -f FORMAT, -r RATE and -c CHANNELS (or -f cd or -f dat, which set all three)")
            }
            guard let layout = WAVFormat(storing: format.sampleFormat, channelCount: channels, sampleRate: rate) else {
                throw ValidationError("-f \(format.sampleFormat) cannot be read")
            }
            return layout
        }
    }
}
