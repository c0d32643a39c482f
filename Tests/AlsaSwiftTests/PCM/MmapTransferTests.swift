import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

/// The exact kernel calls of mmap transfers, per sync strategy.
@Suite struct MmapTransferTests {
    @Test func explicitSyncPlaybackMakesExactlyTwoSyncPtrCallsPerChunk() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        // Fill the buffer once: the stream starts at the threshold.
        try playMmap(pcm, frames: 1024, waitFirst: false)
        #expect(try pcm.state == .running)
        kernel.clearTrace()

        try playMmap(pcm, frames: 256 * 20, startingAt: 4096)

        let calls = kernel.trace.filter { $0.call != .poll }
        #expect(calls.count == 40)
        for chunk in 0..<20 {
            let query = calls[2 * chunk], commit = calls[2 * chunk + 1]
            #expect(query.requestName == "SYNC_PTR" && query.syncPtrFlags == syncPtrQueryFlags)
            #expect(commit.requestName == "SYNC_PTR" && commit.syncPtrFlags == syncPtrCommitFlags)
            #expect(commit.applPtr == UInt(1024 + 256 * (chunk + 1)))
        }
        #expect(kernel.trace.filter { $0.call == .poll }.count == 20)
        #expect(kernel.trace.allSatisfy { $0.errno == nil })
    }

    @Test func theFirstCommitStartsThePlaybackExplicitly() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        kernel.clearTrace()
        try playMmap(pcm, frames: 1024, waitFirst: false)
        let names = kernel.ioctlNames
        // state pull, phase 1, phase 2, then START because SYNC_PTR never starts a stream.
        #expect(Array(names.suffix(3)) == ["SYNC_PTR", "SYNC_PTR", "START"])
        #expect(try pcm.state == .running)
    }

    @Test func mappedRecordsMakeNoCallPerChunk() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        try playMmap(pcm, frames: 1024, waitFirst: false)
        kernel.clearTrace()
        try playMmap(pcm, frames: 256 * 20, startingAt: 4096)
        #expect(kernel.trace.filter { $0.call == .ioctl }.isEmpty)
        #expect(kernel.trace.filter { $0.call == .poll }.count == 20)
    }

    @Test func forcedSyncPtrOnACoherentDeviceUsesTheSameTwoPhases() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel, options: PCMOpenOptions(forceSyncPtr: .both))
        try pcm.configure(standardRequest(.mmapInterleaved))
        try playMmap(pcm, frames: 1024, waitFirst: false)
        kernel.clearTrace()
        try playMmap(pcm, frames: 256 * 8, startingAt: 4096)
        let flags = kernel.syncPtrCalls.map(\.syncPtrFlags)
        #expect(flags == Array(repeating: [syncPtrQueryFlags, syncPtrCommitFlags], count: 8).flatMap { $0 })
        #expect(kernel.ioctlNames.allSatisfy { $0 == "SYNC_PTR" })
    }

    @Test func syncApplPtrDriverCommitsThroughSyncPtrButQueriesTheMappedStatus() throws {
        let kernel = makeKernel(.syncApplPtr)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        try playMmap(pcm, frames: 1024, waitFirst: false)
        kernel.clearTrace()
        try playMmap(pcm, frames: 256 * 8, startingAt: 4096)
        // One commit per chunk, and no query: the status page is live.
        #expect(kernel.syncPtrCalls.map(\.syncPtrFlags) == Array(repeating: syncPtrCommitFlags, count: 8))
        #expect(kernel.ioctlNames.count == 8)
    }

    @Test func explicitSyncCaptureQueriesBeforeReadingAndCommitsAfter() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel, .capture)
        try pcm.configure(standardRequest(.mmapInterleaved))
        _ = try captureMmap(pcm, frames: 256)
        kernel.clearTrace()
        _ = try captureMmap(pcm, frames: 256 * 10)
        let calls = kernel.trace.filter { $0.call != .poll }
        #expect(calls.count == 20)
        for chunk in 0..<10 {
            #expect(calls[2 * chunk].syncPtrFlags == syncPtrQueryFlags)
            #expect(calls[2 * chunk + 1].syncPtrFlags == syncPtrCommitFlags)
        }
    }

    @Test func aPreparedCaptureIsStartedByTheFirstBegin() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel, .capture)
        try pcm.configure(standardRequest(.mmapInterleaved))
        kernel.clearTrace()
        let area = try pcm.beginTransfer()
        #expect(area.frames == 0)
        #expect(kernel.ioctlNames == ["SYNC_PTR", "START"])
        #expect(try pcm.state == .running)
    }

    @Test func commitMoreThanGrantedIsRefused() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        let area = try pcm.beginTransfer(maxFrames: 100)
        #expect(area.frames == 100)
        let error = #expect(throws: AlsaError.self) { try pcm.commitTransfer(101) }
        #expect(error?.operation == .transfer)
        // A refused commit loses nothing: the grant still stands.
        #expect(throws: Never.self) { try pcm.commitTransfer(100) }
        #expect(throws: AlsaError.self) { try pcm.commitTransfer(1) }  // and it is used up once committed
    }

    @Test func mmapCallsOnAReadWriteSetupAreRefused() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        #expect(throws: AlsaError.self) { _ = try pcm.beginTransfer() }
    }

    @Test func nonInterleavedMmapAreasFollowChannelInfo() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        let setup = try pcm.configure(HardwareRequest(access: .mmapNonInterleaved, format: .s16LE, channelCount: 2,
                                                      sampleRate: 48000, periodSize: 256, periodCount: 4))
        let area = try pcm.beginTransfer()
        #expect(area.frames == 1024)
        let left = area.channel(0), right = area.channel(1)
        #expect(left.stepBytes == 2 && right.stepBytes == 2)
        #expect(right.first - left.first == Int(setup.bufferSize) * 2)
        try pcm.commitTransfer(area.frames)
    }
}
