import AlsaSwift
import Foundation
import Testing

/// Discovery and the app-facing streams on the real kernel: cards 0 snd-dummy (pcm_devs=4),
/// 1 snd-aloop, 2 the explicit-sync test driver, 3 an emulated AC97.
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)))
struct DiscoveryIntegrationTests {
    @Test("every card of /proc/asound/cards is listed, with its devices and capabilities")
    func everyCard() throws {
        let listing = DeviceDiscovery().listing()
        #expect(listing.map(\.card.index) == RigEnvironment.cards.map(\.index))
        #expect(listing.map(\.card.driver) == RigEnvironment.cards.map(\.driver))
        #expect(listing.allSatisfy { $0.problem == nil && !$0.devices.isEmpty })

        let dummy = try #require(listing.first { $0.card.driver == "Dummy" })
        #expect(dummy.card.id == "Dummy")
        #expect(dummy.devices.map(\.device) == [0, 1, 2, 3])
        for device in dummy.devices {
            let capabilities = try #require(device.playback?.probe.capabilities, "hw:\(device.card),\(device.device)")
            #expect(capabilities.formats == [.u8, .s16LE])
            #expect(capabilities.sampleRate == 5500...48_000 && capabilities.channelCount == 1...2)
            #expect(!capabilities.info.contains(.explicitSync))
            #expect(device.capture?.probe.capabilities != nil)
        }
        #expect(dummy.devices[0].playback?.probe.capabilities?.accessTypes == [.mmapInterleaved, .readWriteInterleaved])
        #expect(dummy.devices[2].playback?.probe.capabilities?.accessTypes == [.readWriteInterleaved])

        if let explicit = listing.first(where: { $0.card.driver == "ExplicitSync" }) {
            let playback = try #require(explicit.devices.first?.playback)
            #expect(playback.probe.capabilities?.info.contains(.explicitSync) == true)
            #expect(playback.probe.syncStrategy?.status == .syncPtr(.explicitSync))
            #expect(playback.probe.syncStrategy?.control == .syncPtr(.explicitSync))
        }
        if let loopback = listing.first(where: { $0.card.driver == "Loopback" }) {
            #expect(loopback.devices.map(\.device) == [0, 1])
            #expect((loopback.devices[0].playback?.subdeviceCount ?? 0) >= 1)
        }
    }

    /// The QEMU rig (Rig/init sets ALSASWIFT_RIG=1) loads its four cards at fixed indices,
    /// so there the listing must be exactly this, not merely whatever /proc shows.
    @Test("on the rig: snd-dummy, snd-aloop, the explicit-sync driver and AC97 at their indices",
          .enabled(if: ProcessInfo.processInfo.environment["ALSASWIFT_RIG"] == "1",
                   "only the QEMU rig (Rig/kernel-test) has this exact set of cards"))
    func rigCards() throws {
        let listing = DeviceDiscovery().listing()
        try #require(listing.map(\.card.index) == [0, 1, 2, 3])
        #expect(listing.allSatisfy { $0.problem == nil })

        #expect(listing[0].card.id == "Dummy" && listing[0].card.driver == "Dummy")
        #expect(listing[0].devices.map(\.device) == [0, 1, 2, 3])

        #expect(listing[1].card.id == "Loopback" && listing[1].card.driver == "Loopback")
        #expect(listing[1].devices.map(\.device) == [0, 1])
        // snd-aloop's default pcm_substreams=8, in each direction of both devices.
        #expect(listing[1].devices.allSatisfy { $0.playback?.subdeviceCount == 8 && $0.capture?.subdeviceCount == 8 })

        let explicit = listing[2]
        #expect(explicit.card.id == "ExplicitSync" && explicit.card.driver == "ExplicitSync")
        #expect(explicit.card.longName == "ExplicitSync test card (non-coherent DMA model)")
        try #require(explicit.devices.map(\.device) == [0])
        #expect(explicit.devices[0].name == "ExplicitSync PCM")
        for stream in [explicit.devices[0].playback, explicit.devices[0].capture] {
            let stream = try #require(stream)
            let capabilities = try #require(stream.probe.capabilities)
            #expect(capabilities.formats == [.s16LE, .s32LE])
            #expect(capabilities.sampleRate == 8000...48_000 && capabilities.channelCount == 1...2)
            #expect(capabilities.accessTypes == [.mmapInterleaved, .readWriteInterleaved])
            #expect(capabilities.info.contains(.explicitSync))
            #expect(stream.probe.syncStrategy?.status == .syncPtr(.explicitSync))
            #expect(stream.probe.syncStrategy?.control == .syncPtr(.explicitSync))
        }

        #expect(RigEnvironment.ac97 == 3)
        let ac97 = try #require(listing[3].devices.first { $0.device == 0 }?.playback?.probe.capabilities)
        #expect(ac97.formats.contains(.s16LE))
    }

    @Test("hw:CARD=<id> opens the same device as its index")
    func cardIDs() throws {
        let pcm = try PCMDevice.open("hw:CARD=Dummy,DEV=1", direction: .playback)
        #expect(pcm.transport == .direct)
        #expect(pcm.syncReport.hardware?.card == RigEnvironment.dummy && pcm.syncReport.hardware?.device == 1)
    }

