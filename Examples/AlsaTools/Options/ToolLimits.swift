import AlsaSwift
import AlsaSwiftFiles
import ArgumentParser

/// Numbers from the command line that become frame counts or device sizes, checked where they are
/// parsed so that no later conversion can trap on them.
package enum ToolLimits {
    /// The whole frames `seconds` last at `sampleRate`; nil unless that is a finite count an `Int`
    /// holds (`inf`, `nan` and `1e15` seconds at 48 kHz are not).
    package static func frames(seconds: Double, sampleRate: Int) -> Int? {
        Int(exactly: (seconds * Double(sampleRate)).rounded(.down))
    }

    /// `--duration` as frames, or the reason it is refused.
    static func durationFrames(_ seconds: Double, sampleRate: Int) throws(ValidationError) -> Int {
        guard seconds > 0 else { throw ValidationError("--duration must be positive") }
        guard let frames = frames(seconds: seconds, sampleRate: sampleRate) else {
            throw ValidationError("--duration \(seconds) is too long to count in frames at \(sampleRate) Hz")
        }
        return frames
    }

    /// The rates `-r` accepts: what a hardware request carries.
    package static let rates = 1...Int(UInt32.max)
    /// The channels `-c` accepts: what a WAV header holds, far above any device.
    package static let channels = 1...Int(UInt16.max)

    /// Refuses a `--rate` outside `rates`, or a `--channels` outside `channels` (either may be nil).
    static func check(rate: Int?, channels: Int?) throws(ValidationError) {
        if let rate, !rates.contains(rate) {
            throw ValidationError("--rate \(rate) is out of range (\(rates.lowerBound) to \(rates.upperBound))")
        }
        if let channels, !Self.channels.contains(channels) {
            throw ValidationError("--channels \(channels) is out of range (\(Self.channels.lowerBound) to \(Self.channels.upperBound))")
        }
    }

    /// The longest `--latency` the tools accept. No ALSA device buffers anywhere near a minute, and
    /// the bound keeps latency × rate far inside 64 bits.
    package static let maximumLatencyMilliseconds = 60_000

    /// The frames `--period` and `--buffer` accept: what the kernel's 32-bit fields hold.
    package static let frameCounts = 1...Int(UInt32.max)

    /// The fewest frames a buffer derived from a time asks for (as `PlaybackStream` asks at least).
    package static let smallestBuffer = 16

    /// The WAV file the tools would write for `format`, `channelCount` and `sampleRate`, refused
    /// when its header cannot describe it or `frames` would not fit in it.
    static func wavFormat(storing format: SampleFormat, channelCount: Int, sampleRate: Int, frames: Int?) throws(ValidationError) -> WAVFormat {
        guard let wav = WAVFormat(storing: format, channelCount: channelCount, sampleRate: sampleRate) else {
            throw ValidationError("a WAV file cannot store \(format)")
        }
        if let why = wav.headerLimitViolation { throw ValidationError("a WAV file cannot hold \(why)") }
        if let frames, frames > wav.maximumFrames {
            throw ValidationError("\(frames) frames of \(wav) do not fit in one WAV file (at most \(wav.maximumFrames), 4 GiB)")
        }
        return wav
    }
}
