import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

@Suite("Hotplug on the simulated kernel", .scaledTimeLimit(minutes: 1))
struct DeviceChangeTests {
    @Test("node names: control and PCM nodes are changes, other nodes and odd names are not")
    func names() {
        #expect(DeviceChange(node: "controlC3", added: true) == .cardAdded(card: 3))
        #expect(DeviceChange(node: "pcmC10D7c", added: false) == .pcmRemoved(card: 10, device: 7, direction: .capture))
        #expect(DeviceChange(node: "pcmC0D0p", added: true) == .pcmAdded(card: 0, device: 0, direction: .playback))
        for other in ["timer", "seq", "hwC0D0", "midiC1D0", "pcmC0D0x", "pcmCD0p", "controlC", "controlC-1", "pcmC1D-2p"] {
            #expect(DeviceChange(node: other, added: true) == nil, "\(other)")
        }
    }

    /// The watch fails after every resource is taken: the failed init's deinit releases them, once
    /// (releasing them in the catch as well freed the buffer twice; ASan in Scripts/sanitize sees that).
    @Test("a directory that cannot be watched is a typed error that leaves nothing open")
    func unwatchableDirectory() throws {
        let kernel = makeKernel()
        let before = kernel.openDescriptorCount
        let error = #expect(throws: AlsaError.self) { try DeviceChanges(kernel: kernel, directory: "/nowhere/snd") }
        #expect(error?.operation == .watchDevices && error?.errno == .noSuchFileOrDirectory)
        #expect(kernel.openDescriptorCount == before)
    }

    @Test("a card plugged in and pulled out, as inotify on /dev/snd reports it")
    func plugAndUnplug() async throws {
        let kernel = makeKernel()
        let changes = try DeviceChanges(kernel: kernel)
        #expect(try changes.available().isEmpty)
        kernel.addDevice(card: 1, device: 0, hardware: .dummy)
        kernel.addDevice(card: 1, device: 1, hardware: .dummy, directions: [.capture])
        var seen: [DeviceChange] = []
        for try await change in changes {
            seen.append(change)
            if seen.count == 4 { break }
        }
        // As the kernel does it: a card's control node comes after its PCM nodes.
        #expect(seen == [.pcmAdded(card: 1, device: 0, direction: .playback), .pcmAdded(card: 1, device: 0, direction: .capture),
                         .cardAdded(card: 1), .pcmAdded(card: 1, device: 1, direction: .capture)])

        // A stream playing on the card when it goes ends with .disconnected.
        let pcm = try KernelPCM(card: 1, device: 0, direction: .playback, options: PCMOpenOptions(recovery: .report), kernel: kernel)
        _ = try pcm.configure(standardRequest(.readWriteInterleaved))
        kernel.removeCard(1)
        #expect(try changes.available() == [.cardRemoved(card: 1), .pcmRemoved(card: 1, device: 1, direction: .capture),
                                            .pcmRemoved(card: 1, device: 0, direction: .playback),
                                            .pcmRemoved(card: 1, device: 0, direction: .capture)])
        let error = #expect(throws: AlsaError.self) { try pcm.prepare() }
        #expect(error?.kind == .disconnected)
        // Card 0 stays.
        #expect(try CardControls(card: 0, kernel: kernel).elements().isEmpty)
    }

    @Test("a waiting task is woken by the reactor when a card arrives; cancelling ends the sequence")
    func waiting() async throws {
        let kernel = makeKernel()
        let changes = try DeviceChanges(kernel: kernel)
        let reactor = try PollReactor.lease(for: kernel).reactor
        // The waiting task prefers the reactor's thread and reads the clock there as it resumes:
        // the time is the library's, not the cooperative pool's.
        let waiter = Task(executorPreference: reactor) { () async throws -> (DeviceChange?, ContinuousClock.Instant) in
            let change = try await changes.next()
            return (change, .now)
        }
        // The card arrives once the task is suspended in the reactor.
        #expect(await eventually { reactor.waiterCount == 1 })
        let started = ContinuousClock.now
        kernel.addDevice(card: 2, device: 0, hardware: .dummy)
        let (change, ended) = try await waiter.value
        #expect(change == .pcmAdded(card: 2, device: 0, direction: .playback))
        #expect(ended - started < promptly)

        let idle = try DeviceChanges(kernel: kernel)
        let cancelled = Task { try await idle.next() }
        #expect(await eventually { reactor.waiterCount == 1 })
        cancelled.cancel()
        #expect(try await cancelled.value == nil)
    }

    @Test("the watch's descriptor is closed with it")
    func closes() throws {
        let kernel = makeKernel()
        do {
            let changes = try DeviceChanges(kernel: kernel)
            _ = try changes.available()
            #expect(kernel.openDescriptorCount == 1)
        }
        #expect(kernel.openDescriptorCount == 0)
    }
}
