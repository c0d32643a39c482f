import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Events read from one non-blocking descriptor and waited for on the kernel's poll reactor, not
/// on a thread of their own: what `ControlEvents` (a control device) and `DeviceChanges` (inotify)
/// share. The owner supplies how to read what is queued; this keeps what was read and not yet
/// handed out, and suspends the task until the descriptor is readable.
final class PolledEventQueue<Event> {
    private let reactor: PollReactor.Lease
    private let descriptor: UnsafeMutableBufferPointer<pollfd>
    private var pending: [Event] = []

    init(waitingOn fd: FileDescriptor, kernel: any KernelInterface) throws(AlsaError) {
        reactor = try PollReactor.lease(for: kernel)
        descriptor = .allocate(capacity: 1)
        descriptor[0] = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
    }

    deinit { descriptor.deallocate() }

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
        while pending.isEmpty {
            if Task.isCancelled { return nil }
            pending = try readQueued()
            if !pending.isEmpty { break }
            descriptor[0].revents = 0
            switch await reactor.wait(for: descriptor) {
            case .ready, .timedOut: break
            case .cancelled: return nil
            case .failed(let errno): throw AlsaError(.poll, errno, context: "no thread could be started to wait for events")
            }
        }
        return pending.removeFirst()
    }
}
