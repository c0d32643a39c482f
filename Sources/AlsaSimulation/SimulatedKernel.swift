import AlsaSwift
import CAlsaKernel
import Foundation
import Glibc
import SystemPackage

/// A model of the Linux ALSA PCM core (6.1 semantics) behind AlsaSwift's syscall seam.
///
/// Device nodes `/dev/snd/pcmC<card>D<device>{p,c}` exist for every device added. Time is virtual:
/// the machine's clock (which stamps PCM positions and runs its timers) and the DMA engines move
/// only when a test calls `advance`, or when a caller would sleep in the kernel (blocking
/// transfers, blocking drain, poll with a timeout), which advances the clock a period at a time, or
/// to the next timer, until the wait would end. Nothing sleeps, and no thread is needed.
///
/// Thread safety: every entry point takes one lock, so a kernel may be shared between threads.
public final class SimulatedKernel: KernelInterface, @unchecked Sendable {
    private let lock = NSLock()
    private var substreams: [String: Substream] = [:]
    var files: [Int32: Substream] = [:]
    /// Open control devices: descriptor → card.
    var controls: [Int32: Int] = [:]
    /// Each card's control elements (SimulatedKernel+Controls.swift).
    var mixers: [Int: SimulatedMixer] = [:]
    /// Control files whose card was unplugged: every call but close fails with ENODEV.
    var disconnectedControls = Set<Int32>()
    /// Written when a control event is queued, so that a poll sleeping on host descriptors wakes.
    let controlWakeup = HostPipe()
    /// Open inotify descriptors (SimulatedKernel+Controls.swift).
    var deviceWatches: [Int32: SimulatedDeviceWatch] = [:]
    private var cardIdentities: [Int: SimulatedCardIdentity] = [:]
    /// Raw MIDI devices by node path (SimulatedKernel+MIDI.swift).
    var midiDevices: [String: SimulatedRawMIDIDevice] = [:]
    /// Open MIDI files: raw MIDI devices and sequencer clients.
    var midiFiles: [Int32: SimulatedMIDIFile] = [:]
    /// The sequencer core behind /dev/snd/seq (SimulatedKernel+Sequencer.swift).
    let sequencer: SimulatedSequencer
    /// Simulated descriptors are numbered far above anything the host hands out, so a poll set may
    /// mix them with real descriptors (an eventfd that wakes a poller) without ambiguity.
    private var nextDescriptor: Int32 = 1 << 24

    /// A new descriptor number, for files opened outside `open` (inotify). Lock held.
    func nextDescriptorForWatch() -> Int32 {
        defer { nextDescriptor += 1 }
        return nextDescriptor
    }
    private var regions: [UnsafeMutableRawPointer: Region] = [:]
    /// The machine's monotonic clock, which every substream's timestamps and every timer read.
    let clock = SimulatedClock()
    /// Open timer descriptors and their deadlines (nanoseconds since boot; nil: disarmed).
    var timers: [Int32: UInt64?] = [:]
    /// How late a timer wakes its sleeper, past its deadline (SimulatedKernel+Timers.swift).
    var timerLatency: UInt64 = 0
    private var faults = FaultQueue()
    var records: [SimulatedCallRecord] = []

    /// One mapped address. The same record page mapped twice is one region with two users.
    private struct Region {
        let memory: SharedMemory
        let substream: Substream
        let generation: Int
        let data: Bool
        var users: Int
    }

    /// Always false: its descriptors mean nothing to the machine, so alsa-lib cannot serve names on it.
    public var servesMachineDevices: Bool { false }

    /// A kernel with one card, `card`, whose device 0 is `hardware` in both directions, and whose
    /// mixer is `mixer` (the AC97-like one unless you ask for another or `.none`).
    public init(card: Int = 0, hardware: SimulatedHardware = .dummy, mixer: SimulatedCardMixer = .ac97) {
        sequencer = SimulatedSequencer(clock: clock)
        let wakeup = controlWakeup
        sequencer.wake = { wakeup.signal() }
        addDevice(card: card, device: 0, hardware: hardware, mixer: mixer)
    }

