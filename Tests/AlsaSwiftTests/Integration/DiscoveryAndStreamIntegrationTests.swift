import AlsaSwift
import Foundation
import Testing

/// Discovery and the app-facing streams on the real kernel: cards 0 snd-dummy (pcm_devs=4),
/// 1 snd-aloop, 2 the explicit-sync test driver, 3 an emulated AC97.
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)))
struct DiscoveryIntegrationTests {
    @Test("every card of /proc/asound/cards is listed, with its devices and capabilities")
    func everyCard() throws {
        let devices = AudioDevices()
        let listing = devices.listing()
        #expect(listing.cards.map(\.index) == RigEnvironment.cards.map(\.index))
        #expect(listing.cards.map(\.driver) == RigEnvironment.cards.map(\.driver))
        // A card has PCM devices, raw MIDI devices (snd-virmidi's has only those), or both.
        #expect(listing.cards.allSatisfy { $0.problem == nil && !(listing.pcmDevices(card: $0.index).isEmpty && $0.midiDevices.isEmpty) })

        let dummy = try #require(listing.cards.first { $0.driver == "Dummy" })
        #expect(dummy.id == "Dummy")
        let dummyDevices = listing.pcmDevices(card: dummy.index)
        #expect(dummyDevices.map(\.device) == [0, 1, 2, 3])
        func probe(_ card: SoundCard, _ device: Int, _ direction: StreamDirection = .playback) -> DeviceCapabilityProbe {
            devices.capabilities(of: "hw:\(card.index),\(device)", direction: direction)
        }
        for device in 0..<4 {
            let capabilities = try #require(probe(dummy, device).capabilities, "hw:\(dummy.index),\(device)")
            #expect(capabilities.formats == [.u8, .s16LE])
            #expect(capabilities.sampleRate == 5500...48_000 && capabilities.channelCount == 1...2)
            #expect(!capabilities.info.contains(.explicitSync))
            #expect(probe(dummy, device, .capture).capabilities != nil)
        }
        #expect(probe(dummy, 0).capabilities?.accessTypes == [.mmapInterleaved, .readWriteInterleaved])
        #expect(probe(dummy, 2).capabilities?.accessTypes == [.readWriteInterleaved])

        if let explicit = listing.cards.first(where: { $0.driver == "ExplicitSync" }) {
            let playback = probe(explicit, 0)
            #expect(playback.capabilities?.info.contains(.explicitSync) == true)
            #expect(playback.sync?.strategy?.status == .syncPtr(.explicitSync))
            #expect(playback.sync?.strategy?.control == .syncPtr(.explicitSync))
        }
        if let loopback = listing.cards.first(where: { $0.driver == "Loopback" }) {
            let loops = listing.pcmDevices(card: loopback.index)
            #expect(loops.map(\.device) == [0, 1])
            #expect((loops.first?.kernelInfo?.substreams(.playback)?.count ?? 0) >= 1)
        }
    }

