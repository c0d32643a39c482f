import AlsaSimulation
import CAlsaKernel
import Foundation
import Testing
@testable import AlsaSwift

@Suite("The ALSA sequencer on the simulated kernel", .hangTimeLimit)
struct SequencerTests {
    /// Two clients: `sender` with an output port, `receiver` with an input port.
    private func pair(_ kernel: SimulatedKernel) throws -> (sender: Sequencer, out: SequencerAddress, receiver: Sequencer, in: SequencerAddress) {
        let sender = try Sequencer(name: "Sender", kernel: kernel)
        let out = try sender.createPort(name: "out", capabilities: .output)
        let receiver = try Sequencer(name: "Receiver", kernel: kernel)
        let input = try receiver.createPort(name: "in", capabilities: .input)
        return (sender, out, receiver, input)
    }

    @Test("every client and port is listed, as aconnect -l shows them, with their connections")
    func listing() throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        #expect(sender.client == 128 && receiver.client == 129)
        try receiver.connect(from: out, to: input)
        let clients = try sender.clients()
        #expect(clients.map(\.number) == [0, 14, 128, 129])
        #expect(clients[0].description == "client 0: 'System' [type=kernel]")
        #expect(clients[0].ports.map(\.name) == ["Timer", "Announce"])
        #expect(clients[1].name == "Midi Through" && clients[1].ports.map(\.description) == ["14:0 'Midi Through Port-0'"])
        #expect(clients[2].name == "Sender" && !clients[2].isKernelClient)
        let port = try #require(clients[2].ports.first)
        #expect(port.address == out && port.capabilities == .output && port.types == [.midiGeneric, .application])
        #expect(port.connectedTo == [input] && port.connectedFrom.isEmpty)
        #expect(try receiver.port(input).connectedFrom == [out])
        #expect(try sender.address(of: "Receiver:0") == input)
        #expect(try sender.address(of: "Midi Through") == .midiThrough)
        #expect(try sender.address(of: "Rec") == input)
        #expect(try sender.address(of: "129:0") == input)
        #expect(throws: AlsaError.self) { try sender.address(of: "Nobody:0") }
        try sender.deletePort(out)
        #expect(try receiver.port(input).connectedFrom.isEmpty, "a port's connections go with it")
    }

    @Test("typed events go from one client's port to the ports connected to it, and to a port directly")
    func sendAndReceive() async throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        try sender.connect(from: out, to: input)
        // Another client connected the receiver's port: the kernel tells it so, at that port, first.
        let notice = try receiver.available()
        #expect(notice.map(\.content) == [.change(.connected(from: out, to: input))] && notice.first?.source == .systemAnnounce)
        try sender.sendBlocking(.noteOn(channel: 9, note: 36, velocity: 120), from: out)
        try await sender.send(.controlChange(channel: 0, controller: 64, value: 127), from: out)
        try sender.sendBlocking(.pitchBend(channel: 1, value: -8192), from: out, to: input)
        // The simulated kernel delivers as the write does: everything is there to read now.
        let events = try receiver.available()
        #expect(events.map(\.message) == [.noteOn(channel: 9, note: 36, velocity: 120), .controlChange(channel: 0, controller: 64, value: 127),
                                          .pitchBend(channel: 1, value: -8192)])
        #expect(events.allSatisfy { $0.source == out && $0.destination == input && $0.time == nil })
        let messages: [MIDIMessage] = [.noteOff(channel: 0, note: 1, velocity: 2), .polyphonicAftertouch(channel: 2, note: 3, pressure: 4),
                                       .programChange(channel: 3, program: 5), .channelAftertouch(channel: 4, pressure: 6),
                                       .songPosition(300), .songSelect(7), .timeCodeQuarterFrame(8), .tuneRequest, .clock, .start,
                                       .continue, .stop, .activeSensing, .systemReset, .systemExclusive([1, 2, 3])]
        for message in messages { try sender.sendBlocking(message, from: out) }
        // receiveBlocking returns at once with what is there (it waits only when nothing is).
        #expect(try receiver.receiveBlocking().map(\.message) == messages)
        // And through the AsyncSequence, once something has arrived.
        try sender.sendBlocking(.noteOn(channel: 1, note: 2, velocity: 3), from: out)
        var iterator = receiver.events.makeAsyncIterator()
        #expect(try await iterator.next()?.message == .noteOn(channel: 1, note: 2, velocity: 3))
    }

    @Test("a connection made by a third client carries events; Midi Through passes them on")
    func thirdPartyAndThrough() throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        let patchbay = try Sequencer(name: "aconnect", kernel: kernel)
        try patchbay.connect(from: .midiThrough, to: input)
        try sender.sendBlocking(.noteOn(channel: 0, note: 60, velocity: 1), from: out, to: .midiThrough)
        let events = try receiver.available()
        #expect(events.first?.content == .change(.connected(from: .midiThrough, to: input)), "the connected port's client is told")
        let event = try #require(events.last)
        #expect(event.source == .midiThrough && event.message == .noteOn(channel: 0, note: 60, velocity: 1))
        let busy = #expect(throws: AlsaError.self) { try patchbay.connect(from: .midiThrough, to: input) }
        #expect(busy?.kind == .busy)
        // The receiver's input cannot be read from; System's announce port cannot be written to.
        let denied = #expect(throws: AlsaError.self) { try patchbay.connect(from: input, to: .midiThrough) }
        #expect(denied?.kind == .permissionDenied && denied?.operation == .sequencerSubscribe)
        #expect(throws: AlsaError.self) { try patchbay.connect(from: out, to: .systemAnnounce) }
        try patchbay.disconnect(from: .midiThrough, to: input)
        let missing = #expect(throws: AlsaError.self) { try patchbay.disconnect(from: .midiThrough, to: input) }
        #expect(missing?.kind == .noSuchDevice)
        #expect(throws: AlsaError.self) { try patchbay.connect(from: SequencerAddress(client: 77, port: 0), to: input) }
        withExtendedLifetime(sender) {}
    }

    @Test("a SysEx longer than one event goes in pieces and arrives whole")
    func longSystemExclusive() throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        try receiver.connect(from: out, to: input)
        let payload = (0..<5000).map { UInt8($0 % 128) }
        try sender.sendBlocking(.systemExclusive(payload), from: out)
        try sender.sendBlocking(.noteOn(channel: 0, note: 1, velocity: 1), from: out)
        #expect(try receiver.available().map(\.message) == [.systemExclusive(payload), .noteOn(channel: 0, note: 1, velocity: 1)])
        // The pieces written: events of 256 bytes at most (write(2) takes each event's data
        // right after it, unpadded), F0 first and F7 last.
        var records: [UInt8] = []
        try SequencerRecords.encode(.systemExclusive(payload), from: out, to: nil, schedule: nil, into: &records)
        var pieces: [[UInt8]] = []
        var offset = 0
        while offset < records.count {
            #expect(records[offset] == UInt8(ALSA_SEQ_EVENT_SYSEX))
            let length = (0..<4).reduce(0) { $0 | Int(records[offset + 16 + $1]) << (8 * $1) }
            pieces.append(Array(records[(offset + 28)..<(offset + 28 + length)]))
            offset += 28 + length
        }
        #expect(pieces.count == 20 && pieces.allSatisfy { $0.count <= 256 })
        #expect(pieces.first?.first == 0xF0 && pieces.last?.last == 0xF7 && pieces.joined().count == 5002)
    }

    @Test("a queue delivers events at their tick and real times, on the machine's clock")
    func queueScheduling() async throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        try receiver.connect(from: out, to: input)
        let queue = try sender.makeQueue(name: "tempo test")
        #expect(try queue.tempo() == SequencerTempo(microsecondsPerQuarter: 500_000, ticksPerQuarter: 96))
        try queue.setTempo(SequencerTempo(beatsPerMinute: 60, ticksPerQuarter: 480))
        #expect(try queue.tempo() == SequencerTempo(microsecondsPerQuarter: 1_000_000, ticksPerQuarter: 480))
        try queue.start()
        let start = kernel.now
        // A quarter note at 60 BPM is a second: tick 240 is half a second in.
        try sender.sendBlocking(.noteOn(channel: 0, note: 60, velocity: 100), from: out, schedule: .at(.tick(240), on: queue))
        try sender.sendBlocking(.noteOff(channel: 0, note: 60, velocity: 0), from: out, schedule: .at(.real(.milliseconds(750)), on: queue))
        try sender.sendBlocking(.clock, from: out, schedule: .after(.tick(960), on: queue))
        #expect(try receiver.available().isEmpty)
        #expect(try queue.status().scheduledEvents == 3)

        var arrivals: [(SequencerEvent, Duration)] = []
        for try await event in receiver.events {
            arrivals.append((event, kernel.now - start))
            if arrivals.count == 3 { break }
        }
        #expect(arrivals.map(\.0.message) == [.noteOn(channel: 0, note: 60, velocity: 100), .noteOff(channel: 0, note: 60, velocity: 0), .clock])
        #expect(arrivals.map(\.1) == [.milliseconds(500), .milliseconds(750), .seconds(2)])
        #expect(arrivals.map(\.0.time) == [.tick(240), .real(.milliseconds(750)), .tick(960)])
        #expect(arrivals.allSatisfy { $0.0.queue == queue.id })
        let status = try queue.status()
        #expect(status.tick == 960 && status.time == .seconds(2) && status.running && status.scheduledEvents == 0)

        // Stopped, a queue holds its events; resumed, it goes on from where it was.
        try queue.stop()
        try sender.sendBlocking(.start, from: out, schedule: .after(.real(.milliseconds(100)), on: queue))
        kernel.advance(by: .seconds(1))
        #expect(try receiver.available().isEmpty)
        try queue.resume()
        kernel.advance(by: .milliseconds(100))
        #expect(try receiver.available().map(\.message) == [.start])
    }

    @Test("the queues keep time by the machine's one clock: a timer's sleep and frames passing move them")
    func oneClock() throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        try receiver.connect(from: out, to: input)
        let queue = try sender.makeQueue()
        try queue.start()
        let start = kernel.now
        try sender.sendBlocking(.noteOn(channel: 0, note: 60, velocity: 100), from: out, schedule: .at(.real(.milliseconds(250)), on: queue))
        try sender.sendBlocking(.noteOff(channel: 0, note: 60, velocity: 0), from: out, schedule: .at(.real(.milliseconds(750)), on: queue))

        // A timer's sleeper, not a sequencer client, lets 300 ms pass: the note due on the way goes out.
        let timer = try kernel.timerCreate()
        defer { try? kernel.close(timer) }
        try kernel.timerSet(timer, deadline: start + .milliseconds(300))
        var descriptor = pollfd(fd: timer.rawValue, events: Int16(POLLIN), revents: 0)
        #expect(try kernel.poll(&descriptor, count: 1, timeout: nil) == 1)
        #expect(kernel.now - start == .milliseconds(300))
        #expect(try queue.status().time == .milliseconds(300))
        #expect(try receiver.available().map(\.message) == [.noteOn(channel: 0, note: 60, velocity: 100)])

        // Frames passing (48 kHz, no stream running): 24 000 are 500 ms, past the second note.
        kernel.advance(frames: 24_000)
        #expect(kernel.now - start == .milliseconds(800))
        #expect(try queue.status().time == .milliseconds(800))
        #expect(try receiver.available().map(\.message) == [.noteOff(channel: 0, note: 60, velocity: 0)])
    }

    @Test("a port that stamps arriving events gives them its queue's time")
    func timestamps() throws {
        let kernel = makeKernel()
        let receiver = try Sequencer(name: "Stamped", kernel: kernel)
        let queue = try receiver.makeQueue()
        let input = try receiver.createPort(name: "in", capabilities: .input, timestamps: queue)
        let sender = try Sequencer(kernel: kernel)
        let out = try sender.createPort(name: "out", capabilities: .output)
        try queue.start()
        kernel.advance(by: .milliseconds(1234))
        try sender.sendBlocking(.noteOn(channel: 0, note: 1, velocity: 1), from: out, to: input)
        let event = try #require(try receiver.available().first)
        #expect(event.time == .real(.milliseconds(1234)) && event.queue == queue.id)
    }

    @Test("clients, ports and connections coming and going are announced")
    func announcements() async throws {
        let kernel = makeKernel()
        let changes = try SequencerChanges(kernel: kernel)
        let (sender, out, receiver, input) = try pair(kernel)
        try sender.connect(from: out, to: input)
        try sender.disconnect(from: out, to: input)
        kernel.addSequencerClient(20, name: "USB Keyboard", ports: ["Keys"])
        var seen: [SequencerChange] = []
        for try await change in changes {
            seen.append(change)
            if seen.count == 8 { break }
        }
        #expect(changes.client == 128)
        #expect(seen == [.clientAdded(sender.client), .portAdded(out), .clientAdded(receiver.client), .portAdded(input),
                         .connected(from: out, to: input),
                         .disconnected(from: out, to: input), .clientAdded(20), .portAdded(SequencerAddress(client: 20, port: 0))])
        try receiver.connect(from: SequencerAddress(client: 20, port: 0), to: input)
        kernel.removeSequencerClient(20)
        withExtendedLifetime(receiver) {}
        withExtendedLifetime(sender) {}
        #expect(try changes.available() == [.connected(from: SequencerAddress(client: 20, port: 0), to: input),
                                            .disconnected(from: SequencerAddress(client: 20, port: 0), to: input), .clientRemoved(20)])
    }

    @Test("bad names, ports, schedules, tempos and full queues are typed errors")
    func errors() throws {
        let kernel = makeKernel()
        let (sender, out, receiver, input) = try pair(kernel)
        #expect(throws: AlsaError.self) { try Sequencer(name: String(repeating: "x", count: 64), kernel: kernel) }
        #expect(throws: AlsaError.self) { try sender.createPort(name: "a\u{0}b", capabilities: .output) }
        for text in ["", "1:2:3", "x", "300:0", "1:-1"] {
            #expect(throws: AlsaError.self, "\(text)") { try SequencerAddress(parsing: text) }
        }
        let notOurs = #expect(throws: AlsaError.self) { try sender.sendBlocking(.clock, from: input) }
        #expect(notOurs?.operation == .sequencerWrite)
        #expect(throws: AlsaError.self) { try sender.sendBlocking(.noteOn(channel: 0, note: 300, velocity: 1), from: out) }
        #expect(throws: AlsaError.self) { try sender.sendBlocking(.invalid(InvalidMIDI(.undefinedStatus, bytes: [0xF4])), from: out) }
        let noQueue = #expect(throws: AlsaError.self) {
            try sender.sendBlocking(.clock, from: out, schedule: SequencerSchedule(queue: 5, time: .tick(1), relative: false))
        }
        #expect(noQueue?.kind == .invalidArgument && noQueue?.operation == .sequencerWrite)
        let queue = try sender.makeQueue()
        #expect(throws: AlsaError.self) { try sender.sendBlocking(.clock, from: out, schedule: .at(.tick(-1), on: queue)) }
        #expect(throws: AlsaError.self) { try sender.sendBlocking(.clock, from: out, schedule: .at(.real(.seconds(-1)), on: queue)) }
        for tempo in [SequencerTempo(microsecondsPerQuarter: 0), SequencerTempo(ticksPerQuarter: 0), SequencerTempo(beatsPerMinute: 0)] {
            #expect(throws: AlsaError.self) { try queue.setTempo(tempo) }
        }
        kernel.inject(.noMemory, into: .write)
        let fault = #expect(throws: AlsaError.self) { try sender.sendBlocking(.clock, from: out, to: input) }
        #expect(fault?.errno == .noMemory)

        // A receiver that does not read: its queue fills, the sender is told, the reader learns
        // of the loss once and reads on.
        try sender.connect(from: out, to: input)
        var full: AlsaError?
        for _ in 0..<2100 {
            do throws(AlsaError) { try sender.sendBlocking(.clock, from: out) } catch { full = error; break }
        }
        #expect(full?.kind == .wouldBlock && full?.operation == .sequencerWrite)
        #expect(try receiver.available().isEmpty && receiver.overruns == 1)
        try sender.sendBlocking(.stop, from: out)
        #expect(try receiver.available().map(\.message) == [.stop])
    }

    @Test("a client's descriptor is closed with it, its queue with it")
    func cleanup() throws {
        let kernel = makeKernel()
        do {
            let sequencer = try Sequencer(kernel: kernel)
            let queue = try sequencer.makeQueue()
            _ = try sequencer.createPort(name: "p", capabilities: .input)
            #expect(kernel.openDescriptorCount == 1)
            withExtendedLifetime(queue) {}
        }
        #expect(kernel.openDescriptorCount == 0)
        let other = try Sequencer(kernel: kernel)
        #expect(try other.clients().map(\.number) == [0, 14, 128], "the client left")
    }
}
