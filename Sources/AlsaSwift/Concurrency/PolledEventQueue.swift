import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Events read from one non-blocking descriptor and waited for on the kernel's poll reactor, not
/// on a thread of their own: what `ControlEvents` (a control device), `DeviceChanges` (inotify)
/// and the MIDI files (raw MIDI, the sequencer) share. The owner supplies how to read what is
/// queued; this keeps what was read and not yet handed out, and suspends the task until the
/// descriptor is readable (or, for a file that is also written, until it has room; for the
/// blocking twin, sleeps in poll(2) on the calling thread).
final class PolledEventQueue<Event> {
    private let reactor: PollReactor.Lease
    private let kernel: any KernelInterface
    private let descriptor: UnsafeMutableBufferPointer<pollfd>
    private let writable: UnsafeMutableBufferPointer<pollfd>
    private var pending: [Event] = []

    init(waitingOn fd: FileDescriptor, kernel: any KernelInterface) throws(AlsaError) {
        reactor = try PollReactor.lease(for: kernel)
        self.kernel = kernel
        descriptor = .allocate(capacity: 1)
        descriptor[0] = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        writable = .allocate(capacity: 1)
        writable[0] = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
    }

    deinit {
        descriptor.deallocate()
        writable.deallocate()
    }

    /// Suspends the task until the descriptor is readable (or reports an error its next read
    /// says); false when the task is cancelled. For owners that read it in their own way.
    nonisolated(nonsending) func waitReadable() async throws(AlsaError) -> Bool {
        if Task.isCancelled { return false }
        descriptor[0].revents = 0
        switch await reactor.wait(for: descriptor) {
        case .ready, .timedOut: return true
        case .cancelled: return false
        case .failed(let errno): throw AlsaError(.poll, errno, context: "no thread could be started to wait for events")
        }
    }

    /// Suspends the task until the descriptor takes more (POLLOUT), or reports an error (its
    /// next write says which). Throws `.cancelled` (ECANCELED) when the task is cancelled.
    nonisolated(nonsending) func waitWritable(_ operation: PCMOperation) async throws(AlsaError) {
        if Task.isCancelled { throw AlsaError(operation, .canceled) }
        writable[0].revents = 0
        switch await reactor.wait(for: writable) {
        case .ready, .timedOut: return
        case .cancelled: throw AlsaError(operation, .canceled)
        case .failed(let errno): throw AlsaError(.poll, errno, context: "no thread could be started to wait for room")
        }
    }

    /// What was read before, then what `readQueued` reads now, without waiting.
    func available(_ readQueued: () throws(AlsaError) -> [Event]) throws(AlsaError) -> [Event] {
        var events = pending
        pending.removeAll()
        events += try readQueued()
        return events
    }

    /// The next event, suspending the task until the descriptor is readable; nil when the task is
    /// cancelled.
    nonisolated(nonsending) func next(_ readQueued: () throws(AlsaError) -> [Event]) async throws(AlsaError) -> Event? {
        try await next(kept: { takePending() }, read: { () throws(AlsaError) in
            pending = try readQueued()
            return takePending()
        })
    }

    /// The next event, one at a time, for an owner that keeps what it read itself (and so need
    /// not build an array per read): `kept` gives the next event read before, nil when there is
    /// none; `read` reads now (without waiting) and gives the first event that completes, nil when
    /// none does. Suspends the task until the descriptor is readable; nil when the task is
    /// cancelled. Allocates nothing while an event is there to give.
    nonisolated(nonsending) func next(kept: () throws(AlsaError) -> Event?,
                                      read: () throws(AlsaError) -> Event?) async throws(AlsaError) -> Event? {
        if let event = try kept() { return event }
        while true {
            if Task.isCancelled { return nil }
            if let event = try read() { return event }
            guard try await waitReadable() else { return nil }
        }
    }

    /// The next event, the calling thread sleeping in poll(2) until the descriptor is readable;
    /// nil when `timeout` (nil: no limit) passes first.
    func nextBlocking(timeout: Duration?, _ readQueued: () throws(AlsaError) -> [Event]) throws(AlsaError) -> Event? {
        try nextBlocking(timeout: timeout, kept: { takePending() }, read: { () throws(AlsaError) in
            pending = try readQueued()
            return takePending()
        })
    }

    /// `nextBlocking(timeout:_:)` for an owner that keeps what it read (see `next(kept:read:)`).
    func nextBlocking(timeout: Duration?, kept: () throws(AlsaError) -> Event?,
                      read: () throws(AlsaError) -> Event?) throws(AlsaError) -> Event? {
        if let event = try kept() { return event }
        let deadline = timeout.map { MonotonicInstant.now + $0 }
        while true {
            if let event = try read() { return event }
            let left = deadline.map { max($0 - MonotonicInstant.now, .zero) }
            if left == .zero { return nil }
            descriptor[0].revents = 0
            do {
                _ = try kernel.poll(descriptor.baseAddress!, count: 1, timeout: left)
            } catch {
                if error != .interrupted { throw AlsaError(.poll, error) }
            }
        }
    }

    private func takePending() -> Event? { pending.isEmpty ? nil : pending.removeFirst() }
}
