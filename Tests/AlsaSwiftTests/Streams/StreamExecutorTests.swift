import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

/// The streams' `taskExecutor`: the poll reactor's thread runs the tasks that prefer it, so the
/// reactor resumes them without handing them to libdispatch (which allocates a continuation per
/// resume from a thread that is not its worker: the async rows of BENCHMARKS.md).
@Suite("Stream task executor", .hangTimeLimit)
struct StreamExecutorTests {
    /// Where a task ran after its awaits: the reactor's thread or another.
    final class Observation: @unchecked Sendable {
        var onReactor = 0
        var elsewhere = 0
    }

    /// Awaits writes of `periods` periods one at a time and notes, after each, whether the task
    /// is on the reactor's thread.
    static func writeObserving(_ stream: PlaybackStream, periods: Int, _ observation: Observation) async throws {
        let frames = stream.configuration.periodSize
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: Int(frames) * 2)
        defer { samples.deallocate() }
        for period in 0..<periods {
            for i in 0..<samples.count { samples[i] = StreamTests.signal(frames: 1)[0] * Float((period + i) % 5) / 5 }
            try await stream.write(UnsafeBufferPointer(samples))
            if PollReactor.currentThreadID() == stream.core.reactor!.reactor.threadID { observation.onReactor += 1 } else { observation.elsewhere += 1 }
        }
    }

    @Test("a task that prefers the stream's executor runs on the reactor's thread after its awaits, and its audio arrives exactly")
    func preferred() async throws {
        let kernel = makeKernel(.explicitSync)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let samples = StreamTests.signal(frames: 9_600)
        let observation = Observation()
        nonisolated(unsafe) let unsafeStream = stream
        try await valuePassingCancellation(Task(executorPreference: stream.taskExecutor) {
            let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples.count)
            defer { copy.deallocate() }
            _ = copy.initialize(from: samples)
            try await unsafeStream.write(UnsafeBufferPointer(copy))
            try await Self.writeObserving(unsafeStream, periods: 40, observation)
        })
        // Once the buffer is full every write waits for room: from then on the reactor resumes
        // the task onto its own thread. (The first writes may find room and never suspend.)
        #expect(observation.elsewhere == 0)
        #expect(observation.onReactor == 40)
        #expect(try await stream.drain(timeout: .seconds(5)))
        #expect(kernel.playbackObservation().frames == 9_600 + 40 * Int(stream.configuration.periodSize))
    }

    @Test("without the preference the task resumes elsewhere (the global executor), as before")
    func notPreferred() async throws {
        let kernel = makeKernel(.explicitSync)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let observation = Observation()
        nonisolated(unsafe) let unsafeStream = stream
        try await valuePassingCancellation(Task { try await Self.writeObserving(unsafeStream, periods: 20, observation) })
        #expect(observation.onReactor == 0)
        #expect(observation.elsewhere == 20)
    }

    @Test("captured audio read by a task that prefers the stream's executor is the device's, exactly")
    func preferredCapture() async throws {
        let kernel = makeKernel()
        let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(40),
                                                                                formats: [.s16LE]), kernel: kernel)
        nonisolated(unsafe) let unsafeStream = stream
        let frames = 4_800
        let captured = try await valuePassingCancellation(Task(executorPreference: stream.taskExecutor) { () async throws -> [Float] in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: frames * 2)
            defer { buffer.deallocate() }
            try await unsafeStream.read(into: buffer)
            return Array(buffer)
        })
        let expected = expectedCapture(startFrame: 0, frames: frames, frameBytes: 4)
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        #expect(zip(captured, decoded.samples).filter { $0 != $1 }.count == 0)
        #expect(captured.count == decoded.samples.count)
    }

    @Test("a job for the executor while its thread is not running goes to the global executor instead of waiting for ever")
    func noThreadFallsBack() async throws {
        let kernel = makeKernel(.dummy)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        // No wait has started the reactor's thread yet.
        #expect(stream.core.reactor!.reactor.threadID == 0)
        let value = await Task(executorPreference: stream.taskExecutor) { 42 }.value
        #expect(value == 42)
    }

    /// The task resumes on the reactor's own thread, with no pool in between.
    @Test("cancelling a suspended write of a task that prefers the executor ends it with ECANCELED")
    func preferredCancellation() async throws {
        #expect(try await StreamTests.cancelSuspendedWrite(onStreamExecutor: true)?.kind == .cancelled)
    }
}
