import AlsaSimulation
import CAlsaKernel
import Foundation
import Testing
@testable import AlsaSwift

@Suite("Raw MIDI on the simulated kernel", .hangTimeLimit)
struct RawMIDITests {
    @Test("raw MIDI devices are listed with the cards, through the control device")
    func listing() throws {
        let kernel = makeMIDIMachine()
        let listing = AudioDevices(kernel: kernel).listing()
        let cards = listing.cards
        #expect(cards.map(\.index) == [0, 1])
        #expect(cards[0].midiDevices.isEmpty && listing.pcmDevices(card: 1).isEmpty)
        let midi = cards[1].midiDevices
        #expect(midi.map(\.hardwareName) == ["hw:1,0", "hw:1,1", "hw:1,2"])
        #expect(midi.map(\.directions) == [[.input, .output], [.input, .output], .input])
        #expect(midi[2].name == "Keyboard" && midi[2].id == "Keys" && midi[2].problem == nil)
        #expect(midi[0].subdevices == [RawMIDISubdeviceEntry(number: 0, name: "Loop A", directions: [.input, .output])])
        #expect(midi[0].description == "IO  hw:1,0  Loop A")
        #expect(AudioDevices(kernel: kernel).midiDevices() == midi)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("messages written to one end of the loop-back pair arrive typed at the other, blocking and async")
    func loopBack() async throws {
        let kernel = makeMIDIMachine()
        let a = try RawMIDI("hw:1,0", kernel: kernel)
        let b = try RawMIDI("hw:CARD=SimMIDI,DEV=1", directions: .input, kernel: kernel)
        // The kernel starts an input at its first read or wait: before that, what arrives is lost.
        #expect(try b.available().isEmpty)
        #expect(a.info.card == 1 && a.info.device == 0 && a.info.name == "Loop A" && a.directions == [.input, .output])
        #expect(b.info.description == "hw:1,1,0 I \"Loop B\"")
        try a.sendBlocking(.noteOn(channel: 0, note: 60, velocity: 100), .controlChange(channel: 3, controller: 7, value: 90))
        #expect(try b.receiveBlocking() == [.noteOn(channel: 0, note: 60, velocity: 100), .controlChange(channel: 3, controller: 7, value: 90)])
        try await a.send([.pitchBend(channel: 2, value: -100), .systemExclusive([1, 2, 3])])
        var received: [MIDIMessage] = []
        for try await message in b.messages {
            received.append(message)
            if received.count == 2 { break }
        }
        #expect(received == [.pitchBend(channel: 2, value: -100), .systemExclusive([1, 2, 3])])
        // Raw bytes, with running status, both ways.
        try a.writeBlocking([0x90, 60, 100, 62, 100])
        #expect(try b.readBlocking() == [0x90, 60, 100, 62, 100])
        try a.writeBlocking([0x80, 60, 0])
        #expect(try await b.read(upTo: 2) == [0x80, 60])
        #expect(try b.readBlocking() == [0])
        #expect(kernel.sentMIDI(card: 1, device: 0).count == 22, "6 + 8 bytes of messages, 5 + 3 raw")
    }

    @Test("running status on the wire comes out as whole messages")
    func runningStatus() throws {
        let kernel = makeMIDIMachine()
        let keyboard = try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel)
        _ = try keyboard.available()
        kernel.receiveMIDI([0x90, 60, 100, 64, 100, 67, 100, 60, 0, 0xF8, 64, 0], card: 1, device: 2)
        #expect(try keyboard.receiveBlocking() == [
            .noteOn(channel: 0, note: 60, velocity: 100), .noteOn(channel: 0, note: 64, velocity: 100),
            .noteOn(channel: 0, note: 67, velocity: 100), .noteOn(channel: 0, note: 60, velocity: 0), .clock,
            .noteOn(channel: 0, note: 64, velocity: 0),
        ])
    }

    @Test("bytes that arrive before the input's first read or wait are lost, as on the real kernel")
    func inputStartsAtTheFirstReadOrWait() throws {
        let kernel = makeMIDIMachine()
        let keyboard = try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel)
        kernel.receiveMIDI([0x90, 60, 100], card: 1, device: 2)
        #expect(try keyboard.status(.input).available == 0, "not started: the driver drops what arrives")
        #expect(try keyboard.available().isEmpty)
        kernel.receiveMIDI([0x90, 62, 100], card: 1, device: 2)
        #expect(try keyboard.receiveBlocking() == [.noteOn(channel: 0, note: 62, velocity: 100)])
        // A new open starts stopped again.
        try keyboard.close()
        let reopened = try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel)
        kernel.receiveMIDI([0x90, 64, 100], card: 1, device: 2)
        #expect(try reopened.status(.input).available == 0)
    }

    @Test("a SysEx longer than every read comes out as one message")
    func systemExclusiveAcrossReads() throws {
        let kernel = makeMIDIMachine()
        let a = try RawMIDI(card: 1, device: 0, directions: .output, kernel: kernel)
        let b = try RawMIDI(card: 1, device: 1, directions: .input, kernel: kernel)
        try b.setParameters(RawMIDIParameters(bufferSize: 1 << 20), for: .input)
        _ = try b.available()
        let payload = (0..<100_000).map { UInt8($0 % 127) }
        try a.sendBlocking(.systemExclusive(payload), .noteOff(channel: 0, note: 1, velocity: 2))
        let before = kernel.trace.filter { $0.call == .read }.count
        // Everything arrived as it was written: read until the kernel's buffer is empty.
        var messages: [MIDIMessage] = []
        while try b.status(.input).available > 0 { messages += try b.available() }
        #expect(messages == [.systemExclusive(payload), .noteOff(channel: 0, note: 1, velocity: 2)])
        #expect(kernel.trace.filter { $0.call == .read }.count - before >= 25, "read in 4 KiB pieces")
    }

    @Test("a waiting task is woken by bytes arriving from another thread; cancelling ends the sequence")
    func waiting() async throws {
        let kernel = makeMIDIMachine()
        let keyboard = Shared(try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel))
        // Started here, not by the task's first wait: the bytes may arrive before the task runs.
        _ = try keyboard.value.available()
        let arrived = Task {
            var received: [MIDIMessage] = []
            for try await message in keyboard.value.messages {
                received.append(message)
                if received.count == 2 { break }
            }
            return received
        }
        Thread.detachNewThread { kernel.receiveMIDI([0xC0, 5, 0xB0, 64, 127], card: 1, device: 2) }
        #expect(try await valuePassingCancellation(arrived) == [.programChange(channel: 0, program: 5), .controlChange(channel: 0, controller: 64, value: 127)])
        let cancelled = Task { try await keyboard.value.next() }
        cancelled.cancel()
        #expect(try await cancelled.value == nil)
    }

    @Test("status counts input overruns; parameters are range-checked; active sensing on close")
    func statusAndParameters() throws {
        let kernel = makeMIDIMachine()
        let keyboard = try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel)
        try keyboard.setParameters(RawMIDIParameters(bufferSize: 32), for: .input)
        _ = try keyboard.available()
        kernel.receiveMIDI([UInt8](repeating: 0xF8, count: 40), card: 1, device: 2)
        #expect(try keyboard.status(.input) == RawMIDIStatus(available: 32, xruns: 8))
        #expect(try keyboard.status(.input).xruns == 0, "the kernel counts xruns since the last status")
        #expect(try keyboard.receiveBlocking().count == 32)

        for bad in [RawMIDIParameters(bufferSize: 31), RawMIDIParameters(bufferSize: 2 << 20), RawMIDIParameters(bufferSize: 64, wakeUpBytes: 0),
                    RawMIDIParameters(bufferSize: 64, wakeUpBytes: 65)] {
            let error = #expect(throws: AlsaError.self) { try keyboard.setParameters(bad, for: .input) }
            #expect(error?.operation == .rawMIDIParameters && error?.kind == .invalidArgument)
        }
        #expect(throws: AlsaError.self) { try keyboard.setParameters(RawMIDIParameters(), for: [.input, .output]) }
        let wrongWay = #expect(throws: AlsaError.self) { try keyboard.status(.output) }
        #expect(wrongWay?.operation == .rawMIDIStatus)

        // Closing an output sends active sensing, unless asked not to.
        let b = try RawMIDI(card: 1, device: 1, directions: .input, kernel: kernel)
        #expect(try b.available().isEmpty)
        try RawMIDI(card: 1, device: 0, directions: .output, kernel: kernel).close()
        #expect(try b.available() == [.activeSensing])
        let quiet = try RawMIDI(card: 1, device: 0, directions: .output, kernel: kernel)
        try quiet.setParameters(RawMIDIParameters(noActiveSensing: true), for: .output)
        try quiet.close()
        #expect(try b.available().isEmpty)
    }

    @Test("a stalled output fills, then drain fails with EIO and drop empties it")
    func drainAndDrop() async throws {
        let kernel = makeMIDIMachine()
        let shared = Shared(try RawMIDI(card: 1, device: 0, directions: .output, kernel: kernel))
        let a = shared.value
        try a.drain()
        kernel.stallMIDIOutput(true, card: 1, device: 0)
        try a.writeBlocking([UInt8](repeating: 0xFE, count: 4096))
        #expect(try a.status(.output).available == 0)
        let error = #expect(throws: AlsaError.self) { try a.drain() }
        #expect(error?.operation == .rawMIDIDrain)
        #expect(error?.errno == .ioError)
        // A writer waiting for room is suspended, and resumes when the device sends again.
        let writer = Task { try await shared.value.write([0xF8, 0xF8]) }
        kernel.stallMIDIOutput(false, card: 1, device: 0)
        try await valuePassingCancellation(writer)
        #expect(kernel.sentMIDI(card: 1, device: 0).count == 4098)
        kernel.stallMIDIOutput(true, card: 1, device: 0)
        try a.writeBlocking([0xFA, 0xFA])
        try a.drop()
        #expect(try a.status(.output).available == 4096)
        kernel.stallMIDIOutput(false, card: 1, device: 0)
        #expect(kernel.sentMIDI(card: 1, device: 0).count == 4098)
    }

    @Test("bad names, missing and busy devices, wrong directions and kernel faults are typed errors")
    func errors() throws {
        let kernel = makeMIDIMachine()
        for name in ["default", "hw:", "hw:1,x", "hw:CARD=Nope,DEV=0", "hw:1,9", "hw:7,0"] {
            let error = #expect(throws: AlsaError.self) { try RawMIDI(name, kernel: kernel) }
            #expect(error?.operation == .open, "\(name)")
        }
        #expect(throws: AlsaError.self) { try RawMIDI(card: 1, device: 2, directions: .output, kernel: kernel) }
        #expect(throws: AlsaError.self) { try RawMIDI(card: 1, device: 0, directions: [], kernel: kernel) }
        #expect(throws: AlsaError.self) { try RawMIDI(card: Int.max, device: 0, kernel: kernel) }
        let held = try RawMIDI(card: 1, device: 0, kernel: kernel)
        let busy = #expect(throws: AlsaError.self) { try RawMIDI(card: 1, device: 0, directions: .input, kernel: kernel) }
        #expect(busy?.kind == .busy)
        #expect(throws: AlsaError.self) { try held.sendBlocking(.noteOn(channel: 0, note: 200, velocity: 1)) }
        #expect(kernel.sentMIDI(card: 1, device: 0).isEmpty, "nothing of a refused message is sent")

        let keyboard = try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel)
        let write = #expect(throws: AlsaError.self) { try keyboard.writeBlocking([0xF8]) }
        #expect(write?.operation == .rawMIDIWrite)
        kernel.inject(.ioError, into: .read)
        let read = #expect(throws: AlsaError.self) { try keyboard.available() }
        #expect(read?.operation == .rawMIDIRead && read?.errno == .ioError)
        kernel.inject(.resourceBusy, into: .ioctl, request: ALSA_IOCTL_RAWMIDI_STATUS)
        #expect(throws: AlsaError.self) { try keyboard.status(.input) }
        kernel.inject(.ioError, into: .write)
        #expect(throws: AlsaError.self) { try held.writeBlocking([0xF8]) }
    }

    @Test("an unplugged device ends its readers with .disconnected, and hotplug tells of MIDI nodes")
    func unplug() async throws {
        let kernel = makeMIDIMachine()
        let changes = try DeviceChanges(kernel: kernel)
        let keyboard = Shared(try RawMIDI(card: 1, device: 2, directions: .input, kernel: kernel))
        let reader = Task { () throws(AlsaError) -> MIDIMessage? in try await keyboard.value.next() }
        kernel.removeCard(1)
        let error = await #expect(throws: AlsaError.self) { try await valuePassingCancellation(reader) }
        #expect(error?.kind == .disconnected)
        #expect(throws: AlsaError.self) { try keyboard.value.receiveBlocking() }
        #expect(try changes.available() == [.cardRemoved(card: 1), .midiRemoved(card: 1, device: 0), .midiRemoved(card: 1, device: 1),
                                            .midiRemoved(card: 1, device: 2)])
        kernel.addMIDIDevice(card: 1, device: 0)
        #expect(try changes.available() == [.midiAdded(card: 1, device: 0), .cardAdded(card: 1)])
    }
}
