import AlsaSimulation
import CAlsaKernel
import Foundation
import Synchronization
import Testing
@testable import AlsaSwift

/// A duplex stream on the simulated kernel, where the capture device produces a known signal and
/// the playback device checksums what it plays: a raw pass-through must play two periods of
/// silence, then exactly the captured frames, in order (the round trip, in device frames), and
/// report that same round trip.
@Suite("Duplex stream")
struct DuplexTests {
    static let period = 256
    /// The round trip asked for: two periods of 256 frames at 48 kHz.
    static let request = StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .microseconds(10_667), formats: [.s16LE])

    static func request(mmap: Bool) -> StreamRequest {
        var request = Self.request
        request.preferMmap = mmap
        return request
    }

    /// The checksum of `silence` frames of silence, then capture frames 0..<`captured` of the
    /// simulated signal: what a pass-through that queued `silence` frames plays.
    static func passThroughChecksum(silence: Int, captured: Int, frameBytes: Int = 4) -> UInt64 {
        var checksum = StreamChecksum()
        [UInt8](repeating: 0, count: silence * frameBytes).withUnsafeBytes { checksum.add($0) }
        var frame = [UInt8](repeating: 0, count: frameBytes)
        for f in 0..<captured {
            for b in 0..<frameBytes { frame[b] = SimulatedKernel.captureSample(frame: UInt64(f), byte: b) }
            frame.withUnsafeBytes { checksum.add($0) }
        }
        return checksum.value
    }

    static func copyRaw(_ period: borrowing DuplexPeriod) {
        period.rawOutput.copyMemory(from: period.rawInput)
    }

    @Test("a raw pass-through links, queues two periods of silence, starts once, and plays the input two periods later",
          arguments: [false, true])
    func rawPassThrough(mmap: Bool) throws {
        let kernel = makeKernel(.explicitSync)
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request(mmap: mmap),
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        let configuration = duplex.configuration
        #expect(configuration.periodSize == Self.period && configuration.queuedFrames == 2 * Self.period)
        #expect(configuration.start == .linked)
        #expect(configuration.compensation == .oneClock)
        kernel.clearTrace()
        try duplex.processBlocking(periods: 40, Self.copyRaw)
        #expect(kernel.ioctlNames.filter { $0 == "START" }.count == 1, "one START for both sides")
        #expect(duplex.xruns == DuplexXruns() && duplex.periodCount == 40)
        let timing = try duplex.timing()
        #expect(timing.roundTripFrames == 2 * Self.period, "\(timing)")
        #expect(timing.roundTrip == AudioTiming.duration(ofFrames: 2 * Self.period, sampleRate: 48_000))
        #expect(timing.capture.triggerTimestamp == timing.playback.triggerTimestamp)
        // The device played silence, then the input, frame for frame.
        let played = kernel.playbackObservation()
        #expect(played.frames >= 40 * Self.period && played.underrunFrames == 0)
        #expect(played.checksum == Self.passThroughChecksum(silence: 2 * Self.period, captured: played.frames - 2 * Self.period))
        #expect(played.staleFrames == 0 && played.lateFrames == 0 && kernel.captureObservation().poisonedFrames == 0)
    }

    @Test("Float samples: the callback gets one period of input and its output, interleaved or not",
          arguments: [SampleLayout.interleaved, .nonInterleaved])
    func floatPassThrough(layout: SampleLayout) throws {
        let kernel = makeKernel(.explicitSync)
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .float(layout)), kernel: kernel)
        var positions: [Int] = []
        var times: [MonotonicInstant] = []
        try duplex.processBlocking(periods: 20) { period in
            #expect(period.frameCount == Self.period && period.input.count == Self.period * 2 && period.rawInput.isEmpty)
            if layout == .nonInterleaved {
                #expect(period.inputChannel(1).count == Self.period && period.outputChannel(0).count == Self.period)
                for channel in 0..<2 { _ = period.outputChannel(channel).update(fromContentsOf: period.inputChannel(channel)) }
            } else {
                #expect(period.inputChannel(0).isEmpty)
                _ = period.output.update(fromContentsOf: period.input)
            }
            positions.append(period.framePosition)
            times.append(period.outputTime)
        }
        #expect(positions == (0..<20).map { $0 * Self.period })
        // Each output period is heard a period after the one before.
        let step = AudioTiming.duration(ofFrames: Self.period, sampleRate: 48_000)
        for k in 4..<times.count - 1 { #expect(abs((times[k + 1] - times[k] - step).nanosecondsSaturating) < 1_000) }
        // S16_LE survives the round trip through Float exactly.
        let played = kernel.playbackObservation()
        #expect(played.checksum == Self.passThroughChecksum(silence: 2 * Self.period, captured: played.frames - 2 * Self.period))
    }

    @Test("the async form runs the same periods, suspending between them")
    func asyncPassThrough() async throws {
        let kernel = makeKernel(.explicitSync)
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        try await duplex.process(periods: 30, Self.copyRaw)
        #expect(duplex.periodCount == 30 && duplex.xruns.total == 0)
        #expect(try duplex.timing().roundTripFrames == 2 * Self.period)
        let played = kernel.playbackObservation()
        #expect(played.checksum == Self.passThroughChecksum(silence: 2 * Self.period, captured: played.frames - 2 * Self.period))
    }

    /// Where the kernel refuses the link (here ENOSYS, as dmix and the plugins answer), the stream
    /// starts both sides itself, back to back: two STARTs, no time between them.
    @Test("a refused link: both sides started back to back, and it says so")
    func backToBack() throws {
        let kernel = makeKernel(.explicitSync)
        kernel.injectPersistently(.noFunction, into: .ioctl, request: ALSA_IOCTL_LINK)
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        guard case .backToBack(let refusal) = duplex.configuration.start else {
            Issue.record("started \(duplex.configuration.start)")
            return
        }
        #expect(refusal.errno == .noFunction)
        kernel.clearTrace()
        try duplex.processBlocking(periods: 10, Self.copyRaw)
        #expect(kernel.ioctlNames.filter { $0 == "START" }.count == 2)
        let timing = try duplex.timing()
        #expect(timing.roundTripFrames == 2 * Self.period)
        #expect(timing.capture.triggerTimestamp == timing.playback.triggerTimestamp)
    }

    /// An xrun on either side restarts both with the same two periods queued; the round trip is
    /// what it was, and the xrun is counted on the side that ran out. The stream leaves one side
    /// alone (capture not read, or playback not written) until it runs out, while the other goes
    /// on. Linked and not: unlinked, the kernel does not stop the other side; the stream must.
    @Test("an xrun on either side restarts both with the same round trip, counted on its side",
          arguments: [StreamDirection.capture, .playback], [true, false])
    func starvedSide(side: StreamDirection, linked: Bool) throws {
        let kernel = makeKernel(.explicitSync)
        if !linked { kernel.injectPersistently(.noFunction, into: .ioctl, request: ALSA_IOCTL_LINK) }
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        try duplex.processBlocking(periods: 8, Self.copyRaw)
        let before = try duplex.timing().roundTripFrames
        #expect(before == 2 * Self.period)
        for _ in 0..<3 {
            duplex.loop.starving = side
            try duplex.processBlocking(periods: 8, Self.copyRaw)
            #expect(duplex.loop.starving == nil, "the starved side ran out")
            #expect(try duplex.timing().roundTripFrames == before)
        }
        var expected = DuplexXruns()
        if side == .capture { expected.capture = 3 } else { expected.playback = 3 }
        #expect(duplex.xruns == expected)
        let timing = try duplex.timing()
        #expect(timing.capture.state == .running && timing.playback.state == .running)
        let played = kernel.playbackObservation()
        #expect(played.staleFrames == 0 && played.lateFrames == 0)
    }

    /// An xrun a driver reports (the kernel's snd_pcm_stop_xrun), on either side: neither buffer
    /// ran out, so it is counted on the side that met it; both restart with the round trip they had.
    @Test("a driver's xrun on either side restarts both", arguments: [StreamDirection.capture, .playback], [true, false])
    func driverXrun(side: StreamDirection, linked: Bool) throws {
        let kernel = makeKernel(.explicitSync)
        if !linked { kernel.injectPersistently(.noFunction, into: .ioctl, request: ALSA_IOCTL_LINK) }
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        for round in 1...3 {
            try duplex.processBlocking(periods: 6, Self.copyRaw)
            #expect(kernel.forceXrun(direction: side))
            try duplex.processBlocking(periods: 6, Self.copyRaw)
            #expect(duplex.xruns.total == round)
            #expect(try duplex.timing().roundTripFrames == 2 * Self.period)
        }
    }

    /// A real xrun: the app stalls for three buffers. The kernel stops the linked pair; both start
    /// again with the round trip they had, and the side whose buffer ran out is counted.
    @Test("a stall: both sides run out, restart, and keep their round trip", arguments: [true, false])
    func stall(linked: Bool) throws {
        let kernel = makeKernel(.explicitSync)
        if !linked { kernel.injectPersistently(.noFunction, into: .ioctl, request: ALSA_IOCTL_LINK) }
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        try duplex.processBlocking(periods: 8, Self.copyRaw)
        kernel.advance(frames: 6 * Self.period)
        try duplex.processBlocking(periods: 8, Self.copyRaw)
        #expect(duplex.xruns.total >= 1, "\(duplex.xruns)")
        #expect(try duplex.timing().roundTripFrames == 2 * Self.period)
    }

    @Test("stop() drops both sides; the next period starts them again")
    func stopAndRestart() throws {
        let kernel = makeKernel(.explicitSync)
        let duplex = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel)
        try duplex.processBlocking(periods: 4, Self.copyRaw)
        try duplex.stop()
        #expect(try duplex.timing().playback.state == .prepared)
        try duplex.processBlocking(periods: 4, Self.copyRaw)
        #expect(try duplex.timing().roundTripFrames == 2 * Self.period && duplex.xruns.total == 0)
    }

    @Test("negotiation fails naming the difference: no common format, a rate one side cannot run")
    func negotiationRefusals() throws {
        let kernel = makeKernel(.explicitSync)
        var floatOnly = SimulatedHardware.explicitSync
        floatOnly.formats = [14]
        kernel.addDevice(card: 1, device: 0, hardware: floatOnly)
        let noFormat = #expect(throws: AlsaError.self) {
            _ = try DuplexStream(capture: "hw:0,0", playback: "hw:1,0", request: StreamRequest(formats: [.s16LE, .s32LE]), kernel: kernel)
        }
        #expect(noFormat?.context?.contains("offered by both sides") == true, "\(String(describing: noFormat))")
        var slow = SimulatedHardware.explicitSync
        slow.rates = .list([44_100])
        kernel.addDevice(card: 2, device: 0, hardware: slow)
        var fast = SimulatedHardware.explicitSync
        fast.rates = .list([48_000])
        kernel.addDevice(card: 3, device: 0, hardware: fast)
        let rate = #expect(throws: AlsaError.self) {
            _ = try DuplexStream(capture: "hw:2,0", playback: "hw:3,0",
                                 request: StreamRequest(sampleRate: 48_000, channelCount: 2, mayAdapt: [.sampleRate]), kernel: kernel)
        }
        #expect(rate?.context?.contains("rate 44100 Hz against 48000 Hz") == true, "\(String(describing: rate))")
        // Both PCMs were released: the device can be opened again.
        _ = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request, kernel: kernel)
    }

    @Test("a timer-scheduled or resampling request is refused with the way on, and both PCMs are released")
    func schedulingAndResamplingRefusals() throws {
        let kernel = makeKernel(.explicitSync)
        var timed = Self.request
        timed.scheduling = .timer()
        let timer = #expect(throws: AlsaError.self) {
            _ = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: timed, kernel: kernel)
        }
        #expect(timer?.context?.contains("not on a timer") == true, "\(String(describing: timer))")
        var only48k = SimulatedHardware.explicitSync
        only48k.rates = .list([48_000])
        kernel.addDevice(card: 1, device: 0, hardware: only48k)
        let resampled = #expect(throws: AlsaError.self) {
            _ = try DuplexStream(capture: "hw:1,0", playback: "hw:1,0",
                                 request: StreamRequest(sampleRate: 44_100, channelCount: 2, resampling: .standard), kernel: kernel)
        }
        #expect(resampled?.context?.contains("cannot resample") == true, "\(String(describing: resampled))")
        // Both PCMs were released: the devices can be opened again.
        _ = try DuplexStream(capture: "hw:0,0", playback: "hw:0,0", request: Self.request, kernel: kernel)
        _ = try DuplexStream(capture: "hw:1,0", playback: "hw:1,0", request: Self.request, kernel: kernel)
    }

    @Test("a duplex thread runs the callback on its own thread, answers timing(), and closes both PCMs")
    func thread() async throws {
        let kernel = makeKernel(.explicitSync)
        let enough = Signal()
        let count = Atomic<Int>(0)
        let thread = try DuplexThread(capture: "hw:0,0", playback: "hw:0,0", request: Self.request,
                                      options: DuplexOptions(samples: .raw), kernel: kernel) { period in
            period.rawOutput.copyMemory(from: period.rawInput)
            if count.add(1, ordering: .relaxed).newValue == 20 { enough.fire() }
        }
        #expect(thread.configuration.start == .linked)
        #expect(await enough.wait())
        let timing = try thread.timing()
        #expect(timing.roundTripFrames == 2 * Self.period)
        #expect(try thread.drift() == nil)
        thread.stop()
        #expect(thread.failure == nil && thread.isFinished && thread.xruns.total == 0)
        #expect(thread.periodCount >= 20)
        #expect(kernel.openDescriptorCount == 0)
        let ended = #expect(throws: AlsaError.self) { try thread.timing() }
        #expect(ended?.kind == .badState)
    }
}
