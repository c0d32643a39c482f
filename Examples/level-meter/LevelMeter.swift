// level-meter: the peak and RMS level of what a capture device hears, every 100 ms.
import AlsaSimulation
import AlsaSwift
import ArgumentParser
import ExampleAppOptions
import Foundation

@main
struct LevelMeter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "level-meter",
        abstract: "Print the peak and RMS level of what a capture device hears, every 100 ms.",
        discussion: """
            --simulated runs on AlsaSimulation's two-card machine, whose card 0 hears a 1 kHz sine at half \
            scale: a peak of -6.0 dBFS and an RMS level of -9.0 dBFS. Ctrl-C stops it early.
            """)

    @Option(help: "The device to record from (default: default; card 0 with --simulated).")
    var device: String?

    @OptionGroup var options: AppOptions

    func run() async throws {
        // The machine's kernel, or a simulated one whose microphone hears a known tone.
        let machine = options.machine()
        machine?.setCaptureSignal(.sine(frequency: 1_000, amplitude: 0.5), card: 0)
        let kernel: any KernelInterface = machine ?? LinuxKernel.shared
        let name = options.device(device, simulatedCard: 0)
        let blockCount = max(Int(options.seconds * 10), 1)

        let stopped = try await StopSignal.cancelling {
            let microphone = try CaptureStream(device: name, request: StreamRequest(sampleRate: 48_000, channelCount: 2), kernel: kernel)
            print(microphone.configuration)
            let channels = microphone.configuration.channelCount
            var blocks = blockCount
            // Every 100 ms of sound, all channels together: the largest magnitude, and the root of the mean square.
            for try await block in microphone.buffers(frames: microphone.configuration.sampleRate / 10) {
                var peak: Float = 0
                var sumOfSquares: Float = 0
                for sample in block.samples {
                    peak = max(peak, abs(sample))
                    sumOfSquares += sample * sample
                }
                let rms = (sumOfSquares / Float(block.frameCount * channels)).squareRoot()
                print("peak \(Self.decibels(peak)) dBFS  rms \(Self.decibels(rms)) dBFS")
                blocks -= 1
                if blocks == 0 { break }
            }
        }
        if let stopped { throw ExitCode(stopped.exitStatus) }
    }

    /// A level in dBFS: 0 is full scale; silence is -inf.
    static func decibels(_ level: Float) -> String {
        String(format: "%6.1f", 20 * log10(Double(level)))
    }
}
