import AlsaSimulation
import CAlsaKernel
import Glibc
import SystemPackage
import Testing
@testable import AlsaSwift

@Suite("Device discovery: cards, kernel devices and their probes, through AudioDevices")
struct DiscoveryTests {
    /// Card 0: two plain devices; card 1 absent; card 2: an explicit-sync device.
    func machine() -> SimulatedKernel { makeListingMachine() }

    @Test("cards, devices and capabilities are listed exactly, and nothing stays open")
    func listing() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        let listing = devices.listing()
        let cards = listing.cards
        try #require(cards.map(\.index) == [0, 2])
        #expect(cards.map(\.id) == ["Dummy", "ExplicitSync"])
        #expect(cards.map(\.driver) == ["Dummy", "ExplicitSync"])
        #expect(cards[0].name == "Dummy" && cards[0].longName == "Dummy 1")
        #expect(cards.allSatisfy { $0.problem == nil && $0.midiDevices.isEmpty })

        let plain = listing.pcmDevices(card: 0)
        try #require(plain.map(\.device) == [0, 1])
        #expect(plain.map(\.card) == [0, 0])
        #expect(plain.map(\.kernelInfo?.name) == ["Simulated PCM", "Simulated PCM"])
        #expect(plain.map(\.name) == ["hw:CARD=Dummy,DEV=0", "hw:CARD=Dummy,DEV=1"])
        for device in plain {
            let info = try #require(device.kernelInfo, "\(device.name)")
            #expect(info.substreams.map(\.direction) == [.playback, .capture])
            for substreams in info.substreams {
                #expect(substreams.count == 1 && substreams.available == 1 && substreams.problem == nil)
                let probe = devices.capabilities(of: device.name, direction: substreams.direction)
                let capabilities = try #require(probe.capabilities, "\(device.name)")
                #expect(capabilities.formats == [.u8, .s16LE])
                #expect(capabilities.sampleRate == 5500...48_000)
                #expect(capabilities.channelCount == 1...2)
                #expect(capabilities.accessTypes == [.mmapInterleaved, .readWriteInterleaved])
                #expect(!capabilities.info.contains(.explicitSync))
                #expect(probe.sync?.strategy?.status == .mapped && probe.sync?.strategy?.control == .mapped)
            }
        }
        // What the probe read is what an application opening the device gets.
        let reference = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: makeKernel()).capabilities
        #expect(devices.capabilities(of: "hw:0,0", direction: .playback).capabilities == reference)

        let explicitDevices = listing.pcmDevices(card: 2)
        #expect(explicitDevices.map(\.device) == [0])
        #expect(explicitDevices.first?.kernelInfo?.name == "ExplicitSync PCM")
        for direction in [StreamDirection.playback, .capture] {
            let probe = devices.capabilities(of: "hw:2,0", direction: direction)
            let capabilities = try #require(probe.capabilities)
            #expect(capabilities.info.contains(.explicitSync))
            #expect(capabilities.formats == [.u8, .s16LE, .s32LE, .floatLE, .s24_3LE])
            #expect(capabilities.sampleRate == 8000...192_000)
            #expect(capabilities.channelCount == 1...8)
            #expect(probe.sync?.strategy?.status == .syncPtr(.explicitSync))
            #expect(probe.sync?.strategy?.control == .syncPtr(.explicitSync))
        }
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test("listing opens no PCM: every direction is described through the control devices only")
    func listingWithoutProbe() throws {
        let kernel = machine()
        kernel.clearTrace()
        let listing = AudioDevices(kernel: kernel).listing()
        let substreams = listing.devices.flatMap { $0.kernelInfo?.substreams ?? [] }
        #expect(substreams.count == 6)
        #expect(substreams.allSatisfy { $0.problem == nil })
        let opened = kernel.trace.filter { $0.call == .open && $0.errno == nil }.count
        #expect(opened == 2)  // the two control devices, nothing else
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("a busy device is reported on its own; the rest of the listing is whole")
    func busyDevice() throws {
        let kernel = machine()
        let holder = try KernelPCM(card: 0, device: 1, direction: .playback, kernel: kernel)
        let devices = AudioDevices(kernel: kernel)
        let listing = devices.listing()
        try #require(listing.cards.count == 2 && listing.pcmDevices(card: 0).count == 2)
        #expect(listing.cards.allSatisfy { $0.problem == nil })
        let held = try #require(listing.pcmDevices(card: 0)[1].kernelInfo)
        #expect(held.substreams(.playback) == AudioDevice.Substreams(direction: .playback, count: 1, available: 0))
        #expect(held.substreams(.capture)?.available == 1)
        #expect(devices.capabilities(of: "hw:0,1", direction: .playback) == .busy)
        #expect(devices.capabilities(of: "hw:0,1", direction: .capture).capabilities != nil)
        #expect(devices.capabilities(of: "hw:0,0", direction: .playback).capabilities != nil)
        #expect(devices.capabilities(of: "hw:2,0", direction: .playback).capabilities != nil)
        #expect(kernel.openDescriptorCount == 1)  // the holder's, nothing of the listing's
        try holder.close()
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("a device with a single direction lists only that direction")
    func singleDirection() throws {
        let kernel = machine()
        kernel.addDevice(card: 2, device: 3, hardware: .dummy, directions: [.capture])
        let devices = AudioDevices(kernel: kernel)
        let listed = devices.listing().pcmDevices(card: 2)
        try #require(listed.map(\.device) == [0, 3])
        #expect(listed[1].directions == [.capture])
        #expect(listed[1].kernelInfo?.substreams.map(\.direction) == [.capture])
        #expect(listed[1].kernelInfo?.substreams(.playback) == nil)
        #expect(devices.capabilities(of: listed[1].name, direction: .capture).capabilities?.formats == [.u8, .s16LE])
        #expect(kernel.openDescriptorCount == 0)
        #expect(devices.listing().pcmDevices(card: 1).isEmpty)
    }

    @Test("a failing control call is reported for that card only")
    func failingCard() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_CTL_PCM_NEXT_DEVICE)
        let listing = devices.listing()
        try #require(listing.cards.map(\.index) == [0, 2])
        #expect(listing.cards[0].problem?.errno == .ioError && listing.cards[0].problem?.operation == .controlNextDevice)
        #expect(listing.cards[0].id == "Dummy" && listing.pcmDevices(card: 0).isEmpty)
        #expect(listing.cards[1].problem == nil && listing.pcmDevices(card: 2).count == 1)
        #expect(kernel.openDescriptorCount == 0)

        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_CTL_CARD_INFO)
        let second = devices.listing()
        try #require(second.cards.map(\.index) == [0, 2])
        #expect(second.cards[0].problem?.operation == .controlCardInfo && second.cards[0].id.isEmpty)
        #expect(second.cards[1].problem == nil && second.cards[1].id == "ExplicitSync")
        #expect(kernel.openDescriptorCount == 0)

        // PCM_INFO failing for one stream marks that stream; its device and card stay listed.
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_CTL_PCM_INFO)
        let third = devices.listing()
        try #require(third.cards.count == 2 && third.pcmDevices(card: 0).count == 2)
        #expect(third.cards[0].problem == nil)
        let first = try #require(third.pcmDevices(card: 0)[0].kernelInfo)
        #expect(first.substreams(.playback)?.problem == AlsaError(.controlPCMInfo, .ioError))
        #expect(first.substreams(.capture)?.problem == nil)
    }

    @Test("a control device that cannot be opened is reported for that card; the others are listed")
    func unopenableControl() throws {
        let kernel = machine()
        kernel.inject(.permissionDenied, into: .open)  // the first open: card 0's control device
        let devices = AudioDevices(kernel: kernel)
        let listing = devices.listing()
        try #require(listing.cards.map(\.index) == [0, 2])
        #expect(listing.cards[0].problem?.operation == .open && listing.cards[0].problem?.errno == .permissionDenied)
        #expect(listing.pcmDevices(card: 0).isEmpty)
        #expect(listing.cards[1].problem == nil)
        #expect(devices.capabilities(of: "hw:2,0", direction: .playback).capabilities?.info.contains(.explicitSync) == true)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("an unplugged card disappears from the listing")
    func unplugged() throws {
        let kernel = machine()
        let devices = AudioDevices(kernel: kernel)
        kernel.disconnectAll()
        #expect(devices.listing() == AudioDeviceListing(cards: [], devices: [], hintProblem: nil))
        kernel.addDevice(card: 2, device: 0, hardware: .explicitSync)
        #expect(devices.listing().cards.map(\.index) == [2])
    }

    @Test("names that fill their C array to the last byte are read without running past it")
    func unterminatedNames() {
        var info = snd_ctl_card_info()
        withUnsafeMutableBytes(of: &info.id) { _ = $0.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "A")) }
        withUnsafeMutableBytes(of: &info.driver) { copyCString("Next", into: $0) }
        #expect(MemoryLayout.size(ofValue: info.id) == 16)
        #expect(CString.decode(info.id) == String(repeating: "A", count: 16))
        #expect(CString.decode(info.driver) == "Next")
    }

    @Test("hw:CARD=<id> names resolve through discovery; a chosen subdevice is honoured")
    func namesResolve() throws {
        let kernel = machine()
        let pcm = try PCMDevice.open("hw:CARD=ExplicitSync,DEV=0", direction: .playback, kernel: kernel)
        #expect(pcm.syncReport.hardware == HardwareAddress(card: 2, device: 0, subdevice: 0))
        #expect(pcm.syncReport.deviceRequiresExplicitSync == true)
        let sub = try PCMDevice.open("hw:0,1,0", direction: .capture, kernel: kernel)
        #expect(sub.syncReport.hardware == HardwareAddress(card: 0, device: 1, subdevice: 0))
        #expect(throws: AlsaError.self) { try PCMDevice.open("hw:CARD=Nope", direction: .playback, kernel: kernel) }
        let library = #expect(throws: AlsaError.self) { try PCMDevice.open("default", direction: .playback, kernel: kernel) }
        #expect(library?.context?.contains("alsa-lib") == true)
        #expect(throws: AlsaError.self) { try PCMDevice.open("plughw:0", direction: .playback, transport: .direct) }
    }

    @Test("alsa-lib's name hints include its null PCM")
    func nameHints() throws {
        let hints = try PCMNameHint.all()
        let null = try #require(hints.first { $0.name == "null" })
        #expect(null.description.contains("Discard all samples"))
        #expect(null.direction == nil)
    }
}

