import AlsaSimulation
import CAlsaKernel
import Testing
@testable import AlsaSwift

/// "Is this exact configuration supported?", answered by HW_REFINE on the simulated drivers
/// (Sources/AlsaSimulation/SimulatedHardware.swift): `.dummy` takes U8 and S16_LE, 1-2 channels,
/// any rate in 5500-48000, interleaved access only, 64 KiB of buffer; `.explicitSync` takes five
/// formats, 1-8 channels, ten listed rates, every access, 2-1024 periods, and no period wakeups.
@Suite("Device model: exact configuration support")
struct ExactSupportTests {
    /// Card 0 "Dummy" (`.dummy`, devices 0 and 1); card 2 "ExplicitSync" (`.explicitSync`).
    func machine() -> SimulatedKernel { makeListingMachine() }

    static let stereo = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 44_100)

    static func asking(_ change: (inout HardwareRequest) -> Void) -> HardwareRequest {
        var request = stereo
        change(&request)
        return request
    }

    /// Each case: a request and whether the dummy and the explicit-sync device take it.
    static let cases: [(label: String, request: HardwareRequest, dummy: Bool, explicitSync: Bool)] = [
        ("S16_LE stereo 44100", stereo, true, true),
        ("rate 5500", asking { $0.sampleRate = 5500 }, true, false),
        ("rate 44000", asking { $0.sampleRate = 44_000 }, true, false),
        ("rate 96000", asking { $0.sampleRate = 96_000 }, false, true),
        ("rate 192000", asking { $0.sampleRate = 192_000 }, false, true),
        ("mono", asking { $0.channelCount = 1 }, true, true),
        ("3 channels", asking { $0.channelCount = 3 }, false, true),
        ("8 channels", asking { $0.channelCount = 8 }, false, true),
        ("9 channels", asking { $0.channelCount = 9 }, false, false),
        ("U8", asking { $0.format = .u8 }, true, true),
        ("S32_LE", asking { $0.format = .s32LE }, false, true),
        ("FLOAT_LE", asking { $0.format = .floatLE }, false, true),
        ("S24_3LE", asking { $0.format = .s24_3LE }, false, true),
        ("S24_LE", asking { $0.format = .s24LE }, false, false),
        ("mmap interleaved", asking { $0.access = .mmapInterleaved }, true, true),
        ("mmap non-interleaved", asking { $0.access = .mmapNonInterleaved }, false, true),
        ("read/write non-interleaved", asking { $0.access = .readWriteNonInterleaved }, false, true),
        ("period 1024 frames", asking { $0.periodSize = 1024 }, true, true),
        ("buffer 16384 frames", asking { $0.bufferSize = 16_384 }, true, true),
        ("buffer 65536 frames (256 KiB)", asking { $0.bufferSize = 65_536 }, false, true),
        ("one period", asking { $0.periodCount = 1 }, true, false),
        ("no period wakeups", asking { $0.periodWakeups = false }, false, true),
        ("8 channels at 96000", asking { $0.channelCount = 8; $0.sampleRate = 96_000 }, false, true),
    ]

    @Test("each parameter is answered exactly on the dummy and the explicit-sync device, both directions", arguments: cases.indices)
    func answers(index: Int) throws {
        let (label, request, dummy, explicitSync) = Self.cases[index]
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        for direction in [StreamDirection.playback, .capture] {
            #expect(try devices.supports(request, on: "hw:0,0", direction: direction) == dummy, "dummy \(direction): \(label)")
            #expect(try devices.supports(request, on: "hw:CARD=ExplicitSync,DEV=0", direction: direction) == explicitSync,
                    "explicit sync \(direction): \(label)")
        }
        // The answer agrees with what configure grants: a supported request is granted as asked.
        if dummy {
            let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
            let granted = try pcm.configure(request)
            #expect(granted.sampleRate == request.sampleRate && granted.channelCount == request.channelCount
                    && granted.format == request.format && granted.access == request.access, "\(label): \(granted)")
            try pcm.close()
        }
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test("the question is one HW_REFINE on a non-blocking open; nothing is configured")
    func oneRefine() throws {
        let kernel = machine()
        kernel.clearTrace()
        #expect(try AudioDevices(kernel: kernel).supports(Self.stereo, on: "hw:0,0", direction: .playback))
        let names = kernel.ioctlNames
        #expect(names.filter { $0 == "HW_REFINE" }.count == 2, "\(names)")  // the open's whole space, then the request
        #expect(!names.contains("HW_PARAMS") && !names.contains("PREPARE"))
        // Opened non-blocking (O_NONBLOCK at open) and left so: a busy device fails, never waits.
        #expect(!kernel.trace.contains { $0.call == .setNonBlocking })
        #expect(kernel.trace.filter { $0.call == .open && $0.errno == nil }.count == 1)
    }

    @Test("a refusal names the device, the direction and the first refused value, with what the device allows")
    func refusalNamesTheParameter() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        func refusal(_ request: HardwareRequest, on name: String = "hw:0,0", _ direction: StreamDirection = .playback) -> AlsaError? {
            #expect(throws: AlsaError.self) { try devices.requireSupport(request, on: name, direction: direction) }
        }
        let rate = try #require(refusal(Self.asking { $0.sampleRate = 96_000 }))
        #expect(rate.operation == .hwRefine && rate.kind == .invalidArgument)
        #expect(rate.context == "hw:0,0 playback: rate 96000 is not supported with access \(AccessType.readWriteInterleaved), format S16_LE, channels 2; the device allows rate 5500...48000")
        #expect(rate.description.contains("hw:0,0 playback") && rate.description.contains("rate 96000"))

        let channels = try #require(refusal(Self.asking { $0.channelCount = 3 }, .capture))
        #expect(channels.context?.hasPrefix("hw:0,0 capture: channels 3 is not supported") == true, "\(channels)")
        #expect(channels.context?.hasSuffix("the device allows channels 1...2") == true, "\(channels)")

        let format = try #require(refusal(Self.asking { $0.format = .floatLE }))
        #expect(format.context == "hw:0,0 playback: format FLOAT_LE is not supported with access \(AccessType.readWriteInterleaved); the device allows U8, S16_LE")

        let access = try #require(refusal(Self.asking { $0.access = .mmapNonInterleaved }))
        #expect(access.context?.hasPrefix("hw:0,0 playback: access \(AccessType.mmapNonInterleaved) is not supported; the device allows") == true, "\(access)")

        // Values each allowed alone but not together: the later one is named, with the earlier.
        let rateList = try #require(refusal(Self.asking { $0.sampleRate = 44_000 }, on: "hw:2,0"))
        #expect(rateList.context?.contains("rate 44000 is not supported") == true, "\(rateList)")
        let buffer = try #require(refusal(Self.asking { $0.bufferSize = 65_536 }))
        #expect(buffer.context?.contains("buffer size 65536 is not supported with access") == true, "\(buffer)")
        #expect(buffer.context?.contains("the device allows buffer size") == true, "\(buffer)")

        let wakeups = try #require(refusal(Self.asking { $0.periodWakeups = false }))
        #expect(wakeups.context?.hasPrefix("hw:0,0 playback: period wakeups off are not supported") == true, "\(wakeups)")

        // What is supported throws nothing.
        try devices.requireSupport(Self.stereo, on: "hw:2,0", direction: .capture)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("questions without an answer throw: busy, absent, not a hw: name, impossible numbers, a failing refine")
    func unanswerable() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        let holder = try KernelPCM(card: 0, device: 1, direction: .playback, kernel: kernel)
        let busy = #expect(throws: AlsaError.self) { try devices.supports(Self.stereo, on: "hw:0,1", direction: .playback) }
        #expect(busy?.kind == .busy && busy?.context?.hasPrefix("hw:0,1 playback") == true, "\(String(describing: busy))")
        try holder.close()

        let absent = #expect(throws: AlsaError.self) { try devices.supports(Self.stereo, on: "hw:1,0", direction: .playback) }
        #expect(absent?.kind == .noSuchDevice && absent?.context?.hasPrefix("hw:1,0 playback") == true, "\(String(describing: absent))")

        let plugin = #expect(throws: AlsaError.self) { try devices.supports(Self.stereo, on: "plughw:0,0", direction: .playback) }
        #expect(plugin?.kind == .invalidArgument && plugin?.context?.contains("hw: names") == true, "\(String(describing: plugin))")

        let zero = #expect(throws: AlsaError.self) { try devices.supports(Self.asking { $0.sampleRate = 0 }, on: "hw:0,0", direction: .playback) }
        #expect(zero?.context?.contains("rate 0 is impossible") == true, "\(String(describing: zero))")
        let huge = #expect(throws: AlsaError.self) { try devices.supports(Self.asking { $0.channelCount = Int.max }, on: "hw:0,0", direction: .playback) }
        #expect(huge?.context?.contains("beyond") == true, "\(String(describing: huge))")

        // An I/O error from the request's refine is no answer: it is thrown, never read as false.
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_HW_REFINE, after: 1)
        let failing = #expect(throws: AlsaError.self) { try devices.supports(Self.stereo, on: "hw:0,0", direction: .playback) }
        #expect(failing?.operation == .hwRefine && failing?.errno == .ioError)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("a failed capability probe names the device and direction")
    func probeErrorsNameTheDevice() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        guard case .failed(let absent) = devices.capabilities(of: "hw:1,0", direction: .capture) else {
            Issue.record("hw:1,0 is absent")
            return
        }
        #expect(absent.context?.hasPrefix("hw:1,0 capture: ") == true, "\(absent)")
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_HW_REFINE)
        guard case .failed(let refine) = devices.capabilities(of: "hw:0,0", direction: .playback) else {
            Issue.record("the refine was to fail")
            return
        }
        #expect(refine.operation == .hwRefine && refine.context == "hw:0,0 playback", "\(refine)")
        #expect(kernel.openDescriptorCount == 0)
    }
}
