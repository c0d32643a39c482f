import SystemPackage
import CAlsaKernel

#if canImport(Glibc)
import Glibc
#endif

/// Options for opening a PCM on the direct kernel transport.
public struct PCMOpenOptions: Sendable, Equatable {
    /// Transfers and waits return EAGAIN instead of sleeping.
    public var nonBlocking: Bool
    /// Records to move through SYNC_PTR even when the kernel would map them.
    public var forceSyncPtr: PCMRecords
    /// What transfers do on an xrun or a suspend: report it, or recover and go on.
    public var recovery: RecoveryPolicy
    /// The clock of the kernel's timestamps.
    public var timestampType: TimestampType

    /// Options for an open; the defaults block, map what the kernel allows, report xruns, and take monotonic
    /// timestamps.
    public init(nonBlocking: Bool = false, forceSyncPtr: PCMRecords = [], recovery: RecoveryPolicy = .report,
                timestampType: TimestampType = .monotonic) {
        self.nonBlocking = nonBlocking
        self.forceSyncPtr = forceSyncPtr
        self.recovery = recovery
        self.timestampType = timestampType
    }
}

/// A PCM substream opened directly on the kernel (`/dev/snd/pcmC<card>D<device>{p,c}`), with no
/// alsa-lib in between.
///
/// One owner at a time: the handle is not `Sendable`; move it to the thread that runs the audio.
/// It closes its descriptor and mappings when it is deinitialised.
///
/// State read on the audio path is marked `@exclusivity(unchecked)`: the handle has one owner, so
/// the runtime's dynamic exclusivity check (a call per access) guards nothing here.
public final class KernelPCM: PCM {
    /// The device node's path.
    public let name: String
    /// Playback or capture.
    public let direction: StreamDirection
    /// Always `.direct`.
    public var transport: PCMTransport { .direct }
    /// The kernel seam it was opened on.
    public var kernel: any KernelInterface { file.kernel }
    /// The options it was opened with.
    public let options: PCMOpenOptions
    /// The PCM protocol version the kernel speaks (PVERSION).
    public let kernelProtocol: UInt32
    /// What INFO reported at open: card, device, subdevice, names.
    public let deviceInfo: PCMDeviceInfo
    /// What the device offers, from HW_REFINE of the whole space at open.
    public let capabilities: HardwareCapabilities
    /// The granted configuration, once `configure` succeeded.
    @exclusivity(unchecked) public private(set) var setup: HardwareSetup? {
        didSet {
            let frameBytes = setup.map { $0.access == .readWriteInterleaved ? $0.frameBytes : 0 } ?? 0
            let powerOfTwo = frameBytes > 0 && frameBytes & (frameBytes - 1) == 0
            interleavedFrameMask = powerOfTwo ? frameBytes - 1 : -1
            interleavedFrameShift = powerOfTwo ? frameBytes.trailingZeroBitCount : 0
        }
    }
    /// While the access is interleaved read/write with a frame size that is a power of two (every
    /// 8-, 16- and 32-bit format in 1, 2, 4 or 8 channels): the frame size less one, so that WRITEI
    /// and READI test a buffer for whole frames with one mask and count them with one shift, instead
    /// of copying and inspecting `setup` every period. Otherwise -1, which no non-empty buffer
    /// passes: every other case (another access, no setup yet, a 3-byte or 6-channel frame, an empty
    /// buffer) takes the checked path.
    @exclusivity(unchecked) private(set) var interleavedFrameMask = -1
    /// log2 of the frame size, when `interleavedFrameMask` is not -1.
    @exclusivity(unchecked) private(set) var interleavedFrameShift = 0
    /// WRITEI's and READI's record, kept in the handle rather than on the stack: a record on the
    /// stack whose address goes to the kernel makes the compiler guard the frame with a stack
    /// protector, a handful of instructions per period.
    @exclusivity(unchecked) var interleavedTransfer = snd_xferi()
    /// The software parameters in force, once configured.
    @exclusivity(unchecked) public private(set) var softwareParameters: SoftwareParameters?
    /// Xruns and suspends recovered under `RecoveryPolicy.automatic` or through `recover(from:)`.
    @exclusivity(unchecked) public internal(set) var xrunCount = 0
    /// Unchecked like the rest: the recovery path writes it, and a checked access there makes the
    /// optimiser open a runtime access (a call) around every read/write transfer.
    @exclusivity(unchecked) public internal(set) var suspendCount = 0

