import AlsaSwift
import Foundation
import Glibc
import Testing

/// PipeWire as the system default, in the rig: `Rig/pipewire-session` starts PipeWire and
/// WirePlumber on snd-dummy's hw:0,0, makes alsa-lib's `default` PipeWire (pipewire-alsa's own
/// configuration) for this process only, sets ALSASWIFT_PIPEWIRE=1, and stops both afterwards.
/// Rig/kernel-test runs this suite after the others, in the same guest.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ALSASWIFT_PIPEWIRE"] == "1",
                             "runs under Rig/pipewire-session in the rig (Rig/kernel-test)"))
struct PipeWireRigTests {
    static let tone = (0..<48_000 * 2).map { Float(sin(Double($0 / 2) * 2 * .pi * 440 / 48_000) * 0.25) }

    @Test("the default devices are PipeWire: a plugin with no kernel PCM visible")
    func defaults() throws {
        let devices = AudioDevices()
        for direction in [StreamDirection.playback, .capture] {
            let found = devices.defaultDevice(direction)
            print("pipewire: \(found)")
            #expect(found.configuredType == "pipewire")
            #expect(found.route == .plugin(card: nil), "\(found)")
        }
        let listed = devices.list()
        #expect(listed.first?.name == "default")
        #expect(listed.first?.title == "Default ALSA Output (currently PipeWire Media Server)")
        #expect(listed.contains { $0.name == "pipewire" })
        let probe = devices.capabilities(of: "default", direction: .playback)
        print("pipewire: default playback offers \(probe)")
        #expect(probe.capabilities?.formats.contains(.floatLE) == true)
        #expect(probe.sync == SyncReport(transport: .alsaLib, hardware: nil, deviceRequiresExplicitSync: nil, strategy: nil))
    }

    @Test("playback through PipeWire reaches snd-dummy, with timestamps that follow the monotonic clock")
    func playback() throws {
        let stream = try PlaybackStream(device: "default", request: StreamRequest(sampleRate: 48_000, channelCount: 2))
        print("pipewire: \(stream.configuration)")
        #expect(stream.configuration.transport == .alsaLib)
        #expect(stream.configuration.syncReport.hardware == nil)
        #expect(stream.configuration.syncReport.description.contains("no kernel PCM visible"))
        let started = ContinuousClock.now
        var stamps: [Duration] = []
        var sawDummyRunning = false
        for chunk in 0..<10 {
            let slice = Self.tone[(chunk * 9_600)..<((chunk + 1) * 9_600)]
            try slice.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            let status = try stream.status()
            stamps.append(status.timestamp)
            #expect(Self.near(status.timestamp, Self.monotonicNow()), "\(status.timestamp) vs \(Self.monotonicNow())")
            sawDummyRunning = sawDummyRunning || Self.dummyPlaybackRunning()
        }
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        let elapsed = ContinuousClock.now - started
        print("pipewire: 1 s played in \(elapsed), \(stream.xrunCount) xruns; stamps \(stamps.first ?? .zero) ... \(stamps.last ?? .zero)")
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 }, "timestamps never go back")
        #expect((stamps.last ?? .zero) > (stamps.first ?? .zero), "timestamps advance")
        #expect(elapsed > .milliseconds(700), "a second of audio takes about a second through the server")
        #expect(sawDummyRunning, "PipeWire's sink runs snd-dummy's hw:0,0 while we play")
    }

    @Test("capture through PipeWire delivers frames at the real rate")
    func capture() async throws {
        let stream = try CaptureStream(device: "default", request: StreamRequest(sampleRate: 48_000, channelCount: 2))
        print("pipewire: \(stream.configuration)")
        #expect(stream.configuration.syncReport.hardware == nil)
        let started = ContinuousClock.now
        var frames = 0
        for try await buffer in stream.buffers(frames: 4_800) {
            frames += buffer.samples.count / 2
            if frames >= 24_000 { break }
        }
        let elapsed = ContinuousClock.now - started
        let status = try stream.status()
        print("pipewire: captured \(frames) frames in \(elapsed); \(status)")
        #expect(frames >= 24_000)
        #expect(elapsed > .milliseconds(350), "half a second of capture is not delivered instantly")
        #expect(Self.near(status.timestamp, Self.monotonicNow()), "\(status.timestamp) vs \(Self.monotonicNow())")
        try stream.stop()
    }

    /// Within half a second: the timestamp is taken on CLOCK_MONOTONIC, not some other clock.
    static func near(_ a: Duration, _ b: Duration) -> Bool { a - b < .milliseconds(500) && b - a < .milliseconds(500) }

    static func monotonicNow() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    /// snd-dummy's first playback substream is RUNNING (PipeWire's sink holds it).
    static func dummyPlaybackRunning() -> Bool {
        (try? String(contentsOfFile: "/proc/asound/card0/pcm0p/sub0/status", encoding: .utf8))?.contains("state: RUNNING") == true
    }
}
