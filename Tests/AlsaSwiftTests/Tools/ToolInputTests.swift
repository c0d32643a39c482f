import AlsaSimulation
import ArgumentParser
import Foundation
import Testing
@testable import AlsaSwift
@testable import AlsaTools

// In ToolTests (serialized): the tools stop on the process-wide Interruption flag, which
// ToolTests and StalledDeviceToolTests raise; run beside them, a tool here would stop too.
extension ToolTests {
    /// Every number a tool takes, at and past its limits, as a new user types it (issue 19): the
    /// alsa-mixer settings that trapped, negative values, the lowest rates. Each is refused with a
    /// reason or honoured; none traps.
    @Suite("Tool input")
    struct ToolInputTests {
        // MARK: alsa-mixer

        /// The alsa-mixer command lines that trapped with exit 132 ("Double value cannot be converted
        /// to Int", or an arithmetic overflow), one per form: gains absolute, stepped up and down,
        /// written as exponents, hex floats and integers, from a set value or silence; raw steps; the
        /// -M and --capture paths; and elements by full name. A gain beyond what ALSA's dB values
        /// hold is refused as the whole line (status 64, nothing set); a raw step saturates at the
        /// end of the range, as amixer holds values to it.
        static let mixerTraps: [(arguments: String, status: Int32, says: String)] = [
            ("set Master 1e300dB", 64, "not a volume: 1e300dB (gains lie within -21474836.48dB and 21474836.47dB"),
            ("set Master -1e300dB", 64, "not a volume: -1e300dB"),
            ("set Master +1e300dB", 64, "not a volume: +1e300dB"),
            ("set Master 1e300dB-", 64, "not a volume: 1e300dB-"),
            ("set Master 0x1p1000dB", 64, "not a volume: 0x1p1000dB"),
            ("set Master 9223372036854775807dB", 64, "not a volume: 9223372036854775807dB"),
            ("set Master 1e17dB", 64, "not a volume: 1e17dB"),
            ("set Master 10 92233720368547740dB-", 64, "not a volume: 92233720368547740dB-"),
            ("set Master 0 92233720368547758dB-", 64, "not a volume: 92233720368547758dB-"),
            ("set Master 9223372036854775807+", 0, "Simple mixer control 'Master' (playback): 31 [100%]"),
            ("set Master +9223372036854775807", 0, "Simple mixer control 'Master' (playback): 31 [100%]"),
            ("-M set Master 1e300dB+", 64, "not a volume: 1e300dB+"),
            ("--capture set Capture 1e19dB", 64, "not a volume: 1e19dB"),
            ("set 'Master Playback Volume' 1e300dB", 64, "not a volume: 1e300dB"),
            ("set 'Master Playback Volume' 1e18dB+", 64, "not a volume: 1e18dB+"),
            ("set 'Master Playback Volume' -9223372036854775809dB", 64, "not a volume: -9223372036854775809dB"),
            ("set 'Master Playback Volume' 0x7fffffffffffffffdB-", 64, "not a volume: 0x7fffffffffffffffdB-"),
        ]