    let file: DeviceFile
    let pointers: PointerExchange
    /// The data buffer, when the access is mmap.
    @exclusivity(unchecked) var dataMapping: UnsafeMutableRawPointer?
    var dataMappingLength = 0
    /// Per-channel byte offset and step in the data buffer (CHANNEL_INFO), for mmap access.
    /// Allocated at configure, so that `MmapArea` can point at it without copying on the audio path.
    @exclusivity(unchecked) var channelAreas = UnsafeMutableBufferPointer<(offset: Int, step: Int)>(start: nil, count: 0)
    /// Frames granted by the last `beginTransfer`, which `commitTransfer` may not exceed.
    @exclusivity(unchecked) var pendingTransfer: (offset: Int, frames: Int)?
    /// The pollfd handed to the seam; allocated once.
    let pollDescriptor: UnsafeMutablePointer<pollfd>

    /// Opens `/dev/snd/pcmC<card>D<device>p` (or `c`).
    public convenience init(card: Int, device: Int, direction: StreamDirection, options: PCMOpenOptions = PCMOpenOptions(),
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        try self.init(path: KernelPCM.devicePath(card: card, device: device, direction: direction),
                      direction: direction, options: options, kernel: kernel)
    }

    /// The device node of a PCM: `/dev/snd/pcmC<card>D<device>p` or `c`.
    public static func devicePath(card: Int, device: Int, direction: StreamDirection) -> String {
        "/dev/snd/pcmC\(card)D\(device)\(direction.nodeSuffix)"
    }

    /// Opens a PCM device node by path.
    public init(path: String, direction: StreamDirection, options: PCMOpenOptions = PCMOpenOptions(),
                kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        self.name = path
        self.direction = direction
        self.options = options
        let fd: FileDescriptor
        do {
            // Always open non-blocking: a busy substream then fails with EBUSY instead of waiting.
            fd = try kernel.open(path, flags: O_RDWR | O_NONBLOCK)
        } catch {
            throw AlsaError(.open, error, context: path)
        }
        if !options.nonBlocking {
            do {
                try kernel.setNonBlocking(fd, false)
            } catch {
                try? kernel.close(fd)
                throw AlsaError(.open, error, context: path)
            }
        }
        let file = DeviceFile(kernel: kernel, fd: fd)
        pollDescriptor = .allocate(capacity: 1)
        pollDescriptor.initialize(to: pollfd(fd: fd.rawValue, events: Int16(direction == .playback ? POLLOUT : POLLIN), revents: 0))
        do {
            var version: Int32 = 0
            try file.ioctl(.protocolVersion, ALSA_IOCTL_PVERSION, &version)
            let kernelProtocol = UInt32(bitPattern: version)
            // Announce our protocol so the kernel may map the status record of SYNC_APPLPTR drivers;
            // kernels older than 2.0.14 do not know the call.
            var announced: UInt32? = nil
            if kernelProtocol >= alsa_protocol_version(2, 0, 14) {
                var ours = Int32(bitPattern: ALSA_PCM_VERSION)
                try file.ioctl(.userProtocolVersion, ALSA_IOCTL_USER_PVERSION, &ours)
                announced = ALSA_PCM_VERSION
            }
            var info = snd_pcm_info()
            try file.ioctl(.info, ALSA_IOCTL_INFO, &info)
            if kernelProtocol >= alsa_protocol_version(2, 0, 12) {
                var type = options.timestampType.rawValue
                try file.ioctl(.timestampType, ALSA_IOCTL_TTSTAMP, &type)
            }
            var space = HardwareParameters.any
            try file.ioctl(.hwRefine, ALSA_IOCTL_HW_REFINE, &space.raw)
            let capabilities = HardwareCapabilities(refined: space)
            self.pointers = try PointerExchange(file: file, info: capabilities.info, kernelProtocol: kernelProtocol,
                                                announcedProtocol: announced, forced: options.forceSyncPtr)
            self.kernelProtocol = kernelProtocol
            self.deviceInfo = PCMDeviceInfo(info)
            self.capabilities = capabilities
            self.file = file
        } catch {
            pollDescriptor.deallocate()
            try? file.close()
            throw error
        }
    }

