import AlsaSwift
import BenchmarkSupport
import Dispatch
import Synchronization

/// Runs one app-facing path for `warmup + window` periods, one period per call, and takes the
/// window's counts at exact points: streams between two calls, render threads inside the callback
/// (after the period's wait, before its frames move), so the window holds exactly `window` calls.
struct PathRun: Sendable {
    let kernel: SeamCounter
    let warmup: Int
    let window: Int

    /// The counters at one moment.
    struct Snapshot: Sendable {
        var seam: SeamCounts
        var statistics: TransferStatistics?
        var callbacks: Int?
        var allocations: UInt?
    }

    /// What happened between the window's two snapshots. nil: not observable on this path.
    struct WindowCounts {
        var seam: SeamCounts
        /// Frames the path moved (the stream's statistics; a render thread's callbacks × period).
        var frames: Int?
        var transfers: Int?
        var waits: Int?
        var converted: Int?
        var callbacks: Int?
        /// How far the kernel's application pointer moved: the frames moved, as the kernel saw them.
        var applicationFrames: Int?
        var allocations: UInt?

        init(_ a: Snapshot, _ b: Snapshot, periodFrames: Int) {
            seam = SeamCounts(ioctls: b.seam.ioctls - a.seam.ioctls, writei: b.seam.writei - a.seam.writei,
                              readi: b.seam.readi - a.seam.readi, transferredFrames: b.seam.transferredFrames - a.seam.transferredFrames,
                              syncPtr: b.seam.syncPtr - a.seam.syncPtr, commits: b.seam.commits - a.seam.commits,
                              hwsync: b.seam.hwsync - a.seam.hwsync, polls: b.seam.polls - a.seam.polls, applicationPointer: nil)
            if let x = a.statistics, let y = b.statistics {
                frames = y.frames - x.frames
                transfers = y.transfers - x.transfers
                waits = y.waits - x.waits
                converted = y.convertedFrames - x.convertedFrames
            }
            if let x = a.callbacks, let y = b.callbacks {
                // A render thread: every callback's period is converted and moved once; its waits
                // are its polls (the engine's, on the seam).
                callbacks = y - x
                frames = (y - x) * periodFrames
                converted = frames
                waits = seam.polls
            }
            if let x = a.seam.applicationPointer, let y = b.seam.applicationPointer { applicationFrames = y - x }
            if let x = a.allocations, let y = b.allocations { allocations = y &- x }
        }
    }

    struct Outcome {
        var window: WindowCounts
        var xruns: Int
        /// Frames moved in the whole run, warm-up included.
        var totalFrames: Int
    }

    func snapshot(_ statistics: TransferStatistics?, callbacks: Int? = nil) -> Snapshot {
        Snapshot(seam: kernel.counts, statistics: statistics, callbacks: callbacks, allocations: Allocations.count)
    }

    // MARK: streams

    func writeBlocking(_ stream: PlaybackStream) throws -> Outcome {
        try blocking(configuration: stream.configuration, statistics: { stream.statistics }, xruns: { stream.xrunCount },
                     transfer: { (samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) in try stream.writeBlocking(UnsafeBufferPointer(samples)) },
                     finish: { () throws(AlsaError) in _ = try stream.drainBlocking(timeout: .seconds(10)) })
    }

    func readBlocking(_ stream: CaptureStream) throws -> Outcome {
        try blocking(configuration: stream.configuration, statistics: { stream.statistics }, xruns: { stream.xrunCount },
                     transfer: { (samples: UnsafeMutableBufferPointer<Float>) throws(AlsaError) in try stream.readBlocking(into: samples) },
                     finish: { () throws(AlsaError) in })
    }

