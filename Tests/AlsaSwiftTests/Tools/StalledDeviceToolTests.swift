import AlsaSimulation
import AlsaSwift
import Foundation
import Testing
@testable import AlsaTools

/// In the serialized tool suite, since they share the process-wide stop flag: on a device that has
/// stopped moving, the player and the recorder wait with a bound and so still see a stop.
extension ToolTests {
    /// Asks for a stop `after` from now, from another thread, as the signal handler would.
    static func requestStop(after delay: TimeInterval) {
        Thread {
            Thread.sleep(forTimeInterval: delay)
            Interruption.request()
        }.start()
    }

    @Test("the player on a stalled device ends soon after a stop is asked", arguments: [false, true])
    func playerOnStalledDevice(mmap: Bool) async throws {
        let (path, _) = try Self.writeWAV(WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16), frames: 48_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (report, took) = try await onOwnThread {
            var options = try DeviceOptions.parse(["-D", "sim"])
            options.mmap = mmap
            let opened = try options.open(.playback, nonBlocking: true)
            try #require(opened.simulator).stall(true)
            Self.requestStop(after: 0.3)
            let started = ContinuousClock.now
            let report = try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
            return (report, ContinuousClock.now - started)
        }
        Interruption.reset()
        #expect(report.interrupted && report.frames < 48_000)
        #expect(took < .milliseconds(300) + scaled(.seconds(2)))
    }

    @Test("the recorder on a stalled device ends soon after a stop is asked, with a valid file", arguments: [false, true])
    func recorderOnStalledDevice(mmap: Bool) async throws {
        let path = WAVTests.temporary("stalled")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (report, took) = try await onOwnThread {
            var options = try DeviceOptions.parse(["-D", "sim"])
            options.mmap = mmap
            let opened = try options.open(.capture, nonBlocking: true)
            try #require(opened.simulator).stall(true)
            Self.requestStop(after: 0.3)
            let started = ContinuousClock.now
            let report = try Recorder(pcm: opened.pcm, options: options, status: StatusLine(quiet: true))
                .record(to: path, format: .s16LE, channelCount: 2, sampleRate: 48_000, frames: nil)
            return (report, ContinuousClock.now - started)
        }
        Interruption.reset()
        #expect(report.interrupted)
        #expect(took < .milliseconds(300) + scaled(.seconds(2)))
        #expect(try WAVReader(path: path).frameCount == report.frames)
    }
}
