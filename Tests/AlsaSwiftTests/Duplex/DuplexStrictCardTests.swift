import AlsaSimulation
import CAlsaKernel
import Testing
@testable import AlsaSwift

/// A duplex stream on the simulated strict explicit-sync card (non-coherent DMA, status and control
/// records not mappable), linked, through mmap, on the virtual clock. The card itself is the judge:
/// its playback side plays only what a commit flushed (stale frames otherwise) and sees any write
/// to a committed frame (late frames); its capture side hands the CPU poison until a query's CPU
/// sync (poisoned frames). On top of its counters and checksums, the kernel's call trace shows the
/// contract's rhythm: per period and per direction, one SYNC_PTR that queries (HWSYNC) and one that
/// commits (APPL clear) the period just moved, and no other.
@Suite("Duplex on the strict explicit-sync card")
struct DuplexStrictCardTests {
    static let period = DuplexTests.period
    static let periods = 400

    /// What a run left: the callback, and the stream's own SYNC_PTR calls.
    struct Run {
        let kernel: SimulatedKernel
        let duplex: DuplexStream
        let callback: StrictDuplexCallback
        let captureCalls: [SimulatedCallRecord]
        let playbackCalls: [SimulatedCallRecord]
        /// The card's account of each side once the stream was made, before it started.
        let made: (capture: DeviceObservation, playback: DeviceObservation)
    }

    static func run(periods: Int = Self.periods) throws -> Run {
        let kernel = makeKernel(.explicitSync)
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: DuplexTests.request(mmap: true),
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        let capture = try #require(duplex.loop.capture.pcm as? KernelPCM)
        let playback = try #require(duplex.loop.playback.pcm as? KernelPCM)
        let made = (capture: kernel.captureObservation(), playback: kernel.playbackObservation())
        let callback = StrictDuplexCallback(frames: periods * period)
        kernel.clearTrace()
        try duplex.processBlocking(periods: periods) { block in callback(block) }
        let syncPtr = kernel.syncPtrCalls
        return Run(kernel: kernel, duplex: duplex, callback: callback,
                   captureCalls: syncPtr.filter { $0.descriptor == capture.file.fd.rawValue },
                   playbackCalls: syncPtr.filter { $0.descriptor == playback.file.fd.rawValue }, made: made)
    }

    @Test("linked through mmap: every counter clean, exact checksums both ways")
    func countersAndChecksums() async throws {
        try await onOwnThread {
            let run = try Self.run()
            let configuration = run.duplex.configuration
            #expect(configuration.start == .linked)
            #expect(configuration.capture.setup.access == .mmapInterleaved && configuration.playback.setup.access == .mmapInterleaved)
            #expect(configuration.capture.syncReport.strategy?.status == .syncPtr(.explicitSync))
            #expect(configuration.playback.syncReport.strategy?.control == .syncPtr(.explicitSync))
            #expect(run.kernel.ioctlNames.filter { $0 == "START" }.count == 1, "one START for both sides")
            #expect(run.duplex.xruns == DuplexXruns() && run.duplex.periodCount == Self.periods)

            let played = run.kernel.playbackObservation()
            let captured = run.kernel.captureObservation()
            StrictContractChecks.log("duplex playback", SyncOracle.simulated(run.kernel).counters(.playback))
            StrictContractChecks.log("duplex capture", SyncOracle.simulated(run.kernel).counters(.capture))
            #expect(played.staleFrames == 0 && played.lateFrames == 0, "\(played)")
            #expect(captured.poisonedFrames == 0, "\(captured)")
            #expect(played.xruns == 0 && captured.xruns == 0 && played.underrunFrames == 0)
            // What the card played is two periods of silence, then what the callback produced, frame for frame.
            #expect(played.frames >= (Self.periods - 2) * Self.period, "\(played)")
            #expect(played.checksum == run.callback.playedChecksum(frames: played.frames, silence: 2 * Self.period))
            // What the callback got is what the card captured, frame for frame from its START.
            #expect(captured.frames >= Self.periods * Self.period, "\(captured)")
            #expect(captured.checksum == StrictDuplexCallback.signalChecksum(frames: captured.frames), "the card's own account of its signal")
            #expect(run.callback.inputChecksum == StrictDuplexCallback.signalChecksum(frames: Self.periods * Self.period))
        }
    }

