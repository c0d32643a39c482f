import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

/// Every errno the kernel can return, injected into every seam call a PCM makes, must give a typed
/// error or a recovery — never a crash, a hang, or a leaked descriptor or mapping.
@Suite struct FaultInjectionTests {
    /// Where a fault can land: a seam call, and for ioctls the request.
    struct Site: CustomStringConvertible, Sendable {
        let call: SimulatedCall
        let request: UInt?
        let name: String
        var description: String { name }
    }

    static let sites: [Site] = [
        Site(call: .open, request: nil, name: "open"),
        Site(call: .ioctl, request: ALSA_IOCTL_PVERSION, name: "PVERSION"),
        Site(call: .ioctl, request: ALSA_IOCTL_USER_PVERSION, name: "USER_PVERSION"),
        Site(call: .ioctl, request: ALSA_IOCTL_INFO, name: "INFO"),
        Site(call: .ioctl, request: ALSA_IOCTL_TTSTAMP, name: "TTSTAMP"),
        Site(call: .ioctl, request: ALSA_IOCTL_HW_REFINE, name: "HW_REFINE"),
        Site(call: .ioctl, request: ALSA_IOCTL_HW_PARAMS, name: "HW_PARAMS"),
        Site(call: .ioctl, request: ALSA_IOCTL_SW_PARAMS, name: "SW_PARAMS"),
        Site(call: .ioctl, request: ALSA_IOCTL_CHANNEL_INFO, name: "CHANNEL_INFO"),
        Site(call: .ioctl, request: ALSA_IOCTL_PREPARE, name: "PREPARE"),
        Site(call: .ioctl, request: ALSA_IOCTL_START, name: "START"),
        Site(call: .ioctl, request: ALSA_IOCTL_SYNC_PTR, name: "SYNC_PTR"),
        Site(call: .ioctl, request: ALSA_IOCTL_WRITEI_FRAMES, name: "WRITEI_FRAMES"),
        Site(call: .ioctl, request: ALSA_IOCTL_DRAIN, name: "DRAIN"),
        Site(call: .mmap, request: nil, name: "mmap"),
        Site(call: .munmap, request: nil, name: "munmap"),
        Site(call: .poll, request: nil, name: "poll"),
        Site(call: .close, request: nil, name: "close"),
    ]

    static let errnos: [Errno] = [.interrupted, .resourceTemporarilyUnavailable, .brokenPipe, .streamPipe,
                                  .noDevice, .badFileDescriptorState, .ioError, .noMemory, .invalidArgument]

    /// Opens, configures, plays a few periods (mmap or read/write) and drains, with the fault armed
    /// from the start. Returns the error the app saw, if any.
    static func scenario(_ kernel: SimulatedKernel, access: AccessType, recovery: RecoveryPolicy) -> AlsaError? {
        do {
            let pcm = try openPCM(kernel, options: PCMOpenOptions(recovery: recovery))
            try pcm.configure(standardRequest(access))
            if access.isMmap {
                try playMmap(pcm, frames: 256 * 8, waitFirst: false)
            } else {
                let period = [UInt8](repeating: 0, count: 1024)
                for _ in 0..<8 { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
            }
            try pcm.drain()
            try pcm.close()
            return nil
        } catch let error as AlsaError {
            return error
        } catch {
            Issue.record("an untyped error escaped: \(error)")
            return nil
        }
    }

    @Test(arguments: sites, [AccessType.mmapInterleaved, .readWriteInterleaved])
    func everyErrnoAtThisSite(site: Site, access: AccessType) async {
        await onOwnThread {
            for hardware in [SimulatedHardware.explicitSync, .dummy] {
                for errno in Self.errnos {
                    for recovery in [RecoveryPolicy.report, .automatic] {
                        let kernel = makeKernel(hardware)
                        kernel.inject(errno, into: site.call, request: site.request)
                        let error = Self.scenario(kernel, access: access, recovery: recovery)
                        if let error {
                            // The error names a real operation and carries an errno.
                            #expect(error.errno.rawValue > 0, "\(site) \(errno)")
                        }
                        // Whatever happened, nothing is left open or mapped once the handle is gone; only a
                        // mapping whose own munmap failed can remain, since nothing else can release it.
                        let tolerated = site.call == .munmap ? 1 : 0
                        #expect(kernel.openDescriptorCount == 0, "\(site) \(errno) \(recovery) leaked a descriptor")
                        #expect(kernel.mappedRegionCount <= tolerated, "\(site) \(errno) \(recovery) leaked a mapping")
                    }
                }
            }
        }
    }

    @Test func interruptedCallsAreRetried() throws {
        for request in [ALSA_IOCTL_HW_REFINE, ALSA_IOCTL_SYNC_PTR, ALSA_IOCTL_WRITEI_FRAMES] {
            let kernel = makeKernel(.explicitSync)
            kernel.inject(.interrupted, into: .ioctl, request: request, times: 3)
            let pcm = try openPCM(kernel)
            try pcm.configure(standardRequest(.readWriteInterleaved))
            let written = try [UInt8](repeating: 0, count: 4096).withUnsafeBytes { try pcm.writeInterleaved($0) }
            #expect(written == 1024)
            #expect(kernel.trace.filter { $0.errno == .interrupted }.count == 3)
        }
    }

    @Test func openFailuresCarryThePathAndLeaveNothingOpen() {
        for errno in [Errno.resourceBusy, .noSuchFileOrDirectory, .permissionDenied] {
            let kernel = makeKernel(.dummy)
            kernel.inject(errno, into: .open)
            let error = #expect(throws: AlsaError.self) { _ = try openPCM(kernel) }
            #expect(error?.operation == .open && error?.errno == errno)
            #expect(error?.context == "/dev/snd/pcmC0D0p")
        }
        let missing = #expect(throws: AlsaError.self) {
            _ = try KernelPCM(card: 3, device: 0, direction: .playback, kernel: makeKernel(.dummy))
        }
        #expect(missing?.errno == .noSuchFileOrDirectory)
    }