/// The simulated kernel's control devices, driven through raw seam calls as alsa-lib would drive
/// the kernel's (snd_pcm_control_ioctl in sound/core/pcm.c; CARD_INFO in sound/core/control.c).
@Suite("Simulated control device")
struct SimulatedControlDeviceTests {
    struct Control {
        let kernel: SimulatedKernel
        let fd: FileDescriptor

        func ioctl<T>(_ request: UInt, _ record: inout T) throws(Errno) {
            _ = try withUnsafeMutablePointer(to: &record) { (p) throws(Errno) -> Int32 in
                try kernel.ioctl(fd, request, UnsafeMutableRawPointer(p))
            }
        }

        func nextDevice(after device: Int32) throws(Errno) -> Int32 {
            var value = device
            try ioctl(ALSA_IOCTL_CTL_PCM_NEXT_DEVICE, &value)
            return value
        }

        func pcmInfo(device: UInt32, stream: Int32, subdevice: UInt32 = 0) throws(Errno) -> snd_pcm_info {
            var info = snd_pcm_info()
            info.device = device
            info.stream = stream
            info.subdevice = subdevice
            try ioctl(ALSA_IOCTL_CTL_PCM_INFO, &info)
            return info
        }

        /// The errno `body` failed with; nil when it succeeded.
        func errno(_ body: () throws -> Void) -> Errno? {
            do {
                try body()
                return nil
            } catch {
                return error as? Errno
            }
        }
    }