    deinit {
        try? close()
        pollDescriptor.deallocate()
    }

    /// Unmaps everything and closes the descriptor. Later calls fail with EBADF. Safe to call twice.
    public func close() throws(AlsaError) {
        guard !file.isClosed else { return }
        unmapData()
        pointers.release()
        try file.close()
    }

    /// The sync path of each record, and why. Tools print this.
    public var syncStrategy: SyncStrategy { pointers.strategy }

    /// What a transfer does on an xrun or a suspend (from `options`).
    public var recoveryPolicy: RecoveryPolicy { options.recovery }

    public var syncReport: SyncReport {
        SyncReport(transport: .direct,
                   hardware: HardwareAddress(card: Int(deviceInfo.card), device: Int(deviceInfo.device),
                                             subdevice: Int(deviceInfo.subdevice)),
                   deviceRequiresExplicitSync: (setup?.info ?? capabilities.info).contains(.explicitSync),
                   strategy: pointers.strategy)
    }

    /// True once the kernel reported the device gone (ENODEV): the handle is dead.
    public var isDisconnected: Bool { file.isDisconnected }

    public private(set) lazy var isNonBlocking = options.nonBlocking

    /// Switches O_NONBLOCK on the descriptor (fcntl).
    public func setNonBlocking(_ nonBlocking: Bool) throws(AlsaError) {
        try file.checkUsable(.open)
        do {
            try file.kernel.setNonBlocking(file.fd, nonBlocking)
        } catch {
            throw AlsaError(.open, error, context: "fcntl(O_NONBLOCK)")
        }
        isNonBlocking = nonBlocking
    }

    // MARK: configuration

    /// Negotiates `request` with the device (nearest match for each number), installs it with
    /// HW_PARAMS, installs default software parameters and prepares the stream. Returns what was
    /// granted, which may differ from what was asked.
    @discardableResult
    public func configure(_ request: HardwareRequest) throws(AlsaError) -> HardwareSetup {
        try request.validate()
        // Whatever happens below, the old configuration is gone once HW_REFINE starts narrowing a
        // new one; the setup is published only when every step succeeded.
        unmapData()
        setup = nil
        softwareParameters = nil
        try request.checkPeriodWakeups(offered: capabilities.info, device: name)
        var params = try negotiation.run(request)
        if !request.periodWakeups { params.raw.flags |= ALSA_HW_PARAMS_NO_PERIOD_WAKEUP }
        params.requestFullRefine()
        try file.ioctl(.hwParams, ALSA_IOCTL_HW_PARAMS, &params.raw)
        let granted = try HardwareSetup(fixed: params)
        do {
            try pointers.apply(info: granted.info)
            try installSoftwareParameters(.defaults(for: granted, direction: direction))
            if granted.access.isMmap { try mapData(granted) }
            setup = granted
            try prepare()
        } catch {
            unmapData()
            setup = nil
            softwareParameters = nil
            throw error
        }
        return granted
    }

