import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

extension KernelPCM {
    /// The descriptor and events to poll for this PCM, for event loops that wait on many files.
    public var pollDescriptorValue: pollfd { pollDescriptor.pointee }

    public var pollDescriptorCount: Int { 1 }

    public func fillPollDescriptors(_ descriptors: UnsafeMutableBufferPointer<pollfd>) throws(AlsaError) -> Int {
        try file.checkUsable(.poll)
        guard descriptors.count >= 1 else { throw AlsaError(.poll, .invalidArgument) }
        descriptors[0] = pollfd(fd: pollDescriptor.pointee.fd, events: pollDescriptor.pointee.events, revents: 0)
        return 1
    }

    /// A kernel PCM's descriptor reports its own events: they need no translation.
    public func pollEvents(_ descriptors: UnsafeMutableBufferPointer<pollfd>) throws(AlsaError) -> Int16 {
        // By index: `first` is generic code, which a debug build leaves unspecialized, and it
        // allocates there (it reads through an accessor coroutine).
        descriptors.isEmpty ? 0 : descriptors[0].revents
    }

    /// Waits until at least `avail_min` frames can be transferred, or the timeout passes.
    /// Returns false on timeout. An error condition on the descriptor (xrun, suspend, disconnect)
    /// is turned into the matching error, or recovered under the automatic policy (then true).
    /// A nil `timeout` waits without limit.
    public func wait(timeout: Duration?) throws(AlsaError) -> Bool {
        try file.checkUsable(.poll)
        pollDescriptor.pointee.revents = 0
        let ready: Int32
        do {
            ready = try pollLoop(timeout)
        } catch {
            throw AlsaError(.poll, error)
        }
        guard ready > 0 else { return false }
        let events = Int32(pollDescriptor.pointee.revents)
        if events & (POLLERR | POLLNVAL | POLLHUP) != 0 {
            let current = try state
            do {
                try checkRunnable(current)
            } catch {
                try RecoveryProcedure.absorb(self, error)
            }
        }
        return true
    }

    private func pollLoop(_ timeout: Duration?) throws(Errno) -> Int32 {
        while true {
            do {
                return try file.kernel.poll(pollDescriptor, count: 1, timeout: timeout)
            } catch {
                // A signal ended the wait early; the caller's loop will wait again if needed.
                if error == .interrupted { return 0 }
                throw error
            }
        }
    }
}
