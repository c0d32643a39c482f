import CAlsa
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A PCM opened through alsa-lib by any ALSA name: `default`, `plughw:1,0`, `dmix`, `pulse`, a
/// name from `~/.asoundrc`. Same interface as the direct transport (`PCM`), same Swift types.
///
/// alsa-lib hides `SNDRV_PCM_INFO_EXPLICIT_SYNC`; `syncReport` asks the kernel PCM behind the name
/// directly (through the descriptor alsa-lib polls) whether the device requires explicit sync,
/// and reads this process's mappings to tell which path each record took.
///
/// One owner at a time (not `Sendable`). Closes on deinit.
///
/// State read on the audio path is marked `@exclusivity(unchecked)`: the handle has one owner, so
/// the runtime's dynamic exclusivity check (a call per access) guards nothing here.
public final class AlsaLibPCM: PCM {
    public let name: String
    /// Playback or capture.
    public let direction: StreamDirection
    /// Always `.alsaLib`.
    public var transport: PCMTransport { .alsaLib }
    /// The options it was opened with.
    public let options: PCMOpenOptions
    /// The machine's kernel seam, which serves alsa-lib's descriptors.
    public let kernel: any KernelInterface
    /// What a transfer does on an xrun or a suspend (from `options`).
    public var recoveryPolicy: RecoveryPolicy { options.recovery }
    public let capabilities: HardwareCapabilities
    @exclusivity(unchecked) public private(set) var setup: HardwareSetup? {
        didSet { readWriteInterleavedFrameBytes = setup.map { $0.access == .readWriteInterleaved ? $0.frameBytes : 0 } ?? 0 }
    }
    /// The frame size while the PCM is configured for interleaved read/write, else 0: what a
    /// read/write transfer checks, without copying the setup (as `KernelPCM` does).
    @exclusivity(unchecked) private(set) var readWriteInterleavedFrameBytes = 0
    /// The software parameters in force, once configured.
    @exclusivity(unchecked) public private(set) var softwareParameters: SoftwareParameters?
    @exclusivity(unchecked) public internal(set) var xrunCount = 0
    /// Unchecked like the rest: the recovery path writes it, and a checked access there makes the
    /// optimiser open a runtime access (a call) around every read/write transfer.
    @exclusivity(unchecked) public internal(set) var suspendCount = 0
    @exclusivity(unchecked) public private(set) var isDisconnected = false
    public private(set) lazy var isNonBlocking = options.nonBlocking

    /// The alsa-lib handle; nil once closed.
    @exclusivity(unchecked) var handle: OpaquePointer?
    /// What the kernel PCM behind the name declared, read once at open.
    let hardwareProbe: KernelPCMProbe?
    /// mmap channel areas (relative to the first channel's address), refreshed by `beginTransfer`;
    /// allocated at configure so the audio path allocates nothing.
    @exclusivity(unchecked) var mmapAreas = UnsafeMutableBufferPointer<(offset: Int, step: Int)>(start: nil, count: 0)
    @exclusivity(unchecked) var pendingTransfer: (offset: Int, frames: Int)?
    /// True from a successful start until anything that can stop the stream: while it holds, the
    /// mmap path asks alsa-lib for no state (an xrun still shows in avail_update's answer).
    @exclusivity(unchecked) var knownRunning = false
    /// Linked to another PCM (`link(to:)`), which can start and stop this one: `knownRunning` is
    /// then never trusted.
    @exclusivity(unchecked) var isLinked = false
    /// Phase 1 of an mmap transfer must make the kernel sync the buffer for the CPU: the kernel PCM
    /// behind the name requires explicit sync, or its status record is not mapped. Then
    /// `beginTransfer` asks `snd_pcm_avail` (a hwsync: SYNC_PTR with HWSYNC, or the HWSYNC ioctl)
    /// instead of `snd_pcm_avail_update`, which only pulls the pointers and syncs nothing
    /// (alsa-lib's `src/pcm/pcm.c` documents it as "not synced with hardware"; the ExplicitSync
    /// article has the two phases). Decided at configure, from the kernel PCM's own answers.
    @exclusivity(unchecked) var mmapQuerySyncsForCPU = false
    /// The configuration the PCM was opened with, kept while alsa-lib may refer to it.
    let localConfiguration: LocalConfiguration?
    /// Poll descriptors for `wait`, allocated once.
    let pollSet: UnsafeMutableBufferPointer<pollfd>
    /// Frames the app wrote (playback) or read (capture) since the last prepare: the application
    /// pointer, which alsa-lib's public status does not show (AlsaLibPCM+Timing.swift).
    @exclusivity(unchecked) var applicationPosition = 0
    /// The last timeout `wait` converted to milliseconds, and the result (AlsaLibPCM+Transfers.swift).
    @exclusivity(unchecked) var lastWait: (timeout: Duration?, milliseconds: Int32) = (nil, -1)
    /// alsa-lib's status record for `timing()`, allocated at its first call.
    @exclusivity(unchecked) var statusRecord: OpaquePointer?

