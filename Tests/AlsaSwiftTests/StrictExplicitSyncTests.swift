import AlsaSimulation
import AlsaSwift
import Testing

/// The strict explicit-sync contract on the simulated non-coherent device: the same checks the rig
/// runs on its test card (Integration/ExplicitSyncDriverTests), so the simulator and the real kernel
/// agree on what a client that skips a phase gets.
@Suite struct StrictExplicitSyncTests {
    static func oracle() -> SyncOracle { .simulated(makeKernel(.explicitSync)) }

    @Test func everySyncSiteIsSeenAndNoOther() throws {
        try StrictContractChecks.syncSitesAreSeen(Self.oracle())
    }

    @Test func negativeControlCaptureWithoutPhase1() throws {
        try StrictContractChecks.captureWithoutCpuSyncIsCaught(Self.oracle, frames: 48_000)
    }

    @Test func negativeControlCommitBeforeWritingWithTwoPeriodsQueued() throws {
        try StrictContractChecks.commitBeforeWritingIsCaught(Self.oracle, frames: 48_000)
    }

    @Test func negativeControlNeverCommitting() throws {
        try StrictContractChecks.neverCommittingIsCaught(Self.oracle(), frames: 48_000)
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func theLibraryPlaysWithEveryCounterClean(access: AccessType) throws {
        try StrictContractChecks.libraryPlaysClean(Self.oracle(), access: access, frames: 48_000)
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func theLibraryCapturesWithEveryCounterClean(access: AccessType) throws {
        try StrictContractChecks.libraryCapturesClean(Self.oracle(), access: access, frames: 48_000)
    }
}
