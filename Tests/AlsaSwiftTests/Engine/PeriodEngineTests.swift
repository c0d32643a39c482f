import AlsaSimulation
import CAlsaKernel
import Foundation
import Synchronization
import Testing
@testable import AlsaSwift

/// The one period engine, seen through the public API of each stream kind on a simulated device
/// whose pointer keeps moving while the app works (`setFramesPerCall`): every kind sleeps until a
/// period is there, then moves whole periods, converts exactly what it moves, and recovers by one
/// rule. A client that chases partial room instead (the old "wait only when nothing moved" loop)
/// makes several transfers a period here, and these tests fail.
@Suite("Period engine")
struct PeriodEngineTests {
    /// The four ways a stream's frames move: read/write or mmap, on a coherent device (records
    /// mapped) or an explicit-sync one (records through SYNC_PTR).
    enum Path: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case readWrite, mmap, readWriteExplicitSync, mmapExplicitSync
        var mmap: Bool { self == .mmap || self == .mmapExplicitSync }
        var explicitSync: Bool { self == .readWriteExplicitSync || self == .mmapExplicitSync }
        var testDescription: String { rawValue }
    }

    /// A device that moves 37 frames during each of the app's calls: a tenth of a 480-frame period
    /// every three calls, as a busy CPU on real hardware sees it.
    static func movingKernel(_ path: Path) -> SimulatedKernel {
        let kernel = makeKernel(path.explicitSync ? .explicitSync : .dummy)
        kernel.setFramesPerCall(37)
        return kernel
    }

    /// The request, with the access `path` takes.
    static func request(_ path: Path) -> StreamRequest {
        var request = Self.request
        request.preferMmap = path.mmap
        return request
    }

    static let request = StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(40), formats: [.s16LE])
    static let periods = 40

    /// What the kernel saw of the transfers: polls, read/write calls, SYNC_PTR calls.
    struct Calls {
        var polls = 0
        var readWrites = 0
        var syncPtrs = 0
        var commits = 0

        init(_ trace: [SimulatedCallRecord]) {
            for record in trace {
                switch record.call {
                case .poll: polls += 1
                case .ioctl where record.request == ALSA_IOCTL_WRITEI_FRAMES || record.request == ALSA_IOCTL_READI_FRAMES: readWrites += 1
                case .ioctl where record.request == ALSA_IOCTL_SYNC_PTR:
                    syncPtrs += 1
                    if (record.syncPtrFlags ?? 0) & ALSA_SYNC_PTR_APPL == 0 { commits += 1 }
                default: break
                }
            }
        }
    }

    /// The rules every path keeps, from the kernel's own count of calls and the stream's statistics.
    /// `converted`: the frames the stream converted (all it moved, unless they were raw frames, copied).
    static func expectWaitsLikeTheKernel(_ calls: Calls, _ statistics: TransferStatistics, frames: Int, period: Int, path: Path,
                                         converted: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let periods = frames / period
        #expect(statistics.frames == frames, sourceLocation: sourceLocation)
        #expect(statistics.convertedFrames == converted ?? frames, "conversions equal the frames moved (none for raw frames)",
                sourceLocation: sourceLocation)
        #expect(statistics.waits <= periods, "at most one wait a period: \(statistics)", sourceLocation: sourceLocation)
        #expect(calls.polls == statistics.waits, sourceLocation: sourceLocation)
        #expect(statistics.transfers <= periods, "whole periods: \(statistics)", sourceLocation: sourceLocation)
        if !path.mmap {
            #expect(statistics.transfers == periods && calls.readWrites == periods, "one read/write call a period: \(statistics)",
                    sourceLocation: sourceLocation)
        }
        if path.mmap && path.explicitSync {
            #expect(calls.syncPtrs == 2 * statistics.transfers && calls.commits == statistics.transfers,
                    "one query and one commit a chunk: \(calls.syncPtrs) SYNC_PTR for \(statistics.transfers) chunks",
                    sourceLocation: sourceLocation)
        }
    }

    @Test("a blocking write waits once a period and writes whole periods", arguments: Path.allCases)
    func blockingWrite(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.movingKernel(path)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
            let period = stream.configuration.periodSize
            let samples = StreamTests.signal(frames: Self.periods * period)
            kernel.clearTrace()
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            Self.expectWaitsLikeTheKernel(Calls(kernel.trace), stream.statistics, frames: Self.periods * period, period: period, path: path)
            #expect(try stream.drainBlocking())
            let device = kernel.playbackObservation()
            #expect(device.frames == UInt64(samples.count / 2) && device.xruns == 0)
            #expect(device.checksum == (try StreamTests.deviceChecksum(samples, as: .s16LE)))
        }
    }

    /// The kernel sees at most two polls a wait (the stream still sleeps once a period, which
    /// `expectWaitsLikeTheKernel` checks), plus the reactor's first and idle rounds. On the
    /// stream's executor the task's next wait usually joins the reactor's next poll, one poll a
    /// wait, but a hop onto the executor that writes the wake-up byte after the reactor has built
    /// its set cuts that poll short, and that can happen at any wait: TSan in a fresh-clone CI run
    /// saw 45 polls for 40 waits. On the global executor the reactor is already back in poll when
    /// the task comes to wait again, and the wait wakes it through its pipe: two polls a wait. A
    /// stream that polled on partial progress would make many more.
    @Test("an async write suspends once a period and writes whole periods", arguments: Path.allCases, [true, false])
    func asyncWrite(path: Path, onStreamExecutor: Bool) async throws {
        let kernel = Self.movingKernel(path)
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
        let period = stream.configuration.periodSize
        let samples = try InterleavedAudioBuffer(channelCount: 2, samples: StreamTests.signal(frames: Self.periods * period))
        kernel.clearTrace()
        if onStreamExecutor {
            try await withTaskExecutorPreference(stream.taskExecutor) { try await stream.write(samples) }
        } else {
            try await stream.write(samples)
        }
        var calls = Calls(kernel.trace)
        let statistics = stream.statistics
        #expect(calls.polls <= 2 * statistics.waits + 2, "\(calls.polls) polls, \(statistics.waits) waits")
        calls.polls = statistics.waits
        Self.expectWaitsLikeTheKernel(calls, statistics, frames: Self.periods * period, period: period, path: path)
        #expect(try await stream.drain())
        #expect(kernel.playbackObservation().checksum == (try StreamTests.deviceChecksum(samples.samples, as: .s16LE)))
    }

    @Test("a blocking read waits once a period and reads whole periods", arguments: Path.allCases)
    func blockingRead(path: Path) throws {
        let kernel = Self.movingKernel(path)
        let stream = try CaptureStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
        let period = stream.configuration.periodSize
        kernel.clearTrace()
        let buffer = try stream.readBlocking(frames: Self.periods * period)
        Self.expectWaitsLikeTheKernel(Calls(kernel.trace), stream.statistics, frames: Self.periods * period, period: period, path: path)
        #expect(buffer.frameCount == Self.periods * period)
        #expect(stream.xrunCount == 0)
    }

    @Test("the last chunk of a write is the only partial one")
    func partialLastChunk() throws {
        let kernel = Self.movingKernel(.readWrite)
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request, kernel: kernel)
        let period = stream.configuration.periodSize
        let frames = 10 * period + period / 3
        let samples = StreamTests.signal(frames: frames)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(stream.statistics.transfers == 11 && stream.statistics.waits == 11)
        #expect(stream.statistics.convertedFrames == frames)
    }

    /// A buffer that is not a whole number of periods: the ring buffer wraps inside a period, and
    /// the callback still sees exactly one period a call, with its position and time.
    @Test("a render callback gets exactly one period a call, with its position and time",
          arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func renderPeriods(access: AccessType) async throws {
        let kernel = makeKernel(.explicitSync)
        kernel.setFramesPerCall(29)
        let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
        let setup = try pcm.configure(HardwareRequest(access: access, format: .floatLE, channelCount: 2, sampleRate: 44_100, periodSize: 1102,
                                                      bufferSize: 4410))
        #expect(setup.bufferSize % setup.periodSize != 0, "the device granted \(setup)")
        let calls = Mutex<[(frames: Int, position: Int, time: MonotonicInstant)]>([])
        let enough = Signal()
        let thread = try RenderThread(pcm: pcm) { context in
            for frame in 0..<context.frameCount {
                for channel in 0..<2 {
                    context.samples[frame * 2 + channel] = RenderThreadTests.value((context.framePosition + frame) * 2 + channel)
                }
            }
            let count = calls.withLock { calls in
                calls.append((context.frameCount, context.framePosition, context.time))
                return calls.count
            }
            if count == 40 { enough.fire() }
        }
        #expect(await enough.wait(), "\(thread.callbackCount) periods, \(String(describing: thread.failure))")
        thread.stop()
        #expect(thread.failure == nil && thread.xrunCount == 0)
        let seen = calls.withLock { $0 }
        #expect(thread.callbackCount == seen.count)
        #expect(seen.allSatisfy { $0.frames == setup.periodSize }, "\(Set(seen.map(\.frames)))")
        #expect(seen.enumerated().allSatisfy { $0.element.position == $0.offset * setup.periodSize })
        // Once the device runs (after the first buffer), periods follow each other by a period's time.
        let periodTime = AudioTiming.duration(ofFrames: setup.periodSize, sampleRate: setup.sampleRate)
        for k in 6..<seen.count - 1 {
            let step = seen[k + 1].time - seen[k].time
            #expect(abs((step - periodTime).nanosecondsSaturating) < 1_000, "period \(k): \(step) against \(periodTime)")
        }
        // The device played what the callback rendered, in order.
        let device = kernel.playbackObservation()
        let played = Int(device.frames)
        #expect(played >= 20 * setup.periodSize)
        var expected = StreamChecksum()
        (0..<played * 2).map(RenderThreadTests.value).withUnsafeBytes { expected.add($0) }
        #expect(device.checksum == expected.value)
    }

    @Test("a capture callback gets exactly one period a call", arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func captureRenderPeriods(access: AccessType) async throws {
        let kernel = makeKernel(.explicitSync)
        kernel.setFramesPerCall(29)
        let pcm = try KernelPCM(card: 0, device: 0, direction: .capture, kernel: kernel)
        let setup = try pcm.configure(HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 44_100, periodSize: 1102,
                                                      bufferSize: 4410))
        let sizes = Mutex<[Int]>([])
        let enough = Signal()
        let thread = try RenderThread(pcm: pcm) { context in
            if sizes.withLock({ $0.append(context.frameCount); return $0.count }) == 30 { enough.fire() }
        }
        #expect(await enough.wait())
        thread.stop()
        #expect(thread.failure == nil)
        #expect(sizes.withLock { $0 }.allSatisfy { $0 == setup.periodSize })
    }

    @Test("a render thread opens by name, and answers delay() and timing() while it runs")
    func renderThreadByName() async throws {
        let kernel = makeKernel(.explicitSync)
        let enough = Signal()
        let count = Atomic<Int>(0)
        let thread = try RenderThread(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(40)),
                                      kernel: kernel) { context in
            for i in context.samples.indices { context.samples[i] = 0 }
            if count.add(1, ordering: .relaxed).newValue == 10 { enough.fire() }
        }
        #expect(thread.configuration.sampleRate == 48_000 && thread.configuration.syncReport.deviceRequiresExplicitSync == true)
        #expect(await enough.wait())
        let timing = try thread.timing()
        #expect(timing.direction == .playback && timing.sampleRate == 48_000)
        let delay = try thread.delay()
        #expect((0...thread.configuration.bufferSize).contains(delay))
        thread.stop()
        let ended = #expect(throws: AlsaError.self) { try thread.delay() }
        #expect(ended?.kind == .badState)
    }

    @Test("delay() and status() recover an xrun, counted, instead of throwing it")
    func queriesRecover() throws {
        let kernel = makeKernel()
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request, kernel: kernel)
        let samples = StreamTests.signal(frames: stream.configuration.bufferSize)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        kernel.advance(frames: 2 * stream.configuration.bufferSize)  // the app falls behind: underrun
        #expect(try stream.delay() == 0)
        #expect(stream.xrunCount == 1)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        kernel.advance(frames: 2 * stream.configuration.bufferSize)
        let status = try stream.status()
        #expect(status.state == .prepared && status.xrunCount == 2)

        let capture = try CaptureStream(device: "hw:0,0", request: Self.request, kernel: kernel)
        _ = try capture.readBlocking(frames: capture.configuration.periodSize)
        kernel.advance(frames: 2 * capture.configuration.bufferSize)  // overrun
        #expect(try capture.delay() == 0)
        #expect(capture.xrunCount == 1)
    }

    /// The rule: an xrun is recovered and the write goes on, but 4 recoveries in a row that move no
    /// frame throw, rather than loop for ever on a device that cannot run.
    @Test("recovery gives up after 4 recoveries in a row with no frame moved, and says so")
    func recoveryRule() throws {
        let kernel = makeKernel()
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request, kernel: kernel)
        let samples = StreamTests.signal(frames: 4 * stream.configuration.periodSize)
        // One xrun, then progress: recovered, counted, the write completes.
        kernel.inject(.brokenPipe, into: .ioctl, request: ALSA_IOCTL_WRITEI_FRAMES)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(stream.xrunCount == 1)
        // Every write fails: four recoveries, then the error. (Stopped first: a real xrun leaves the
        // stream stopped, and PREPARE of a running stream is EBUSY.)
        try stream.stop()
        kernel.injectPersistently(.brokenPipe, into: .ioctl, request: ALSA_IOCTL_WRITEI_FRAMES)
        let error = #expect(throws: AlsaError.self) { try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) } }
        #expect(error?.kind == .xrun)
        #expect(stream.xrunCount == 1 + RecoveryProcedure.limit)
    }

    @Test("an async drain suspends, ends at its timeout on a stalled device, and leaves the stream usable")
    func asyncDrainTimeout() async throws {
        let kernel = makeKernel()
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request, kernel: kernel)
        let samples = StreamTests.signal(frames: stream.configuration.bufferSize)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        kernel.stall(true)
        let started = ContinuousClock.now
        #expect(try await stream.drain(timeout: .milliseconds(200)) == false)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        kernel.stall(false)
        try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try await stream.drain())
    }

    @Test("cancelling an async drain drops the rest and throws .cancelled")
    func asyncDrainCancelled() async throws {
        let kernel = makeKernel()
        let draining = Signal()
        let task = Task {
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request, kernel: kernel)
            let samples = StreamTests.signal(frames: stream.configuration.bufferSize)
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            kernel.stall(true)
            draining.fire()
            return try await stream.drain(timeout: .seconds(3600))
        }
        #expect(await draining.wait())
        task.cancel()
        let result = await task.result
        #expect((try? result.get()) == nil)
        if case .failure(let error as AlsaError) = result { #expect(error.kind == .cancelled) }
        kernel.stall(false)
    }
}

/// A one-shot event a test awaits, fired from any thread (a render callback included).
final class Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() { (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1)) }

    func fire() { continuation.yield() }

    /// True when fired; false after `scaled(bound)`, which only tells "comes" from "never comes".
    func wait(bound: Duration = .seconds(10)) async -> Bool {
        let stream = stream
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in stream { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: scaled(bound))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
