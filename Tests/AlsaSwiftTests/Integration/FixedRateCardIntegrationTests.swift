import AlsaSwift
import Testing

/// Substream 2 of the explicit-sync test card is fixed at 48 kHz (`fixed_rate=0,0,48000` in
/// Rig/kernel-test), as much real hardware is. Until streams resample, a 44.1 kHz request on its
/// `hw:` name is refused by the direct transport with what the device offers; these tests pin that
/// behaviour down so the coming stream integration has a device to be measured on.
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

    @Test func theOtherSubstreamsStillTakeFortyFourPointOneKilohertz() throws {
        let stream = try PlaybackStream(device: "hw:\(RigEnvironment.explicitSync ?? 0),0,0",
                                        request: StreamRequest(sampleRate: 44_100, channelCount: 2))
        #expect(stream.configuration.sampleRate == 44_100)
    }
}
