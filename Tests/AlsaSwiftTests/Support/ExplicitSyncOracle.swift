import AlsaSimulation
@testable import AlsaSwift
import CAlsaKernel
import Glibc
import SystemPackage

/// What a strict non-coherent device tells about one direction of its PCM: the simulated device's
/// observation, or the rig test card's /proc/asound/cardN/explicit_sync. The sync counters start
/// again at every PREPARE; the rest is kept from open.
struct SyncCounters: Equatable, CustomStringConvertible {
    var frames: UInt64 = 0
    var checksum: UInt64 = FrameChecksum.seed
    var underrunFrames: UInt64 = 0
    var xruns: UInt64 = 0
    var cpuSyncs: UInt64 = 0
    var deviceSyncs: UInt64 = 0
    /// Playback: frames played while the device's copy differed from what the CPU wrote.
    var staleFrames: UInt64 = 0
    /// Playback: committed frames not yet played that changed after their commit (a write after commit).
    var lateFrames: UInt64 = 0
    /// Capture: frames consumed while the CPU's view differed from what the device captured.
    var poisonedFrames: UInt64 = 0

    var description: String {
        "frames \(frames), underrun \(underrunFrames), xruns \(xruns), CPU syncs \(cpuSyncs), device syncs \(deviceSyncs), "
            + "stale \(staleFrames), late \(lateFrames), poisoned \(poisonedFrames)"
    }
}

/// A machine with a strict explicit-sync device at `card`, device 0: the kernel to open it through
/// and where its counters are read.
struct SyncOracle {
    let kernel: any KernelInterface
    let card: Int
    let counters: (StreamDirection) -> SyncCounters
    /// What passes between a wake-up and the client's next call. On the rig that is real time; the
    /// simulated clock only moves when told, so its oracle moves the device on by a few frames, as
    /// the scheduler always would.
    let wakeUpLatency: () -> Void
    /// Lets `frames` frames of time (at 48 kHz) pass.
    let letTimePass: (Int) -> Void

    static func simulated(_ kernel: SimulatedKernel) -> SyncOracle {
        SyncOracle(kernel: kernel, card: 0, counters: { direction in
            let seen = direction == .playback ? kernel.playbackObservation() : kernel.captureObservation()
            // The simulator counts in Int, the driver's /proc file in unsigned 64-bit words.
            return SyncCounters(frames: UInt64(seen.frames), checksum: seen.checksum, underrunFrames: UInt64(seen.underrunFrames),
                                xruns: UInt64(seen.xruns), cpuSyncs: UInt64(seen.cpuSyncs), deviceSyncs: UInt64(seen.deviceSyncs),
                                staleFrames: UInt64(seen.staleFrames), lateFrames: UInt64(seen.lateFrames),
                                poisonedFrames: UInt64(seen.poisonedFrames))
        }, wakeUpLatency: { kernel.advance(frames: 16) }, letTimePass: { kernel.advance(frames: $0) })
    }

    static func rig(card: Int) -> SyncOracle {
        SyncOracle(kernel: LinuxKernel.shared, card: card, counters: { direction in
            let values = RigEnvironment.explicitSyncCounters(card: card)
            let prefix = direction == .playback ? "playback_" : "capture_"
            func value(_ name: String) -> UInt64 { values[prefix + name] ?? 0 }
            return SyncCounters(frames: value("frames"), checksum: values[prefix + "checksum"] ?? 0,
                                underrunFrames: value("underrun_frames"), xruns: value("xruns"),
                                cpuSyncs: value("cpu_syncs"), deviceSyncs: value("device_syncs"),
                                staleFrames: value("stale_frames"), lateFrames: value("late_frames"),
                                poisonedFrames: value("poisoned_frames"))
        }, wakeUpLatency: {}, letTimePass: { usleep(useconds_t($0 * 1_000_000 / 48_000)) })
    }
}

/// A client written straight on the seam in the tinyalsa style (SYNC_PTR around every mmap
/// transfer), which can break exactly one rule of the explicit-sync contract. The library's own
/// KernelPCM only negotiates the configuration and maps the buffer; every transfer is this client's.
final class RawSyncPtrClient {
    enum Fault: String, CustomStringConvertible, Sendable {
        /// Follows the contract: query with HWSYNC, transfer, commit.
        case none
        /// Capture: learns hw_ptr with SYNC_PTR but without HWSYNC, so no CPU sync precedes the read.
        case skipCpuSync
        /// Playback: commits appl_ptr (the flush) before it writes the frames, then adds one
        /// trailing flush at the end, so only data played before a later flush is wrong.
        case commitBeforeWriting
        /// Playback: writes and commits each period as the contract says, then writes it again
        /// (other data) while it is still committed; the next commit's flush carries the new data.
        case rewriteCommitted
        /// Playback, within the contract: writes and commits each period, takes it back with
        /// REWIND, writes it again (other data) and commits it again.
        case rewindThenRewrite
        /// Playback: writes the frames and keeps appl_ptr to itself; the kernel never hears of them
        /// (`playWithoutCommitting`).
        case neverCommit

