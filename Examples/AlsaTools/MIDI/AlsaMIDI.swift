import AlsaSimulation
import AlsaSwift
import ArgumentParser
import Foundation

/// `alsa-midi`: raw MIDI devices and sequencer ports the way amidi, aconnect and aseqdump use
/// them: `-l` lists both, `-S` sends hex, `--note` a test note, `-d` dumps what arrives (as text
/// or JSON lines), `--connect`/`--disconnect` join two sequencer ports.
package struct AlsaMIDI: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-midi",
        abstract: "List, send to, dump and connect raw MIDI devices and ALSA sequencer ports.")

    @Option(name: [.customShort("D"), .long],
            help: "The machine: sim for the simulated one (raw MIDI hw:1,0 with its MIDI OUT cabled into its MIDI IN, and the sequencer's Midi Through 14:0). Without it, this machine.")
    package var device: String?

    @Flag(name: [.customShort("l"), .long],
          help: "List the raw MIDI devices (as amidi -l) and every sequencer client and port with its connections (as aconnect -l).")
    package var list = false

    @Option(name: [.customShort("p"), .long],
            help: "The port for -S, --note and -d: a raw MIDI device (hw:1,0, hw:1,0,2, hw:CARD=VirMIDI,DEV=0) or a sequencer port (14:0, 'Midi Through:0').")
    package var port: String?

    @Option(name: [.customShort("S"), .customLong("send-hex")], help: "Send these bytes, in hex (\"90 3C 7F\" or 903C7F), to the port.")
    package var sendHex: String?

    @Flag(help: "Send a test note to the port: middle C on channel 1, held for half a second.")
    package var note = false

    @Flag(name: [.customShort("d"), .long],
          help: "Dump the messages arriving from the port, one a line as aseqdump prints them, until Ctrl-C, -t or --count.")
    package var dump = false

    @Flag(help: "Print JSON: the listing as one object, a dump as one object a line.")
    package var json = false

    @Option(name: [.customShort("t"), .long], help: "With -d: stop after this many seconds (above 0, at most a day).")
    package var timeout: Double?

    @Option(name: [.customShort("c"), .long], help: "With -d: stop after this many messages (1 or more).")
    package var count: Int?

    @Option(parsing: .upToNextOption, help: "Connect two sequencer ports, SENDER RECEIVER, as aconnect SENDER RECEIVER does.")
    package var connect: [String] = []

    @Option(parsing: .upToNextOption, help: "Undo the connection of two sequencer ports, SENDER RECEIVER, as aconnect -d does.")
    package var disconnect: [String] = []

    package init() {}

    /// What `-p` names, checked.
    package var portName: MIDIPortName? { get throws { try port.map { text throws(ValidationError) in try MIDIPortName(text) } } }

    /// The bytes of `-S`, checked.
    package var bytes: [UInt8]? { get throws { try sendHex.map { text throws(ValidationError) in try HexBytes.parse(text) } } }

    package func validate() throws {
        if let device, device != SimulatedMachine.name {
            throw ValidationError("--device takes sim (the simulated machine) only; without it, this machine's devices are used")
        }
        guard list || sendHex != nil || note || dump || !connect.isEmpty || !disconnect.isEmpty else {
            throw ValidationError("nothing to do: give -l, -S, --note, -d, --connect or --disconnect")
        }
        for (name, ports) in [("--connect", connect), ("--disconnect", disconnect)] where !ports.isEmpty && ports.count != 2 {
            throw ValidationError("\(name) takes two sequencer ports, SENDER RECEIVER (such as 14:0 128:0)")
        }
        if (sendHex != nil || note || dump) && port == nil {
            throw ValidationError("-S, --note and -d need a port: -p hw:1,0 or -p 14:0")
        }
        _ = try portName
        _ = try bytes
        if let timeout, !(timeout > 0 && timeout <= 86_400) {
            throw ValidationError("--timeout \(timeout): give seconds above 0, at most 86400")
        }
        if let count, count < 1 { throw ValidationError("--count \(count): give 1 or more") }
        if (timeout != nil || count != nil) && !dump { throw ValidationError("--timeout and --count go with -d") }
    }

    /// This machine's kernel, or a new simulated machine with its MIDI (`-D sim`).
    package var kernel: any KernelInterface { device == nil ? LinuxKernel.shared : SimulatedMachine.makeWithMIDI() }

    /// Ctrl-C and SIGTERM end a dump with 128 + the signal, after what arrived was printed.
    package func run() async throws {
        Interruption.install()
        try await Interruption.running { try await perform(on: kernel) }
    }

    /// Everything asked, in this order: connections, the listing, then sending and dumping on the
    /// port. Each line goes to `emit` as it is ready.
    package func perform(on kernel: any KernelInterface, emit: @escaping @Sendable (String) -> Void = { Say.line($0) }) async throws {
        if !connect.isEmpty || !disconnect.isEmpty {
            let sequencer = try Sequencer(name: "alsa-midi", kernel: kernel)
            if !connect.isEmpty { try sequencer.connect(from: sequencer.address(of: connect[0]), to: sequencer.address(of: connect[1])) }
            if !disconnect.isEmpty { try sequencer.disconnect(from: sequencer.address(of: disconnect[0]), to: sequencer.address(of: disconnect[1])) }
        }
        if list {
            let listing = try MIDIListing(kernel: kernel)
            emit(json ? try listing.json() : listing.text)
        }
        switch try portName {
        case .raw(let name)?: try await rawMIDI(name, kernel: kernel, emit: emit)
        case .sequencer(let name)?: try await sequencer(name, kernel: kernel, emit: emit)
        case nil: break
        }
    }

    /// What `--note` sends, with the wait between its two messages.
    static let testNote = (on: MIDIMessage.noteOn(channel: 0, note: 60, velocity: 100), off: MIDIMessage.noteOff(channel: 0, note: 60, velocity: 0),
                           length: Duration.milliseconds(500))

    private func rawMIDI(_ name: String, kernel: any KernelInterface, emit: @escaping @Sendable (String) -> Void) async throws {
        var directions: RawMIDIDirections = []
        if dump { directions.insert(.input) }
        if sendHex != nil || note { directions.insert(.output) }
        let midi = try RawMIDI(name, directions: directions, kernel: kernel)
        // The kernel starts a raw MIDI input at its first read: start it before anything is sent,
        // or an echo (a loop-back cable, a device's answer) arrives first and is lost.
        let early = dump ? try midi.available() : []
        if let bytes = try bytes { try await midi.write(bytes) }
        if note {
            try await midi.send(Self.testNote.on)
            try await Task.sleep(for: Self.testNote.length)
            try await midi.send(Self.testNote.off)
        }
        if directions.contains(.output) { try midi.drain() }
        guard dump else { return }
        let (json, count, timeout) = (self.json, self.count, self.timeout)
        let handed = RawDump(midi, early: early)
        try await Interruption.cancellingOnStop {
            try await Self.dumping(count: count, timeout: timeout) { () async throws -> Bool in
                guard let message = try await handed.next() else { return false }
                emit(try MIDIDumpLine(source: name, message: message).printed(json: json))
                return true
            }
        }
    }

    private func sequencer(_ name: String, kernel: any KernelInterface, emit: @escaping @Sendable (String) -> Void) async throws {
        let sequencer = try Sequencer(name: "alsa-midi", kernel: kernel)
        let target = try sequencer.address(of: name)
        // The dump's port is connected before anything is sent, so an echo (Midi Through) is seen.
        if dump {
            let input = try sequencer.createPort(name: "alsa-midi dump", capabilities: .input)
            try sequencer.connect(from: target, to: input)
        }
        if sendHex != nil || note {
            let output = try sequencer.createPort(name: "alsa-midi", capabilities: .output)
            if let bytes = try bytes {
                var parser = MIDIParser()
                let messages = parser.parse(bytes)
                if parser.hasPendingMessage { throw ToolFailure("-S: the bytes end inside a message; the sequencer carries whole messages only") }
                if let invalid = messages.first(where: { if case .invalid = $0 { true } else { false } }) {
                    throw ToolFailure("-S: the sequencer carries whole messages only; \(invalid)")
                }
                for message in messages { try await sequencer.send(message, from: output, to: target) }
            }
            if note {
                try await sequencer.send(Self.testNote.on, from: output, to: target)
                try await Task.sleep(for: Self.testNote.length)
                try await sequencer.send(Self.testNote.off, from: output, to: target)
            }
        }
        guard dump else { return }
        let (json, count, timeout) = (self.json, self.count, self.timeout)
        let handed = Handed(sequencer)
        try await Interruption.cancellingOnStop {
            try await Self.dumping(count: count, timeout: timeout) { () async throws -> Bool in
                guard let event = try await handed.value.next() else { return false }
                emit(try MIDIDumpLine(event: event).printed(json: json))
                return true
            }
        }
    }

    /// Runs `receive` (one message each, false once cancelled) until `count` messages, `timeout`
    /// seconds, or cancellation.
    static func dumping(count: Int?, timeout: Double?, _ receive: @escaping @Sendable () async throws -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                while try await receive() {
                    received += 1
                    if let count, received >= count { return }
                }
            }
            if let timeout {
                group.addTask { try? await Task.sleep(for: .milliseconds(Int((timeout * 1000).rounded(.up)))) }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// A device handed to the dump's task: only that task uses it from then on.
private final class Handed<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The dump's raw MIDI device, with what the read that started its input already returned; only
/// the dump's task uses it.
private final class RawDump: @unchecked Sendable {
    private let midi: RawMIDI
    private var early: ArraySlice<MIDIMessage>

    init(_ midi: RawMIDI, early: [MIDIMessage]) {
        self.midi = midi
        self.early = early[...]
    }

    func next() async throws -> MIDIMessage? {
        if let message = early.popFirst() { return message }
        return try await midi.next()
    }
}