    /// Adds (or, after an unplug, plugs in again) the nodes of a device: both directions unless
    /// `directions` says otherwise (many real devices are playback-only or capture-only, such as an
    /// S/PDIF output or a microphone ADC). A new card gets `mixer`'s controls, as its driver would
    /// register them; a card that has controls keeps them.
    public func addDevice(card: Int, device: Int, hardware: SimulatedHardware,
                          directions: [StreamDirection] = [.playback, .capture], mixer: SimulatedCardMixer = .ac97) {
        locked {
            let cardIsNew = !cardIsPlugged(card)
            if cardIsNew && mixers[card] == nil {
                let controls = self.mixer(card)
                for element in mixer.elements { controls.add(element) }
            }
            var created: [String] = []
            for capture in directions.map({ $0 == .capture }) {
                let path = Self.devicePath(card: card, device: device, capture: capture)
                if substreams[path].map({ $0.removed }) ?? true { created.append(path) }
                substreams[path] = Substream(card: card, device: device, capture: capture, hardware: hardware, clock: clock)
            }
            // The kernel registers a card's control device after its other devices.
            if cardIsNew { created.append(Self.controlPath(card: card)) }
            nodesChanged(created, created: true)
        }
    }

    /// What card `card` reports through its control device. A card without one reports an
    /// identity of its own, id `Sim<card>` ("Sim0", "Sim1"...), so that listing shows every card.
    public func setIdentity(_ identity: SimulatedCardIdentity, card: Int) {
        locked { cardIdentities[card] = identity }
    }

    /// The path of a card's control device: `/dev/snd/controlC<card>`.
    public static func controlPath(card: Int) -> String { "/dev/snd/controlC\(card)" }

    /// The path of a PCM device node: `/dev/snd/pcmC<card>D<device>p` or `c`.
    public static func devicePath(card: Int, device: Int, capture: Bool) -> String {
        "/dev/snd/pcmC\(card)D\(device)\(capture ? "c" : "p")"
    }

    // MARK: the test's controls

    /// Lets the time `frames` frames last pass, at the rate of the first running stream (of the
    /// first configured one when none runs): every running DMA engine moves, each by its own clock.
    public func advance(frames: Int) {
        locked {
            guard let reference = referenceSetup else { return passTime(frames: frames, rate: 48_000) }
            passTime(frames: frames, rate: reference.sampleRate)
        }
    }

    /// Lets `duration` pass on the machine's clock, the one clock PCM positions, timers and the
    /// sequencer's queues run on: every running DMA engine moves, and every queue event that falls
    /// due on the way goes out at its time.
    public func advance(by duration: Duration) {
        locked { passTime(until: clock.nanoseconds + UInt64(max(duration.nanosecondsValue, 0))) }
    }

    /// Lets `periods` periods of the first running stream (of the first configured one when none
    /// runs) pass.
    public func advance(periods: Int) {
        locked {
            guard let reference = referenceSetup else { return }
            passTime(frames: periods * reference.periodSize, rate: reference.sampleRate)
        }
    }

    /// The setup whose rate measures time a test lets pass.
    private var referenceSetup: Substream.Setup? {
        let open = openSubstreams
        return (open.first { $0.isRunning } ?? open.first { $0.setup != nil })?.setup
    }

    /// The next `times` calls of `call` (and `request`, for ioctls) fail with `errno` without running,
    /// after the first `skipped` matching calls ran normally (so `skipped: 2` hits the third call).
    public func inject(_ errno: Errno, into call: SimulatedCall, request: UInt? = nil, after skipped: Int = 0, times: Int = 1) {
        locked { faults.arm(errno, call: call, request: request, after: skipped, times: times) }
    }

    /// Every matching call from the `skipped + 1`th on fails with `errno`: a device that broke for good.
    public func injectPersistently(_ errno: Errno, into call: SimulatedCall, request: UInt? = nil, after skipped: Int = 0) {
        locked { faults.arm(errno, call: call, request: request, after: skipped, times: nil) }
    }

    /// An xrun of a running substream as its driver would report it (snd_pcm_stop_xrun): the
    /// substream and every substream linked to it stop in XRUN. False when it is not running.
    @discardableResult
    public func forceXrun(card: Int = 0, device: Int = 0, direction: StreamDirection) -> Bool {
        locked {
            guard let s = substreams[Self.devicePath(card: card, device: device, capture: direction == .capture)],
                  s.isOpen, s.state == State.running else { return false }
            s.forceXrun()
            return true
        }
    }

