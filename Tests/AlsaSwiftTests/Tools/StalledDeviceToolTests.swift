import AlsaSimulation
import AlsaSwift
import AlsaSwiftFiles
import Foundation
import Testing
@testable import AlsaTools

/// In the serialized tool suite, since they share the process-wide stop flag: on a device that has
/// stopped moving, the player and the recorder wait with a bound and so still see a stop.
extension ToolTests {
    /// Stalls `simulator`'s devices, then asks for a stop from another thread, as the signal
    /// handler would, once the tool has polled the stalled device: it is then waiting, and only its
    /// own bounded wait can let it see the stop.
    static func stallThenStopWhenWaiting(_ simulator: SimulatedKernel) {
        simulator.stall(true)
        simulator.clearTrace()
        Thread {
            _ = eventuallyBlocking { simulator.trace.contains { $0.call == .poll } }
            Interruption.request()
        }.start()
    }

    @Test("the player on a stalled device ends after a stop is asked while it waits", arguments: [false, true])
    func playerOnStalledDevice(mmap: Bool) async throws {
        let (path, _) = try Self.writeWAV(WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 48_000, containerBits: 16), frames: 48_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try await onOwnThread {
            var options = try DeviceOptions.parse(["-D", "sim"])
            options.mmap = mmap
            let opened = try options.open(.playback, nonBlocking: true)
            Self.stallThenStopWhenWaiting(try #require(opened.simulator))
            return try Player(pcm: opened.pcm, options: options, status: StatusLine(quiet: true)).play(try WAVReader(path: path))
        }
        Interruption.reset()
        #expect(report.interrupted && report.frames < 48_000)
    }

    @Test("the recorder on a stalled device ends after a stop is asked while it waits, with a valid file", arguments: [false, true])
    func recorderOnStalledDevice(mmap: Bool) async throws {
        let path = WAVTests.temporary("stalled")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try await onOwnThread {
            var options = try DeviceOptions.parse(["-D", "sim"])
            options.mmap = mmap
            let opened = try options.open(.capture, nonBlocking: true)
            Self.stallThenStopWhenWaiting(try #require(opened.simulator))
            let report = try Recorder(pcm: opened.pcm, options: options, status: StatusLine(quiet: true))
                .record(to: path, format: .s16LE, channelCount: 2, sampleRate: 48_000, frames: nil)
            return report
        }
        Interruption.reset()
        #expect(report.interrupted)
        #expect(try WAVReader(path: path).frameCount == report.frames)
    }
}
