import AlsaSwift
import Foundation
import Testing

/// Substream 2 of the explicit-sync test card is fixed at 48 kHz (`fixed_rate=0,0,48000` in
/// Rig/kernel-test), as much real hardware is. A 44.1 kHz request on its `hw:` name is refused by
/// the direct transport with what the device offers, unless the request allows resampling: then
/// the stream runs the device at 48 kHz on the direct transport, explicit sync included, and the
/// driver sees every frame in time (no stale, late or poisoned frame, no xrun).
@Suite(.enabled(if: RigEnvironment.explicitSync != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct FixedRateCardIntegrationTests {
    let name = "hw:\(RigEnvironment.explicitSync ?? 0),0,2"

    @Test func fortyEightKilohertzOpensOnTheDirectTransport() throws {
        let stream = try PlaybackStream(device: name, request: StreamRequest(sampleRate: 48_000, channelCount: 2))
        #expect(stream.configuration.transport == .direct)
        #expect(stream.configuration.sampleRate == 48_000)
        #expect(stream.configuration.setup.info.contains(.explicitSync))
    }

    @Test func fortyFourPointOneKilohertzIsRefusedWithWhatTheDeviceOffers() throws {
        let error = #expect(throws: AlsaError.self) {
            _ = try PlaybackStream(device: name, request: StreamRequest(sampleRate: 44_100, channelCount: 2))
        }
        let context = error?.context ?? ""
        #expect(context.contains("44100 Hz"), "\(context)")
        #expect(context.contains("48000-48000 Hz"), "\(context)")
    }

    @Test("a 44.1 and a 96 kHz tone play resampled to 48 kHz on the direct transport, the contract kept",
          arguments: [(44_100, false), (44_100, true), (96_000, false), (96_000, true)])
    func resampledPlayback(rate: Int, mmap: Bool) throws {
        let card = try #require(RigEnvironment.explicitSync)
        // 400 ms of buffer: the guest is emulated and the test build unoptimised; what is checked
        // here is the contract and the frame count, not how low the latency can go.
        let stream = try PlaybackStream(device: name, request: StreamRequest(sampleRate: rate, channelCount: 2, latency: .milliseconds(400),
                                                                             preferMmap: mmap, resampling: .standard))
        let configuration = stream.configuration
        #expect(configuration.transport == .direct && configuration.setup.info.contains(.explicitSync), "\(configuration)")
        #expect(configuration.sampleRate == rate && configuration.deviceSampleRate == 48_000, "\(configuration)")
        let seconds = 2
        let tone = (0..<rate * seconds).flatMap { frame -> [Float] in
            let value = Float(0.5 * sin(2 * Double.pi * 1000 * Double(frame) / Double(rate)))
            return [value, value]
        }
        try tone.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try stream.drainBlocking(timeout: .seconds(10)))
        let counters = RigEnvironment.explicitSyncCounters(card: card, subdevice: 2)
        // The totals: the drain's PREPARE zeroed the counters since the last one.
        #expect(counters["playback_stale_frames_total"] == 0 && counters["playback_late_frames_total"] == 0, "\(counters)")
        #expect(counters["playback_xruns"] == 0 && stream.xrunCount == 0, "\(counters)")
        // Every app frame, at the device's rate (the driver counts a frame when it next looks at
        // the device: the drain's last few may be uncounted).
        #expect(counters["playback_frames"].map { abs(Int($0) - 48_000 * seconds) <= 64 } == true, "\(counters)")
        print("fixed-rate rig \(rate) Hz \(mmap ? "mmap" : "read/write"): \(stream.statistics); \(counters)")
    }

    @Test("capture at 44.1 kHz from the 48 kHz substream: resampled, nothing poisoned", arguments: [false, true])
    func resampledCapture(mmap: Bool) throws {
        let card = try #require(RigEnvironment.explicitSync)
        let stream = try CaptureStream(device: name, request: StreamRequest(sampleRate: 44_100, channelCount: 2, latency: .milliseconds(400),
                                                                           preferMmap: mmap, resampling: .standard))
        #expect(stream.configuration.transport == .direct && stream.configuration.deviceSampleRate == 48_000, "\(stream.configuration)")
        var samples = [Float](repeating: 0, count: 44_100 * 2)
        try samples.withUnsafeMutableBufferPointer { try stream.readBlocking(into: $0) }
        let counters = RigEnvironment.explicitSyncCounters(card: card, subdevice: 2)
        #expect(counters["capture_poisoned_frames_total"] == 0 && counters["capture_xruns"] == 0 && stream.xrunCount == 0, "\(counters)")
        // One second at 44.1 kHz takes a second of device frames and what the resampler holds back.
        #expect(counters["capture_frames"].map { $0 >= 48_000 } == true, "\(counters)")
        #expect(stream.statistics.frames % stream.configuration.periodSize == 0, "\(stream.statistics)")
    }

    @Test func theOtherSubstreamsStillTakeFortyFourPointOneKilohertz() throws {
        let stream = try PlaybackStream(device: "hw:\(RigEnvironment.explicitSync ?? 0),0,0",
                                        request: StreamRequest(sampleRate: 44_100, channelCount: 2))
        #expect(stream.configuration.sampleRate == 44_100)
    }
}
