import AlsaSwiftFiles
import ArgumentParser

/// `-t`: what the samples are wrapped in, as aplay and arecord name it.
package enum FileType: String, ExpressibleByArgument, Sendable, CaseIterable {
    /// A RIFF WAVE file; its header describes the samples.
    case wav
    /// Headerless samples; `-f`, `-r` and `-c` describe them.
    case raw

    /// `wav` or `raw`, in any case, as aplay takes them.
    package init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }

    /// The input a player reads from `path` (`-` for standard input): a WAV file read at any
    /// offset when it is a regular file, a WAV stream read in order when it is a pipe, or raw
    /// samples of `rawFormat`.
    package func source(_ path: String, rawFormat: WAVFormat?) throws(WAVError) -> any AudioSource {
        let input = try FileInput(path: path, stopRequested: { Interruption.requested })
        switch self {
        case .wav: return input.isSeekable ? try WAVReader(input: input) : try WAVStreamReader(input: input)
        case .raw:
            guard let rawFormat else { throw .unrepresentable("raw samples without -f, -r and -c") }
            return RawReader(input: input, format: rawFormat)
        }
    }

    /// The output a recorder writes to `path` (`-` for standard output); `expectedFrames` is what
    /// a WAV header declares when it cannot be patched later (nil: not known).
    package func sink(_ path: String, format: WAVFormat, expectedFrames: Int?) throws(WAVError) -> any AudioSink {
        if self == .wav, let why = format.headerLimitViolation { throw .unrepresentable(why) }
        let output = try FileOutput(path: path, stopRequested: { Interruption.requested })
        switch self {
        case .wav: return try WAVWriter(output: output, format: format, expectedFrames: expectedFrames)
        case .raw: return RawWriter(output: output, frameBytes: format.bytesPerFrame)
        }
    }
}
