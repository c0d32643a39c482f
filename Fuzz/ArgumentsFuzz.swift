import AlsaSwift
import AlsaTools
import ArgumentParser

/// The tools' command lines on any arguments (NUL-separated): parsed and validated, and what a
/// valid one computes before touching a device (the hardware request, frame counts). Bad ones
/// are refused with a reason, never a trap.
enum ArgumentsFuzz {
    static func run(_ input: FuzzInput) {
        var input = input
        let tool = input.byte() % 3
        let arguments = input.rest().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        switch tool {
        case 0:
            guard let command = try? AlsaPlay.parse(arguments) else { return }
            _ = try? command.samples.rawInputFormat()
            _ = command.device.request(format: .s16LE, channelCount: 2, sampleRate: 48_000)
            _ = command.device.request(format: .floatLE, channelCount: 64, sampleRate: 768_000)
        case 1:
            guard let command = try? AlsaRecord.parse(arguments) else { return }
            // Validation bounds them: channels to 65535, the rate to what a UInt32 holds.
            guard let channels = UInt32(exactly: command.channelCount), let rate = UInt32(exactly: command.sampleRate) else {
                fatalError("alsa-record accepted \(command.channelCount) channels at \(command.sampleRate) Hz")
            }
            _ = command.device.request(format: command.format.sampleFormat, channelCount: channels, sampleRate: rate)
            _ = WAVFormat(storing: command.format.sampleFormat, channelCount: command.channelCount, sampleRate: command.sampleRate)?.headerLimitViolation
        default:
            guard let command = try? AlsaTone.parse(arguments) else { return }
            _ = command.device.request(format: .s16LE, channelCount: command.channelCount, sampleRate: command.sampleRate)
            _ = ToneGenerator(signal: command.signal, sampleRate: Int(command.sampleRate), channelCount: Int(command.channelCount),
                              frequency: command.frequency, sweepTo: command.to, segment: 2, levelDB: command.level)
        }
    }
}