    /// `writeBlocking(rawFrames:)` a period of raw frames (zeros in the device's format) at a time.
    func writeBlockingRaw(_ stream: PlaybackStream) throws -> Outcome {
        try blocking(configuration: stream.configuration, statistics: { stream.statistics }, xruns: { stream.xrunCount },
                     transfer: { (frames: UnsafeMutableRawBufferPointer) throws(AlsaError) in try stream.writeBlocking(rawFrames: UnsafeRawBufferPointer(frames)) },
                     finish: { () throws(AlsaError) in _ = try stream.drainBlocking(timeout: .seconds(10)) })
    }

    /// `readBlocking(rawFramesInto:)` a period of raw frames at a time.
    func readBlockingRaw(_ stream: CaptureStream) throws -> Outcome {
        try blocking(configuration: stream.configuration, statistics: { stream.statistics }, xruns: { stream.xrunCount },
                     transfer: { (frames: UnsafeMutableRawBufferPointer) throws(AlsaError) in try stream.readBlocking(rawFramesInto: frames) },
                     finish: { () throws(AlsaError) in })
    }

    /// The blocking paths' loop, on this thread, with a period of `Float` samples or of raw frames.
    private func blocking<Period: PeriodBuffer>(configuration: StreamConfiguration, statistics: () -> TransferStatistics, xruns: () -> Int,
                                                transfer: (Period) throws(AlsaError) -> Void,
                                                finish: () throws(AlsaError) -> Void) throws -> Outcome {
        let samples = Period.period(configuration)
        defer { samples.deallocate() }
        var start: Snapshot?
        for i in 0..<(warmup + window) {
            if i == warmup {
                start = snapshot(statistics())
                Window.start()
            }
            try transfer(samples)
        }
        Window.end()
        let end = snapshot(statistics())
        try finish()
        return Outcome(window: WindowCounts(start!, end, periodFrames: configuration.periodSize), xruns: xruns(), totalFrames: statistics().frames)
    }

    /// `await stream.write` a period at a time, from a task that prefers the stream's executor (as
    /// its documentation advises) unless `globalExecutor`.
    func write(_ stream: PlaybackStream, globalExecutor: Bool) throws -> Outcome {
        nonisolated(unsafe) let stream = stream
        return try awaited(executor: globalExecutor ? nil : stream.taskExecutor, configuration: stream.configuration,
                           statistics: { stream.statistics }, xruns: { stream.xrunCount },
                           transfer: { samples async throws(AlsaError) in try await stream.write(UnsafeBufferPointer(samples)) },
                           finish: { () async throws(AlsaError) in _ = try await stream.drain(timeout: .seconds(10)) })
    }

    /// `await stream.read` a period at a time; see `write`.
    func read(_ stream: CaptureStream, globalExecutor: Bool) throws -> Outcome {
        nonisolated(unsafe) let stream = stream
        return try awaited(executor: globalExecutor ? nil : stream.taskExecutor, configuration: stream.configuration,
                           statistics: { stream.statistics }, xruns: { stream.xrunCount },
                           transfer: { samples async throws(AlsaError) in try await stream.read(into: samples) },
                           finish: { () async throws(AlsaError) in })
    }

