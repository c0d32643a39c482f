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

    @Test func negativeControlCaptureWithoutPhase1() async throws {
        try await onOwnThread {
            try StrictContractChecks.captureWithoutCpuSyncIsCaught(Self.oracle, frames: 48_000)
        }
    }

    /// Committing before writing, at every depth. From three periods queued the next commit's
    /// flush carries the late data before it plays: no stale frame, the right checksum, and only
    /// the late counter sees it (on the simulated clock this is exact).
    @Test(arguments: [2, 3, 4])
    func negativeControlCommitBeforeWriting(periods: Int) async throws {
        try await onOwnThread {
            let played = try StrictContractChecks.writesAfterCommitAreCaught(Self.oracle(), fault: .commitBeforeWriting,
                                                                            periods: periods, frames: 48_000)
            if periods >= 3 {
                #expect(played.counters.staleFrames == 0, "\(played.counters)")
                #expect(played.counters.checksum == played.sent)
            }
        }
    }

    @Test(arguments: [2, 3, 4])
    func negativeControlWritingACommittedPeriodAgain(periods: Int) async throws {
        _ = try await onOwnThread {
            try StrictContractChecks.writesAfterCommitAreCaught(Self.oracle(), fault: .rewriteCommitted, periods: periods,
                                                                frames: 48_000)
        }
    }

    @Test(arguments: [2, 3, 4])
    func compliantTwinWritesThenCommits(periods: Int) async throws {
        try await onOwnThread {
            try StrictContractChecks.compliantPlaybackIsClean(Self.oracle(), periods: periods, frames: 48_000)
        }
    }

    @Test(arguments: [2, 3, 4])
    func compliantTwinRewindsBeforeWritingAgain(periods: Int) async throws {
        try await onOwnThread {
            try StrictContractChecks.compliantPlaybackIsClean(Self.oracle(), fault: .rewindThenRewrite, periods: periods,
                                                              frames: 48_000)
        }
    }

    @Test func prepareForgetsTheCommittedFrames() throws {
        try StrictContractChecks.prepareForgetsTheCommittedFrames(Self.oracle())
    }

    @Test func negativeControlNeverCommitting() throws {
        try StrictContractChecks.neverCommittingIsCaught(Self.oracle(), frames: 48_000)
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func theLibraryPlaysWithEveryCounterClean(access: AccessType) async throws {
        try await onOwnThread {
            try StrictContractChecks.libraryPlaysClean(Self.oracle(), access: access, frames: 48_000)
        }
    }

    @Test(arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func theLibraryCapturesWithEveryCounterClean(access: AccessType) async throws {
        try await onOwnThread {
            try StrictContractChecks.libraryCapturesClean(Self.oracle(), access: access, frames: 48_000)
        }
    }
}
