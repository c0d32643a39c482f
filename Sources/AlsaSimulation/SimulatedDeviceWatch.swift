import SystemPackage

/// One inotify descriptor of the simulated kernel: watches on /dev and /dev/snd, and the events
/// queued for them as the simulated cards' nodes come and go. Used under the kernel's lock.
final class SimulatedDeviceWatch {
    private var watches: [String: Int32] = [:]
    private var nextWatch: Int32 = 1
    private var queue: [(watch: Int32, mask: UInt32, name: String)] = []

    static let created: UInt32 = 0x100, deleted: UInt32 = 0x200

    /// inotify_add_watch: the simulated machine has /dev and /dev/snd, nothing else.
    func add(path: String) throws(Errno) -> Int32 {
        guard path == "/dev" || path == "/dev/snd" else { throw .noSuchFileOrDirectory }
        if let watch = watches[path] { return watch }
        watches[path] = nextWatch
        nextWatch += 1
        return watches[path]!
    }

    /// A node in /dev/snd was created or removed.
    func nodeChanged(_ name: String, created: Bool) {
        guard let watch = watches["/dev/snd"] else { return }
        queue.append((watch, created ? Self.created : Self.deleted, name))
    }

    var hasEvents: Bool { !queue.isEmpty }

    /// read(2): whole struct inotify_event records, each name padded with NULs to 16 bytes as the
    /// kernel pads them.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard !queue.isEmpty else { throw .resourceTemporarilyUnavailable }
        var written = 0
        while let next = queue.first {
            let nameBytes = (next.name.utf8.count / 16 + 1) * 16
            let size = 16 + nameBytes
            guard written + size <= buffer.count else { break }
            buffer.storeBytes(of: next.watch, toByteOffset: written, as: Int32.self)
            buffer.storeBytes(of: next.mask, toByteOffset: written + 4, as: UInt32.self)
            buffer.storeBytes(of: UInt32(0), toByteOffset: written + 8, as: UInt32.self)
            buffer.storeBytes(of: UInt32(nameBytes), toByteOffset: written + 12, as: UInt32.self)
            let name = Array(next.name.utf8)
            for i in 0..<nameBytes { buffer[written + 16 + i] = i < name.count ? name[i] : 0 }
            written += size
            queue.removeFirst()
        }
        // A buffer too small for even one event: EINVAL, as inotify says.
        guard written > 0 else { throw .invalidArgument }
        return written
    }
}
