import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

@Suite("Render thread")
struct RenderThreadTests {
    static func value(_ index: Int) -> Float { Float((index &* 7919) % 60_000 - 30_000) / 32_768 }

    @Test("a callback fed through the lock-free ring plays every frame, in order, into the device buffer",
          arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func ringFedPlayback(access: AccessType) async throws {
        try await onOwnThread {
            let kernel = makeKernel(.explicitSync)
            let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
            let setup = try pcm.configure(HardwareRequest(access: access, format: .floatLE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
            let total = 48_000 * 2
            let ring = SampleRing(minimumCapacity: total)
            let producer = Thread {
                let samples = (0..<total).map(Self.value)
                var offset = 0
                while offset < total { offset += samples[offset...].withUnsafeBufferPointer { ring.write($0) } }
            }
            producer.start()
            #expect(eventuallyBlocking { ring.readable == total })
            let starved = ManagedCounter()
            let thread = try RenderThread(pcm: pcm) { context in
                let got = ring.read(into: context.samples)
                if got < context.samples.count {
                    starved.add()
                    for i in got..<context.samples.count { context.samples[i] = 0 }
                }
            }
            #expect(eventuallyBlocking { ring.readable == 0 })
            thread.stop()
            #expect(thread.isFinished && thread.failure == nil)
            #expect(thread.priorityOutcome == .normal)
            let device = kernel.playbackObservation()
            let frames = Int(device.frames)
            #expect(frames >= 24_000, "the device played \(frames) frames")
            var expected = StreamChecksum()
            let played = (0..<min(frames * 2, total)).map(Self.value)
            played.withUnsafeBytes { expected.add($0) }
            if frames * 2 <= total { #expect(device.checksum == expected.value) }
            #expect(thread.xrunCount == 0)
            #expect(kernel.openDescriptorCount == 0, "the thread closes the PCM it owns")
            _ = setup
        }
    }

    /// The pipe behind descriptor `fd` of process `pid` ("pipe:[inode]"), or nil.
    static func pipeName(_ fd: Int32, of pid: String) -> String? {
        var link = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/\(pid)/fd/\(fd)", &link, link.count - 1)
        guard length > 0 else { return nil }
        let name = String(decoding: link[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.hasPrefix("pipe:") ? name : nil
    }

    @Test("defect: the render thread's wake-up pipe leaked into every child process the app spawned; now it is close-on-exec from its creation")
    func wakePipeNotInherited() throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
        _ = try pcm.configure(HardwareRequest(access: .mmapInterleaved, format: .floatLE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
        let thread = try RenderThread(pcm: pcm) { context in
            for i in 0..<context.samples.count { context.samples[i] = 0 }
        }
        defer { thread.stop() }
        let ends = [thread.wakeReader, thread.wakeWriter]
        for end in ends { #expect(fcntl(end, F_GETFD) & FD_CLOEXEC != 0, "descriptor \(end) lacks FD_CLOEXEC") }
        let pipes = Set(ends.compactMap { Self.pipeName($0, of: "self") })
        #expect(pipes.count == 1)
        // A child spawned now: posix_spawn returns once it has exec'd, so its descriptors are final.
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("10"), nil]
        defer { argv.forEach { free($0) } }
        let spawned = argv.withUnsafeBufferPointer { posix_spawn(&pid, "/bin/sleep", nil, nil, $0.baseAddress!, environ) }
        try #require(spawned == 0)
        defer { kill(pid, SIGKILL); var raw: Int32 = 0; waitpid(pid, &raw, 0) }
        let inherited = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [])
            .compactMap { Int32($0).flatMap { Self.pipeName($0, of: "\(pid)") } }
        #expect(pipes.isDisjoint(with: inherited), "the child holds the wake-up pipe: \(inherited)")
    }

    /// Underruns at every moment of the loop (the simulated hardware jumps a second ahead while
    /// the thread renders, writes or sleeps): each is recovered, whether the thread meets it in
    /// avail, in the write itself or in poll, and the thread plays on.
    @Test("underruns met anywhere in the loop are recovered and the thread plays on",
          arguments: [AccessType.readWriteInterleaved, .mmapInterleaved])
    func underrunsRecovered(access: AccessType) async throws {
        try await onOwnThread {
            let kernel = makeKernel(.explicitSync)
            let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
            _ = try pcm.configure(HardwareRequest(access: access, format: .floatLE, channelCount: 2, sampleRate: 48_000,
                                                  periodSize: 480, periodCount: 4))
            let thread = try RenderThread(pcm: pcm) { context in
                for i in 0..<context.samples.count { context.samples[i] = 0 }
            }
            #expect(eventuallyBlocking { thread.callbackCount > 4 })
            var underruns = 0
            for _ in 0..<100 where !thread.isFinished {
                // The simulated clock moves only in the thread's polls, and only while the device runs:
                // once the device has played a frame since the last recovery, it is running, and stays
                // so until the jump. Every jump is then an underrun, whatever the host's load.
                let played = kernel.playbackObservation().frames
                #expect(eventuallyBlocking { kernel.playbackObservation().frames > played || thread.isFinished })
                let xruns = thread.xrunCount
                let deviceXruns = kernel.playbackObservation().xruns
                kernel.advance(frames: 48_000)
                #expect(kernel.playbackObservation().xruns == deviceXruns + 1, "the jump was not an underrun")
                underruns += 1
                #expect(eventuallyBlocking { thread.xrunCount > xruns || thread.isFinished })
            }
            #expect(!thread.isFinished, "\(String(describing: thread.failure))")
            thread.stop()
            #expect(thread.failure == nil && thread.xrunCount == underruns, "\(thread.xrunCount) xruns recovered of \(underruns)")
        }
    }

    /// The thread's wait has no time limit: on a stalled device it sleeps in poll until stop
    /// writes its wake-up pipe. Asleep without a limit, it cannot end by any timeout of its own, so
    /// its ending at all shows that stop woke it; `hangBound` only tells "ends" from "never ends".
    /// The device is stalled before the thread starts: on the simulated kernel a running device
    /// never makes its reader wait in real time, and a real-time thread that never waits would
    /// hold a single CPU (`taskset -c 0`) against every other thread of the run.
    @Test("stop wakes the thread even when the device has stalled, and a stalled device wakes nobody")
    func stopWhenStalled() async throws {
        try await onOwnThread {
            let kernel = makeKernel(.explicitSync)
            let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
            try pcm.configure(HardwareRequest(format: .floatLE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
            kernel.stall(true)
            let rendered = ManagedCounter()
            let thread = try RenderThread(pcm: pcm, priority: .realtime(10)) { context in
                rendered.add()
                for i in 0..<context.samples.count { context.samples[i] = 0 }
            }
            #expect(eventuallyBlocking { kernel.sleepersWithoutLimit == 1 }, "the thread never went to sleep for good")
            let before = rendered.value
            #expect(before == 4, "the thread fills the buffer, then waits: \(before) periods")
            kernel.clearTrace()
            Thread.detachNewThread { thread.stop() }
            #expect(eventuallyBlocking { thread.isFinished }, "stop did not wake the thread")
            #expect(rendered.value == before, "a stalled device wakes nobody")
            let polls = kernel.trace.filter { $0.call == .poll }.count
            #expect(polls == 0, "\(polls) polls after the thread went to sleep")
            switch thread.priorityOutcome {
            case .realtime(10), .refused: break
            default: Issue.record("priority outcome \(String(describing: thread.priorityOutcome))")
            }
        }
    }

    /// Sample `frame` of `channel` of a signal whose channels differ, so a swapped or shifted
    /// channel changes what the device receives.
    static func planarValue(frame: Int, channel: Int) -> Float { value(frame * 2 + channel) }

    @Test("a non-interleaved render callback fills each channel, and the device receives the interleaved frames exactly",
          arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func nonInterleavedPlayback(access: AccessType) throws {
        let kernel = makeKernel(.explicitSync)
        let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
        try pcm.configure(HardwareRequest(access: access, format: .floatLE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
        let thread = try RenderThread(pcm: pcm, layout: .nonInterleaved) { context in
            #expect(context.layout == .nonInterleaved && context.channel(2).isEmpty)
            for channel in 0..<context.channelCount {
                let samples = context.channel(channel)
                for f in 0..<context.frameCount { samples[f] = Self.planarValue(frame: context.framePosition + f, channel: channel) }
            }
        }
        #expect(eventuallyBlocking { kernel.playbackObservation().frames >= 9_600 })
        thread.stop()
        #expect(thread.isFinished && thread.failure == nil && thread.xrunCount == 0)
        let device = kernel.playbackObservation()
        let frames = Int(device.frames)
        var expected = StreamChecksum()
        let played = (0..<frames * 2).map { Self.planarValue(frame: $0 / 2, channel: $0 % 2) }
        played.withUnsafeBytes { expected.add($0) }
        #expect(device.checksum == expected.value, "\(frames) frames played")
    }

    @Test("a non-interleaved capture callback receives each channel's samples in order")
    func nonInterleavedCapture() throws {
        let kernel = makeKernel()
        let pcm = try KernelPCM(card: 0, device: 0, direction: .capture, kernel: kernel)
        try pcm.configure(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
        let left = SampleRing(minimumCapacity: 4800), right = SampleRing(minimumCapacity: 4800)
        let thread = try RenderThread(pcm: pcm, layout: .nonInterleaved) { context in
            left.write(UnsafeBufferPointer(context.channel(0)))
            right.write(UnsafeBufferPointer(context.channel(1)))
        }
        #expect(eventuallyBlocking { left.readable >= 4800 && right.readable >= 4800 })
        thread.stop()
        let expected = expectedCapture(startFrame: 0, frames: 4800, frameBytes: 4)
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        for (channel, ring) in [left, right].enumerated() {
            var samples = [Float](repeating: 0, count: 4800)
            #expect(samples.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 4800)
            let wrong = zip(samples, decoded.channel(channel)).filter { $0 != $1 }.count
            #expect(wrong == 0, "\(wrong) wrong samples in channel \(channel)")
        }
    }

    @Test("a capture callback receives the device's frames in order")
    func capture() throws {
        let kernel = makeKernel()
        let pcm = try KernelPCM(card: 0, device: 0, direction: .capture, kernel: kernel)
        try pcm.configure(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
        let ring = SampleRing(minimumCapacity: 9600)
        let thread = try RenderThread(pcm: pcm) { context in ring.write(UnsafeBufferPointer(context.samples)) }
        #expect(eventuallyBlocking { ring.readable >= 9600 })
        thread.stop()
        var samples = [Float](repeating: 0, count: 9600)
        #expect(samples.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 9600)
        let expected = expectedCapture(startFrame: 0, frames: 4800, frameBytes: 4)
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        #expect(samples == decoded.samples)
    }

    @Test("a render thread refuses an unconfigured PCM or a layout it cannot fill")
    func refusals() throws {
        func refusal(_ pcm: sending KernelPCM) -> AlsaError? {
            do {
                _ = try RenderThread(pcm: pcm) { _ in }
                return nil
            } catch {
                return error
            }
        }
        let unconfigured = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: makeKernel())
        #expect(refusal(unconfigured)?.kind == .badState)
        let planar = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: makeKernel(.explicitSync))
        try planar.configure(HardwareRequest(access: .readWriteNonInterleaved, format: .floatLE, channelCount: 2, sampleRate: 48_000))
        #expect(refusal(planar)?.context?.contains("interleaved") == true)
    }
}

/// A counter shared with a render callback.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
