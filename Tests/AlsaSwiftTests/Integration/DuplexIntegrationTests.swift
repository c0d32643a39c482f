import Foundation
import Testing
@testable import AlsaSwift

/// Full duplex on the real kernel, on an snd-aloop cable whose two ends are the stream's two sides:
/// what the stream plays on hw:L,0,0 comes back on hw:L,1,0, so an impulse train written to the
/// output is found again in the input, and the distance between them is the real round trip.
///
/// Round trip: every 4096 output frames (counted as the callback sees them) carries one impulse;
/// each impulse found in the input (the frame whose sample peaks, a cross-correlation with a single
/// impulse) lies d frames after it. d must be one value for the whole run, and equal to the round
/// trip `timing()` reports within one frame. Linked: both sides' trigger timestamps equal; refused
/// (direct capture beside an alsa-lib playback: EINVAL across transports), both started within a
/// period. Forced xruns on each side, 10 each: both restart, each counted on its side, and the
/// round trip after each is the one before.
@Suite(.enabled(if: RigEnvironment.loopback != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct DuplexIntegrationTests {
    static let rate = 48_000
    static let spacing = 4096

    static func request(period: Int) -> StreamRequest {
        // Two periods, rounded up to the next nanosecond so that they count as whole frames.
        StreamRequest(sampleRate: rate, channelCount: 2, latency: .nanoseconds((2 * period * 1_000_000_000 + rate - 1) / rate), formats: [.s16LE])
    }

    static func cable(_ card: Int, transport: PCMDevice.TransportChoice = .direct,
                      playbackTransport: PCMDevice.TransportChoice? = nil, period: Int) throws -> DuplexStream {
        let capture = try StreamNegotiation.open("hw:\(card),1,0", .capture, transport: transport, kernel: LinuxKernel.shared)
        let playback = try StreamNegotiation.open("hw:\(card),0,0", .playback, transport: playbackTransport ?? transport,
                                                  kernel: LinuxKernel.shared)
        return try DuplexStream(capture: capture, playback: playback, request: request(period: period))
    }

    /// The distances from each impulse written to where it came back, and the round trip reported.
    static func measure(_ duplex: DuplexStream, seconds: Int) throws -> (distances: [Int], reported: [Int]) {
        let period = duplex.configuration.periodSize
        var found: [Int] = []
        var reported: [Int] = []
        try duplex.processBlocking(periods: seconds * rate / period) { block in
            for frame in 0..<block.frameCount {
                let index = block.framePosition + frame
                let input = block.input[frame * 2]
                if input > 0.25 { found.append(index) }
                block.output[frame * 2] = index % spacing == 0 ? 0.5 : 0
                block.output[frame * 2 + 1] = 0
            }
        }
        for _ in 0..<5 {
            try duplex.processBlocking(periods: 1) { block in block.output.update(repeating: 0) }
            reported.append(try duplex.timing().roundTripFrames)
        }
        return (found.map { $0 - $0 / spacing * spacing }, reported)
    }

    @Test("the round trip on an aloop cable is the one reported, within a frame", arguments: [64, 256, 1024])
    func roundTrip(period: Int) async throws {
        let card = try #require(RigEnvironment.loopback)
        try await onOwnThread {
            let duplex = try Self.cable(card, period: period)
            #expect(duplex.configuration.periodSize == period, "\(duplex.configuration)")
            #expect(duplex.configuration.start == .linked)
            let (distances, reported) = try Self.measure(duplex, seconds: 3)
            print("duplex round trip, period \(period): impulses came back after \(Set(distances).sorted()) frames; "
                  + "reported \(reported); \(duplex.xruns)")
            try #require(distances.count >= 3, "impulses found: \(distances.count)")
            #expect(Set(distances).count == 1, "one distance: \(Set(distances).sorted())")
            for value in reported { #expect(abs(value - distances[0]) <= 1, "reported \(value), measured \(distances[0])") }
        }
    }

    @Test("linked: one trigger timestamp; refused across transports: started within a period")
    func starts() async throws {
        let card = try #require(RigEnvironment.loopback)
        try await onOwnThread {
            let linked = try Self.cable(card, period: 256)
            try linked.processBlocking(periods: 4) { block in block.output.update(repeating: 0) }
            let together = try linked.timing()
            #expect(together.capture.triggerTimestamp == together.playback.triggerTimestamp, "\(together)")
            try linked.stop()
        }
        try await onOwnThread {
            let apart = try Self.cable(card, playbackTransport: .alsaLib, period: 256)
            guard case .backToBack(let refusal) = apart.configuration.start else {
                Issue.record("linked across transports: \(apart.configuration.start)")
                return
            }
            #expect(refusal.errno == .invalidArgument)
            try apart.processBlocking(periods: 4) { block in block.output.update(repeating: 0) }
            let timing = try apart.timing()
            let gap = timing.playback.triggerTimestamp - timing.capture.triggerTimestamp
            print("duplex back-to-back start: playback started \(gap) after capture")
            #expect(gap >= .zero && gap < AudioTiming.duration(ofFrames: 256, sampleRate: Self.rate), "\(gap)")
        }
    }

    @Test("xruns forced 10 times on each side: both restart with the round trip they had", arguments: [StreamDirection.capture, .playback])
    func forcedXruns(side: StreamDirection) async throws {
        let card = try #require(RigEnvironment.loopback)
        try await onOwnThread {
            let duplex = try Self.cable(card, period: 1024)
            try duplex.processBlocking(periods: 8) { block in block.output.update(repeating: 0) }
            let before = try duplex.timing().roundTripFrames
            var after: [Int] = []
            for _ in 0..<10 {
                duplex.loop.starving = side
                while duplex.loop.starving != nil {
                    try duplex.processBlocking(periods: 1) { block in block.output.update(repeating: 0) }
                }
                try duplex.processBlocking(periods: 4) { block in block.output.update(repeating: 0) }
                after.append(try duplex.timing().roundTripFrames)
            }
            print("duplex forced \(side) xruns: round trip \(before) before, \(after) after; \(duplex.xruns)")
            #expect(side == .capture ? duplex.xruns.capture >= 10 : duplex.xruns.playback >= 10, "\(duplex.xruns)")
            for value in after { #expect(abs(value - before) <= 1, "\(before) before, \(value) after") }
        }
    }
}
