import AlsaSwift
import ArgumentParser

/// `alsa-play FILE…`: plays WAV files or raw samples, from files or standard input, to any ALSA
/// device or to the simulated machine (`-D sim`), with aplay's options.
package struct AlsaPlay: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-play",
        abstract: "Play WAV files or raw samples through ALSA, as aplay does.",
        discussion: """
        WAV files may hold 8/16/24/32-bit integer or 32/64-bit float samples, WAVE_FORMAT_EXTENSIBLE included. \
        A file named - is standard input: "cat x.wav | alsa-play -", or raw samples with "-t raw -f cd -". \
        Status lines and progress go to standard error; -q silences them, -v adds the parameters the device granted. \
        Ctrl-C stops cleanly. With -D sim the simulated machine's explicit-sync card plays the file and reports \
        the checksum of what it received.
        """)

    @OptionGroup package var device: DeviceOptions
    @OptionGroup package var samples: SampleOptions
    @OptionGroup package var listing: ListingOptions
    @OptionGroup package var report: ReportOptions

    /// A quality of `ResamplingQuality`, by name.
    package enum ResampleQuality: String, ExpressibleByArgument, Sendable, CaseIterable {
        case fast, standard, high

        /// The library's level of that name.
        package var quality: ResamplingQuality {
            switch self {
            case .fast: .fast
            case .standard: .standard
            case .high: .high
            }
        }
    }

    @Option(help: ArgumentHelp("Play a file whose rate the device lacks at the device's nearest rate, resampled by AlsaSwift at this quality (fast, standard or high), on any transport.", valueName: "quality"))
    package var resample: ResampleQuality?

    @Argument(help: ArgumentHelp("Files to play, in order; - for standard input.", valueName: "file"))
    package var files: [String] = []

    package init() {}

    package var quiet: Bool { report.quiet }

    package func validate() throws {
        if listing.lists { return }
        if files.isEmpty { throw ValidationError("give at least one file (- for standard input), or -l or -L to list devices") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be played once") }
        _ = try samples.rawInputFormat()
    }

    package func run() throws {
        if listing.lists { return try listing.run(.playback, device: device) }
        Interruption.install()
        try Interruption.running(play)
    }

    private func play() throws {
        let rawFormat = try samples.rawInputFormat()
        for path in files {
            if Interruption.requested { break }
            let source = try samples.fileType.source(path, rawFormat: rawFormat)
            let opened = try device.open(.playback, nonBlocking: true)
            var player = Player(pcm: opened.pcm, options: device, status: StatusLine(quiet: quiet), resampling: resample?.quality)
            let report = self.report
            let pcm = opened.pcm
            player.onConfigured = { setup, converted in
                let length = source.totalDuration.map { ", " + clock($0) } ?? ""
                report.status("Playing \(samples.fileType == .raw ? "raw data" : "WAVE") '\(source.name)': \(source.format)\(length)")
                let resampled = setup.sampleRate != source.format.sampleRate
                let conversion = resampled ? " (resampled from \(source.format.sampleRate) Hz \(source.format.sampleFormat), \(resample?.rawValue ?? "") quality)"
                    : converted ? " (converted from \(source.format.sampleFormat))" : ""
                report.status("  \(pcm.name) via \(pcm.transport): \(setup)\(conversion)")
                report.status("  sync: \(pcm.syncReport)")
                report.setup(of: pcm)
            }
            let played = try player.play(source)
            if let truncation = source.truncation {
                // A warning, not a failure (aplay plays such a file too); said even with -q.
                Say.error("warning: '\(source.name)' is truncated: \(truncation); played the \(played.frames) whole frames there were")
            }
            report.status("  played \(played.frames) frames, \(played.xruns) xrun\(played.xruns == 1 ? "" : "s")\(played.interrupted ? ", interrupted" : "")")
            if let simulator = opened.simulator, let address = pcm.syncReport.hardware {
                let device = simulator.playbackObservation(card: address.card, device: address.device)
                // Resampled, the device gets other frames than the file's: only their count is known.
                let match = played.resampledFrames.map { UInt64($0) == device.frames }
                    ?? (device.checksum == played.checksum && device.frames == UInt64(played.frames))
                if let resampled = played.resampledFrames {
                    report.status("  simulated device: \(device.frames) frames \(match ? "=" : "≠") \(resampled) resampled frames sent\(match ? " (match)" : "")")
                } else {
                    report.status("  simulated device: \(device.frames) frames, checksum \(hex(device.checksum)) \(match ? "=" : "≠") sent \(hex(played.checksum))\(match ? " (match)" : "")")
                }
                if !match && !played.interrupted { throw ToolFailure("the simulated device did not receive what was sent") }
            }
        }
        if Interruption.requested { throw Interruption.exitCode }
    }
}
