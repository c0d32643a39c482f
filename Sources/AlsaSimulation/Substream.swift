import CAlsaKernel
import Glibc

/// Zeroed, page-aligned memory. Mappings hold a reference, so memory a process still has mapped
/// stays valid after the file that produced it was closed or reconfigured, as pages do on Linux.
final class SharedMemory {
    static let pageSize = 4096

    let base: UnsafeMutableRawPointer
    let length: Int

    init(bytes: Int) {
        length = max(Self.pageSize, (bytes + Self.pageSize - 1) / Self.pageSize * Self.pageSize)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, Self.pageSize, length) == 0, let raw else { fatalError("out of memory") }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        base = raw
    }

    deinit { free(base) }
}

/// One PCM substream of the simulated kernel: the device node, the runtime of the file that has
/// it open (state, records, buffer, parameters), and its device side (the DMA engine, and for
/// non-coherent hardware a separate device copy of the buffer).
final class Substream {
    let card: Int
    let device: Int
    let capture: Bool
    let hardware: SimulatedHardware

    /// The node was unplugged: it no longer exists for open().
    var removed = false

    // The open file.
    var isOpen = false
    /// Bumped at every open, so mappings of an earlier runtime are told apart from this one's.
    var generation = 0
    var nonBlocking = false
    var userProtocol: UInt32 = 0
    var disconnected = false
    var timestampType: Int32 = 0

    // runtime->status and runtime->control: a page each, fresh for every open, as the kernel
    // allocates them with the runtime.
    private(set) var statusMemory = SharedMemory(bytes: SharedMemory.pageSize)
    private(set) var controlMemory = SharedMemory(bytes: SharedMemory.pageSize)
    var status: UnsafeMutablePointer<snd_pcm_mmap_status> { statusMemory.base.assumingMemoryBound(to: snd_pcm_mmap_status.self) }
    var control: UnsafeMutablePointer<snd_pcm_mmap_control> { controlMemory.base.assumingMemoryBound(to: snd_pcm_mmap_control.self) }

    /// The configuration, once HW_PARAMS succeeded.
    struct Setup {
        var access: Int32
        var format: Int32
        var channelCount: Int
        var sampleRate: Int
        var periodSize: Int
        var bufferSize: Int
        var frameBytes: Int
        var sampleBytes: Int

        var interleavedLayout: Bool { access != 1 && access != 4 }
        var dmaBytes: Int { bufferSize * frameBytes }
    }
    var setup: Setup?
    var boundary: UInt = 0
    var startThreshold: UInt = 1
    var stopThreshold: UInt = 0
    var availMax: UInt = 0

    /// The DMA buffer: what the data mmap maps and what read/write copy to and from.
    var dma: SharedMemory?
    /// The device's own view when the hardware is not coherent (EXPLICIT_SYNC); nil otherwise.
    var deviceCopy: SharedMemory?
    /// Playback on non-coherent hardware: each committed frame as it was at its commit; nil otherwise.
    var commitCopy: SharedMemory?
    /// Live data mappings of this runtime (the kernel's mmap_count).
    var dataMappings = 0

    /// appl_ptr as of the last .ack: capture, the end of the frames checked for being handed to the
    /// CPU unsynced; playback, the end of the committed frames.
    var ackedApplPtr: UInt = 0