    /// Negotiation through this PCM's HW_REFINE, which narrows a copy of the configuration space and
    /// leaves the stream's own configuration and state as they are.
    private var negotiation: Negotiation {
        let file = self.file
        return Negotiation { (p: inout HardwareParameters) throws(AlsaError) in
            p.requestFullRefine()
            try file.ioctl(.hwRefine, ALSA_IOCTL_HW_REFINE, &p.raw)
        }
    }

    /// Why the device would refuse `request` taken exactly (see `Negotiation.refusal(ofExactly:)`),
    /// or nil when it accepts it; configures nothing. Impossible numbers throw, as `configure` does.
    func refusal(ofExactly request: HardwareRequest) throws(AlsaError) -> String? {
        try request.validate()
        do {
            try request.checkPeriodWakeups(offered: capabilities.info, device: name)
        } catch {
            return "period wakeups off are not supported (no NO_PERIOD_WAKEUP in its info \(capabilities.info))"
        }
        return try negotiation.refusal(ofExactly: request)
    }

    /// Installs software parameters (thresholds, avail_min, timestamps). The kernel's `boundary` is
    /// kept from its answer.
    public func installSoftwareParameters(_ parameters: SoftwareParameters) throws(AlsaError) {
        var record = try parameters.kernelRecord()
        record.boundary = UInt(bitPattern: softwareParameters?.boundary ?? 0)
        try file.ioctl(.swParams, ALSA_IOCTL_SW_PARAMS, &record)
        softwareParameters = SoftwareParameters(kernelRecord: record)
    }

    /// Releases the hardware configuration (HW_FREE); the PCM returns to OPEN.
    public func freeHardware() throws(AlsaError) {
        unmapData()
        try file.ioctl(.hwFree, ALSA_IOCTL_HW_FREE, nil)
        setup = nil
        softwareParameters = nil
    }

    private func mapData(_ setup: HardwareSetup) throws(AlsaError) {
        let length = setup.bufferBytes
        let base = try file.mmap(.mmapData, length: length, protection: PROT_READ | PROT_WRITE,
                                 offset: ALSA_MMAP_OFFSET_DATA)
        dataMapping = base
        dataMappingLength = length
        channelAreas = .allocate(capacity: setup.channelCount)
        channelAreas.initialize(repeating: (offset: 0, step: 0))
        for channel in 0..<setup.channelCount {
            var info = snd_pcm_channel_info()
            info.channel = UInt32(truncatingIfNeeded: channel)
            do {
                try file.ioctl(.channelInfo, ALSA_IOCTL_CHANNEL_INFO, &info)
            } catch {
                unmapData()
                throw error
            }
            channelAreas[Int(channel)] = (offset: Int(info.offset) + Int(info.first / 8), step: Int(info.step / 8))
        }
    }

    func unmapData() {
        pendingTransfer = nil
        if let base = dataMapping {
            dataMapping = nil
            try? file.munmap(base, length: dataMappingLength)
        }
        channelAreas.deallocate()
        channelAreas = UnsafeMutableBufferPointer(start: nil, count: 0)
    }

    // MARK: state and position

    /// The stream's state, as the kernel has it now (no hardware sync).
    public var state: StreamState {
        get throws(AlsaError) {
            try pointers.pull()
            return pointers.state
        }
    }

    /// Frames that can be transferred now, after synchronising with the hardware (phase 1).
    public func avail() throws(AlsaError) -> Int {
        let setup = try requireSetup(.status)
        try pointers.query(hardwareSync: true)
        return available(setup)
    }

    /// Frames between the app and the hardware (DELAY; syncs captured data for the CPU).
    public func delay() throws(AlsaError) -> Int {
        var frames = 0
        try file.ioctl(.delay, ALSA_IOCTL_DELAY, &frames)
        return frames
    }

    /// Frames transferable now and the kernel's timestamp of that position (the status record's
    /// `tstamp`, on the clock chosen at open), after synchronising with the hardware.
    public func availWithTimestamp() throws(AlsaError) -> (avail: Int, timestamp: Duration) {
        let setup = try requireSetup(.status)
        try pointers.query(hardwareSync: true)
        return (available(setup), Duration(pointers.timestamp))
    }

