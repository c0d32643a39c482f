import AlsaSimulation
import Testing
@testable import AlsaSwift

/// MIDI's sending and one-at-a-time reading paths allocate nothing once open, in the unit suite's
/// debug build (where generic code is left unspecialized) as in the benchmark's release build:
/// counted on the calling thread over a window of messages after a warm-up, as
/// `AudioPathAllocationTests` counts periods. What the simulated kernel does inside its system
/// calls is left out (`UncountedKernel`), and so is the test's own feeding of the device's input.
/// SysEx is not counted: its payload is an array the app or the parser makes. No read in a window
/// finds the device empty: the EAGAIN the library catches inside costs nothing in an app, but
/// Swift Testing's will-throw hook allocates for every error thrown, caught or not.
@Suite("Allocations on the MIDI paths", .enabled(if: Allocations.areCounted, Allocations.skipReason), .hangTimeLimit)
struct MIDIAllocationTests {
    static let warmup = 16
    static let window = 200

    /// The messages a window cycles through: every fixed-length kind the encoder stages in place.
    static let messages: [MIDIMessage] = [
        .noteOn(channel: 1, note: 60, velocity: 100), .noteOff(channel: 1, note: 60, velocity: 0), .clock,
        .controlChange(channel: 2, controller: 7, value: 90), .pitchBend(channel: 3, value: -100), .programChange(channel: 4, program: 5),
    ]

    @Test("raw MIDI: sendBlocking of one message and of an array, and nextBlocking, 0 allocations a message")
    func rawMIDI() async throws {
        try await onOwnThread {
            let kernel = makeMIDIMachine()
            let sender = try RawMIDI(card: 1, device: 0, directions: .output, kernel: UncountedKernel(kernel))
            let receiver = try RawMIDI(card: 1, device: 1, directions: .input, kernel: UncountedKernel(kernel))
            _ = try receiver.nextBlocking(timeout: .zero)  // the input starts with the first read
            var index = 0
            var received: [MIDIMessage] = []
            received.reserveCapacity((Self.warmup + Self.window) * (1 + Self.messages.count))
            let one = try Allocations.steadyState(warmup: Self.warmup, window: Self.window) {
                let message = Self.messages[index % Self.messages.count]
                index += 1
                try sender.sendBlocking(message)
                if let got = try receiver.nextBlocking(timeout: .zero) { received.append(got) }
            }
            #expect(one == 0, "\(one) allocations in \(Self.window) one-message sends and reads")
            let batch = try Allocations.steadyState(warmup: Self.warmup, window: Self.window) {
                try sender.sendBlocking(Self.messages)
                // As many reads as messages: a read that found nothing would throw EAGAIN inside
                // the library, and Swift Testing's will-throw hook allocates for every throw.
                for _ in 0..<Self.messages.count {
                    if let got = try receiver.nextBlocking(timeout: .zero) { received.append(got) }
                }
            }
            #expect(batch == 0, "\(batch) allocations in \(Self.window) sends of \(Self.messages.count) messages and their reads")
            // What arrived is what was sent, in order: the window moved real messages.
            let sent = (0..<(Self.warmup + Self.window)).map { Self.messages[$0 % Self.messages.count] }
                + Array(repeating: Self.messages, count: Self.warmup + Self.window).flatMap { $0 }
            #expect(received == sent)
        }
    }

    @Test("sequencer: sendBlocking of one message and nextBlocking, 0 allocations a message")
    func sequencer() async throws {
        try await onOwnThread {
            let kernel = makeKernel()
            let sender = try Sequencer(name: "Sender", kernel: UncountedKernel(kernel))
            let out = try sender.createPort(name: "out", capabilities: .output)
            let receiver = try Sequencer(name: "Receiver", kernel: UncountedKernel(kernel))
            let input = try receiver.createPort(name: "in", capabilities: .input)
            try receiver.connect(from: out, to: input)
            var index = 0
            var received: [MIDIMessage?] = []
            received.reserveCapacity(Self.warmup + Self.window)
            let allocations = try Allocations.steadyState(warmup: Self.warmup, window: Self.window) {
                let message = Self.messages[index % Self.messages.count]
                index += 1
                try sender.sendBlocking(message, from: out)
                if let event = try receiver.nextBlocking(timeout: .zero) { received.append(event.message) }
            }
            #expect(allocations == 0, "\(allocations) allocations in \(Self.window) sends and reads")
            #expect(received == (0..<(Self.warmup + Self.window)).map { Optional(Self.messages[$0 % Self.messages.count]) })
        }
    }
}
