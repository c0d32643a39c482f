#if canImport(Glibc)
import Glibc
#endif

/// An open PCM stream, whichever transport carries it: the direct kernel transport (`KernelPCM`)
/// or alsa-lib (`AlsaLibPCM`). Code written against this protocol switches transport by device
/// name, not by code (`PCMDevice.open`).
///
/// Thread safety: a PCM is owned by one thread at a time and is not `Sendable`. To feed it from
/// other threads use `RenderThread` and its `SampleRing`, or the `async` stream types.
public protocol PCM: AnyObject {
    /// The name it was opened with (`hw:0,0`, `default`, a device path...).
    var name: String { get }
    /// Playback or capture.
    var direction: StreamDirection { get }
    /// Which code moves the samples: the direct kernel transport or alsa-lib.
    var transport: PCMTransport { get }
    /// The kernel seam that serves this PCM's descriptors: whoever polls them (`fillPollDescriptors`)
    /// polls through it.
    var kernel: any KernelInterface { get }
    /// What the device offers through this transport (for alsa-lib names: after its plugins).
    var capabilities: HardwareCapabilities { get }
    /// The granted configuration, once `configure` succeeded.
    var setup: HardwareSetup? { get }
    /// The software parameters in force, once configured.
    var softwareParameters: SoftwareParameters? { get }
    /// What a transfer does on an xrun or a suspend.
    var recoveryPolicy: RecoveryPolicy { get }
    /// Xruns and suspends recovered, automatically or through `recover(from:)`.
    var xrunCount: Int { get }
    /// System suspends recovered, automatically or through `recover(from:)`.
    var suspendCount: Int { get }
    /// Whether the hardware behind this PCM requires explicit sync, and how the records move.
    var syncReport: SyncReport { get }
    /// True once the device is known to be gone: every later call fails.
    var isDisconnected: Bool { get }
    /// Whether transfers, waits and drain return EAGAIN instead of sleeping.
    var isNonBlocking: Bool { get }
    /// Switches between blocking and non-blocking transfers, waits and drain.
    func setNonBlocking(_ nonBlocking: Bool) throws(AlsaError)

    /// Negotiates `request` (access and format exact, the numbers as near as allowed), installs it
    /// with default software parameters, prepares the stream and returns what was granted.
    @discardableResult
    func configure(_ request: HardwareRequest) throws(AlsaError) -> HardwareSetup
    /// Installs software parameters (start and stop thresholds, `avail_min`...) over the defaults `configure`
    /// set.
    func installSoftwareParameters(_ parameters: SoftwareParameters) throws(AlsaError)
    /// Releases the hardware configuration; `configure` may be called again.
    func freeHardware() throws(AlsaError)

    /// The stream's state now.
    var state: StreamState { get throws(AlsaError) }
    /// Frames transferable now, after synchronising with the hardware.
    func avail() throws(AlsaError) -> Int
    /// Frames transferable now and the timestamp of that position.
    func availWithTimestamp() throws(AlsaError) -> (avail: Int, timestamp: Duration)
    /// Frames between the application and the hardware.
    func delay() throws(AlsaError) -> Int
    /// Where the stream is in time: the frame at the device at a kernel timestamp, the trigger
    /// time and the device's audio timestamp, from one status call (see `AudioTiming`).
    func timing() throws(AlsaError) -> AudioTiming
    /// The channel maps the device offers; empty when it offers none.
    func channelMapOptions() throws(AlsaError) -> [ChannelMapOption]
    /// The channel map in effect for the configured stream; nil when the device reports none.
    func channelMap() throws(AlsaError) -> ChannelMap?
    /// Routes the channels as `map` says (on a prepared stream, before it starts).
    func setChannelMap(_ map: ChannelMap) throws(AlsaError)

    /// Prepares the stream for transfers (after configure, an xrun or `drop`).
    func prepare() throws(AlsaError)
    /// Starts the stream explicitly (transfers also start it at the start threshold).
    func start() throws(AlsaError)
    /// Stops at once, discarding pending frames.
    func drop() throws(AlsaError)
    /// Plays out the pending frames (playback), then stops; blocks unless non-blocking.
    func drain() throws(AlsaError)
    /// Pauses (`true`) or releases (`false`) the stream; needs hardware that can pause
    /// (`PCMInfoFlags.pause`).
    func pause(_ paused: Bool) throws(AlsaError)
    /// Resumes after a system suspend; fails when the driver cannot, and then `prepare()` restarts the
    /// stream.
    func resume() throws(AlsaError)
    /// Resets the position counters, keeping the state.
    func reset() throws(AlsaError)
    /// Moves the application pointer forward by up to `frames`; returns the frames moved.
    @discardableResult func forward(_ frames: Int) throws(AlsaError) -> Int
    /// Moves the application pointer back by up to `frames`; returns the frames moved.
    @discardableResult func rewind(_ frames: Int) throws(AlsaError) -> Int

    /// Writes whole interleaved frames from `buffer`; returns the frames written. Blocks until all are
    /// queued, unless non-blocking.
    @discardableResult func writeInterleaved(_ buffer: UnsafeRawBufferPointer) throws(AlsaError) -> Int
    /// Reads whole interleaved frames into `buffer`; returns the frames read. Blocks until it is full, unless
    /// non-blocking.
    @discardableResult func readInterleaved(into buffer: UnsafeMutableRawBufferPointer) throws(AlsaError) -> Int
    /// Writes `frames` frames from one buffer per channel; returns the frames written.
    @discardableResult func writeNonInterleaved(_ channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int) throws(AlsaError) -> Int
    /// Reads up to `frames` frames into one buffer per channel; returns the frames read.
    @discardableResult func readNonInterleaved(into channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int) throws(AlsaError) -> Int

