@testable import AlsaSwift
import CAlsaKernel
import Glibc
import SystemPackage
import Testing

/// The explicit-sync contract checked on a strict non-coherent device, written once and run on the
/// simulated kernel (unit suite) and on the rig's test card (real kernel). Each negative control is
/// a raw client that breaks exactly one rule and is caught by a named counter or checksum; beside it
/// the same client following the rule passes, so the catch is the broken rule and nothing else.
enum StrictContractChecks {
    static let period = 1024

    /// The device's account of one client, in the test log: the figures behind each verdict.
    static func log(_ client: String, _ counters: SyncCounters) {
        print("[strict device] \(client): \(counters)")
    }

    // MARK: the mechanism

    /// Every user-space call that reaches a DMA sync in the kernel is seen by the device, with its
    /// mode, and the calls that do not sync are not; PREPARE starts the counters again.
    static func syncSitesAreSeen(_ oracle: SyncOracle) throws {
        let pcm = try KernelPCM(card: oracle.card, device: 0, direction: .playback, kernel: oracle.kernel)
        try pcm.configure(HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                          periodSize: period, periodCount: 4))
        let fd = pcm.file.fd
        var expected = (cpu: UInt64(0), device: UInt64(0))
        func check(_ what: String, cpu: UInt64 = 0, device: UInt64 = 0, _ call: () throws -> Void) throws {
            try call()
            expected.cpu += cpu
            expected.device += device
            let seen = oracle.counters(.playback)
            #expect(seen.cpuSyncs == expected.cpu, "CPU syncs after \(what)")
            #expect(seen.deviceSyncs == expected.device, "device syncs after \(what)")
        }
        func ioctl<T>(_ request: UInt, _ record: inout T) throws {
            _ = try withUnsafeMutablePointer(to: &record) { try oracle.kernel.ioctl(fd, request, UnsafeMutableRawPointer($0)) }
        }
        func syncPtr(_ flags: UInt32, appl: UInt = 0) throws {
            var record = snd_pcm_sync_ptr()
            record.flags = flags
            record.c.control.appl_ptr = appl
            record.c.control.avail_min = UInt(period)
            try ioctl(ALSA_IOCTL_SYNC_PTR, &record)
        }
        try check("PREPARE (configure)") {}
        try check("HWSYNC", cpu: 1) { _ = try oracle.kernel.ioctl(fd, ALSA_IOCTL_HWSYNC, nil) }
        try check("DELAY", cpu: 1) { var delay = 0; try ioctl(ALSA_IOCTL_DELAY, &delay) }
        try check("SYNC_PTR with HWSYNC", cpu: 1) { try syncPtr(ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN) }
        try check("SYNC_PTR without HWSYNC, APPL set") { try syncPtr(ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN) }
        try check("STATUS") { var status = snd_pcm_status(); try ioctl(ALSA_IOCTL_STATUS, &status) }
        try check("SYNC_PTR with APPL clear", device: 1) { try syncPtr(ALSA_SYNC_PTR_AVAIL_MIN, appl: UInt(period)) }
        try check("FORWARD", device: 1) { var frames: UInt = 16; try ioctl(ALSA_IOCTL_FORWARD, &frames) }
        try check("REWIND", device: 1) { var frames: UInt = 16; try ioctl(ALSA_IOCTL_REWIND, &frames) }
        try pcm.prepare()
        #expect(oracle.counters(.playback).cpuSyncs == 0)
        #expect(oracle.counters(.playback).deviceSyncs == 0)
        try pcm.close()

