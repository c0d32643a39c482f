import AlsaSimulation
import CAlsaKernel
import Foundation
import Synchronization
import SystemPackage
import Testing
@testable import AlsaSwift

#if canImport(Glibc)
import Glibc
#endif

/// The poll reactor behind `async` streams keeps nothing after its kernel's last stream goes (it
/// kept a thread and a pipe per kernel for the life of the process), and running out of
/// descriptors or threads is a typed error (it was a `precondition` crash).
@Suite("Poll reactor lifecycle")
struct PollReactorLifecycleTests {
    /// The pipe inode behind descriptor `fd`.
    static func inode(of fd: Int32) -> UInt {
        var info = stat()
        return fstat(fd, &info) == 0 ? UInt(info.st_ino) : 0
    }

    /// Whether this process still has a descriptor open on pipe `inode`.
    static func pipeIsOpen(_ inode: UInt) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == "pipe:[\(inode)]" }
    }

    static func threadExists(_ id: pid_t) -> Bool { FileManager.default.fileExists(atPath: "/proc/self/task/\(id)") }

    @Test("defect: each kernel's reactor kept its thread and pipe for ever; now both go with the kernel's last stream")
    func releasedWithLastStream() async throws {
        var retired: [(reactor: () -> PollReactor?, inode: UInt, thread: pid_t)] = []
        for _ in 0..<12 {
            let kernel = makeKernel(.explicitSync)
            // The test's own lease, taken first, makes the reactor with an idle time far beyond
            // `hangBound`: only the last release's wake-up can end its thread within the bound.
            var host = PollReactor.Host.system
            host.idleTimeout = .seconds(3_600)
            var held: PollReactor.Lease? = try PollReactor.lease(for: kernel, host: host)
            var stream: PlaybackStream? = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(20)), kernel: kernel)
            // More than the buffer holds: the write suspends on the reactor, whose thread then runs.
            let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: 9_600)
            defer { samples.deallocate() }
            samples.initialize(repeating: 0.25)
            try await stream!.write(UnsafeBufferPointer(samples))
            let reactor = stream!.core.reactor!.reactor
            #expect(held?.reactor === reactor, "the stream leased the test's reactor")
            let thread = reactor.threadID
            #expect(thread != 0 && Self.threadExists(thread))
            weak let weakReactor = reactor
            retired.append(({ weakReactor }, Self.inode(of: reactor.wakeup), thread))
            // A second stream on the same kernel shares the reactor and keeps it.
            var second: CaptureStream? = try CaptureStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(20)), kernel: kernel)
            #expect(second!.core.reactor!.reactor === reactor)
            try stream?.close()
            stream = nil
            #expect(weakReactor != nil)
            second = nil
            #expect(weakReactor != nil, "the test's lease holds it")
            held = nil
        }
        for (reactor, inode, thread) in retired {
            #expect(await eventually { reactor() == nil }, "the reactor outlived its streams")
            // The pipe closes in the reactor's deinit, which may still be running on another thread.
            #expect(await eventually { !Self.pipeIsOpen(inode) }, "the reactor's pipe is still open")
            #expect(await eventually { !Self.threadExists(thread) }, "the reactor's thread \(thread) still runs")
        }
    }

    @Test("a reactor that cannot make its pipe is a typed error, and nothing is registered")
    func pipeFailure() throws {
        let kernel = makeKernel()
        var host = PollReactor.Host.system
        host.makePipe = { .failure(.tooManyOpenFiles) }
        let error = #expect(throws: AlsaError.self) { _ = try PollReactor.lease(for: kernel, host: host) }
        #expect(error?.operation == .poll && error?.errno == .tooManyOpenFiles)
        // The registry kept nothing for the kernel: the next lease makes a reactor with a real pipe.
        let lease = try PollReactor.lease(for: kernel)
        #expect(Self.inode(of: lease.reactor.wakeup) != 0)
    }

    @Test("a wait that cannot start its thread ends with the typed error, and the next wait tries again")
    func threadFailure() async throws {
        let kernel = makeKernel()
        var host = PollReactor.Host.system
        let failures = FailureBudget()
        host.startThread = { body in
            if failures.take() { return EAGAIN }
            return PollReactor.Host.system.startThread(body)
        }
        let lease = try PollReactor.lease(for: kernel, host: host)
        // A pipe of our own: its read end becomes readable when we write to it.
        var ends: (Int32, Int32) = (-1, -1)
        try #require(withUnsafeMutablePointer(to: &ends) { $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) } } == 0)
        defer { close(ends.0); close(ends.1) }
        let descriptors = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: 1)
        defer { descriptors.deallocate() }
        descriptors[0] = pollfd(fd: ends.0, events: Int16(POLLIN), revents: 0)
        #expect(await lease.wait(for: descriptors) == .failed(.resourceTemporarilyUnavailable))
        var byte: UInt8 = 1
        #expect(write(ends.1, &byte, 1) == 1)
        #expect(await lease.wait(for: descriptors) == .ready)
        #expect(descriptors[0].revents & Int16(POLLIN) != 0)
    }

    /// The task cancels itself just before its wait registers: the cancellation handler then finds
    /// no waiter to end, so the wait itself must see the cancellation. It looked before this point,
    /// and waited for ever: alsa-mixer's monitor, cancelled by Ctrl-C at that moment, never ended.
    @Test("defect: a cancellation that came just before a wait registered its task was lost, and the wait never ended")
    func cancellationBeforeRegistering() async throws {
        let kernel = makeKernel()
        var host = PollReactor.Host.system
        host.willRegister = { withUnsafeCurrentTask { $0?.cancel() } }
        let lease = try PollReactor.lease(for: kernel, host: host)
        // A pipe nobody writes to: only the cancellation can end the wait.
        var ends: (Int32, Int32) = (-1, -1)
        try #require(withUnsafeMutablePointer(to: &ends) { $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) } } == 0)
        defer { close(ends.0); close(ends.1) }
        let read = ends.0
        let ended = ManagedCounter()
        let waiter = Task { () -> PollReactor.Outcome in
            defer { ended.add() }
            let descriptors = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: 1)
            defer { descriptors.deallocate() }
            descriptors[0] = pollfd(fd: read, events: Int16(POLLIN), revents: 0)
            return await lease.wait(for: descriptors)
        }
        #expect(await eventually { ended.value == 1 }, "the cancelled wait never ended")
        if ended.value == 1 { #expect(await waiter.value == .cancelled) }
    }

    @Test("defect: a job queued on the executor while its thread failed to start waited for a later wait; now it goes to the global executor")
    func jobQueuedWhileThreadFails() async throws {
        let kernel = makeKernel()
        var host = PollReactor.Host.system
        let queued = QueuedJob()
        // Another thread's task resumes onto the executor while this wait is starting the thread
        // (the reactor counts on it by then): its job is queued, and then the start fails.
        host.startThread = { _ in
            queued.start()
            return EAGAIN
        }
        let lease = try PollReactor.lease(for: kernel, host: host)
        queued.reactor.withLock { $0 = lease.reactor }
        // The reactor holds the closure that holds `queued`: let go of the reactor at the end.
        defer { queued.reactor.withLock { $0 = nil } }
        var ends: (Int32, Int32) = (-1, -1)
        try #require(withUnsafeMutablePointer(to: &ends) { $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) } } == 0)
        defer { close(ends.0); close(ends.1) }
        let descriptors = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: 1)
        defer { descriptors.deallocate() }
        descriptors[0] = pollfd(fd: ends.0, events: Int16(POLLIN), revents: 0)
        #expect(await lease.wait(for: descriptors) == .failed(.resourceTemporarilyUnavailable))
        // No thread runs, and no later wait comes to start one: the job must run elsewhere.
        #expect(await eventually { queued.ran.withLock { $0 } }, "the job queued while the thread failed to start never ran")
        #expect(lease.reactor.threadID == 0)
    }
}

/// A task that prefers the reactor's executor, started from inside the reactor's failing
/// `startThread`: its first job is enqueued on the executor while the reactor counts on a thread.
private final class QueuedJob: Sendable {
    let reactor = Mutex<PollReactor?>(nil)
    let ran = Mutex(false)
    func start() {
        guard let reactor = reactor.withLock({ $0 }) else { return }
        Task(executorPreference: reactor) { self.ran.withLock { $0 = true } }
    }
}

/// How many more thread starts fail: shared with the reactor's thread-starting closure.
private final class FailureBudget: Sendable {
    private let remaining = Mutex(1)
    func take() -> Bool { remaining.withLock { count in defer { count -= 1 }; return count > 0 } }
}
