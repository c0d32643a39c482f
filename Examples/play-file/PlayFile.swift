// play-file: plays a WAV file with a progress line, to its end or until Ctrl-C.
import AlsaSimulation
import AlsaSwift
import AlsaSwiftFiles
import ArgumentParser

@main
struct PlayFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play-file",
        abstract: "Play a WAV file, printing how much has been heard each second; Ctrl-C stops it.",
        discussion: """
            A file whose rate the device lacks is resampled to the device's rate. --simulated plays \
            on card 0 of AlsaSimulation's two-card machine and then prints what the card played (its \
            frame count and checksum), which a test compares with the file.
            """)

    @Argument(help: "The WAV file to play.")
    var path: String

    @Option(help: "The device to play on (default: default; card 0 with --simulated).")
    var device: String?

    @Flag(help: "Play on the simulated two-card machine instead of a real device.")
    var simulated = false

    func run() async throws {
        let file: WAVReader
        do {
            file = try WAVReader(path: path)
        } catch {
            throw Refusal(description: "\(path): \(error)")
        }
        print(file)
        let format = file.format
        let machine = simulated ? SimulatedKernel(machine: .explicitSyncAndCoherent) : nil
        // The file's rate and channels, in its own sample format where the device has it (else the
        // best one it has); a rate the device lacks is resampled rather than refused.
        let request = StreamRequest(sampleRate: format.sampleRate, channelCount: format.channelCount,
                                    formats: [format.sampleFormat] + StreamRequest.defaultFormats, resampling: .standard)
        let stream = try PlaybackStream(device: device ?? (simulated ? "hw:0,0" : "default"), request: request,
                                        kernel: machine ?? LinuxKernel.shared)
        print(stream.configuration)

        // Ctrl-C (or SIGTERM) cancels the playing task: the write in progress ends, and so does the app.
        let stopped = try await StopSignal.cancelling {
            // A tenth of a second at a time, in one buffer allocated here.
            let chunkFrames = max(format.sampleRate / 10, 1)
            let chunk = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunkFrames * format.channelCount)
            defer { chunk.deallocate() }
            var written = 0
            var reported = 0
            while true {
                let frames = try file.read(into: chunk)
                if frames == 0 { break }
                try await stream.write(UnsafeBufferPointer(rebasing: chunk[..<(frames * format.channelCount)]))
                written += frames
                // Once a second of the file: what has been heard is what was written less the delay.
                if written / format.sampleRate > reported {
                    reported = written / format.sampleRate
                    print("heard \(Self.seconds(written - (try stream.delay()), format.sampleRate)) of \(Self.seconds(file.frameCount, format.sampleRate))")
                }
            }
            _ = try await stream.drain(timeout: .seconds(10))
            print("played \(Self.seconds(written, format.sampleRate)), \(stream.xrunCount) xruns")
        }
        if let machine {
            let played = machine.playbackObservation(card: 0, device: 0)
            print("card 0 played \(played.frames) frames, checksum \(String(played.checksum, radix: 16))")
        }
        if let stopped {
            print("stopped by \(stopped)")
            throw ExitCode(stopped.exitStatus)
        }
    }

    /// `frames` at `rate` as seconds, to a tenth.
    static func seconds(_ frames: Int, _ rate: Int) -> String {
        let tenths = max(frames, 0) * 10 / rate
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

/// A file the app cannot play, with the reason (ArgumentParser prints it and exits with 1).
struct Refusal: Error, CustomStringConvertible {
    let description: String
}
