import AlsaSimulation
import AlsaSwift
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `alsa-loop -C CAPTURE -P PLAYBACK`: what is captured is played back, a round trip later, as
/// alsaloop does; the round trip achieved and the xruns go to standard error.
package struct AlsaLoop: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-loop",
        abstract: "Play what one ALSA device captures on another, as alsaloop does, with the round trip it achieves.",
        discussion: """
        Both devices run one rate, channel count, period and format: a period is half the round trip asked \
        for (-t), and two periods of silence are queued before the start, as alsa-lib's test/latency.c does. \
        The two devices are linked where the kernel lets them (one start for both), else started back to back. \
        On two cards the drift between their clocks is measured and compensated (-S): through snd-aloop's \
        "PCM Rate Shift 100000" control where one side is a loopback card, else by resampling the input to the \
        playback card's clock; -S frames drops or repeats one frame where the signal is quietest instead. \
        Samples pass through as they are, except while resampling (-S auto or resample), when they pass through \
        Float, which is exact for formats of up to 24 bits. The round trip (and its range over the run), the xruns of each side and the drift go to standard \
        error; Ctrl-C stops it (status 130). -C sim -P sim loops the simulated machine's card.
        """)

    @Option(name: [.customShort("C"), .long], help: "The capture device: an ALSA PCM name, or sim (sim:hw:1,0) for the simulated machine.")
    package var capture: String

    @Option(name: [.customShort("P"), .long], help: "The playback device: an ALSA PCM name, or sim (sim:hw:1,0) for the simulated machine.")
    package var playback: String

    // Numbers are taken as they come (`.unconditional`), so that a negative one is refused with a
    // reason rather than read as an option.
    @Option(name: [.customShort("t"), .long], parsing: .unconditional,
            help: "The round trip asked for, in microseconds as alsaloop takes it (two periods), 100 to 10000000.")
    package var latency: Int = 10_000

    @Option(name: [.short, .long], help: FormatOption.help)
    package var format: FormatOption?

    @Option(name: [.short, .long], parsing: .unconditional, help: "Frames per second, 1 to 4294967295 (default 48000, or the rate of -f cd/dat).")
    package var rate: Int?

    @Option(name: [.short, .long], parsing: .unconditional, help: "Channels, 1 to 65535 (default 2).")
    package var channels: Int?

    @Option(name: [.customShort("d"), .long], parsing: .unconditional, help: "Seconds to run; without it, until Ctrl-C.")
    package var duration: Double?

    @Option(help: "auto (hw: names on AlsaSwift's direct kernel transport, others on alsa-lib), alsa-lib or direct.")
    package var transport: DeviceOptions.TransportName = .auto

    @Option(name: [.customShort("S"), .long],
            help: "How two cards' clocks are held, as alsaloop's -S: auto (a loopback card's rate shift, else resampling), resample, frames (one dropped or repeated where quietest), or off.")
    package var sync: SyncName = .auto

    @Flag(help: "Move samples through the mmapped buffers (begin/commit) instead of read/write calls.")
    package var mmap = false

    @OptionGroup package var report: ReportOptions

    package init() {}

    /// The round trips `-t` accepts, in microseconds: from a few frames to ten seconds.
    package static let latencies = 100...10_000_000

    /// `-r`, else the `-f cd`/`dat` rate, else 48 kHz.
    package var sampleRate: Int { rate ?? format?.presetRate ?? 48_000 }
    /// `-c`, else the `-f cd`/`dat` count, else 2.
    package var channelCount: Int { channels ?? format?.presetChannels ?? 2 }

    package func validate() throws {
        try ToolLimits.check(rate: rate, channels: channels)
        if !Self.latencies.contains(latency) {
            throw ValidationError("-t \(latency) is out of range (\(Self.latencies.lowerBound) to \(Self.latencies.upperBound) microseconds)")
        }
        if SimulatedMachine.names(capture) != SimulatedMachine.names(playback) {
            throw ValidationError("-C and -P must both be on the simulated machine (sim) or both not: one loop waits on one kernel")
        }
        if transport == .alsaLib && SimulatedMachine.names(capture) { throw ValidationError("the simulated machine has no alsa-lib transport") }
        _ = try frameLimit()
    }

    /// `-S`: alsaloop's sync modes, in words.
    package enum SyncName: String, ExpressibleByArgument, Sendable, CaseIterable {
        case auto
        case resample
        case frames
        case off

        var choice: DriftCompensation.Choice {
            switch self {
            case .auto: .automatic
            case .resample: .resampling()
            case .frames: .frameAdjustment
            case .off: .off
            }
        }

        /// Resampling needs Float samples; the others pass the devices' frames untouched.
        var samples: DuplexSamples { self == .auto || self == .resample ? .float(.interleaved) : .raw }
    }

    /// `--duration` in frames, nil when running until Ctrl-C.
    func frameLimit() throws -> Int? {
        try duration.map { seconds throws(ValidationError) in try ToolLimits.durationFrames(seconds, sampleRate: sampleRate) }
    }

    /// What both devices are asked for.
    package var request: StreamRequest {
        StreamRequest(sampleRate: sampleRate, channelCount: channelCount, latency: .microseconds(latency),
                      formats: [format?.sampleFormat ?? .s16LE], preferMmap: mmap)
    }

    package func run() throws {
        Interruption.install()
        try Interruption.running(loop)
        // Stopped by a signal: 128 + its number, as for every tool.
        if Interruption.requested { throw Interruption.exitCode }
    }

    private func loop() throws {
        let limit = try frameLimit()
        let options = DuplexOptions(samples: sync.samples, compensation: sync.choice)
        let pass: DuplexThread.Callback = { period in
            if period.samples == .raw {
                period.rawOutput.copyMemory(from: period.rawInput)
            } else {
                _ = period.output.update(fromContentsOf: period.input)
            }
        }
        let thread: DuplexThread
        if let captureName = SimulatedMachine.hardwareName(for: capture), let playbackName = SimulatedMachine.hardwareName(for: playback) {
            thread = try DuplexThread(capture: captureName, playback: playbackName, request: request, options: options,
                                      transport: .direct, kernel: SimulatedMachine.make(), callback: pass)
        } else {
            thread = try DuplexThread(capture: capture, playback: playback, request: request, options: options,
                                      transport: transport.choice, callback: pass)
        }
        let got = thread.configuration
        report.status("Looping \(capture) to \(playback): \(got)")
        if report.verbose {
            Say.error("capture: \(got.capture.setup)")
            Say.error("playback: \(got.playback.setup)")
        }
        let status = StatusLine(quiet: report.quiet)
        var lastXruns = thread.xruns
        var range = RoundTripRange()
        var naps = 0
        // The thread runs the loop; this one watches, waking every 50 ms (a signal ends the nap),
        // and asks for the round trip every 250 ms: its range over the run shows drift's effect.
        while !Interruption.requested && !thread.isFinished {
            if let limit, thread.periodCount * got.periodSize >= limit { break }
            _ = Glibc.poll(nil, 0, 50)
            naps += 1
            if naps % 5 == 0, let timing = try? thread.timing() { range.add(timing.roundTripFrames) }
            let xruns = thread.xruns
            if xruns != lastXruns {
                status.finish()
                report.status("xrun: \(xruns)")
                lastXruns = xruns
            }
            status.update("⇄ \(clock(Double(thread.periodCount * got.periodSize) / Double(got.sampleRate)))  \(xruns)")
        }
        let timing = try? thread.timing()
        let drift = try? thread.drift()
        thread.stop()
        status.finish()
        if let failure = thread.failure { throw failure }
        if let timing {
            range.add(timing.roundTripFrames)
            report.status("round trip \(timing.roundTripFrames) frames (\(milliseconds(timing.roundTrip)) ms), \(range), \(thread.xruns)")
        } else {
            report.status("\(thread.xruns)")
        }
        if let drift { report.status("drift: \(drift)") }
    }

    private func milliseconds(_ duration: Duration) -> String {
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        return "\(microseconds / 1000).\(String(repeating: "0", count: 3 - String(microseconds % 1000).count))\(microseconds % 1000)"
    }
}

/// The smallest and largest round trip seen over a run, in frames.
struct RoundTripRange: CustomStringConvertible {
    private(set) var lowest = Int.max
    private(set) var highest = Int.min

    mutating func add(_ frames: Int) {
        lowest = min(lowest, frames)
        highest = max(highest, frames)
    }

    var description: String {
        lowest > highest ? "no range measured" : "range \(lowest) to \(highest) frames over the run"
    }
}
