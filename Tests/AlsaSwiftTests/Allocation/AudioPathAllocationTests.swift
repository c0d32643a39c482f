import AlsaSimulation
import Dispatch
import Testing
@testable import AlsaSwift

/// Nothing allocates on the audio path: the paths apps call, run on the simulated kernel for a
/// warm-up, then counted over a window of periods on the thread that runs them (the calling thread
/// of a blocking stream, the render thread inside its callback), must make 0 heap allocations.
///
/// Counted: everything on that thread in the window: the stream, the period engine and its waits,
/// the sync strategy, sample conversion, rate conversion and the resampler (soxr included), a
/// duplex stream's drift tracking, and the test's own loop and callbacks (which allocate nothing).
/// Not counted: what the simulated kernel does inside its system calls (`UncountedKernel`: the
/// model is not the audio path), other threads, and the set-up and warm-up before the window (the
/// first periods instantiate generic metadata, and a resampler's latency fills). No xrun happens
/// in a window, so recovery is not counted. The suite's debug build leaves generic code
/// unspecialized, where it allocates more readily than a release build: 0 holds for both.
@Suite("Allocations on the audio path", .enabled(if: Allocations.areCounted, Allocations.skipReason))
struct AudioPathAllocationTests {
    static let warmup = 32
    /// Periods counted: over two seconds of 256-frame periods at 48 kHz, so that the engine's
    /// position clock renews its anchor (once a second of audio) inside the window.
    static let window = 400
    /// 256-frame periods, 4 to the buffer, at 48 kHz.
    static let latency = Duration.microseconds(21_334)

    /// A card and the access a stream asks of it.
    struct Card: CustomTestStringConvertible, Sendable {
        var hardware: SimulatedHardware
        var mmap: Bool
        var testDescription: String { "\(hardware.name), \(mmap ? "mmap" : "read/write")" }
    }

    /// A card that is coherent, and one whose records move only by explicit SYNC_PTR calls; each
    /// with read/write and with mmap access.
    static let cards: [Card] = [SimulatedHardware.dummy, .explicitSync].flatMap { [Card(hardware: $0, mmap: false), Card(hardware: $0, mmap: true)] }

    /// A device fixed at 48 kHz, for the streams that resample an app's 44.1 kHz.
    static func fixedRate(_ hardware: SimulatedHardware) -> SimulatedHardware {
        var fixed = hardware
        fixed.rates = .list([48_000])
        return fixed
    }

    /// The allocations `body` makes on this thread in `window` calls after `warmup` calls.
    static func steadyState(warmup: Int = warmup, window: Int = window, _ body: () throws -> Void) rethrows -> Int {
        try Allocations.steadyState(warmup: warmup, window: window, body)
    }

    /// `count` samples of a quiet constant, made before any window.
    static func samples(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        samples.initialize(repeating: 0.25)
        return samples
    }

    // MARK: blocking streams

