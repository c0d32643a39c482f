import AlsaSimulation
import Foundation
import SystemPackage
import Testing
@testable import AlsaSwift

/// The PCM behaviour both transports promise, run against each: the direct kernel transport on the
/// simulated kernel (explicit-sync device and plain), alsa-lib on its `null` PCM, and, on the
/// real-kernel rig, both transports on snd-dummy plus alsa-lib's `plughw:` and `default`. Every case
/// runs twice, the second time through a kernel that only forwards, which must change nothing.
enum TransportUnderTest: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case directSimulated
    case directSimulatedExplicitSync
    case alsaLibNull
    case directDummy
    case alsaLibHw
    case alsaLibPlughw
    case alsaLibDefault

    var testDescription: String { rawValue }

    /// The cases this machine can run: the rig's only where snd-dummy exists.
    static var available: [TransportUnderTest] {
        let host: [TransportUnderTest] = [.directSimulated, .directSimulatedExplicitSync, .alsaLibNull]
        return RigEnvironment.dummy == nil ? host : allCases
    }

    /// Opens a playback or capture PCM; the kernel is kept alive by the caller through the tuple.
    /// `forwarded` puts a kernel that only forwards (`ForwardingKernel`) in front of the real or
    /// simulated one: every test must give the same results through it.
    func open(_ direction: StreamDirection = .playback, options: PCMOpenOptions = PCMOpenOptions(),
              forwarded: Bool = false) throws -> (any PCM, SimulatedKernel?) {
        let card = RigEnvironment.dummy ?? 0
        func seam(_ kernel: any KernelInterface) -> any KernelInterface { forwarded ? ForwardingKernel(kernel) : kernel }
        switch self {
        case .directSimulated:
            let kernel = makeKernel()
            return (try KernelPCM(card: 0, device: 0, direction: direction, options: options, kernel: seam(kernel)), kernel)
        case .directSimulatedExplicitSync:
            let kernel = makeKernel(.explicitSync)
            return (try KernelPCM(card: 0, device: 0, direction: direction, options: options, kernel: seam(kernel)), kernel)
        case .alsaLibNull:
            return (try AlsaLibPCM(name: "null", direction: direction, options: options, kernel: seam(LinuxKernel.shared)), nil)
        case .directDummy:
            return (try KernelPCM(card: card, device: 0, direction: direction, options: options, kernel: seam(LinuxKernel.shared)), nil)
        case .alsaLibHw:
            return (try AlsaLibPCM(name: "hw:\(card),0", direction: direction, options: options, kernel: seam(LinuxKernel.shared)), nil)
        case .alsaLibPlughw:
            return (try AlsaLibPCM(name: "plughw:\(card),0", direction: direction, options: options, kernel: seam(LinuxKernel.shared)), nil)
        case .alsaLibDefault:
            return (try AlsaLibPCM(name: "default:CARD=\(card)", direction: direction, options: options, kernel: seam(LinuxKernel.shared)),
                    nil)
        }
    }

    /// alsa-lib's `null` never fills its buffer, so it needs an explicit start.
    var startsItself: Bool { self != .alsaLibNull }
}