    /// The QEMU rig (Rig/init sets ALSASWIFT_RIG=1) loads its five cards at fixed indices,
    /// so there the listing must be exactly this, not merely whatever /proc shows.
    @Test("on the rig: snd-dummy, snd-aloop, the explicit-sync driver, AC97 and snd-virmidi at their indices",
          .enabled(if: ProcessInfo.processInfo.environment["ALSASWIFT_RIG"] == "1",
                   "only the QEMU rig (Rig/kernel-test) has this exact set of cards"))
    func rigCards() throws {
        let devices = AudioDevices()
        let listing = devices.listing()
        let cards = listing.cards
        try #require(cards.map(\.index) == [0, 1, 2, 3, 4])
        #expect(cards.allSatisfy { $0.problem == nil })
        // snd-virmidi: a card with raw MIDI devices only, in the same listing.
        #expect(cards[4].driver == "VirMIDI" && listing.pcmDevices(card: 4).isEmpty && cards[4].midiDevices.map(\.device) == [0, 1])

        #expect(cards[0].id == "Dummy" && cards[0].driver == "Dummy")
        #expect(listing.pcmDevices(card: 0).map(\.device) == [0, 1, 2, 3])

        #expect(cards[1].id == "Loopback" && cards[1].driver == "Loopback")
        let loops = listing.pcmDevices(card: 1)
        #expect(loops.map(\.device) == [0, 1])
        // snd-aloop's default pcm_substreams=8, in each direction of both devices.
        #expect(loops.allSatisfy { $0.kernelInfo?.substreams.map(\.count) == [8, 8] })

        let explicit = cards[2]
        #expect(explicit.id == "ExplicitSync" && explicit.driver == "ExplicitSync")
        #expect(explicit.longName == "ExplicitSync test card (non-coherent DMA model)")
        let explicitDevices = listing.pcmDevices(card: 2)
        try #require(explicitDevices.map(\.device) == [0])
        #expect(explicitDevices[0].kernelInfo?.name == "ExplicitSync PCM")
        for direction in [StreamDirection.playback, .capture] {
            let probe = devices.capabilities(of: "hw:2,0", direction: direction)
            let capabilities = try #require(probe.capabilities)
            #expect(capabilities.formats == [.s16LE, .s32LE])
            #expect(capabilities.sampleRate == 8000...48_000 && capabilities.channelCount == 1...2)
            #expect(capabilities.accessTypes == [.mmapInterleaved, .readWriteInterleaved])
            #expect(capabilities.info.contains(.explicitSync))
            #expect(probe.sync?.strategy?.status == .syncPtr(.explicitSync))
            #expect(probe.sync?.strategy?.control == .syncPtr(.explicitSync))
        }

        #expect(RigEnvironment.ac97 == 3)
        #expect(listing.pcmDevices(card: 3).contains { $0.device == 0 })
        let ac97 = try #require(devices.capabilities(of: "hw:3,0", direction: .playback).capabilities)
        #expect(ac97.formats.contains(.s16LE))
    }

    @Test("exact support on the real drivers: HW_REFINE answers, and a refusal names the value")
    func exactSupport() throws {
        let devices = AudioDevices()
        let dummy = try #require(RigEnvironment.dummy)
        let name = "hw:\(dummy),0"
        // snd-dummy: U8 and S16_LE, 5500-48000 Hz, 1-2 channels (dummy_pcm_hardware).
        #expect(try devices.supports(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 44_100), on: name, direction: .playback))
        #expect(try devices.supports(HardwareRequest(format: .u8, channelCount: 1, sampleRate: 5500), on: name, direction: .capture))
        #expect(try !devices.supports(HardwareRequest(sampleRate: 96_000), on: name, direction: .playback))
        #expect(try !devices.supports(HardwareRequest(channelCount: 3), on: name, direction: .playback))
        #expect(try !devices.supports(HardwareRequest(format: .s32LE), on: name, direction: .playback))
        let refused = #expect(throws: AlsaError.self) {
            try devices.requireSupport(HardwareRequest(sampleRate: 96_000), on: name, direction: .playback)
        }
        print("exact support: \(refused.map(String.init(describing:)) ?? "no error")")
        #expect(refused?.context?.hasPrefix("\(name) playback: rate 96000 is not supported") == true)
        #expect(refused?.context?.hasSuffix("the device allows rate 5500...48000") == true)
    }

    @Test("hw:CARD=<id> opens the same device as its index")
    func cardIDs() throws {
        let pcm = try PCMDevice.open("hw:CARD=Dummy,DEV=1", direction: .playback)
        #expect(pcm.transport == .direct)
        #expect(pcm.syncReport.hardware?.card == RigEnvironment.dummy && pcm.syncReport.hardware?.device == 1)
    }

    @Test("alsa-lib's hints name the cards' PCMs")
    func hints() throws {
        let names = AudioDevices().list().filter { $0.origin == .alsaLib }.map(\.name)
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