    @Test("exactly two SYNC_PTR a period on each side: query, then commit of the period moved")
    func twoSyncPtrPerPeriodEachWay() async throws {
        try await onOwnThread {
            let run = try Self.run()
            let period = UInt(Self.period)
            // Playback: the start's two periods of silence, then one period per callback.
            #expect(run.playbackCalls.count == 2 * (Self.periods + 2), "\(run.playbackCalls.count) playback SYNC_PTR")
            #expect(run.captureCalls.count == 2 * Self.periods, "\(run.captureCalls.count) capture SYNC_PTR")
            for (side, calls) in [("capture", run.captureCalls), ("playback", run.playbackCalls)] {
                let pairs = calls.count / 2
                var wrong = 0
                for k in 0..<pairs {
                    let query = calls[2 * k], commit = calls[2 * k + 1]
                    let ok = query.syncPtrFlags == syncPtrQueryFlags && query.applPtr == nil && query.errno == nil
                        && commit.syncPtrFlags == syncPtrCommitFlags && commit.applPtr == UInt(k + 1) * period && commit.errno == nil
                    if !ok {
                        if wrong == 0 { Issue.record("\(side) period \(k): \(query), then \(commit)") }
                        wrong += 1
                    }
                }
                #expect(wrong == 0, "\(side): \(wrong) of \(pairs) periods not a query then its commit")
            }
            // And in time: each period queries and commits its input, then queries and commits its output.
            let names = run.kernel.trace.filter { $0.requestName == "SYNC_PTR" }
                .map { call in
                    (call.descriptor == run.captureCalls.first?.descriptor ? "c" : "p")
                        + (call.syncPtrFlags == syncPtrQueryFlags ? "q" : call.syncPtrFlags == syncPtrCommitFlags ? "c" : "?")
                }
            let expected = ["pq", "pc", "pq", "pc"] + Array(repeating: ["cq", "cc", "pq", "pc"], count: Self.periods).flatMap { $0 }
            let first = (0..<max(names.count, expected.count)).first { $0 >= names.count || $0 >= expected.count || names[$0] != expected[$0] }
            let around = names[max(0, (first ?? 0) - 4)..<min(names.count, (first ?? 0) + 4)]
            #expect(first == nil, "SYNC_PTR \(first ?? 0) of \(names.count) (\(expected.count) expected) breaks the rhythm: \(around)")
            // The card's side of the same calls: a CPU sync per query, a device sync per commit, and
            // none from anything else the stream did (its timing's STATUS_EXT, START, poll).
            let played = run.kernel.playbackObservation(), captured = run.kernel.captureObservation()
            #expect(captured.cpuSyncs - run.made.capture.cpuSyncs == Self.periods, "\(captured)")
            #expect(captured.deviceSyncs - run.made.capture.deviceSyncs == Self.periods, "\(captured)")
            #expect(played.cpuSyncs - run.made.playback.cpuSyncs == Self.periods + 2, "\(played)")
            #expect(played.deviceSyncs - run.made.playback.deviceSyncs == Self.periods + 2, "\(played)")
        }
    }
}

/// The duplex callback run on the strict card, here and on the rig: it plays a pattern of its own
/// (not its input, so that a fault on one side cannot pass for the other's), output frame n being
/// bytes 4n..<4n + 4 of `pattern` wherever the period lies, and keeps every input byte it gets.
/// S16 stereo, raw. It only copies: on the rig's emulated guest, a debug build's byte loops would
/// take a good part of a period.
final class StrictDuplexCallback {
    let pattern: [UInt8]
    private(set) var input: [UInt8] = []

    init(frames: Int) {
        pattern = (0..<frames * 4).map(patternByte)
        input.reserveCapacity(frames * 4)
    }

    func callAsFunction(_ block: borrowing DuplexPeriod) {
        let first = min(block.framePosition * 4, pattern.count)
        let count = min(block.rawOutput.count, pattern.count - first)
        pattern.withUnsafeBytes { block.rawOutput.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[first..<first + count])) }
        input.append(contentsOf: block.rawInput)
    }

    var inputChecksum: UInt64 {
        var checksum = StreamChecksum()
        input.withUnsafeBytes { checksum.add($0) }
        return checksum.value
    }

    /// The checksum of what a stream that queued `silence` frames of silence, then what this
    /// callback produced, plays in its first `frames` frames (all it produced, if `frames` is more:
    /// a device that played more does not match).
    func playedChecksum(frames: Int, silence: Int) -> UInt64 {
        var checksum = StreamChecksum()
        [UInt8](repeating: 0, count: min(frames, silence) * 4).withUnsafeBytes { checksum.add($0) }
        let produced = min(max(0, frames - silence) * 4, pattern.count)
        pattern.withUnsafeBytes { checksum.add(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
        return checksum.value
    }

    /// The checksum of `frames` frames of the strict card's capture signal from START.
    static func signalChecksum(frames: Int) -> UInt64 {
        var checksum = StreamChecksum()
        strictDeviceSignal(frames: frames, frameBytes: 4).withUnsafeBytes { checksum.add($0) }
        return checksum.value
    }
}
