import AlsaSimulation
@testable import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

@Suite struct SyncStrategyTests {
    private func mmapOffsets(_ kernel: SimulatedKernel) -> [Int] {
        kernel.trace.filter { $0.call == .mmap }.compactMap(\.mmapOffset)
    }

    @Test func coherentDeviceOnX86MapsBothRecords() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        #expect(pcm.syncStrategy.status == .mapped)
        #expect(pcm.syncStrategy.control == .mapped)
        #expect(!pcm.syncStrategy.usesSyncPtr)
        #expect(!pcm.syncStrategy.deviceRequiresExplicitSync)
        #expect(mmapOffsets(kernel) == [ALSA_MMAP_OFFSET_STATUS_NEW, ALSA_MMAP_OFFSET_CONTROL_NEW])
    }

    @Test func explicitSyncDeviceNeverTriesToMapTheRecords() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        #expect(pcm.syncStrategy.status == .syncPtr(.explicitSync))
        #expect(pcm.syncStrategy.control == .syncPtr(.explicitSync))
        #expect(pcm.syncStrategy.deviceRequiresExplicitSync)
        try pcm.configure(standardRequest(.mmapInterleaved))
        #expect(pcm.setup?.info.contains(.explicitSync) == true)
        #expect(pcm.syncStrategy.status == .syncPtr(.explicitSync))
        // Only the data buffer was mapped.
        #expect(mmapOffsets(kernel) == [ALSA_MMAP_OFFSET_DATA])
        #expect(kernel.trace.filter { $0.call == .mmap && $0.errno != nil }.isEmpty)
        #expect(pcm.syncStrategy.description.contains("explicit sync"))
    }

    @Test func syncApplPtrDriverKeepsStatusMappedAndControlThroughSyncPtr() throws {
        let kernel = makeKernel(.syncApplPtr)
        let pcm = try openPCM(kernel)
        #expect(pcm.syncStrategy.status == .mapped)
        #expect(pcm.syncStrategy.control == .syncPtr(.syncApplPtr))
        #expect(mmapOffsets(kernel) == [ALSA_MMAP_OFFSET_STATUS_NEW])
        // USER_PVERSION went first, so the kernel allowed the status mapping.
        let names = kernel.ioctlNames
        #expect(names.firstIndex(of: "USER_PVERSION")! < names.firstIndex(of: "HW_REFINE")!)
    }

    @Test func oldProtocolLosesTheStatusRecordOfSyncApplPtrDrivers() {
        let planned = SyncStrategy.predetermined(info: .syncApplPtr, announcedProtocol: nil, forced: [])
        #expect(planned.status == .syncPtr(.syncApplPtr))
        #expect(planned.control == .syncPtr(.syncApplPtr))
        let modern = SyncStrategy.predetermined(info: .syncApplPtr, announcedProtocol: alsa_protocol_version(2, 0, 14), forced: [])
        #expect(modern.status == nil)
    }

    @Test func nonX86KernelRefusesBothMappingsAndTheLibraryFallsBack() throws {
        var hardware = SimulatedHardware.dummy
        hardware.architecture = .arm64
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel)
        #expect(pcm.syncStrategy.status == .syncPtr(.mmapRefused(.noSuchAddressOrDevice)))
        #expect(pcm.syncStrategy.control == .syncPtr(.mmapRefused(.noSuchAddressOrDevice)))
        #expect(!pcm.syncStrategy.deviceRequiresExplicitSync)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test func forcedPerRecord() throws {
        let kernel = makeKernel(.dummy)
        let statusOnly = try openPCM(kernel, options: PCMOpenOptions(forceSyncPtr: .status))
        #expect(statusOnly.syncStrategy.status == .syncPtr(.forced))
        #expect(statusOnly.syncStrategy.control == .mapped)
        try statusOnly.close()
        let both = try openPCM(kernel, options: PCMOpenOptions(forceSyncPtr: .both))
        #expect(both.syncStrategy == SyncStrategy(status: .syncPtr(.forced), control: .syncPtr(.forced),
                                                  deviceRequiresExplicitSync: false))
    }

    @Test func explicitSyncWinsOverForcing() {
        let planned = SyncStrategy.predetermined(info: [.explicitSync, .mmap], announcedProtocol: nil, forced: [])
        #expect(planned.status == .syncPtr(.explicitSync) && planned.control == .syncPtr(.explicitSync))
        let coherent = SyncStrategy.predetermined(info: [.mmap], announcedProtocol: nil, forced: [])
        #expect(coherent.status == nil && coherent.control == nil)
    }
}

/// Found on the real kernel: format bits above 63 come back as sent, so capabilities must not
/// read them as formats.
@Suite struct FormatMaskTests {
    @Test func formatBitsAboveTheKernelsRangeAreNotReported() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        #expect(pcm.capabilities.formats == [.u8, .s16LE])
        #expect(pcm.capabilities.formats.allSatisfy { $0.rawValue < 64 })
    }
}
