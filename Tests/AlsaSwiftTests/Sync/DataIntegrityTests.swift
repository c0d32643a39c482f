import AlsaSimulation
@testable import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

/// Data through a simulated non-coherent device: what the device consumed must be what the app
/// wrote, and what the app read must be what the device captured. The negative controls prove the
/// checks can fail: a client that skips a phase is caught.
@Suite struct DataIntegrityTests {
    static let periods = 200

    @Test func explicitSyncMmapPlaybackReachesTheDeviceIntact() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        let total = 256 * Self.periods
        let written = try playMmap(pcm, frames: total, waitFirst: false)
        try pcm.drain()
        let device = kernel.playbackObservation()
        #expect(device.frames == UInt64(total))
        #expect(device.checksum == written)
        #expect(device.xruns == 0)
        #expect(try pcm.state == .setup)
    }

    @Test func explicitSyncReadWritePlaybackReachesTheDeviceIntact() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        let setup = try pcm.configure(standardRequest(.readWriteInterleaved))
        var checksum = StreamChecksum()
        var chunk = [UInt8](repeating: 0, count: 256 * setup.frameBytes)
        for period in 0..<Self.periods {
            for i in chunk.indices { chunk[i] = patternByte(period * chunk.count + i) }
            try chunk.withUnsafeBytes { bytes in
                checksum.add(bytes)
                let written = try pcm.writeInterleaved(bytes)
                #expect(written == 256)
            }
        }
        try pcm.drain()
        let device = kernel.playbackObservation()
        #expect(device.frames == UInt64(256 * Self.periods))
        #expect(device.checksum == checksum.value)
    }

    @Test func explicitSyncMmapCaptureReadsTheDeviceSignal() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel, .capture)
        let setup = try pcm.configure(standardRequest(.mmapInterleaved))
        let total = 256 * Self.periods
        let captured = try captureMmap(pcm, frames: total)
        #expect(captured.count == total * setup.frameBytes)
        #expect(captured == expectedCapture(startFrame: 0, frames: total, frameBytes: setup.frameBytes))
    }

    @Test func explicitSyncReadWriteCaptureReadsTheDeviceSignal() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel, .capture)
        let setup = try pcm.configure(standardRequest(.readWriteInterleaved))
        var captured: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * setup.frameBytes)
        for _ in 0..<50 {
            let read = try chunk.withUnsafeMutableBytes { try pcm.readInterleaved(into: $0) }
            #expect(read == 256)
            captured += chunk
        }
        #expect(captured == expectedCapture(startFrame: 0, frames: 256 * 50, frameBytes: setup.frameBytes))
    }

    // MARK: negative controls

    /// A client that commits `appl_ptr` before it writes the frames (so no device sync follows its
    /// writes) makes the device play stale data, and the checksum sees it.
    @Test func negativeControlPlaybackWithoutDeviceSyncAfterWritingIsCaught() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        let written = try Self.playCommittingBeforeWriting(pcm, frames: 256 * 40)
        try pcm.drain()
        let device = kernel.playbackObservation()
        #expect(device.frames == 256 * 40)
        #expect(device.checksum != written)
    }

    /// The same wrong client on a coherent device plays correctly: the checksum difference above is
    /// the missing device sync, not an artefact of the test.
    @Test func theSameOrderIsHarmlessOnACoherentDevice() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        let written = try Self.playCommittingBeforeWriting(pcm, frames: 256 * 40)
        try pcm.drain()
        #expect(kernel.playbackObservation().checksum == written)
    }

    /// The wrong client: phase 2 before the data is in the buffer, so no device sync follows the
    /// writes. Returns the checksum of what it wrote.
    static func playCommittingBeforeWriting(_ pcm: KernelPCM, frames total: Int) throws -> UInt64 {
        let frameBytes = pcm.setup!.frameBytes
        var checksum = StreamChecksum()
        var written = 0
        while written < total {
            if written > 0 { _ = try pcm.wait() }
            let area = try pcm.beginTransfer(maxFrames: total - written)
            try pcm.commitTransfer(area.frames)
            let bytes = area.interleaved
            for i in 0..<bytes.count { bytes[i] = patternByte(written * frameBytes + i) }
            checksum.add(UnsafeRawBufferPointer(bytes))
            written += area.frames
        }
        return checksum.value
    }

    /// A capture client that learns `hw_ptr` without HWSYNC (no CPU sync) reads stale memory.
    @Test func negativeControlCaptureWithoutCpuSyncIsCaught() throws {
        let kernel = makeKernel(.explicitSync)
        let client = try RawMmapClient(kernel: kernel, direction: .capture)
        var captured: [UInt8] = []
        for _ in 0..<20 {
            kernel.advance(periods: 1)
            captured += try client.readWithoutCpuSync(frames: 256)
        }
        let expected = expectedCapture(startFrame: 0, frames: 256 * 20, frameBytes: 4)
        #expect(captured.count == expected.count)
        #expect(captured != expected)
        // And with the CPU sync, the very same raw client reads the signal.
        let honest = try RawMmapClient(kernel: makeKernel(.explicitSync), direction: .capture)
        var good: [UInt8] = []
        for _ in 0..<20 {
            honest.kernel.advance(periods: 1)
            good += try honest.readWithCpuSync(frames: 256)
        }
        #expect(good == expected)
    }
}

/// A minimal client written directly on the seam, so the negative controls can do what the library
/// never does.
final class RawMmapClient {
    let kernel: SimulatedKernel
    let fd: FileDescriptor
    let data: UnsafeMutableRawPointer
    var record = snd_pcm_sync_ptr()
    let bufferFrames = 1024
    let frameBytes = 4

    init(kernel: SimulatedKernel, direction: StreamDirection) throws {
        self.kernel = kernel
        let pcm = try KernelPCM(card: 0, device: 0, direction: direction, kernel: kernel)
        try pcm.configure(standardRequest(.mmapInterleaved))
        try pcm.start()
        // The substream can be open only once: keep the configured handle alive and use its
        // descriptor and data mapping directly.
        owner = pcm
        fd = pcm.file.fd
        data = pcm.dataMapping!
    }
    private let owner: KernelPCM

    private func syncPtr(_ flags: UInt32) throws {
        record.flags = flags
        _ = try withUnsafeMutablePointer(to: &record) { try kernel.ioctl(fd, ALSA_IOCTL_SYNC_PTR, UnsafeMutableRawPointer($0)) }
    }

    private func read(frames: Int, cpuSync: Bool) throws -> [UInt8] {
        try syncPtr((cpuSync ? ALSA_SYNC_PTR_HWSYNC : 0) | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
        let appl = Int(record.c.control.appl_ptr)
        let offset = appl % bufferFrames
        let bytes = Array(UnsafeRawBufferPointer(start: data + offset * frameBytes, count: frames * frameBytes))
        record.c.control.appl_ptr = UInt(appl + frames)
        try syncPtr(ALSA_SYNC_PTR_AVAIL_MIN)
        return bytes
    }

    func readWithoutCpuSync(frames: Int) throws -> [UInt8] { try read(frames: frames, cpuSync: false) }
    func readWithCpuSync(frames: Int) throws -> [UInt8] { try read(frames: frames, cpuSync: true) }
}
