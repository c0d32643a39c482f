import CAlsaKernel
import Glibc

/// One PCM substream of the simulated kernel: its runtime (state, records, buffer, parameters)
/// and its device side (the DMA engine, and for non-coherent hardware a separate device copy).
final class Substream {
    let card: Int32
    let device: Int32
    let capture: Bool
    let hardware: SimulatedHardware

    // The open file, if any.
    var isOpen = false
    var nonBlocking = false
    var userProtocol: UInt32 = 0
    var disconnected = false

    // runtime->status and runtime->control: page-aligned so that user space can map them.
    let statusPage: UnsafeMutablePointer<snd_pcm_mmap_status>
    let controlPage: UnsafeMutablePointer<snd_pcm_mmap_control>
    static let pageSize = 4096

    // The configuration, once HW_PARAMS succeeded.
    struct Setup {
        var access: Int32
        var format: Int32
        var channels: Int
        var rate: Int
        var periodSize: Int
        var bufferSize: Int
        var frameBytes: Int
        var sampleBytes: Int
    }
    var setup: Setup?
    var boundary: UInt = 0
    var startThreshold: UInt = 1
    var stopThreshold: UInt = 0
    var timestampType: Int32 = 0

    /// The DMA buffer (what the data mmap maps and read/write copy to and from).
    var dmaBuffer: UnsafeMutableRawPointer?
    var dmaLength = 0
    /// The device's own view when the hardware is not coherent (EXPLICIT_SYNC); nil otherwise.
    var deviceCopy: UnsafeMutableRawPointer?
    var dataMappings = 0

    /// Where the DMA engine is (mod boundary); the kernel's hw_ptr only catches up at period
    /// interrupts and hardware syncs.
    var dmaPosition: UInt = 0
    /// Frames moved since the last period interrupt.
    var framesIntoPeriod = 0
    /// Capture frames produced since the last START (the signal's frame number).
    var captureFrame: UInt64 = 0
    /// Virtual time of this substream, for timestamps.
    var nanoseconds: UInt64 = 0
    var observation = DeviceObservation()
    /// RESUME calls answered so far, for `ResumeBehaviour.busy`.
    var resumeAttempts = 0

    init(card: Int32, device: Int32, capture: Bool, hardware: SimulatedHardware) {
        self.card = card
        self.device = device
        self.capture = capture
        self.hardware = hardware
        var raw: UnsafeMutableRawPointer?
        posix_memalign(&raw, Self.pageSize, Self.pageSize)
        statusPage = raw!.initializeMemory(as: snd_pcm_mmap_status.self, repeating: snd_pcm_mmap_status(), count: 1)
        posix_memalign(&raw, Self.pageSize, Self.pageSize)
        controlPage = raw!.initializeMemory(as: snd_pcm_mmap_control.self, repeating: snd_pcm_mmap_control(), count: 1)
    }

    deinit {
        free(statusPage)
        free(controlPage)
        freeBuffers()
    }

    var explicitSync: Bool { hardware.info & ALSA_INFO_EXPLICIT_SYNC != 0 }

    var state: Int32 {
        get { statusPage.pointee.state }
        set { statusPage.pointee.state = newValue }
    }
    var hwPtr: UInt {
        get { statusPage.pointee.hw_ptr }
        set { statusPage.pointee.hw_ptr = newValue }
    }
    var applPtr: UInt {
        get { controlPage.pointee.appl_ptr }
        set { controlPage.pointee.appl_ptr = newValue }
    }
    var availMin: UInt {
        get { controlPage.pointee.avail_min }
        set { controlPage.pointee.avail_min = newValue }
    }

    func open(nonBlocking: Bool) {
        isOpen = true
        self.nonBlocking = nonBlocking
        userProtocol = 0
        setup = nil
        state = State.open
        hwPtr = 0
        applPtr = 0
        availMin = 1
        observation = DeviceObservation()
        freeBuffers()
    }

    func freeBuffers() {
        if let dmaBuffer { free(dmaBuffer) }
        if let deviceCopy { free(deviceCopy) }
        dmaBuffer = nil
        deviceCopy = nil
        dmaLength = 0
    }

