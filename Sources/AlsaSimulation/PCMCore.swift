import CAlsaKernel
import Glibc
import SystemPackage

/// The ioctls of the PCM core (sound/core/pcm_native.c, pcm_lib.c) on one open substream.
/// Records are read and written through the raw argument pointer, as copy_from_user and
/// copy_to_user would; a failing ioctl leaves the caller's record as the kernel would.
struct PCMCore {
    let kernel: SimulatedKernel
    let s: Substream

    func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        // After an unplug the file's operations are replaced by ones that refuse everything.
        if s.disconnected { throw .noDevice }
        switch request {
        case ALSA_IOCTL_PVERSION: try argument.pointer(Int32.self).pointee = Int32(bitPattern: ALSA_PCM_VERSION)
        case ALSA_IOCTL_USER_PVERSION: s.userProtocol = UInt32(bitPattern: try argument.pointer(Int32.self).pointee)
        case ALSA_IOCTL_INFO: try info(argument.pointer(snd_pcm_info.self))
        case ALSA_IOCTL_TSTAMP: break  // kept for compatibility only; the kernel accepts and ignores it
        case ALSA_IOCTL_TTSTAMP:
            let type = try argument.pointer(Int32.self).pointee
            guard (0...ALSA_TSTAMP_TYPE_MONOTONIC_RAW).contains(type) else { throw .invalidArgument }
            s.timestampType = type
        case ALSA_IOCTL_HW_REFINE:
            let params = try argument.pointer(snd_pcm_hw_params.self)
            do throws(Interval.Empty) {
                try HardwareRefinement(hardware: s.hardware).refine(params)
            } catch {
                throw .invalidArgument
            }
        case ALSA_IOCTL_HW_PARAMS: try hwParams(argument.pointer(snd_pcm_hw_params.self))
        case ALSA_IOCTL_HW_FREE:
            guard [State.setup, State.prepared].contains(s.state), s.dataMappings == 0 else { throw .badFileDescriptorState }
            s.setup = nil
            s.releaseBuffers()
            s.state = State.open
        case ALSA_IOCTL_SW_PARAMS: try swParams(argument.pointer(snd_pcm_sw_params.self))
        case ALSA_IOCTL_SYNC_PTR: try syncPtr(argument.pointer(snd_pcm_sync_ptr.self))
        case ALSA_IOCTL_HWSYNC: try hwsync()
        case ALSA_IOCTL_DELAY:
            let delay = try argument.pointer(Int.self)
            try hwsync { delay.pointee = (s.capture ? s.avail : s.hwAvail) + s.hardware.extraDelayFrames }
        case ALSA_IOCTL_STATUS, ALSA_IOCTL_STATUS_EXT:
            try status(argument.pointer(snd_pcm_status.self), extended: request == ALSA_IOCTL_STATUS_EXT)
        case ALSA_IOCTL_CHANNEL_INFO: try channelInfo(argument.pointer(snd_pcm_channel_info.self))
        case ALSA_IOCTL_PREPARE: try prepare()
        case ALSA_IOCTL_RESET: try reset()
        case ALSA_IOCTL_START: try start()
        case ALSA_IOCTL_DROP: try drop()
        case ALSA_IOCTL_DRAIN: try drain()
        case ALSA_IOCTL_PAUSE: try pause(push: Int(bitPattern: argument) != 0)
        case ALSA_IOCTL_RESUME: try resume()
        case ALSA_IOCTL_XRUN:
            switch s.state {
            case State.xrun: break
            case State.running: xrun()
            default: throw .badFileDescriptorState
            }
        case ALSA_IOCTL_LINK: try link(Int32(truncatingIfNeeded: Int(bitPattern: argument)))
        case ALSA_IOCTL_UNLINK:
            guard s.linkGroup != nil else { throw .alreadyInProcess }
            s.unlink()
        case ALSA_IOCTL_FORWARD, ALSA_IOCTL_REWIND: try move(argument.pointer(UInt.self), forward: request == ALSA_IOCTL_FORWARD)
        case ALSA_IOCTL_WRITEI_FRAMES, ALSA_IOCTL_READI_FRAMES:
            // The kernel picks the direction from the stream, not from the request number.
            let x = try argument.pointer(snd_xferi.self)
            guard s.state != State.open else { throw .badFileDescriptorState }
            x.pointee.result = 0
            let frames = Int(x.pointee.frames)
            let buffer = x.pointee.buf
            do throws(Errno) {
                x.pointee.result = try transfer(frames: frames, interleaved: true, user: buffer.map { [$0] })
            } catch {
                x.pointee.result = -Int(error.rawValue)
                throw error
            }
        case ALSA_IOCTL_WRITEN_FRAMES, ALSA_IOCTL_READN_FRAMES:
            let x = try argument.pointer(snd_xfern.self)
            guard s.state != State.open, let setup = s.setup else { throw .badFileDescriptorState }
            x.pointee.result = 0
            guard let bufs = x.pointee.bufs else { throw .badAddress }
            let planes = (0..<setup.channelCount).map { bufs[$0] }
            do throws(Errno) {
                x.pointee.result = try transfer(frames: Int(x.pointee.frames), interleaved: false, user: planes)
            } catch {
                x.pointee.result = -Int(error.rawValue)
                throw error
            }
        default:
            throw .inappropriateIOCTLForDevice  // ENOTTY: not a PCM ioctl
        }
        return 0
    }

    // MARK: information

    private func info(_ r: UnsafeMutablePointer<snd_pcm_info>) {
        s.fillInfo(r)
    }

    private func channelInfo(_ r: UnsafeMutablePointer<snd_pcm_channel_info>) throws(Errno) {
        guard s.state != State.open, let setup = s.setup else { throw .badFileDescriptorState }
        let channel = r.pointee.channel
        guard channel < UInt32(setup.channelCount) else { throw .invalidArgument }
        r.pointee = snd_pcm_channel_info()
        r.pointee.channel = channel
        guard s.hardware.info & ALSA_INFO_MMAP != 0 else {
            r.pointee.offset = .max  // -1: no mapping to describe
            return
        }
        let width = UInt32(setup.sampleBytes * 8)
        if setup.interleavedLayout {
            r.pointee.first = channel * width
            r.pointee.step = UInt32(setup.channelCount) * width
        } else {
            r.pointee.first = channel * UInt32(setup.dmaBytes / setup.channelCount) * 8
            r.pointee.step = width
        }
    }

    /// snd_pcm_status64: a pointer update (no DMA sync), then the record. STATUS_EXT first reads
    /// the audio timestamp type asked for; a link type the hardware offers is answered from the
    /// exact DMA position, stamped now, with an accuracy; otherwise the audio timestamp is the
    /// hardware pointer's, and the report (for a type other than compat) says type 0, as the
    /// kernel's does for a driver without get_time_info.
    private func status(_ r: UnsafeMutablePointer<snd_pcm_status>, extended: Bool) {
        let requested = extended ? r.pointee.audio_tstamp_data & 0xF : 0
        s.audioTimestampRequest = requested
        if s.isRunning { s.updateHardwarePointer() }
        r.pointee = snd_pcm_status()
        r.pointee.state = s.state
        r.pointee.suspended_state = s.status.pointee.suspended_state
        guard s.state != State.open, let setup = s.setup else { return }
        r.pointee.trigger_tstamp = s.triggerTimestamp
        if s.isRunning {
            r.pointee.tstamp = s.status.pointee.tstamp
            r.pointee.audio_tstamp = s.status.pointee.audio_tstamp
            if requested != ALSA_AUDIO_TSTAMP_TYPE_COMPAT {
                var type: UInt32 = 0
                var accuracy: UInt32?
                if requested == ALSA_AUDIO_TSTAMP_TYPE_LINK && s.hardware.info & ALSA_INFO_HAS_LINK_ATIME != 0 {
                    let frames = UInt64(s.wrap(Int(s.dmaPosition) - Int(s.dmaPositionAtTrigger)))
                    r.pointee.audio_tstamp = Substream.clockTime(nanoseconds: frames * 1_000_000_000 / UInt64(max(setup.sampleRate, 1)))
                    r.pointee.tstamp = s.now
                    type = ALSA_AUDIO_TSTAMP_TYPE_LINK
                    accuracy = SimulatedHardware.linkTimestampAccuracyNanoseconds
                }
                r.pointee.audio_tstamp_data |= (1 << 16) | (type << 17) | (accuracy != nil ? 1 << 21 : 0)
                r.pointee.audio_tstamp_accuracy = accuracy ?? 0
            }
        } else {
            r.pointee.tstamp = s.now
        }
        r.pointee.appl_ptr = s.applPtr
        r.pointee.hw_ptr = s.hwPtr
        r.pointee.avail = UInt(s.avail)
        r.pointee.avail_max = max(s.availMax, UInt(s.avail))
        s.availMax = 0
        r.pointee.delay = s.isRunning ? (s.capture ? s.avail : s.hwAvail) + s.hardware.extraDelayFrames : 0
    }

    // MARK: parameters

    private func hwParams(_ p: UnsafeMutablePointer<snd_pcm_hw_params>) throws(Errno) {
        guard [State.open, State.setup, State.prepared].contains(s.state), s.dataMappings == 0 else {
            throw .badFileDescriptorState
        }
        do throws(Interval.Empty) {
            try HardwareRefinement(hardware: s.hardware).choose(p)
        } catch {
            // The kernel treats the hardware as unusable after a failed HW_PARAMS.
            s.setup = nil
            s.releaseBuffers()
            s.state = State.open
            throw .invalidArgument
        }
        func value(_ param: Int32) -> Int {
            let i = alsa_hw_interval(p, param)!.pointee
            return Int(i.openmin != 0 && i.openmax == 0 ? i.max : i.min)
        }
        func lowest(_ param: Int32) -> Int32 {
            var bit: Int32 = 0
            while !alsa_mask_test(alsa_hw_mask(p, param), UInt32(bit)) { bit += 1 }
            return bit
        }
        let format = lowest(ALSA_HW_PARAM_FORMAT)
        let channels = value(ALSA_HW_PARAM_CHANNELS)
        let sampleBits = Int(HardwareRefinement.physicalWidth[Int(format)] ?? 8)
        let setup = Substream.Setup(access: lowest(ALSA_HW_PARAM_ACCESS), format: format, channelCount: channels,
                                    sampleRate: value(ALSA_HW_PARAM_RATE), periodSize: value(ALSA_HW_PARAM_PERIOD_SIZE),
                                    bufferSize: value(ALSA_HW_PARAM_BUFFER_SIZE),
                                    frameBytes: sampleBits * channels / 8, sampleBytes: max(sampleBits / 8, 1))
        s.setup = setup
        // The kernel honours the flag only where the driver offers it, and ignores it silently
        // otherwise: the device then keeps its period interrupts.
        s.noPeriodWakeup = p.pointee.flags & ALSA_HW_PARAMS_NO_PERIOD_WAKEUP != 0 && s.hardware.info & ALSA_INFO_NO_PERIOD_WAKEUP != 0
        s.allocateBuffers(bytes: setup.dmaBytes)
        // The kernel's boundary: the largest buffer_size * 2^n that keeps pointer arithmetic in a long.
        var boundary = UInt(setup.bufferSize)
        while boundary * 2 <= UInt(Int.max) - UInt(setup.bufferSize) { boundary *= 2 }
        s.boundary = boundary
        s.startThreshold = 1
        s.stopThreshold = UInt(setup.bufferSize)
        s.availMin = UInt(setup.periodSize)
        s.resetPointers()
        s.state = State.setup
    }

    private func swParams(_ r: UnsafeMutablePointer<snd_pcm_sw_params>) throws(Errno) {
        guard let setup = s.setup, s.state != State.open else { throw .badFileDescriptorState }
        let p = r.pointee
        guard p.tstamp_mode >= 0, p.tstamp_mode <= ALSA_TSTAMP_ENABLE else { throw .invalidArgument }
        if p.proto >= alsa_protocol_version(2, 0, 12) && p.tstamp_type > UInt32(ALSA_TSTAMP_TYPE_MONOTONIC_RAW) {
            throw .invalidArgument
        }
        guard p.avail_min != 0 else { throw .invalidArgument }
        if p.silence_size >= s.boundary {
            guard p.silence_threshold == 0 else { throw .invalidArgument }
        } else {
            guard p.silence_size <= p.silence_threshold, p.silence_threshold <= UInt(setup.bufferSize) else {
                throw .invalidArgument
            }
        }
        s.availMin = p.avail_min
        s.startThreshold = p.start_threshold
        s.stopThreshold = p.stop_threshold
        r.pointee.boundary = s.boundary
        // A new stop threshold takes effect at once on a running stream.
        if s.isRunning { s.updateState() }
    }

    // MARK: pointers

    /// snd_pcm_delay/snd_pcm_hwsync: the state check and pointer update, then the CPU sync, which
    /// runs even when the state check failed. `body` runs only on success, before the sync.
    private func hwsync(_ body: () -> Void = {}) throws(Errno) {
        var failure: Errno?
        switch s.state {
        case State.running: s.updateHardwarePointer()
        case State.draining where !s.capture: s.updateHardwarePointer()
        case State.prepared, State.paused: break
        case State.suspended: failure = .streamPipe
        case State.xrun: failure = .brokenPipe
        default: failure = .badFileDescriptorState
        }
        if failure == nil { body() }
        s.syncForCPU()
        if let failure { throw failure }
    }

    /// pcm_lib_apply_appl_ptr: the driver's .ack would see the new value here.
    private func applyApplPtr(_ value: UInt) throws(Errno) {
        guard value != s.applPtr else { return }
        guard value < s.boundary else { throw .invalidArgument }
        if s.hardware.info & ALSA_INFO_NO_REWINDS != 0, let setup = s.setup {
            let diff = Int(value) - Int(s.applPtr)
            let distance = diff >= 0 ? diff : Int(s.boundary) + diff
            if distance > setup.bufferSize { throw .invalidArgument }
        }
        s.applPtr = value
        s.applPtrMoved()
    }

    private func syncPtr(_ r: UnsafeMutablePointer<snd_pcm_sync_ptr>) throws(Errno) {
        let flags = r.pointee.flags
        let userAppl = r.pointee.c.control.appl_ptr
        let userAvailMin = r.pointee.c.control.avail_min
        if flags & ALSA_SYNC_PTR_HWSYNC != 0 { try hwsync() }  // on error nothing is copied back
        if flags & ALSA_SYNC_PTR_APPL == 0 { try applyApplPtr(userAppl) }
        if flags & ALSA_SYNC_PTR_AVAIL_MIN == 0 { s.availMin = userAvailMin }
        let status = s.status.pointee
        let control = s.control.pointee
        if flags & ALSA_SYNC_PTR_APPL == 0 { s.syncForDevice() }
        r.pointee.s.status.state = status.state
        r.pointee.s.status.hw_ptr = status.hw_ptr
        r.pointee.s.status.tstamp = status.tstamp
        r.pointee.s.status.suspended_state = status.suspended_state
        r.pointee.s.status.audio_tstamp = status.audio_tstamp
        r.pointee.c.control.appl_ptr = control.appl_ptr
        r.pointee.c.control.avail_min = control.avail_min
    }

    /// FORWARD and REWIND: at most what can be moved, then a device sync.
    private func move(_ frames: UnsafeMutablePointer<UInt>, forward: Bool) throws(Errno) {
        let wanted = frames.pointee
        frames.pointee = 0
        guard wanted > 0 else { return }
        var state: Errno?
        switch s.state {
        case State.running: s.updateHardwarePointer()
        case State.draining where !s.capture: s.updateHardwarePointer()
        case State.prepared, State.paused: break
        case State.suspended: state = .streamPipe
        case State.xrun: state = .brokenPipe
        default: state = .badFileDescriptorState
        }
        if let state { throw state }
        let limit = forward ? s.avail : s.hwAvail
        guard limit > 0 else { return }
        let n = Int(min(wanted, UInt(limit)))
        try applyApplPtr(s.wrap(Int(s.applPtr) + (forward ? n : -n)))
        s.syncForDevice()
        frames.pointee = UInt(n)
    }

    // MARK: state changes

    /// snd_pcm_prepare, a group action: every member must be preparable, then all are prepared.
    private func prepare() throws(Errno) {
        for member in s.group {
            switch member.state {
            case State.open, State.disconnected: throw .badFileDescriptorState
            case State.running: throw .resourceBusy
            case State.draining where !member.capture: throw .resourceBusy
            default: break
            }
        }
        for member in s.group {
            member.resetPointers()
            member.observation.resetSyncCounters()
            member.state = State.prepared
        }
    }

    /// snd_pcm_reset, a group action.
    private func reset() throws(Errno) {
        for member in s.group {
            guard [State.running, State.prepared, State.paused, State.suspended].contains(member.state), member.setup != nil else {
                throw .badFileDescriptorState
            }
        }
        for member in s.group {
            guard let setup = member.setup else { continue }
            if member.state == State.running {
                member.updateHardwarePointer()
                guard member.state == State.running else { throw .brokenPipe }
                // snd_pcm_lib_ioctl_reset keeps only the position in the ring.
                member.hwPtr %= UInt(setup.bufferSize)
                member.dmaPosition %= UInt(setup.bufferSize)
            }
            member.applPtr = member.hwPtr
            // The frames RESET skipped were not handed to the CPU (capture), and none is committed (playback).
            member.ackedApplPtr = member.applPtr
        }
    }

    /// snd_pcm_start, a group action: every member must be prepared (and a playback member have
    /// something to play); then all start with one trigger timestamp.
    func start() throws(Errno) {
        for member in s.group {
            guard member.state == State.prepared else { throw .badFileDescriptorState }
            // snd_pcm_playback_data: nothing to play is EPIPE, unless the stream never stops.
            if !member.capture && member.stopThreshold < member.boundary && member.hwAvail <= 0 { throw .brokenPipe }
        }
        for member in s.group {
            member.state = State.running
            member.captureFrame = 0
            member.framesIntoPeriod = 0
            member.trigger()
        }
    }

    /// XRUN: this stream's xrun stops its whole group.
    private func xrun() { s.forceXrun() }

    /// snd_pcm_drop: snd_pcm_stop(SETUP) on the group.
    private func drop() throws(Errno) {
        for member in s.group where member.state == State.open || member.state == State.disconnected { throw .badFileDescriptorState }
        for member in s.group {
            if member.isRunning {
                member.updateHardwarePointer()
                member.trigger()
            }
            member.state = State.setup
        }
    }

    /// LINK: the substream behind descriptor `fd` joins this one's group (snd_pcm_link).
    private func link(_ fd: Int32) throws(Errno) {
        guard let other = kernel.substream(onDescriptor: fd) else { throw .badFileDescriptorState }
        guard other !== s else { throw .invalidArgument }
        guard s.state != State.open, s.state == other.state else { throw .badFileDescriptorState }
        guard other.linkGroup == nil else { throw .alreadyInProcess }
        let group = s.linkGroup ?? LinkGroup(members: [s])
        s.linkGroup = group
        group.members.append(other)
        other.linkGroup = group
    }

    /// snd_pcm_drain: drain_init on the whole group (playback members drain, capture members
    /// stop), then, blocking, a wait for every playback member's drain to end.
    private func drain() throws(Errno) {
        switch s.state {
        case State.open, State.disconnected, State.suspended: throw .badFileDescriptorState
        default: break
        }
        for member in s.group { beginDrain(member) }
        // Non-blocking: the caller polls for the end of the drain.
        if s.nonBlocking { throw .resourceTemporarilyUnavailable }
        var periods = 0
        while let draining = s.group.first(where: { $0.state == State.draining && !$0.capture }) {
            kernel.sleepOnePeriod(draining)
            periods += 1
            if periods > 1 << 20 { throw .ioError }
        }
        if s.state == State.suspended { throw .streamPipe }
    }

    private func beginDrain(_ m: Substream) {
        if m.state == State.paused { m.state = State.running }
        if m.capture {
            // A capture stream stops; what was captured stays readable until it is read.
            if m.state == State.running {
                m.updateHardwarePointer()
                if m.state == State.running { m.state = m.avail > 0 ? State.draining : State.setup }
            }
        } else {
            switch m.state {
            case State.prepared:
                if m.hwAvail > 0 {
                    m.state = State.draining
                    m.framesIntoPeriod = 0
                } else {
                    m.state = State.setup
                }
            case State.running: m.state = State.draining
            case State.xrun: m.state = State.setup
            default: break
            }
        }
    }

    /// snd_pcm_pause, a group action.
    private func pause(push: Bool) throws(Errno) {
        for member in s.group {
            guard member.hardware.info & ALSA_INFO_PAUSE != 0 else { throw .noFunction }
            guard member.state == (push ? State.running : State.paused) else { throw .badFileDescriptorState }
        }
        for member in s.group {
            if push {
                member.updateHardwarePointer()
                if member.state == State.running {
                    member.state = State.paused
                    member.trigger()
                }
            } else {
                member.state = State.running
                member.trigger()
            }
        }
    }

    /// snd_pcm_resume, a group action.
    private func resume() throws(Errno) {
        for member in s.group {
            guard member.hardware.info & ALSA_INFO_RESUME != 0 else { throw .noFunction }
            guard member.state == State.suspended else { throw .badFileDescriptorState }
            switch member.hardware.resume {
            case .unsupported: throw .noFunction
            case .busy(let times) where member.resumeAttempts < times:
                member.resumeAttempts += 1
                throw .resourceTemporarilyUnavailable
            default: break
            }
        }
        for member in s.group { member.state = member.status.pointee.suspended_state }
    }

    // MARK: read and write

    /// __snd_pcm_lib_xfer: copies between the user's buffer(s) and the DMA buffer at appl_ptr,
    /// waiting (advancing the virtual clock) in blocking mode, starting the stream at its threshold.
    /// `user` holds one interleaved buffer, or one buffer per channel; nil plays silence.
    private func transfer(frames: Int, interleaved: Bool, user: [UnsafeMutableRawPointer?]?) throws(Errno) -> Int {
        guard let setup = s.setup, let dma = s.dma?.base else { throw .badFileDescriptorState }
        if interleaved {
            guard setup.access == 3 || setup.channelCount == 1 else { throw .invalidArgument }
        } else {
            guard setup.access == 4 else { throw .invalidArgument }
        }
        if user == nil && s.capture { throw .invalidArgument }
        guard frames > 0 else { return 0 }
        try accessible()
        if s.state == State.running { s.updateHardwarePointer() }
        if s.capture && s.state == State.prepared && UInt(frames) >= s.startThreshold { try start() }
        var done = 0
        var avail = s.avail
        var waits = 0
        func finish(_ error: Errno) throws(Errno) -> Int {
            if done > 0 { return done }
            throw error
        }
        while done < frames {
            if avail <= 0 {
                if s.nonBlocking { return try finish(.resourceTemporarilyUnavailable) }
                // wait_for_avail: time passes a period at a time while the caller sleeps.
                switch s.state {
                case State.suspended: return try finish(.streamPipe)
                case State.xrun: return try finish(.brokenPipe)
                case State.draining where !s.capture: return try finish(.brokenPipe)
                case State.open, State.setup, State.disconnected: return try finish(.badFileDescriptorState)
                case State.running: break
                default: return try finish(.ioError)  // nothing will ever move: the kernel times out
                }
                waits += 1
                if waits > 1 << 20 { return try finish(.ioError) }
                kernel.sleepOnePeriod(s)
                avail = s.avail
                continue
            }
            let offset = Int(s.applPtr % UInt(setup.bufferSize))
            let n = min(frames - done, avail, setup.bufferSize - offset)
            if s.capture { s.syncForCPU() }
            copyFrames(n, ringOffset: offset, userOffset: done, interleaved: interleaved, user: user, setup, dma)
            if !s.capture { s.syncForDevice() }
            do throws(Errno) {
                try accessible()
                try applyApplPtr(s.wrap(Int(s.applPtr) + n))
            } catch {
                return try finish(error)
            }
            done += n
            avail -= n
            if !s.capture && s.state == State.prepared && UInt(s.hwAvail) >= s.startThreshold { try start() }
        }
        s.updateState()
        return done
    }

    /// pcm_accessible_state.
    private func accessible() throws(Errno) {
        switch s.state {
        case State.prepared, State.running, State.paused: return
        case State.xrun: throw .brokenPipe
        case State.suspended: throw .streamPipe
        default: throw .badFileDescriptorState
        }
    }

    private func copyFrames(_ n: Int, ringOffset: Int, userOffset: Int, interleaved: Bool, user: [UnsafeMutableRawPointer?]?,
                            _ setup: Substream.Setup, _ dma: UnsafeMutableRawPointer) {
        let silence: UInt8 = setup.format == 1 ? 0x80 : 0  // U8 is unsigned: its silence is mid-scale
        if interleaved {
            let ring = dma + ringOffset * setup.frameBytes
            let bytes = n * setup.frameBytes
            guard let buffer = user?.first ?? nil else {
                ring.initializeMemory(as: UInt8.self, repeating: silence, count: bytes)
                return
            }
            let other = buffer + userOffset * setup.frameBytes
            if s.capture { other.copyMemory(from: ring, byteCount: bytes) } else { ring.copyMemory(from: other, byteCount: bytes) }
            return
        }
        for channel in 0..<setup.channelCount {
            let ring = dma + (channel * setup.bufferSize + ringOffset) * setup.sampleBytes
            let bytes = n * setup.sampleBytes
            // A missing channel buffer means silence for that channel, as in the kernel.
            guard let plane = user?[channel] else {
                if !s.capture { ring.initializeMemory(as: UInt8.self, repeating: silence, count: bytes) }
                continue
            }
            let other = plane + userOffset * setup.sampleBytes
            if s.capture { other.copyMemory(from: ring, byteCount: bytes) } else { ring.copyMemory(from: other, byteCount: bytes) }
        }
    }
}
