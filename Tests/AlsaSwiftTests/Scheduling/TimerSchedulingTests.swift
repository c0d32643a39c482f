import AlsaSimulation
import CAlsaKernel
import Foundation
import Synchronization
import Testing
@testable import AlsaSwift

/// Timer-scheduled streams on the one period engine, on the simulated kernel's virtual clock: a
/// deep buffer, a sleep on a timer until the fill reaches the watermark, one move of target less
/// watermark per wakeup, committed in pieces of at most the watermark, the explicit-sync contract
/// kept at every wakeup (query, transfer, commit: two SYNC_PTR a piece, no stale, late or poisoned frame), no period interrupt where the device
/// can turn them off and the largest period where it cannot, and a watermark that follows xruns.
///
/// Every path runs on a device that moves 37 frames during each of the app's calls
/// (`setFramesPerCall`), as a busy CPU sees real hardware: a stream that chased the frames played
/// meanwhile would make a wakeup and a transfer for each, and these counts would show it. The
/// blocking cases compute many virtual seconds of audio: they run on a thread of their own.
@Suite("Timer scheduling")
struct TimerSchedulingTests {
    typealias Path = PeriodEngineTests.Path
    typealias Calls = PeriodEngineTests.Calls

    static func kernel(_ path: Path) -> SimulatedKernel {
        let kernel = makeKernel(path.explicitSync ? .explicitSync : .dummy)
        kernel.setFramesPerCall(37)
        return kernel
    }

    /// 8 kHz keeps the virtual seconds cheap; the explicit-sync device offers it from its list.
    static func request(_ path: Path, rate: Int = 8_000, latency: Duration? = nil) -> StreamRequest {
        StreamRequest(sampleRate: rate, channelCount: 2, formats: [.s16LE], preferMmap: path.mmap, scheduling: .timer(latency: latency))
    }

