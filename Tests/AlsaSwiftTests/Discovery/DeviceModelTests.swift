import AlsaSimulation
import CAlsaKernel
import Testing
@testable import AlsaSwift

@Suite("Device model: default devices, the merged listing, capabilities on demand")
struct DeviceModelTests {
    /// Card 0 "Dummy": two plain devices; card 1 absent; card 2 "ExplicitSync": an explicit-sync device.
    func machine() -> SimulatedKernel { makeListingMachine() }

    @Test("the simulated machine lists every kernel device once, by stable name, and opens no PCM")
    func simulatedListing() throws {
        let kernel = machine()
        kernel.clearTrace()
        let devices = AudioDevices(kernel: kernel).list()
        #expect(devices.map(\.name) == ["hw:CARD=Dummy,DEV=0", "hw:CARD=Dummy,DEV=1", "hw:CARD=ExplicitSync,DEV=0"])
        #expect(devices.map(\.card) == [0, 0, 2])
        #expect(devices.map(\.device) == [0, 1, 0])
        #expect(devices.allSatisfy { $0.directions == [.playback, .capture] && $0.transport == .direct && $0.origin == .hardware })
        #expect(devices.allSatisfy { $0.problem == nil })
        #expect(devices.map(\.title) == ["Dummy, Simulated PCM", "Dummy, Simulated PCM", "Explicit sync, ExplicitSync PCM"])
        #expect(devices[0].description == "hw:CARD=Dummy,DEV=0 (playback+capture, direct kernel transport): Dummy, Simulated PCM")
        // Only the two control devices were opened.
        #expect(kernel.trace.filter { $0.call == .open && $0.errno == nil }.count == 2)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("capabilities probed on demand match the simulated drivers, explicit sync included")
    func simulatedCapabilities() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        for device in devices.list() {
            let probes = devices.capabilities(of: device)
            #expect(probes.map(\.direction) == [.playback, .capture])
            for (direction, probe) in probes {
                let capabilities = try #require(probe.capabilities, "\(device.name) \(direction): \(probe)")
                let sync = try #require(probe.sync)
                #expect(sync.transport == .direct)
                #expect(sync.hardware?.card == device.card && sync.hardware?.device == device.device)
                if device.card == 2 {
                    #expect(capabilities.formats == [.u8, .s16LE, .s32LE, .floatLE, .s24_3LE])
                    #expect(capabilities.sampleRate == 8000...192_000 && capabilities.channelCount == 1...8)
                    #expect(capabilities.requiresExplicitSync && sync.deviceRequiresExplicitSync == true)
                    #expect(sync.strategy?.status == .syncPtr(.explicitSync) && sync.strategy?.control == .syncPtr(.explicitSync))
                } else {
                    #expect(capabilities.formats == [.u8, .s16LE])
                    #expect(capabilities.sampleRate == 5500...48_000 && capabilities.channelCount == 1...2)
                    #expect(!capabilities.requiresExplicitSync && sync.deviceRequiresExplicitSync == false)
                    #expect(sync.strategy?.status == .mapped && sync.strategy?.control == .mapped)
                }
                #expect(capabilities.periodSize.lowerBound > 0 && capabilities.bufferSize.upperBound >= capabilities.periodSize.upperBound)
            }
        }
        // What the probe read is what an application opening the name gets.
        let reference = try PCMDevice.open("hw:0,0", direction: .playback, kernel: kernel).capabilities
        #expect(devices.capabilities(of: "hw:CARD=Dummy,DEV=0", direction: .playback).capabilities == reference)
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test("a busy or failing device is reported on its own entry; the listing stays whole")
    func busyAndFailing() throws {
        let kernel = machine()
        let holder = try KernelPCM(card: 0, device: 1, direction: .playback, kernel: kernel)
        let devices = AudioDevices(kernel: kernel)
        #expect(devices.list().count == 3)
        #expect(devices.capabilities(of: "hw:CARD=Dummy,DEV=1", direction: .playback) == .busy)
        #expect(devices.capabilities(of: "hw:CARD=Dummy,DEV=1", direction: .capture).capabilities != nil)
        #expect(devices.defaultDevice(.playback).hardware == HardwareAddress(card: 0, device: 0, subdevice: 0))
        try holder.close()

        // The kernel refuses to describe card 0's first stream: that entry carries the error.
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_CTL_PCM_INFO)
        let listed = devices.list()
        #expect(listed.map(\.name) == ["hw:CARD=Dummy,DEV=0", "hw:CARD=Dummy,DEV=1", "hw:CARD=ExplicitSync,DEV=0"])
        #expect(listed[0].problem == AlsaError(.controlPCMInfo, .ioError))
        #expect(listed[0].directions == [.capture])
        #expect(listed[1].problem == nil && listed[2].problem == nil)

        // A card whose control device cannot be opened is one entry with the reason.
        kernel.inject(.permissionDenied, into: .open)
        let second = devices.list()
        #expect(second.map(\.name) == ["hw:0", "hw:CARD=ExplicitSync,DEV=0"])
        #expect(second[0].problem?.kind == .permissionDenied && second[0].directions.isEmpty)
        #expect(devices.capabilities(of: "no-such-pcm", direction: .playback) != .busy)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("the simulated machine's default is card 0, device 0, as alsa-lib's built-in configuration gives")
    func simulatedDefault() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        for direction in [StreamDirection.playback, .capture] {
            let found = devices.defaultDevice(direction)
            #expect(found.name == "hw:0,0" && found.direction == direction && found.configuredType == nil)
            guard case .hardware(let address, let card) = found.route else {
                Issue.record("\(found)")
                continue
            }
            #expect(address == HardwareAddress(card: 0, device: 0, subdevice: 0))
            #expect(card?.id == "Dummy")
            #expect(found.card == 0)
        }
        #expect(devices.defaultDevice(.playback).description == "default playback: hw:0,0 -> hw:0,0,0, card Dummy: Dummy")
        #expect(kernel.openDescriptorCount == 0)

        // Without card 0 there is no default; the reason is kept.
        let cardless = SimulatedKernel(card: 2, hardware: .explicitSync)
        let none = AudioDevices(kernel: cardless).defaultDevice(.playback)
        guard case .unavailable(let error) = none.route else {
            Issue.record("\(none)")
            return
        }
        #expect(error.kind == .noSuchDevice)
        #expect(none.card == nil && none.hardware == nil)
    }

