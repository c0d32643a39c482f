import CAlsaKernel
import Glibc
import SystemPackage

/// The ioctls of the PCM core (sound/core/pcm_native.c, pcm_lib.c) on one substream.
struct PCMCore {
    let kernel: SimulatedKernel
    let s: Substream

    func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        if s.disconnected { throw .noDevice }
        func arg<T>(_ type: T.Type) throws(Errno) -> UnsafeMutablePointer<T> {
            guard let argument else { throw .badAddress }
            return argument.assumingMemoryBound(to: T.self)
        }
        switch request {
        case ALSA_IOCTL_PVERSION: try arg(Int32.self).pointee = Int32(bitPattern: ALSA_PCM_VERSION)
        case ALSA_IOCTL_USER_PVERSION: s.userProtocol = UInt32(bitPattern: try arg(Int32.self).pointee)
        case ALSA_IOCTL_INFO: try info(arg(snd_pcm_info.self))
        case ALSA_IOCTL_TTSTAMP:
            let type = try arg(Int32.self).pointee
            guard (0...2).contains(type) else { throw .invalidArgument }
            s.timestampType = type
        case ALSA_IOCTL_HW_REFINE: try refine(arg(snd_pcm_hw_params.self), install: false)
        case ALSA_IOCTL_HW_PARAMS: try refine(arg(snd_pcm_hw_params.self), install: true)
        case ALSA_IOCTL_HW_FREE:
            guard [State.setup, State.prepared].contains(s.state), s.dataMappings == 0 else { throw .badFileDescriptorState }
            s.setup = nil
            s.freeBuffers()
            s.state = State.open
        case ALSA_IOCTL_SW_PARAMS: try swParams(arg(snd_pcm_sw_params.self))
        case ALSA_IOCTL_SYNC_PTR: try syncPtr(arg(snd_pcm_sync_ptr.self))
        case ALSA_IOCTL_HWSYNC: try hwsync()
        case ALSA_IOCTL_DELAY:
            try hwsync()
            try arg(Int.self).pointee = s.capture ? s.avail : s.hwAvail
        case ALSA_IOCTL_STATUS, ALSA_IOCTL_STATUS_EXT: try status(arg(snd_pcm_status.self))
        case ALSA_IOCTL_CHANNEL_INFO: try channelInfo(arg(snd_pcm_channel_info.self))
        case ALSA_IOCTL_PREPARE: try prepare()
        case ALSA_IOCTL_RESET:
            guard [State.running, State.prepared, State.paused, State.suspended].contains(s.state) else { throw .badFileDescriptorState }
            s.applPtr = s.hwPtr
        case ALSA_IOCTL_START: try start()
        case ALSA_IOCTL_DROP:
            guard s.state != State.open else { throw .badFileDescriptorState }
            if s.state != State.setup { s.state = State.setup }
        case ALSA_IOCTL_DRAIN: try drain()
        case ALSA_IOCTL_PAUSE: try pause(push: Int(bitPattern: argument) != 0)
        case ALSA_IOCTL_RESUME: try resume()
        case ALSA_IOCTL_XRUN:
            guard s.state == State.running else { throw .badFileDescriptorState }
            s.state = State.xrun
            s.observation.xruns += 1
        case ALSA_IOCTL_FORWARD, ALSA_IOCTL_REWIND: try move(arg(UInt.self), forward: request == ALSA_IOCTL_FORWARD)
        case ALSA_IOCTL_WRITEI_FRAMES, ALSA_IOCTL_READI_FRAMES:
            let x = try arg(snd_xferi.self)
            let buffer = x.pointee.buf
            x.pointee.result = try transfer(frames: Int(x.pointee.frames), interleaved: true,
                                            write: request == ALSA_IOCTL_WRITEI_FRAMES) { offset, frame, bytes in
                (buffer! + frame * bytes.frameBytes, offset)
            }
        case ALSA_IOCTL_WRITEN_FRAMES, ALSA_IOCTL_READN_FRAMES:
            let x = try arg(snd_xfern.self)
            let buffers = x.pointee.bufs
            x.pointee.result = try transfer(frames: Int(x.pointee.frames), interleaved: false,
                                            write: request == ALSA_IOCTL_WRITEN_FRAMES) { _, _, _ in (buffers.map { UnsafeMutableRawPointer($0) }!, 0) }
        default:
            throw .inappropriateIOCTLForDevice  // ENOTTY: not a PCM ioctl
        }
        return 0
    }

    private func info(_ r: UnsafeMutablePointer<snd_pcm_info>) {
        r.pointee = snd_pcm_info()
        r.pointee.card = s.card
        r.pointee.device = UInt32(s.device)
        r.pointee.subdevice = 0
        r.pointee.stream = s.capture ? ALSA_STREAM_CAPTURE : ALSA_STREAM_PLAYBACK
        r.pointee.subdevices_count = 1
        r.pointee.subdevices_avail = 0
        withUnsafeMutableBytes(of: &r.pointee.id) { copy("Simulated", into: $0) }
        withUnsafeMutableBytes(of: &r.pointee.name) { copy(s.hardware.name, into: $0) }
        withUnsafeMutableBytes(of: &r.pointee.subname) { copy("subdevice #0", into: $0) }
    }

    private func copy(_ text: String, into bytes: UnsafeMutableRawBufferPointer) {
        for (i, byte) in text.utf8.prefix(bytes.count - 1).enumerated() { bytes[i] = byte }
    }

    private func refine(_ p: UnsafeMutablePointer<snd_pcm_hw_params>, install: Bool) throws(Errno) {
        if install {
            guard [State.open, State.setup, State.prepared].contains(s.state), s.dataMappings == 0 else { throw .badFileDescriptorState }
        }
        do {
            try HardwareRefinement(hardware: s.hardware).refine(p, choose: install)
        } catch {
            throw .invalidArgument
        }
        guard install else { return }
        func value(_ param: Int32) -> Int { Int(alsa_hw_interval(p, param)!.pointee.min) }
        let access = Int32(alsa_hw_mask(p, ALSA_HW_PARAM_ACCESS)!.pointee.bits.0.trailingZeroBitCount)
        var format: Int32 = 0
        while !alsa_mask_test(alsa_hw_mask(p, ALSA_HW_PARAM_FORMAT), UInt32(format)) { format += 1 }
        let frameBits = value(ALSA_HW_PARAM_FRAME_BITS), channels = value(ALSA_HW_PARAM_CHANNELS)
        let setup = Substream.Setup(access: access, format: format, channels: channels, rate: value(ALSA_HW_PARAM_RATE),
                                    periodSize: value(ALSA_HW_PARAM_PERIOD_SIZE), bufferSize: value(ALSA_HW_PARAM_BUFFER_SIZE),
                                    frameBytes: frameBits / 8, sampleBytes: frameBits / 8 / channels)
        s.setup = setup
        s.allocateBuffers(bytes: setup.bufferSize * setup.frameBytes)
        // The kernel's boundary: the largest buffer_size * 2^n that keeps pointer arithmetic in a long.
        var boundary = UInt(setup.bufferSize)
        while boundary * 2 <= UInt(Int.max) - UInt(setup.bufferSize) { boundary *= 2 }
        s.boundary = boundary
        s.startThreshold = 1
        s.stopThreshold = UInt(setup.bufferSize)
        s.availMin = UInt(setup.periodSize)
        s.state = State.setup
    }

    private func swParams(_ r: UnsafeMutablePointer<snd_pcm_sw_params>) throws(Errno) {
        guard let setup = s.setup, s.state != State.open else { throw .badFileDescriptorState }
        let p = r.pointee
        guard p.tstamp_mode <= ALSA_TSTAMP_ENABLE, p.avail_min != 0, p.tstamp_type <= 2 else { throw .invalidArgument }
        if p.silence_size >= s.boundary {
            guard p.silence_threshold == 0 else { throw .invalidArgument }
        } else {
            guard p.silence_size <= p.silence_threshold, p.silence_threshold <= UInt(setup.bufferSize) else { throw .invalidArgument }
        }
        s.availMin = p.avail_min
        s.startThreshold = p.start_threshold
        s.stopThreshold = p.stop_threshold
        r.pointee.boundary = s.boundary
    }

    /// snd_pcm_hwsync: the state check, the pointer update, then the CPU sync, which runs even when
    /// the state check failed.
    private func hwsync() throws(Errno) {
        var failure: Errno?
        switch s.state {
        case State.running: s.updateHardwarePointer()
        case State.draining where !s.capture: s.updateHardwarePointer()
        case State.prepared, State.paused: break
        case State.suspended: failure = .streamPipe
        case State.xrun: failure = .brokenPipe
        default: failure = .badFileDescriptorState
        }
        s.syncForCPU()
        if let failure { throw failure }
    }

    private func syncPtr(_ r: UnsafeMutablePointer<snd_pcm_sync_ptr>) throws(Errno) {
        let flags = r.pointee.flags
        let userAppl = r.pointee.c.control.appl_ptr
        let userAvailMin = r.pointee.c.control.avail_min
        if flags & ALSA_SYNC_PTR_HWSYNC != 0 { try hwsync() }  // on error nothing is copied back
        if flags & ALSA_SYNC_PTR_APPL == 0 {
            guard s.boundary == 0 || userAppl < s.boundary else { throw .invalidArgument }
            s.applPtr = userAppl  // pcm_lib_apply_appl_ptr: the driver's .ack sees it here
        }
        if flags & ALSA_SYNC_PTR_AVAIL_MIN == 0 { s.availMin = userAvailMin }
        r.pointee.s.status = s.statusPage.pointee
        r.pointee.c.control = s.controlPage.pointee
        if flags & ALSA_SYNC_PTR_APPL == 0 { s.syncForDevice() }
    }

    private func status(_ r: UnsafeMutablePointer<snd_pcm_status>) {
        if s.state == State.running { s.updateHardwarePointer() }  // a pointer update, but no DMA sync
        r.pointee = snd_pcm_status()
        r.pointee.state = s.state
        r.pointee.suspended_state = s.statusPage.pointee.suspended_state
        r.pointee.appl_ptr = s.applPtr
        r.pointee.hw_ptr = s.hwPtr
        r.pointee.avail = UInt(s.avail)
        r.pointee.avail_max = UInt(s.avail)
        r.pointee.delay = s.capture ? s.avail : s.hwAvail
        r.pointee.tstamp = s.statusPage.pointee.tstamp
    }

    private func channelInfo(_ r: UnsafeMutablePointer<snd_pcm_channel_info>) throws(Errno) {
        guard let setup = s.setup else { throw .badFileDescriptorState }
        let channel = Int(r.pointee.channel)
        guard channel < setup.channels else { throw .invalidArgument }
        let width = UInt32(setup.sampleBytes * 8)
        r.pointee.offset = 0
        if setup.access == 0 || setup.access == 3 {
            r.pointee.first = UInt32(channel) * width
            r.pointee.step = UInt32(setup.channels) * width
        } else {
            r.pointee.first = UInt32(channel * setup.bufferSize * setup.sampleBytes * 8)
            r.pointee.step = width
        }
    }

    private func prepare() throws(Errno) {
        switch s.state {
        case State.open, State.disconnected: throw .badFileDescriptorState
        default: break
        }
        s.resetPointers()
        s.state = State.prepared
    }

    private func start() throws(Errno) {
        guard s.state == State.prepared else { throw .badFileDescriptorState }
        if !s.capture && s.stopThreshold < s.boundary && s.hwAvail <= 0 { throw .brokenPipe }
        s.state = State.running
        s.captureFrame = 0
    }

    private func drain() throws(Errno) {
        switch s.state {
        case State.open, State.disconnected: throw .badFileDescriptorState
        case State.suspended: throw .streamPipe
        case State.setup: return
        case State.xrun:
            s.state = State.setup
            return
        default: break
        }
        if s.capture {
            s.state = State.setup
            return
        }
        if s.state == State.prepared {
            guard s.hwAvail > 0 else { s.state = State.setup; return }
            s.state = State.running
        }
        if s.state == State.paused { s.state = State.running }
        s.state = State.draining
        if s.nonBlocking { throw .resourceTemporarilyUnavailable }
        while s.state == State.draining { kernel.sleepOnePeriod(s) }
    }

    private func pause(push: Bool) throws(Errno) {
        guard s.hardware.info & ALSA_INFO_PAUSE != 0 else { throw .noFunction }
        if push {
            guard s.state == State.running else { throw .badFileDescriptorState }
            s.state = State.paused
        } else {
            guard s.state == State.paused else { throw .badFileDescriptorState }
            s.state = State.running
        }
    }

    private func resume() throws(Errno) {
        guard s.hardware.info & ALSA_INFO_RESUME != 0 else { throw .noFunction }
        guard s.state == State.suspended else { throw .badFileDescriptorState }
        switch s.hardware.resume {
        case .unsupported: throw .noFunction
        case .busy(let times) where times > 0:
            kernelResumeAttempts += 1
            if kernelResumeAttempts <= times { throw .resourceTemporarilyUnavailable }
        default: break
        }
        s.state = s.statusPage.pointee.suspended_state
    }

    private var kernelResumeAttempts: Int {
        get { s.resumeAttempts }
        nonmutating set { s.resumeAttempts = newValue }
    }

    private func move(_ frames: UnsafeMutablePointer<UInt>, forward: Bool) throws(Errno) {
        guard [State.prepared, State.running, State.paused, State.draining].contains(s.state) else {
            throw s.state == State.xrun ? .brokenPipe : s.state == State.suspended ? .streamPipe : .badFileDescriptorState
        }
        let limit = forward ? s.avail : s.hwAvail
        let n = min(Int(frames.pointee), max(limit, 0))
        s.applPtr = s.wrap(Int(s.applPtr) + (forward ? n : -n))
        s.syncForDevice()
        frames.pointee = UInt(n)
    }

    /// __snd_pcm_lib_xfer: copy between the user's buffer(s) and the DMA buffer at appl_ptr, waiting
    /// (advancing the clock) in blocking mode, starting the stream at its threshold.
    private func transfer(frames: Int, interleaved: Bool, write: Bool,
                          _ source: (Int, Int, Substream.Setup) -> (UnsafeMutableRawPointer, Int)) throws(Errno) -> Int {
        guard let setup = s.setup, let dma = s.dmaBuffer else { throw .badFileDescriptorState }
        guard write != s.capture else { throw .badFileDescriptorState }
        let wantAccess: Int32 = interleaved ? 3 : 4
        guard setup.access == wantAccess else { throw .invalidArgument }
        switch s.state {
        case State.prepared, State.running, State.paused: break
        case State.xrun: throw .brokenPipe
        case State.suspended: throw .streamPipe
        default: throw .badFileDescriptorState
        }
        if s.capture && s.state == State.prepared && UInt(frames) >= s.startThreshold { try start() }
        var done = 0
        var idle = 0
        while done < frames {
            if s.state == State.running { s.updateHardwarePointer() }
            if s.state == State.xrun { if done > 0 { break }; throw .brokenPipe }
            if s.state == State.suspended { if done > 0 { break }; throw .streamPipe }
            if !write { s.syncForCPU() }
            let n = min(frames - done, s.avail, setup.bufferSize - Int(s.applPtr % UInt(setup.bufferSize)))
            if n > 0 {
                idle = 0
                let ringOffset = Int(s.applPtr % UInt(setup.bufferSize))
                if interleaved {
                    let (user, _) = source(ringOffset, done, setup)
                    let ring = dma + ringOffset * setup.frameBytes
                    if write { ring.copyMemory(from: user, byteCount: n * setup.frameBytes) } else { user.copyMemory(from: ring, byteCount: n * setup.frameBytes) }
                } else {
                    let (planes, _) = source(ringOffset, done, setup)
                    let channels = planes.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
                    for c in 0..<setup.channels {
                        guard let plane = channels[c] else { throw .badAddress }
                        let ring = dma + (c * setup.bufferSize + ringOffset) * setup.sampleBytes
                        let user = plane + done * setup.sampleBytes
                        if write { ring.copyMemory(from: user, byteCount: n * setup.sampleBytes) } else { user.copyMemory(from: ring, byteCount: n * setup.sampleBytes) }
                    }
                }
                s.applPtr = s.wrap(Int(s.applPtr) + n)
                if write { s.syncForDevice() }
                done += n
                if write && s.state == State.prepared && UInt(s.hwAvail) >= s.startThreshold { try start() }
                continue
            }
            if s.nonBlocking { if done > 0 { break }; throw .resourceTemporarilyUnavailable }
            guard s.state == State.running else {
                // Nothing will ever move: the kernel gives up after its timeout with EIO.
                if done > 0 { break }
                throw .ioError
            }
            idle += 1
            if idle > 100_000 { throw .ioError }
            kernel.sleepOnePeriod(s)
        }
        return done
    }
}