    /// A system suspend: every stream with a configuration in use goes to SUSPENDED, remembering
    /// its state for RESUME.
    public func suspendAll() {
        locked {
            let suspendable = [State.prepared, State.running, State.paused, State.draining, State.xrun]
            for s in openSubstreams where !s.disconnected && suspendable.contains(s.state) {
                s.status.pointee.suspended_state = s.state
                s.state = State.suspended
                s.resumeAttempts = 0
            }
        }
    }

    /// An unplug of every card: open streams become DISCONNECTED, every later call on their files
    /// but close fails with ENODEV (poll reports POLLERR|POLLNVAL), and the nodes disappear until
    /// `addDevice` plugs a device in again.
    public func disconnectAll() {
        locked {
            for s in openSubstreams {
                s.disconnected = true
                s.state = State.disconnected
            }
            let gone = substreams.values.filter { !$0.removed }
            let cards = Set(gone.map(\.card)).union(midiDevices.values.filter { !$0.removed }.map(\.card))
            for s in substreams.values { s.removed = true }
            disconnectedControls.formUnion(controls.keys)
            nodesChanged(Self.nodes(of: gone, cards: cards) + removeMIDI(cards: nil), created: false)
            controlWakeup.signal()
        }
    }

    /// An unplug of one card: as `disconnectAll`, for `card` only.
    public func removeCard(_ card: Int) {
        locked {
            for s in openSubstreams where s.card == card {
                s.disconnected = true
                s.state = State.disconnected
            }
            let gone = plugged(card)
            let cards: Set<Int> = cardIsPlugged(card) ? [card] : []
            for s in gone { s.removed = true }
            disconnectedControls.formUnion(controls.filter { $0.value == card }.keys)
            nodesChanged(Self.nodes(of: gone, cards: cards) + removeMIDI(cards: [card]), created: false)
            controlWakeup.signal()
        }
    }

    /// The nodes of unplugged substreams in the order the kernel removes them: each card's control
    /// node, then its PCM nodes from the last device down (playback before capture), then (added
    /// by the caller) its raw MIDI nodes.
    private static func nodes(of gone: [Substream], cards: Set<Int>) -> [String] {
        return cards.sorted().map { controlPath(card: $0) }
            + gone.sorted { ($0.card, -$0.device, $0.capture ? 1 : 0) < ($1.card, -$1.device, $1.capture ? 1 : 0) }
                .map { devicePath(card: $0.card, device: $0.device, capture: $0.capture) }
    }

    /// A stalled machine: no DMA engine moves while a caller waits in poll (a device whose
    /// interrupts stopped). poll then sleeps on host descriptors only, so code that must not hang
    /// on a dead device (a poller woken through a pipe) can be tested. `advance` still works.
    public func stall(_ stalled: Bool) { locked { isStalled = stalled } }
    var isStalled = false

    /// Frames every running DMA engine moves while each PCM ioctl is made: the time a real CPU
    /// spends between and in its calls, while the device keeps playing. 0 (the default) freezes the
    /// clock between waits, as if the app's work took no time; a few dozen frames show the partial
    /// room or data a client sees on real hardware, so that a client that chases it instead of
    /// waiting for a period makes many more calls than periods.
    public func setFramesPerCall(_ frames: Int) { locked { framesPerCall = max(frames, 0) } }
    private var framesPerCall = 0

    /// Callers asleep now in poll with no time limit and nothing simulated that can wake them: only
    /// a host descriptor (a wake-up pipe) or a control, device or MIDI event ends their wait. A test
    /// waits for it to know that a thread has gone to sleep for good, rather than watching for a
    /// while that it does not move.
    public var sleepersWithoutLimit: Int { locked { hostSleepers } }
    private var hostSleepers = 0

    /// Every seam call served since the kernel was made or the trace cleared, in order.
    public var trace: [SimulatedCallRecord] { locked { records } }
    /// Empties `trace`, so a test can count the calls of one step.
    public func clearTrace() { locked { records.removeAll() } }
    /// Descriptors open now (PCM, control, inotify, MIDI and timers): 0 once a client closed everything.
    public var openDescriptorCount: Int { locked { files.count + controls.count + deviceWatches.count + midiFiles.count + timers.count } }
    /// Mappings in place now: 0 once a client unmapped everything.
    public var mappedRegionCount: Int { locked { regions.values.reduce(0) { $0 + $1.users } } }