    /// Opens `name` for `direction`. Non-blocking at first, so that a busy device fails with EBUSY
    /// instead of hanging, then switched to the mode `options` asks for. `forceSyncPtr` does not
    /// apply (alsa-lib decides its own record paths); use the direct transport for that.
    ///
    /// `configuration` is alsa-lib configuration text (the syntax of `~/.asoundrc`) loaded on top of
    /// the system's for this open only, so an app can define a PCM without touching the user's
    /// files, e.g. `pcm.capture { type file slave.pcm "hw:0" file "/tmp/out.raw" }`.
    /// `kernel` is the seam to the machine alsa-lib runs on (it must serve the machine's devices);
    /// AlsaSwift's own calls on alsa-lib's descriptors, its probe and its polls, go through it.
    public init(name: String, direction: StreamDirection, configuration: String? = nil,
                options: PCMOpenOptions = PCMOpenOptions(), kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        guard kernel.servesMachineDevices else {
            throw AlsaError(.open, .invalidArgument, context: "\(name) needs alsa-lib, which runs on the machine's kernel only")
        }
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        self.name = name
        self.direction = direction
        self.options = options
        self.kernel = kernel
        let stream = direction == .playback ? SND_PCM_STREAM_PLAYBACK : SND_PCM_STREAM_CAPTURE
        let tree = try configuration.map { (text: String) throws(AlsaError) in try LocalConfiguration(text: text) }
        let pcm = try Self.open(name, stream, tree)
        localConfiguration = tree
        do throws(AlsaError) {
            if !options.nonBlocking { try LibraryCall.check(snd_pcm_nonblock(pcm, 0), .open) }
            capabilities = try Self.readCapabilities(pcm)
            let count = Int(snd_pcm_poll_descriptors_count(pcm))
            guard count > 0 else { throw AlsaError(.poll, .invalidArgument, context: "\(name) has no poll descriptor") }
            pollSet = .allocate(capacity: count)
            pollSet.initialize(repeating: pollfd())
            _ = try LibraryCall.check(snd_pcm_poll_descriptors(pcm, pollSet.baseAddress, UInt32(count)), .poll)
        } catch {
            snd_pcm_close(pcm)
            throw error
        }
        handle = pcm
        hardwareProbe = KernelPCMProbe(descriptors: UnsafeBufferPointer(pollSet), kernel: kernel)
    }

    private static func open(_ name: String, _ stream: snd_pcm_stream_t, _ tree: LocalConfiguration?) throws(AlsaError) -> OpaquePointer {
        var pcm: OpaquePointer?
        let opened: Int32
        if let tree {
            opened = snd_pcm_open_lconf(&pcm, name, stream, SND_PCM_NONBLOCK, tree.pointer)
        } else {
            opened = snd_pcm_open(&pcm, name, stream, SND_PCM_NONBLOCK)
        }
        guard opened >= 0, let pcm else {
            throw LibraryCall.error(Int(opened), .open, context: LibraryCall.takeMessage().map { "\(name): \($0)" } ?? name)
        }
        return pcm
    }

    deinit {
        try? close()
        if let statusRecord { snd_pcm_status_free(statusRecord) }
        mmapAreas.deallocate()
        pollSet.deallocate()
    }

    public func close() throws(AlsaError) {
        guard let pcm = handle else { return }
        handle = nil
        setup = nil
        softwareParameters = nil
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        try LibraryCall.check(snd_pcm_close(pcm), .close)
    }

    /// The live handle, or the error a closed or vanished PCM gives.
    func live(_ operation: PCMOperation) throws(AlsaError) -> OpaquePointer {
        guard let handle else { throw AlsaError(operation, .badFileDescriptor, context: "the PCM is closed") }
        if isDisconnected { throw AlsaError(operation, .noDevice) }
        return handle
    }

    /// Runs an alsa-lib call that returns a negative errno on failure; ENODEV marks the PCM dead.
    @discardableResult
    func call(_ operation: PCMOperation, _ body: (OpaquePointer) -> Int) throws(AlsaError) -> Int {
        let pcm = try live(operation)
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        let result = body(pcm)
        if result < 0 {
            let error = LibraryCall.error(result, operation)
            if error.kind == .disconnected { isDisconnected = true }
            throw error
        }
        return result
    }

    /// Switches between blocking and non-blocking transfers (`snd_pcm_nonblock`).
    public func setNonBlocking(_ nonBlocking: Bool) throws(AlsaError) {
        try call(.open) { Int(snd_pcm_nonblock($0, nonBlocking ? 1 : 0)) }
        isNonBlocking = nonBlocking
    }

