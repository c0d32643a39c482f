import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// How period engines wait: asleep until every engine given has a period of room or data (its
/// `avail_min`, which the kernel's poll checks) or an error condition its next step will meet.
/// One engine for the streams and render threads; a duplex stream's capture and playback engines
/// together, in one poll(2) or one reactor suspension per round, an engine leaving the set once
/// it is ready, so that neither side's readiness is missed while the other's is awaited.
///
/// A timer-scheduled engine sleeps here too, on its timer (`sleepOnTimer`): the one place a period
/// engine's thread or task goes to sleep.
///
/// The descriptors go into storage allocated here once, each pending engine's in turn, then one
/// slot for a timer and one for a descriptor that interrupts a blocking wait; a wait allocates
/// nothing. One waiter at a time, like the engines.
final class PeriodWait {
    private let descriptors: UnsafeMutableBufferPointer<pollfd>
    /// How many descriptors each engine wrote this round.
    private let counts: UnsafeMutableBufferPointer<Int>

    /// Room for `engines` engines with `descriptorCapacity` PCM descriptors together (their
    /// `pollDescriptorCount`s), the timer's slot and the interrupt's.
    init(engines: Int, descriptorCapacity: Int) {
        descriptors = .allocate(capacity: max(descriptorCapacity, 1) + 2)
        descriptors.initialize(repeating: pollfd(fd: -1, events: 0, revents: 0))
        counts = .allocate(capacity: max(engines, 1))
        counts.initialize(repeating: 0)
    }

    deinit {
        descriptors.deallocate()
        counts.deallocate()
    }

    /// Blocks the calling thread in poll(2) until every engine of `engines` is ready, or until
    /// `interrupt` (a descriptor of the machine's, such as a pipe; -1: none) is readable: then
    /// returns false. EINTR waits again. Each poll counts as a wait of every engine it waited for.
    func blocking(_ engines: WaitingEngines, interrupt: Int32 = -1) throws(AlsaError) -> Bool {
        var pending = Self.all(engines.count)
        let kernel = engines.first.pcm.kernel
        while pending != 0 {
            let count = try fill(engines, pending)
            descriptors[count] = pollfd(fd: interrupt, events: Int16(POLLIN), revents: 0)
            do {
                _ = try kernel.poll(descriptors.baseAddress!, count: count + 1, timeout: nil)
            } catch {
                if error == .interrupted { continue }
                throw AlsaError(.poll, error)
            }
            note(engines, pending)
            if interrupt >= 0 && descriptors[count].revents != 0 { return false }
            pending = try stillPending(engines, pending)
        }
        return true
    }

    /// Suspends the task, not a thread, on `reactor` until every engine of `engines` is ready
    /// (true), or `deadline` passes first (false). Cancellation ends the wait with ECANCELED.
    nonisolated(nonsending) func suspending(_ engines: WaitingEngines, reactor: PollReactor.Lease,
                                            until deadline: MonotonicInstant? = nil) async throws(AlsaError) -> Bool {
        var pending = Self.all(engines.count)
        while pending != 0 {
            let count = try fill(engines, pending)
            switch await reactor.wait(for: UnsafeMutableBufferPointer(rebasing: descriptors[0..<count]), until: deadline) {
            case .ready: break
            case .timedOut: return false
            case .cancelled: throw AlsaError(.poll, .canceled)
            case .failed(let errno): throw AlsaError(.poll, errno, context: "no thread could be started to wait for the device")
            }
            note(engines, pending)
            pending = try stillPending(engines, pending)
        }
        return true
    }

    /// Blocks the calling thread in poll(2) until `timer` (armed by the caller) fires, `engine`'s
    /// device reports an error condition (an xrun or a vanished device wakes it at once), or
    /// `interrupt` (-1: none) is readable: then returns false. EINTR sleeps again. Counts one wait.
    func sleepOnTimer(_ engine: PeriodEngine, timer: FileDescriptor, interrupt: Int32 = -1) throws(AlsaError) -> Bool {
        while true {
            let count = try fillForTimer(engine, timer)
            descriptors[count + 1] = pollfd(fd: interrupt, events: Int16(POLLIN), revents: 0)
            do {
                _ = try engine.pcm.kernel.poll(descriptors.baseAddress!, count: count + 2, timeout: nil)
            } catch {
                if error == .interrupted { continue }
                throw AlsaError(.poll, error)
            }
            engine.noteWait()
            return !(interrupt >= 0 && descriptors[count + 1].revents != 0)
        }
    }

