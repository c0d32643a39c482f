@testable import AlsaSwift
import AlsaSimulation
import CAlsaKernel
import SystemPackage
import Testing

@Suite struct ReadWriteTests {
    private func silence(_ frames: Int, _ frameBytes: Int = 4) -> [UInt8] { [UInt8](repeating: 0, count: frames * frameBytes) }

    /// With the control record mapped or not, steady-state read/write playback is one WRITEI per
    /// period: the library adds no SYNC_PTR around it.
    @Test(arguments: [SimulatedHardware.dummy, .explicitSync])
    func readWritePlaybackIsOneWriteCallPerPeriod(hardware: SimulatedHardware) throws {
        let kernel = makeKernel(hardware)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        let period = silence(256)
        for _ in 0..<4 { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        kernel.clearTrace()
        for _ in 0..<16 { try period.withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(kernel.ioctlNames == Array(repeating: "WRITEI_FRAMES", count: 16))
    }

    /// tinyalsa issue 253: pushing a stale `appl_ptr` after WRITEI rewinds the stream. The library
    /// never sends APPL clear around read/write transfers, whatever the caller asks in between.
    @Test func neverPushesAStaleApplPtrAroundReadWriteTransfers() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        var checksum = StreamChecksum()
        var chunk = [UInt8](repeating: 0, count: 256 * 4)
        for period in 0..<64 {
            for i in chunk.indices { chunk[i] = patternByte(period * chunk.count + i) }
            try chunk.withUnsafeBytes { checksum.add($0); _ = try pcm.writeInterleaved($0) }
            // Everything an app might ask between writes.
            _ = try pcm.avail()
            _ = try pcm.state
            _ = try pcm.delay()
            #expect(try pcm.status().applPtr == UInt(256 * (period + 1)))
        }
        #expect(kernel.syncPtrCalls.allSatisfy { ($0.syncPtrFlags ?? 0) & ALSA_SYNC_PTR_APPL != 0 })
        try pcm.drain()
        #expect(kernel.playbackObservation().checksum == checksum.value)
        #expect(kernel.playbackObservation().frames == 256 * 64)
    }

    /// The hazard is real in the model, as in the kernel: a SYNC_PTR with APPL clear carrying an old
    /// copy rewinds `appl_ptr`. This is what the test above guards against.
    @Test func aStalePushRewindsTheKernelsApplPtr() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(standardRequest(.readWriteInterleaved))
        try silence(512).withUnsafeBytes { _ = try pcm.writeInterleaved($0) }
        #expect(try pcm.status().applPtr == 512)
        var record = snd_pcm_sync_ptr()
        record.flags = 0
        _ = try withUnsafeMutablePointer(to: &record) {
            try kernel.ioctl(pcm.file.fd, ALSA_IOCTL_SYNC_PTR, UnsafeMutableRawPointer($0))
        }
        #expect(try pcm.status().applPtr == 0)
    }

