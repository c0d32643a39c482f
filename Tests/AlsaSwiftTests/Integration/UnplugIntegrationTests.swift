import AlsaSwift
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What this process holds: its open descriptors, and which descriptors and mappings are sound
/// device files (/dev/snd/...), read from /proc/self/fd and /proc/self/maps.
struct HeldResources: Equatable, CustomStringConvertible {
    var descriptors: Int
    /// What each descriptor is (for the message when counts differ).
    var targets: [String]
    var soundDescriptors: [String]
    var soundMappings: [String]

    static func current() -> HeldResources {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let targets = entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
        let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
        // Not counted: libdispatch's timer descriptors, one per clock, which the test's own
        // waiting opens on first use (AlsaSwift makes none).
        let counted = targets.filter { $0 != "anon_inode:[timerfd]" }
        return HeldResources(descriptors: counted.count, targets: counted.sorted(),
                             soundDescriptors: targets.filter { $0.hasPrefix("/dev/snd/") }.sorted(),
                             soundMappings: maps.split(separator: "\n").filter { $0.contains(" /dev/snd/") }.map(String.init))
    }

    static func == (a: HeldResources, b: HeldResources) -> Bool {
        a.descriptors == b.descriptors && a.soundDescriptors == b.soundDescriptors && a.soundMappings == b.soundMappings
    }

    var description: String {
        "\(descriptors) descriptors \(targets), sound: \(soundDescriptors), \(soundMappings.count) sound mappings \(soundMappings)"
    }
}

/// snd-dummy's platform device taken away from its driver through sysfs, as an unplug would take
/// the card, while a test uses it; then bound again so that later tests find the card.
///
/// The kernel disconnects the card's files at once, then waits until every descriptor and mapping
/// of them is gone before the unbind returns: so the unbind runs on a thread of its own, and its
/// return proves that the process let go of the card.
final class DummyUnplug: @unchecked Sendable {
    static let driver = "/sys/bus/platform/drivers/snd_dummy"
    let device: String
    let card: Int
    private(set) var startedAt: ContinuousClock.Instant?
    private var call: BlockingCall?

    init(card: Int) throws {
        self.card = card
        device = try #require(try FileManager.default.contentsOfDirectory(atPath: Self.driver).first { $0.hasPrefix("snd_dummy.") })
    }

    /// Begins the unbind; returns at once.
    func unbind() {
        let device = device
        startedAt = .now
        call = BlockingCall { try? Data(device.utf8).write(to: URL(fileURLWithPath: "\(DummyUnplug.driver)/unbind")) }
    }

    /// Whether the unbind has returned, waiting up to `limit` for it.
    func unbindReturned(within limit: Duration) -> Bool {
        guard let call else { return false }
        let deadline = ContinuousClock.now + limit
        while !call.isDone && ContinuousClock.now < deadline { usleep(10_000) }
        return call.isDone
    }

    /// Binds the device again and waits (5 s at most) until the card's control node is back.
    func rebind() {
        try? Data(device.utf8).write(to: URL(fileURLWithPath: "\(Self.driver)/bind"))
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: "/dev/snd/controlC\(card)") { usleep(10_000) }
    }

    /// Runs `body`, which starts a stream on the card and calls `unbind()` while it runs, and
    /// returns when the stream has ended. Then checks that the unbind returns (every descriptor
    /// and mapping let go), that the process holds exactly what it held before, and binds the
    /// device again, whatever the body did.
    static func during(card: Int, _ body: (DummyUnplug) async throws -> Void) async throws {
        let unplug = try DummyUnplug(card: card)
        let before = HeldResources.current()
        #expect(before.soundDescriptors.isEmpty && before.soundMappings.isEmpty, "\(before)")
        var failure: (any Error)?
        do {
            try await body(unplug)
        } catch {
            failure = error
        }
        // The body's stream is gone by now; the kernel lets the unbind finish.
        if unplug.startedAt != nil {
            let returned = unplug.unbindReturned(within: .seconds(5))
            #expect(returned, "the unbind did not return: the card's files are still open")
            if returned {
                print("unbind returned \(ContinuousClock.now - unplug.startedAt!) after it began")
                let after = HeldResources.current()
                #expect(after == before, "before: \(before); after: \(after)")
            }
            unplug.rebind()
            #expect(FileManager.default.fileExists(atPath: "/dev/snd/controlC\(card)"), "the card did not come back")
        }
        if let failure { throw failure }
    }
}

