/// The controls a simulated card registers when it is added, as its driver would.
public enum SimulatedCardMixer: Sendable, Equatable {
    /// An AC97 codec's: Master and PCM playback volumes (0...31, 1.5 dB steps) with their
    /// switches, Capture volume and switch, and a Capture Source of Mic, CD and Line. The default:
    /// `CardVolume` and `alsa-mixer` find a Master on every card.
    case ac97
    /// snd-dummy's: five stereo volumes (Master, Synth, Line, Mic, CD) of -50...100 with a 0.3 dB
    /// step, each with a capture switch.
    case dummy
    /// None: a card that has no mixer (snd-aloop, many USB and HDMI outputs). `addControls`
    /// still adds elements.
    case none

    /// The elements, in the order they are numbered.
    public var elements: [SimulatedControlElement] {
        switch self {
        case .ac97: SimulatedControlElement.ac97Mixer
        case .dummy: SimulatedControlElement.dummyMixer
        case .none: []
        }
    }
}

extension SimulatedControlElement {
    /// The elements of an AC97 codec's mixer, with its volume ranges and dB steps (`.ac97`).
    public static let ac97Mixer: [SimulatedControlElement] = [
        .volume("Master Playback Volume", range: 0...31, value: 25, minimumGain: -4650, step: 150, mutesAtMinimum: true),
        .toggle("Master Playback Switch", on: true),
        .volume("PCM Playback Volume", range: 0...31, value: 23, minimumGain: -3450, step: 150),
        .toggle("PCM Playback Switch", on: true),
        .volume("Capture Volume", range: 0...15, value: 0, minimumGain: 0, step: 150),
        .toggle("Capture Switch", on: false),
        SimulatedControlElement(name: "Capture Source", type: .enumerated(items: ["Mic", "CD", "Line"]), values: [0, 0]),
    ]
}
