import AlsaSimulation
import AlsaSwift
import SystemPackage
import Testing

@Suite struct NegotiationTests {
    @Test func capabilitiesOfADummyCard() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        let caps = pcm.capabilities
        #expect(caps.formats == [.u8, .s16LE])
        #expect(caps.channelCount == 1...2)
        #expect(caps.sampleRate == 5500...48000)
        #expect(caps.accessTypes.contains(.mmapInterleaved))
        #expect(caps.accessTypes.contains(.readWriteInterleaved))
        #expect(caps.info.contains(.mmap))
        #expect(!caps.requiresExplicitSync)
        #expect(caps.periodCount.lowerBound >= 1)
        // 64 KiB of buffer holds at most 65536 one-byte frames (U8 mono).
        #expect(caps.bufferSize.upperBound == 65536)
    }

    @Test func capabilitiesReportExplicitSync() throws {
        let pcm = try openPCM(makeKernel(.explicitSync))
        #expect(pcm.capabilities.requiresExplicitSync)
        #expect(pcm.capabilities.formats.contains(.floatLE))
        #expect(pcm.capabilities.channelCount == 1...8)
    }

    @Test func exactRequestIsGrantedAsAsked() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        let granted = try pcm.configure(standardRequest(.readWriteInterleaved))
        #expect(granted.access == .readWriteInterleaved)
        #expect(granted.format == .s16LE)
        #expect(granted.channelCount == 2)
        #expect(granted.sampleRate == 48000)
        #expect(granted.periodSize == 256)
        #expect(granted.periodCount == 4)
        #expect(granted.bufferSize == 1024)
        #expect(granted.frameBytes == 4)
        #expect(pcm.setup == granted)
        #expect(try pcm.state == .prepared)
        #expect(pcm.softwareParameters?.boundary ?? 0 >= 1024)
        #expect((pcm.softwareParameters?.boundary ?? 0) % 1024 == 0)
    }

    @Test func numbersOutsideTheDeviceRangeGetTheNearestAllowed() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        let granted = try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 6,
                                                        sampleRate: 96_000, periodSize: 256, periodCount: 4))
        #expect(granted.channelCount == 2)
        #expect(granted.sampleRate == 48000)
    }

    @Test func aRateBetweenListedRatesGetsTheNearestListedRate() throws {
        let pcm = try openPCM(makeKernel(.explicitSync))
        let granted = try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2,
                                                        sampleRate: 45_000, periodSize: 256, periodCount: 4))
        #expect(granted.sampleRate == 44100)
        let again = try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2,
                                                      sampleRate: 47_000, periodSize: 256, periodCount: 4))
        #expect(again.sampleRate == 48000)
    }

    @Test func aFormatTheDeviceLacksIsAClearError() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        let error = #expect(throws: AlsaError.self) {
            try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .floatLE))
        }
        #expect(error?.operation == .configure)
        #expect(error?.errno == .invalidArgument)
        #expect(error?.context?.contains("FLOAT_LE") == true)
        #expect(error?.context?.contains("S16_LE") == true)
        // Nothing was lost: the handle still configures.
        #expect(throws: Never.self) { try pcm.configure(standardRequest(.readWriteInterleaved)) }
    }

    @Test func anAccessTheDeviceLacksIsAClearError() throws {
        var hardware = SimulatedHardware.dummy
        hardware.info &= ~(PCMInfoFlags.mmap.rawValue | PCMInfoFlags.mmapValid.rawValue)
        hardware.accessMask = 1 << 3
        let pcm = try openPCM(makeKernel(hardware))
        let error = #expect(throws: AlsaError.self) { try pcm.configure(standardRequest(.mmapInterleaved)) }
        #expect(error?.operation == .configure)
        #expect(error?.context?.contains("MMAP_INTERLEAVED") == true)
    }

    @Test func impossibleNumbersAreRefused() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        let zero = #expect(throws: AlsaError.self) {
            try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 0))
        }
        #expect(zero?.context?.contains("channels 0") == true)
        let zeroRate = #expect(throws: AlsaError.self) {
            try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 0))
        }
        #expect(zeroRate?.operation == .configure)
    }

    @Test func aHugePeriodIsClampedToTheBuffer() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        let granted = try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2,
                                                        sampleRate: 48_000, periodSize: 1_000_000, periodCount: 2))
        // 65536 bytes of buffer at 4 bytes a frame: at most 16384 frames. The period is fixed first, at
        // the largest the device allows, which leaves room for one period only: the nearest to two.
        #expect(granted.periodSize == 16384)
        #expect(granted.bufferSize == 16384)
        #expect(granted.periodCount == 1)
    }

    @Test func configuringWhileRunningIsRefusedByTheKernel() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        let frames = [UInt8](repeating: 0, count: 1024 * 4)
        _ = try frames.withUnsafeBytes { try pcm.writeInterleaved($0) }
        #expect(try pcm.state == .running)
        let error = #expect(throws: AlsaError.self) { try pcm.configure(standardRequest(.readWriteInterleaved)) }
        #expect(error?.kind == .badState)
    }
}