    @Test("a hint and a kernel device with the same name merge into one entry; other names stay apart")
    func merging() {
        let hint = AudioDevice(name: "hw:CARD=Dummy,DEV=0", directions: [.playback, .capture], title: "Dummy, Dummy PCM",
                               details: "Direct hardware device without any conversions", origin: .alsaLib,
                               card: 0, device: nil, transport: .direct)
        let kernel = AudioDevice(name: "hw:CARD=Dummy,DEV=0", directions: [.capture], title: "Dummy, Dummy PCM",
                                 details: "", origin: .hardware, card: 0, device: 0, transport: .direct)
        for merged in [AudioDevices.merge(hint, kernel), AudioDevices.merge(kernel, hint)] {
            #expect(merged.origin == .hardware && merged.device == 0)
            #expect(merged.directions == [.capture])   // the kernel knows which directions exist
            #expect(merged.details == "Direct hardware device without any conversions")
        }
        let playback = AudioDevice(name: "x", directions: [.playback], title: "x", details: "", origin: .alsaLib,
                                   card: nil, device: nil, transport: .alsaLib)
        var capture = playback
        capture.directions = [.capture]
        #expect(AudioDevices.merge(capture, playback).directions == [.playback, .capture])
        #expect(AudioDevices.split("Dummy, Dummy PCM\nDirect hardware device\nwithout conversions") ==
                ("Dummy, Dummy PCM", "Direct hardware device without conversions"))
        #expect(AudioDevices.cardField(of: "sysdefault:CARD=Dummy") == "Dummy")
        #expect(AudioDevices.cardField(of: "hw:CARD=Loopback,DEV=1") == "Loopback")
        #expect(AudioDevices.cardField(of: "null") == nil)
        #expect(AudioDevices.cardField(of: "plughw:0,0") == nil)
    }

    // MARK: the machine's alsa-lib

    @Test("alsa-lib's names are listed once each, with directions and descriptions; null among them")
    func hostListing() throws {
        let listing = AudioDevices().listing()
        let devices = listing.devices
        #expect(listing.description.hasPrefix("default (playback+capture, alsa-lib): "))
        let hintProblem = listing.hintProblem
        #expect(hintProblem == nil)
        #expect(Set(devices.map(\.name)).count == devices.count)
        // `default` leads, advertised or not.
        #expect(devices.first?.name == "default")
        #expect(devices.first?.directions == [.playback, .capture] && devices.first?.transport == .alsaLib)
        let null = try #require(devices.first { $0.name == "null" })
        #expect(null.directions == [.playback, .capture])
        #expect(null.title == "Discard all samples (playback) or generate zero samples (capture)")
        #expect(null.origin == .alsaLib && null.transport == .alsaLib && null.card == nil && null.problem == nil)
    }

    @Test("a default defined in configuration text: its type, a plugin with no kernel PCM, its capabilities")
    func configuredDefault() throws {
        let devices = AudioDevices(alsaLibConfiguration: "pcm.!default { type null }")
        let found = devices.defaultDevice(.playback)
        #expect(found.name == "default" && found.configuredType == "null")
        #expect(found.route == .plugin(card: nil))
        #expect(found.description == "default playback: default (type null) -> a plugin with no kernel PCM visible")

        let probe = devices.capabilities(of: "default", direction: .capture)
        let capabilities = try #require(probe.capabilities, "\(probe)")
        #expect(capabilities.formats.contains(.s16LE) && capabilities.channelCount.lowerBound == 1)
        #expect(probe.sync == SyncReport(transport: .alsaLib, hardware: nil, deviceRequiresExplicitSync: nil, strategy: nil))

        let file = AudioDevices(alsaLibConfiguration: #"pcm.!default { type file slave.pcm "null" file "/dev/null" format "raw" }"#)
        let filed = file.defaultDevice(.playback)
        #expect(filed.configuredType == "file" && filed.route == .plugin(card: nil))

        // A default that cannot open is reported with alsa-lib's reason, never thrown.
        let broken = AudioDevices(alsaLibConfiguration: #"pcm.!default { type hw card 29 }"#).defaultDevice(.playback)
        #expect(broken.configuredType == "hw")
        guard case .unavailable(let error) = broken.route else {
            Issue.record("\(broken)")
            return
        }
        #expect(error.operation == .open)
    }

    @Test("alsa-lib's null PCM probes as available with no kernel PCM; an unknown name fails on its own")
    func hostCapabilities() throws {
        let devices = AudioDevices()
        let null = devices.capabilities(of: "null", direction: .playback)
        #expect(null.capabilities?.formats.isEmpty == false)
        #expect(null.sync?.hardware == nil && null.sync?.deviceRequiresExplicitSync == nil)
        let unknown = devices.capabilities(of: "no-such-pcm-anywhere", direction: .playback)
        guard case .failed(let error) = unknown else {
            Issue.record("\(unknown)")
            return
        }
        #expect(error.operation == .open)
    }
}