    /// What the device side of a playback substream saw since it was opened.
    public func playbackObservation(card: Int = 0, device: Int = 0) -> DeviceObservation {
        locked { substreams[Self.devicePath(card: card, device: device, capture: false)]?.observation ?? DeviceObservation() }
    }

    /// Keeps every byte the playback substream plays from now on (until it is closed and opened
    /// again), for `playedBytes`: a test that looks at the sound, not only its checksum.
    public func recordPlayback(card: Int = 0, device: Int = 0) {
        locked { substreams[Self.devicePath(card: card, device: device, capture: false)]?.played = [] }
    }

    /// The bytes the playback substream played since `recordPlayback`, in the device's format.
    public func playedBytes(card: Int = 0, device: Int = 0) -> [UInt8] {
        locked { substreams[Self.devicePath(card: card, device: device, capture: false)]?.played ?? [] }
    }

    /// Makes the capture substream hear `signal` from now on (until the device is added again):
    /// `.sine(frequency: 1_000, amplitude: 0.5)` for a tone an app's capture test can measure.
    public func setCaptureSignal(_ signal: CaptureSignal, card: Int = 0, device: Int = 0) {
        locked { substreams[Self.devicePath(card: card, device: device, capture: true)]?.captureSignal = signal }
    }

    /// What the device side of a capture substream produced since it was opened.
    public func captureObservation(card: Int = 0, device: Int = 0) -> DeviceObservation {
        locked { substreams[Self.devicePath(card: card, device: device, capture: true)]?.observation ?? DeviceObservation() }
    }

    // MARK: the seam

    public func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor {
        try locked { () throws(Errno) -> FileDescriptor in
            var record = SimulatedCallRecord(call: .open)
            try checkFault(&record, .open, nil)
            if let card = controlCard(path) {
                guard cardIsPlugged(card) else { return try fail(&record, .noSuchFileOrDirectory) }
                let fd = nextDescriptor
                nextDescriptor += 1
                controls[fd] = card
                records.append(record)
                return FileDescriptor(rawValue: fd)
            }
            if let file = try openMIDI(path, flags: flags, fd: nextDescriptor, &record) {
                midiFiles[nextDescriptor] = file
                nextDescriptor += 1
                records.append(record)
                return FileDescriptor(rawValue: nextDescriptor - 1)
            }
            guard let s = substreams[path], !s.removed else { return try fail(&record, .noSuchFileOrDirectory) }
            guard !s.isOpen else { return try fail(&record, .resourceBusy) }
            s.open(nonBlocking: flags & O_NONBLOCK != 0)
            let fd = nextDescriptor
            nextDescriptor += 1
            files[fd] = s
            records.append(record)
            return FileDescriptor(rawValue: fd)
        }
    }