    /// The async paths' loop, in a task on `executor` (nil: the global one); this thread waits.
    private func awaited(executor: (any TaskExecutor)?, configuration: StreamConfiguration,
                         statistics: @escaping @Sendable () -> TransferStatistics, xruns: @Sendable () -> Int,
                         transfer: @escaping @Sendable (UnsafeMutableBufferPointer<Float>) async throws(AlsaError) -> Void,
                         finish: @escaping @Sendable () async throws(AlsaError) -> Void) throws -> Outcome {
        let result = Mutex<Result<(Snapshot, Snapshot), AlsaError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (warmup, window) = (self.warmup, self.window)
        let run = self
        Task(executorPreference: executor) {
            let samples = Self.period(configuration)
            defer { samples.deallocate() }
            do throws(AlsaError) {
                var start: Snapshot?
                for i in 0..<(warmup + window) {
                    if i == warmup {
                        start = run.snapshot(statistics())
                        Window.start()
                    }
                    try await transfer(samples)
                }
                Window.end()
                let end = run.snapshot(statistics())
                try await finish()
                result.withLock { $0 = .success((start!, end)) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        let (start, end) = try result.withLock { $0! }.get()
        return Outcome(window: WindowCounts(start, end, periodFrames: configuration.periodSize), xruns: xruns(),
                       totalFrames: statistics().frames)
    }

    /// One period of interleaved zeros: the app's samples, made once.
    private static func period(_ configuration: StreamConfiguration) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer<Float>.period(configuration)
    }

    // MARK: render threads

    /// What a render thread starts on: a device it opens by name, or a PCM the app configured.
    enum RenderSource {
        case named(String, StreamDirection, StreamRequest, PCMDevice.TransportChoice)
        case pcm(any PCM)
    }

    /// A render thread; its callback leaves the period as it is (zeros for playback, the captured
    /// samples for capture) and takes the window's snapshots.
    func render(_ source: sending RenderSource, priority: RenderThread.Priority,
                check: (StreamConfiguration) throws -> Void) throws -> Outcome {
        let probe = RenderProbe(run: self)
        let callback: RenderThread.Callback = { _ in probe.period() }
        let thread: RenderThread
        switch consume source {
        case .named(let device, let direction, let request, let transport):
            thread = try RenderThread(device: device, direction: direction, request: request, transport: transport, kernel: kernel,
                                      priority: priority, callback: callback)
        case .pcm(let pcm):
            thread = try RenderThread(pcm: pcm, priority: priority, callback: callback)
        }
        try check(thread.configuration)
        // Woken once a second, to notice a thread that ended early: each wake-up is a sleep of this
        // process that the sleeps-per-period figure counts (five a second read 0.11 a period).
        while probe.done.wait(timeout: .now() + .seconds(1)) == .timedOut && !thread.isFinished {}
        thread.stop()
        if let failure = thread.failure { throw failure }
        guard let start = probe.start, let end = probe.end else { throw Refused(description: "the render thread ended before the window did") }
        return Outcome(window: WindowCounts(start, end, periodFrames: thread.configuration.periodSize), xruns: thread.xrunCount,
                       totalFrames: thread.callbackCount * thread.configuration.periodSize)
    }
}

/// The render callback's side: counts calls and takes the two snapshots. Written by the render
/// thread only, read by the main thread after `done` (the semaphore orders the two).
private final class RenderProbe: @unchecked Sendable {
    let run: PathRun
    let done = DispatchSemaphore(value: 0)
    var calls = 0
    var start: PathRun.Snapshot?
    var end: PathRun.Snapshot?

    init(run: PathRun) { self.run = run }

    /// Called once a period on the render thread: two snapshots in the whole run, nothing else.
    func period() {
        let call = calls
        calls += 1
        if call == run.warmup {
            start = run.snapshot(nil, callbacks: call)
            Window.start()
        } else if call == run.warmup + run.window {
            Window.end()
            end = run.snapshot(nil, callbacks: call)
            done.signal()
        }
    }
}

/// What a blocking path moves a period of: `Float` samples, or raw frames in the device's format.
protocol PeriodBuffer {
    /// One period of zeros for `configuration`, made once.
    static func period(_ configuration: StreamConfiguration) -> Self
    func deallocate()
}

extension UnsafeMutableBufferPointer<Float>: PeriodBuffer {
    static func period(_ configuration: StreamConfiguration) -> Self {
        let samples = Self.allocate(capacity: configuration.periodSize * configuration.channelCount)
        samples.initialize(repeating: 0)
        return samples
    }
}

extension UnsafeMutableRawBufferPointer: PeriodBuffer {
    /// Zeros are silence in S16_LE, the format every run is checked to have.
    static func period(_ configuration: StreamConfiguration) -> Self {
        let frames = Self.allocate(byteCount: configuration.periodSize * configuration.setup.frameBytes, alignment: 16)
        frames.initializeMemory(as: UInt8.self, repeating: 0)
        return frames
    }
}
