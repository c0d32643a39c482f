import AlsaSwift
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Raw MIDI and the sequencer on the rig's kernel, with alsa-utils as the peer: snd-virmidi
/// (card "VirMIDI", two devices, each a sequencer client with one port) and snd-seq-dummy (client
/// 14, Midi Through).
///
/// Not yet passing: on the rig at c9df1d0 nothing written with amidi -S arrived within the time
/// limit (the first test), and that test's unbounded wait held the rig until its timeout. Every
/// wait is bounded now; the suite stays disabled until it passes on the rig.
@Suite(.enabled(if: RigEnvironment.card(driver: "VirMIDI") != nil, Comment(rawValue: "needs snd-virmidi and snd-seq-dummy: run Scripts/kernel-test")),
       .disabled("not yet passing on the rig: amidi -S bytes did not arrive (see the suite's comment)"),
       .serialized, .scaledTimeLimit(minutes: 2))
struct MIDIIntegrationTests {
    static var card: Int { RigEnvironment.card(driver: "VirMIDI") ?? -1 }

    /// The sequencer port of virmidi device `device`: the kernel client "Virtual Raw MIDI 4-0"
    /// and its port "VirMIDI 4-0".
    static func virmidiPort(_ sequencer: Sequencer, device: Int) throws -> SequencerAddress {
        let suffix = " \(card)-\(device)"
        let clients = try sequencer.clients()
        let client = try #require(clients.first { $0.isKernelClient && $0.name.hasSuffix(suffix) }, "no kernel client ending in \(suffix): \(clients)")
        return try #require(client.ports.first?.address)
    }

    /// How long a wait for an event may take before the test fails instead of hanging.
    static let patience = scaled(.seconds(10))