    /// `sleepOnTimer`, suspending the task on `reactor`. Cancellation ends the sleep with ECANCELED,
    /// reported as an error of `operation` (a wait, a drain).
    nonisolated(nonsending) func sleepOnTimer(_ engine: PeriodEngine, timer: FileDescriptor, reactor: PollReactor.Lease,
                                              cancelling operation: PCMOperation = .poll) async throws(AlsaError) {
        let count = try fillForTimer(engine, timer)
        switch await reactor.wait(for: UnsafeMutableBufferPointer(rebasing: descriptors[0..<count + 1])) {
        case .ready, .timedOut: break
        case .cancelled: throw AlsaError(operation, .canceled)
        case .failed(let errno): throw AlsaError(.poll, errno, context: "no thread could be started to wait for the device")
        }
        engine.noteWait()
    }

    /// The engine's PCM descriptors, then `timer`; returns the PCM's count.
    private func fillForTimer(_ engine: PeriodEngine, _ timer: FileDescriptor) throws(AlsaError) -> Int {
        let count = try engine.pcm.fillPollDescriptors(UnsafeMutableBufferPointer(rebasing: descriptors[0..<descriptors.count - 2]))
        descriptors[count] = pollfd(fd: timer.rawValue, events: Int16(POLLIN), revents: 0)
        return count
    }

    /// A bit per engine, set.
    private static func all(_ count: Int) -> UInt64 {
        precondition(count > 0 && count <= 64, "a wait is for 1 to 64 engines")
        return count == 64 ? .max : (1 << UInt64(count)) - 1
    }

    /// Writes the descriptors of the `pending` engines one after another; returns how many.
    private func fill(_ engines: WaitingEngines, _ pending: UInt64) throws(AlsaError) -> Int {
        var count = 0
        for index in 0..<engines.count where pending & (1 << UInt64(index)) != 0 {
            counts[index] = try engines[index].pcm.fillPollDescriptors(UnsafeMutableBufferPointer(rebasing: descriptors[count..<descriptors.count - 2]))
            count += counts[index]
        }
        return count
    }

    /// Each engine polled for slept once.
    private func note(_ engines: WaitingEngines, _ pending: UInt64) {
        for index in 0..<engines.count where pending & (1 << UInt64(index)) != 0 { engines[index].noteWait() }
    }

    /// The `pending` engines whose descriptors, as poll left them, show no event yet.
    private func stillPending(_ engines: WaitingEngines, _ pending: UInt64) throws(AlsaError) -> UInt64 {
        var left = pending
        var offset = 0
        for index in 0..<engines.count where pending & (1 << UInt64(index)) != 0 {
            let slots = UnsafeMutableBufferPointer(rebasing: descriptors[offset..<offset + counts[index]])
            if try engines[index].pcm.pollEvents(slots) != 0 { left &= ~(1 << UInt64(index)) }
            offset += counts[index]
        }
        return left
    }
}

/// The engines one wait is for: a stream's one, or a duplex stream's two (on one kernel). A
/// concrete type read by index, not a generic collection: unspecialized (a debug build), generic
/// code reads a collection's elements through an accessor coroutine whose frame is allocated on
/// every read, an allocation a period.
struct WaitingEngines {
    let first: PeriodEngine
    let second: PeriodEngine?

    init(_ engine: PeriodEngine) {
        first = engine
        second = nil
    }

    init(_ first: PeriodEngine, _ second: PeriodEngine) {
        self.first = first
        self.second = second
    }

    var count: Int { second == nil ? 1 : 2 }

    subscript(index: Int) -> PeriodEngine { index == 0 ? first : second! }
}
