import AlsaSwift
import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The test's hands on the simulated raw MIDI devices: adding them, plugging a device's MIDI OUT
/// into a MIDI IN (a loop-back pair), playing bytes into an input as a keyboard would, reading
/// what an output sent, and stalling an output.
extension SimulatedKernel {
    /// The path of a raw MIDI device node: `/dev/snd/midiC<card>D<device>`.
    public static func midiPath(card: Int, device: Int) -> String { "/dev/snd/midiC\(card)D\(device)" }

    /// Adds (or plugs in again) a raw MIDI device. A card that had no device gets its control
    /// device too.
    public func addMIDIDevice(card: Int, device: Int, _ description: SimulatedMIDIDevice = SimulatedMIDIDevice()) {
        locked {
            let cardIsNew = !cardIsPlugged(card)
            let path = Self.midiPath(card: card, device: device)
            let created = midiDevices[path].map { $0.removed } ?? true
            midiDevices[path] = SimulatedRawMIDIDevice(card: card, device: device, description: description)
            var nodes = created ? [path] : []
            if cardIsNew { nodes.append(Self.controlPath(card: card)) }
            nodesChanged(nodes, created: true)
        }
    }

    /// Plugs a MIDI cable from one device's MIDI OUT into a MIDI IN (the same device's, for a
    /// loop-back): every byte the first sends arrives at the second. False when either device is
    /// missing.
    @discardableResult
    public func connectMIDIOut(card: Int, device: Int, toInputOf targetCard: Int, device targetDevice: Int) -> Bool {
        locked {
            guard let from = midiDevices[Self.midiPath(card: card, device: device)],
                  midiDevices[Self.midiPath(card: targetCard, device: targetDevice)] != nil else { return false }
            from.loop = (targetCard, targetDevice)
            return true
        }
    }

    /// Bytes arriving at a device's MIDI IN, as a keyboard plugged into it sends them. Until the
    /// input is open and has been read or polled once they are lost, as on a real interface;
    /// bytes beyond its buffer are dropped and counted as xruns.
    public func receiveMIDI(_ bytes: [UInt8], card: Int, device: Int) {
        locked {
            guard let target = midiDevices[Self.midiPath(card: card, device: device)] else { return }
            deliverMIDI(bytes, to: target)
        }
    }

    /// Every byte a device sent out of its MIDI OUT since it was added.
    public func sentMIDI(card: Int, device: Int) -> [UInt8] {
        locked { midiDevices[Self.midiPath(card: card, device: device)]?.sent ?? [] }
    }

    /// Stops (or restarts) a device's sending: written bytes stay in its buffer, so the buffer
    /// fills, writes wait for room and DRAIN fails with EIO (the kernel's 10 s limit).
    public func stallMIDIOutput(_ stalled: Bool, card: Int, device: Int) {
        locked {
            guard let midi = midiDevices[Self.midiPath(card: card, device: device)] else { return }
            midi.stalled = stalled
            if !stalled { transmitMIDI(midi) }
        }
    }

    /// write(2): raw MIDI bytes, or sequencer events. Other files cannot be written (EINVAL).
    public func write(_ fd: FileDescriptor, from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try locked { () throws(Errno) -> Int in
            var record = SimulatedCallRecord(call: .write)
            guard let file = midiFiles[fd.rawValue] else {
                if files[fd.rawValue] != nil || controls[fd.rawValue] != nil || deviceWatches[fd.rawValue] != nil {
                    return try fail(&record, .invalidArgument)
                }
                return try fail(&record, .badFileDescriptor)
            }
            try checkFault(&record, .write, nil)
            do throws(Errno) {
                let count: Int
                switch file {
                case .raw(let raw): count = try RawMIDICore(kernel: self, file: raw).write(from: bytes)
                case .sequencer(let client): count = try SequencerCore(sequencer: sequencer, client: client).write(from: bytes)
                }
                records.append(record)
                return count
            } catch {
                return try fail(&record, error)
            }
        }
    }

    // MARK: plumbing (called with the lock held)

    /// open(2) of a MIDI node; nil when `path` is not one.
    func openMIDI(_ path: String, flags: Int32, fd: Int32, _ record: inout SimulatedCallRecord) throws(Errno) -> SimulatedMIDIFile? {
        if path == "/dev/snd/seq" {
            do throws(Errno) {
                return .sequencer(try sequencer.openClient())
            } catch {
                return try fail(&record, error)
            }
        }
        guard path.hasPrefix("/dev/snd/midiC") else { return nil }
        guard let device = midiDevices[path], !device.removed else { return try fail(&record, .noSuchFileOrDirectory) }
        do throws(Errno) {
            return .raw(try RawMIDICore.open(device, flags: flags, fd: fd))
        } catch {
            return try fail(&record, error)
        }
    }