        @Test("defect: 17 alsa-mixer settings trapped (exit 132) on huge gains, huge steps and raw steps; now refused or held to the range",
              arguments: 0..<17)
        func mixerSettingsThatTrapped(index: Int) async throws {
            let (arguments, status, says) = Self.mixerTraps[index]
            let result = try await ToolShell.run(#""$alsa_mixer" -D sim "# + arguments)
            #expect(result.status == status, "\(arguments): \(result.errors)")
            #expect((status == 0 ? result.outputText : result.errors).contains(says), "\(arguments): \(result.outputText)\(result.errors)")
        }

        @Test("a line with one bad setting sets nothing: it is refused before the first is applied")
        func badLineSetsNothing() async throws {
            let error = #expect(throws: (any Error).self) { _ = try AlsaMixer.parseAsRoot(["set", "Master", "10", "1e300dB"]) }
            #expect(error.map { AlsaMixer.exitCode(for: $0) } == .validationFailure)
            #expect(error.map { AlsaMixer.message(for: $0) }?.contains("not a volume: 1e300dB") == true)
        }

        @Test("the setting arithmetic saturates and holds to the range, whatever the amount and the range")
        func settingArithmetic() {
            let wide = Int.min...Int.max
            #expect(SettingArithmetic.raw(.max, step: 1, now: 25, in: 0...31) == 31)
            #expect(SettingArithmetic.raw(.max, step: -1, now: -50, in: -100...0) == -100)
            #expect(SettingArithmetic.raw(.min, step: -1, now: 5, in: wide) == .max, "-Int.min saturates")
            #expect(SettingArithmetic.raw(.max, step: 1, now: .max, in: wide) == .max)
            #expect(SettingArithmetic.percent(50, step: 0, now: 0, in: 0...31) == 16)
            #expect(SettingArithmetic.percent(100, step: 0, now: 0, in: wide) == .max)
            #expect(SettingArithmetic.percent(0, step: 0, now: 0, in: wide) == .min)
            #expect(SettingArithmetic.percent(50, step: 1, now: .max, in: wide) == .max)
            #expect(SettingArithmetic.percent(1, step: -1, now: 3, in: 0...31) == 2, "a step moves at least one value")
            #expect(SettingArithmetic.gain(300, step: 1, current: DecibelScale.muteGain, lowest: -4650) == -4350)
            #expect(SettingArithmetic.gain(.max, step: 1, current: .max, lowest: 0) == .max)
            #expect(SettingArithmetic.gain(.max, step: -1, current: .min + 5, lowest: 0) == .min + 1, "from silence: 0 - Int.max")
            #expect(SettingArithmetic.gain(.max, step: -1, current: -5, lowest: 0) == .min, "-5 - Int.max saturates")
            #expect(VolumeSetting.hundredths(1e300) == Int(Int32.max) && VolumeSetting.hundredths(-.infinity) == Int(Int32.min))
            #expect(VolumeSetting.hundredths(.nan) == 0 && VolumeSetting.hundredths(-6) == -600)
        }

        /// A card with a 64-bit element over the whole Int range, without a dB scale: every span and
        /// percentage of it overflows an Int. (The simple mixer takes 32-bit elements only; `WideVolume`
        /// stands for a simple volume that wide, which `VolumeControl` allows.)
        static func wideCard() -> SimulatedKernel {
            let kernel = SimulatedKernel(card: 0, hardware: .dummy)
            kernel.addControls([SimulatedControlElement(name: "Wide Playback Volume", type: .integer64(minimum: .min, maximum: .max, step: 0),
                                                        values: [0, 0])], card: 0)
            return kernel
        }

        @Test("a volume over the whole Int range is set by percent, raw steps and the perceptual scale, and reported, without trapping")
        func wideVolume() async throws {
            // In a process of its own: a trap here would end the whole test run.
            await #expect(processExitsWith: .success) {
                let kernel = ToolInputTests.wideCard()
                func run(_ arguments: [String]) throws -> String { try AlsaMixer.parse(arguments).report(.card(0, kernel)) }
                _ = try run(["set", "Wide Playback Volume", "100%"])
                guard kernel.control(named: "Wide Playback Volume")?.values == [.max, .max] else { exit(2) }
                _ = try run(["set", "Wide Playback Volume", "0%", "1+", "9223372036854775807+"])
                guard kernel.control(named: "Wide Playback Volume")?.values == [0, 0] else { exit(3) }
                _ = try run(["set", "Wide Playback Volume", "9223372036854775807-", "9223372036854775807-", "50%-"])
                guard kernel.control(named: "Wide Playback Volume")?.values == [.min, .min] else { exit(4) }
                guard try run(["list"]).contains("min=-9223372036854775808,max=9223372036854775807") else { exit(5) }

                let volume = WideVolume()
                for (word, mapped) in [("100%", false), ("50%-", true), ("9223372036854775807-", false), ("9223372036854775807-", false)] {
                    try VolumeAdjuster.apply(try VolumeSetting.parse(word), to: volume, mapped: mapped)
                }
                guard volume.current == .min, try VolumeReport(volume, direction: .playback).percent == 0 else { exit(6) }
                try VolumeAdjuster.apply(.set(.percent(100), step: 0), to: volume, mapped: true)
                guard volume.current == .max, try VolumeReport(volume, direction: .playback).perceptual == 1 else { exit(7) }
            }
        }

