import AlsaSimulation
import AlsaSwift
import ArgumentParser
import Foundation

/// `alsa-mixer`: a card's controls with amixer's habits.
///
///     alsa-mixer -c 0 list                 every element, its values and dB range
///     alsa-mixer get Master                a simple volume (or any element by full name)
///     alsa-mixer set Master 50% unmute     50%, -6dB, 3dB+ / +3dB, 3dB-, 27, mute, unmute, toggle
///     alsa-mixer -D default set Master -6dB   names that are not a card go through alsa-lib
///     alsa-mixer monitor                   print changes as they happen
public struct AlsaMixer: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alsa-mixer",
        abstract: "List, read and set a card's mixer controls, and watch them change.",
        discussion: """
        Commands: list | get NAME | set NAME SETTING... | monitor. NAME is a simple volume ("Master", "PCM", \
        "Capture") or an element's full name ("Master Playback Volume"). SETTING: 50%, -6dB, +3dB or 3dB+, 3dB-, \
        a raw value, mute, unmute, toggle, on, off, or an enumerated item.
        """)

    @Option(name: .customShort("c"), help: "The card number.")
    public var card: Int?

    @Option(name: [.customShort("D"), .long], help: "hw:N for card N, another ALSA name (default, a softvol) for alsa-lib's simple mixer, or sim for the simulated machine's card 0 (sim:hw:1 for its card 1).")
    public var device: String?

    @Flag(help: "Print JSON for scripts.")
    public var json = false

    @Flag(name: .customShort("M"), help: "Percentages on alsamixer's perceptual scale instead of the raw range.")
    public var mapped = false

    @Flag(help: "The capture volume of NAME rather than its playback volume.")
    public var capture = false

    @Option(help: "monitor: stop after this many events.")
    public var count: Int?

    @Argument(parsing: .allUnrecognized, help: "list | get NAME | set NAME SETTING... | monitor")
    public var words: [String] = ["list"]

    public init() {}

    public func validate() throws {
        if card != nil && device != nil { throw ValidationError("give -c or -D, not both") }
        if let card, card < 0 { throw ValidationError("-c takes a card number") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        guard let command = words.first else { return }
        switch command {
        case "list", "monitor":
            if words.count != 1 { throw ValidationError("\(command) takes no arguments") }
        case "get":
            if words.count != 2 { throw ValidationError("get takes one NAME") }
        case "set":
            if words.count < 3 { throw ValidationError("set takes a NAME and at least one SETTING") }
            for word in words.dropFirst(2) { _ = try VolumeSetting.parse(word) }
        default:
            throw ValidationError("unknown command \(command): list, get, set or monitor")
        }
    }

    /// Where the controls are: a card through the kernel seam, or an alsa-lib name.
    public enum Target {
        case card(Int, any KernelInterface)
        case alsaLib(String)
    }

    /// The simulated machine's card 0 for `sim`, its card N for `sim:hw:N`; a card of this machine
    /// for `hw:N` or `-c N`; alsa-lib's simple mixer for other names.
    public var target: Target {
        get throws(ValidationError) {
            if let device, let name = SimulatedMachine.hardwareName(for: device) {
                guard let number = try Self.cardNumber(name) else { throw ValidationError("\(device): the simulated machine's cards are sim:hw:0 and sim:hw:1") }
                return .card(number, SimulatedMachine.make())
            }
            if let device, let number = try Self.cardNumber(device) {
                return .card(number, LinuxKernel.shared)
            }
            if let device { return .alsaLib(device) }
            return .card(card ?? 0, LinuxKernel.shared)
        }
    }

    /// N in `hw:N` (or `hw:N,D`: a mixer belongs to the card); nil for other names, an error for a
    /// number no card has.
    static func cardNumber(_ name: String) throws(ValidationError) -> Int? {
        guard name.hasPrefix("hw:") else { return nil }
        let digits = name.dropFirst(3).prefix { $0 != "," }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        guard let number = Int(digits), number <= Int(Int32.max) else {
            throw ValidationError("\(name): card \(digits) is out of range (0 to \(Int32.max))")
        }
        return number
    }

    /// The simulated machine every tool shares (`-D sim`): its card 0 has the mixer.
    public static func simulatedMachine() -> SimulatedKernel { SimulatedMachine.make() }

    public func run() async throws {
        Say.line(try await output(try target))
    }

    /// The executable's entry: parse, run, and exit as ArgumentParser does (the executable's
    /// top-level code would otherwise pick the synchronous `main`).
    public static func runAsMain() async {
        do {
            let command = try parseAsRoot()
            guard let mixer = command as? AlsaMixer else {
                var other = command
                try other.run()
                return
            }
            try await mixer.run()
        } catch {
            exit(withError: error)
        }
    }

    /// What the command prints, for `target`.
    public func output(_ target: Target) async throws -> String {
        let command = words.first ?? "list"
        switch target {
        case .alsaLib(let name):
            guard command == "get" || command == "set" else {
                throw ToolFailure("\(command) needs a card (-c N or -D hw:N); \(name) is served by alsa-lib's simple mixer, which offers get and set")
            }
            let volume = try AlsaLibVolume(device: name, direction: direction, name: words[1])
            return try apply(to: volume)
        case .card(let number, let kernel):
            let controls = try CardControls(card: number, kernel: kernel)
            switch command {
            case "list":
                let reports = try controls.elements().map { try ElementReport($0, controls: controls) }
                return json ? try Self.encode(reports) : reports.map(\.text).joined(separator: "\n")
            case "monitor":
                // `-D sim` plays the other process itself; an injected kernel has its own.
                return try await monitor(controls, simulator: device.map(SimulatedMachine.names) == true ? kernel as? SimulatedKernel : nil)
            default:
                if let volume = try controls.volume(named: words[1], direction) { return try apply(to: volume) }
                return try applyToElement(try controls.element(named: words[1]), controls: controls)
            }
        }
    }

    private var direction: StreamDirection { capture ? .capture : .playback }

    private func apply(to volume: any VolumeControl) throws -> String {
        for word in words.dropFirst(2) {
            try VolumeAdjuster.apply(try VolumeSetting.parse(word), to: volume, mapped: mapped)
        }
        let report = try VolumeReport(volume, direction: direction)
        return json ? try Self.encode(report) : report.text
    }

    /// `set` on an element by its full name: raw values, percentages, dB, switches and items.
    private func applyToElement(_ element: ControlElement, controls: CardControls) throws -> String {
        if words.count > 2 {
            let setting = try VolumeSetting.parse(words[2])
            let value: ControlValue
            switch (element.type, setting) {
            case (.boolean, .mute), (.boolean, .word("off")), (.boolean, .word("OFF")):
                value = .booleans(Array(repeating: false, count: element.count))
            case (.boolean, .unmute), (.boolean, .word("on")), (.boolean, .word("ON")):
                value = .booleans(Array(repeating: true, count: element.count))
            case (.boolean, .toggle):
                guard case .booleans(let on) = try controls.value(of: element) else { throw ToolFailure("\(element.id.name): not a switch") }
                value = .booleans(on.map { !$0 })
            case (.enumerated(let items), .word(let item)):
                guard let position = items.firstIndex(where: { $0.lowercased() == item.lowercased() }) ?? Int(item) else {
                    throw ToolFailure("\(element.id.name) has no item \(item): \(items.joined(separator: ", "))")
                }
                value = .items(Array(repeating: position, count: element.count))
            case (.integer, .set(let amount, let step)), (.integer64, .set(let amount, let step)):
                let range = element.integerRange!
                guard case .integers(let current) = try controls.value(of: element) else { throw ToolFailure("\(element.id.name): no value") }
                let scale = try controls.decibelScale(of: element)
                value = .integers(try current.map { (now) throws -> Int in
                    try Self.target(amount, step: step, now: now, range: range, scale: scale, name: element.id.name)
                })
            default:
                throw ToolFailure("\(words[2]) does not apply to \(element.id.name) (\(element.type))")
            }
            try controls.setValue(value, of: element)
        }
        let report = try ElementReport(element, controls: controls)
        return json ? try Self.encode(report) : report.text
    }

    static func target(_ amount: VolumeSetting.Amount, step: Int, now: Int, range: ClosedRange<Int>, scale: DecibelScale?,
                       name: String) throws -> Int {
        let target: Int
        switch amount {
        case .raw(let value): target = step == 0 ? value : now + step * value
        case .percent(let percent):
            let delta = Int((percent / 100 * Double(range.upperBound - range.lowerBound)).rounded())
            target = step == 0 ? range.lowerBound + delta : now + step * max(delta, 1)
        case .decibels(let decibels):
            guard let scale else { throw ToolFailure("\(name) has no dB scale") }
            let gain = Int((decibels * 100).rounded())
            let base = step == 0 ? 0 : max(try scale.gain(ofValue: now, range: range), try scale.gainRange(over: range).minimum)
            target = try scale.value(forGain: step == 0 ? gain : base + step * gain, range: range,
                                     rounding: step > 0 ? .up : step < 0 ? .down : .nearest)
        }
        return min(max(target, range.lowerBound), range.upperBound)
    }

    /// Prints each change with the element's new values, until `--count` events (or Ctrl-C).
    private func monitor(_ controls: CardControls, simulator: SimulatedKernel?) async throws -> String {
        let events = try controls.events()
        var lines: [String] = []
        if let simulator {
            // The simulated card has no other process: play one, moving the master volume.
            for value in [20, 15, 10] { simulator.setControl(named: "Master Playback Volume", values: [value, value], card: controls.card) }
        }
        var seen = 0
        for try await event in events {
            var line = "event \(Self.changeText(event.changes)): \(event.element)"
            if event.changes.contains(.value), let element = try? controls.element(event.element),
               let report = try? ElementReport(element, controls: controls) {
                line += " values=" + report.values.joined(separator: ",")
                if let gains = report.gains { line += " [" + gains.map(ElementReport.decibels).joined(separator: ",") + "]" }
            }
            if json {
                lines.append(line)
            } else {
                Say.line(line)
            }
            seen += 1
            if let count, seen >= count { break }
            // The simulated card's changes are all queued at once: stop when they are shown.
            if simulator != nil, count == nil { break }
        }
        return json ? try Self.encode(lines) : "\(seen) events"
    }

    static func changeText(_ changes: ControlChanges) -> String {
        if changes.contains(.removed) { return "REMOVE" }
        let names: [(ControlChanges, String)] = [(.value, "VALUE"), (.info, "INFO"), (.added, "ADD"), (.tlv, "TLV")]
        return names.filter { changes.contains($0.0) }.map(\.1).joined(separator: ",")
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