    @Test("PlaybackStream.writeBlocking: 0 allocations a period (S16_LE, converted from Float), read/write and mmap, coherent and explicit-sync cards",
          arguments: cards)
    func writeBlocking(_ card: Card) async throws {
        let (hardware, mmap) = (card.hardware, card.mmap)
        try await onOwnThread {
            let kernel = makeKernel(hardware)
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: Self.latency, formats: [.s16LE], preferMmap: mmap),
                                            kernel: UncountedKernel(kernel))
            let configuration = stream.configuration
            #expect(configuration.setup.access.isMmap == mmap && configuration.periodSize == 256, "\(configuration)")
            let samples = Self.samples(configuration.periodSize * configuration.channelCount)
            defer { samples.deallocate() }
            let allocations = try Self.steadyState { try stream.writeBlocking(UnsafeBufferPointer(samples)) }
            #expect(allocations == 0, "\(allocations) allocations in \(Self.window) periods")
            #expect(stream.xrunCount == 0 && kernel.playbackObservation().frames > 0)
        }
    }

    @Test("CaptureStream.readBlocking: 0 allocations a period (S16_LE, converted to Float), read/write and mmap, coherent and explicit-sync cards",
          arguments: cards)
    func readBlocking(_ card: Card) async throws {
        let (hardware, mmap) = (card.hardware, card.mmap)
        try await onOwnThread {
            let kernel = makeKernel(hardware)
            let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(latency: Self.latency, formats: [.s16LE], preferMmap: mmap),
                                           kernel: UncountedKernel(kernel))
            let configuration = stream.configuration
            #expect(configuration.setup.access.isMmap == mmap && configuration.periodSize == 256, "\(configuration)")
            let samples = Self.samples(configuration.periodSize * configuration.channelCount)
            defer { samples.deallocate() }
            let allocations = try Self.steadyState { try stream.readBlocking(into: samples) }
            #expect(allocations == 0, "\(allocations) allocations in \(Self.window) periods")
            #expect(stream.xrunCount == 0)
        }
    }

    @Test("raw frames, PlaybackStream.writeBlocking(rawFrames:) and CaptureStream.readBlocking(rawFramesInto:): 0 allocations a period (S16_LE, copied), read/write and mmap, both cards",
          arguments: cards)
    func rawFrames(_ card: Card) async throws {
        let (hardware, mmap) = (card.hardware, card.mmap)
        try await onOwnThread {
            let request = StreamRequest(latency: Self.latency, formats: [.s16LE], preferMmap: mmap)
            let kernel = makeKernel(hardware)
            let playback = try PlaybackStream(device: "hw:0,0", request: request, kernel: UncountedKernel(kernel))
            let capture = try CaptureStream(device: "hw:0,0", request: request, kernel: UncountedKernel(kernel))
            #expect(playback.configuration.format == .s16LE && capture.configuration.format == .s16LE)
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: playback.configuration.periodSize * 4, alignment: 16)
            defer { bytes.deallocate() }
            bytes.initializeMemory(as: UInt8.self, repeating: 0x11)
            let written = try Self.steadyState { try playback.writeBlocking(rawFrames: UnsafeRawBufferPointer(bytes)) }
            #expect(written == 0, "\(written) allocations in \(Self.window) periods of playback")
            let read = try Self.steadyState { try capture.readBlocking(rawFramesInto: bytes) }
            #expect(read == 0, "\(read) allocations in \(Self.window) periods of capture")
            #expect(playback.xrunCount == 0 && capture.xrunCount == 0 && playback.statistics.convertedFrames == 0)
        }
    }

    /// The app writes 1000 frames at a time (no whole number of device periods): each call stages
    /// some, resamples and converts others.
    @Test("a resampling PlaybackStream (44.1 kHz app, 48 kHz device): 0 allocations a write, read/write and mmap, both cards",
          arguments: cards)
    func resamplingWriteBlocking(_ card: Card) async throws {
        let (hardware, mmap) = (card.hardware, card.mmap)
        try await onOwnThread {
            let kernel = makeKernel(Self.fixedRate(hardware))
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 44_100, latency: Self.latency, formats: [.s16LE],
                                                                                     preferMmap: mmap, resampling: .standard),
                                            kernel: UncountedKernel(kernel))
            #expect(stream.configuration.deviceSampleRate == 48_000 && stream.core.conversion != nil)
            let samples = Self.samples(1000 * 2)
            defer { samples.deallocate() }
            let allocations = try Self.steadyState { try stream.writeBlocking(UnsafeBufferPointer(samples)) }
            #expect(allocations == 0, "\(allocations) allocations in \(Self.window) writes")
            #expect(stream.xrunCount == 0)
        }
    }

    @Test("a resampling CaptureStream (48 kHz device, 44.1 kHz app): 0 allocations a read, read/write and mmap, both cards",
          arguments: cards)
    func resamplingReadBlocking(_ card: Card) async throws {
        let (hardware, mmap) = (card.hardware, card.mmap)
        try await onOwnThread {
            let kernel = makeKernel(Self.fixedRate(hardware))
            let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 44_100, latency: Self.latency, formats: [.s16LE],
                                                                                    preferMmap: mmap, resampling: .standard),
                                           kernel: UncountedKernel(kernel))
            #expect(stream.configuration.deviceSampleRate == 48_000 && stream.core.conversion != nil)
            let samples = Self.samples(1000 * 2)
            defer { samples.deallocate() }
            let allocations = try Self.steadyState { try stream.readBlocking(into: samples) }
            #expect(allocations == 0, "\(allocations) allocations in \(Self.window) reads")
            #expect(stream.xrunCount == 0)
        }
    }

    /// A timer-scheduled stream (`StreamScheduling.timer`): its waits sleep on the kernel's timer
    /// until the instant the position clock predicts, and its steps move what the watermark calls
    /// for, in pieces. 8 kHz keeps the virtual seconds cheap: 200 calls of 200 frames are 5 s.
    @Test("timer-scheduled writeBlocking and readBlocking: 0 allocations a call, read/write and mmap, both cards",
          arguments: [StreamDirection.playback, .capture], cards)
    func timerScheduled(direction: StreamDirection, card: Card) async throws {
        try await onOwnThread {
            let kernel = UncountedKernel(makeKernel(card.hardware))
            let request = StreamRequest(sampleRate: 8_000, formats: [.s16LE], preferMmap: card.mmap, scheduling: .timer())
            let samples = Self.samples(200 * 2)
            defer { samples.deallocate() }
            let allocations: Int, sleeps: Int, xruns: Int
            if direction == .playback {
                let stream = try PlaybackStream(device: "hw:0,0", request: request, kernel: kernel)
                #expect(stream.configuration.timer != nil && stream.configuration.setup.access.isMmap == card.mmap)
                for _ in 0..<Self.warmup { try stream.writeBlocking(UnsafeBufferPointer(samples)) }
                let waits = stream.statistics.waits
                allocations = try Self.steadyState(warmup: 0, window: 200) { try stream.writeBlocking(UnsafeBufferPointer(samples)) }
                (sleeps, xruns) = (stream.statistics.waits - waits, stream.xrunCount)
            } else {
                let stream = try CaptureStream(device: "hw:0,0", request: request, kernel: kernel)
                #expect(stream.configuration.timer != nil && stream.configuration.setup.access.isMmap == card.mmap)
                for _ in 0..<Self.warmup { try stream.readBlocking(into: samples) }
                let waits = stream.statistics.waits
                allocations = try Self.steadyState(warmup: 0, window: 200) { try stream.readBlocking(into: samples) }
                (sleeps, xruns) = (stream.statistics.waits - waits, stream.xrunCount)
            }
            #expect(allocations == 0, "\(allocations) allocations in 200 calls")
            #expect(sleeps > 0, "the window never slept on the timer")
            #expect(xruns == 0)
        }
    }

    // MARK: render threads

    /// Counts inside the callback, on the render thread: at callback `warmup` and `warmup + window`,
    /// so the window holds exactly `window` periods of the thread's loop (wait, step, conversion,
    /// callback). Written by the render thread only; read after `done`.
    final class CallbackWindow: @unchecked Sendable {
        let warmup: Int, window: Int
        let done = DispatchSemaphore(value: 0)
        private var calls = 0
        private var start = 0
        private(set) var allocations: Int?

        init(warmup: Int = AudioPathAllocationTests.warmup, window: Int = AudioPathAllocationTests.window) {
            self.warmup = warmup
            self.window = window
        }

        /// Called once a period on the audio thread.
        func period() {
            if calls == warmup {
                start = Allocations.windowStart()
            } else if calls == warmup + window {
                allocations = Allocations.windowEnd(start)
                done.signal()
            }
            calls += 1
        }

        /// Waits for the window's end; nil if it never came.
        func result() -> Int? {
            guard done.wait(timeout: .now() + .seconds(Int(hangBound.components.seconds))) == .success else { return nil }
            return allocations
        }
    }

    @Test("RenderThread: 0 allocations a period on its thread, playback and capture, read/write and mmap, both cards",
          arguments: [StreamDirection.playback, .capture], cards)
    func renderThread(direction: StreamDirection, card: Card) async throws {
        let (hardware, mmap) = (card.hardware, card.mmap)
        try await onOwnThread {
            let counter = CallbackWindow()
            let thread = try RenderThread(device: "hw:0,0", direction: direction,
                                          request: StreamRequest(latency: Self.latency, formats: [.s16LE], preferMmap: mmap),
                                          kernel: UncountedKernel(makeKernel(hardware))) { context in
                if direction == .playback { context.samples.update(repeating: 0.25) }
                counter.period()
            }
            defer { thread.stop() }
            #expect(thread.configuration.setup.access.isMmap == mmap)
            let allocations = counter.result()
            #expect(allocations == 0, "\(allocations.map(String.init) ?? "no window") allocations in \(Self.window) periods")
            #expect(thread.failure == nil && thread.xrunCount == 0)
        }
    }

    // MARK: duplex

    /// One card (both sides of hw:0,0), or two whose clocks differ by 300 ppm, where the stream
    /// measures the drift and resamples its input (Float) or adjusts frames (raw).
    static let duplexCases: [(twoCards: Bool, samples: DuplexSamples)] = [
        (false, .raw), (false, .float(.interleaved)), (false, .float(.nonInterleaved)), (true, .float(.interleaved)), (true, .raw),
    ]

    /// The duplex callback: the input copied to the output, raw or as Float.
    static func passThrough(_ period: borrowing DuplexPeriod) {
        if period.rawInput.isEmpty {
            _ = period.output.update(fromContentsOf: period.input)
        } else {
            period.rawOutput.copyMemory(from: period.rawInput)
        }
    }

    static func duplexKernel(twoCards: Bool) -> SimulatedKernel {
        guard twoCards else { return makeKernel(.explicitSync) }
        var fast = SimulatedHardware.explicitSync
        fast.clockDeviation = 300
        let kernel = SimulatedKernel(card: 0, hardware: .explicitSync)
        kernel.addDevice(card: 1, device: 0, hardware: fast)
        return kernel
    }

    @Test("DuplexStream.processBlocking: 0 allocations a period, one card and two (drift resampled or frames adjusted)",
          arguments: duplexCases.indices)
    func duplexProcessBlocking(index: Int) async throws {
        let (twoCards, samples) = Self.duplexCases[index]
        try await onOwnThread {
            let duplex = try DuplexStream(capture: "hw:0,0", playback: twoCards ? "hw:1,0" : "hw:0,0",
                                          request: StreamRequest(latency: .microseconds(10_667), formats: [.s16LE]),
                                          options: DuplexOptions(samples: samples), kernel: UncountedKernel(Self.duplexKernel(twoCards: twoCards)))
            // Two seconds first, with the same callback (its first call instantiates generic
            // metadata): on two cards the drift is measured and its compensation engaged.
            try duplex.processBlocking(periods: 400, Self.passThrough)
            let allocations = try Self.steadyState(warmup: 0, window: 1) {
                try duplex.processBlocking(periods: Self.window, Self.passThrough)
            }
            #expect(allocations == 0, "\(allocations) allocations in \(Self.window) periods")
            #expect(duplex.xruns.total == 0, "\(duplex.xruns)")
            if twoCards { #expect(duplex.drift != nil && duplex.configuration.compensation != .oneClock, "\(duplex.configuration)") }
        }
    }
}
