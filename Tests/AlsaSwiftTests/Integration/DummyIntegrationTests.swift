import AlsaSwift
import CAlsaKernel
import Foundation
import Testing

/// snd-dummy on a real kernel, loaded with `pcm_devs=4`: device 0 interleaved with mmap, 1
/// non-interleaved with mmap, 2 interleaved without mmap, 3 non-interleaved without mmap.
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct DummyIntegrationTests {
    let card = RigEnvironment.dummy ?? 0

    func request(_ access: AccessType, period: Int = 1024) -> HardwareRequest {
        HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: period, periodCount: 4)
    }

    @Test func capabilitiesMatchTheDriver() throws {
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback)
        #expect(pcm.capabilities.formats == [.u8, .s16LE])
        #expect(pcm.capabilities.sampleRate == 5500...48000)
        #expect(pcm.capabilities.channelCount == 1...2)
        #expect(pcm.capabilities.info.contains(.mmap))
        #expect(!pcm.capabilities.requiresExplicitSync)
        #expect(pcm.deviceInfo.name == "Dummy PCM")
        #expect(pcm.syncStrategy.status == .mapped && pcm.syncStrategy.control == .mapped)
        let noMmap = try KernelPCM(card: card, device: 2, direction: .playback)
        #expect(!noMmap.capabilities.info.contains(.mmap))
        #expect(!noMmap.capabilities.accessTypes.contains(.mmapInterleaved))
    }

    @Test(arguments: [(0, AccessType.readWriteInterleaved), (0, .mmapInterleaved), (1, .readWriteNonInterleaved),
                      (1, .mmapNonInterleaved), (2, .readWriteInterleaved), (3, .readWriteNonInterleaved)])
    func playbackOnEveryVariant(device: Int, access: AccessType) throws {
        let pcm = try KernelPCM(card: card, device: device, direction: .playback, options: PCMOpenOptions(recovery: .report))
        let granted = try pcm.configure(request(access))
        #expect(granted.access == access && granted.sampleRate == 48000 && granted.periodSize == 1024)
        if access.isMmap {
            try playMmapAnyLayout(pcm, frames: 48_000)
        } else {
            try playReadWrite(pcm, frames: 48_000)
        }
        try pcm.drain()
        #expect(pcm.xrunCount == 0)
    }

    @Test(arguments: [(0, AccessType.readWriteInterleaved), (0, .mmapInterleaved)])
    func captureOnTheMmapVariant(device: Int, access: AccessType) throws {
        let pcm = try KernelPCM(card: card, device: device, direction: .capture)
        try pcm.configure(request(access))
        if access.isMmap {
            var read = 0
            while read < 24_000 {
                if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(1000)) }
                let area = try pcm.beginTransfer()
                try pcm.commitTransfer(area.frames)
                read += area.frames
            }
        } else {
            #expect(try captureReadWrite(pcm, frames: 24_000).count == 24_000 * 4)
        }
        try pcm.drop()
    }

    @Test func aDeviceWithoutMmapRefusesMmapClearly() throws {
        let pcm = try KernelPCM(card: card, device: 2, direction: .playback)
        let error = #expect(throws: AlsaError.self) { try pcm.configure(request(.mmapInterleaved)) }
        #expect(error?.operation == .configure)
        #expect(error?.context?.contains("MMAP_INTERLEAVED is not supported") == true)
    }

    @Test func mappedRecordsCostNoCallPerPeriod() throws {
        let counter = CountingKernel()
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback, kernel: counter)
        try pcm.configure(request(.mmapInterleaved, period: 256))
        try playMmapAnyLayout(pcm, frames: 1024)
        counter.reset()
        let periods = 200
        try playMmapAnyLayout(pcm, frames: 256 * periods, firstByte: 4096)
        #expect(counter.count(ALSA_IOCTL_SYNC_PTR) == 0)
        #expect(counter.totalIoctls == 0)
        // Waits happen (a late wake-up may find two periods ready, so not always one per period).
        #expect(counter.polls > 0 && counter.polls <= periods)
        try pcm.drop()
    }

    @Test func forcedSyncPtrCostsExactlyTwoCallsPerChunk() throws {
        let counter = CountingKernel()
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback,
                                options: PCMOpenOptions(forceSyncPtr: .both), kernel: counter)
        #expect(pcm.syncStrategy.status == .syncPtr(.forced))
        try pcm.configure(request(.mmapInterleaved, period: 256))
        try playMmapAnyLayout(pcm, frames: 1024)
        counter.reset()
        var chunks = 0
        var written = 0
        while written < 256 * 200 {
            _ = try pcm.wait(timeout: .milliseconds(1000))
            let area = try pcm.beginTransfer()
            try pcm.commitTransfer(area.frames)
            written += area.frames
            chunks += 1
        }
        // pcm.state in the loop helper is not used here: only the two phases run per chunk.
        #expect(counter.count(ALSA_IOCTL_SYNC_PTR) == 2 * chunks)
        #expect(counter.totalIoctls == 2 * chunks)
        try pcm.drop()
    }

    @Test func anXrunIsReportedAndPlaybackContinues() throws {
        // 1024-frame periods, a 4096-frame (85 ms) buffer: the second xrun that a 21 ms buffer got
        // from one stall of the guest's vCPU while playing on needs a stall four times as long.
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback, options: PCMOpenOptions(recovery: .report))
        try pcm.configure(request(.readWriteInterleaved, period: 1024))
        try playReadWrite(pcm, frames: 4096)
        Thread.sleep(forTimeInterval: 0.3)  // 4096 frames last 85 ms: the feed stops for over three times that
        let error = #expect(throws: AlsaError.self) { try playReadWrite(pcm, frames: 1024) }
        #expect(error?.kind == .xrun)
        try pcm.recover(from: error!)
        try playReadWrite(pcm, frames: 16_384)
        #expect(try pcm.state == .running)
        #expect(pcm.xrunCount == 1)
        try pcm.drop()
    }

    @Test func anXrunIsRecoveredAutomatically() throws {
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback, options: PCMOpenOptions(recovery: .automatic))
        try pcm.configure(request(.readWriteInterleaved, period: 256))
        try playReadWrite(pcm, frames: 1024)
        Thread.sleep(forTimeInterval: 0.2)
        try playReadWrite(pcm, frames: 4096)
        #expect(pcm.xrunCount >= 1)
        #expect(try pcm.state == .running)
        try pcm.drop()
    }
}