    func allocateBuffers(bytes: Int) {
        freeBuffers()
        let length = (bytes + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        var raw: UnsafeMutableRawPointer?
        posix_memalign(&raw, Self.pageSize, length)
        raw!.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        dmaBuffer = raw
        dmaLength = length
        if explicitSync {
            posix_memalign(&raw, Self.pageSize, length)
            raw!.initializeMemory(as: UInt8.self, repeating: 0, count: length)
            deviceCopy = raw
        }
    }

    // MARK: coherency

    /// SNDRV_DMA_SYNC_DEVICE: flush the CPU's writes so the device sees them (playback only matters).
    func syncForDevice() {
        guard let deviceCopy, let dmaBuffer, !capture else { return }
        deviceCopy.copyMemory(from: dmaBuffer, byteCount: dmaLength)
    }

    /// SNDRV_DMA_SYNC_CPU: make what the device wrote visible to the CPU (capture only matters).
    func syncForCPU() {
        guard let deviceCopy, let dmaBuffer, capture else { return }
        dmaBuffer.copyMemory(from: deviceCopy, byteCount: dmaLength)
    }

    /// The memory the device reads and writes.
    var deviceView: UnsafeMutableRawPointer? { deviceCopy ?? dmaBuffer }

    // MARK: pointers

    func wrap(_ value: Int) -> UInt {
        let b = Int(boundary)
        var v = value % b
        if v < 0 { v += b }
        return UInt(v)
    }

    /// Frames user space can transfer, from the kernel's hw_ptr.
    var avail: Int {
        guard let setup else { return 0 }
        let hw = Int(hwPtr), appl = Int(applPtr)
        if capture { return Int(wrap(hw - appl)) }
        return Int(wrap(hw + setup.bufferSize - appl))
    }

    /// Frames queued for the device.
    var hwAvail: Int { (setup?.bufferSize ?? 0) - avail }

    /// The pointer callback: the kernel's hw_ptr catches up with the DMA engine, and an xrun or the
    /// end of a drain is detected (snd_pcm_update_hw_ptr).
    func updateHardwarePointer() {
        guard setup != nil, state == State.running || state == State.draining else { return }
        hwPtr = dmaPosition
        statusPage.pointee.tstamp = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        if !capture && state == State.draining && avail >= setup!.bufferSize {
            state = State.setup
            return
        }
        if UInt(avail) >= stopThreshold && state == State.running {
            state = State.xrun
            observation.xruns += 1
        }
    }

    /// The DMA engine moves `frames` frames; a period interrupt at every period boundary.
    func run(frames: Int) {
        guard let setup, let view = deviceView else { return }
        var remaining = frames
        while remaining > 0, state == State.running || (state == State.draining && !capture) {
            let step = min(remaining, setup.periodSize - framesIntoPeriod)
            for _ in 0..<step {
                let offset = Int(dmaPosition % UInt(setup.bufferSize)) * setup.frameBytes
                let frame = UnsafeMutableRawBufferPointer(start: view + offset, count: setup.frameBytes)
                if capture {
                    for b in 0..<setup.frameBytes { frame[b] = SimulatedKernel.captureSample(frame: captureFrame, byte: b) }
                    captureFrame += 1
                    observation.frames += 1
                    FrameChecksum.fnv1a(UnsafeRawBufferPointer(frame), into: &observation.checksum)
                } else if wrap(Int(applPtr) - Int(dmaPosition)) > 0 && Int(wrap(Int(applPtr) - Int(dmaPosition))) <= setup.bufferSize {
                    observation.frames += 1
                    FrameChecksum.fnv1a(UnsafeRawBufferPointer(frame), into: &observation.checksum)
                } else {
                    observation.underrunFrames += 1
                }
                dmaPosition = wrap(Int(dmaPosition) + 1)
            }
            nanoseconds += UInt64(step) * 1_000_000_000 / UInt64(max(setup.rate, 1))
            remaining -= step
            framesIntoPeriod += step
            if framesIntoPeriod == setup.periodSize {
                framesIntoPeriod = 0
                updateHardwarePointer()
            }
        }
    }

    /// snd_pcm_do_reset: both pointers back to the DMA engine's place in a fresh stream.
    func resetPointers() {
        dmaPosition = 0
        framesIntoPeriod = 0
        hwPtr = 0
        applPtr = 0
    }
}

/// SNDRV_PCM_STATE_* values.
enum State {
    static let open: Int32 = 0, setup: Int32 = 1, prepared: Int32 = 2, running: Int32 = 3, xrun: Int32 = 4,
               draining: Int32 = 5, paused: Int32 = 6, suspended: Int32 = 7, disconnected: Int32 = 8
}