    /// Where the DMA engine is (mod boundary). The kernel's hw_ptr only catches up with it at
    /// period interrupts and explicit pointer updates.
    var dmaPosition: UInt = 0
    var framesIntoPeriod = 0
    /// Capture frames produced since the last START: the signal's frame number.
    var captureFrame: UInt64 = 0
    /// The machine's clock, which timestamps read.
    let clock: SimulatedClock
    /// How fast this device's clock runs against the machine's (set by the kernel before time
    /// passes: the hardware's crystal, a loopback card's rate shift).
    var clockRatio = ClockRatio.exact
    /// What the time passed so far leaves below a frame of this device, in units of
    /// 1 / (reference rate × `clockRatio.denominator`) frame.
    private var clockPhase: Int128 = 0
    /// The reference rate `clockPhase` is counted in.
    private var clockPhaseRate = 0
    /// runtime->no_period_wakeup: the stream asked for no period interrupts (HW_PARAMS flag
    /// NO_PERIOD_WAKEUP) and the device offers that (INFO_NO_PERIOD_WAKEUP). The DMA engine then
    /// moves on without ever updating hw_ptr or waking a poller; only the app's own pointer
    /// updates (HWSYNC, STATUS, transfers) do.
    var noPeriodWakeup = false
    /// runtime->trigger_tstamp: when the stream last started, stopped or paused.
    var triggerTimestamp = Glibc.timespec()
    /// The DMA position at the last start, for link timestamps (which count from the start).
    var dmaPositionAtTrigger: UInt = 0
    /// The channel map user space chose through a writable channel map control, for this runtime.
    var channelMapChoice: [Int]?
    /// runtime->audio_tstamp_config.type_requested, from the last STATUS_EXT.
    var audioTimestampRequest: UInt32 = 0
    var observation = DeviceObservation()
    /// Playback: every byte the device played since the open, when the kernel records (`recordPlayback`).
    var played: [UInt8]?
    /// Capture: what the device hears.
    var captureSignal = CaptureSignal.pattern
    /// RESUME attempts refused since the last suspend, for `ResumeBehaviour.busy`.
    var resumeAttempts = 0
    /// The link group (snd_pcm_group) when LINK put this substream in one; nil: its own group.
    var linkGroup: LinkGroup?

    /// The substreams the PCM core's group actions (START, DROP, PREPARE, an xrun...) act on:
    /// the link group, or this substream alone.
    var group: [Substream] { linkGroup?.members ?? [self] }

    init(card: Int, device: Int, capture: Bool, hardware: SimulatedHardware, clock: SimulatedClock) {
        self.card = card
        self.device = device
        self.capture = capture
        self.hardware = hardware
        self.clock = clock
    }

    var explicitSync: Bool { hardware.info & ALSA_INFO_EXPLICIT_SYNC != 0 }

    var state: Int32 {
        get { status.pointee.state }
        set { status.pointee.state = newValue }
    }
    var hwPtr: UInt {
        get { status.pointee.hw_ptr }
        set { status.pointee.hw_ptr = newValue }
    }
    var applPtr: UInt {
        get { control.pointee.appl_ptr }
        set { control.pointee.appl_ptr = newValue }
    }
    var availMin: UInt {
        get { control.pointee.avail_min }
        set { control.pointee.avail_min = newValue }
    }

    /// snd_pcm_running: the DMA engine is moving.
    var isRunning: Bool { state == State.running || (state == State.draining && !capture) }

    /// A new runtime for a new open file.
    func open(nonBlocking: Bool) {
        isOpen = true
        generation += 1
        self.nonBlocking = nonBlocking
        userProtocol = 0
        disconnected = false
        timestampType = 0
        statusMemory = SharedMemory(bytes: SharedMemory.pageSize)
        controlMemory = SharedMemory(bytes: SharedMemory.pageSize)
        state = State.open
        availMin = 1
        setup = nil
        boundary = 0
        startThreshold = 1
        stopThreshold = 0
        availMax = 0
        releaseBuffers()
        resetPointers()
        captureFrame = 0
        noPeriodWakeup = false
        triggerTimestamp = Glibc.timespec()
        dmaPositionAtTrigger = 0
        audioTimestampRequest = 0
        channelMapChoice = nil
        observation = DeviceObservation()
        resumeAttempts = 0
    }

    func close() {
        unlink()
        isOpen = false
        disconnected = false
        setup = nil
        releaseBuffers()
    }

    /// Drops this runtime's references; live mappings keep their own.
    func releaseBuffers() {
        dma = nil
        deviceCopy = nil
        commitCopy = nil
        dataMappings = 0
    }