    @Test func nonInterleavedReadWritePlayback() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try openPCM(kernel)
        try pcm.configure(HardwareRequest(access: .readWriteNonInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48000,
                                          periodSize: 256, periodCount: 4))
        let left = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 8)
        let right = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 8)
        defer { left.deallocate(); right.deallocate() }
        left.initializeMemory(as: UInt8.self, repeating: 1, count: 512)
        right.initializeMemory(as: UInt8.self, repeating: 2, count: 512)
        let pointers: [UnsafeMutableRawPointer?] = [left, right]
        try pointers.withUnsafeBufferPointer { channels in
            for _ in 0..<8 {
                let written = try pcm.writeNonInterleaved(channels, frames: 256)
                #expect(written == 256)
            }
        }
        #expect(try pcm.state == .running)
        let wrongCount: [UnsafeMutableRawPointer?] = [left]
        #expect(throws: AlsaError.self) {
            try wrongCount.withUnsafeBufferPointer { _ = try pcm.writeNonInterleaved($0, frames: 256) }
        }
    }

    @Test func aPartialFrameIsRefused() throws {
        let pcm = try openPCM(makeKernel(.dummy))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        let error = #expect(throws: AlsaError.self) { try silence(3, 1).withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.operation == .transfer)
    }

    /// WRITEI and READI take a mask-and-shift fast path only for power-of-two frame sizes; a 6-byte
    /// frame (S16_LE, 3 channels) goes through the checked path, which counts frames by division.
    /// Both must move exactly the caller's bytes.
    @Test func aFrameSizeThatIsNotAPowerOfTwoTransfersExactly() throws {
        let request = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 3, sampleRate: 48_000,
                                      periodSize: 256, periodCount: 4)
        let kernel = makeKernel(.explicitSync)
        let playback = try openPCM(kernel)
        #expect(try playback.configure(request).frameBytes == 6)
        var checksum = StreamChecksum()
        var chunk = [UInt8](repeating: 0, count: 256 * 6)
        for period in 0..<8 {
            for i in chunk.indices { chunk[i] = patternByte(period * chunk.count + i) }
            let written = try chunk.withUnsafeBytes { checksum.add($0); return try playback.writeInterleaved($0) }
            #expect(written == 256)
        }
        #expect(try [UInt8]().withUnsafeBytes { try playback.writeInterleaved($0) } == 0)
        let partial = #expect(throws: AlsaError.self) { try silence(1, 5).withUnsafeBytes { _ = try playback.writeInterleaved($0) } }
        #expect(partial?.kind == .invalidArgument)
        try playback.drain()
        #expect(kernel.playbackObservation().checksum == checksum.value)
        #expect(kernel.playbackObservation().frames == 256 * 8)

        let capture = try openPCM(kernel, .capture)
        try capture.configure(request)
        var captured = [UInt8](repeating: 0, count: 256 * 6 * 4)
        try captured.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                kernel.advance(periods: 1)
                let frames = try capture.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
                offset += frames * 6
            }
        }
        let expected = expectedCapture(startFrame: 0, frames: 256 * 4, frameBytes: 6)
        #expect(zip(captured, expected).filter { $0 != $1 }.count == 0)
    }

    /// The fast path's one mask stands for every check: the other direction, another access and no
    /// configuration are refused with the errors the checked path gives, even for an empty buffer.
    @Test func transfersInTheWrongDirectionOrAccessAreRefused() throws {
        let kernel = makeKernel(.dummy)
        let playback = try openPCM(kernel), capture = try openPCM(kernel, .capture)
        let unconfigured = #expect(throws: AlsaError.self) { try silence(256).withUnsafeBytes { _ = try playback.writeInterleaved($0) } }
        #expect(unconfigured?.kind == .badState)
        try playback.configure(standardRequest(.readWriteInterleaved))
        try capture.configure(standardRequest(.readWriteInterleaved))
        for bytes in [silence(256), silence(0)] {
            var copy = bytes
            let read = #expect(throws: AlsaError.self) { try copy.withUnsafeMutableBytes { _ = try playback.readInterleaved(into: $0) } }
            #expect(read?.operation == .readInterleaved && read?.kind == .invalidArgument)
            let write = #expect(throws: AlsaError.self) { try bytes.withUnsafeBytes { _ = try capture.writeInterleaved($0) } }
            #expect(write?.operation == .writeInterleaved && write?.kind == .invalidArgument)
        }
        let mmap = try openPCM(makeKernel(.dummy))
        try mmap.configure(standardRequest(.mmapInterleaved))
        let wrongAccess = #expect(throws: AlsaError.self) { try silence(256).withUnsafeBytes { _ = try mmap.writeInterleaved($0) } }
        #expect(wrongAccess?.kind == .invalidArgument)
    }

    @Test func nonBlockingWriteReturnsPartialThenWouldBlock() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel, options: PCMOpenOptions(nonBlocking: true))
        try pcm.configure(standardRequest(.readWriteInterleaved))
        #expect(try silence(1500).withUnsafeBytes { try pcm.writeInterleaved($0) } == 1024)
        let error = #expect(throws: AlsaError.self) { try silence(256).withUnsafeBytes { _ = try pcm.writeInterleaved($0) } }
        #expect(error?.kind == .wouldBlock)
        kernel.advance(periods: 1)
        #expect(try silence(256).withUnsafeBytes { try pcm.writeInterleaved($0) } == 256)
    }
}
