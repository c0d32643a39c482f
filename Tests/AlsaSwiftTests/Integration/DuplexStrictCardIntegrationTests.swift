import Testing
@testable import AlsaSwift

/// Full duplex on the real kernel's strict card (Rig/explicit-sync-driver): its capture and playback
/// substreams linked (the kernel's snd_pcm_link, which any driver's substreams allow), moved through
/// mmap for five seconds (58 periods). The driver is the judge, as in the simulated twin (Duplex/DuplexStrictCardTests):
/// 0 stale, 0 late (playback) and 0 poisoned (capture) frames, no xrun, and its checksums of what it
/// played and produced against what the callback made and got. It counts DMA syncs, not SYNC_PTR
/// calls: a query's HWSYNC is its one CPU sync, a commit's APPL push its one device sync, and the
/// stream makes no other call that syncs, so one of each per period and side is two SYNC_PTR. The
/// calls themselves are counted on the way to the kernel (CountingKernel), by their flags.
@Suite(.enabled(if: RigEnvironment.explicitSync != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct DuplexStrictCardIntegrationTests {
    /// 85 ms: the stream keeps two periods queued, so a period is all the slack it has when its
    /// thread wakes late, and the emulated guest on a shared host wakes late by tens of
    /// milliseconds (at 1024 frames, runs met 2 and 4 playback xruns at a host load of 10).
    static let period = 4096
    static let periods = 5 * 48_000 / period

    @Test("linked through mmap for five seconds: every counter clean, exact checksums, two SYNC_PTR a period each way")
    func linkedThroughMmap() async throws {
        let card = try #require(RigEnvironment.explicitSync)
        try await onOwnThread {
            let kernel = CountingKernel()
            var request = DuplexIntegrationTests.request(period: Self.period)
            request.preferMmap = true
            let duplex = try DuplexStream(capture: "hw:\(card),0,0", playback: "hw:\(card),0,0", request: request,
                                          options: DuplexOptions(samples: .raw), transport: .direct, kernel: kernel)
            let configuration = duplex.configuration
            #expect(configuration.periodSize == Self.period, "\(configuration)")
            #expect(configuration.start == .linked)
            #expect(configuration.capture.setup.access == .mmapInterleaved && configuration.playback.setup.access == .mmapInterleaved)
            #expect(configuration.capture.syncReport.strategy?.status == .syncPtr(.explicitSync))
            let capture = try #require(duplex.loop.capture.pcm as? KernelPCM).file.fd.rawValue
            let playback = try #require(duplex.loop.playback.pcm as? KernelPCM).file.fd.rawValue
            let oracle = SyncOracle.rig(card: card)
            // The sync counters start at PREPARE (configure's), before the engines' first look at the
            // pointers: the run's are counted from here.
            let made = (playback: oracle.counters(.playback), capture: oracle.counters(.capture))
            let callback = StrictDuplexCallback(frames: Self.periods * Self.period)
            kernel.reset()
            try duplex.processBlocking(periods: Self.periods) { block in callback(block) }
            // At once, before the device plays out what is queued: the sync counters start again at
            // every PREPARE, which stop() makes.
            let running = (playback: oracle.counters(.playback), capture: oracle.counters(.capture))
            let calls = (playback: kernel.syncPtrs[playback] ?? [:], capture: kernel.syncPtrs[capture] ?? [:])
            try duplex.stop()
            let stopped = (playback: oracle.counters(.playback), capture: oracle.counters(.capture))
            StrictContractChecks.log("duplex playback, running", running.playback)
            StrictContractChecks.log("duplex capture, running", running.capture)
            print("duplex on the strict card: \(Self.periods) periods; SYNC_PTR by flags: playback \(calls.playback), "
                  + "capture \(calls.capture); \(duplex.xruns)")

            #expect(duplex.xruns == DuplexXruns() && duplex.periodCount == Self.periods)
            #expect(running.playback.xruns == 0 && running.capture.xruns == 0)
            #expect(running.playback.staleFrames == 0 && running.playback.lateFrames == 0, "\(running.playback)")
            #expect(running.capture.poisonedFrames == 0, "\(running.capture)")
            #expect(running.playback.underrunFrames == 0, "\(running.playback)")
            // Playback: the start's two periods of silence, then one period per callback.
            #expect(calls.capture == [syncPtrQueryFlags: Self.periods, syncPtrCommitFlags: Self.periods], "\(calls.capture)")
            #expect(calls.playback == [syncPtrQueryFlags: Self.periods + 2, syncPtrCommitFlags: Self.periods + 2], "\(calls.playback)")
            #expect(running.capture.cpuSyncs - made.capture.cpuSyncs == UInt64(Self.periods), "\(made.capture) at first")
            #expect(running.capture.deviceSyncs - made.capture.deviceSyncs == UInt64(Self.periods), "\(made.capture) at first")
            #expect(running.playback.cpuSyncs - made.playback.cpuSyncs == UInt64(Self.periods + 2), "\(made.playback) at first")
            #expect(running.playback.deviceSyncs - made.playback.deviceSyncs == UInt64(Self.periods + 2), "\(made.playback) at first")

            // What the card played: two periods of silence, then what the callback produced.
            let played = Int(stopped.playback.frames)
            #expect(played >= (Self.periods - 2) * Self.period, "\(stopped.playback)")
            #expect(stopped.playback.checksum == callback.playedChecksum(frames: played, silence: 2 * Self.period))
            // What the callback got: the card's signal from its START, as the card produced it.
            #expect(Int(stopped.capture.frames) >= Self.periods * Self.period, "\(stopped.capture)")
            #expect(stopped.capture.checksum == StrictDuplexCallback.signalChecksum(frames: Int(stopped.capture.frames)))
            #expect(callback.inputChecksum == StrictDuplexCallback.signalChecksum(frames: Self.periods * Self.period))
        }
    }
}