        // MARK: negative numbers

        /// Every option that takes a number, with what it says of -6: a value it takes, or the reason
        /// it refuses it (not "Missing value", as when the parser read -6 as an option).
        static let negativeValues: [(tool: any ParsableCommand.Type, option: String, rest: [String], refusal: String?)] = [
            (AlsaTone.self, "--level", [], nil),
            (AlsaTone.self, "--frequency", [], "frequencies must lie between 0 and half the rate"),
            (AlsaTone.self, "-f", [], "frequencies must lie between 0 and half the rate"),
            (AlsaTone.self, "--to", [], "frequencies must lie between 0 and half the rate"),
            (AlsaTone.self, "--duration", [], "--duration must be positive"),
            (AlsaTone.self, "-d", [], "--duration must be positive"),
            (AlsaTone.self, "--rate", [], "--rate -6 is out of range"),
            (AlsaTone.self, "-r", [], "--rate -6 is out of range"),
            (AlsaTone.self, "--channels", [], "--channels -6 is out of range"),
            (AlsaTone.self, "--period", [], "--period -6 is out of range"),
            (AlsaTone.self, "--buffer", [], "--buffer -6 is out of range"),
            (AlsaTone.self, "--latency", [], "--latency -6 is out of range"),
            (AlsaPlay.self, "--rate", ["-t", "raw", "-f", "s16", "-c", "1", "x"], "--rate -6 is out of range"),
            (AlsaPlay.self, "-c", ["-t", "raw", "-f", "s16", "-r", "8000", "x"], "--channels -6 is out of range"),
            (AlsaPlay.self, "--period", ["x.wav"], "--period -6 is out of range"),
            (AlsaRecord.self, "-d", ["x.wav"], "--duration must be positive"),
            (AlsaRecord.self, "-r", ["x.wav"], "--rate -6 is out of range"),
            (AlsaRecord.self, "--channels", ["x.wav"], "--channels -6 is out of range"),
            (AlsaRecord.self, "--buffer", ["x.wav"], "--buffer -6 is out of range"),
            (AlsaMixer.self, "-c", ["list"], "-c -6 is not a card number"),
            (AlsaMixer.self, "--count", ["monitor"], "--count must be positive"),
        ]

