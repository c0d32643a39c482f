import AlsaSimulation
import CAlsaKernel
import SystemPackage
import Testing
@testable import AlsaSwift

/// SNDRV_PCM_IOCTL_LINK on the simulated kernel, which groups substreams the kernel's way
/// (sound/core/pcm_native.c): one START starts the group with one trigger timestamp, and DROP,
/// PREPARE or an xrun of either member acts on all of them.
@Suite("Linked PCMs")
struct LinkTests {
    /// A capture and a playback PCM of device 0, configured alike and prepared.
    static func pair(_ kernel: SimulatedKernel, access: AccessType = .readWriteInterleaved) throws -> (capture: KernelPCM, playback: KernelPCM) {
        let capture = try openPCM(kernel, .capture)
        let playback = try openPCM(kernel, .playback)
        try capture.configure(standardRequest(access))
        try playback.configure(standardRequest(access))
        return (capture, playback)
    }

    static func queue(_ playback: KernelPCM, frames: Int) throws {
        let silence = [UInt8](repeating: 0, count: frames * 4)
        try silence.withUnsafeBytes { _ = try playback.writeInterleaved($0) }
    }

    @Test("one START starts both, with one trigger timestamp")
    func oneStartStartsBoth() throws {
        let kernel = makeKernel(.explicitSync)
        let (capture, playback) = try Self.pair(kernel)
        try capture.link(to: playback)
        // The playback start threshold is the buffer: 512 frames queue without starting.
        try Self.queue(playback, frames: 512)
        #expect(try playback.state == .prepared)
        kernel.clearTrace()
        try capture.start()
        #expect(kernel.ioctlNames.filter { $0 == "START" }.count == 1)
        #expect(try capture.state == .running && playback.state == .running)
        kernel.advance(frames: 300)
        let (c, p) = (try capture.timing(), try playback.timing())
        #expect(c.triggerTimestamp == p.triggerTimestamp)
        #expect(c.devicePosition == 300 && p.devicePosition == 300)
    }

    @Test("DROP of either stops both, PREPARE of either prepares both")
    func dropAndPrepareActOnTheGroup() throws {
        let kernel = makeKernel()
        let (capture, playback) = try Self.pair(kernel)
        try playback.link(to: capture)
        try Self.queue(playback, frames: 512)
        try playback.start()
        #expect(try capture.state == .running)
        try capture.drop()
        #expect(try capture.state == .setup && playback.state == .setup)
        try playback.prepare()
        #expect(try capture.state == .prepared && playback.state == .prepared)
        // A running member makes the group's PREPARE busy.
        try Self.queue(playback, frames: 512)
        try capture.start()
        let busy = #expect(throws: AlsaError.self) { try capture.prepare() }
        #expect(busy?.kind == .busy)
    }

    /// A playback member reaching its start threshold starts the group; the kernel stops the whole
    /// group when one member runs out, and only that member's device side counts the xrun (as the
    /// rig's test card counts at its STOP trigger).
    @Test("the start threshold starts both, an xrun of one stops both")
    func anXrunStopsTheGroup() throws {
        let kernel = makeKernel(.explicitSync)
        let (capture, playback) = try Self.pair(kernel)
        try capture.link(to: playback)
        try Self.queue(playback, frames: 1024)
        #expect(try capture.state == .running, "a full playback buffer started the group")
        kernel.advance(frames: 1024)  // the capture buffer is full, and the playback queue empty
        let captureError = #expect(throws: AlsaError.self) { try capture.avail() }
        #expect(captureError?.kind == .xrun)
        #expect(try playback.state == .xrun)
        #expect(kernel.captureObservation().xruns + kernel.playbackObservation().xruns == 1)
        #expect(try capture.timing().triggerTimestamp == playback.timing().triggerTimestamp)
    }

    @Test("refusals: another state, a linked partner, itself, another kernel, no group")
    func refusals() throws {
        let kernel = makeKernel()
        let capture = try openPCM(kernel, .capture)
        let playback = try openPCM(kernel, .playback)
        try capture.configure(standardRequest(.readWriteInterleaved))
        // OPEN against PREPARED: EBADFD.
        #expect(Self.errno { try capture.link(to: playback) } == .badFileDescriptorState)
        try playback.configure(standardRequest(.readWriteInterleaved))
        #expect(Self.errno { try capture.link(to: capture) } == .invalidArgument)
        #expect(Self.errno { try capture.unlink() } == .alreadyInProcess)
        try capture.link(to: playback)
        #expect(Self.errno { try capture.link(to: playback) } == .alreadyInProcess)
        let other = makeKernel()
        let stranger = try openPCM(other, .playback)
        try stranger.configure(standardRequest(.readWriteInterleaved))
        let refused = #expect(throws: AlsaError.self) { try capture.link(to: stranger) }
        #expect(refused?.errno == .invalidArgument && refused?.operation == .link)
        try playback.unlink()
        // The group dissolved with its last member but one.
        #expect(Self.errno { try capture.unlink() } == .alreadyInProcess)
    }

    @Test("closing a member takes it out of the group")
    func closeUnlinks() throws {
        let kernel = makeKernel()
        let (capture, playback) = try Self.pair(kernel)
        try capture.link(to: playback)
        try playback.close()
        #expect(Self.errno { try capture.unlink() } == .alreadyInProcess)
        try capture.start()
        #expect(try capture.state == .running)
    }

    @Test("linking through a kernel that only forwards: the descriptor goes through the seam")
    func linkThroughTheSeam() throws {
        let kernel = makeKernel()
        let seam = ForwardingKernel(kernel)
        let capture = try KernelPCM(card: 0, device: 0, direction: .capture, kernel: seam)
        let playback = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: seam)
        try capture.configure(standardRequest(.readWriteInterleaved))
        try playback.configure(standardRequest(.readWriteInterleaved))
        try capture.link(to: playback)
        try Self.queue(playback, frames: 512)
        try capture.start()
        #expect(try playback.state == .running)
    }

    static func errno(_ body: () throws -> Void) -> Errno? {
        do {
            try body()
            return nil
        } catch {
            return (error as? AlsaError)?.errno
        }
    }
}
