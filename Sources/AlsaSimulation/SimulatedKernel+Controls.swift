import AlsaSwift
import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The test's hands on the simulated cards' control elements: adding and removing elements and
/// changing values as another process would, each raising the events the kernel would.
extension SimulatedKernel {
    /// Adds elements to `card` (numbered after those it has), raising an ADD event for each.
    public func addControls(_ elements: [SimulatedControlElement], card: Int = 0) {
        locked { for element in elements { mixer(card).add(element) } }
    }

    /// Removes an element, raising a REMOVE event; false when there is none of that name.
    @discardableResult
    public func removeControl(named name: String, index: Int = 0, card: Int = 0) -> Bool {
        locked { mixer(card).remove(named: name, index: index) }
    }

    /// Sets an element's values as another process would, raising a VALUE event when they change;
    /// false when there is no such element.
    @discardableResult
    public func setControl(named name: String, index: Int = 0, values: [Int], card: Int = 0) -> Bool {
        locked { mixer(card).set(named: name, index: index, values: values) }
    }

    /// How many control files of `card` are subscribed to its events now. A change made before a
    /// subscription raises no event for it (as in the kernel), so a test that changes controls
    /// "from another process" while a watcher starts waits for this first.
    public func controlSubscriberCount(card: Int = 0) -> Int {
        locked { mixer(card).subscriberCount }
    }

    /// An element's state as the simulated card holds it.
    public func control(named name: String, index: Int = 0, card: Int = 0) -> SimulatedControlElement? {
        locked { mixer(card).element(named: name, index: index) }
    }

    /// read(2): a control file's queued events, or an inotify descriptor's.
    public func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try locked { () throws(Errno) -> Int in
            if let watch = deviceWatches[fd.rawValue] { return try watch.read(into: buffer) }
            if let file = midiFiles[fd.rawValue] { return try readMIDI(file, into: buffer) }
            if timers[fd.rawValue] != nil { return try readTimer(fd.rawValue, into: buffer) }
            guard let card = controls[fd.rawValue] else { throw .invalidArgument }
            if disconnectedControls.contains(fd.rawValue) { throw .noDevice }
            return try mixer(card).read(fd.rawValue, into: buffer, nonBlocking: true)
        }
    }

    public func inotifyInit() throws(Errno) -> FileDescriptor {
        locked {
            let fd = nextDescriptorForWatch()
            deviceWatches[fd] = SimulatedDeviceWatch()
            return FileDescriptor(rawValue: fd)
        }
    }

    public func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        try locked { () throws(Errno) -> Int32 in
            guard let watch = deviceWatches[fd.rawValue] else { throw .badFileDescriptor }
            return try watch.add(path: path)
        }
    }

    // MARK: plumbing (called with the lock held)

    /// Nodes of /dev/snd appeared or went: every inotify descriptor watching it hears of it.
    func nodesChanged(_ paths: [String], created: Bool) {
        guard !paths.isEmpty, !deviceWatches.isEmpty else { return }
        for watch in deviceWatches.values {
            for path in paths { watch.nodeChanged(String(path.dropFirst("/dev/snd/".count)), created: created) }
        }
        controlWakeup.signal()
    }

    func mixer(_ card: Int) -> SimulatedMixer {
        if let mixer = mixers[card] { return mixer }
        let wakeup = controlWakeup
        let mixer = SimulatedMixer(wake: { wakeup.signal() })
        mixers[card] = mixer
        return mixer
    }

    /// What poll(2) reports for a control file (snd_ctl_poll, snd_disconnect_poll).
    func controlEvents(_ fd: Int32) -> Int16 {
        if disconnectedControls.contains(fd) { return Int16(POLLERR | POLLNVAL) }
        guard let card = controls[fd], mixers[card]?.hasEvents(fd) == true else { return 0 }
        return Int16(POLLIN | POLLRDNORM)
    }
}

/// A host pipe that wakes a poll(2): one end is written, the other polled and drained.
final class HostPipe: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        // Close-on-exec from the start (tests spawn children in parallel).
        precondition(alsa_pipe_cloexec(&ends) == 0, "pipe failed: errno \(errno)")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(writeEnd, &byte, 1)
    }

    func drain() {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while Glibc.read(readEnd, &bytes, 32) > 0 {}
    }
}