@Suite("Transport contract", .serialized)
struct TransportContractTests {
    let request = HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 1024, periodCount: 4)

    @Test("configure grants an exact request and installs the default software parameters",
          arguments: TransportUnderTest.available, [false, true])
    func configureGrantsExactRequest(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        defer { withExtendedLifetime(kernel) {} }
        let setup = try pcm.configure(request)
        #expect(setup.access == .readWriteInterleaved && setup.format == .s16LE)
        #expect(setup.channelCount == 2 && setup.sampleRate == 48_000)
        #expect(setup.periodSize == 1024 && setup.bufferSize == 4096 && setup.periodCount == 4)
        #expect(setup.frameBytes == 4)
        #expect(pcm.setup == setup)
        #expect(pcm.softwareParameters?.availMin == 1024)
        #expect(pcm.softwareParameters?.startThreshold == 4096)
        #expect((pcm.softwareParameters?.boundary ?? 0) >= 4096)
        #expect(try pcm.state == .prepared)
    }

    @Test("misuse is refused with the right error and loses nothing", arguments: TransportUnderTest.available, [false, true])
    func misuse(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        defer { withExtendedLifetime(kernel) {} }
        let frame = [UInt8](repeating: 0, count: 4)
        let early = #expect(throws: AlsaError.self) { try frame.withUnsafeBytes { try pcm.writeInterleaved($0) } }
        #expect(early?.kind == .badState)
        #expect(#expect(throws: AlsaError.self) { try pcm.configure(HardwareRequest(channelCount: 0)) }?.operation == .configure)
        try pcm.configure(request)
        let partial = #expect(throws: AlsaError.self) { try frame.withUnsafeBytes { try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: $0[0..<3])) } }
        #expect(partial?.kind == .invalidArgument)
        var sink = [UInt8](repeating: 0, count: 4)
        let wrongWay = #expect(throws: AlsaError.self) { try sink.withUnsafeMutableBytes { try pcm.readInterleaved(into: $0) } }
        #expect(wrongWay?.kind == .invalidArgument)
        #expect(#expect(throws: AlsaError.self) { try pcm.commitTransfer(1) }?.kind == .invalidArgument)
        #expect(try pcm.state == .prepared)
        #expect(try frame.withUnsafeBytes { try pcm.writeInterleaved($0) } == 1)
    }

    @Test("read/write playback runs, then a bounded drain completes", arguments: TransportUnderTest.available, [false, true])
    func playAndDrain(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        defer { withExtendedLifetime(kernel) {} }
        try pcm.configure(request)
        let period = [UInt8](repeating: 0, count: 1024 * 4)
        for _ in 0..<4 { #expect(try period.withUnsafeBytes { try pcm.writeInterleaved($0) } == 1024) }
        if !transport.startsItself { try pcm.start() }
        #expect(try pcm.state == .running)
        for _ in 0..<4 { #expect(try period.withUnsafeBytes { try pcm.writeInterleaved($0) } == 1024) }
        #expect(try pcm.drain(timeout: .seconds(5)))
        #expect(try pcm.state == .setup)
        #expect(pcm.xrunCount == 0)
    }

    @Test("mmap begin/commit walks the ring and refuses over-commits", arguments: TransportUnderTest.available, [false, true])
    func mmapWalk(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        defer { withExtendedLifetime(kernel) {} }
        var mmap = request
        mmap.access = .mmapInterleaved
        try pcm.configure(mmap)
        let first = try pcm.beginTransfer(maxFrames: 1024)
        #expect(first.frames == 1024 && first.offset == 0)
        #expect(first.interleaved.count == 4096)
        first.interleaved.initializeMemory(as: UInt8.self, repeating: 1)
        #expect(#expect(throws: AlsaError.self) { try pcm.commitTransfer(1025) }?.kind == .invalidArgument)
        let again = try pcm.beginTransfer(maxFrames: 1024)
        try pcm.commitTransfer(again.frames)
        let second = try pcm.beginTransfer(maxFrames: 1024)
        #expect(second.offset == 1024)
        try pcm.commitTransfer(0)
        #expect(try pcm.delay() >= 0)
    }

    @Test("poll descriptors report a writable empty buffer at once", arguments: TransportUnderTest.available, [false, true])
    func pollDescriptors(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        defer { withExtendedLifetime(kernel) {} }
        try pcm.configure(request)
        #expect(pcm.pollDescriptorCount >= 1)
        let descriptors = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: pcm.pollDescriptorCount)
        defer { descriptors.deallocate() }
        #expect(try pcm.fillPollDescriptors(descriptors) == pcm.pollDescriptorCount)
        #expect(descriptors[0].fd >= 0)
        #expect(try pcm.wait(timeout: .milliseconds(0)))
    }

    @Test("close is final: later calls fail with EBADF, a second close is harmless", arguments: TransportUnderTest.available, [false, true])
    func closeIsFinal(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        try pcm.configure(request)
        try pcm.close()
        try pcm.close()
        #expect(#expect(throws: AlsaError.self) { try pcm.avail() }?.errno == .badFileDescriptor)
        #expect(kernel?.openDescriptorCount ?? 0 == 0)
    }

    @Test("the sync report names the hardware and the path the records take", arguments: TransportUnderTest.available, [false, true])
    func syncReport(transport: TransportUnderTest, forwarded: Bool) throws {
        let (pcm, kernel) = try transport.open(forwarded: forwarded)
        defer { withExtendedLifetime(kernel) {} }
        try pcm.configure(request)
        let report = pcm.syncReport
        switch transport {
        case .alsaLibNull:
            #expect(report.hardware == nil && report.strategy == nil && report.deviceRequiresExplicitSync == nil)
        case .directSimulatedExplicitSync:
            #expect(report.deviceRequiresExplicitSync == true)
            #expect(report.strategy?.status == .syncPtr(.explicitSync) && report.strategy?.control == .syncPtr(.explicitSync))
        default:
            #expect(report.deviceRequiresExplicitSync == false)
            #expect(report.hardware?.device == 0)
            #expect(report.strategy?.status == .mapped && report.strategy?.control == .mapped)
        }
        #expect(report.transport == pcm.transport)
    }
}

/// Names reach the same transport through a forwarding kernel: what decides is what the kernel
/// serves (`servesMachineDevices`), never which type it is.
@Suite("A forwarding kernel")
struct ForwardingKernelTests {
    @Test("alsa-lib names open through a kernel that forwards to the machine's; not through a simulated one")
    func namesChooseTheSameTransport() throws {
        let machine = ForwardingKernel(LinuxKernel.shared)
        let pcm = try PCMDevice.open("null", direction: .playback, kernel: machine)
        #expect(pcm.transport == .alsaLib)
        #expect(pcm.kernel === machine, "alsa-lib's descriptors are polled through the kernel it was given")
        let simulated = ForwardingKernel(makeKernel())
        let refused = #expect(throws: AlsaError.self) { try PCMDevice.open("null", direction: .playback, kernel: simulated) }
        #expect(refused?.kind == .invalidArgument)
        let direct = try PCMDevice.open("hw:0,0", direction: .playback, kernel: simulated)
        #expect(direct.transport == .direct && direct.kernel === simulated)
        let defaultRoute = AudioDevices(kernel: machine, alsaLibConfiguration: "pcm.!default { type null }").defaultDevice(.playback)
        let machineRoute = AudioDevices(kernel: LinuxKernel.shared, alsaLibConfiguration: "pcm.!default { type null }").defaultDevice(.playback)
        #expect(defaultRoute.description == machineRoute.description)
    }
}
