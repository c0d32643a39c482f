import AlsaSimulation
import CAlsaKernel
import Testing
@testable import AlsaSwift

/// What the period engine gained for two engines driven as one (a duplex stream), usable by any
/// stream kind: one wait for several engines, a run of exactly so many frames wherever the ring
/// wraps, a start held until asked for, and silence queued without the app's frames.
@Suite("Period engine: joint waits and exact runs")
struct PeriodWaitTests {
    /// A configured engine on `kernel`'s device 0, driven by a thread (no reactor).
    static func engine(_ kernel: SimulatedKernel, _ direction: StreamDirection, period: Int, buffer: Int,
                       access: AccessType = .readWriteInterleaved, format: SampleFormat = .s16LE) throws -> PeriodEngine {
        let pcm = try StreamNegotiation.open("hw:0,0", direction, transport: .direct, kernel: kernel)
        var request = StreamRequest(sampleRate: 48_000, channelCount: 2, formats: [format])
        request.preferMmap = access.isMmap
        let configuration = try StreamNegotiation.configure(pcm, direction, request, formats: [format], periodSize: period,
                                                            bufferSize: buffer)
        return try PeriodEngine(pcm: pcm, configuration: configuration, async: false)
    }

    /// Capture periods of 256 frames, playback periods of 512: a wait for both ends only once the
    /// playback side has its 512 frames of room, though the capture side had its period long before.
    @Test("one wait for two engines ends when both have a period, and counts a wait on each")
    func jointWait() throws {
        let kernel = makeKernel(.explicitSync)
        let capture = try Self.engine(kernel, .capture, period: 256, buffer: 1024)
        let playback = try Self.engine(kernel, .playback, period: 512, buffer: 1024)
        try playback.holdStart()
        #expect(try playback.queueSilence(1024) == 1024)
        try capture.start()
        try playback.start()
        let wait = PeriodWait(engines: 2, descriptorCapacity: 2)
        #expect(try wait.blocking(WaitingEngines(capture, playback)))
        let timing = try playback.pcm.timing()
        #expect(timing.devicePosition == 512, "the wait went on past the capture side's first period: \(timing)")
        #expect(try capture.pcm.timing().delayFrames == 512)
        // The capture side left the set once ready: one wait for it, two for the playback side.
        #expect(capture.statistics.waits == 1 && playback.statistics.waits == 2)
    }

    /// A ring of two periods entered half a period in: the third run of a period crosses the
    /// ring's end and moves in two pieces, each converted once, in order.
    @Test("an exact run crosses the ring's end in two pieces", arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func exactRunAcrossTheWrap(access: AccessType) throws {
        let kernel = makeKernel(.explicitSync)
        let playback = try Self.engine(kernel, .playback, period: 256, buffer: 512, access: access)
        try playback.holdStart()
        var pieces: [(frames: Int, offset: Int)] = []
        var sent = StreamChecksum()
        var next = 0
        func run(_ frames: Int) throws -> Int {
            try playback.transfer(exactly: frames) { (bytes, count, offset) throws(AlsaError) in
                pieces.append((count, offset))
                for i in 0..<count * 4 { bytes[i] = patternByte(next + i) }
                sent.add(UnsafeRawBufferPointer(rebasing: bytes[0..<count * 4]))
                next += count * 4
            }
        }
        #expect(try run(128) == 128)
        #expect(try run(256) == 256)
        try playback.start()
        kernel.advance(frames: 256)
        pieces.removeAll()
        #expect(try run(256) == 256)
        if access.isMmap {
            #expect(pieces.map(\.frames) == [128, 128] && pieces.map(\.offset) == [0, 128], "\(pieces)")
        } else {
            #expect(pieces.map(\.frames) == [256], "read/write: the kernel wraps, one piece")
        }
        kernel.advance(frames: 384)
        #expect(kernel.playbackObservation().checksum == sent.value)
    }

    /// With the start held, a full buffer of silence does not start playback (a default start
    /// threshold would have); the silence is the format's own: 0x80 for U8.
    @Test("queued silence: the start is held, and the silence is the format's")
    func heldStartAndSilence() throws {
        let kernel = makeKernel()
        let playback = try Self.engine(kernel, .playback, period: 256, buffer: 1024, format: .u8)
        try playback.holdStart()
        #expect(try playback.queueSilence(1024) == 1024)
        #expect(try playback.pcm.state == .prepared && !playback.started)
        #expect(playback.statistics.convertedFrames == 0, "silence is not the app's frames")
        try playback.start()
        kernel.advance(frames: 1024)
        var expected = StreamChecksum()
        [UInt8](repeating: 0x80, count: 1024 * 2).withUnsafeBytes { expected.add($0) }
        #expect(kernel.playbackObservation().checksum == expected.value)
    }
}