        // The transfer ioctls sync once per chunk: a write that does not wrap is one chunk.
        let writer = try KernelPCM(card: oracle.card, device: 0, direction: .playback, kernel: oracle.kernel)
        let setup = try writer.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                                         periodSize: period, periodCount: 4))
        let silence = [UInt8](repeating: 0, count: period * setup.frameBytes)
        _ = try silence.withUnsafeBytes { try writer.writeInterleaved($0) }
        #expect(oracle.counters(.playback).deviceSyncs == 1, "device syncs after WRITEI")
        #expect(oracle.counters(.playback).cpuSyncs == 0, "CPU syncs after WRITEI")
        try writer.close()

        let reader = try KernelPCM(card: oracle.card, device: 0, direction: .capture, kernel: oracle.kernel)
        try reader.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                             periodSize: period, periodCount: 4))
        var buffer = [UInt8](repeating: 0, count: period * setup.frameBytes)
        let read = try buffer.withUnsafeMutableBytes { try reader.readInterleaved(into: $0) }
        #expect(read == period)
        let seen = oracle.counters(.capture)
        // READI waits for the whole request, then copies it as one chunk unless the kernel woke it
        // with part of it (it then loops, one CPU sync per chunk).
        #expect(seen.cpuSyncs >= 1, "CPU syncs after READI")
        #expect(seen.deviceSyncs == 0, "device syncs after READI")
        try reader.close()
    }

    // MARK: capture

    /// A capture client that skips phase 1 reads the poison the CPU still sees; the same client
    /// with phase 1 reads the device's signal.
    static func captureWithoutCpuSyncIsCaught(_ makeOracle: () -> SyncOracle, frames: Int) throws {
        let broken = makeOracle()
        let brokenClient = try RawSyncPtrClient(broken, direction: .capture, periodFrames: period, periods: 4)
        let misread = try brokenClient.capture(frames: frames, fault: .skipCpuSync)
        let signal = strictDeviceSignal(frames: frames, frameBytes: brokenClient.frameBytes)
        let caught = broken.counters(.capture)
        log("raw capture without phase 1", caught)
        #expect(misread.count == signal.count)
        #expect(mismatchedFrames(misread, signal, frameBytes: brokenClient.frameBytes) > 0,
                "a capture client without phase 1 read the exact signal: the oracle cannot fail")
        #expect(caught.cpuSyncs == 0)
        #expect(caught.poisonedFrames > 0, "\(caught)")
        #expect(caught.xruns == 0)
        try brokenClient.pcm.close()

        let honest = makeOracle()
        let honestClient = try RawSyncPtrClient(honest, direction: .capture, periodFrames: period, periods: 4)
        let read = try honestClient.capture(frames: frames)
        let clean = honest.counters(.capture)
        log("raw capture, compliant", clean)
        #expect(mismatchedFrames(read, signal, frameBytes: honestClient.frameBytes) == 0)
        #expect(clean.poisonedFrames == 0, "\(clean)")
        #expect(clean.cpuSyncs > 0)
        #expect(clean.xruns == 0)
        try honestClient.pcm.close()
    }

    // MARK: playback

    /// What a raw playback client left on the device, and the checksum of what it meant to play.
    struct Played {
        let counters: SyncCounters
        let sent: UInt64
    }

    /// A client that changes frames after their commit, `periods` periods in the buffer: by
    /// committing before it writes (`.commitBeforeWriting`) or by writing a committed period again
    /// (`.rewriteCommitted`). The device's late counter sees it at every depth. With two periods
    /// queued, a client committing before it writes also has frames played before any flush
    /// carried them: the stale counter and the checksum see that too, although a final flush left
    /// the buffer right. Deeper, the next commit's flush carries the late data in time.
    @discardableResult
    static func writesAfterCommitAreCaught(_ oracle: SyncOracle, fault: RawSyncPtrClient.Fault, periods: Int,
                                           frames: Int) throws -> Played {
        let client = try RawSyncPtrClient(oracle, direction: .playback, periodFrames: period, periods: periods)
        let sent = try client.play(frames: frames, fault: fault)
        let caught = oracle.counters(.playback)
        log("raw playback, \(fault), \(periods) periods", caught)
        #expect(caught.frames == UInt64(frames), "\(caught)")
        #expect(caught.lateFrames > 0, "a write after commit with \(periods) periods queued went unseen: \(caught)")
        if fault == .commitBeforeWriting && periods == 2 {
            #expect(caught.checksum != sent, "late flushes played the right data: the oracle cannot fail")
            #expect(caught.staleFrames > 0, "\(caught)")
        }
        try client.pcm.close()
        return Played(counters: caught, sent: sent)
    }

    /// The compliant twins, `periods` periods in the buffer: writing, then committing (`.none`),
    /// and taking a committed period back with REWIND before writing it again and committing it
    /// again (`.rewindThenRewrite`, legal: the rewound frames are no longer committed). Every
    /// counter clean, the late one included.
    static func compliantPlaybackIsClean(_ oracle: SyncOracle, fault: RawSyncPtrClient.Fault = .none, periods: Int,
                                         frames: Int) throws {
        let client = try RawSyncPtrClient(oracle, direction: .playback, periodFrames: period, periods: periods)
        let written = try client.play(frames: frames, fault: fault)
        let clean = oracle.counters(.playback)
        log("raw playback, \(fault == .none ? "compliant" : "\(fault)"), \(periods) periods", clean)
        #expect(clean.frames == UInt64(frames), "\(clean)")
        #expect(clean.checksum == written)
        #expect(clean.staleFrames == 0, "\(clean)")
        #expect(clean.lateFrames == 0, "\(clean)")
        #expect(clean.xruns == 0)
        #expect(clean.deviceSyncs > 0)
        try client.pcm.close()
    }

    /// PREPARE empties the committed set and zeroes the late count. Before START (the device does
    /// not move, so the figures are exact on the rig too): a committed period written again is
    /// late; after PREPARE the same period written anew and committed is not.
    static func prepareForgetsTheCommittedFrames(_ oracle: SyncOracle) throws {
        let client = try RawSyncPtrClient(oracle, direction: .playback, periodFrames: period, periods: 4)
        client.fill(offset: 0, frames: period, streamFrame: 0)
        try client.commit(to: UInt(period))
        client.fill(offset: 0, frames: period, streamFrame: 0, variant: true)  // a committed period written again
        client.fill(offset: period, frames: period, streamFrame: period)
        try client.commit(to: UInt(2 * period))
        let late = oracle.counters(.playback)
        log("raw playback writing a committed period again, before START", late)
        #expect(late.lateFrames == UInt64(period), "\(late)")
        try client.ioctl(ALSA_IOCTL_DROP)
        try client.ioctl(ALSA_IOCTL_PREPARE)
        #expect(oracle.counters(.playback).lateFrames == 0)
        client.fill(offset: 0, frames: period, streamFrame: 0)  // not committed since PREPARE: legal
        try client.commit(to: UInt(period))
        let clean = oracle.counters(.playback)
        log("the same period written anew after PREPARE, committed", clean)
        #expect(clean.lateFrames == 0, "\(clean)")
        #expect(clean.deviceSyncs == 1, "\(clean)")
        try client.pcm.close()
    }

    /// A client that writes the buffer but never commits: the kernel never hears of the data, so
    /// the device plays nothing of it and no flush ever happens.
    static func neverCommittingIsCaught(_ oracle: SyncOracle, frames: Int) throws {
        let client = try RawSyncPtrClient(oracle, direction: .playback, periodFrames: period, periods: 4, neverStop: true)
        let sent = try client.playWithoutCommitting(frames: frames)
        let caught = oracle.counters(.playback)
        log("raw playback never committing", caught)
        #expect(caught.frames == 0, "\(caught)")
        #expect(caught.underrunFrames > 0, "\(caught)")
        #expect(caught.deviceSyncs == 0, "\(caught)")
        #expect(caught.checksum != sent)
        try client.pcm.close()
    }

    // MARK: the library

    /// The library's direct transport plays through the strict device with every counter clean.
    static func libraryPlaysClean(_ oracle: SyncOracle, access: AccessType, frames: Int, periodFrames: Int = period) throws {
        let pcm = try KernelPCM(card: oracle.card, device: 0, direction: .playback, options: PCMOpenOptions(recovery: .report),
                                kernel: oracle.kernel)
        try pcm.configure(HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                          periodSize: periodFrames, periodCount: 4))
        try playsClean(pcm, oracle, frames: frames)
    }

    /// The library's direct transport captures the strict device's signal with every counter clean.
    static func libraryCapturesClean(_ oracle: SyncOracle, access: AccessType, frames: Int) throws {
        let pcm = try KernelPCM(card: oracle.card, device: 0, direction: .capture, kernel: oracle.kernel)
        try pcm.configure(HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                          periodSize: period, periodCount: 4))
        try capturesClean(pcm, oracle, frames: frames)
    }

    /// Plays `frames` frames through a configured, prepared PCM of either transport and checks the
    /// device's account: every frame, in order, none of them stale, no xrun.
    static func playsClean(_ pcm: any PCM, _ oracle: SyncOracle, frames: Int) throws {
        let setup = pcm.setup!
        let written = setup.access.isMmap ? try playMmapAnyLayout(pcm, frames: frames) : try playReadWrite(pcm, frames: frames)
        try pcm.drain()
        let device = oracle.counters(.playback)
        log("\(pcm.transport) playback, \(setup.access)", device)
        #expect(pcm.xrunCount == 0)
        #expect(device.xruns == 0)
        #expect(device.frames == UInt64(frames))
        #expect(device.checksum == written)
        #expect(device.staleFrames == 0, "\(device)")
        #expect(device.lateFrames == 0, "\(device)")
        // One flush per commit at least; a commit may fill the whole buffer.
        #expect(device.deviceSyncs >= UInt64(frames / Int(setup.bufferSize)), "\(device)")
        try pcm.close()
    }

    /// Captures `frames` frames through a configured, prepared PCM of either transport and checks
    /// them against the device's signal, with no frame handed to the CPU before its CPU sync.
    static func capturesClean(_ pcm: any PCM, _ oracle: SyncOracle, frames: Int) throws {
        let setup = pcm.setup!
        var captured: [UInt8] = []
        if setup.access.isMmap {
            while captured.count < frames * setup.frameBytes {
                if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(1000)) }
                let area = try pcm.beginTransfer(maxFrames: frames - captured.count / setup.frameBytes)
                captured += UnsafeRawBufferPointer(area.interleaved)
                try pcm.commitTransfer(area.frames)
            }
        } else {
            captured = try captureReadWrite(pcm, frames: frames)
        }
        try pcm.drop()
        let device = oracle.counters(.capture)
        log("\(pcm.transport) capture, \(setup.access)", device)
        #expect(mismatchedFrames(captured, strictDeviceSignal(frames: frames, frameBytes: setup.frameBytes), frameBytes: setup.frameBytes) == 0)
        #expect(device.poisonedFrames == 0, "\(device)")
        #expect(device.cpuSyncs >= UInt64(frames / Int(setup.bufferSize)), "\(device)")
        #expect(device.xruns == 0)
        try pcm.close()
    }
}
