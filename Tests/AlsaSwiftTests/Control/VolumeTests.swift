import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

/// A card laid out like an AC97 codec: Master and PCM playback volumes with switches, a capture
/// volume and switch, and a Mic that only plays through.
func makeAC97LikeKernel() -> SimulatedKernel {
    let kernel = makeKernel(mixer: .none)
    kernel.addControls([
        .volume("Master Playback Volume", range: 0...31, value: 31, minimumGain: -4650, step: 150, mutesAtMinimum: true),
        .toggle("Master Playback Switch", on: true),
        .volume("PCM Playback Volume", range: 0...31, value: 23, minimumGain: -3450, step: 150),
        .toggle("PCM Playback Switch", on: true),
        .volume("Mic Playback Volume", range: 0...31, value: 0, minimumGain: -3450, step: 150),
        .volume("Capture Volume", range: 0...15, value: 0, minimumGain: 0, step: 150),
        .toggle("Capture Switch", on: false),
    ])
    return kernel
}

@Suite("Simple volume on the simulated kernel")
struct VolumeTests {
    @Test("The main volume is chosen as the simple mixer names it: Master, then PCM, Speaker, Headphone")
    func choice() throws {
        let ac97 = try CardControls(card: 0, kernel: makeAC97LikeKernel())
        let playback = try #require(try ac97.mainVolume(.playback))
        #expect(playback.name == "Master" && playback.volume.id.name == "Master Playback Volume")
        #expect(playback.muteSwitch?.id.name == "Master Playback Switch")
        let capture = try #require(try ac97.mainVolume(.capture))
        #expect(capture.name == "Capture" && capture.muteSwitch?.id.name == "Capture Switch")
        #expect(capture.gainRange! == (0, 2250))

        // snd-dummy: "Master Volume" serves both directions and has no playback switch.
        let dummyKernel = makeKernel(mixer: .dummy)
        let dummy = try #require(try CardControls(card: 0, kernel: dummyKernel).mainVolume(.playback))
        #expect(dummy.name == "Master" && dummy.volume.id.name == "Master Volume" && !dummy.hasSwitch)
        #expect(dummy.gainRange! == (-4500, 0) && dummy.valueRange == -50...100)
        let dummyCapture = try #require(try CardControls(card: 0, kernel: dummyKernel).mainVolume(.capture))
        #expect(dummyCapture.name == "Mic" && dummyCapture.muteSwitch?.id.name == "Mic Capture Switch")

        for (names, expected) in [(["Headphone", "Speaker", "PCM"], "PCM"), (["Headphone", "Speaker"], "Speaker"),
                                  (["Headphone"], "Headphone"), (["Zither", "Bagpipe"], "Zither")] {
            let kernel = makeKernel(mixer: .none)
            kernel.addControls(names.map { .volume("\($0) Playback Volume", range: 0...10, value: 5, minimumGain: -1000, step: 100) })
            #expect(try CardControls(card: 0, kernel: kernel).mainVolume(.playback)?.name == expected)
        }
        let silent = makeKernel(mixer: .none)
        silent.addControls([.toggle("IEC958 Playback Switch", on: true)])
        #expect(try CardControls(card: 0, kernel: silent).mainVolume(.playback) == nil)
    }

    @Test("dB and mute: set, read back, and what the card holds")
    func decibelsAndMute() throws {
        let kernel = makeAC97LikeKernel()
        let master = try #require(try CardControls(card: 0, kernel: kernel).mainVolume(.playback))
        try master.setDecibels(-6)
        #expect(kernel.control(named: "Master Playback Volume")?.values == [27, 27])
        #expect(try master.decibels() == -6)
        // Between two steps: down, nearest, up.
        try master.setDecibels(-6.8, rounding: .down)
        #expect(try master.value() == 26)
        try master.setDecibels(-6.8, rounding: .up)
        #expect(try master.value() == 27)
        try master.setDecibels(-100)
        #expect(try master.decibels() == -.infinity && master.gainRange!.minimum == DecibelScale.muteGain)
        try master.setMuted(true)
        #expect(try master.isMuted() && kernel.control(named: "Master Playback Switch")?.values == [0, 0])
        try master.setMuted(false)
        #expect(try !master.isMuted())
        #expect(throws: AlsaError.self) { try master.setDecibels(.nan) }
        let mic = try #require(try CardControls(card: 0, kernel: kernel).volume(named: "Mic"))
        let noSwitch = #expect(throws: AlsaError.self) { try mic.setMuted(true) }
        #expect(noSwitch?.errno == .notSupported)
    }

    @Test("alsamixer's perceptual scale: fixed points, and every value survives a round trip")
    func perceptual() throws {
        let kernel = makeKernel(mixer: .dummy)
        let master = try #require(try CardControls(card: 0, kernel: kernel).mainVolume(.playback))
        // -45 dB..0: wider than 24 dB, so the cube-root-like curve, not linear in dB.
        try master.setPerceptualVolume(0.5)
        #expect(try master.gain() == -1380 && master.value() == 54)
        try master.setPerceptualVolume(1)
        #expect(try master.value() == 100 && master.perceptualVolume() == 1)
        try master.setPerceptualVolume(0)
        #expect(try master.value() == -50 && master.perceptualVolume() == 0)
        for value in master.valueRange {
            try master.setValue(value)
            let volume = try master.perceptualVolume()
            try master.setPerceptualVolume(volume)
            #expect(try master.value() == value, "value \(value) at \(volume)")
        }

        // 22.5 dB: linear in dB.
        let capture = try #require(try CardControls(card: 0, kernel: makeAC97LikeKernel()).mainVolume(.capture))
        try capture.setPerceptualVolume(0.4)
        #expect(try capture.gain() == 900 && capture.value() == 6)

        // A scale down to silence: zero is the lowest value, never a crash on log10(0).
        let ac97 = try #require(try CardControls(card: 0, kernel: makeAC97LikeKernel()).mainVolume(.playback))
        try ac97.setPerceptualVolume(0)
        #expect(try ac97.value() == 0 && ac97.perceptualVolume() == 0)
    }
}