    @Test("alsa-lib's hints name the cards' PCMs")
    func hints() throws {
        let names = try PCMNameHint.all().map(\.name)
        #expect(names.contains { $0.hasPrefix("sysdefault:CARD=Dummy") || $0.hasPrefix("default:CARD=Dummy") })
    }
}

extension DummyIntegrationTests {
/// Nested in the snd-dummy suite, so these real-time tests do not compete with its own.
@Suite(.serialized)
struct Streams {
    static let second = (0..<48_000 * 2).map { Float(sin(Double($0 / 2) * 2 * .pi * 440 / 48_000) * 0.25) }

    @Test("a PlaybackStream plays a second to each kind of name", arguments: ["hw:Dummy,0", "plughw:Dummy,0", "default:CARD=Dummy"])
    func playback(name: String) throws {
        let stream = try PlaybackStream(device: name)
        #expect(stream.configuration.sampleRate == 48_000 && stream.configuration.channelCount == 2)
        try Self.second.withUnsafeBufferPointer { try stream.writeBlocking($0) }
        #expect(try stream.drainBlocking(timeout: .seconds(5)))
        #expect(stream.xrunCount == 0)
    }

    @Test("async playback on the real kernel, through the poll reactor")
    func asyncPlayback() async throws {
        let stream = try PlaybackStream(device: "hw:Dummy,0", request: StreamRequest(latency: .milliseconds(50)))
        try await stream.write(try InterleavedAudioBuffer(channelCount: 2, samples: Self.second))
        #expect(try await stream.drain(timeout: .seconds(5)))
        #expect(stream.xrunCount == 0)
    }

    @Test("a render thread drives snd-dummy in real time and stops promptly")
    func renderThread() throws {
        let pcm = try PCMDevice.open("hw:Dummy,0", direction: .playback)
        try pcm.configure(HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 1024, periodCount: 4))
        let thread = try RenderThread(pcm: pcm, priority: .realtime(20)) { context in
            for i in 0..<context.samples.count { context.samples[i] = 0.1 }
        }
        Thread.sleep(forTimeInterval: 1)
        let started = ContinuousClock.now
        thread.stop()
        #expect(ContinuousClock.now - started < .milliseconds(500))
        #expect(thread.failure == nil)
        #expect(thread.callbackCount >= 30, "\(thread.callbackCount) periods in a second")
        #expect(thread.priorityOutcome == .realtime(20), "the rig runs as root")
    }
}
}

extension ExplicitSyncDriverTests {
/// Nested in the driver's suite: the card has one substream per direction.
@Suite(.serialized)
struct Streams {
    let card = RigEnvironment.explicitSync ?? 0

    @Test("CaptureStream reads the explicit-sync driver's signal exactly, as Float")
    func captureExplicitSync() async throws {
        // Half a second of buffer: the guest is slow, and an overrun restarts the driver's signal.
        let stream = try CaptureStream(device: "hw:\(card),0",
                                       request: StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(500), formats: [.s16LE]))
        var iterator = stream.buffers(frames: 4800).makeAsyncIterator()
        let buffer = try #require(try await iterator.next())
        var expected = [UInt8]()
        for f in 0..<4800 { for b in 0..<4 { expected.append(explicitSyncDriverSample(frame: UInt64(f), byte: b)) } }
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        #expect(stream.xrunCount == 0)
        let mismatch = zip(buffer.samples, decoded.samples).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(mismatch == nil, "first differing sample \(mismatch ?? -1) of \(decoded.samples.count)")
    }

    @Test("non-interleaved streams on the real kernel: capture reads each channel of the driver's signal exactly, and a write reaches the driver exactly")
    func nonInterleaved() async throws {
        let request = StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(500), formats: [.s16LE])
        var expected = [UInt8]()
        for f in 0..<4800 { for b in 0..<4 { expected.append(explicitSyncDriverSample(frame: UInt64(f), byte: b)) } }
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        do {
            let mic = try CaptureStream(device: "hw:\(card),0", request: request)
            let captured = try await mic.readNonInterleaved(frames: 4800)
            #expect(mic.xrunCount == 0)
            for channel in 0..<2 {
                let wrong = zip(captured[channel], decoded.channel(channel)).filter { $0 != $1 }.count
                #expect(wrong == 0, "\(wrong) wrong samples in channel \(channel)")
            }
        }
        // The same signal back to the driver, one array per channel: its checksum is that of the
        // interleaved bytes, no frame was played before its flush nor changed after its commit.
        let oracle = SyncOracle.rig(card: card)
        let out = try PlaybackStream(device: "hw:\(card),0", request: request)
        try await out.write(decoded.nonInterleaved)
        #expect(try await out.drain(timeout: .seconds(5)))
        var sent = StreamChecksum()
        expected.withUnsafeBytes { sent.add($0) }
        let device = oracle.counters(.playback)
        #expect(out.xrunCount == 0 && device.xruns == 0, "\(device)")
        #expect(device.frames == 4800 && device.checksum == sent.value && device.staleFrames == 0 && device.lateFrames == 0,
                "\(device)")
    }
}
}
