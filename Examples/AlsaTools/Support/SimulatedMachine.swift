import AlsaSimulation
import AlsaSwift

/// The tools' names for the simulated machine (`SimulatedKernel.Machine.explicitSyncAndCoherent`,
/// AlsaSimulation's): every tool means the same cards, at the same numbers, with the same names,
/// whether it is listed (`alsa-info`, `-l`, `-L`), played to, recorded from or mixed.
///
/// `sim` names card 0 (explicit sync), device 0; `sim:` followed by a `hw:` name picks another
/// device of the same machine (`sim:hw:1,0`, `sim:hw:CARD=SimCoherent,DEV=0`). Each use builds a
/// new machine: a tool's process has it to itself.
package enum SimulatedMachine {
    /// The name every tool takes for the simulated machine's default device.
    package static let name = "sim"
    /// The prefix of a simulated machine's `hw:` names: `sim:hw:1,0`.
    package static let prefix = "sim:"

    /// Card 0: what its control device reports.
    package static let explicitSyncCard = SimulatedKernel.Machine.explicitSyncCard
    /// Card 1: what its control device reports.
    package static let coherentCard = SimulatedKernel.Machine.coherentCard

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

    /// A new machine, as every tool but `alsa-midi` uses it.
    package static func make() -> SimulatedKernel { SimulatedKernel(machine: .explicitSyncAndCoherent) }

    /// The machine with its MIDI loop-back on card 1, as `alsa-midi -D sim` uses it.
    package static func makeWithMIDI() -> SimulatedKernel { SimulatedKernel(machine: .explicitSyncAndCoherentWithMIDI) }

    /// The names `-L` lists for the simulated machine, as alsa-lib's hints list a real one's.
    package static var nameHints: [DeviceReport.Hint] {
        [
            DeviceReport.Hint(name: name, description: "AlsaSwift simulated machine, default device\nThe explicit-sync card, as sim:hw:0,0"),
            DeviceReport.Hint(name: prefix + "hw:0,0", description: "\(explicitSyncCard.name), Simulated explicit-sync PCM\nDirect hardware device"),
            DeviceReport.Hint(name: prefix + "hw:1,0", description: "\(coherentCard.name), Simulated coherent PCM\nDirect hardware device"),
        ]
    }
}
