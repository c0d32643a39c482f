import AlsaSwift
import CAlsaKernel
import Foundation
import SystemPackage
import Testing

/// The project's explicit-sync test driver (Rig/explicit-sync-driver): a device that declares
/// SNDRV_PCM_INFO_EXPLICIT_SYNC and plays only what was flushed to its device-side copy.
@Suite(.enabled(if: RigEnvironment.explicitSync != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct ExplicitSyncDriverTests {
    let card = RigEnvironment.explicitSync ?? 0
    let seconds = 10

    func request(_ access: AccessType) -> HardwareRequest {
        HardwareRequest(access: access, format: .s16LE, channels: 2, rate: 48_000, periodSize: 1024, periodCount: 4)
    }

    @Test func theFlagIsReadFromTheNegotiatedInfoAndNoRecordIsMapped() throws {
        let counter = CountingKernel()
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback, kernel: counter)
        #expect(pcm.capabilities.requiresExplicitSync)
        let setup = try pcm.configure(request(.mmapInterleaved))
        #expect(setup.info.contains(.explicitSync))
        #expect(pcm.syncStrategy.status == .syncPtr(.explicitSync))
        #expect(pcm.syncStrategy.control == .syncPtr(.explicitSync))
        #expect(counter.mmaps.keys.sorted() == [ALSA_MMAP_OFFSET_DATA])
    }

    @Test func theKernelRefusesARawRecordMapping() throws {
        let kernel = LinuxKernel.shared
        let fd = try kernel.open(KernelPCM.devicePath(card: card, device: 0, direction: .playback), flags: O_RDWR)
        defer { try? kernel.close(fd) }
        for offset in [ALSA_MMAP_OFFSET_STATUS_NEW, ALSA_MMAP_OFFSET_CONTROL_NEW] {
            #expect(throws: Errno.noSuchAddressOrDevice) {
                _ = try kernel.mmap(fd, length: 4096, protection: PROT_READ, offset: offset)
            }
        }
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func tenSecondsOfPlaybackReachTheDeviceIntact(access: AccessType) throws {
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback, options: PCMOpenOptions(recovery: .report))
        try pcm.configure(request(access))
        let frames = 48_000 * seconds
        let written = access.isMmap ? try playMmapAnyLayout(pcm, frames: frames) : try playReadWrite(pcm, frames: frames)
        try pcm.drain()
        let device = RigEnvironment.explicitSyncCounters(card: card)
        #expect(pcm.xrunCount == 0)
        #expect(device["playback_xruns"] == 0)
        #expect(device["playback_frames"] == UInt64(frames))
        #expect(device["playback_checksum"] == written)
    }

    @Test func negativeControlACommitBeforeWritingIsCaught() throws {
        let pcm = try KernelPCM(card: card, device: 0, direction: .playback)
        try pcm.configure(request(.mmapInterleaved))
        let written = try playMmapAnyLayout(pcm, frames: 48_000, commitBeforeWriting: true)
        try pcm.drain()
        let device = RigEnvironment.explicitSyncCounters(card: card)
        #expect(device["playback_checksum"] != nil)
        #expect(device["playback_checksum"] != written)
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func captureReturnsTheDriversSignal(access: AccessType) throws {
        let pcm = try KernelPCM(card: card, device: 0, direction: .capture)
        let setup = try pcm.configure(request(access))
        let frames = 48_000
        var captured: [UInt8] = []
        if access.isMmap {
            while captured.count < frames * setup.frameBytes {
                if try pcm.state == .running { _ = try pcm.wait(timeoutMilliseconds: 1000) }
                let area = try pcm.beginTransfer(maxFrames: frames - captured.count / setup.frameBytes)
                captured += UnsafeRawBufferPointer(area.interleaved)
                try pcm.commitTransfer(area.frames)
            }
        } else {
            captured = try captureReadWrite(pcm, frames: frames)
        }
        try pcm.drop()
        var expected: [UInt8] = []
        expected.reserveCapacity(captured.count)
        for f in 0..<frames { for b in 0..<setup.frameBytes { expected.append(explicitSyncDriverSample(frame: UInt64(f), byte: b)) } }
        #expect(captured == expected)
    }
}
