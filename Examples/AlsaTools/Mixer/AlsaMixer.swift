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
package struct AlsaMixer: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-mixer",
        abstract: "List, read and set a card's mixer controls, and watch them change.",
        discussion: """
        Commands: list | get NAME | set NAME SETTING... | monitor. NAME is a simple volume ("Master", "PCM", \
        "Capture") or an element's full name ("Master Playback Volume"). SETTING: 50%, -6dB, +3dB or 3dB+, 3dB-, \
        a raw value, mute, unmute, toggle, on, off, or an enumerated item.
        """)

    @Option(name: .customShort("c"), parsing: .unconditional, help: "The card number.")
    package var card: Int?

    @Option(name: [.customShort("D"), .long], help: "hw:N for card N, another ALSA name (default, a softvol) for alsa-lib's simple mixer, or sim for the simulated machine's card 0 (sim:hw:1 for its card 1).")
    package var device: String?

    @Flag(help: "Print JSON for scripts (monitor: one JSON object per line, as each change comes).")
    package var json = false

    @Flag(name: .customShort("M"), help: "Percentages on alsamixer's perceptual scale instead of the raw range.")
    package var mapped = false

    @Flag(help: "The capture volume of NAME rather than its playback volume.")
    package var capture = false

    @Option(parsing: .unconditional, help: "monitor: stop after this many events.")
    package var count: Int?

    @Argument(parsing: .allUnrecognized, help: "list | get NAME | set NAME SETTING... | monitor")
    package var words: [String] = ["list"]

    package init() {}

    /// The card numbers `-c` takes: what the kernel's int holds.
    package static let cards = 0...Int(Int32.max)

    package func validate() throws {
        if card != nil && device != nil { throw ValidationError("give -c or -D, not both") }
        if let card, !Self.cards.contains(card) { throw ValidationError("-c \(card) is not a card number (0 to \(Self.cards.upperBound))") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        guard let command = words.first else { return }
        switch command {
        case "list", "monitor":
            if words.count != 1 { throw ValidationError("\(command) takes no arguments") }
        case "get":
            if words.count != 2 { throw ValidationError("get takes one NAME") }
        case "set":
            if words.count < 3 { throw ValidationError("set takes a NAME and at least one SETTING") }
            // Every setting is read before any is applied: one bad word refuses the whole line,
            // with the usage status (64) as other bad numbers get.
            for word in words.dropFirst(2) {
                do throws(ToolFailure) { _ = try VolumeSetting.parse(word) } catch { throw ValidationError(error.description) }
            }
        default:
            throw ValidationError("unknown command \(command): list, get, set or monitor")
        }
    }

    /// Where the controls are: a card through the kernel seam, or an alsa-lib name.
    package enum Target: Sendable {
        case card(Int, any KernelInterface)
        case alsaLib(String)
    }

    /// The simulated machine's card 0 for `sim`, its card N for `sim:hw:N`; a card of this machine
    /// for `hw:N` or `-c N`; alsa-lib's simple mixer for other names.
    package var target: Target {
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
        guard let number = Int(digits), cards.contains(number) else {
            throw ValidationError("\(name): card \(digits) is out of range (0 to \(cards.upperBound))")
        }
        return number
    }

    /// The simulated machine every tool shares (`-D sim`): its card 0 has the mixer.
    package static func simulatedMachine() -> SimulatedKernel { SimulatedMachine.make() }

    /// Ctrl-C and SIGTERM end the command with 128 + the signal; `monitor` first prints what it
    /// has (each change is printed as it comes).
    package func run() async throws {
        Interruption.install()
        try await Interruption.running {
            let text = try await output(try target)
            if !text.isEmpty { Say.line(text) }
        }
    }

    /// What the command prints, for `target`. `monitor` hands each change to `emit` as it comes
    /// (a line of text, or of JSON) and returns the count of events, or nothing with `--json`.
    package func output(_ target: Target, emit: @escaping @Sendable (String) -> Void = { Say.line($0) }) async throws -> String {
        guard words.first == "monitor" else { return try report(target) }
        guard case .card(let number, let kernel) = target else {
            throw ToolFailure("monitor needs a card (-c N or -D hw:N); \(device ?? "") is served by alsa-lib's simple mixer, which offers get and set")
        }
        // `-D sim` plays the other process itself; an injected kernel has its own.
        let simulator = device.map(SimulatedMachine.names) == true ? kernel as? SimulatedKernel : nil
        let (json, count) = (self.json, self.count)
        let seen = try await Interruption.cancellingOnStop {
            try await Self.monitor(card: number, kernel: kernel, simulator: simulator, json: json, count: count, emit: emit)
        }
        return json ? "" : "\(seen) events"
    }

    /// What `list`, `get` and `set` print, for `target`.
    package func report(_ target: Target) throws -> String {
        let command = words.first ?? "list"
        guard command == "list" || (["get", "set"].contains(command) && words.count >= 2) else {
            throw ToolFailure("a report is list, get NAME or set NAME SETTING..., not \(words.joined(separator: " "))")
        }
        switch target {
        case .alsaLib(let name):
            guard command == "get" || command == "set" else {
                throw ToolFailure("\(command) needs a card (-c N or -D hw:N); \(name) is served by alsa-lib's simple mixer, which offers get and set")
            }
            let volume = try AlsaLibVolume(device: name, direction: direction, name: words[1])
            return try apply(to: volume)
        case .card(let number, let kernel):
            let controls = try CardControls(card: number, kernel: kernel)
            if command == "list" {
                let reports = try controls.elements().map { try ElementReport($0, controls: controls) }
                return json ? try Self.encode(reports) : reports.map(\.text).joined(separator: "\n")
            }
            if let volume = try controls.volume(named: words[1], direction) { return try apply(to: volume) }
            let element: ControlElement
            do throws(AlsaError) {
                element = try controls.element(named: words[1])
            } catch {
                guard error.kind == .noSuchDevice else { throw error }
                throw ToolFailure("card \(number) has no control named '\(words[1])' (alsa-mixer list shows them all)")
            }
            return try applyToElement(element, controls: controls)
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

    /// `set` on an element by its full name: raw values, percentages, dB, switches and items,
    /// each setting in turn.
    private func applyToElement(_ element: ControlElement, controls: CardControls) throws -> String {
        for word in words.dropFirst(2) {
            try controls.setValue(try Self.value(for: try VolumeSetting.parse(word), word: word, of: element, controls: controls), of: element)
        }
        let report = try ElementReport(element, controls: controls)
        return json ? try Self.encode(report) : report.text
    }

    /// The value a setting gives an element: every channel set alike.
    static func value(for setting: VolumeSetting, word: String, of element: ControlElement, controls: CardControls) throws -> ControlValue {
        let name = element.id.name
        let doesNotApply = ToolFailure("\(word) does not apply to \(name) (\(element.type))")
        switch element.type {
        case .boolean:
            let on: Bool
            switch setting {
            case .mute: on = false
            case .unmute: on = true
            case .word(let word) where ["on", "off"].contains(word.lowercased()): on = word.lowercased() == "on"
            case .set(.raw(let value), step: 0) where (0...1).contains(value): on = value == 1
            case .toggle:
                guard case .booleans(let now) = try controls.value(of: element) else { throw ToolFailure("\(name): not a switch") }
                return .booleans(now.map { !$0 })
            default: throw doesNotApply
            }
            return .booleans(Array(repeating: on, count: element.count))
        case .enumerated(let items):
            let position: Int
            switch setting {
            case .word(let item):
                guard let found = items.firstIndex(where: { $0.lowercased() == item.lowercased() }) else {
                    throw ToolFailure("\(name) has no item \(item): its items are \(items.joined(separator: ", "))")
                }
                position = found
            case .set(.raw(let number), step: 0):
                guard items.indices.contains(number) else {
                    throw ToolFailure("\(name) has no item \(number): its items are \(items.joined(separator: ", ")), 0 to \(items.count - 1)")
                }
                position = number
            default: throw doesNotApply
            }
            return .items(Array(repeating: position, count: element.count))
        case .integer, .integer64:
            guard case .set(let amount, let step) = setting, let range = element.integerRange else { throw doesNotApply }
            guard case .integers(let current) = try controls.value(of: element) else { throw ToolFailure("\(name): no value") }
            let scale = try controls.decibelScale(of: element)
            return .integers(try current.map { (now) throws -> Int in
                try Self.target(amount, step: step, now: now, range: range, scale: scale, name: name)
            })
        case .bytes, .iec958:
            throw doesNotApply
        }
    }

    /// One channel's new value: `amount` (or a step by it from `now`), held to `range`.
    static func target(_ amount: VolumeSetting.Amount, step: Int, now: Int, range: ClosedRange<Int>, scale: DecibelScale?,
                       name: String) throws -> Int {
        switch amount {
        case .raw(let value): return SettingArithmetic.raw(value, step: step, now: now, in: range)
        case .percent(let percent): return SettingArithmetic.percent(percent, step: step, now: now, in: range)
        case .decibels(let decibels):
            guard let scale else { throw ToolFailure("\(name) has no dB scale") }
            let current = step == 0 ? 0 : try scale.gain(ofValue: now, range: range)
            let gain = SettingArithmetic.gain(VolumeSetting.hundredths(decibels), step: step, current: current,
                                              lowest: try scale.gainRange(over: range).minimum)
            let target = try scale.value(forGain: gain, range: range, rounding: SettingArithmetic.rounding(step))
            return min(max(target, range.lowerBound), range.upperBound)
        }
    }

    /// Hands each change to `emit` with the element's new values, until `count` events, the end
    /// of the task (Ctrl-C cancels it), or, on the simulated card, once its own changes are shown.
    private static func monitor(card: Int, kernel: any KernelInterface, simulator: SimulatedKernel?, json: Bool, count: Int?,
                                emit: @Sendable (String) -> Void) async throws -> Int {
        let controls = try CardControls(card: card, kernel: kernel)
        let events = try controls.events()
        if let simulator {
            // The simulated card has no other process: play one, moving the master volume.
            for value in [20, 15, 10] { simulator.setControl(named: "Master Playback Volume", values: [value, value], card: card) }
        }
        var seen = 0
        for try await event in events {
            var values: ElementReport?
            if event.changes.contains(.value), let element = try? controls.element(event.element) {
                values = try? ElementReport(element, controls: controls)
            }
            let report = EventReport(event, values: values)
            emit(json ? try encodeLine(report) : report.text)
            seen += 1
            if let count, seen >= count { break }
            // The simulated card's changes are all queued at once: stop when they are shown.
            if simulator != nil, count == nil { break }
        }
        return seen
    }

    /// One JSON object on one line: JSON Lines, which a reader can take a line at a time.
    static func encodeLine<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
