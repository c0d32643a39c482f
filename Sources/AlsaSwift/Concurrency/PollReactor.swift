import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One thread per kernel that waits in poll(2) for every suspended `async` PCM operation at once,
/// and resumes each task when its descriptors report events. No thread per wait, no busy-waiting:
/// the thread sleeps in the kernel until a device is ready or an eventfd wakes it (a new waiter or
/// a cancellation). It goes through the kernel seam, so the simulated kernel serves it too.
///
/// The thread ends after a while with nobody waiting and starts again on demand.
final class PollReactor: Sendable {
    /// One suspended task: where its descriptors are (owned by the task's stream, which stays
    /// alive while the task is suspended) and how to resume it. Only the reactor touches the
    /// descriptors while the task is suspended, hence the unchecked Sendable.
    private struct Waiter: @unchecked Sendable {
        let id: UInt64
        let descriptors: UnsafeMutableBufferPointer<pollfd>
        let continuation: UnsafeContinuation<Bool, Never>
    }

    private struct State: ~Copyable {
        var waiters: [Waiter] = []
        var nextID: UInt64 = 1
        var threadRunning = false
        /// The poll set the thread builds; grown on demand, reused between rounds.
        var pollSet = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: 16)
        /// Which waiter's descriptors sit where in `pollSet` this round.
        var polled: [(id: UInt64, position: Int)] = []
    }

    private let kernel: any KernelInterface
    /// A pipe: the thread polls the read end; anyone writes a byte to the other to wake it.
    private let wakeup: Int32
    private let wakeupWriter: Int32
    private let state = Mutex(State())
    /// How long the thread lingers with nobody waiting before it ends.
    private static let idleMilliseconds: Int32 = 2_000

    private static let registry = Mutex<[ObjectIdentifier: PollReactor]>([:])

    /// The reactor of `kernel`, created on first use and kept for the process's lifetime.
    static func shared(for kernel: any KernelInterface) -> PollReactor {
        registry.withLock { reactors in
            if let reactor = reactors[ObjectIdentifier(kernel)] { return reactor }
            let reactor = PollReactor(kernel: kernel)
            reactors[ObjectIdentifier(kernel)] = reactor
            return reactor
        }
    }

    private init(kernel: any KernelInterface) {
        self.kernel = kernel
        var ends: (Int32, Int32) = (-1, -1)
        let made = withUnsafeMutablePointer(to: &ends) {
            $0.withMemoryRebound(to: Int32.self, capacity: 2) { pipe($0) }
        }
        precondition(made == 0, "pipe failed: errno \(errno)")
        (wakeup, wakeupWriter) = ends
        for end in [wakeup, wakeupWriter] {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
    }

    /// Suspends until one of `descriptors` has events (their `revents` are then filled in) or the
    /// task is cancelled. Returns false when cancelled.
    nonisolated(nonsending) func wait(for descriptors: UnsafeMutableBufferPointer<pollfd>) async -> Bool {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: false)
                    return
                }
                let startThread = state.withLock { s in
                    s.waiters.append(Waiter(id: id, descriptors: descriptors, continuation: continuation))
                    defer { s.threadRunning = true }
                    return !s.threadRunning
                }
                if startThread { startPollThread() } else { wake() }
            }
        } onCancel: {
            let cancelled = state.withLock { s -> UnsafeContinuation<Bool, Never>? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            cancelled?.resume(returning: false)
            wake()
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeupWriter, &byte, 1)
    }

    private func startPollThread() {
        let thread = UnsafeMutablePointer<pthread_t>.allocate(capacity: 1)
        defer { thread.deallocate() }
        let context = Unmanaged.passRetained(self).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let created = pthread_create(thread, &attributes, { context in
            let reactor = Unmanaged<PollReactor>.fromOpaque(context!).takeRetainedValue()
            reactor.run()
            return nil
        }, context)
        pthread_attr_destroy(&attributes)
        precondition(created == 0, "pthread_create failed: \(created)")
    }

    /// The thread: poll everything, resume whoever is ready, repeat.
    private func run() {
        while true {
            // Build the set: the eventfd first, then each waiter's descriptors in order.
            let (set, count) = state.withLock { s -> (UnsafeMutableBufferPointer<pollfd>, Int) in
                let needed = 1 + s.waiters.reduce(0) { $0 + $1.descriptors.count }
                if needed > s.pollSet.count {
                    s.pollSet.deallocate()
                    s.pollSet = .allocate(capacity: needed * 2)
                }
                s.pollSet[0] = pollfd(fd: wakeup, events: Int16(POLLIN), revents: 0)
                s.polled.removeAll(keepingCapacity: true)
                var i = 1
                for waiter in s.waiters {
                    s.polled.append((waiter.id, i))
                    for d in waiter.descriptors {
                        s.pollSet[i] = pollfd(fd: d.fd, events: d.events, revents: 0)
                        i += 1
                    }
                }
                return (s.pollSet, needed)
            }
            let idle = count == 1
            let ready: Int32
            do {
                ready = try kernel.poll(set.baseAddress!, count: count, timeoutMilliseconds: idle ? Self.idleMilliseconds : -1)
            } catch {
                // EINTR: go round. Anything else: hand the waiters back their (empty) events so each
                // task looks at its PCM itself and reports what is wrong.
                if error != .interrupted { resumeAll() }
                continue
            }
            if set[0].revents != 0 {
                var drained = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                while Glibc.read(wakeup, &drained, 32) == 32 {}
            }
            // Resumed under the lock: resuming only schedules the task, and collecting the ready ones
            // in an array first would allocate on every round.
            let keepRunning = state.withLock { s -> Bool in
                if idle && ready == 0 && s.waiters.isEmpty {
                    s.threadRunning = false
                    return false
                }
                // Match by id: waiters cancelled meanwhile are gone, ones added meanwhile were not
                // polled this round and simply stay.
                for (id, position) in s.polled {
                    guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { continue }
                    let waiter = s.waiters[index]
                    let events = UnsafeMutableBufferPointer(rebasing: s.pollSet[position..<position + waiter.descriptors.count])
                    guard events.contains(where: { $0.revents != 0 }) else { continue }
                    for k in 0..<events.count { waiter.descriptors[k].revents = events[k].revents }
                    s.waiters.remove(at: index)
                    waiter.continuation.resume(returning: true)
                }
                return true
            }
            // Idle long enough: this thread ends (a later waiter starts another).
            guard keepRunning else { return }
        }
    }

    private func resumeAll() {
        state.withLock { s in
            for waiter in s.waiters { waiter.continuation.resume(returning: true) }
            s.waiters.removeAll(keepingCapacity: true)
        }
    }
}
