import AlsaSimulation
import AlsaSwift
import ArgumentParser
import BenchmarkSupport

/// Heap allocations and user-space time per MIDI message through the public API, on the simulated
/// kernel: raw MIDI through a loop-back cable, and one sequencer client's port to another's. Each
/// path sends `count` messages one at a time and reads each back before sending the next, after a
/// warm-up. Allocations come from the LD_PRELOAD counter (Benchmarks/MallocCount), read around the
/// send and around the receive; the simulated kernel's own allocations and time are measured
/// inside its calls (`SimulationBracket`) and taken off, so what remains is the library's.
/// Prints one key=value line per path.
@main
struct MIDIAlloc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midi-alloc",
        abstract: "Counts heap allocations and times MIDI messages sent and received on the simulated kernel.")

    @Option(help: "Messages per path, after the warm-up.") var count: Int = 20_000
    @Option(help: "Messages sent and received before counting.") var warmUp: Int = 500

    func validate() throws {
        guard (1...10_000_000).contains(count) else { throw ValidationError("--count must be 1 to 10000000") }
        guard (1...1_000_000).contains(warmUp) else { throw ValidationError("--warm-up must be 1 to 1000000") }
    }

    /// Channel, system common and real-time messages in turn: the non-SysEx kinds a synth reads.
    static let messages: [MIDIMessage] = [
        .noteOn(channel: 0, note: 60, velocity: 100), .controlChange(channel: 3, controller: 7, value: 90), .clock,
        .pitchBend(channel: 2, value: -100), .programChange(channel: 1, program: 5), .noteOff(channel: 0, note: 60, velocity: 0),
        .channelAftertouch(channel: 4, pressure: 6), .songPosition(300),
    ]

    func run() async throws {
        if Allocations.count == nil { print("# the malloc counter is not preloaded: allocations are not counted") }
        for path in RawPath.allCases { try await measureRaw(path) }
        for path in SequencerPath.allCases { try await measureSequencer(path) }
    }

    enum RawPath: String, CaseIterable {
        case blocking = "raw sendBlocking+receiveBlocking"
        case nextBlocking = "raw sendBlocking+nextBlocking"
        case async = "raw send+next"
        case sequence = "raw send+messages"
        case receiveArray = "raw send+receive"
    }

    enum SequencerPath: String, CaseIterable {
        case blocking = "sequencer sendBlocking+receiveBlocking"
        case nextBlocking = "sequencer sendBlocking+nextBlocking"
        case async = "sequencer send+next"
        case sequence = "sequencer send+events"
    }

    func measureRaw(_ path: RawPath) async throws {
        let bracket = SimulationBracket(Self.loopBackMachine())
        let output = try RawMIDI(card: 1, device: 0, directions: .output, kernel: bracket)
        let input = try RawMIDI(card: 1, device: 1, directions: .input, kernel: bracket)
        _ = try input.available()   // the kernel starts a raw MIDI input at its first read
        var iterator = input.messages.makeAsyncIterator()
        try await measure(path.rawValue, bracket) { message in
            switch path {
            case .blocking, .nextBlocking: try output.sendBlocking(message)
            case .async, .sequence, .receiveArray: try await output.send(message)
            }
        } receive: {
            switch path {
            case .blocking: return try input.receiveBlocking().first
            case .nextBlocking: return try input.nextBlocking()
            case .async: return try await input.next()
            case .sequence: return try await iterator.next()
            case .receiveArray: return try await input.receive().first
            }
        }
    }

    func measureSequencer(_ path: SequencerPath) async throws {
        let bracket = SimulationBracket(SimulatedKernel())
        let sender = try Sequencer(name: "midi-alloc out", kernel: bracket)
        let from = try sender.createPort(name: "out", capabilities: .output)
        let receiver = try Sequencer(name: "midi-alloc in", kernel: bracket)
        let to = try receiver.createPort(name: "in", capabilities: .input)
        // Connected by the receiver itself: no PORT_SUBSCRIBED notice reaches its port.
        try receiver.connect(from: from, to: to)
        var iterator = receiver.events.makeAsyncIterator()
        try await measure(path.rawValue, bracket) { message in
            switch path {
            case .blocking, .nextBlocking: try sender.sendBlocking(message, from: from)
            case .async, .sequence: try await sender.send(message, from: from)
            }
        } receive: {
            switch path {
            case .blocking: return try receiver.receiveBlocking().first?.message
            case .nextBlocking: return try receiver.nextBlocking()?.message
            case .async: return try await receiver.next()?.message
            case .sequence: return try await iterator.next()?.message
            }
        }
    }

    /// A MIDI interface on card 1 whose device 0's MIDI OUT is cabled to device 1's MIDI IN.
    static func loopBackMachine() -> SimulatedKernel {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        kernel.addMIDIDevice(card: 1, device: 0, SimulatedMIDIDevice(name: "Loop A", id: "LoopA"))
        kernel.addMIDIDevice(card: 1, device: 1, SimulatedMIDIDevice(name: "Loop B", id: "LoopB"))
        _ = kernel.connectMIDIOut(card: 1, device: 0, toInputOf: 1, device: 1)
        return kernel
    }

    /// Sends and receives `warmUp` then `count` messages, one in flight at a time, and prints the
    /// allocations per message (send, receive, and the simulation's part taken off) and the time.
    func measure(_ name: String, _ bracket: SimulationBracket,
                 send: (MIDIMessage) async throws -> Void, receive: () async throws -> MIDIMessage?) async throws {
        for index in 0..<warmUp {
            let message = Self.messages[index % Self.messages.count]
            try await send(message)
            guard try await receive() == message else { throw ValidationError("\(name): warm-up message \(index) did not come back") }
        }
        // The simulation's allocations split by phase: its calls during sends and during receives.
        var sendTotal = 0, receiveTotal = 0, simulationSend = 0, simulationReceive = 0
        let startSimulation = bracket.spent
        let start = Clock.nanoseconds()
        for index in 0..<count {
            let before = bracket.spent.allocations
            let message = Self.messages[index % Self.messages.count]
            let a = Allocations.count ?? 0
            try await send(message)
            let b = Allocations.count ?? 0
            let middle = bracket.spent.allocations
            let received = try await receive()
            let c = Allocations.count ?? 0
            let after = bracket.spent.allocations
            guard received == message else { throw ValidationError("\(name): message \(index) came back as \(String(describing: received))") }
            sendTotal += Int(b &- a)
            receiveTotal += Int(c &- b)
            simulationSend += middle - before
            simulationReceive += after - middle
        }
        let elapsed = Clock.nanoseconds() - start
        let simulationTime = bracket.spent.nanoseconds - startSimulation.nanoseconds
        func perMessage(_ value: Int) -> String {
            let scaled = (value * 100 + count / 2) / count
            return "\(scaled / 100).\(scaled % 100 < 10 ? "0" : "")\(scaled % 100)"
        }
        let counted = Allocations.count != nil
        print([
            "midi-alloc path=\"\(name)\" messages=\(count)",
            counted ? "send_allocs=\(perMessage(sendTotal - simulationSend))" : "send_allocs=n/a",
            counted ? "receive_allocs=\(perMessage(receiveTotal - simulationReceive))" : "receive_allocs=n/a",
            counted ? "simulation_allocs=\(perMessage(simulationSend + simulationReceive))" : "simulation_allocs=n/a",
            "ns_per_message=\(elapsed / count)",
            "simulation_ns=\(simulationTime / count)",
            "library_ns=\((elapsed - simulationTime) / count)",
        ].joined(separator: " "))
    }
}
