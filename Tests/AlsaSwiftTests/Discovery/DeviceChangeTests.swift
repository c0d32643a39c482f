import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

@Suite("Hotplug on the simulated kernel", .hangTimeLimit)
struct DeviceChangeTests {
    @Test("node names: control, PCM and raw MIDI nodes are changes, other nodes and odd names are not")
    func names() {
        #expect(DeviceChange(node: "controlC3", added: true) == .cardAdded(card: 3))
        #expect(DeviceChange(node: "pcmC10D7c", added: false) == .pcmRemoved(card: 10, device: 7, direction: .capture))
        #expect(DeviceChange(node: "pcmC0D0p", added: true) == .pcmAdded(card: 0, device: 0, direction: .playback))
        #expect(DeviceChange(node: "midiC1D2", added: true) == .midiAdded(card: 1, device: 2))
        #expect(DeviceChange(node: "midiC0D0", added: false) == .midiRemoved(card: 0, device: 0))
        for other in ["timer", "seq", "hwC0D0", "midiC1", "midiC1D", "midiCD0", "midiC1D-1", "pcmC0D0x", "pcmCD0p", "controlC",
                      "controlC-1", "pcmC1D-2p"] {
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
        // Card 0 stays, with its mixer.
        #expect(try CardControls(card: 0, kernel: kernel).elements().count == SimulatedControlElement.ac97Mixer.count)
    }

    @Test("nextBlocking: nil once its time passes, then a card plugged in from another thread wakes it")
    func blockingNext() async throws {
        let kernel = makeKernel()
        let changes = try DeviceChanges(kernel: kernel)
        try await onOwnThread { () throws in
            #expect(try changes.nextBlocking(timeout: .milliseconds(20)) == nil)
            // Before or after the wait starts, the change is there when it ends.
            Thread.detachNewThread { kernel.addDevice(card: 1, device: 0, hardware: .dummy) }
            #expect(try changes.nextBlocking(timeout: scaled(.seconds(10))) == .pcmAdded(card: 1, device: 0, direction: .playback))
            #expect(try changes.nextBlocking(timeout: .zero) == .pcmAdded(card: 1, device: 0, direction: .capture))
        }
    }

    @Test("a waiting task is woken by the reactor when a card arrives; cancelling ends the sequence")
    func waiting() async throws {
        let kernel = makeKernel()
        let changes = try DeviceChanges(kernel: kernel)
        let reactor = try PollReactor.lease(for: kernel).reactor
        // The waiting tasks run on a thread of their own: `eventually` bounds their progress, which
        // on the cooperative pool would include their wait behind every job the suite queued there.
        let thread = OwnThreadExecutor()
        defer { thread.finish() }
        let waiter = Task(executorPreference: thread) { try await changes.next() }
        // The card arrives once the task is suspended in the reactor, whose thread sleeps with no
        // time limit: only the card's arrival can wake it.
        #expect(await eventually { reactor.waiterCount == 1 && kernel.sleepersWithoutLimit == 1 },
                "waiters \(reactor.waiterCount), asleep without limit \(kernel.sleepersWithoutLimit)")
        kernel.addDevice(card: 2, device: 0, hardware: .dummy)
        #expect(try await waiter.value == .pcmAdded(card: 2, device: 0, direction: .playback))

        let idle = try DeviceChanges(kernel: kernel)
        let cancelled = Task(executorPreference: thread) { try await idle.next() }
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
