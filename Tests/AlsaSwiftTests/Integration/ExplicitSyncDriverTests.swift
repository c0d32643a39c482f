import AlsaSwift
import CAlsaKernel
import Foundation
import SystemPackage
import Testing

/// The project's explicit-sync test driver (Rig/explicit-sync-driver): a strict non-coherent device
/// that declares SNDRV_PCM_INFO_EXPLICIT_SYNC, plays only what a device sync flushed to its own copy,
/// and shows captured data to the CPU only after a CPU sync (poison before). The checks are shared
/// with the simulated kernel (StrictContractChecks).
@Suite(.enabled(if: RigEnvironment.explicitSync != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct ExplicitSyncDriverTests {
    let card = RigEnvironment.explicitSync ?? 0
    var oracle: SyncOracle { .rig(card: card) }

    func request(_ access: AccessType) -> HardwareRequest {
        HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 1024, periodCount: 4)
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

    /// The card learns of each DMA sync the core performs, and of nothing else.
    @Test func everySyncSiteOfTheKernelIsSeenAndNoOther() throws {
        try StrictContractChecks.syncSitesAreSeen(oracle)
    }

    // MARK: negative controls: raw clients that break one rule each

    @Test func negativeControlCaptureWithoutPhase1() throws {
        try StrictContractChecks.captureWithoutCpuSyncIsCaught({ oracle }, frames: 48_000)
    }

    @Test(arguments: [2, 3, 4])
    func negativeControlCommitBeforeWriting(periods: Int) throws {
        try StrictContractChecks.writesAfterCommitAreCaught(oracle, fault: .commitBeforeWriting, periods: periods, frames: 48_000)
    }

    @Test(arguments: [2, 3, 4])
    func negativeControlWritingACommittedPeriodAgain(periods: Int) throws {
        try StrictContractChecks.writesAfterCommitAreCaught(oracle, fault: .rewriteCommitted, periods: periods, frames: 48_000)
    }

    @Test(arguments: [2, 3, 4])
    func compliantTwinWritesThenCommits(periods: Int) throws {
        try StrictContractChecks.compliantPlaybackIsClean(oracle, periods: periods, frames: 48_000)
    }

    @Test(arguments: [2, 3, 4])
    func compliantTwinRewindsBeforeWritingAgain(periods: Int) throws {
        try StrictContractChecks.compliantPlaybackIsClean(oracle, fault: .rewindThenRewrite, periods: periods, frames: 48_000)
    }

    @Test func prepareForgetsTheCommittedFrames() throws {
        try StrictContractChecks.prepareForgetsTheCommittedFrames(oracle)
    }

    @Test func negativeControlNeverCommitting() throws {
        try StrictContractChecks.neverCommittingIsCaught(oracle, frames: 24_000)
    }

    // MARK: the library's direct transport

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func tenSecondsOfPlaybackReachTheDeviceWithEveryCounterClean(access: AccessType) throws {
        try StrictContractChecks.libraryPlaysClean(oracle, access: access, frames: 48_000 * 10)
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func captureReturnsTheDriversSignalWithEveryCounterClean(access: AccessType) throws {
        try StrictContractChecks.libraryCapturesClean(oracle, access: access, frames: 48_000)
    }
}