    /// Starts an mmap transfer: the contiguous frames that can be filled or read now.
    func beginTransfer(maxFrames: Int) throws(AlsaError) -> MmapArea
    /// Ends an mmap transfer of `frames` frames (at most what `beginTransfer` granted).
    func commitTransfer(_ frames: Int) throws(AlsaError)

    /// Waits until `avail_min` frames can be transferred, for at most `timeout` (nil: without
    /// limit); false when the time ran out.
    func wait(timeout: Duration?) throws(AlsaError) -> Bool
    /// How many descriptors `fillPollDescriptors` writes.
    var pollDescriptorCount: Int { get }
    /// Writes the descriptors and events to poll for this PCM into `descriptors`; returns the count.
    func fillPollDescriptors(_ descriptors: UnsafeMutableBufferPointer<pollfd>) throws(AlsaError) -> Int
    /// Turns what poll(2) returned for those descriptors into this PCM's events (POLLOUT, POLLIN,
    /// POLLERR...). Plugins such as dmix poll a timer, so the raw events are not the PCM's.
    func pollEvents(_ descriptors: UnsafeMutableBufferPointer<pollfd>) throws(AlsaError) -> Int16

    /// Links this PCM with `other`, so that the kernel starts, stops and prepares them together
    /// (SNDRV_PCM_IOCTL_LINK, `snd_pcm_link`): one `start()` starts both, and `drop()`, `prepare()`
    /// or an xrun on either acts on both, with one trigger timestamp. Both must be configured and in
    /// the same state, on the same transport and kernel. Refused with ENOSYS by PCMs that cannot link
    /// (dmix, dsnoop, the pulse, pipewire and jack plugins), EINVAL across transports or kernels,
    /// EBADFD when the states differ, EALREADY when `other` is linked already.
    func link(to other: any PCM) throws(AlsaError)
    /// Takes this PCM out of its link group (SNDRV_PCM_IOCTL_UNLINK, `snd_pcm_unlink`); a group
    /// left with one member dissolves. EALREADY when it is in none. Closing a PCM unlinks it too.
    func unlink() throws(AlsaError)

    /// Brings the stream back after an xrun (PREPARE) or a suspend (RESUME, else PREPARE).
    func recover(from error: AlsaError) throws(AlsaError)
    /// Releases the device. Safe to call twice; deinit does it too.
    func close() throws(AlsaError)
}

extension PCM {
    /// Starts an mmap transfer of as many contiguous frames as can be transferred now.
    public func beginTransfer() throws(AlsaError) -> MmapArea { try beginTransfer(maxFrames: .max) }
    /// Waits without a time limit until `avail_min` frames can be transferred.
    public func wait() throws(AlsaError) -> Bool { try wait(timeout: nil) }
}

/// Which code moves the samples.
public enum PCMTransport: Sendable, Equatable, CustomStringConvertible {
    /// AlsaSwift's own kernel transport: ioctls, mmap and SYNC_PTR on `/dev/snd/pcmC*D*`.
    case direct
    /// alsa-lib (`snd_pcm_*`), with its plugins and configuration.
    case alsaLib

    public var description: String { self == .direct ? "direct kernel transport" : "alsa-lib" }
}

/// A kernel PCM substream: `hw:card,device,subdevice`.
public struct HardwareAddress: Sendable, Equatable, CustomStringConvertible {
    /// The card's index.
    public var card: Int
    /// The PCM device's number on the card.
    public var device: Int
    /// The subdevice's number.
    public var subdevice: Int

    /// The substream `hw:card,device,subdevice`.
    public init(card: Int, device: Int, subdevice: Int) {
        self.card = card
        self.device = device
        self.subdevice = subdevice
    }

    public var description: String { "hw:\(card),\(device),\(subdevice)" }
}

/// What a PCM says about explicit sync: whether the device requires it (read from the kernel's
/// own info word, which alsa-lib hides) and the path each record takes in this process.
public struct SyncReport: Sendable, Equatable, CustomStringConvertible {
    /// The transport that moves this PCM's samples.
    public var transport: PCMTransport
    /// The kernel substream behind the PCM, when there is one this process can see.
    public var hardware: HardwareAddress?
    /// nil when no kernel PCM is visible behind the name (dmix, pulse, null...).
    public var deviceRequiresExplicitSync: Bool?
    /// nil when the records are not this process's to see (no kernel PCM behind the name).
    public var strategy: SyncStrategy?

    /// A report; PCMs make their own (`PCM.syncReport`).
    public init(transport: PCMTransport, hardware: HardwareAddress?, deviceRequiresExplicitSync: Bool?, strategy: SyncStrategy?) {
        self.transport = transport
        self.hardware = hardware
        self.deviceRequiresExplicitSync = deviceRequiresExplicitSync
        self.strategy = strategy
    }

    public var description: String {
        guard let hardware, let strategy else {
            return "\(transport): no kernel PCM visible behind this name; explicit sync unknown"
        }
        let need = deviceRequiresExplicitSync == true ? "requires explicit sync" : "does not require explicit sync"
        return "\(transport) on \(hardware), device \(need); \(strategy)"
    }
}
