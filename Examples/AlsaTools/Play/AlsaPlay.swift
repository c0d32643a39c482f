import AlsaSwift
import ArgumentParser

/// `alsa-play FILE…`: plays WAV files to any ALSA device, or to the simulated explicit-sync
/// device with `--device sim`.
public struct AlsaPlay: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alsa-play",
        abstract: "Play WAV files (8/16/24/32-bit PCM, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE) through ALSA.",
        discussion: "Prints the negotiated configuration and the sync path in effect. Ctrl-C stops cleanly.")

    @OptionGroup public var device: DeviceOptions

    @Flag(name: .shortAndLong, help: "Print only errors.")
    public var quiet = false

    @Argument(help: "WAV files to play, in order.")
    public var files: [String] = []

    public init() {}

    public func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one WAV file") }
    }

    public func run() throws {
        Interruption.install()
        try Interruption.running(play)
    }

    private func play() throws {
        for path in files {
            if Interruption.requested { break }
            let file = try WAVReader(path: path)
            let opened = try device.open(.playback, nonBlocking: true)
            var player = Player(pcm: opened.pcm, options: device, status: StatusLine(quiet: quiet))
            let quiet = self.quiet
            let pcm = opened.pcm
            player.onConfigured = { setup, converted in
                guard !quiet else { return }
                Say.line("\(path): \(file.format), \(clock(file.duration))")
                Say.line("  \(pcm.name) via \(pcm.transport): \(setup)\(converted ? " (converted from \(file.format.sampleFormat))" : "")")
                Say.line("  sync: \(pcm.syncReport)")
            }
            let report = try player.play(file)
            if !quiet {
                Say.line("  played \(report.frames) frames, \(report.xruns) xrun\(report.xruns == 1 ? "" : "s")\(report.interrupted ? ", interrupted" : "")")
            }
            if let simulator = opened.simulator {
                let device = simulator.playbackObservation()
                let match = device.checksum == report.checksum && device.frames == UInt64(report.frames)
                Say.line("  simulated device: \(device.frames) frames, checksum \(hex(device.checksum)) \(match ? "=" : "≠") sent \(hex(report.checksum))\(match ? " (match)" : "")")
                if !match && !report.interrupted { throw ToolFailure("the simulated device did not receive what was sent") }
            }
        }
        if Interruption.requested { throw Interruption.exitCode }
    }
}
