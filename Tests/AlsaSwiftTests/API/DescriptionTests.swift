import AlsaSimulation
import AlsaSwift
import Testing

/// What an app prints reads as one line in the API's terms, not as a dump of stored properties.
@Suite struct DescriptionTests {
    @Test func requestsAndRepliesPrintInOneLine() throws {
        #expect(HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, periodCount: 4)
            .description == "MMAP_INTERLEAVED S16_LE 2ch 48000 Hz, period 256 frames x 4")
        #expect(StreamRequest(sampleRate: 96_000, channelCount: 6, formats: [.floatLE], mayAdapt: [.sampleRate, .channelCount]).description
            == "6ch 96000 Hz, latency 0.1 seconds, 4 periods, formats FLOAT_LE, may adapt sample rate and channel count")
        let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: makeKernel())
        #expect(pcm.capabilities.description.hasPrefix("U8|S16_LE, 1-2 channels, 5500-48000 Hz"))
        try pcm.configure(standardRequest(.mmapInterleaved))
        #expect(pcm.softwareParameters?.description.hasPrefix("avail_min 256, start at 1024, stop at 1024") == true)
        #expect(try pcm.status().description.hasPrefix("PREPARED, hw_ptr 0, appl_ptr 0, avail 1024"))
        #expect(RecoveryPolicy.automatic.description == "automatic" && TimestampType.monotonic.description == "monotonic")
    }

    @Test func controlEventsDevicesAndBuffersPrintByName() throws {
        let kernel = makeMixerKernel()
        let events = try CardControls(card: 0, kernel: kernel).events()
        kernel.setControl(named: "Line Volume", values: [10, 20])
        let event = try #require(try events.available().first)
        #expect(event.description == "numid=5,iface=MIXER,name='Line Volume': value")
        #expect(ControlChanges.removed.description == "removed" && ControlChanges().description == "none")
        #expect(ControlAccess([.read, .write, .tlvRead]).description == "read, write, TLV read")
        #expect(ControlInterface.pcm.description == "PCM")
        #expect(DeviceChange.cardAdded(card: 1).description == "card 1 added")
        #expect(DeviceChange.pcmRemoved(card: 1, device: 0, direction: .capture).description == "capture PCM hw:1,0 removed")
        let buffer = try InterleavedAudioBuffer(channelCount: 2, frameCount: 480)
        #expect(buffer.description == "2 channels x 480 frames, interleaved")
        #expect(buffer.nonInterleaved.description == "2 channels x 480 frames, non-interleaved")
    }
}
