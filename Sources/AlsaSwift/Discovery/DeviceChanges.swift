import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A card or PCM device appearing or disappearing.
public enum DeviceChange: Sendable, Equatable {
    /// A card's control device appeared.
    case cardAdded(card: Int)
    /// A card's control device went away.
    case cardRemoved(card: Int)
    /// A PCM device node appeared.
    case pcmAdded(card: Int, device: Int, direction: StreamDirection)
    /// A PCM device node went away.
    case pcmRemoved(card: Int, device: Int, direction: StreamDirection)
    /// A raw MIDI device node appeared (a USB MIDI keyboard plugged in). Sequencer clients and
    /// ports coming and going are told by `SequencerChanges`.
    case midiAdded(card: Int, device: Int)
    /// A raw MIDI device node went away.
    case midiRemoved(card: Int, device: Int)

    /// The change a device node's creation or removal in /dev/snd means; nil for other nodes
    /// (timer, sequencer, hwdep).
    init?(node name: String, added: Bool) {
        if name.hasPrefix("controlC"), let card = Int(name.dropFirst("controlC".count)), card >= 0 {
            self = added ? .cardAdded(card: card) : .cardRemoved(card: card)
            return
        }
        if name.hasPrefix("midiC") {
            let numbers = name.dropFirst(5).split(separator: "D", omittingEmptySubsequences: false)
            guard numbers.count == 2, let card = Int(numbers[0]), let device = Int(numbers[1]), card >= 0, device >= 0 else {
                return nil
            }
            self = added ? .midiAdded(card: card, device: device) : .midiRemoved(card: card, device: device)
            return
        }
        guard name.hasPrefix("pcmC"), let last = name.last, last == "p" || last == "c" else { return nil }
        let numbers = name.dropFirst(4).dropLast().split(separator: "D", omittingEmptySubsequences: false)
        guard numbers.count == 2, let card = Int(numbers[0]), let device = Int(numbers[1]), card >= 0, device >= 0 else {
            return nil
        }
        let direction: StreamDirection = last == "p" ? .playback : .capture
        self = added ? .pcmAdded(card: card, device: device, direction: direction)
                     : .pcmRemoved(card: card, device: device, direction: direction)
    }
}

/// Cards, PCM and raw MIDI devices appearing and disappearing, as an `AsyncSequence`, without udev: an
/// inotify watch on /dev/snd (and on /dev, for the directory itself appearing with the first
/// card). The kernel creates and removes these nodes as cards come and go (devtmpfs), so a USB
/// headset plugged in shows up here with no daemon running. Waiting is done by the kernel's poll
/// reactor. The sequence ends (nil) when the task is cancelled.
///
/// The kernel registers a card's control device after its PCMs and disconnects it first (seen on
/// the rig when snd-dummy is unbound and bound again): so `.cardAdded` follows the card's
/// `.pcmAdded` changes and means the card is complete, and `.cardRemoved` comes before its
/// `.pcmRemoved` ones. Nodes that appear together with /dev/snd itself (the first card of a
/// machine that had none) may not be reported.
public final class DeviceChanges: AsyncSequence {
    public typealias Element = DeviceChange
    public typealias Failure = AlsaError

    private let kernel: any KernelInterface
    private let fd: FileDescriptor
    private let directory: String
    private var directoryWatch: Int32?
    private let queue: PolledEventQueue<DeviceChange>
    private let buffer: UnsafeMutableRawBufferPointer

    // <sys/inotify.h> values, which Glibc exposes only partly to Swift.
    static let created: UInt32 = 0x100, deleted: UInt32 = 0x200, movedFrom: UInt32 = 0x40, movedTo: UInt32 = 0x80
    static let isDirectory: UInt32 = 0x4000_0000, ignored: UInt32 = 0x8000
    /// struct inotify_event before its name: wd, mask, cookie, len.
    static let headerBytes = 16