    /// Up to `count` items from `next`, or fewer when `patience` runs out first (the waiting task
    /// is cancelled then, which ends the library's async waits).
    static func collect<T: Sendable>(_ count: Int, _ next: @escaping @Sendable () async throws -> T?) async throws -> [T] {
        try await withThrowingTaskGroup(of: [T]?.self) { group in
            group.addTask {
                var items: [T] = []
                while items.count < count, let item = try await next() { items.append(item) }
                return items
            }
            group.addTask {
                try? await Task.sleep(for: patience)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next().flatMap { $0 } ?? []
        }
    }

    static let sent = "90 3C 7F 3E 40 F0 7E 7F 09 01 F7 B0 07 64"
    static let expected: [MIDIMessage] = [.noteOn(channel: 0, note: 60, velocity: 127), .noteOn(channel: 0, note: 62, velocity: 64),
                                          .systemExclusive([0x7E, 0x7F, 0x09, 0x01]), .controlChange(channel: 0, controller: 7, value: 100)]

    @Test("bytes written with amidi -S arrive typed: at a sequencer port, and at a raw MIDI device through an aconnect connection")
    func amidiToAlsaSwift() async throws {
        let sequencer = try Sequencer(name: "AlsaSwift rig")
        let input = try sequencer.createPort(name: "in", capabilities: .input)
        let virmidi0 = try Self.virmidiPort(sequencer, device: 0), virmidi1 = try Self.virmidiPort(sequencer, device: 1)
        try sequencer.connect(from: virmidi0, to: input)
        let connect = try await ToolShell.run("aconnect \(virmidi0) \(virmidi1)")
        #expect(connect.status == 0, "\(connect.errors)")
        defer { _ = try? sequencer.disconnect(from: virmidi0, to: virmidi1) }
        #expect(try sequencer.port(virmidi0).connectedTo.contains(virmidi1), "aconnect's connection is in AlsaSwift's listing")
        let raw = try RawMIDI("hw:\(Self.card),1", directions: .input)

        let amidi = try await ToolShell.run("amidi -p hw:\(Self.card),0 -S '\(Self.sent)'")
        #expect(amidi.status == 0, "\(amidi.errors)")
        let shared = Unchecked(sequencer), rawShared = Unchecked(raw)
        let events = try await Self.collect(Self.expected.count) { try await shared.value.next() }
        #expect(events.map(\.message) == Self.expected.map { $0 })
        #expect(events.allSatisfy { $0.source == virmidi0 })
        let messages = try await Self.collect(Self.expected.count) { try await rawShared.value.next() }
        #expect(messages == Self.expected, "running status and SysEx through virmidi's byte encoder")
    }

    @Test("messages AlsaSwift sends show up in aseqdump -p; its connection shows in aconnect -l")
    func alsaSwiftToAseqdump() async throws {
        let sequencer = try Sequencer(name: "AlsaSwift sender")
        let output = try sequencer.createPort(name: "out", capabilities: .output)
        let changes = try SequencerChanges()
        // aseqdump connects itself to our port; we send once the System client announces it.
        let dump = Task { try await ToolShell.run("timeout -s INT 5 stdbuf -oL aseqdump -p \(output)") }
        let watched = Unchecked(changes)
        let subscribed = try await Self.collect(1) { () async throws -> Bool? in
            while let change = try await watched.value.next() {
                if case .connected(let from, _) = change, from == output { return true }
            }
            return nil
        }
        try #require(subscribed == [true], "aseqdump did not connect to \(output)")
        try sequencer.sendBlocking(.noteOn(channel: 2, note: 64, velocity: 90), from: output)
        try sequencer.sendBlocking(.controlChange(channel: 0, controller: 7, value: 100), from: output)
        try sequencer.sendBlocking(.pitchBend(channel: 1, value: -8192), from: output)
        try sequencer.sendBlocking(.systemExclusive([0x7E, 0x7F, 0x09, 0x01]), from: output)
        let peer = try SequencerAddress(parsing: "14:0")
        let receiver = try sequencer.createPort(name: "in", capabilities: .input)
        try sequencer.connect(from: peer, to: receiver)
        let listed = try await ToolShell.run("aconnect -l")
        let ours = "\(sequencer.client):\(receiver.port)"
        #expect(listed.outputText.split(separator: "\n").contains { $0.contains("Connecting To:") && $0.contains(ours) }, "\(listed.outputText)")
        let result = try await dump.value
        // aseqdump pads its columns; compared with runs of blanks made one.
        let text = result.outputText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("\(output) Note on 2, note 64, velocity 90"), "\(result.outputText)")
        #expect(text.contains("Control change 0, controller 7, value 100"), "\(result.outputText)")
        #expect(text.contains("Pitch bend 1, value -8192"), "\(result.outputText)")
        #expect(text.contains("System exclusive F0 7E 7F 09 01 F7"), "\(result.outputText)")
    }

    @Test("a note scheduled on a queue arrives at its time within 1 ms, by CLOCK_MONOTONIC on the receiving side")
    func queueTiming() async throws {
        let sender = try Sequencer(name: "AlsaSwift queue")
        let output = try sender.createPort(name: "out", capabilities: .output)
        let receiver = try Sequencer(name: "AlsaSwift timing")
        let input = try receiver.createPort(name: "in", capabilities: .input)
        try sender.connect(from: output, to: input)
        let queue = try sender.makeQueue()
        try queue.start()
        // Where the queue's time zero lies on CLOCK_MONOTONIC: read its time between two clock reads.
        let before = Self.monotonic()
        let position = try queue.status().time
        let after = Self.monotonic()
        let zero = before + (after - before) / 2 - position
        var misses: [Duration] = []
        for step in 1...5 {
            let due = Duration.milliseconds(100 * step) + position
            try sender.sendBlocking(.noteOn(channel: 0, note: 60 + step, velocity: 100), from: output, schedule: .at(.real(due), on: queue))
            let shared = Unchecked(receiver)
            let event = try #require(try await Self.collect(1) { try await shared.value.next() }.first)
            let arrived = Self.monotonic()
            #expect(event.message == .noteOn(channel: 0, note: 60 + step, velocity: 100))
            misses.append(arrived - (zero + due))
        }
        print("queue delivery, arrival minus due time (ms): \(misses.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 })")
        #expect(misses.allSatisfy { $0 >= .microseconds(-500) && $0 < .milliseconds(1) }, "\(misses)")
    }

    static func monotonic() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}

/// A library object handed to the task that waits on it; the test does not touch it meanwhile.
private final class Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