    func allocateBuffers(bytes: Int) {
        dma = SharedMemory(bytes: bytes)
        deviceCopy = explicitSync ? SharedMemory(bytes: bytes) : nil
        commitCopy = explicitSync && !capture ? SharedMemory(bytes: bytes) : nil
    }

    // MARK: coherency

    /// SNDRV_DMA_SYNC_DEVICE: a flush, so the device sees what the CPU wrote. Counted in either
    /// direction, as the test card counts the core's calls; a no-op on a capture buffer
    /// (DMA_FROM_DEVICE), as in the kernel. Frames due before the flush were played from the old copy.
    /// Before it flushes, the device checks that no committed frame changed since its commit.
    func syncForDevice() {
        guard let deviceCopy, let dma else { return }
        observation.deviceSyncs += 1
        guard !capture else { return }
        countLateFrames()
        deviceCopy.base.copyMemory(from: dma.base, byteCount: dma.length)
    }

    /// SNDRV_DMA_SYNC_CPU: an invalidate, so the CPU sees what the device wrote. Counted in either
    /// direction; a no-op on a playback buffer (DMA_TO_DEVICE).
    func syncForCPU() {
        guard let deviceCopy, let dma else { return }
        observation.cpuSyncs += 1
        guard capture else { return }
        dma.base.copyMemory(from: deviceCopy.base, byteCount: dma.length)
    }

    /// appl_ptr moved (the driver's .ack): for capture on a non-coherent device, user space just
    /// declared the frames up to it consumed; count those whose CPU view is not what the device
    /// captured. A jump of more than a buffer (a rewind) only resynchronises. For playback, the
    /// frames it passed are committed now (`noteCommit`).
    func applPtrMoved() {
        defer { ackedApplPtr = applPtr }
        guard capture else { return noteCommit() }
        guard let setup, let deviceCopy, let dma else { return }
        let count = Int(wrap(Int(applPtr) - Int(ackedApplPtr)))
        guard count <= setup.bufferSize else { return }
        for f in 0..<count {
            let position = Int((ackedApplPtr + UInt(f)) % UInt(setup.bufferSize))
            for b in 0..<setup.frameBytes {
                let offset = byteOffset(position: position, byte: b, setup)
                if dma.base.load(fromByteOffset: offset, as: UInt8.self) != deviceCopy.base.load(fromByteOffset: offset, as: UInt8.self) {
                    observation.poisonedFrames += 1
                    break
                }
            }
        }
    }