    func closeMIDI(_ file: SimulatedMIDIFile) {
        switch file {
        case .raw(let raw): RawMIDICore(kernel: self, file: raw).close()
        case .sequencer(let client): sequencer.closeClient(client.number)
        }
    }

    func midiIoctl(_ file: SimulatedMIDIFile, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        switch file {
        case .raw(let raw): try RawMIDICore(kernel: self, file: raw).ioctl(request, argument)
        case .sequencer(let client): try SequencerCore(sequencer: sequencer, client: client).ioctl(request, argument)
        }
    }

    /// read(2) of a MIDI file, recorded in the trace (faults can be injected into it).
    func readMIDI(_ file: SimulatedMIDIFile, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        var record = SimulatedCallRecord(call: .read)
        try checkFault(&record, .read, nil)
        do throws(Errno) {
            let count: Int
            switch file {
            case .raw(let raw): count = try RawMIDICore(kernel: self, file: raw).read(into: buffer)
            case .sequencer(let client): count = try SequencerCore(sequencer: sequencer, client: client).read(into: buffer)
            }
            records.append(record)
            return count
        } catch {
            return try fail(&record, error)
        }
    }

    /// What poll(2) reports for a MIDI file.
    func midiEvents(_ file: SimulatedMIDIFile) -> Int16 {
        switch file {
        case .raw(let raw): RawMIDICore(kernel: self, file: raw).poll()
        case .sequencer(let client): SequencerCore(sequencer: sequencer, client: client).events
        }
    }

    /// A caller about to sleep in poll on `descriptors` until `end` at the latest: when one is a
    /// sequencer client and a queue has an event due by then, the machine's clock runs to it (the
    /// DMA engines with it) and true is returned (look again).
    func advanceSequencer(waitingOn descriptors: [Int32], until end: UInt64) -> Bool {
        let waitsOnSequencer = descriptors.contains { fd in
            if case .sequencer? = midiFiles[fd] { return true }
            return false
        }
        guard waitsOnSequencer, let due = sequencer.nextDueTime, due <= end else { return false }
        let before = clock.nanoseconds, pending = sequencer.pendingCount
        passTime(until: due)
        // Look again only if something changed: a wait that moves nothing ends as poll says.
        return clock.nanoseconds > before || sequencer.pendingCount < pending
    }

    /// A device's buffered output goes out, unless it is stalled.
    func transmitMIDI(_ device: SimulatedRawMIDIDevice) {
        guard !device.stalled, !device.output.bytes.isEmpty else { return }
        let bytes = device.output.bytes
        device.output.bytes.removeAll()
        device.sent += bytes
        if let loop = device.loop, let target = midiDevices[Self.midiPath(card: loop.card, device: loop.device)] {
            deliverMIDI(bytes, to: target)
        }
        controlWakeup.signal()
    }

    /// snd_rawmidi_receive: into the input buffer while there is room; the rest counts as xruns.
    func deliverMIDI(_ bytes: [UInt8], to device: SimulatedRawMIDIDevice) {
        guard !device.removed, device.input.file != nil, device.input.triggered else { return }
        let input = device.input
        let room = input.bufferSize - input.bytes.count
        input.bytes += bytes.prefix(room)
        input.xruns += max(bytes.count - room, 0)
        controlWakeup.signal()
    }

    /// The card's raw MIDI devices that are plugged in, by device number.
    func pluggedMIDI(_ card: Int) -> [SimulatedRawMIDIDevice] {
        midiDevices.values.filter { $0.card == card && !$0.removed }.sorted { $0.device < $1.device }
    }

    /// Unplugs the raw MIDI devices of `cards` (nil: every card): open files fail with ENODEV
    /// from now on. Returns their node paths, for the hotplug events.
    func removeMIDI(cards: Set<Int>?) -> [String] {
        var gone: [String] = []
        for device in midiDevices.values where !device.removed && (cards?.contains(device.card) ?? true) {
            device.removed = true
            gone.append(device.path)
        }
        for case .raw(let file) in midiFiles.values where file.device.removed { file.disconnected = true }
        return gone.sorted()
    }
}

/// An open MIDI file of the simulated kernel: a raw MIDI device or a sequencer client.
enum SimulatedMIDIFile {
    case raw(RawMIDIFile)
    case sequencer(SequencerClientState)
}
