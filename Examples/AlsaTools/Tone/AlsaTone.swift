import AlsaSwift
import AlsaSwiftFiles
import ArgumentParser

/// `alsa-tone`: test signals (like speaker-test), for a duration or until Ctrl-C.
package struct AlsaTone: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-tone",
        abstract: "Play a test signal: sine, sweep, white or pink noise, or each channel in turn.")

    @OptionGroup package var device: DeviceOptions

    @Option(name: [.short, .long], help: "sine, sweep, white, pink or channels.")
    package var signal: ToneGenerator.Signal = .sine

    // Numbers are taken as they come (`.unconditional`): every useful level is negative, and a
    // negative frequency or duration is refused with a reason rather than read as an option.
    @Option(name: [.short, .long], parsing: .unconditional, help: "Hz (the start of a sweep).")
    package var frequency: Double = 440

    @Option(parsing: .unconditional, help: "Hz at the end of a sweep.")
    package var to: Double = 8_000

    @Option(parsing: .unconditional, help: "Level in dBFS, 0 or below (-inf is silence).")
    package var level: Double = -12

    @Option(name: [.customShort("d"), .long], parsing: .unconditional, help: "Seconds; without it, until Ctrl-C.")
    package var duration: Double?

    @Option(name: [.short, .long], parsing: .unconditional, help: "Frames per second, 1 to 4294967295.")
    package var rate: Int = 48_000

    @Option(name: [.short, .long], parsing: .unconditional, help: "Channels, 1 to 65535 (with -s channels, each in turn).")
    package var channels: Int = 2

    @OptionGroup package var report: ReportOptions

    /// `-q`: errors only.
    package var quiet: Bool { report.quiet }

    @Option(name: [.short, .long], help: "Write the signal to this 16-bit WAV file instead of playing it (needs --duration); - for standard output.")
    package var output: String?

    package init() {}

    package func validate() throws {
        try ToolLimits.check(rate: rate, channels: channels)
        let frames = try totalFrames()
        if !(frequency > 0 && frequency < Double(rate) / 2) || !(to > 0 && to < Double(rate) / 2) {
            throw ValidationError("frequencies must lie between 0 and half the rate (\(rate % 2 == 0 ? "\(rate / 2)" : "\(Double(rate) / 2)") Hz)")
        }
        // Written so that nan is refused too; -inf dBFS is silence, which is allowed.
        if !(level <= 0) { throw ValidationError("--level is in dBFS and must be 0 or below, not \(level)") }
        if output != nil {
            guard let frames else { throw ValidationError("--output needs --duration") }
            _ = try ToolLimits.wavFormat(storing: .s16LE, channelCount: channels, sampleRate: rate, frames: frames)
        }
    }

    /// `--duration` in frames, nil when playing until Ctrl-C.
    func totalFrames() throws -> Int? {
        try duration.map { seconds throws(ValidationError) in try ToolLimits.durationFrames(seconds, sampleRate: rate) }
    }

    /// Renders the signal into a 16-bit WAV file, or a WAV stream on standard output for `-`, whose
    /// header says the length (it is known). Ctrl-C ends it early, leaving a valid file.
    func write(to path: String, seconds: Double, frames total: Int) throws {
        var generator = ToneGenerator(signal: signal, sampleRate: rate, channelCount: channels, frequency: frequency,
                                      sweepTo: to, segment: signal == .channels ? 1 : seconds, levelDB: level)
        let format = WAVFormat(encoding: .integer, channelCount: channels, sampleRate: rate, containerBits: 16)
        let writer = try FileType.wav.sink(path, format: format, expectedFrames: total)
        var samples = [Float](repeating: 0, count: 1024 * channels)
        var bytes = [UInt8](repeating: 0, count: samples.count * 2)
        var done = 0
        while done < total && !Interruption.requested {
            let frames = min(1024, total - done)
            let count = frames * channels
            samples.withUnsafeMutableBufferPointer { generator.fill(UnsafeMutableBufferPointer(rebasing: $0[0..<count])) }
            try samples.withUnsafeBufferPointer { input in
                try bytes.withUnsafeMutableBytes { output in
                    try SampleConversion.encode(UnsafeBufferPointer(rebasing: input[0..<count]), as: .s16LE,
                                                into: UnsafeMutableRawBufferPointer(rebasing: output[0..<count * 2]))
                    try writer.append(UnsafeRawBufferPointer(rebasing: output[0..<count * 2]))
                }
            }
            done += frames
        }
        try writer.finish()
        let name = path == "-" ? "stdout" : path
        report.status("\(name): \(signal), \(clock(Double(done) / Double(rate))), \(format)\(Interruption.requested ? ", interrupted" : "")")
    }

    package func run() throws {
        Interruption.install()
        try Interruption.running {
            if let output, let duration, let frames = try totalFrames() {
                try write(to: output, seconds: duration, frames: frames)
            } else {
                try play()
            }
            // Stopped by a signal: 128 + its number, as for every tool.
            if Interruption.requested { throw Interruption.exitCode }
        }
    }

    private func play() throws {
        let opened = try device.open(.playback)
        let latency = device.latency.map { Duration.milliseconds($0) } ?? .milliseconds(100)
        let request = device.timer
            ? device.timerRequest(formats: StreamRequest.defaultFormats, channelCount: channels, sampleRate: rate)
            : StreamRequest(sampleRate: rate, channelCount: channels, latency: latency, preferMmap: device.mmap)
        let stream = try PlaybackStream(pcm: opened.pcm, request: request)
        let got = stream.configuration
        guard got.sampleRate == rate, got.channelCount == channels else {
            throw ToolFailure("\(got.deviceName) plays \(got.channelCount) channels at \(got.sampleRate) Hz, not \(channels) at \(rate)")
        }
        report.status("\(signal) at \(level) dBFS: \(got)")
        report.setup(of: opened.pcm)
        var generator = ToneGenerator(signal: signal, sampleRate: rate, channelCount: channels, frequency: frequency,
                                      sweepTo: to, segment: signal == .channels ? 1 : 2, levelDB: level)
        let period = device.timer ? min(Int(got.periodSize), 4096) : Int(got.periodSize)
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: period * channels)
        defer { samples.deallocate() }
        let total = try totalFrames()
        let status = StatusLine(quiet: quiet)
        var played = 0
        while !Interruption.requested, played < (total ?? .max) {
            let frames = min(period, (total ?? .max) - played)
            let chunk = UnsafeMutableBufferPointer(rebasing: samples[0..<frames * channels])
            // Wait for room here, for half a second at most, rather than in the stream's write, whose
            // wait has no limit: on a stalled device the loop still sees a Ctrl-C. A timer-scheduled
            // stream is ready only when empty: it waits on its timer, in the write.
            if !device.timer { guard try opened.pcm.wait(timeout: .milliseconds(500)) else { continue } }
            generator.fill(chunk)
            try stream.writeBlocking(UnsafeBufferPointer(chunk))
            played += frames
            status.update("♪ \(clock(Double(played) / Double(rate)))\(total.map { " / " + clock(Double($0) / Double(rate)) } ?? "")  xruns \(stream.xrunCount)")
        }
        if Interruption.requested { try stream.stop() } else { try stream.drainBlocking(timeout: .seconds(5)) }
        status.finish()
        report.status("played \(clock(Double(played) / Double(rate))), \(stream.xrunCount) xruns")
        if let timer = got.timer {
            // Asked for on the command line: printed even with -q.
            Say.error(WakeupReport(wakeups: stream.statistics.waits, seconds: Double(played) / Double(rate), periodWakeups: timer.periodWakeups,
                                   latencyRaise: WakeupReport.latencyRaise(try? stream.status(), schedule: timer, sampleRate: got.setup.sampleRate))
                .description)
        }
    }
}

extension ToneGenerator.Signal: ExpressibleByArgument {}
