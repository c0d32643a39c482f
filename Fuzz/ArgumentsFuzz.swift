import AlsaSimulation
import AlsaSwift
import AlsaSwiftFiles
import AlsaTools
import ArgumentParser
import Foundation

/// Every tool's command line on any arguments (the first byte picks the tool, the rest are
/// NUL-separated words): parsed and validated, and what a valid one computes before it would touch
/// a real device. alsa-loop negotiates its duplex stream on the simulated machine (both sides at
/// the rate, channels, format and round trip given, without running it); alsa-info reports and alsa-mixer runs `list`, `get`, `set` and `monitor` on the
/// simulated machine, so a setting reaches the arithmetic that applies it. Bad command lines are
/// refused with a reason, never a trap.
enum ArgumentsFuzz {
    /// The tools by the first byte (modulo their count: seeds written for fewer tools keep theirs).
    static let tools: [@Sendable ([String]) -> Void] = [play, record, tone, info, mixer, midi, loop]

    // libFuzzer runs one input at a time on one thread: scratch shared between inputs is safe.
    nonisolated(unsafe) static let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1 << 16)

    static func run(_ input: FuzzInput) {
        var input = input
        let tool = tools[Int(input.byte()) % tools.count]
        tool(input.rest().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) })
    }

    /// What validation promises: a count a device request holds, or the fuzzer found a hole.
    static func deviceCount(_ value: Int, _ what: String) -> UInt32 {
        guard let count = UInt32(exactly: value) else { fatalError("a tool accepted \(what) \(value)") }
        return count
    }

    static func play(_ arguments: [String]) {
        guard let command = try? AlsaPlay.parse(arguments) else { return }
        _ = try? command.samples.rawInputFormat()
        _ = command.resample?.quality.description
        _ = command.device.request(format: .s16LE, channelCount: 2, sampleRate: 48_000)
        _ = command.device.request(format: .floatLE, channelCount: 64, sampleRate: 768_000)
        for rate in [1, 9, Int(UInt32.max)] { _ = command.device.request(format: .u8, channelCount: 1, sampleRate: deviceCount(rate, "rate")) }
        _ = command.device.timerRequest(formats: [.s16LE], channelCount: 2, sampleRate: 48_000)
    }

    static func record(_ arguments: [String]) {
        guard let command = try? AlsaRecord.parse(arguments) else { return }
        let channels = deviceCount(command.channelCount, "channels"), rate = deviceCount(command.sampleRate, "rate")
        _ = command.device.request(format: command.format.sampleFormat, channelCount: channels, sampleRate: rate)
        _ = WAVFormat(storing: command.format.sampleFormat, channelCount: command.channelCount, sampleRate: command.sampleRate)?.headerLimitViolation
    }

    static func tone(_ arguments: [String]) {
        guard let command = try? AlsaTone.parse(arguments) else { return }
        _ = command.device.request(format: .s16LE, channelCount: deviceCount(command.channels, "channels"), sampleRate: deviceCount(command.rate, "rate"))
        var generator = ToneGenerator(signal: command.signal, sampleRate: command.rate, channelCount: command.channels, frequency: command.frequency,
                                      sweepTo: command.to, segment: 2, levelDB: command.level)
        let frames = max(min(64, samples.count / command.channels), 1)
        generator.fill(UnsafeMutableBufferPointer(rebasing: samples[0..<frames * command.channels]))
    }

    /// The report of a simulated target, as text and JSON; other targets are only named.
    static func info(_ arguments: [String]) {
        guard let command = try? AlsaInfo.parse(arguments) else { return }
        guard let device = command.device, SimulatedMachine.names(device) else { return }
        if command.names {
            let report = NameReport(devices: AudioDevices(kernel: SimulatedMachine.make()), probe: !command.noProbe)
            _ = report.text
            _ = try? JSONEncoder().encode(report)
            return
        }
        guard let report = try? AlsaInfo.report(device: device, probe: !command.noProbe, hints: command.hints) else { return }
        _ = report.text
        _ = try? JSONEncoder().encode(report)
    }

    /// `list`, `get` and `set` on the simulated machine's card (whatever card or name was given:
    /// this machine's and alsa-lib's are not the fuzzer's to change); `monitor` where it ends by
    /// itself, on `-D sim`, whose card plays its own changes.
    static func mixer(_ arguments: [String]) {
        guard let command = try? AlsaMixer.parse(arguments) else { return }
        let target: AlsaMixer.Target
        if case .card(let number, let kernel)? = try? command.target, kernel is SimulatedKernel {
            target = .card(number, kernel)
        } else {
            target = .card(0, SimulatedMachine.make())
        }
        guard command.words.first == "monitor" else {
            _ = try? command.report(target)
            return
        }
        // The simulated card merges its three changes into one event if none was read: more than
        // one would be waited for without end.
        guard command.device.map(SimulatedMachine.names) == true, (command.count ?? 1) == 1 else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = try? await AlsaMixer.parse(arguments).output(target, emit: { _ in })
            done.signal()
        }
        done.wait()
    }

    /// alsa-midi's listing, sending and connecting on the simulated machine, whatever machine was
    /// named; a dump or a test note (which wait) is only parsed.
    static func midi(_ arguments: [String]) {
        guard let command = try? AlsaMIDI.parse(arguments), !command.dump, !command.note else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            try? await command.perform(on: SimulatedMachine.makeWithMIDI(), emit: { _ in })
            done.signal()
        }
        done.wait()
    }

    /// The request, and on `sim` both sides negotiated to it (opened, configured, linked, closed).
    static func loop(_ arguments: [String]) {
        guard let command = try? AlsaLoop.parse(arguments) else { return }
        _ = deviceCount(command.sampleRate, "rate")
        _ = deviceCount(command.channelCount, "channels")
        let request = command.request
        guard let capture = SimulatedMachine.hardwareName(for: command.capture),
              let playback = SimulatedMachine.hardwareName(for: command.playback) else { return }
        _ = try? DuplexStream(capture: capture, playback: playback, request: request, kernel: SimulatedMachine.make())
    }
}
