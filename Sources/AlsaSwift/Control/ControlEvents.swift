import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// What happened to an element.
public struct ControlChanges: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Its value changed.
    public static let value = ControlChanges(rawValue: ALSA_CTL_EVENT_MASK_VALUE)
    /// Its description changed (range, access, such as becoming inactive).
    public static let info = ControlChanges(rawValue: ALSA_CTL_EVENT_MASK_INFO)
    /// The element was added.
    public static let added = ControlChanges(rawValue: ALSA_CTL_EVENT_MASK_ADD)
    /// Its TLV data (such as its dB scale) changed.
    public static let tlv = ControlChanges(rawValue: ALSA_CTL_EVENT_MASK_TLV)
    /// The element is gone. (The kernel sends every bit set for this; it stands alone here.)
    public static let removed = ControlChanges(rawValue: 1 << 31)
    /// Every kind of change.
    public static let all: ControlChanges = [.value, .info, .added, .tlv, .removed]

    /// The changes in a kernel event mask.
    init(kernelMask mask: UInt32) {
        self = mask == ALSA_CTL_EVENT_MASK_REMOVE ? .removed : ControlChanges(rawValue: mask & 0xf)
    }
}

/// One change to one element, made by this or any other process.
public struct ControlEvent: Sendable, Equatable {
    /// The element that changed.
    public var element: ControlElementID
    /// What changed about it.
    public var changes: ControlChanges
}

/// The changes to a card's elements, as an `AsyncSequence`. It has its own subscription
/// (SUBSCRIBE_EVENTS on a control device of its own), which ends when this object goes away.
/// Waiting is done by the kernel's poll reactor, with the streams' waits, not by a thread of its
/// own. The kernel merges repeated changes to one element that are not yet read into one event.
///
/// The sequence ends (nil) when the task is cancelled, and throws `.disconnected` when the card
/// is unplugged.
public final class ControlEvents: AsyncSequence {
    public typealias Element = ControlEvent
    public typealias Failure = AlsaError

    private let file: DeviceFile
    private let queue: PolledEventQueue<ControlEvent>
    /// Room for several events per read(2).
    private let buffer: UnsafeMutableRawBufferPointer

    static let eventsPerRead = 32

    init(card: Int, kernel: any KernelInterface) throws(AlsaError) {
        let path = ControlFile.path(card: card)
        do {
            file = DeviceFile(kernel: kernel, fd: try kernel.open(path, flags: O_RDONLY | O_NONBLOCK | O_CLOEXEC))
        } catch {
            throw AlsaError(.open, error, context: path)
        }
        var subscribe: Int32 = 1
        do {
            try file.ioctl(.controlSubscribe, ALSA_IOCTL_CTL_SUBSCRIBE_EVENTS, &subscribe)
            queue = try PolledEventQueue(waitingOn: file.fd, kernel: kernel)
        } catch {
            try? file.close()
            throw error
        }
        buffer = .allocate(byteCount: Self.eventsPerRead * Int(ALSA_SIZEOF_CTL_EVENT), alignment: 8)
    }

    deinit {
        try? file.close()
        buffer.deallocate()
    }

    /// The events already queued in the kernel, without waiting; empty when there are none.
    public func available() throws(AlsaError) -> [ControlEvent] {
        try queue.available { () throws(AlsaError) in try readQueued() }
    }

    /// The next event, suspending the task until there is one; nil when the task is cancelled.
    /// POLLERR without data means the card is gone: the next read reports ENODEV.
    nonisolated(nonsending) public func next() async throws(AlsaError) -> ControlEvent? {
        try await queue.next { () throws(AlsaError) in try readQueued() }
    }

    /// The next event, blocking the calling thread until there is one; nil when `timeout` (nil: no
    /// limit) passes first. The blocking twin of `next()`, for a thread of the app's own.
    @available(*, noasync, message: "blocks the thread; use await next()")
    public func nextBlocking(timeout: Duration? = nil) throws(AlsaError) -> ControlEvent? {
        try queue.nextBlocking(timeout: timeout) { () throws(AlsaError) in try readQueued() }
    }

    /// Every whole event read(2) gives now.
    private func readQueued() throws(AlsaError) -> [ControlEvent] {
        try file.checkUsable(.controlReadEvents)
        let bytes: Int
        do {
            bytes = try file.kernel.read(file.fd, into: buffer)
        } catch {
            if error == .resourceTemporarilyUnavailable || error == .interrupted { return [] }
            throw AlsaError(.controlReadEvents, error)
        }
        let size = Int(ALSA_SIZEOF_CTL_EVENT)
        guard bytes >= 0, bytes <= buffer.count, bytes % size == 0 else {
            throw AlsaError(.controlReadEvents, .badMessage, context: "\(bytes) bytes is not a whole number of events")
        }
        var events: [ControlEvent] = []
        for offset in stride(from: 0, to: bytes, by: size) {
            let event = buffer.loadUnaligned(fromByteOffset: offset, as: snd_ctl_event.self)
            // Only element events exist today; skip any other kind a later kernel may add.
            guard event.type == ALSA_CTL_EVENT_ELEM else { continue }
            events.append(ControlEvent(element: try ControlElementID(event.data.elem.id, operation: .controlReadEvents),
                                       changes: ControlChanges(kernelMask: event.data.elem.mask)))
        }
        return events
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AlsaError
        let events: ControlEvents

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AlsaError) -> ControlEvent? {
            try await events.next()
        }

        nonisolated(nonsending) public mutating func next() async throws(AlsaError) -> ControlEvent? {
            try await events.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(events: self) }
}