    /// Starts watching `directory` (normally `/dev/snd`) with inotify.
    public init(kernel: any KernelInterface = LinuxKernel.shared, directory: String = "/dev/snd") throws(AlsaError) {
        self.kernel = kernel
        self.directory = directory
        do {
            fd = try kernel.inotifyInit()
        } catch {
            throw AlsaError(.watchDevices, error)
        }
        do {
            queue = try PolledEventQueue(waitingOn: fd, kernel: kernel)
        } catch {
            try? kernel.close(fd)
            throw error
        }
        buffer = .allocate(byteCount: 4096, alignment: 8)
        do {
            // The parent first, so that the directory appearing after a failed watch is seen.
            let parent = directory.split(separator: "/").dropLast().joined(separator: "/")
            _ = try kernel.inotifyAddWatch(fd, path: "/" + parent, mask: Self.created)
            watchDirectory()
        } catch {
            // Every stored property is set by now, so deinit runs for the failed init: it closes
            // the descriptor and frees the buffer (doing it here too would do it twice).
            throw AlsaError(.watchDevices, error, context: directory)
        }
    }

    deinit {
        try? kernel.close(fd)
        buffer.deallocate()
    }

    /// Watches the directory if it exists; with no card yet it does not, and its creation is
    /// reported by the parent's watch.
    private func watchDirectory() {
        directoryWatch = try? kernel.inotifyAddWatch(fd, path: directory, mask: Self.created | Self.deleted | Self.movedFrom | Self.movedTo)
    }

    /// The changes already reported, without waiting.
    public func available() throws(AlsaError) -> [DeviceChange] {
        try queue.available { () throws(AlsaError) in try readQueued() }
    }

    /// The next change, suspending the task until there is one; nil when the task is cancelled.
    nonisolated(nonsending) public func next() async throws(AlsaError) -> DeviceChange? {
        try await queue.next { () throws(AlsaError) in try readQueued() }
    }

    /// The next change, blocking the calling thread until there is one; nil when `timeout` (nil: no
    /// limit) passes first. The blocking twin of `next()`, for a thread of the app's own.
    @available(*, noasync, message: "blocks the thread; use await next()")
    public func nextBlocking(timeout: Duration? = nil) throws(AlsaError) -> DeviceChange? {
        try queue.nextBlocking(timeout: timeout) { () throws(AlsaError) in try readQueued() }
    }

    private func readQueued() throws(AlsaError) -> [DeviceChange] {
        var changes: [DeviceChange] = []
        while true {
            let bytes: Int
            do {
                bytes = try kernel.read(fd, into: buffer)
            } catch {
                if error == .resourceTemporarilyUnavailable { return changes }
                if error == .interrupted { continue }
                throw AlsaError(.readDeviceChanges, error)
            }
            guard bytes > 0, bytes <= buffer.count else { return changes }
            var offset = 0
            while offset + Self.headerBytes <= bytes {
                let watch = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let nameBytes = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                guard nameBytes <= bytes - offset - Self.headerBytes else {
                    throw AlsaError(.readDeviceChanges, .badMessage, context: "event name of \(nameBytes) bytes past the end")
                }
                let nameStart = offset + Self.headerBytes
                let name = String(decoding: buffer[nameStart..<(nameStart + nameBytes)].prefix { $0 != 0 }, as: UTF8.self)
                offset = nameStart + nameBytes
                if watch == directoryWatch {
                    if mask & Self.ignored != 0 { directoryWatch = nil }  // the directory went with the last card
                    let added = mask & (Self.created | Self.movedTo) != 0
                    guard added || mask & (Self.deleted | Self.movedFrom) != 0,
                          let change = DeviceChange(node: name, added: added) else { continue }
                    changes.append(change)
                } else if mask & Self.created != 0, mask & Self.isDirectory != 0,
                          directory.hasSuffix("/" + name), directoryWatch == nil {
                    // The first card made the directory: its nodes may already be in it, and
                    // they are reported as the watch sees them from now on.
                    watchDirectory()
                }
            }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = AlsaError
        let changes: DeviceChanges

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(AlsaError) -> DeviceChange? {
            try await changes.next()
        }

        nonisolated(nonsending) public mutating func next() async throws(AlsaError) -> DeviceChange? {
            try await changes.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(changes: self) }
}
