import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

@Suite struct StateMachineTests {
    @Test func transfersBeforeConfigurationAreRefused() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        #expect(try pcm.state == .open)
        let error = #expect(throws: AlsaError.self) { try [UInt8](repeating: 0, count: 4).withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.kind == .badState)
        #expect(throws: AlsaError.self) { _ = try pcm.beginTransfer() }
        #expect(throws: AlsaError.self) { _ = try pcm.avail() }
    }

    @Test func writingToACaptureStreamIsRefused() throws {
        let pcm = try openPCM(makeKernel(.dummy), .capture)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        let error = #expect(throws: AlsaError.self) { try [UInt8](repeating: 0, count: 4).withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.operation == .writeInterleaved)
        #expect(error?.errno == .invalidArgument)
    }

    @Test func kernelStateErrorsComeBackTyped() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try pcm.drop()
        #expect(try pcm.state == .setup)
        let start = #expect(throws: AlsaError.self) { try pcm.start() }
        #expect(start?.operation == .start && start?.kind == .badState)
        let resume = #expect(throws: AlsaError.self) { try pcm.resume() }
        #expect(resume?.operation == .resume)
        // The dummy has no PAUSE.
        try pcm.prepare()
        try [UInt8](repeating: 0, count: 4096).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        let pause = #expect(throws: AlsaError.self) { try pcm.pause(true) }
        #expect(pause?.errno == .noFunction)
    }

    @Test func pauseAndResumeOnADeviceThatCan() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try [UInt8](repeating: 0, count: 4096).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        try pcm.pause(true)
        #expect(try pcm.state == .paused)
        kernel.advance(periods: 8)
        #expect(try pcm.state == .paused)
        try pcm.pause(false)
        #expect(try pcm.state == .running)
    }

    @Test func freeHardwareReturnsToOpen() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        try pcm.configure(standardRequest(.mmapInterleaved))
        try pcm.freeHardware()
        #expect(try pcm.state == .open)
        #expect(pcm.setup == nil)
        try pcm.configure(standardRequest(.mmapInterleaved))
        #expect(try pcm.state == .prepared)
    }

    @Test func closeIsIdempotentAndLaterCallsFail() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        try pcm.close()
        try pcm.close()
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
        let error = #expect(throws: AlsaError.self) { try pcm.start() }
        #expect(error?.errno == .badFileDescriptor)
    }

    @Test func deinitReleasesEverything() throws {
        let kernel = makeKernel(.dummy)
        do {
            let pcm = try openPCM(kernel)
            try pcm.configure(standardRequest(.mmapInterleaved))
            #expect(kernel.mappedRegionCount == 3)
        }
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test func theSubstreamIsExclusive() throws {
        let kernel = makeKernel(.dummy)
        let first = try openPCM(kernel)
        let error = #expect(throws: AlsaError.self) { _ = try openPCM(kernel) }
        #expect(error?.operation == .open && error?.kind == .busy)
        #expect(error?.context == "/dev/snd/pcmC0D0p")
        try first.close()
        #expect(throws: Never.self) { _ = try openPCM(kernel) }
    }
}

@Suite struct RecoveryTests {
    private let period = [UInt8](repeating: 0, count: 256 * 4)