    /// Playback on a non-coherent device, appl_ptr moved: copies the frames it passed as they are
    /// at their commit. A move back (a rewind: at most a buffer, far less than half the boundary)
    /// takes the frames past the new appl_ptr out of the committed set, which is
    /// [dmaPosition, ackedApplPtr): moving its end is all it takes.
    private func noteCommit() {
        guard let setup, let commitCopy, let dma else { return }
        let moved = wrap(Int(applPtr) - Int(ackedApplPtr))
        guard moved <= boundary / 2 else { return }
        let frames = min(Int(moved), setup.bufferSize)
        for f in 0..<frames {
            let position = Int(wrap(Int(applPtr) - frames + f) % UInt(setup.bufferSize))
            for b in 0..<setup.frameBytes {
                let offset = byteOffset(position: position, byte: b, setup)
                commitCopy.base.storeBytes(of: dma.base.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
            }
        }
    }

    /// Playback on a non-coherent device, a device sync, before its flush: counts the frames
    /// committed and not yet played whose CPU view is no longer the copy made at their commit
    /// (written after their commit). Each change counts once: the copy takes the new data.
    private func countLateFrames() {
        guard let setup, let commitCopy, let dma else { return }
        let queued = Int(wrap(Int(ackedApplPtr) - Int(dmaPosition)))
        guard queued <= setup.bufferSize else { return }  // the device ran past appl_ptr: nothing is committed
        // Most syncs find nothing changed: the queued bytes compared at once first (a client that
        // commits in small pieces syncs often, with a deep buffer queued), frame by frame only if
        // they differ.
        if setup.interleavedLayout {
            let start = Int(dmaPosition % UInt(setup.bufferSize))
            let first = min(queued, setup.bufferSize - start)
            if memcmp(dma.base + start * setup.frameBytes, commitCopy.base + start * setup.frameBytes, first * setup.frameBytes) == 0
                && memcmp(dma.base, commitCopy.base, (queued - first) * setup.frameBytes) == 0 {
                return
            }
        }
        for f in 0..<queued {
            let position = Int((dmaPosition + UInt(f)) % UInt(setup.bufferSize))
            var changed = false
            for b in 0..<setup.frameBytes {
                let offset = byteOffset(position: position, byte: b, setup)
                let cpu = dma.base.load(fromByteOffset: offset, as: UInt8.self)
                if cpu != commitCopy.base.load(fromByteOffset: offset, as: UInt8.self) {
                    changed = true
                    commitCopy.base.storeBytes(of: cpu, toByteOffset: offset, as: UInt8.self)
                }
            }
            if changed { observation.lateFrames += 1 }
        }
    }

    // MARK: pointers

    func wrap(_ value: Int) -> UInt {
        let b = Int(boundary)
        guard b > 0 else { return 0 }
        var v = value % b
        if v < 0 { v += b }
        return UInt(v)
    }

    /// snd_pcm_avail: frames user space can transfer, from the kernel's hw_ptr.
    var avail: Int {
        guard let setup else { return 0 }
        let hw = Int(hwPtr), appl = Int(applPtr)
        if capture { return Int(wrap(hw - appl)) }
        return Int(wrap(hw + setup.bufferSize - appl))
    }

    /// snd_pcm_hw_avail: frames queued for (playback) or not yet produced by (capture) the device.
    var hwAvail: Int { (setup?.bufferSize ?? 0) - avail }

    /// snd_pcm_update_hw_ptr: the kernel's hw_ptr catches up with the DMA engine, then the state
    /// is checked for an xrun or the end of a drain.
    /// As the kernel's update_audio_tstamp: the audio timestamp is the hardware position as time
    /// (frames moved / rate), and `tstamp` is renewed only when that position moved.
    func updateHardwarePointer() {
        guard let setup, isRunning else { return }
        hwPtr = dmaPosition
        let audio = Self.clockTime(nanoseconds: UInt64(hwPtr) * 1_000_000_000 / UInt64(max(setup.sampleRate, 1)))
        if audio.tv_sec != status.pointee.audio_tstamp.tv_sec || audio.tv_nsec != status.pointee.audio_tstamp.tv_nsec {
            status.pointee.audio_tstamp = audio
            status.pointee.tstamp = now
        }
        updateState()
    }

    /// The machine's clock now.
    var now: timespec { clock.now }

    static func clockTime(nanoseconds: UInt64) -> Glibc.timespec { SimulatedClock.time(nanoseconds) }

    /// snd_pcm_trigger_tstamp: at start, stop, pause and release, xrun.
    func trigger() {
        triggerTimestamp = now
        dmaPositionAtTrigger = dmaPosition
    }

    /// snd_pcm_update_state.
    func updateState() {
        guard let setup else { return }
        let avail = UInt(max(self.avail, 0))
        availMax = max(availMax, avail)
        if state == State.draining {
            if avail >= UInt(setup.bufferSize) { state = State.setup }
        } else if state == State.running && avail >= stopThreshold {
            stopGroupForXrun()
        }
    }

    /// snd_pcm_stop(substream, XRUN) (__snd_pcm_xrun): the whole group stops in XRUN with one
    /// trigger timestamp. A member counts the xrun only when its own buffer ran out, as the test
    /// card counts at its STOP trigger.
    func stopGroupForXrun() {
        for member in group where member.state != State.open && member.state != State.disconnected {
            if member.isRunning && member.setup != nil && UInt(max(member.avail, 0)) >= member.stopThreshold {
                member.observation.xruns += 1
            }
            member.state = State.xrun
            member.trigger()
        }
    }

    /// An xrun its driver reports (the XRUN ioctl, snd_pcm_stop_xrun): the group stops. Counted on
    /// this device side even when its buffer did not run out: it was told it had.
    func forceXrun() {
        if UInt(max(avail, 0)) < stopThreshold { observation.xruns += 1 }
        stopGroupForXrun()
    }

    /// UNLINK, or a close: leaves the group; a group left with one member dissolves.
    func unlink() {
        guard let linkGroup else { return }
        linkGroup.members.removeAll { $0 === self }
        self.linkGroup = nil
        if linkGroup.members.count == 1 {
            linkGroup.members[0].linkGroup = nil
            linkGroup.members.removeAll()
        }
    }

    /// Where byte `byte` of the frame at ring position `position` lives in the buffer.
    func byteOffset(position: Int, byte: Int, _ setup: Setup) -> Int {
        if setup.interleavedLayout { return position * setup.frameBytes + byte }
        let channel = byte / setup.sampleBytes
        return (channel * setup.bufferSize + position) * setup.sampleBytes + byte % setup.sampleBytes
    }

    /// The device frames `referenceFrames` frames at `referenceRate` of the machine's time last on
    /// this device's clock (its rate and `clockRatio`), the fractions carried over.
    func framesDue(after referenceFrames: Int, referenceRate: Int) -> Int {
        guard let setup, referenceFrames > 0 else { return referenceFrames }
        if setup.sampleRate == referenceRate && clockRatio == .exact && clockPhase == 0 { return referenceFrames }
        rebasePhase(referenceRate)
        clockPhase += Int128(referenceFrames) * Int128(setup.sampleRate) * Int128(clockRatio.numerator)
        let unit = Int128(referenceRate) * Int128(clockRatio.denominator)
        let due = clockPhase / unit
        clockPhase -= due * unit
        return Int(due)
    }

    /// Reference frames until this device's next period interrupt (at least 1).
    func referenceFramesToInterrupt(referenceRate: Int) -> Int {
        guard let setup else { return .max }
        let frames = setup.periodSize - framesIntoPeriod
        if setup.sampleRate == referenceRate && clockRatio == .exact && clockPhase == 0 { return max(frames, 1) }
        rebasePhase(referenceRate)
        let perReference = Int128(setup.sampleRate) * Int128(clockRatio.numerator)
        let needed = Int128(frames) * Int128(referenceRate) * Int128(clockRatio.denominator) - clockPhase
        return max(Int((needed + perReference - 1) / perReference), 1)
    }

    private func rebasePhase(_ referenceRate: Int) {
        if clockPhaseRate != referenceRate {
            if clockPhaseRate > 0 { clockPhase = clockPhase * Int128(referenceRate) / Int128(clockPhaseRate) }
            clockPhaseRate = referenceRate
        }
    }

    /// The DMA engine moves `frames` frames, with a period interrupt at every period boundary
    /// (none when the stream turned them off), stamped with the machine's clock (which the kernel
    /// has already moved to the end of the step).
    func run(frames: Int) {
        guard let setup, let view = (deviceCopy ?? dma)?.base else { return }
        var remaining = frames
        while remaining > 0, isRunning {
            let step = min(remaining, setup.periodSize - framesIntoPeriod)
            for _ in 0..<step { moveOneFrame(setup, view) }
            remaining -= step
            framesIntoPeriod += step
            if framesIntoPeriod >= setup.periodSize {
                framesIntoPeriod = 0
                // The period interrupt (snd_pcm_period_elapsed), unless the stream turned them off.
                if !noPeriodWakeup {
                    observation.periodInterrupts += 1
                    updateHardwarePointer()
                }
            }
        }
    }

    private func moveOneFrame(_ setup: Setup, _ view: UnsafeMutableRawPointer) {
        let position = Int(dmaPosition % UInt(setup.bufferSize))
        // The CPU's view, when the device has a view of its own (a non-coherent buffer).
        let cpu = deviceCopy != nil ? dma?.base : nil
        if capture {
            // A sound is the same sample in every channel: its bits, computed once a frame.
            let bits = captureSignal.value(frame: captureFrame, sampleRate: setup.sampleRate)
                .map { CaptureSignal.sampleBits($0, format: setup.format) }
            for b in 0..<setup.frameBytes {
                let sample: UInt8 = switch captureSignal {
                case .pattern: SimulatedKernel.captureSample(frame: captureFrame, byte: b)
                case .bytes(let source): source(captureFrame, b)
                case .silence, .sine: UInt8(truncatingIfNeeded: (bits ?? 0) >> (8 * UInt64(b % setup.sampleBytes)))
                }
                let offset = byteOffset(position: position, byte: b, setup)
                view.storeBytes(of: sample, toByteOffset: offset, as: UInt8.self)
                // The CPU's cache lines for this memory are stale until its next CPU sync.
                cpu?.storeBytes(of: SimulatedKernel.poisonByte(b), toByteOffset: offset, as: UInt8.self)
                FrameChecksum.add(sample, into: &observation.checksum)
            }
            captureFrame += 1
            observation.frames += 1
        } else {
            let queued = wrap(Int(applPtr) - Int(dmaPosition))
            if queued > 0 && queued <= UInt(setup.bufferSize) {
                observation.maximumQueuedFrames = max(observation.maximumQueuedFrames, Int(queued))
                var stale = false
                for b in 0..<setup.frameBytes {
                    let offset = byteOffset(position: position, byte: b, setup)
                    let byte = view.load(fromByteOffset: offset, as: UInt8.self)
                    if let cpu, cpu.load(fromByteOffset: offset, as: UInt8.self) != byte { stale = true }
                    FrameChecksum.add(byte, into: &observation.checksum)
                    played?.append(byte)
                }
                observation.frames += 1
                if stale { observation.staleFrames += 1 }
            } else {
                observation.underrunFrames += 1
            }
        }
        dmaPosition = wrap(Int(dmaPosition) + 1)
    }

    /// The pointers of a freshly prepared stream: both at 0, the DMA engine at the ring's start.
    func resetPointers() {
        dmaPosition = 0
        framesIntoPeriod = 0
        hwPtr = 0
        applPtr = 0
        ackedApplPtr = 0
    }
}

/// A link group (struct snd_pcm_group): substreams that start, stop and prepare together.
final class LinkGroup {
    var members: [Substream]
    init(members: [Substream]) { self.members = members }
}

/// SNDRV_PCM_STATE_* values.
enum State {
    static let open: Int32 = 0, setup: Int32 = 1, prepared: Int32 = 2, running: Int32 = 3, xrun: Int32 = 4,
               draining: Int32 = 5, paused: Int32 = 6, suspended: Int32 = 7, disconnected: Int32 = 8
}

extension Substream {
    /// snd_pcm_info(): what INFO on the PCM, and PCM_INFO on the control device, report. The one
    /// subdevice is available while no file holds it.
    func fillInfo(_ r: UnsafeMutablePointer<snd_pcm_info>) {
        r.pointee = snd_pcm_info()
        r.pointee.card = Int32(truncatingIfNeeded: card)
        r.pointee.device = UInt32(device)
        r.pointee.subdevice = 0
        r.pointee.stream = capture ? ALSA_STREAM_CAPTURE : ALSA_STREAM_PLAYBACK
        r.pointee.subdevices_count = 1
        r.pointee.subdevices_avail = isOpen ? 0 : 1
        withUnsafeMutableBytes(of: &r.pointee.id) { copyCString("Simulated", into: $0) }
        withUnsafeMutableBytes(of: &r.pointee.name) { copyCString(hardware.name, into: $0) }
        withUnsafeMutableBytes(of: &r.pointee.subname) { copyCString("subdevice #0", into: $0) }
    }
}

/// Copies `text` into a fixed C char array, always leaving a terminator.
func copyCString(_ text: String, into bytes: UnsafeMutableRawBufferPointer) {
    for (i, byte) in text.utf8.prefix(bytes.count - 1).enumerated() { bytes[i] = byte }
}