    public func close(_ fd: FileDescriptor) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .close)
            if deviceWatches.removeValue(forKey: fd.rawValue) != nil || timers.removeValue(forKey: fd.rawValue) != nil {
                records.append(record)
                return
            }
            if let file = midiFiles.removeValue(forKey: fd.rawValue) {
                closeMIDI(file)
                try checkFault(&record, .close, nil)
                records.append(record)
                return
            }
            if let card = controls.removeValue(forKey: fd.rawValue) {
                mixers[card]?.unsubscribe(fd.rawValue)
                disconnectedControls.remove(fd.rawValue)
                try checkFault(&record, .close, nil)
                records.append(record)
                return
            }
            guard let s = files.removeValue(forKey: fd.rawValue) else { return try fail(&record, .badFileDescriptor) }
            // Linux releases the descriptor even when close reports an error. Mappings stay valid.
            s.close()
            try checkFault(&record, .close, nil)
            records.append(record)
        }
    }

    public func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .setNonBlocking)
            try checkFault(&record, .setNonBlocking, nil)
            guard let s = files[fd.rawValue] else { return try fail(&record, .badFileDescriptor) }
            s.nonBlocking = nonBlocking
            records.append(record)
        }
    }

    public func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try locked { () throws(Errno) -> Int32 in
            var record = SimulatedCallRecord(call: .ioctl, request: request,
                                             requestName: RequestNames.table[request] ?? "0x\(String(request, radix: 16))")
            record.descriptor = fd.rawValue
            if request == ALSA_IOCTL_SYNC_PTR, let argument {
                let sync = argument.assumingMemoryBound(to: snd_pcm_sync_ptr.self).pointee
                record.syncPtrFlags = sync.flags
                if sync.flags & ALSA_SYNC_PTR_APPL == 0 { record.applPtr = sync.c.control.appl_ptr }
            }
            if request == ALSA_IOCTL_HW_PARAMS, let argument {
                record.hardwareParameterFlags = argument.assumingMemoryBound(to: snd_pcm_hw_params.self).pointee.flags
            }
            try checkFault(&record, .ioctl, request)
            if let file = midiFiles[fd.rawValue] {
                do throws(Errno) {
                    let result = try midiIoctl(file, request, argument)
                    records.append(record)
                    return result
                } catch {
                    return try fail(&record, error)
                }
            }
            if let card = controls[fd.rawValue] {
                if disconnectedControls.contains(fd.rawValue) { return try fail(&record, .noDevice) }
                let device = ControlDevice(card: card, identity: cardIdentities[card] ?? SimulatedCardIdentity(id: "Sim\(card)"), substreams: plugged(card),
                                           midiDevices: pluggedMIDI(card), mixer: mixer(card), fd: fd.rawValue)
                do throws(Errno) {
                    let result = try device.ioctl(request, argument)
                    records.append(record)
                    return result
                } catch {
                    return try fail(&record, error)
                }
            }
            guard let s = files[fd.rawValue] else { return try fail(&record, .badFileDescriptor) }
            if framesPerCall > 0 && !isStalled { passTime(frames: framesPerCall, rate: s.setup?.sampleRate ?? 48_000) }
            let result: Int32
            do throws(Errno) {
                result = try PCMCore(kernel: self, s: s).ioctl(request, argument)
            } catch {
                return try fail(&record, error)
            }
            records.append(record)
            return result
        }
    }

    public func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try locked { () throws(Errno) -> UnsafeMutableRawPointer in
            var record = SimulatedCallRecord(call: .mmap, mmapOffset: offset)
            try checkFault(&record, .mmap, nil)
            guard let s = files[fd.rawValue] else { return try fail(&record, .badFileDescriptor) }
            // mmap(2) itself: a length and a page-aligned offset.
            guard length > 0, offset >= 0, offset % SharedMemory.pageSize == 0 else { return try fail(&record, .invalidArgument) }
            if s.disconnected { return try fail(&record, .noDevice) }
            do throws(Errno) {
                let (memory, address, data) = try map(s, length: length, protection: protection, offset: offset)
                if var region = regions[address] {
                    region.users += 1
                    regions[address] = region
                } else {
                    regions[address] = Region(memory: memory, substream: s, generation: s.generation, data: data, users: 1)
                }
                if data { s.dataMappings += 1 }
                records.append(record)
                return address
            } catch {
                return try fail(&record, error)
            }
        }
    }

    /// snd_pcm_mmap: the records where the kernel allows them (x86 only), else the data buffer.
    private func map(_ s: Substream, length: Int, protection: Int32, offset: Int) throws(Errno)
        -> (SharedMemory, UnsafeMutableRawPointer, Bool) {
        let x86 = s.hardware.architecture == .x86
        let info = s.hardware.info
        switch offset {
        case ALSA_MMAP_OFFSET_STATUS_NEW, ALSA_MMAP_OFFSET_STATUS_OLD:
            // pcm_status_mmap_allowed(); on 64-bit the OLD offset falls through to NEW.
            let refused = !x86 || info & ALSA_INFO_EXPLICIT_SYNC != 0
                || (s.userProtocol < alsa_protocol_version(2, 0, 14) && info & ALSA_INFO_SYNC_APPLPTR != 0)
            if refused { throw .noSuchAddressOrDevice }
            // The status page is the kernel's: readable, never writable by user space.
            guard protection & PROT_READ != 0, protection & PROT_WRITE == 0, length == SharedMemory.pageSize else {
                throw .invalidArgument
            }
            return (s.statusMemory, s.statusMemory.base, false)
        case ALSA_MMAP_OFFSET_CONTROL_NEW, ALSA_MMAP_OFFSET_CONTROL_OLD:
            // pcm_control_mmap_allowed()
            if !x86 || info & (ALSA_INFO_EXPLICIT_SYNC | ALSA_INFO_SYNC_APPLPTR) != 0 { throw .noSuchAddressOrDevice }
            guard protection & PROT_READ != 0, length == SharedMemory.pageSize else { throw .invalidArgument }
            return (s.controlMemory, s.controlMemory.base, false)
        default:
            // snd_pcm_mmap_data
            let readable = s.capture ? protection & PROT_READ != 0 : protection & (PROT_READ | PROT_WRITE) != 0
            guard readable else { throw .invalidArgument }
            guard s.state != State.open, let setup = s.setup, let dma = s.dma else { throw .badFileDescriptorState }
            guard info & ALSA_INFO_MMAP != 0 else { throw .noSuchAddressOrDevice }
            guard setup.access <= 2, length <= dma.length, offset <= dma.length - length else { throw .invalidArgument }
            return (dma, dma.base + offset, true)
        }
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .munmap)
            try checkFault(&record, .munmap, nil)
            guard var region = regions[address] else { return try fail(&record, .invalidArgument) }
            region.users -= 1
            regions[address] = region.users > 0 ? region : nil
            if region.data && region.substream.isOpen && region.substream.generation == region.generation {
                region.substream.dataMappings -= 1
            }
            records.append(record)
        }
    }

    /// poll(2) over simulated PCM descriptors and timers and, like the real system call, over any
    /// host descriptor in the same set (an eventfd or pipe that wakes a poller thread).
    ///
    /// While a simulated stream that could wake the caller is running, or a timer in the set is
    /// armed, time passes (virtual time; host descriptors are checked at each step) until something
    /// is ready or the timeout passes: a period at a time, or straight to the timer's deadline when
    /// that comes first. When nothing simulated can wake the caller, the call blocks in the host's
    /// poll on the host descriptors, without holding the kernel's lock; with none, it reports a
    /// timeout rather than hang.
    public func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        let timeoutMilliseconds = timeout.pollMilliseconds
        let outcome = try locked { () throws(Errno) -> Int32? in
            var record = SimulatedCallRecord(call: .poll)
            try checkFault(&record, .poll, nil)
            records.append(record)
            // A wait without a limit ends after an hour of virtual time.
            let end = clock.nanoseconds + (timeoutMilliseconds < 0 ? SimulatedClock.hour : UInt64(timeoutMilliseconds) * 1_000_000)
            while true {
                var ready: Int32 = 0
                for i in 0..<count {
                    let fd = descriptors[i].fd
                    guard fd >= 0 else {
                        descriptors[i].revents = 0
                        continue
                    }
                    if let s = files[fd] {
                        let always = POLLERR | POLLHUP | POLLNVAL
                        descriptors[i].revents = Int16(truncatingIfNeeded: events(of: s) & (Int32(descriptors[i].events) | always))
                    } else if let file = midiFiles[fd] {
                        descriptors[i].revents = midiEvents(file) & (descriptors[i].events | Int16(POLLERR | POLLHUP | POLLNVAL))
                    } else if let watch = deviceWatches[fd] {
                        descriptors[i].revents = watch.hasEvents ? Int16(POLLIN) & descriptors[i].events : 0
                    } else if controls[fd] != nil {
                        descriptors[i].revents = controlEvents(fd) & (descriptors[i].events | Int16(POLLERR | POLLNVAL))
                    } else if let deadline = timers[fd] {
                        descriptors[i].revents = timerHasExpired(deadline) ? Int16(POLLIN) & descriptors[i].events : 0
                    } else {
                        descriptors[i].revents = Self.hostEvents(descriptors[i])
                    }
                    if descriptors[i].revents != 0 { ready += 1 }
                }
                if ready > 0 || timeoutMilliseconds == 0 { return ready }
                // A sequencer queue with an event due: the caller sleeps until then (virtual time).
                if !isStalled, advanceSequencer(waitingOn: (0..<count).map { descriptors[$0].fd }, until: end) {
                    continue
                }
                guard !isStalled else { return nil }
                if clock.nanoseconds >= end { return 0 }
                let clocks = (0..<count).compactMap { files[descriptors[$0].fd] }.filter { $0.isRunning && !$0.disconnected }
                let due = (0..<count).compactMap { timers[descriptors[$0].fd].flatMap { $0 } }.min().map { $0 + timerLatency }
                if let pacing = clocks.first, let setup = pacing.setup {
                    // To the next period interrupt of the first running stream, the timer or the timeout.
                    let rate = setup.sampleRate
                    var step = min(pacing.referenceFramesToInterrupt(referenceRate: rate), clock.frames(until: end, rate: rate))
                    if let due { step = min(step, max(clock.frames(until: due, rate: rate), 1)) }
                    passTime(frames: step, rate: rate)
                } else if let due {
                    passTime(until: min(due, end))
                } else {
                    return nil
                }
            }
        }
        if let outcome { return outcome }
        return try pollHostDescriptors(descriptors, count: count, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The readiness of a host descriptor now (a zero-timeout poll of that one descriptor).
    private static func hostEvents(_ descriptor: pollfd) -> Int16 {
        var probe = pollfd(fd: descriptor.fd, events: descriptor.events, revents: 0)
        return Glibc.poll(&probe, 1, 0) > 0 ? probe.revents : 0
    }

    /// Nothing simulated can become ready: sleep in the host's poll on the host descriptors only
    /// (simulated ones are masked out by negating them, which poll(2) ignores), lock released.
    private func pollHostDescriptors(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int,
                                     timeoutMilliseconds: Int32) throws(Errno) -> Int32 {
        let simulated = locked {
            (0..<count).map { i in
                let fd = descriptors[i].fd
                return fd >= 0 && (files[fd] != nil || controls[fd] != nil || deviceWatches[fd] != nil || midiFiles[fd] != nil
                                   || timers[fd] != nil)
            }
        }
        // Control, inotify and MIDI files are woken by other threads (a change, a node, bytes or
        // events arriving): their wake-up pipe joins the host's poll.
        let watchesControls = locked {
            (0..<count).contains {
                let fd = descriptors[$0].fd
                return controls[fd] != nil || deviceWatches[fd] != nil || midiFiles[fd] != nil
            }
        }
        guard simulated.contains(false) || watchesControls else {
            // Only simulated descriptors, none of which can wake: a stalled machine sleeps out the
            // timeout in real time, as the kernel would (a second at most for "forever", so a test
            // that waits without limit fails instead of hanging); otherwise report the timeout now.
            if locked({ isStalled }) && timeoutMilliseconds != 0 {
                usleep(useconds_t(timeoutMilliseconds < 0 ? 1_000_000 : Int(timeoutMilliseconds) * 1000))
            }
            return 0
        }
        var hostSet = (0..<count).map { i in
            pollfd(fd: simulated[i] || descriptors[i].fd < 0 ? -1 : descriptors[i].fd, events: descriptors[i].events, revents: 0)
        }
        if watchesControls { hostSet.append(pollfd(fd: controlWakeup.readEnd, events: Int16(POLLIN), revents: 0)) }
        let unbounded = timeoutMilliseconds < 0
        if unbounded { locked { hostSleepers += 1 } }
        let result = Glibc.poll(&hostSet, nfds_t(hostSet.count), timeoutMilliseconds)
        let failure = result < 0 ? Glibc.errno : 0
        if unbounded { locked { hostSleepers -= 1 } }
        if result < 0 { throw Errno(rawValue: failure) }
        if watchesControls && hostSet[count].revents != 0 {
            // A control event arrived: look at every descriptor again, without sleeping.
            controlWakeup.drain()
            return try poll(descriptors, count: count, timeout: .zero)
        }
        for i in 0..<count { descriptors[i].revents = hostSet[i].revents }
        return result
    }

    /// snd_pcm_poll (and snd_disconnect_poll once the card is gone). It reads the kernel's hw_ptr
    /// as the last interrupt left it, without a pointer update.
    private func events(of s: Substream) -> Int32 {
        if s.disconnected { return POLLERR | POLLNVAL }
        let ok = s.capture ? POLLIN | POLLRDNORM : POLLOUT | POLLWRNORM
        switch s.state {
        case State.running, State.prepared, State.paused:
            return s.avail >= Int(s.availMin) ? ok : 0
        case State.draining:
            guard s.capture else { return 0 }
            return s.avail > 0 ? ok : ok | POLLERR
        default:
            return ok | POLLERR
        }
    }

    // MARK: plumbing

    /// The card of a control device path, if `path` is one.
    private func controlCard(_ path: String) -> Int? {
        let prefix = "/dev/snd/controlC"
        guard path.hasPrefix(prefix) else { return nil }
        return Int(path.dropFirst(prefix.count))
    }

    /// The card's substreams that are plugged in.
    private func plugged(_ card: Int) -> [Substream] {
        substreams.values.filter { $0.card == card && !$0.removed }
    }

    /// Whether the card has any device plugged in (PCM or raw MIDI), and so a control device.
    func cardIsPlugged(_ card: Int) -> Bool {
        !plugged(card).isEmpty || !pluggedMIDI(card).isEmpty
    }

    /// Every open file's substream (each substream is open at most once), in the order opened, so
    /// that time passes for them in the same order in every run.
    private var openSubstreams: [Substream] { files.sorted { $0.key < $1.key }.map(\.value) }

    /// The substream open on descriptor `fd`, for LINK. Lock held.
    func substream(onDescriptor fd: Int32) -> Substream? { files[fd] }

    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func checkFault(_ record: inout SimulatedCallRecord, _ call: SimulatedCall, _ request: UInt?) throws(Errno) {
        guard let errno = faults.take(call, request: request) else { return }
        try fail(&record, errno)
    }

    func fail<T>(_ record: inout SimulatedCallRecord, _ errno: Errno) throws(Errno) -> T {
        record.errno = errno
        records.append(record)
        throw errno
    }

    func fail(_ record: inout SimulatedCallRecord, _ errno: Errno) throws(Errno) {
        record.errno = errno
        records.append(record)
        throw errno
    }

    /// Runs the clock to the next period interrupt of `s`: a caller sleeping in the kernel. Called
    /// from inside an ioctl, with the lock already held.
    func sleepOnePeriod(_ s: Substream) {
        guard let rate = s.setup?.sampleRate else { return }
        passTime(frames: s.referenceFramesToInterrupt(referenceRate: rate), rate: rate)
    }

    /// `frames` frames at `rate` pass: the clock moves, and every open substream's DMA engine with
    /// it, by its own clock. Steps end at the next period interrupt of any running substream and at
    /// the next sequencer event due, so that each interrupt is stamped, and each event sent out, at
    /// its own time. Lock held.
    func passTime(frames: Int, rate: Int) {
        let open = openSubstreams
        for s in open { s.clockRatio = clockRatio(of: s) }
        var remaining = frames
        while remaining > 0 {
            var step = remaining
            for s in open where s.isRunning { step = min(step, s.referenceFramesToInterrupt(referenceRate: rate)) }
            if let due = sequencer.nextDueTime { step = min(step, max(clock.frames(until: due, rate: rate), 1)) }
            clock.advance(frames: step, rate: rate)
            for s in open { s.run(frames: s.framesDue(after: step, referenceRate: rate)) }
            sequencer.dispatchDue()
            remaining -= step
        }
    }

    /// Time passes up to `instant` (a sleeper on a timer): every running DMA engine moves as far as
    /// that takes, sequencer events due on the way go out at their times, and the clock reaches
    /// `instant` even when nothing runs. Lock held.
    func passTime(until instant: UInt64) {
        if let reference = referenceSetup {
            passTime(frames: clock.frames(until: instant, rate: reference.sampleRate), rate: reference.sampleRate)
        } else {
            while let due = sequencer.nextDueTime, due > clock.nanoseconds, due < instant {
                clock.advance(to: due)
                sequencer.dispatchDue()
            }
        }
        clock.advance(to: instant)
        sequencer.dispatchDue()
    }

    /// How fast `s`'s device runs against the machine's clock: its crystal, and for a loopback
    /// card the "PCM Rate Shift 100000" control of its cable, which snd-aloop reads for both ends
    /// (the control of the capture side's device: a playback substream's cable ends at device ^ 1).
    private func clockRatio(of s: Substream) -> ClockRatio {
        var shift = 100_000
        if s.hardware.isLoopback, let mixer = mixers[s.card],
           let control = mixer.element(where: { $0.name == SimulatedKernel.rateShiftControlName && $0.interface == .pcm
                                                 && $0.device == (s.capture ? s.device : s.device ^ 1) && $0.subdevice == 0 }) {
            shift = control.values.first ?? 100_000
        }
        return ClockRatio(ppm: s.hardware.clockDeviation, rateShift: shift)
    }
}