    /// Card 2 with device 0 (both directions, explicit sync) and device 3 (capture only).
    func cardTwo() throws -> Control {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        kernel.addDevice(card: 2, device: 0, hardware: .explicitSync)
        kernel.addDevice(card: 2, device: 3, hardware: .dummy, directions: [.capture])
        kernel.setIdentity(SimulatedCardIdentity(id: "ExplicitSync", driver: "ExplicitSync", name: "Explicit sync",
                                                 longName: "Explicit sync test card", mixerName: "None",
                                                 components: "HDA:1"), card: 2)
        let fd = try kernel.open(SimulatedKernel.controlPath(card: 2), flags: O_RDONLY)
        kernel.clearTrace()
        return Control(kernel: kernel, fd: fd)
    }

    @Test("a control node exists only for a card with a device plugged in")
    func nodes() throws {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        var missing: Errno?
        do throws(Errno) { _ = try kernel.open(SimulatedKernel.controlPath(card: 1), flags: O_RDONLY) } catch { missing = error }
        #expect(missing == .noSuchFileOrDirectory)
        kernel.disconnectAll()
        var unplugged: Errno?
        do throws(Errno) { _ = try kernel.open(SimulatedKernel.controlPath(card: 0), flags: O_RDONLY) } catch { unplugged = error }
        #expect(unplugged == .noSuchFileOrDirectory)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("PVERSION and CARD_INFO answer with the control protocol and the card's identity")
    func identity() throws {
        let control = try cardTwo()
        var version: Int32 = 0
        try control.ioctl(ALSA_IOCTL_CTL_PVERSION, &version)
        #expect(UInt32(bitPattern: version) == ALSA_CTL_VERSION)
        var info = snd_ctl_card_info()
        try control.ioctl(ALSA_IOCTL_CTL_CARD_INFO, &info)
        #expect(info.card == 2)
        #expect(CString.decode(info.id) == "ExplicitSync" && CString.decode(info.driver) == "ExplicitSync")
        #expect(CString.decode(info.name) == "Explicit sync" && CString.decode(info.longname) == "Explicit sync test card")
        #expect(CString.decode(info.mixername) == "None" && CString.decode(info.components) == "HDA:1")
        #expect(control.kernel.ioctlNames == ["CTL_PVERSION", "CTL_CARD_INFO"])

        let plain = SimulatedKernel(card: 5, hardware: .dummy)
        let fd = try plain.open(SimulatedKernel.controlPath(card: 5), flags: O_RDONLY)
        var defaults = snd_ctl_card_info()
        try Control(kernel: plain, fd: fd).ioctl(ALSA_IOCTL_CTL_CARD_INFO, &defaults)
        #expect(defaults.card == 5 && CString.decode(defaults.id) == "Sim5" && CString.decode(defaults.driver) == "AlsaSwiftSim")
    }

    @Test("PCM_NEXT_DEVICE gives the next device number above the one asked, then -1")
    func nextDevice() throws {
        let control = try cardTwo()
        #expect(try control.nextDevice(after: -1) == 0)
        #expect(try control.nextDevice(after: 0) == 3)
        #expect(try control.nextDevice(after: 1) == 3)
        #expect(try control.nextDevice(after: 3) == -1)
        #expect(try control.nextDevice(after: 40) == -1)
    }

    @Test("PCM_INFO describes a substream, with the kernel's errnos for what does not exist")
    func pcmInfo() throws {
        let control = try cardTwo()
        let info = try control.pcmInfo(device: 0, stream: ALSA_STREAM_PLAYBACK)
        #expect(info.card == 2 && info.device == 0 && info.stream == ALSA_STREAM_PLAYBACK)
        #expect(CString.decode(info.name) == "ExplicitSync PCM")
        #expect(info.subdevices_count == 1 && info.subdevices_avail == 1)
        #expect(try control.pcmInfo(device: 3, stream: ALSA_STREAM_CAPTURE).device == 3)
        #expect(control.errno { _ = try control.pcmInfo(device: 3, stream: ALSA_STREAM_PLAYBACK) } == .noSuchFileOrDirectory)
        #expect(control.errno { _ = try control.pcmInfo(device: 1, stream: ALSA_STREAM_PLAYBACK) } == .noSuchAddressOrDevice)
        #expect(control.errno { _ = try control.pcmInfo(device: 0, stream: ALSA_STREAM_PLAYBACK, subdevice: 1) } == .noSuchAddressOrDevice)
        #expect(control.errno { _ = try control.pcmInfo(device: 0, stream: 2) } == .invalidArgument)
        #expect(control.errno { _ = try control.kernel.ioctl(control.fd, ALSA_IOCTL_CTL_PCM_INFO, nil) } == .badAddress)

        // An open substream has no subdevice left to give.
        let pcm = try control.kernel.open(SimulatedKernel.devicePath(card: 2, device: 0, capture: false), flags: O_RDWR | O_NONBLOCK)
        #expect(try control.pcmInfo(device: 0, stream: ALSA_STREAM_PLAYBACK).subdevices_avail == 0)
        #expect(try control.pcmInfo(device: 0, stream: ALSA_STREAM_CAPTURE).subdevices_avail == 1)
        try control.kernel.close(pcm)
        #expect(try control.pcmInfo(device: 0, stream: ALSA_STREAM_PLAYBACK).subdevices_avail == 1)
    }

    @Test("control calls are traced and take injected faults; PCM requests are refused")
    func traceAndFaults() throws {
        let control = try cardTwo()
        control.kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_CTL_PCM_NEXT_DEVICE)
        #expect(control.errno { _ = try control.nextDevice(after: -1) } == .ioError)
        #expect(try control.nextDevice(after: -1) == 0)
        #expect(control.errno { _ = try control.kernel.ioctl(control.fd, ALSA_IOCTL_PREPARE, nil) } == .inappropriateIOCTLForDevice)
        let ioctls = control.kernel.trace.filter { $0.call == .ioctl }
        #expect(ioctls.map(\.requestName) == ["CTL_PCM_NEXT_DEVICE", "CTL_PCM_NEXT_DEVICE", "PREPARE"])
        #expect(ioctls.map(\.errno) == [.ioError, nil, .inappropriateIOCTLForDevice])
    }