    public var syncReport: SyncReport {
        guard let probe = hardwareProbe else {
            return SyncReport(transport: .alsaLib, hardware: nil, deviceRequiresExplicitSync: nil, strategy: nil)
        }
        return SyncReport(transport: .alsaLib, hardware: probe.address,
                          deviceRequiresExplicitSync: probe.info.contains(.explicitSync),
                          strategy: probe.strategyInEffect())
    }

    // MARK: state and position

    /// The stream's state now (`snd_pcm_state`).
    public var state: StreamState {
        get throws(AlsaError) {
            let pcm = try live(.status)
            let state = StreamState(kernelValue: Int32(snd_pcm_state(pcm).rawValue))
            if state == .disconnected { isDisconnected = true }
            return state
        }
    }

    public func avail() throws(AlsaError) -> Int {
        try call(.status) { snd_pcm_avail($0) }
    }

    public func availWithTimestamp() throws(AlsaError) -> (avail: Int, timestamp: Duration) {
        var frames: snd_pcm_uframes_t = 0
        var stamp = timespec()
        // htimestamp reads what the last pointer update left; update it first, as avail() does.
        try call(.status) { snd_pcm_avail($0) }
        try call(.status) { Int(snd_pcm_htimestamp($0, &frames, &stamp)) }
        return (Int(frames), Duration(stamp))
    }

    public func delay() throws(AlsaError) -> Int {
        var frames: snd_pcm_sframes_t = 0
        try call(.delay) { Int(snd_pcm_delay($0, &frames)) }
        return frames
    }

    // MARK: lifecycle

    /// Prepares the stream for transfers (`snd_pcm_prepare`).
    public func prepare() throws(AlsaError) {
        knownRunning = false
        try call(.prepare) { Int(snd_pcm_prepare($0)) }
        pendingTransfer = nil
        applicationPosition = 0
    }

    /// Starts the stream (`snd_pcm_start`).
    public func start() throws(AlsaError) {
        try call(.start) { Int(snd_pcm_start($0)) }
        knownRunning = !isLinked
    }

    /// Stops at once, discarding pending frames (`snd_pcm_drop`).
    public func drop() throws(AlsaError) {
        knownRunning = false
        try call(.drop) { Int(snd_pcm_drop($0)) }
        pendingTransfer = nil
        applicationPosition = 0
    }

    /// Plays out the pending frames, then stops (`snd_pcm_drain`).
    public func drain() throws(AlsaError) {
        knownRunning = false
        try call(.drain) { Int(snd_pcm_drain($0)) }
    }

    /// Pauses or releases the stream (`snd_pcm_pause`); needs hardware that can pause.
    public func pause(_ paused: Bool) throws(AlsaError) {
        knownRunning = false
        try call(.pause) { Int(snd_pcm_pause($0, paused ? 1 : 0)) }
    }

    /// Resumes after a system suspend (`snd_pcm_resume`).
    public func resume() throws(AlsaError) {
        knownRunning = false
        try call(.resume) { Int(snd_pcm_resume($0)) }
    }

    /// Moves the application pointer to the hardware's: queued playback frames are dropped,
    /// captured frames skipped.
    public func reset() throws(AlsaError) {
        // What RESET skips, from the pointers just before it (alsa-lib shows no pointers).
        let setup = try requireSetup(.reset)
        let avail = (try? call(.reset) { snd_pcm_avail($0) }) ?? 0
        try call(.reset) { Int(snd_pcm_reset($0)) }
        applicationPosition += direction == .playback ? -(setup.bufferSize - avail) : avail
    }

    /// Moves the application pointer forward by up to `frames`; returns the frames moved.
    @discardableResult
    public func forward(_ frames: Int) throws(AlsaError) -> Int {
        let moved = try call(.forward) { snd_pcm_forward($0, snd_pcm_uframes_t(max(frames, 0))) }
        applicationPosition += moved
        return moved
    }

    /// Moves the application pointer back by up to `frames`; returns the frames moved.
    @discardableResult
    public func rewind(_ frames: Int) throws(AlsaError) -> Int {
        let moved = try call(.rewind) { snd_pcm_rewind($0, snd_pcm_uframes_t(max(frames, 0))) }
        applicationPosition -= moved
        return moved
    }

    public func recover(from error: AlsaError) throws(AlsaError) {
        if try RecoveryProcedure.recover(self, from: error) == .xrun {
            xrunCount += 1
        } else {
            suspendCount += 1
        }
    }

    func requireSetup(_ operation: PCMOperation) throws(AlsaError) -> HardwareSetup {
        guard let setup else {
            throw AlsaError(operation, .badFileDescriptorState, context: "the PCM has no hardware configuration; call configure first")
        }
        return setup
    }

    func setConfiguration(_ setup: HardwareSetup?, _ software: SoftwareParameters?) {
        self.setup = setup
        self.softwareParameters = software
        mmapQuerySyncsForCPU = setup?.access.isMmap == true && hardwareProbe.map { probe in
            probe.info.contains(.explicitSync) || !probe.strategyInEffect().status.isMapped
        } ?? false
    }
}
