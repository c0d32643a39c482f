import AlsaSimulation
import AlsaSwift
import Foundation
import Testing

/// What an app's test suite gets from the simulator without building it by hand: named machines,
/// distinct cards, a mixer on every card and a capture device that hears a real sound.
@Suite struct SimulatedMachineTests {
    @Test func theNamedMachineListsBothCardsWithTheirIdsAndSyncPaths() throws {
        let devices = AudioDevices(kernel: SimulatedKernel(machine: .explicitSyncAndCoherent)).list()
        #expect(devices.map(\.name) == ["hw:CARD=SimSync,DEV=0", "hw:CARD=SimCoherent,DEV=0"])
        #expect(devices.allSatisfy { $0.directions == [.playback, .capture] })

        let kernel = SimulatedKernel(machine: .explicitSyncAndCoherent)
        let explicitSync = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
        let coherent = try KernelPCM(card: 1, device: 0, direction: .playback, kernel: kernel)
        #expect(!explicitSync.syncStrategy.status.isMapped && !explicitSync.syncStrategy.control.isMapped)
        #expect(coherent.syncStrategy.status.isMapped && coherent.syncStrategy.control.isMapped)
    }

    @Test func theMIDIMachineAddsTheLoopBackOnCardOne() {
        let devices = AudioDevices(kernel: SimulatedKernel(machine: .explicitSyncAndCoherentWithMIDI)).midiDevices()
        #expect(devices.count == 1 && devices.first?.card == 1 && devices.first?.device == 0)
        #expect(AudioDevices(kernel: SimulatedKernel(machine: .explicitSyncAndCoherent)).midiDevices().isEmpty)
    }

    /// Listing MIDI devices reads the cards' MIDI answers only: no PCM is asked about.
    @Test func listingMIDIDevicesAsksNothingOfThePCMs() {
        let kernel = SimulatedKernel(machine: .explicitSyncAndCoherentWithMIDI)
        #expect(AudioDevices(kernel: kernel).midiDevices().count == 1)
        let asked = Set(kernel.trace.filter { $0.call == .ioctl }.compactMap(\.requestName))
        #expect(asked.contains("CTL_RAWMIDI_INFO"), "\(asked)")
        #expect(!asked.contains { $0.hasPrefix("CTL_PCM") }, "\(asked)")
    }

    @Test func cardsWithoutAnIdentityGetDistinctIds() {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        kernel.addDevice(card: 1, device: 0, hardware: .explicitSync)
        kernel.addDevice(card: 3, device: 0, hardware: .dummy, directions: [.playback])
        let devices = AudioDevices(kernel: kernel).list()
        #expect(devices.map(\.name) == ["hw:CARD=Sim0,DEV=0", "hw:CARD=Sim1,DEV=0", "hw:CARD=Sim3,DEV=0"])
        // The names open the cards they list.
        #expect(throws: Never.self) { _ = try PCMDevice.open("hw:CARD=Sim3,DEV=0", direction: .playback, kernel: kernel) }
    }

    @Test func everyCardHasTheAC97MixerUnlessAskedForNone() throws {
        let kernel = SimulatedKernel(machine: .explicitSyncAndCoherent)
        for card in 0...1 {
            let master = try #require(try CardControls(card: card, kernel: kernel).mainVolume(.playback))
            #expect(master.name == "Master" && master.valueRange == 0...31 && master.hasSwitch)
            try master.setDecibels(-12)
            #expect(try master.decibels() == -12)
        }
        #expect(kernel.control(named: "Master Playback Volume", card: 0)?.values == [23, 23])

        let bare = SimulatedKernel(card: 0, hardware: .dummy, mixer: .none)
        bare.addDevice(card: 0, device: 1, hardware: .dummy)   // a card's later devices add no mixer
        #expect(try CardControls(card: 0, kernel: bare).mainVolume(.playback) == nil)

        let dummy = SimulatedKernel(card: 0, hardware: .dummy, mixer: .dummy)
        #expect(try CardControls(card: 0, kernel: dummy).mainVolume(.playback)?.valueRange == -50...100)
    }

    @Test func aCardPluggedInAgainKeepsItsMixer() throws {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        #expect(kernel.setControl(named: "Master Playback Volume", values: [7, 7]))
        kernel.removeCard(0)
        kernel.addDevice(card: 0, device: 0, hardware: .dummy)
        #expect(kernel.control(named: "Master Playback Volume")?.values == [7, 7])
        #expect(try CardControls(card: 0, kernel: kernel).elements().count == SimulatedControlElement.ac97Mixer.count)
    }

    /// Float capture from the explicit-sync card of a 1 kHz sine at half scale: peak -6.02 dBFS,
    /// RMS 3.01 dB below it, the sine's own samples after the stream's START.
    @Test(arguments: [SampleFormat.floatLE, .s32LE, .s24_3LE, .s16LE, .u8])
    func aSineCaptureSignalIsHeardInEveryFormat(_ format: SampleFormat) async throws {
        let kernel = SimulatedKernel(machine: .explicitSyncAndCoherent)
        kernel.setCaptureSignal(.sine(frequency: 1_000, amplitude: 0.5), card: 0)
        let microphone = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2, formats: [format]),
                                           kernel: kernel)
        #expect(microphone.configuration.format == format)
        let take = try await microphone.read(frames: 4_800)
        let left = stride(from: 0, to: take.samples.count, by: 2).map { take.samples[$0] }
        #expect(left == stride(from: 1, to: take.samples.count, by: 2).map { take.samples[$0] })   // both channels
        let tolerance = format == .u8 ? 1.0 / 64 : 1.0 / 16_384
        for (frame, sample) in left.enumerated() {
            let expected = 0.5 * sin(2 * Double.pi * 1_000 * Double(frame) / 48_000)
            #expect(abs(Double(sample) - expected) <= tolerance, "frame \(frame): \(sample) for \(expected)")
            if abs(Double(sample) - expected) > tolerance { break }
        }
        let peak = left.map { abs(Double($0)) }.max() ?? 0
        let rms = (left.reduce(0) { $0 + Double($1) * Double($1) } / Double(left.count)).squareRoot()
        #expect(abs(20 * log10(peak) - -6.02) < 0.1)
        #expect(abs(20 * log10(rms) - -9.03) < 0.1)
    }

    @Test func silenceIsZeroAndThePatternStaysTheDefault() async throws {
        let kernel = SimulatedKernel(card: 0, hardware: .explicitSync)
        let pattern = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2, formats: [.s16LE]),
                                        kernel: kernel)
        _ = try await pattern.read(frames: 480)
        var expected = FrameChecksum.seed
        let bytes = (0..<UInt64(kernel.captureObservation().frames)).flatMap { frame in
            (0..<4).map { SimulatedKernel.captureSample(frame: frame, byte: $0) }
        }
        bytes.withUnsafeBytes { FrameChecksum.fnv1a($0, into: &expected) }
        #expect(kernel.captureObservation().checksum == expected)

        let quiet = SimulatedKernel(card: 0, hardware: .explicitSync)
        quiet.setCaptureSignal(.silence)
        let microphone = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2), kernel: quiet)
        #expect(try await microphone.read(frames: 480).samples.allSatisfy { $0 == 0 })
    }
}
