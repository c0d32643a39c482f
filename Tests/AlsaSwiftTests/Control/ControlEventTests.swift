import AlsaSimulation
import Foundation
import SystemPackage
import Testing
@testable import AlsaSwift

@Suite("Control events on the simulated kernel", .hangTimeLimit)
struct ControlEventTests {
    @Test("A value set by another process arrives as an event, served by the poll reactor")
    func valueFromElsewhere() async throws {
        let kernel = makeMixerKernel()
        // Its own handle: the sequence moves into the waiting task.
        let events = try CardControls(card: 0, kernel: kernel).events()
        let reactor = try PollReactor.lease(for: kernel).reactor
        // The waiting task runs on a thread of its own, here and below: `eventually` bounds its
        // progress, which on the cooperative pool would include its wait behind every job the
        // suite queued there.
        let thread = OwnThreadExecutor()
        defer { thread.finish() }
        let waiter = Task(executorPreference: thread) { try await events.next() }
        // The value changes once the task is suspended in the reactor, whose thread sleeps with no
        // time limit: only the event can wake it.
        #expect(await eventually { reactor.waiterCount == 1 && kernel.sleepersWithoutLimit == 1 },
                "waiters \(reactor.waiterCount), asleep without limit \(kernel.sleepersWithoutLimit)")
        kernel.setControl(named: "Line Volume", values: [10, 20])
        let event = try #require(try await waiter.value)
        #expect(event.element.name == "Line Volume" && event.element.numericID == 5)
        #expect(event.changes == .value)
        let controls = try CardControls(card: 0, kernel: kernel)
        #expect(try controls.value(of: controls.element(named: "Line Volume")) == .integers([10, 20]))
    }

    @Test("nextBlocking: nil once its time passes, then a value set from another thread wakes it")
    func blockingNext() async throws {
        let kernel = makeMixerKernel()
        let events = try CardControls(card: 0, kernel: kernel).events()
        try await onOwnThread { () throws in
            #expect(try events.nextBlocking(timeout: .milliseconds(20)) == nil)
            // Before or after the wait starts, the event is there when it ends.
            Thread.detachNewThread { kernel.setControl(named: "Line Volume", values: [10, 20]) }
            let event = try #require(try events.nextBlocking(timeout: scaled(.seconds(10))))
            #expect(event.element.name == "Line Volume" && event.changes == .value)
        }
    }

    @Test("Own writes, additions and removals arrive; unread changes to one element merge")
    func kinds() async throws {
        let kernel = makeMixerKernel()
        let controls = try CardControls(card: 0, kernel: kernel)
        let events = try controls.events()
        let master = try controls.element(named: "Master Volume")
        try controls.setValue(.integers([5, 5]), of: master)
        try controls.setValue(.integers([6, 6]), of: master)
        // Writing the value it already has changes nothing, so no event.
        try controls.setValue(.integers([6, 6]), of: master)
        kernel.addControls([.toggle("Headphone Playback Switch", on: true)])
        kernel.removeControl(named: "CD Volume")
        var seen: [ControlEvent] = []
        for try await event in events {
            seen.append(event)
            if seen.count == 3 { break }
        }
        #expect(seen.map(\.element.name) == ["Master Volume", "Headphone Playback Switch", "CD Volume"])
        #expect(seen.map(\.changes) == [.value, .added, .removed])
        #expect(try events.available().isEmpty)
    }

    @Test("A subscription sees only changes made after it; two subscribers each see them")
    func subscriptions() throws {
        let kernel = makeMixerKernel()
        let controls = try CardControls(card: 0, kernel: kernel)
        kernel.setControl(named: "Mic Volume", values: [1, 1])
        let first = try controls.events()
        let second = try controls.events()
        #expect(try first.available().isEmpty)
        kernel.setControl(named: "Mic Volume", values: [2, 2])
        #expect(try first.available().map(\.element.name) == ["Mic Volume"])
        #expect(try second.available().map(\.element.name) == ["Mic Volume"])
    }

    @Test("Cancelling the waiting task ends the sequence")
    func cancellation() async throws {
        let kernel = makeMixerKernel()
        let events = try CardControls(card: 0, kernel: kernel).events()
        let reactor = try PollReactor.lease(for: kernel).reactor
        let thread = OwnThreadExecutor()
        defer { thread.finish() }
        let waiter = Task(executorPreference: thread) { try await events.next() }
        // Cancelled while suspended in the reactor, the case under test.
        #expect(await eventually { reactor.waiterCount == 1 })
        waiter.cancel()
        #expect(try await waiter.value == nil)
    }

    @Test("An unplug wakes a waiting sequence and ends it with .disconnected")
    func unplug() async throws {
        let kernel = makeMixerKernel()
        let events = try CardControls(card: 0, kernel: kernel).events()
        let reactor = try PollReactor.lease(for: kernel).reactor
        let thread = OwnThreadExecutor()
        defer { thread.finish() }
        let waiter = Task(executorPreference: thread) { () async -> AlsaError? in
            do {
                _ = try await events.next()
                return nil
            } catch let error as AlsaError {
                return error
            } catch {
                return nil
            }
        }
        // Asleep with no time limit, as in `valueFromElsewhere`: only the unplug can end the wait.
        #expect(await eventually { reactor.waiterCount == 1 && kernel.sleepersWithoutLimit == 1 },
                "waiters \(reactor.waiterCount), asleep without limit \(kernel.sleepersWithoutLimit)")
        kernel.disconnectAll()
        let error = try #require(await waiter.value)
        #expect(error.kind == .disconnected && error.operation == .controlReadEvents)
    }
}
