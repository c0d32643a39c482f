import AlsaSimulation
import AlsaSwift

/// The one simulated machine every tool means by `-D sim`: the same cards, at the same numbers,
/// with the same names, whether it is listed (`alsa-info`, `-l`, `-L`), played to, recorded from
/// or mixed.
///
/// | card | id | what it is |
/// |---|---|---|
/// | 0 | `SimSync` | an explicit-sync card (non-coherent DMA, `SNDRV_PCM_INFO_EXPLICIT_SYNC`) with an AC97-like mixer; `sim` is its device 0 |
/// | 1 | `SimCoherent` | a coherent card like snd-dummy: records mapped, no explicit sync |
///
/// `sim` names card 0, device 0; `sim:` followed by a `hw:` name picks another device of the same
/// machine (`sim:hw:1,0`, `sim:hw:CARD=SimCoherent,DEV=0`). Each use builds a new machine: a
/// tool's process has it to itself.
package enum SimulatedMachine {
    /// The name every tool takes for the simulated machine's default device.
    package static let name = "sim"
    /// The prefix of a simulated machine's `hw:` names: `sim:hw:1,0`.
    package static let prefix = "sim:"

    /// Card 0: what its control device reports.
    package static let explicitSyncCard = SimulatedCardIdentity(
        id: "SimSync", driver: "AlsaSwiftSim", name: "Simulated explicit-sync card",
        longName: "AlsaSwift simulated explicit-sync card (non-coherent DMA buffers)", mixerName: "Simulated AC97")
    /// Card 1: what its control device reports.
    package static let coherentCard = SimulatedCardIdentity(
        id: "SimCoherent", driver: "AlsaSwiftSim", name: "Simulated coherent card",
        longName: "AlsaSwift simulated coherent card (like snd-dummy)")

    /// Whether `device` names the simulated machine (`sim` or `sim:…`).
    package static func names(_ device: String) -> Bool {
        device == name || device.hasPrefix(prefix)
    }

    /// The `hw:` name inside the simulated machine that `device` (`sim` or `sim:hw:…`) stands for;
    /// nil when `device` is not a simulated name.
    package static func hardwareName(for device: String) -> String? {
        if device == name { return "hw:0,0" }
        guard device.hasPrefix(prefix) else { return nil }
        return String(device.dropFirst(prefix.count))
    }

    /// A new machine: the explicit-sync card 0 with its mixer, the coherent card 1.
    package static func make() -> SimulatedKernel {
        var explicitSync = SimulatedHardware.explicitSync
        explicitSync.name = "Simulated explicit-sync PCM"
        let kernel = SimulatedKernel(card: 0, hardware: explicitSync)
        kernel.setIdentity(explicitSyncCard, card: 0)
        kernel.addControls(mixerControls, card: 0)
        var coherent = SimulatedHardware.dummy
        coherent.name = "Simulated coherent PCM"
        kernel.addDevice(card: 1, device: 0, hardware: coherent)
        kernel.setIdentity(coherentCard, card: 1)
        return kernel
    }

    /// snd-dummy's mixer with the volumes and dB steps of an AC97 codec.
    static var mixerControls: [SimulatedControlElement] {
        [
            .volume("Master Playback Volume", range: 0...31, value: 25, minimumGain: -4650, step: 150, mutesAtMinimum: true),
            .toggle("Master Playback Switch", on: true),
            .volume("PCM Playback Volume", range: 0...31, value: 23, minimumGain: -3450, step: 150),
            .toggle("PCM Playback Switch", on: true),
            .volume("Capture Volume", range: 0...15, value: 0, minimumGain: 0, step: 150),
            .toggle("Capture Switch", on: false),
            SimulatedControlElement(name: "Capture Source", type: .enumerated(items: ["Mic", "CD", "Line"]), values: [0, 0]),
        ]
    }

    /// The names `-L` lists for the simulated machine, as alsa-lib's hints list a real one's.
    package static var nameHints: [DeviceReport.Hint] {
        [
            DeviceReport.Hint(name: name, description: "AlsaSwift simulated machine, default device\nThe explicit-sync card, as sim:hw:0,0"),
            DeviceReport.Hint(name: prefix + "hw:0,0", description: "\(explicitSyncCard.name), Simulated explicit-sync PCM\nDirect hardware device"),
            DeviceReport.Hint(name: prefix + "hw:1,0", description: "\(coherentCard.name), Simulated coherent PCM\nDirect hardware device"),
        ]
    }
}