/// A thread's blocking loop and how it ended.
final class BlockingLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var ending: (AlsaError?, ContinuousClock.Instant)?
    private var rounds = 0
    var ended: (AlsaError?, ContinuousClock.Instant)? { lock.withLock { ending } }
    var roundCount: Int { lock.withLock { rounds } }

    /// Runs `round` again and again on a thread of its own until it throws.
    init(_ round: @escaping @Sendable () throws(AlsaError) -> Void) {
        Thread.detachNewThread { [self] in
            do throws(AlsaError) {
                while true {
                    try round()
                    lock.withLock { rounds += 1 }
                }
            } catch {
                lock.withLock { ending = (error, .now) }
            }
        }
    }

    /// Waits (polling, up to `limit`) until the loop has ended, and returns how.
    func awaitEnd(within limit: Duration) async throws -> (AlsaError?, ContinuousClock.Instant)? {
        let deadline = ContinuousClock.now + limit
        while ended == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return ended
    }

    /// Waits until the loop has run `count` rounds.
    func awaitRounds(_ count: Int) async throws {
        for _ in 0..<1000 where roundCount < count && ended == nil { try await Task.sleep(for: .milliseconds(5)) }
    }
}

/// A device in use unplugged on the real kernel: snd-dummy's platform device unbound through sysfs
/// under every kind of stream. Each ends within a second with `.disconnected`, lets go of every
/// descriptor and mapping (the unbind returns only then), and the card is bound again after.
@Suite(.enabled(if: RigEnvironment.dummy != nil && FileManager.default.fileExists(atPath: DummyUnplug.driver),
                Comment(rawValue: RigEnvironment.skipMessage)),
       .serialized, .scaledTimeLimit(minutes: 1))
