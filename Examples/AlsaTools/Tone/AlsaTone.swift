import AlsaSwift
import ArgumentParser

/// `alsa-tone`: test signals (like speaker-test), for a duration or until Ctrl-C.
public struct AlsaTone: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alsa-tone",
        abstract: "Play a test signal: sine, sweep, white or pink noise, or each channel in turn.")

    @OptionGroup public var device: DeviceOptions

    @Option(name: [.short, .long], help: "sine, sweep, white, pink or channels.")
    public var signal: ToneGenerator.Signal = .sine

    @Option(name: [.short, .long], help: "Hz (the start of a sweep).")
    public var frequency: Double = 440

    @Option(help: "Hz at the end of a sweep.")
    public var to: Double = 8_000

    @Option(help: "Level in dBFS.")
    public var level: Double = -12

    @Option(name: [.customShort("d"), .long], help: "Seconds; without it, until Ctrl-C.")
    public var duration: Double?

    @Option(name: [.short, .long], help: "Frames per second.") public var rate: UInt32 = 48_000
    @Option(name: [.short, .long], help: "Channels (with -s channels, each in turn).") public var channels: UInt32 = 2

    @OptionGroup public var report: ReportOptions

    /// `-q`: errors only.
    public var quiet: Bool { report.quiet }

    @Option(name: [.short, .long], help: "Write the signal to this 16-bit WAV file instead of playing it (needs --duration).")
    public var output: String?

    public init() {}

    public func validate() throws {
        if rate == 0 || channels == 0 { throw ValidationError("--rate and --channels must be positive") }
        let frames = try totalFrames()
        if !(frequency > 0 && frequency < Double(rate) / 2) || !(to > 0 && to < Double(rate) / 2) {
            throw ValidationError("frequencies must lie between 0 and half the rate (\(rate / 2) Hz)")
        }
        // Written so that nan is refused too; -inf dBFS is silence, which is allowed.
        if !(level <= 0) { throw ValidationError("--level is in dBFS and must be 0 or below, not \(level)") }
        if output != nil {
            guard let frames else { throw ValidationError("--output needs --duration") }
            _ = try ToolLimits.wavFormat(storing: .s16LE, channelCount: Int(channels), sampleRate: Int(rate), frames: frames)
        }
    }

    /// `--duration` in frames, nil when playing until Ctrl-C.
    func totalFrames() throws -> Int? {
        try duration.map { seconds throws(ValidationError) in try ToolLimits.durationFrames(seconds, sampleRate: Int(rate)) }
    }

    /// Renders the signal into a 16-bit WAV file.
    func write(to path: String, seconds: Double, frames total: Int) throws {
        var generator = ToneGenerator(signal: signal, sampleRate: Int(rate), channelCount: Int(channels), frequency: frequency,
                                      sweepTo: to, segment: signal == .channels ? 1 : seconds, levelDB: level)
        let writer = try WAVWriter(path: path, format: WAVFormat(encoding: .integer, channelCount: Int(channels), sampleRate: Int(rate), containerBits: 16))
        var samples = [Float](repeating: 0, count: 1024 * Int(channels))
        var bytes = [UInt8](repeating: 0, count: samples.count * 2)
        var done = 0
        while done < total {
            let frames = min(1024, total - done)
            let count = frames * Int(channels)
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
        report.status("\(path): \(signal), \(clock(seconds)), \(writer.format)")
    }

    public func run() throws {
        Interruption.install()
        try Interruption.running {
            if let output, let duration, let frames = try totalFrames() { return try write(to: output, seconds: duration, frames: frames) }
            try play()
        }
    }

    private func play() throws {
        let opened = try device.open(.playback)
        let latency = device.latency.map { Duration.milliseconds(Int($0)) } ?? .milliseconds(100)
        let stream = try PlaybackStream(pcm: opened.pcm, request: StreamRequest(sampleRate: Int(rate), channelCount: Int(channels), latency: latency,
                                                                                 preferMmap: device.mmap))
        let got = stream.configuration
        guard got.sampleRate == Int(rate), got.channelCount == Int(channels) else {
            throw ToolFailure("\(got.deviceName) plays \(got.channelCount) channels at \(got.sampleRate) Hz, not \(channels) at \(rate)")
        }
        report.status("\(signal) at \(level) dBFS: \(got)")
        report.setup(of: opened.pcm)
        var generator = ToneGenerator(signal: signal, sampleRate: Int(rate), channelCount: Int(channels), frequency: frequency,
                                      sweepTo: to, segment: signal == .channels ? 1 : 2, levelDB: level)
        let period = Int(got.periodSize)
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: period * Int(channels))
        defer { samples.deallocate() }
        let total = try totalFrames()
        let status = StatusLine(quiet: quiet)
        var played = 0
        while !Interruption.requested, played < (total ?? .max) {
            let frames = min(period, (total ?? .max) - played)
            let chunk = UnsafeMutableBufferPointer(rebasing: samples[0..<frames * Int(channels)])
            // Wait for room here, for half a second at most, rather than in the stream's write, whose
            // wait has no limit: on a stalled device the loop still sees a Ctrl-C.
            guard try opened.pcm.wait(timeout: .milliseconds(500)) else { continue }
            generator.fill(chunk)
            try stream.writeBlocking(UnsafeBufferPointer(chunk))
            played += frames
            status.update("♪ \(clock(Double(played) / Double(rate)))\(total.map { " / " + clock(Double($0) / Double(rate)) } ?? "")  xruns \(stream.xrunCount)")
        }
        if Interruption.requested { try stream.stop() } else { try stream.drainBlocking(timeout: .seconds(5)) }
        status.finish()
        report.status("played \(clock(Double(played) / Double(rate))), \(stream.xrunCount) xruns")
    }
}

extension ToneGenerator.Signal: ExpressibleByArgument {}