    @Test func aFailingOpenStepClosesTheDescriptor() {
        for request in [ALSA_IOCTL_PVERSION, ALSA_IOCTL_INFO, ALSA_IOCTL_HW_REFINE] {
            let kernel = makeKernel(.dummy)
            kernel.inject(.ioError, into: .ioctl, request: request)
            let error = #expect(throws: AlsaError.self) { _ = try openPCM(kernel) }
            #expect(error?.errno == .ioError)
            #expect(kernel.openDescriptorCount == 0)
            #expect(kernel.mappedRegionCount == 0)
        }
    }

    @Test func aRefusedRecordMappingFallsBackToSyncPtr() throws {
        let kernel = makeKernel(.dummy)
        kernel.inject(.noSuchAddressOrDevice, into: .mmap)
        let pcm = try openPCM(kernel)
        #expect(pcm.syncStrategy.status == .syncPtr(.mmapRefused(.noSuchAddressOrDevice)))
        #expect(pcm.syncStrategy.control == .mapped)
        try pcm.configure(standardRequest(.mmapInterleaved))
        let written = try playMmap(pcm, frames: 256 * 16, waitFirst: false)
        try pcm.drain()
        #expect(kernel.playbackObservation().checksum == written)
    }

    @Test func aFailedHardwareConfigurationLeavesTheHandleUsable() throws {
        let kernel = makeKernel(.explicitSync)
        kernel.inject(.noMemory, into: .ioctl, request: ALSA_IOCTL_HW_PARAMS)
        let pcm = try openPCM(kernel)
        let error = #expect(throws: AlsaError.self) { try pcm.configure(standardRequest(.mmapInterleaved)) }
        #expect(error?.operation == .hwParams && error?.errno == .noMemory)
        #expect(try pcm.configure(standardRequest(.mmapInterleaved)).bufferSize == 1024)
    }

    @Test func aFailedDataMappingIsReportedAndLeavesNothingMapped() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        kernel.inject(.noMemory, into: .mmap)
        let error = #expect(throws: AlsaError.self) { try pcm.configure(standardRequest(.mmapInterleaved)) }
        #expect(error?.operation == .mmapData)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test func anInterruptedWaitReturnsEarly() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        kernel.inject(.interrupted, into: .poll)
        #expect(try pcm.wait() == false)
        kernel.inject(.noMemory, into: .poll)
        let error = #expect(throws: AlsaError.self) { _ = try pcm.wait() }
        #expect(error?.operation == .poll)
    }

    @Test func aFailingCloseStillReleasesTheDescriptor() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        kernel.inject(.ioError, into: .close)
        let error = #expect(throws: AlsaError.self) { try pcm.close() }
        #expect(error?.operation == .close)
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }
}
