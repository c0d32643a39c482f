import AlsaSimulation
import CAlsaKernel
import SystemPackage
import Testing
@testable import AlsaSwift

@Suite("Device discovery")
struct DiscoveryTests {
    /// Card 0: two plain devices; card 1 absent; card 2: an explicit-sync device.
    func machine() -> SimulatedKernel {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        kernel.addDevice(card: 0, device: 1, hardware: .dummy)
        kernel.addDevice(card: 2, device: 0, hardware: .explicitSync)
        kernel.setIdentity(SimulatedCardIdentity(id: "Dummy", driver: "Dummy", name: "Dummy", longName: "Dummy 1"), card: 0)
        kernel.setIdentity(SimulatedCardIdentity(id: "ExplicitSync", driver: "ExplicitSync", name: "Explicit sync"), card: 2)
        return kernel
    }

    @Test("cards, devices and capabilities are listed exactly, and nothing stays open")
    func listing() throws {
        let kernel = machine()
        let discovery = DeviceDiscovery(kernel: kernel)
        let cards = try discovery.cards()
        #expect(cards.map(\.index) == [0, 2])
        #expect(cards.map(\.id) == ["Dummy", "ExplicitSync"])
        #expect(cards[0].driver == "Dummy" && cards[0].longName == "Dummy 1")
        let listing = discovery.listing()
        #expect(listing.count == 2 && listing.allSatisfy { $0.problem == nil })
        let plain = listing[0].devices
        #expect(plain.map(\.device) == [0, 1])
        #expect(plain[0].name == "Simulated PCM" && plain[0].hardwareName == "hw:0,0")
        let playback = try #require(plain[0].playback)
        #expect(playback.subdeviceCount == 1 && playback.subdevicesAvailable == 1)
        let capabilities = try #require(playback.probe.capabilities)
        let reference = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: makeKernel()).capabilities
        #expect(capabilities == reference)
        #expect(playback.probe.syncStrategy?.status == .mapped)
        #expect(plain[0].capture?.probe.capabilities != nil)
        let explicit = try #require(listing[1].devices.first?.playback)
        #expect(explicit.probe.capabilities?.info.contains(.explicitSync) == true)
        #expect(explicit.probe.syncStrategy?.status == .syncPtr(.explicitSync))
        #expect(explicit.probe.syncStrategy?.control == .syncPtr(.explicitSync))
        #expect(kernel.openDescriptorCount == 0)
        #expect(kernel.mappedRegionCount == 0)
    }

    @Test("a busy device is reported on its own; the rest of the listing is whole")
    func busyDevice() throws {
        let kernel = machine()
        let holder = try KernelPCM(card: 0, device: 1, direction: .playback, kernel: kernel)
        let listing = DeviceDiscovery(kernel: kernel).listing()
        let held = try #require(listing[0].devices[1].playback)
        #expect(held.probe == .busy)
        #expect(held.subdevicesAvailable == 0)
        #expect(listing[0].devices[1].capture?.probe.capabilities != nil)
        #expect(listing[0].devices[0].playback?.probe.capabilities != nil)
        #expect(listing[1].devices.count == 1)
        #expect(kernel.openDescriptorCount == 1)
        try holder.close()
    }

    @Test("a failing control call is reported for that card only")
    func failingCard() throws {
        let kernel = machine()
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_CTL_PCM_NEXT_DEVICE)
        let listing = DeviceDiscovery(kernel: kernel).listing(probeCapabilities: false)
        #expect(listing[0].problem?.errno == .ioError && listing[0].problem?.operation == .controlNextDevice)
        #expect(listing[1].problem == nil && listing[1].devices.count == 1)
        #expect(listing[1].devices[0].playback?.probe == .notProbed)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("an unplugged card disappears from the listing")
    func unplugged() throws {
        let kernel = machine()
        kernel.disconnectAll()
        #expect(try DeviceDiscovery(kernel: kernel).cards().isEmpty)
        kernel.addDevice(card: 2, device: 0, hardware: .explicitSync)
        #expect(try DeviceDiscovery(kernel: kernel).cards().map(\.index) == [2])
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