    /// The kernel's STATUS record.
    public func status() throws(AlsaError) -> PCMStatus {
        var record = snd_pcm_status()
        try file.ioctl(.status, ALSA_IOCTL_STATUS, &record)
        return PCMStatus(record)
    }

    /// Frames transferable from the records as they stand (no call).
    func available(_ setup: HardwareSetup) -> Int {
        let boundary = softwareParameters?.boundary ?? 0
        let hw = Int(bitPattern: pointers.hwPtr)
        let appl = Int(bitPattern: pointers.applPtr)
        var avail = direction == .playback ? hw + setup.bufferSize - appl : hw - appl
        if avail < 0 { avail += boundary } else if avail >= boundary && boundary > 0 { avail -= boundary }
        return avail
    }

    func requireSetup(_ operation: PCMOperation) throws(AlsaError) -> HardwareSetup {
        guard let setup else {
            throw AlsaError(operation, .badFileDescriptorState, context: "the PCM has no hardware configuration; call configure first")
        }
        return setup
    }

    // MARK: lifecycle

    /// Prepares the stream for transfers (PREPARE).
    public func prepare() throws(AlsaError) {
        try file.ioctl(.prepare, ALSA_IOCTL_PREPARE, nil)
        pendingTransfer = nil
        pointers.kernelMovedApplPtr()
    }

    /// Starts the stream (START).
    public func start() throws(AlsaError) {
        try file.ioctl(.start, ALSA_IOCTL_START, nil)
    }

    /// Stops at once, discarding pending frames.
    public func drop() throws(AlsaError) {
        try file.ioctl(.drop, ALSA_IOCTL_DROP, nil)
        pendingTransfer = nil
        pointers.kernelMovedApplPtr()
    }

    /// Plays out what is queued, then stops. Blocks unless the PCM is non-blocking (then EAGAIN while
    /// draining).
    public func drain() throws(AlsaError) {
        try file.ioctl(.drain, ALSA_IOCTL_DRAIN, nil)
    }

    /// Pauses or releases the stream (PAUSE); needs hardware that can pause.
    public func pause(_ paused: Bool) throws(AlsaError) {
        // PAUSE takes its flag as the ioctl's value argument, not through a pointer.
        try file.ioctl(.pause, ALSA_IOCTL_PAUSE, UnsafeMutableRawPointer(bitPattern: paused ? 1 : 0))
    }

    /// Resumes after a system suspend (RESUME).
    public func resume() throws(AlsaError) {
        try file.ioctl(.resume, ALSA_IOCTL_RESUME, nil)
    }

    /// Moves `appl_ptr` back to `hw_ptr`, dropping queued frames without stopping.
    public func reset() throws(AlsaError) {
        try file.ioctl(.reset, ALSA_IOCTL_RESET, nil)
        pointers.kernelMovedApplPtr()
    }

    /// Moves `appl_ptr` forward by up to `frames` (FORWARD); returns the frames moved.
    @discardableResult
    public func forward(_ frames: Int) throws(AlsaError) -> Int {
        try moveApplPtr(.forward, ALSA_IOCTL_FORWARD, frames)
    }

    /// Moves `appl_ptr` back by up to `frames` (REWIND); returns the frames moved.
    @discardableResult
    public func rewind(_ frames: Int) throws(AlsaError) -> Int {
        try moveApplPtr(.rewind, ALSA_IOCTL_REWIND, frames)
    }

    private func moveApplPtr(_ operation: PCMOperation, _ request: UInt, _ frames: Int) throws(AlsaError) -> Int {
        var count = UInt(max(frames, 0))
        // The kernel writes the frames it moved back into the argument.
        try file.ioctl(operation, request, &count)
        pointers.kernelMovedApplPtr()
        return Int(bitPattern: count)
    }
}