    @Test("poll never reports a control descriptor, nor hands it to the host's poll")
    func poll() throws {
        let control = try cardTwo()
        var pipeEnds: [Int32] = [0, 0]
        #expect(alsa_pipe_cloexec(&pipeEnds) == 0)
        defer { Glibc.close(pipeEnds[0]); Glibc.close(pipeEnds[1]) }
        var set = [pollfd(fd: control.fd.rawValue, events: Int16(POLLIN | POLLOUT), revents: 0),
                   pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)]
        // Nothing ready: the wait goes to the host's poll, which would say POLLNVAL for a
        // simulated descriptor number had it been passed along.
        #expect(try control.kernel.poll(&set, count: 2, timeout: .milliseconds(20)) == 0)
        #expect(set[0].revents == 0 && set[1].revents == 0)
        #expect(Glibc.write(pipeEnds[1], "x", 1) == 1)
        #expect(try control.kernel.poll(&set, count: 2, timeout: .milliseconds(20)) == 1)
        #expect(set[0].revents == 0 && set[1].revents & Int16(POLLIN) != 0)
        #expect(try control.kernel.poll(&set, count: 1, timeout: .zero) == 0)
    }

    @Test("closing a control descriptor releases it; a second close is EBADF")
    func close() throws {
        let control = try cardTwo()
        #expect(control.kernel.openDescriptorCount == 1)
        try control.kernel.close(control.fd)
        #expect(control.kernel.openDescriptorCount == 0)
        #expect(control.errno { try control.kernel.close(control.fd) } == .badFileDescriptor)
        #expect(control.errno { _ = try control.nextDevice(after: -1) } == .badFileDescriptor)
    }
}

/// Fills a fixed C char array the way a driver's strscpy does, always leaving a terminator.
private func copyCString(_ text: String, into bytes: UnsafeMutableRawBufferPointer) {
    _ = bytes.initializeMemory(as: UInt8.self, repeating: 0)
    for (i, byte) in text.utf8.prefix(bytes.count - 1).enumerated() { bytes[i] = byte }
}
