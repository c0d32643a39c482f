@testable import AlsaSwift
import AlsaSimulation
import CAlsaKernel
import SystemPackage
import Testing

@Suite struct ChannelMapTests {
    static let stereo = ChannelMapOption(arrangement: .fixed, map: [.frontLeft, .frontRight])
    static let mono = ChannelMapOption(arrangement: .fixed, map: [.mono])

    /// snd-dummy's shape (1-2 channels) with a channel map control on device 0, like the generic
    /// one snd_pcm_add_chmap_ctls gives (snd-intel8x0, many PCI drivers): read-only, fixed maps.
    private func kernel(offers: [ChannelMapOption] = [mono, stereo], writable: Bool = false,
                        direction: StreamDirection = .playback) -> SimulatedKernel {
        let kernel = makeKernel()
        kernel.addControls([.channelMap(direction: direction, device: 0, offers: offers, maxChannels: 2, writable: writable)])
        return kernel
    }

    private func request(channelCount: Int) -> HardwareRequest {
        HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: channelCount, sampleRate: 48_000, periodSize: 256, periodCount: 4)
    }

    @Test func positionsHaveAlsaLibsNames() {
        #expect(ChannelPosition.frontLeft.description == "FL")
        #expect(ChannelPosition.lowFrequency.description == "LFE")
        #expect(ChannelPosition(rawValue: 36).description == "BRC")
        #expect(ChannelPosition(rawValue: 40).description == "Ch40")
        #expect(ChannelPosition.rearRight.phaseInverted.description == "RR[INV]")
        #expect(ChannelPosition(rawValue: 7 | ALSA_CHMAP_DRIVER_SPEC).description == "7")
        #expect(ChannelPosition(name: "fc") == .frontCenter)
        #expect(ChannelPosition(name: "SL[INV]") == ChannelPosition.sideLeft.phaseInverted)
        #expect(ChannelPosition(name: "Ch40") == ChannelPosition(rawValue: 40))
        #expect(ChannelPosition(name: "LEFT") == nil)
        let surround = ChannelMap([.frontLeft, .frontRight, .rearLeft, .rearRight, .frontCenter, .lowFrequency])
        #expect(surround.description == "FL FR RL RR FC LFE")
        #expect(ChannelMap(parsing: "FL FR RL RR FC LFE") == surround)
        #expect(ChannelMap(parsing: "FL,XX") == nil)
        #expect(ChannelMapOption(arrangement: .variable, map: [.frontLeft, .frontRight]).description == "VAR: FL FR")
    }

    @Test func arrangementsAllowWhatTheirTypeSays() {
        let fixed = Self.stereo
        let variable = ChannelMapOption(arrangement: .variable, map: [.frontLeft, .frontRight, .frontCenter])
        let paired = ChannelMapOption(arrangement: .paired, map: [.frontLeft, .frontRight, .rearLeft, .rearRight])
        #expect(fixed.allows([.frontLeft, .frontRight]))
        #expect(!fixed.allows([.frontRight, .frontLeft]))
        #expect(variable.allows([.frontCenter, .frontLeft, .frontRight]))
        #expect(!variable.allows([.frontCenter, .frontLeft, .lowFrequency]))
        #expect(paired.allows([.rearLeft, .rearRight, .frontLeft, .frontRight]))
        #expect(!paired.allows([.frontRight, .frontLeft, .rearLeft, .rearRight]))
        #expect(!fixed.allows([.frontLeft]))
    }

    @Test func aMalformedTLVIsRefusedNotReadPast() throws {
        let good: [UInt32] = [0, 28, 0x101, 4, 2, 0x102, 8, 3, 4]
        #expect(try ChannelMapOption.parse(tlv: good, element: "x")
            == [Self.mono, ChannelMapOption(arrangement: .variable, map: [.frontLeft, .frontRight])])
        for bad: [UInt32] in [[0, 32, 0x101, 4, 2, 0x102, 8, 3, 4], [0, 28, 0x101, 4, 2, 0x102, 12, 3, 4],
                              [1, 8, 0x101, 4], [0, 12, 0x104, 4, 2], [0], [0, 6, 0x101]] {
            #expect(throws: AlsaError.self) { try ChannelMapOption.parse(tlv: bad, element: "x") }
        }
    }

    /// The direct transport reads the control the kernel's PCM core makes (interface PCM, device
    /// = the PCM device): the offers from its TLV, the map for the configured channel count.
    @Test func theDirectTransportReadsTheChannelMapControl() throws {
        let kernel = kernel()
        let pcm = try openPCM(kernel)
        #expect(try pcm.channelMapOptions() == [Self.mono, Self.stereo])
        #expect(throws: AlsaError(.channelMap, .badFileDescriptorState,
                                  context: "the PCM has no hardware configuration; call configure first")) { try pcm.channelMap() }
        try pcm.configure(request(channelCount: 2))
        #expect(try pcm.channelMap() == [.frontLeft, .frontRight])
        try pcm.configure(request(channelCount: 1))
        #expect(try pcm.channelMap() == [.mono])
        // The capture substream has no map control: nothing offered, nothing reported.
        let capture = try openPCM(kernel, .capture)
        try capture.configure(request(channelCount: 2))
        #expect(try capture.channelMapOptions().isEmpty)
        #expect(try capture.channelMap() == nil)
        #expect { try capture.setChannelMap([.frontLeft, .frontRight]) } throws: { ($0 as? AlsaError)?.errno == .noSuchAddressOrDevice }
    }

    /// A fixed map (read-only control): setting the map in effect is a no-op, as in alsa-lib;
    /// any other is refused, an unoffered one before the driver sees it.
    @Test func aFixedMapAcceptsOnlyItself() throws {
        let kernel = kernel()
        let pcm = try openPCM(kernel)
        try pcm.configure(request(channelCount: 2))
        try pcm.setChannelMap([.frontLeft, .frontRight])
        #expect { try pcm.setChannelMap([.frontRight, .frontLeft]) } throws: { ($0 as? AlsaError)?.errno == .invalidArgument }
        #expect { try pcm.setChannelMap([.frontLeft]) } throws: { ($0 as? AlsaError)?.errno == .invalidArgument }
        #expect(try pcm.channelMap() == [.frontLeft, .frontRight])
    }

    /// A driver that lets user space choose (HDMI's writable control, VAR offers): the map set
    /// is the map read back; a running stream refuses a change.
    @Test func aWritableMapReadsBackWhatWasSet() throws {
        let kernel = kernel(offers: [ChannelMapOption(arrangement: .variable, map: [.frontLeft, .frontRight])], writable: true)
        let pcm = try openPCM(kernel)
        try pcm.configure(request(channelCount: 2))
        #expect(try pcm.channelMap() == [.frontLeft, .frontRight])
        try pcm.setChannelMap([.frontRight, .frontLeft])
        #expect(try pcm.channelMap() == [.frontRight, .frontLeft])
        #expect(kernel.control(named: "Playback Channel Map") != nil)
        #expect { try pcm.setChannelMap([.frontLeft, .lowFrequency]) } throws: { ($0 as? AlsaError)?.errno == .invalidArgument }
        try [UInt8](repeating: 0, count: 4096).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        #expect(try pcm.state == .running)
        #expect { try pcm.setChannelMap([.frontLeft, .frontRight]) } throws: { ($0 as? AlsaError)?.errno == .badFileDescriptorState }
    }

    /// The control a channel map lives in is the PCM device's own: device 1's control does not
    /// answer for device 0.
    @Test func theControlIsFoundByItsPCMDevice() throws {
        let kernel = makeKernel()
        kernel.addDevice(card: 0, device: 1, hardware: .dummy)
        kernel.addControls([.channelMap(direction: .playback, device: 1, offers: [Self.stereo], maxChannels: 2)])
        let zero = try openPCM(kernel)
        #expect(try zero.channelMapOptions().isEmpty)
        let one = try KernelPCM(card: 0, device: 1, direction: .playback, kernel: kernel)
        try one.configure(request(channelCount: 2))
        #expect(try one.channelMapOptions() == [Self.stereo])
        #expect(try one.channelMap() == [.frontLeft, .frontRight])
    }

    @Test func streamsAnswerChannelMaps() throws {
        let kernel = kernel(direction: .capture)
        let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 1), kernel: kernel)
        #expect(try stream.channelMapOptions() == [Self.mono, Self.stereo])
        #expect(try stream.channelMap() == [.mono])
        try stream.setChannelMap([.mono])
    }
}