struct UnplugIntegrationTests {
    let dummy = RigEnvironment.dummy ?? 0
    /// Device 0 of snd-dummy: its odd devices are non-interleaved only, and 2 and 3 have no mmap.
    static let request = StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(40))

    @Test("a render thread ends with .disconnected", arguments: [
        (StreamDirection.playback, AccessType.readWriteInterleaved), (.playback, .mmapInterleaved),
        (.capture, .mmapInterleaved), (.capture, .readWriteInterleaved),
    ])
    func renderThread(direction: StreamDirection, access: AccessType) async throws {
        try await DummyUnplug.during(card: dummy) { unplug in
            let pcm = try KernelPCM(card: dummy, device: 0, direction: direction)
            _ = try pcm.configure(HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
            let thread = try RenderThread(pcm: pcm) { context in
                for i in 0..<context.samples.count { context.samples[i] = 0 }
            }
            for _ in 0..<200 where thread.callbackCount < 10 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(thread.callbackCount >= 10 && !thread.isFinished)
            unplug.unbind()
            for _ in 0..<300 where !thread.isFinished { try await Task.sleep(for: .milliseconds(5)) }
            let took = ContinuousClock.now - unplug.startedAt!
            print("render thread \(direction) \(access): ended \(took) after the unbind began: \(String(describing: thread.failure))")
            #expect(thread.isFinished && took < .seconds(1))
            #expect(thread.failure?.kind == .disconnected, "\(String(describing: thread.failure))")
            thread.stop()
        }
    }

    @Test("an async capture sequence ends with .disconnected", arguments: [false, true])
    func captureSequence(preferMmap: Bool) async throws {
        let card = dummy
        try await DummyUnplug.during(card: dummy) { unplug in
            var request = Self.request
            request.preferMmap = preferMmap
            let started = AsyncStream<Void>.makeStream()
            // The stream lives in the task only, so that it is closed when the task ends.
            let sequence = Task { () async -> (AlsaError?, ContinuousClock.Instant, Int) in
                var buffers = 0
                defer { started.continuation.finish() }
                do {
                    let stream = try CaptureStream(device: "hw:\(card),0", request: request)
                    for try await _ in stream.buffers(frames: 480) {
                        buffers += 1
                        if buffers == 5 { started.continuation.finish() }
                    }
                    return (nil, .now, buffers)
                } catch let error as AlsaError {
                    return (error, .now, buffers)
                } catch {
                    return (nil, .now, buffers)
                }
            }
            for await _ in started.stream {}
            unplug.unbind()
            let (error, at, buffers) = await sequence.value
            print("capture sequence (mmap \(preferMmap)): ended \(at - unplug.startedAt!) after the unbind began, after \(buffers) buffers: \(String(describing: error))")
            #expect(error?.kind == .disconnected, "\(String(describing: error))")
            #expect(at - unplug.startedAt! < .seconds(1))
        }
    }

    @Test("a blocking playback stream's write ends with .disconnected")
    func blockingPlayback() async throws {
        try await DummyUnplug.during(card: dummy) { unplug in
            // Used by the loop's thread only, once made.
            nonisolated(unsafe) let stream = try PlaybackStream(device: "hw:\(dummy),0", request: Self.request)
            let period = [Float](repeating: 0, count: 960)
            let loop = BlockingLoop { () throws(AlsaError) in try period.withUnsafeBufferPointer { (samples) throws(AlsaError) in try stream.writeBlocking(samples) } }
            try await loop.awaitRounds(20)
            #expect(loop.roundCount >= 20)
            unplug.unbind()
            let ended = try await loop.awaitEnd(within: .seconds(2))
            print("blocking playback: ended \(ended.map { $0.1 - unplug.startedAt! } ?? .seconds(-1)) after the unbind began: \(String(describing: ended?.0))")
            #expect(ended?.0?.kind == .disconnected)
            #expect(ended.map { $0.1 - unplug.startedAt! < .seconds(1) } == true)
        }
    }

    @Test("a blocking capture stream's read ends with .disconnected")
    func blockingCapture() async throws {
        try await DummyUnplug.during(card: dummy) { unplug in
            // Used by the loop's thread only, once made.
            nonisolated(unsafe) let stream = try CaptureStream(device: "hw:\(dummy),0", request: Self.request)
            let loop = BlockingLoop { () throws(AlsaError) in
                var period = [Float](repeating: 0, count: 960)
                try period.withUnsafeMutableBufferPointer { (samples) throws(AlsaError) in try stream.readBlocking(into: samples) }
            }
            try await loop.awaitRounds(10)
            #expect(loop.roundCount >= 10)
            unplug.unbind()
            let ended = try await loop.awaitEnd(within: .seconds(2))
            print("blocking capture: ended \(ended.map { $0.1 - unplug.startedAt! } ?? .seconds(-1)) after the unbind began: \(String(describing: ended?.0))")
            #expect(ended?.0?.kind == .disconnected)
            #expect(ended.map { $0.1 - unplug.startedAt! < .seconds(1) } == true)
        }
    }

    /// The latency of hotplug events: from the unbind's start to the card's removal arriving
    /// through DeviceChanges, and from the bind's start to its return.
    @Test func deviceChangesArriveSoonAfterUnbindAndBind() async throws {
        let card = dummy
        let unplug = try DummyUnplug(card: card)
        let changes = try DeviceChanges()
        unplug.unbind()
        var removed: ContinuousClock.Instant?
        while removed == nil, let change = try await changes.next() {
            if change == .cardRemoved(card: card) { removed = .now }
        }
        let removal = try #require(removed) - unplug.startedAt!
        #expect(unplug.unbindReturned(within: .seconds(5)))
        let binding = ContinuousClock.now
        let bind = BlockingCall { try? Data(unplug.device.utf8).write(to: URL(fileURLWithPath: "\(DummyUnplug.driver)/bind")) }
        var added: ContinuousClock.Instant?
        while added == nil, let change = try await changes.next() {
            if change == .cardAdded(card: card) { added = .now }
        }
        let addition = try #require(added) - binding
        for _ in 0..<500 where !bind.isDone { usleep(10_000) }
        print("device changes: card removed \(removal) after the unbind began, added \(addition) after the bind began")
        #expect(removal < .seconds(1) && addition < .seconds(1))
    }
}
