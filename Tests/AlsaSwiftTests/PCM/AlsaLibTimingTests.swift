@testable import AlsaSwift
import Foundation
import Testing

/// Timing and channel maps through alsa-lib without a device: its `null` and `file` PCMs.
@Suite struct AlsaLibTimingTests {
    static let request = HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 44_100, periodSize: 512, periodCount: 4)

    /// alsa-lib's public status has no application pointer, so the transport counts the frames
    /// itself: every write and every mmap commit, back to 0 at prepare and drop.
    @Test("the application position counts what was transferred since the last prepare",
          arguments: [AccessType.readWriteInterleaved, .mmapInterleaved])
    func applicationPositionCountsTransfers(access: AccessType) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alsaswift-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pcm = try AlsaLibPCM(name: "swiftfile", direction: .playback, configuration: AlsaLibBackendTests.filePCM(path))
        var request = Self.request
        request.access = access
        try pcm.configure(request)
        #expect(try pcm.timing().applicationPosition == 0)
        let period = [UInt8](repeating: 0, count: 512 * 4)
        for _ in 0..<3 {
            if access.isMmap {
                let area = try pcm.beginTransfer(maxFrames: 512)
                try pcm.commitTransfer(area.frames)
            } else {
                _ = try period.withUnsafeBytes { try pcm.writeInterleaved($0) }
            }
        }
        let timing = try pcm.timing()
        #expect(timing.applicationPosition == 3 * 512)
        #expect(timing.state == .prepared)
        #expect(timing.audioTimestamp == nil)
        #expect(timing.sampleRate == 44_100)
        try pcm.drop()
        try pcm.prepare()
        #expect(try pcm.timing().applicationPosition == 0)
    }

    /// A running stream's timestamps are CLOCK_MONOTONIC readings.
    @Test func aRunningNullStreamIsStampedOnTheMonotonicClock() throws {
        let pcm = try AlsaLibPCM(name: "null", direction: .playback)
        try pcm.configure(Self.request)
        _ = try [UInt8](repeating: 0, count: 2048 * 4).withUnsafeBytes { try pcm.writeInterleaved($0) }
        if try pcm.state == .prepared { try pcm.start() }
        let before = MonotonicInstant.now
        let timing = try pcm.timing()
        let after = MonotonicInstant.now
        #expect(timing.state == .running)
        #expect(timing.clock == .monotonic)
        #expect(timing.timestamp <= after && timing.timestamp >= before - .seconds(1), "\(timing.timestamp) vs \(before)...\(after)")
        #expect(timing.triggerTimestamp <= after)
    }

    @Test func aPCMWithoutMapsOffersNone() throws {
        let pcm = try AlsaLibPCM(name: "null", direction: .playback)
        try pcm.configure(Self.request)
        #expect(try pcm.channelMapOptions().isEmpty)
        #expect(try pcm.channelMap() == nil)
        #expect { try pcm.setChannelMap([.frontLeft, .lowFrequency]) } throws: { ($0 as? AlsaError)?.operation == .channelMap }
    }
}