        var description: String { rawValue }
    }

    let oracle: SyncOracle
    let pcm: KernelPCM
    let fd: FileDescriptor
    let data: UnsafeMutableRawPointer
    let bufferFrames: Int
    let periodFrames: Int
    let frameBytes: Int
    let boundary: UInt
    private var record = snd_pcm_sync_ptr()

    /// Opens and configures (mmap, interleaved) the oracle's device; prepared, not started. With
    /// `neverStop` the stream keeps running with nothing queued (stop threshold = boundary).
    init(_ oracle: SyncOracle, direction: StreamDirection, periodFrames: Int, periods: Int, neverStop: Bool = false) throws {
        self.oracle = oracle
        pcm = try KernelPCM(card: oracle.card, device: 0, direction: direction, kernel: oracle.kernel)
        let setup = try pcm.configure(HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                                      periodSize: periodFrames, periodCount: periods))
        if neverStop, var sw = pcm.softwareParameters {
            sw.stopThreshold = sw.boundary
            try pcm.installSoftwareParameters(sw)
        }
        fd = pcm.file.fd
        data = pcm.dataMapping!
        bufferFrames = Int(setup.bufferSize)
        self.periodFrames = Int(setup.periodSize)
        frameBytes = setup.frameBytes
        boundary = UInt(pcm.softwareParameters!.boundary)
        record.c.control.avail_min = UInt(periodFrames)
    }

    func syncPtr(_ flags: UInt32) throws(Errno) {
        record.flags = flags
        _ = try withUnsafeMutablePointer(to: &record) { (p) throws(Errno) -> Int32 in
            try oracle.kernel.ioctl(fd, ALSA_IOCTL_SYNC_PTR, UnsafeMutableRawPointer(p))
        }
    }

    func ioctl(_ request: UInt) throws(Errno) { _ = try oracle.kernel.ioctl(fd, request, nil) }

    /// REWIND by `frames`; returns the frames the kernel took back.
    private func rewind(_ frames: Int) throws(Errno) -> Int {
        var count = UInt(frames)
        _ = try withUnsafeMutablePointer(to: &count) { (p) throws(Errno) -> Int32 in
            try oracle.kernel.ioctl(fd, ALSA_IOCTL_REWIND, UnsafeMutableRawPointer(p))
        }
        return Int(count)
    }

    /// Phase 1 of the contract (or the faulty pull without HWSYNC).
    private func query(cpuSync: Bool) throws(Errno) {
        try syncPtr((cpuSync ? ALSA_SYNC_PTR_HWSYNC : 0) | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
    }

    /// Phase 2: push appl_ptr (APPL clear), which flushes the buffer to the device.
    func commit(to appl: UInt) throws(Errno) {
        record.c.control.appl_ptr = appl
        try syncPtr(ALSA_SYNC_PTR_AVAIL_MIN)
    }

    private func advanced(_ appl: UInt, by frames: Int) -> UInt { (appl + UInt(frames)) % boundary }

    private func waitForRoom(_ events: Int16) throws(Errno) {
        var descriptor = pollfd(fd: fd.rawValue, events: events, revents: 0)
        _ = try oracle.kernel.poll(&descriptor, count: 1, timeout: .milliseconds(1000))
        oracle.wakeUpLatency()
    }

    /// Plays `total` frames of the test pattern; returns the checksum of what it left in each
    /// period at the end (its last write), in order.
    func play(frames total: Int, fault: Fault = .none) throws -> UInt64 {
        precondition(![.skipCpuSync, .neverCommit].contains(fault), "a playback client that commits")
        var checksum = StreamChecksum()
        var appl: UInt = 0
        var written = 0
        while written < total {
            try query(cpuSync: true)
            guard StreamState(kernelValue: record.s.status.state) != .xrun else { throw Errno.brokenPipe }
            // Whole periods only, so appl_ptr stays on the period boundaries that wake poll.
            let room = bufferFrames - Int((appl + boundary - record.s.status.hw_ptr) % boundary)
            if room < min(periodFrames, total - written) {
                if StreamState(kernelValue: record.s.status.state) == .prepared { try ioctl(ALSA_IOCTL_START) }
                try waitForRoom(Int16(POLLOUT))
                continue
            }
            let offset = Int(appl % UInt(bufferFrames))
            let frames = min(room, total - written, bufferFrames - offset, periodFrames)
            let next = advanced(appl, by: frames)
            switch fault {
            case .commitBeforeWriting:
                try commit(to: next)
                fill(offset: offset, frames: frames, streamFrame: written)
            case .rewriteCommitted:
                fill(offset: offset, frames: frames, streamFrame: written)
                try commit(to: next)
                fill(offset: offset, frames: frames, streamFrame: written, variant: true)
            case .rewindThenRewrite:
                fill(offset: offset, frames: frames, streamFrame: written)
                try commit(to: next)
                // The kernel takes back at most what the device has not played yet.
                let back = try rewind(frames)
                fill(offset: offset + frames - back, frames: back, streamFrame: written + frames - back, variant: true)
                try commit(to: next)
            default:
                fill(offset: offset, frames: frames, streamFrame: written)
                try commit(to: next)
            }
            checksum.add(UnsafeRawBufferPointer(start: data + offset * frameBytes, count: frames * frameBytes))
            appl = next
            written += frames
        }
        if [.commitBeforeWriting, .rewriteCommitted].contains(fault) { try commit(to: appl) }  // the trailing flush
        try query(cpuSync: true)
        if StreamState(kernelValue: record.s.status.state) == .prepared { try ioctl(ALSA_IOCTL_START) }
        try ioctl(ALSA_IOCTL_DRAIN)
        return checksum.value
    }

    /// The `neverCommit` client: fills the buffer lap after lap for `total` frames of time while
    /// the stream runs (it never stops: nothing is ever queued), without telling the kernel.
    func playWithoutCommitting(frames total: Int) throws -> UInt64 {
        var checksum = StreamChecksum()
        var written = 0
        while written < total {
            let offset = written % bufferFrames
            let frames = min(periodFrames, total - written, bufferFrames - offset)
            fill(offset: offset, frames: frames, streamFrame: written)
            checksum.add(UnsafeRawBufferPointer(start: data + offset * frameBytes, count: frames * frameBytes))
            written += frames
            if written == min(bufferFrames, total) { try ioctl(ALSA_IOCTL_START) }
            if written > bufferFrames { oracle.letTimePass(frames) }
        }
        oracle.letTimePass(bufferFrames)
        try ioctl(ALSA_IOCTL_DROP)
        return checksum.value
    }

    /// Writes frames `streamFrame...` of the test pattern at ring offset `offset`; a `variant` write
    /// puts other data (the pattern inverted), as a client correcting what it wrote would.
    func fill(offset: Int, frames: Int, streamFrame: Int, variant: Bool = false) {
        let bytes = UnsafeMutableRawBufferPointer(start: data + offset * frameBytes, count: frames * frameBytes)
        for i in bytes.indices { bytes[i] = patternByte(streamFrame * frameBytes + i) ^ (variant ? 0xFF : 0) }
    }

    /// Captures `total` frames with mmap transfers; returns the bytes read.
    func capture(frames total: Int, fault: Fault = .none) throws -> [UInt8] {
        var captured: [UInt8] = []
        captured.reserveCapacity(total * frameBytes)
        try ioctl(ALSA_IOCTL_START)
        var appl: UInt = 0
        while captured.count < total * frameBytes {
            try query(cpuSync: fault != .skipCpuSync)
            guard StreamState(kernelValue: record.s.status.state) != .xrun else { throw Errno.brokenPipe }
            let available = Int((record.s.status.hw_ptr + boundary - appl) % boundary)
            if available < min(periodFrames, total - captured.count / frameBytes) {
                try waitForRoom(Int16(POLLIN))
                continue
            }
            let offset = Int(appl % UInt(bufferFrames))
            let frames = min(available, total - captured.count / frameBytes, bufferFrames - offset)
            captured += UnsafeRawBufferPointer(start: data + offset * frameBytes, count: frames * frameBytes)
            appl = advanced(appl, by: frames)
            try commit(to: appl)
        }
        try ioctl(ALSA_IOCTL_DROP)
        return captured
    }
}

/// The frames the strict capture device produces from START: the same signal in the simulator and
/// on the rig's test card.
func strictDeviceSignal(frames: Int, frameBytes: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(frames * frameBytes)
    for f in 0..<frames {
        for b in 0..<frameBytes { bytes.append(SimulatedKernel.captureSample(frame: UInt64(f), byte: b)) }
    }
    return bytes
}

/// How many frames of `captured` differ from `expected` (frames missing from either count too).
/// Tests compare through this count: an expectation on two large arrays would have the test
/// library diff them element by element, which takes minutes when they differ.
func mismatchedFrames(_ captured: [UInt8], _ expected: [UInt8], frameBytes: Int) -> Int {
    let common = min(captured.count, expected.count) / frameBytes
    var differing = 0
    for f in 0..<common where captured[f * frameBytes..<(f + 1) * frameBytes] != expected[f * frameBytes..<(f + 1) * frameBytes] {
        differing += 1
    }
    return differing + (max(captured.count, expected.count) / frameBytes - common)
}
