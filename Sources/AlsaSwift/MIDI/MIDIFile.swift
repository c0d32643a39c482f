import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One open MIDI device file (a raw MIDI device or a sequencer client) and how its callers wait:
/// it is always opened non-blocking, so a read with nothing to read or a write with no room comes
/// back at once, and the caller sleeps in poll until the kernel says there is data or room (its
/// avail_min) — a blocking caller in poll(2) itself, an `async` one on the kernel's poll reactor,
/// which suspends the task and holds no thread. `Event` is what its reads hand out.
final class MIDIFile<Event> {
    let file: DeviceFile
    let queue: PolledEventQueue<Event>
    private let path: String

    init(path: String, flags: Int32, kernel: any KernelInterface) throws(AlsaError) {
        self.path = path
        do {
            file = DeviceFile(kernel: kernel, fd: try kernel.open(path, flags: flags | O_NONBLOCK | O_CLOEXEC))
        } catch {
            throw AlsaError(.open, error, context: path)
        }
        do {
            queue = try PolledEventQueue(waitingOn: file.fd, kernel: kernel)
        } catch {
            try? file.close()
            throw error
        }
    }

    deinit { try? file.close() }

    var kernel: any KernelInterface { file.kernel }

    /// read(2): the bytes read, 0 when there is nothing to read now (EAGAIN). EINTR is retried.
    func read(into buffer: UnsafeMutableRawBufferPointer, _ operation: PCMOperation) throws(AlsaError) -> Int {
        try file.checkUsable(operation)
        let count: Int
        do {
            count = try retryingInterrupts { () throws(Errno) in try file.kernel.read(file.fd, into: buffer) }
        } catch {
            if error == .resourceTemporarilyUnavailable { return 0 }
            throw file.failure(operation, error)
        }
        guard count >= 0, count <= buffer.count else {
            throw AlsaError(operation, .ioError, context: "the kernel read \(count) bytes into a buffer of \(buffer.count)")
        }
        return count
    }

    /// write(2): the bytes the kernel took, 0 when it has no room now (EAGAIN). EINTR is retried.
    func write(_ bytes: UnsafeRawBufferPointer, _ operation: PCMOperation) throws(AlsaError) -> Int {
        try file.checkUsable(operation)
        let count: Int
        do {
            count = try retryingInterrupts { () throws(Errno) in try file.kernel.write(file.fd, from: bytes) }
        } catch {
            if error == .resourceTemporarilyUnavailable { return 0 }
            throw file.failure(operation, error)
        }
        guard count >= 0, count <= bytes.count else {
            throw AlsaError(operation, .ioError, context: "the kernel took \(count) of \(bytes.count) bytes")
        }
        return count
    }

    /// A call the kernel interrupted before it moved anything (EINTR), made again.
    private func retryingInterrupts(_ call: () throws(Errno) -> Int) throws(Errno) -> Int {
        while true {
            do {
                return try call()
            } catch {
                if error != .interrupted { throw error }
            }
        }
    }

    /// Sleeps in poll(2) until the file has `events` (POLLIN or POLLOUT), or an error its next
    /// call will report. A signal ends the wait with `.interrupted` (EINTR), so that a tool's
    /// Ctrl-C is seen.
    func waitBlocking(for events: Int32, _ operation: PCMOperation) throws(AlsaError) {
        try file.checkUsable(operation)
        var descriptor = pollfd(fd: file.fd.rawValue, events: Int16(events), revents: 0)
        while true {
            do {
                if try file.kernel.poll(&descriptor, count: 1, timeout: nil) > 0 { return }
            } catch {
                throw AlsaError(.poll, error, context: path)
            }
        }
    }

    func close() throws(AlsaError) { try file.close() }
}
