import AlsaSwift
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Raw MIDI and the sequencer on the rig's kernel, with alsa-utils as the peer: snd-virmidi
/// (card "VirMIDI", two devices, each a sequencer client with one port) and snd-seq-dummy (client
/// 14, Midi Through). The rig loads snd-hrtimer as well: the queues' timer (without it the
/// sequencer falls back to the 4 ms system timer). Every wait is bounded.
///
/// What a virmidi device does (sound/core/seq/seq_virmidi.c): bytes written to it become events
/// from its sequencer port, sent to that port's subscribers only (and dropped while it has none);
/// events sent to its port become bytes for the files that have it open for input and have started
/// reading. So `amidi -S` reaches a reader only through a connection.
@Suite(.enabled(if: RigEnvironment.card(driver: "VirMIDI") != nil, Comment(rawValue: "needs snd-virmidi and snd-seq-dummy: run Scripts/kernel-test")),
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
        // A raw MIDI device takes input only from its first read or poll on (the kernel's input
        // trigger); virmidi drops what reaches its port before. One read now, which finds nothing.
        #expect(try raw.available().isEmpty)

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

    /// The queue delivers at the time it was given: 20 notes scheduled at once, 50 ms apart, each
    /// stamped by the kernel (the receiving port's queue time) as it enters the receiving client,
    /// and that stamp placed on CLOCK_MONOTONIC through the queue's status read between two clock
    /// reads. The kernel's stamp, not the moment the test's task wakes, is the arrival: in the
    /// emulated rig on a shared host the task's wake-up alone took 1 to 140 ms (the direct send to
    /// receive latency is BENCHMARKS.md's). The same stall delays the kernel's timer now and then
    /// (a note 50 to 150 ms late was seen), so the median note is judged, and no note may arrive early.
    /// The queue's timer ticks at the kernel's default 1 kHz, so a note lands up to one tick after
    /// its time even on real hardware; the bound is two ticks (a median of 1.03 ms was seen in CI).
    @Test("a note scheduled on a queue arrives at its time within two timer ticks, by CLOCK_MONOTONIC on the receiving side")
    func queueTiming() async throws {
        let sender = try Sequencer(name: "AlsaSwift queue")
        let output = try sender.createPort(name: "out", capabilities: .output)
        let receiver = try Sequencer(name: "AlsaSwift timing")
        let queue = try sender.makeQueue()
        let input = try receiver.createPort(name: "in", capabilities: .input, timestamps: queue)
        try sender.connect(from: output, to: input)
        try queue.start()
        let zero = try Self.monotonicZero(of: queue)
        let notes = 20
        let first = try queue.status().time + .milliseconds(200)
        let due = (0..<notes).map { first + .milliseconds(50 * $0) }
        for (index, time) in due.enumerated() {
            try sender.sendBlocking(.noteOn(channel: 0, note: 40 + index, velocity: 100), from: output, schedule: .at(.real(time), on: queue))
        }
        let shared = Unchecked(receiver)
        // The kernel's notice that the sender connected to the receiver's port (PORT_SUBSCRIBED, a
        // connection another client made) comes first; only notes are kept, with when the task saw them.
        let arrivals = try await Self.collect(notes) { () async throws -> (SequencerEvent, Duration)? in
            while let event = try await shared.value.next() {
                if event.message != nil { return (event, Self.monotonic()) }
            }
            return nil
        }
        try #require(arrivals.count == notes, "\(arrivals.count) of \(notes) notes arrived")
        var lateness: [Duration] = [], woken: [Duration] = []
        for (index, (event, seen)) in arrivals.enumerated() {
            #expect(event.message == .noteOn(channel: 0, note: 40 + index, velocity: 100))
            guard case .real(let stamp)? = event.time, event.queue == queue.id else {
                Issue.record("note \(index) has no real-time stamp of queue \(queue.id): \(String(describing: event.time))")
                continue
            }
            let delivered = zero.instant + stamp, dueInstant = zero.instant + due[index]
            lateness.append(delivered - dueInstant)
            woken.append(seen - dueInstant)
            #expect(seen >= delivered - zero.uncertainty, "the task saw note \(index) before the kernel delivered it")
        }
        let median = lateness.sorted()[lateness.count / 2]
        print("queue delivery on CLOCK_MONOTONIC, kernel stamp minus due time (ms): \(Self.milliseconds(lateness)); median \(Self.milliseconds([median])[0]); zero within ±\(Self.milliseconds([zero.uncertainty])[0])")
        print("the receiving task woke (ms after due time): \(Self.milliseconds(woken))")
        #expect(lateness.allSatisfy { .zero - $0 <= zero.uncertainty }, "a note arrived before its time: \(lateness)")
        #expect(median < .milliseconds(2), "median lateness \(median): \(lateness)")
    }

    /// Where `queue`'s time zero lies on CLOCK_MONOTONIC, and how far off that can be: its time
    /// read between two clock reads, the narrowest of five brackets.
    static func monotonicZero(of queue: SequencerQueue) throws -> (instant: Duration, uncertainty: Duration) {
        var best: (instant: Duration, uncertainty: Duration)?
        for _ in 0..<5 {
            let before = monotonic()
            let position = try queue.status().time
            let after = monotonic()
            let half = (after - before) / 2
            if best == nil || half < best!.uncertainty { best = (before + half - position, half) }
        }
        return best!
    }

    static func milliseconds(_ durations: [Duration]) -> [Double] {
        durations.map { (Double($0.components.seconds) * 1e6 + Double($0.components.attoseconds) / 1e12).rounded() / 1000 }
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