        @Test("defect: --level -6 failed with 'Missing value'; now every option that takes a number takes -6 as '--opt -6' and '--opt=-6'",
              arguments: 0..<21)
        func negativeValue(index: Int) async {
            await onOwnThread {
                let (tool, option, rest, refusal) = Self.negativeValues[index]
                var spellings = [[option, "-6"]]
                if option.hasPrefix("--") { spellings.append(["\(option)=-6"]) }
                for spelling in spellings {
                    do {
                        let command = try tool.parseAsRoot(spelling + rest)
                        #expect(refusal == nil, "\(spelling) was accepted")
                        if let tone = command as? AlsaTone { #expect(tone.level == -6) }
                    } catch {
                        let message = tool.message(for: error)
                        #expect(refusal.map { message.contains($0) } == true, "\(spelling): \(message)")
                        #expect(tool.exitCode(for: error) == .validationFailure, "\(spelling): \(message)")
                    }
                }
            }
        }

        // MARK: the lowest rates

        @Test("defect: rates of 1 to 9 Hz asked for a 0-frame buffer; now the request holds at least 16 frames, and the device answers",
              arguments: [1, 5, 9, 10, 159, 160])
        func lowRates(rate: Int) throws {
            let request = try AlsaPlay.parse(["x.wav"]).device.request(format: .s16LE, channelCount: 1, sampleRate: UInt32(rate))
            #expect(request.bufferSize == max(rate / 10, 16) && request.periodSize == max(rate / 10, 16) / 4)
            let latency = try AlsaPlay.parse(["--latency", "1", "x.wav"]).device.request(format: .s16LE, channelCount: 1, sampleRate: UInt32(rate))
            #expect(latency.bufferSize == 16)
        }

        @Test("a low rate plays where the device runs it, and every tool says alike where it does not")
        func lowRatesOnDevices() async throws {
            let raw = WAVTests.temporary("low-rate")
            defer { unlink(raw) }
            try Data(count: 100).write(to: URL(fileURLWithPath: raw))
            // alsa-lib's null device runs any rate.
            let null = try await ToolShell.run(#""$alsa_play" -D null -t raw -f s16 -r 5 -c 1 "\#(raw)""#)
            #expect(null.status == 0 && null.errors.contains("played 50 frames"), "\(null.errors)")
            let tone = try await ToolShell.run(#""$alsa_tone" -D null -r 9 -f 1 --to 2 -d 0.5"#)
            #expect(tone.status == 0 && tone.errors.contains("played 0:00.4"), "\(tone.errors)")
            // The simulated cards run 8000 Hz and up, 5500 Hz and up.
            for (command, says) in [(#""$alsa_play" -D sim -t raw -f s16 -r 5 -c 1 "\#(raw)""#, "runs at 8000 Hz, the file at 5 Hz"),
                                    (#""$alsa_play" -D sim:hw:1,0 -t raw -f s16 -r 9 -c 1 "\#(raw)""#, "runs at 5500 Hz, the file at 9 Hz"),
                                    (#""$alsa_record" -D sim -r 5 -d 1 -"#, "records 2 channels at 8000 Hz, not 2 at 5"),
                                    (#""$alsa_tone" -D sim -r 9 -f 1 --to 2 -d 1"#, "would give 8000 Hz instead of 9 Hz")] {
                let result = try await ToolShell.run(command)
                #expect(result.status == 1 && result.errors.contains(says) && !result.errors.contains("impossible"), "\(command): \(result.errors)")
            }
        }

        // MARK: what the tools compute from what they read

        @Test("a float recording's inf and nan samples draw the level meter instead of trapping")
        func levelMeterOnInfinity() async {
            await #expect(processExitsWith: .success) {
                var meter = LevelMeter(channels: 2)
                [Float.infinity, .nan, -.infinity, 0.5].withUnsafeBufferPointer { meter.add($0) }
                _ = meter.bars()
            }
            var meter = LevelMeter(channels: 1)
            [Float(1)].withUnsafeBufferPointer { meter.add($0) }
            #expect(meter.bars(width: 4).hasPrefix("████"))
        }

        @Test("setDecibels refuses a gain no Int counts in hundredths instead of trapping")
        func setDecibels() async throws {
            // In a process of its own: a trap here would end the whole test run.
            await #expect(processExitsWith: .success) {
                let master = try CardControls(card: 0, kernel: SimulatedMachine.make()).volume(named: "Master")
                for decibels in [1e300, -1e300, 1e17, .infinity, .nan] {
                    do throws(AlsaError) {
                        try master?.setDecibels(decibels)
                        exit(2)
                    } catch {
                        guard error.operation == .decibelConversion, error.kind == .invalidArgument else { exit(3) }
                    }
                }
            }
            let master = try #require(try CardControls(card: 0, kernel: SimulatedMachine.make()).volume(named: "Master"))
            try master.setDecibels(1e16)
            #expect(try master.value() == 31)
        }
    }
}

/// A simple volume whose raw range is every Int, without a dB scale or a switch.
final class WideVolume: VolumeControl {
    let name = "Wide"
    let valueRange = Int.min...Int.max
    let gainRange: (minimum: Int, maximum: Int)? = nil
    let hasSwitch = false
    var current = 0

    func value() -> Int { current }
    func setValue(_ value: Int) { current = value }
    func gain() throws(AlsaError) -> Int { throw AlsaError(.decibelConversion, .invalidArgument, context: "no dB scale") }
    func setGain(_ gain: Int, rounding: DecibelRounding) throws(AlsaError) {
        throw AlsaError(.decibelConversion, .invalidArgument, context: "no dB scale")
    }
    func isMuted() -> Bool { false }
    func setMuted(_ muted: Bool) throws(AlsaError) { throw AlsaError(.controlElementWrite, .invalidArgument, context: "no switch") }
}