    /// What a timer-scheduled stream of `path` must have got: NO_PERIOD_WAKEUP from the device that
    /// offers it (asked for in HW_PARAMS), the largest period from the one that does not (not asked).
    static func expectPacing(_ configuration: StreamConfiguration, _ kernel: SimulatedKernel, _ path: Path,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let timer = try #require(configuration.timer, sourceLocation: sourceLocation)
        #expect(timer.periodWakeups == !path.explicitSync, sourceLocation: sourceLocation)
        #expect(configuration.setup.periodWakeups == !path.explicitSync, sourceLocation: sourceLocation)
        let flags = kernel.trace.compactMap(\.hardwareParameterFlags)
        #expect(flags.allSatisfy { ($0 & ALSA_HW_PARAMS_NO_PERIOD_WAKEUP != 0) == path.explicitSync },
                "HW_PARAMS flags \(flags) on a device that \(path.explicitSync ? "offers" : "does not offer") NO_PERIOD_WAKEUP",
                sourceLocation: sourceLocation)
        // The largest period: at most two in the buffer.
        #expect(configuration.periodSize * 2 >= configuration.bufferSize, "\(configuration)", sourceLocation: sourceLocation)
    }

    /// The wakeups a transfer of `frames` frames may take: the first fill takes none, each wakeup
    /// then moves at least target less watermark.
    static func expectWakeups(_ statistics: TransferStatistics, frames: Int, timer: TimerSchedule, watermark: Int,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let most = (frames - timer.fillTarget + (timer.fillTarget - watermark) - 1) / (timer.fillTarget - watermark) + 1
        #expect(statistics.waits <= most, "\(statistics) for \(frames) frames, \(timer)", sourceLocation: sourceLocation)
        #expect(statistics.waits >= most / 2, "\(statistics)", sourceLocation: sourceLocation)
        #expect(statistics.convertedFrames == frames, sourceLocation: sourceLocation)
    }

    /// One query and one commit a chunk, and no other SYNC_PTR: the status call that looks at the
    /// device is not one. No more chunks than each move's pieces of `piece` frames make: whole
    /// pieces but for the last of a move and the one the ring's wrap cuts (a move per wakeup, and
    /// the first fill).
    static func expectContract(_ calls: Calls, _ statistics: TransferStatistics, path: Path, piece: Int,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(statistics.transfers <= statistics.convertedFrames / piece + 2 * (statistics.waits + 1), "\(statistics)",
                sourceLocation: sourceLocation)
        if path.mmap && path.explicitSync {
            #expect(calls.syncPtrs == 2 * statistics.transfers && calls.commits == statistics.transfers,
                    "\(calls.syncPtrs) SYNC_PTR, \(calls.commits) commits for \(statistics.transfers) chunks", sourceLocation: sourceLocation)
        }
        if !path.mmap {
            #expect(calls.readWrites == statistics.transfers, sourceLocation: sourceLocation)
            #expect(calls.syncPtrs == 0, sourceLocation: sourceLocation)
        }
    }

    @Test("playback with no latency target fills the whole buffer and wakes once per buffer less watermark",
          arguments: Path.allCases)
    func powerPlayback(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
            let timer = try #require(stream.configuration.timer)
            try Self.expectPacing(stream.configuration, kernel, path)
            #expect(timer.fillTarget == stream.configuration.bufferSize)
            if path.explicitSync { #expect(stream.configuration.bufferSize == 16_000, "2 s at 8 kHz: \(stream.configuration)") }
            let frames = 6 * stream.configuration.bufferSize
            let samples = StreamTests.signal(frames: frames)
            kernel.clearTrace()
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            let statistics = stream.statistics
            Self.expectWakeups(statistics, frames: frames, timer: timer, watermark: timer.initialWatermark)
            Self.expectContract(Calls(kernel.trace), statistics, path: path, piece: timer.initialWatermark)
            #expect(try stream.drainBlocking())
            try Self.expectPlayedAll(samples, kernel, stream)
            let device = kernel.playbackObservation()
            #expect(path.explicitSync ? device.periodInterrupts == 0 : device.periodInterrupts > 0, "\(device)")
            print("timer playback \(path): \(frames) frames (\(frames / 8_000) s) in \(statistics.waits) wakeups, \(statistics.transfers) chunks; "
                  + "\(stream.configuration)")
        }
    }

    @Test("playback with a 10 ms target never queues more than 10 ms, and wakes once per target less watermark",
          arguments: Path.allCases)
    func latencyTargetPlayback(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path, rate: 48_000, latency: .milliseconds(10)),
                                            kernel: kernel)
            let timer = try #require(stream.configuration.timer)
            #expect(timer.fillTarget == 480 && timer.initialWatermark == 240)
            #expect(stream.configuration.bufferSize >= 16_000, "a deep buffer all the same: \(stream.configuration)")
            let frames = 48_000
            let samples = StreamTests.signal(frames: frames)
            kernel.clearTrace()
            try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            #expect(try stream.delay() <= 480)
            Self.expectWakeups(stream.statistics, frames: frames, timer: timer, watermark: timer.initialWatermark)
            Self.expectContract(Calls(kernel.trace), stream.statistics, path: path, piece: timer.initialWatermark)
            #expect(try stream.drainBlocking())
            let device = kernel.playbackObservation()
            #expect(device.maximumQueuedFrames <= 480, "the device saw \(device.maximumQueuedFrames) frames queued")
            #expect(device.frames == frames && device.xruns == 0 && device.staleFrames == 0 && device.lateFrames == 0, "\(device)")
            #expect(device.checksum == (try StreamTests.deviceChecksum(samples, as: .s16LE)))
        }
    }

    /// A rewind-free "start now": while the stream plays on, the app writes new audio; the time
    /// from that write until the device plays its first frame is at most the target latency.
    @Test("new audio written at any moment is heard within the target latency", arguments: [Path.readWrite, .mmapExplicitSync])
    func reaction(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path, rate: 48_000, latency: .milliseconds(10)),
                                            kernel: kernel)
            var worst = Duration.zero
            for round in 0..<20 {
                // Playing on: chunks of a size that puts the new audio at another moment each round.
                let chunk = StreamTests.signal(frames: 200 + 13 * round)
                for _ in 0..<4 { try chunk.withUnsafeBufferPointer { try stream.writeBlocking($0) } }
                let first = stream.core.position  // the new audio's first frame, counted like the device's position
                let written = kernel.now
                try chunk.withUnsafeBufferPointer { try stream.writeBlocking($0) }
                // When the device plays that frame, by its own position clock (exact here).
                let reaction = try stream.timing().time(ofFrame: first) - written
                worst = max(worst, reaction)
                #expect(reaction <= .milliseconds(10), "round \(round): heard \(reaction) after the write")
            }
            #expect(stream.xrunCount == 0)
            print("timer reaction \(path): new audio heard at most \(worst) after its write (target 10 ms)")
        }
    }

    @Test("capture with no latency target reads a nearly full buffer once per buffer less watermark",
          arguments: Path.allCases)
    func powerCapture(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            let stream = try CaptureStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
            let timer = try #require(stream.configuration.timer)
            try Self.expectPacing(stream.configuration, kernel, path)
            let frames = 5 * stream.configuration.bufferSize
            kernel.clearTrace()
            let buffer = try stream.readBlocking(frames: frames)
            // A wakeup each time the target less the watermark is captured (the first one too).
            let statistics = stream.statistics
            let most = (frames + timer.fillTarget - timer.initialWatermark - 1) / (timer.fillTarget - timer.initialWatermark) + 1
            #expect(statistics.waits <= most && statistics.waits >= most / 2, "\(statistics)")
            #expect(statistics.convertedFrames == frames)
            Self.expectContract(Calls(kernel.trace), statistics, path: path, piece: timer.initialWatermark)
            let device = kernel.captureObservation()
            #expect(device.poisonedFrames == 0 && device.xruns == 0 && stream.xrunCount == 0, "\(device)")
            // Every sample is the device's signal, from frame 0 of the start.
            var wrong = 0
            for frame in 0..<frames {
                for channel in 0..<2 {
                    let low = SimulatedKernel.captureSample(frame: UInt64(frame), byte: channel * 2)
                    let high = SimulatedKernel.captureSample(frame: UInt64(frame), byte: channel * 2 + 1)
                    let expected = Float(Int16(bitPattern: UInt16(low) | UInt16(high) << 8)) / 32_768
                    if buffer.samples[frame * 2 + channel] != expected { wrong += 1 }
                }
            }
            #expect(wrong == 0)
        }
    }

    /// Transfers `frames` frames through `engine` with a conversion that takes half the audio's own
    /// time (it lets the device play or capture half the frames it converts, on the virtual clock);
    /// `body` moves each chunk's bytes. Returns each conversion's frames and the trace's length
    /// when it began. Ends at the first xrun: recovered, a chunk too large for the margin would run
    /// the device dry (or full) again at every wakeup, and the transfer might never end.
    static func convertingSlowly(_ engine: PeriodEngine, _ kernel: SimulatedKernel, frames: Int,
                                 _ body: (UnsafeMutableRawBufferPointer, Range<Int>) -> Void) throws -> [(frames: Int, traceIndex: Int)] {
        var conversions: [(frames: Int, traceIndex: Int)] = []
        kernel.clearTrace()
        try engine.transferBlocking(frames: frames) { (buffer, range) throws(AlsaError) in
            if engine.pcm.xrunCount > 0 {
                let device = engine.direction == .playback ? kernel.playbackObservation() : kernel.captureObservation()
                throw AlsaError(.transfer, .brokenPipe, context: "an xrun while converting slowly: \(device)")
            }
            conversions.append((range.count, kernel.trace.count))
            body(buffer, range)
            kernel.advance(frames: range.count / 2)
        }
        return conversions
    }

    /// The commits the kernel saw (SYNC_PTR commits, WRITEI or READI calls), in trace order; nil
    /// where they are not calls (a plain mmap commit writes the mapped control record).
    static func commitIndices(_ trace: [SimulatedCallRecord], path: Path) -> [Int]? {
        guard !path.mmap || path.explicitSync else { return nil }
        return trace.indices.filter { index in
            let record = trace[index]
            guard record.call == .ioctl else { return false }
            if path.mmap { return record.request == ALSA_IOCTL_SYNC_PTR && (record.syncPtrFlags ?? 0) & ALSA_SYNC_PTR_APPL == 0 }
            return record.request == ALSA_IOCTL_WRITEI_FRAMES || record.request == ALSA_IOCTL_READI_FRAMES
        }
    }

    /// The pieces a move is committed in: the frames converted between two commits (where the
    /// trace shows the commits; else each conversion, a step's piece), each counted against the
    /// commits made before it began (the trace's length then). A timer armed between two pieces
    /// (a sleep) ends a move. Each piece is at most `piece` frames (the watermark), or half of
    /// what its move committed before it in whole watermarks, whichever is more
    /// (`TimerWatermark.pieceFrames`).
    static func expectPieces(_ conversions: [(frames: Int, traceIndex: Int)], _ trace: [SimulatedCallRecord], path: Path, piece: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        var pieces: [(frames: Int, traceIndex: Int)] = []
        if let commits = commitIndices(trace, path: path) {
            var byCommit: [Int: (frames: Int, traceIndex: Int)] = [:]
            for conversion in conversions {
                let key = commits.count { $0 < conversion.traceIndex }
                byCommit[key] = ((byCommit[key]?.frames ?? 0) + conversion.frames, byCommit[key]?.traceIndex ?? conversion.traceIndex)
            }
            pieces = byCommit.keys.sorted().compactMap { byCommit[$0] }
        } else {
            pieces = conversions
        }
        let sleeps = trace.indices.filter { trace[$0].call == .timerSet }
        var movedInMove = 0
        var previous = -1
        for current in pieces {
            if sleeps.contains(where: { $0 > previous && $0 < current.traceIndex }) { movedInMove = 0 }
            let bound = max(piece, movedInMove / 2 / piece * piece)
            #expect(current.frames <= bound, "\(current.frames) frames converted before a commit, \(movedInMove) before in its move: at most \(bound)",
                    sourceLocation: sourceLocation)
            movedInMove += current.frames
            previous = current.traceIndex
        }
    }

    /// The device played `samples` whole and in order, without an xrun or a frame flushed late.
    static func expectPlayedAll(_ samples: [Float], _ kernel: SimulatedKernel, _ stream: PlaybackStream,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let device = kernel.playbackObservation()
        #expect(device.frames == samples.count / 2 && device.xruns == 0 && stream.xrunCount == 0, "\(device)", sourceLocation: sourceLocation)
        #expect(device.checksum == (try StreamTests.deviceChecksum(samples, as: .s16LE)), sourceLocation: sourceLocation)
        #expect(device.staleFrames == 0 && device.lateFrames == 0, "\(device)", sourceLocation: sourceLocation)
    }

    /// A wakeup's refill is the whole buffer less the watermark (2 s less 20 ms here), but the
    /// device, playing on, has only the watermark queued when the stream wakes: the refill is
    /// committed in pieces of at most the watermark, each converted then committed before the next
    /// is converted. Converting takes half the audio's time here: one chunk for the whole refill
    /// would take 990 ms with 20 ms queued, and the device would run dry.
    @Test("a refill commits in pieces of at most the watermark: a slow conversion never runs the device dry",
          arguments: Path.allCases)
    func refillInPieces(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            kernel.setFramesPerCall(0)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
            let timer = try #require(stream.configuration.timer)
            #expect(timer.fillTarget == stream.configuration.bufferSize && timer.fillTarget - timer.initialWatermark > 10 * timer.initialWatermark)
            let frames = 4 * stream.configuration.bufferSize
            let samples = StreamTests.signal(frames: frames)
            let bytes = try InterleavedAudioBuffer(channelCount: 2, samples: samples).encoded(as: .s16LE)
            let frameBytes = stream.core.frameBytes
            let conversions = try Self.convertingSlowly(stream.core, kernel, frames: frames) { buffer, range in
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range.lowerBound * frameBytes..<range.upperBound * frameBytes])) }
            }
            let trace = kernel.trace
            let statistics = stream.statistics
            Self.expectPieces(conversions, trace, path: path, piece: timer.initialWatermark)
            // Growing pieces: about a dozen a refill of 99 watermarks (160, 160, 160, 240, 360, ...), a
            // hundred if each were a watermark; one more where the ring wraps.
            #expect(statistics.transfers <= 16 * (statistics.waits + 1), "\(statistics)")
            Self.expectWakeups(statistics, frames: frames, timer: timer, watermark: timer.initialWatermark)
            Self.expectContract(Calls(trace), statistics, path: path, piece: timer.initialWatermark)
            #expect(try stream.drainBlocking())
            try Self.expectPlayedAll(samples, kernel, stream)
            #expect(kernel.playbackObservation().underrunFrames == 0, "\(kernel.playbackObservation())")
            print("timer refill \(path): \(frames) frames in \(statistics.waits) wakeups, \(statistics.transfers) pieces, "
                  + "at most \(conversions.map(\.frames).max() ?? 0) frames converted before a commit")
        }
    }

    /// Capture wakes with a watermark of room left. With mmap the frames are converted in place and
    /// their room freed only by the commit after: the move is read in pieces of at most the
    /// watermark, as playback's. A read/write call frees the room itself, before anything is
    /// converted: it reads the whole move at once, one READI a wakeup, and a slow conversion
    /// afterwards delays nothing on the device.
    @Test("a captured fill is committed in pieces with mmap, and read at once by read/write: a slow conversion never overruns",
          arguments: Path.allCases)
    func captureInPieces(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            kernel.setFramesPerCall(0)
            let stream = try CaptureStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
            let timer = try #require(stream.configuration.timer)
            let frames = 4 * stream.configuration.bufferSize
            let frameBytes = stream.core.frameBytes
            var captured = [UInt8](repeating: 0, count: frames * frameBytes)
            let conversions = try Self.convertingSlowly(stream.core, kernel, frames: frames) { buffer, range in
                captured.replaceSubrange(range.lowerBound * frameBytes..<range.upperBound * frameBytes, with: buffer)
            }
            let trace = kernel.trace
            let statistics = stream.statistics
            let calls = Calls(trace)
            if path.mmap {
                Self.expectPieces(conversions, trace, path: path, piece: timer.initialWatermark)
            } else {
                #expect(calls.readWrites <= statistics.waits + 1, "one READI a wakeup: \(calls.readWrites) for \(statistics.waits) wakeups")
                #expect(conversions.contains { $0.frames > 10 * timer.initialWatermark }, "the whole move at once")
            }
            #expect(statistics.convertedFrames == frames)
            Self.expectContract(calls, statistics, path: path, piece: timer.initialWatermark)
            let device = kernel.captureObservation()
            #expect(device.poisonedFrames == 0 && device.xruns == 0 && stream.xrunCount == 0, "\(device)")
            var expected = [UInt8](repeating: 0, count: frames * frameBytes)
            for index in expected.indices {
                expected[index] = SimulatedKernel.captureSample(frame: UInt64(index / frameBytes), byte: index % frameBytes)
            }
            #expect(captured == expected, "every frame is the device's signal, from frame 0 of the start")
            print("timer capture \(path): \(frames) frames in \(statistics.waits) wakeups, \(statistics.transfers) chunks, "
                  + "at most \(conversions.map(\.frames).max() ?? 0) frames converted at once")
        }
    }

    @Test("an async write sleeps on the reactor's timer as a blocking one does", arguments: [Path.readWrite, .mmapExplicitSync])
    func asyncPlayback(path: Path) async throws {
        let kernel = Self.kernel(path)
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
        let timer = try #require(stream.configuration.timer)
        let frames = 4 * stream.configuration.bufferSize
        let samples = try InterleavedAudioBuffer(channelCount: 2, samples: StreamTests.signal(frames: frames))
        kernel.clearTrace()
        try await withTaskExecutorPreference(stream.taskExecutor) { try await stream.write(samples) }
        let calls = Calls(kernel.trace)
        Self.expectWakeups(stream.statistics, frames: frames, timer: timer, watermark: timer.initialWatermark)
        Self.expectContract(calls, stream.statistics, path: path, piece: timer.initialWatermark)
        // At most two polls a wait, plus the reactor's first and idle rounds: a late wake-up byte
        // can cut any wait's poll short (see PeriodEngineTests.asyncWrite).
        #expect(calls.polls <= 2 * stream.statistics.waits + 2)
        #expect(try await stream.drain())
        let device = kernel.playbackObservation()
        #expect(device.frames == frames && device.xruns == 0 && device.staleFrames == 0 && device.lateFrames == 0, "\(device)")
        #expect(device.checksum == (try StreamTests.deviceChecksum(samples.samples, as: .s16LE)))
    }

    /// The stream wakes 35 ms late (a loaded machine): with the 20 ms watermark it starts with, the
    /// buffer runs dry at the wakeup, and again at 30 ms; at 40 ms the wakeups are in time (two
    /// xruns). Once they are on time again, each 20 s of audio since the last change lowers it by
    /// 5 ms. (The device does not move during the app's calls here: the arithmetic is exact.)
    @Test("the watermark grows after xruns until wakeups are in time, and shrinks after 20 s without one",
          arguments: [Path.readWrite, .mmapExplicitSync])
    func watermarkAdapts(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            kernel.setFramesPerCall(0)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path), kernel: kernel)
            let ms = 8  // frames per millisecond at 8 kHz
            #expect(try stream.status().watermarkFrames == 20 * ms)
            kernel.setTimerLatency(.milliseconds(35))
            let tenSeconds = StreamTests.signal(frames: 10 * 8_000)
            try tenSeconds.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            #expect(stream.xrunCount == 2, "\(stream.xrunCount) xruns")
            #expect(try stream.status().watermarkFrames == 40 * ms)
            // 16 s of audio since the last xrun: still late, but no longer too late, and not lowered yet.
            try tenSeconds.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            #expect(stream.xrunCount == 2, "no more xruns once the watermark covers the lateness")
            #expect(try stream.status().watermarkFrames == 40 * ms)
            kernel.setTimerLatency(.zero)
            for _ in 0..<6 { try tenSeconds.withUnsafeBufferPointer { try stream.writeBlocking($0) } }
            // 76 s of audio since the last xrun: lowered at 20, 40 and 60 s.
            let lowered = try #require(try stream.status().watermarkFrames)
            #expect(lowered == 25 * ms, "watermark \(lowered / ms) ms")
            #expect(stream.xrunCount == 2)
            #expect(stream.core.watermark?.raises == 2 && stream.core.watermark?.drops == 3)
            print("timer watermark \(path): 20 ms, raised to 40 ms by 2 xruns, lowered to \(lowered / ms) ms after 76 s of audio without one")
        }
    }

    /// The rig's case, on the virtual clock: a 10 ms target on a machine that wakes the stream
    /// 12 ms late. At 5 ms the watermark runs dry, and again at its highest, 7.5 ms (three quarters
    /// of 10 ms): that xrun raises the target to 20 ms and the watermark to 15 ms, which covers the
    /// lateness. The stream then plays on without an xrun at 20 ms, says so, restarts only once the
    /// raised target is queued, and keeps the explicit-sync contract. (The device does not move
    /// during the app's calls here: the arithmetic is exact.)
    @Test("xruns at the highest watermark raise the latency until wakeups are in time, and the stream says so",
          arguments: [Path.readWrite, .readWriteExplicitSync, .mmapExplicitSync])
    func latencyRaised(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            kernel.setFramesPerCall(0)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path, latency: .milliseconds(10)), kernel: kernel)
            let ms = 8  // frames per millisecond at 8 kHz
            #expect(stream.configuration.timer?.fillTarget == 10 * ms && stream.configuration.bufferSize >= 40 * ms)
            let asked = try stream.status()
            #expect(asked.fillTargetFrames == 10 * ms && asked.watermarkFrames == 5 * ms, "\(asked)")
            kernel.setTimerLatency(.milliseconds(12))
            let second = StreamTests.signal(frames: 8_000)
            try second.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            #expect(stream.xrunCount == 2, "\(stream.xrunCount) xruns")
            let raised = try stream.status()
            #expect(raised.fillTargetFrames == 20 * ms && raised.watermarkFrames == 15 * ms, "\(raised)")
            #expect(raised.description.contains("fill target \(20 * ms) frames"), "\(raised)")
            #expect(stream.core.pcm.softwareParameters?.startThreshold == 20 * ms, "the device restarts at the raised target")
            // Ten more seconds, still 12 ms late: in time now, each wakeup moving 5 ms instead of 2.5.
            let waits = stream.statistics.waits
            for _ in 0..<10 { try second.withUnsafeBufferPointer { try stream.writeBlocking($0) } }
            #expect(stream.xrunCount == 2, "\(stream.xrunCount) xruns after the raise")
            #expect(stream.statistics.waits - waits <= 10 * 8_000 / (5 * ms) + 2, "\(stream.statistics.waits - waits) wakeups for 10 s")
            #expect(stream.core.watermark?.fillTargetRaises == 1 && stream.core.watermark?.raises == 2)
            let device = kernel.playbackObservation()
            // The raised target is kept, not only reported: the refills reach 20 ms, never more.
            #expect(device.xruns == 2 && device.maximumQueuedFrames == 20 * ms, "\(device)")
            // Since the last prepare (the second xrun's recovery): every frame flushed before it played.
            #expect(device.staleFrames == 0 && device.lateFrames == 0, "\(device)")
            if path.explicitSync { #expect(device.deviceSyncs > 0, "\(device)") }
            #expect(try stream.drainBlocking())
            #expect(kernel.playbackObservation().frames == 11 * 8_000)
            print("timer latency \(path): 10 ms asked, raised to \((raised.fillTargetFrames ?? 0) / ms) ms by \(stream.xrunCount) xruns at 12 ms late wakeups")
        }
    }

    /// Blocks of at most the watermark, so that a refill's first piece waits for no more rendered
    /// audio than the device still has queued: between two commits, one block at most. 600 blocks
    /// are 12 s of audio, six refills of the 2 s buffer.
    @Test("a render thread gets blocks on a timer, with no period interrupt", arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func renderThread(access: AccessType) async throws {
        let path: Path = access.isMmap ? .mmapExplicitSync : .readWriteExplicitSync
        let kernel = Self.kernel(path)
        let blocks = Mutex<[(frames: Int, position: Int, traceIndex: Int)]>([])
        let enough = Signal()
        var request = Self.request(path)
        request.formats = [.floatLE]  // the device's bytes are then the callback's floats, for the checksum
        let thread = try RenderThread(device: "hw:0,0", request: request, kernel: kernel) { context in
            for frame in 0..<context.frameCount {
                for channel in 0..<2 {
                    context.samples[frame * 2 + channel] = RenderThreadTests.value((context.framePosition + frame) * 2 + channel)
                }
            }
            let traceIndex = kernel.trace.count
            if blocks.withLock({ $0.append((context.frameCount, context.framePosition, traceIndex)); return $0.count }) == 600 {
                // Virtual time stops here: the thread sleeps on until stopped, however late that is
                // (left running, the watermark would shrink every 20 s of audio until an xrun).
                kernel.stall(true)
                enough.fire()
            }
        }
        let timer = try #require(thread.configuration.timer)
        #expect(await enough.wait(), "\(thread.callbackCount) blocks, \(String(describing: thread.failure))")
        thread.stop()
        let seen = blocks.withLock { $0 }
        #expect(thread.failure == nil && thread.xrunCount == 0,
                "\(thread.xrunCount) xruns after \(seen.count) blocks, \(kernel.playbackObservation()), \(String(describing: thread.failure))")
        #expect(seen.allSatisfy { $0.frames == timer.blockFrames })
        #expect(seen.enumerated().allSatisfy { $0.element.position == $0.offset * timer.blockFrames })
        Self.expectPieces(seen.map { ($0.frames, $0.traceIndex) }, kernel.trace, path: path, piece: timer.initialWatermark)
        let device = kernel.playbackObservation()
        #expect(device.periodInterrupts == 0 && device.staleFrames == 0 && device.lateFrames == 0, "\(device)")
        let played = device.frames
        var expected = StreamChecksum()
        (0..<played * 2).map(RenderThreadTests.value).withUnsafeBytes { expected.add($0) }
        #expect(device.checksum == expected.value)
        // Sleeps, not periods: a block is far smaller than a wakeup's move.
        let polls = kernel.trace.filter { $0.call == .poll }.count
        #expect(polls <= played / (timer.fillTarget - timer.initialWatermark) + 3, "\(polls) polls for \(played) frames")
    }

    @Test("a timer-scheduled drain ends when the device has played the last frame, with no interrupt to say so",
          arguments: [Path.readWrite, .mmapExplicitSync])
    func drain(path: Path) async throws {
        try await onOwnThread {
            let kernel = Self.kernel(path)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path, latency: .milliseconds(300)), kernel: kernel)
            let samples = StreamTests.signal(frames: 8_000)
            for round in 1...2 {
                try samples.withUnsafeBufferPointer { try stream.writeBlocking($0) }
                #expect(try stream.drainBlocking())
                let device = kernel.playbackObservation()
                #expect(device.frames == round * 8_000 && device.underrunFrames < 100 * round, "\(device)")
            }
        }
    }

    @Test("an async timer-scheduled drain ends the same way", arguments: [Path.readWrite, .mmapExplicitSync])
    func asyncDrain(path: Path) async throws {
        let kernel = Self.kernel(path)
        let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(path, latency: .milliseconds(300)), kernel: kernel)
        let samples = try InterleavedAudioBuffer(channelCount: 2, samples: StreamTests.signal(frames: 8_000))
        for round in 1...2 {
            try await stream.write(samples)
            #expect(try await stream.drain())
            let device = kernel.playbackObservation()
            #expect(device.frames == round * 8_000 && device.underrunFrames < 100 * round, "\(device)")
        }
    }

    /// NO_PERIOD_WAKEUP is asked for only where the device offers it: elsewhere the kernel would
    /// ignore it (the stream would believe it has no interrupts), and alsa-lib refuses it.
    @Test("asking a device that cannot turn its interrupts off is refused, with a clear error")
    func periodWakeupsRefused() throws {
        let kernel = makeKernel(.dummy)
        let pcm = try openPCM(kernel)
        var request = standardRequest(.readWriteInterleaved)
        request.periodWakeups = false
        let error = #expect(throws: AlsaError.self) { try pcm.configure(request) }
        #expect(error?.kind == .invalidArgument && error?.description.contains("NO_PERIOD_WAKEUP") == true, "\(String(describing: error))")
        #expect(!kernel.trace.contains { $0.request == ALSA_IOCTL_HW_PARAMS })

        let offering = makeKernel(.explicitSync)
        let granted = try openPCM(offering).configure(request)
        #expect(!granted.periodWakeups && granted.description.contains("no period wakeups"))
        #expect(offering.trace.contains { ($0.hardwareParameterFlags ?? 0) & ALSA_HW_PARAMS_NO_PERIOD_WAKEUP != 0 })
    }

    @Test("the stream's delay-locked loop finds the nominal rate of an exact device")
    func estimatedRate() async throws {
        try await onOwnThread {
            let kernel = Self.kernel(.mmapExplicitSync)
            let stream = try PlaybackStream(device: "hw:0,0", request: Self.request(.mmapExplicitSync, rate: 48_000, latency: .milliseconds(20)),
                                            kernel: kernel)
            try StreamTests.signal(frames: 48_000).withUnsafeBufferPointer { try stream.writeBlocking($0) }
            let status = try stream.status()
            #expect(abs(status.estimatedRate - 48_000) < 0.01, "\(status.estimatedRate)")
        }
    }
}
