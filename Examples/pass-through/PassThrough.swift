// pass-through: what a capture device hears, played on a playback device, a round trip later.
import AlsaSimulation
import AlsaSwift
import ArgumentParser
import ExampleAppOptions

@main
struct PassThrough: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pass-through",
        abstract: "Play what a capture device hears on a playback device, a round trip later.",
        discussion: """
            --simulated runs on AlsaSimulation's two-card machine: it captures from card 0 (explicit \
            sync) and plays on card 1 (coherent), then prints what card 1 played (its frame count and \
            checksum), which a test compares with what card 0 captured.
            """)

    @Option(help: "The device to record from (default: default; card 0 with --simulated).")
    var capture: String?

    @Option(help: "The device to play on (default: default; card 1 with --simulated).")
    var playback: String?

    @OptionGroup var options: AppOptions

    func run() async throws {
        // On the simulated machine, card 0 captures its deterministic byte pattern, so that every
        // byte card 1 plays can be checked.
        let machine = options.machine()

        // One stream for both sides: a period of input comes with a period of output to fill. Raw
        // frames, since both sides run one format: the pass-through is a copy, with no conversion.
        let duplex = try DuplexStream(capture: options.device(capture, simulatedCard: 0),
                                      playback: options.device(playback, simulatedCard: 1),
                                      request: StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(10)),
                                      options: DuplexOptions(samples: .raw), kernel: machine ?? LinuxKernel.shared)
        let configuration = duplex.configuration
        print(configuration)
        let periods = max(Int(options.seconds * Double(configuration.sampleRate)) / configuration.periodSize, 1)
        try await duplex.process(periods: periods) { period in
            period.rawOutput.copyMemory(from: period.rawInput)
        }
        let timing = try duplex.timing()
        print("passed \(duplex.periodCount) periods of \(configuration.periodSize) frames, round trip \(timing.roundTripFrames) frames, \(duplex.xruns)")
        if let machine {
            let played = machine.playbackObservation(card: 1, device: 0)
            print("card 1 played \(played.frames) frames, checksum \(String(played.checksum, radix: 16))")
        }
    }
}