    private func running(_ kernel: SimulatedKernel, _ options: PCMOpenOptions, access: AccessType = .readWriteInterleaved) throws -> KernelPCM {
        let pcm = try openPCM(kernel, options: options)
        try pcm.configure(standardRequest(access))
        if access.isMmap {
            try playMmap(pcm, frames: 1024, waitFirst: false)
        } else {
            for _ in 0..<4 { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        }
        #expect(try pcm.state == .running)
        return pcm
    }

    @Test func xrunIsReportedThenRecoveredByTheCaller() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .report))
        kernel.advance(frames: 4096)
        #expect(try pcm.state == .xrun)
        let error = #expect(throws: AlsaError.self) { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.kind == .xrun)
        try pcm.recover(from: error!)
        #expect(try pcm.state == .prepared)
        #expect(pcm.xrunCount == 1)
        for _ in 0..<4 { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(try pcm.state == .running)
    }

    @Test func xrunIsRecoveredAutomatically() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .automatic))
        kernel.advance(frames: 4096)
        let written = try period.withUnsafeBytes { try pcm.writeInterleaved($0) }
        #expect(written == 256)
        #expect(pcm.xrunCount == 1)
        #expect(kernel.playbackObservation().xruns == 1)
    }

    @Test func explicitSyncMmapXrunIsRequeriedThenRecovered() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .automatic), access: .mmapInterleaved)
        kernel.advance(frames: 4096)
        kernel.clearTrace()
        let area = try pcm.beginTransfer()
        #expect(area.frames == 1024)
        let calls = kernel.trace.filter { $0.call == .ioctl }
        // A failed HWSYNC fills nothing: the library re-queries before deciding, then prepares.
        #expect(calls.count >= 4)
        #expect(calls[0].syncPtrFlags == syncPtrQueryFlags && calls[0].errno == .brokenPipe)
        #expect(calls[1].syncPtrFlags == syncPtrPullFlags && calls[1].errno == nil)
        #expect(calls[2].requestName == "PREPARE")
        #expect(calls[3].syncPtrFlags == syncPtrQueryFlags && calls[3].errno == nil)
        #expect(pcm.xrunCount == 1)
        try pcm.commitTransfer(area.frames)
        #expect(try pcm.state == .running)
    }

    @Test func mappedStatusShowsTheXrunWithoutACall() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .report), access: .mmapInterleaved)
        kernel.advance(frames: 4096)
        kernel.clearTrace()
        let error = #expect(throws: AlsaError.self) { _ = try pcm.beginTransfer() }
        #expect(error?.kind == .xrun)
        #expect(kernel.trace.isEmpty)
    }

    @Test func waitReportsAnXrun() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .report))
        kernel.advance(frames: 4096)
        let error = #expect(throws: AlsaError.self) { _ = try pcm.wait(timeout: .milliseconds(0)) }
        #expect(error?.kind == .xrun)
    }

    @Test func suspendIsResumed() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .automatic))
        kernel.suspendAll()
        #expect(try pcm.state == .suspended)
        try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        #expect(pcm.suspendCount == 1)
        #expect(kernel.ioctlNames.contains("RESUME"))
        #expect(!kernel.ioctlNames.contains("PREPARE") || kernel.ioctlNames.lastIndex(of: "PREPARE")! < kernel.ioctlNames.lastIndex(of: "RESUME")!)
    }

    @Test func suspendFallsBackToPrepareWhenTheDriverCannotResume() throws {
        var hardware = SimulatedHardware.dummy
        hardware.resume = .unsupported
        let kernel = makeKernel(hardware)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .report))
        kernel.suspendAll()
        let error = #expect(throws: AlsaError.self) { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.kind == .suspended)
        try pcm.recover(from: error!)
        #expect(try pcm.state == .prepared)
        #expect(pcm.suspendCount == 1)
    }

    @Test func aDeviceStillWakingUpIsReportedNotWaitedFor() throws {
        var hardware = SimulatedHardware.dummy
        hardware.resume = .busy(times: 1)
        let kernel = makeKernel(hardware)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .automatic))
        kernel.suspendAll()
        let error = #expect(throws: AlsaError.self) { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.kind == .suspended)
        // Later, the device is awake and the same call goes through.
        try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        #expect(pcm.suspendCount == 1)
    }

    @Test func disconnectionKillsTheHandleButCloseStillReleases() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try running(kernel, PCMOpenOptions(recovery: .automatic), access: .mmapInterleaved)
        kernel.disconnectAll()
        let error = #expect(throws: AlsaError.self) { _ = try pcm.beginTransfer() }
        #expect(error?.kind == .disconnected)
        #expect(pcm.isDisconnected)
        kernel.clearTrace()
        let again = #expect(throws: AlsaError.self) { try pcm.start() }
        #expect(again?.kind == .disconnected)
        #expect(kernel.trace.isEmpty)  // refused without reaching the kernel
        try pcm.close()
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }
}
