import AlsaSwift

extension SimulatedKernel {
    /// A whole simulated machine an app's tests build in one line: `SimulatedKernel(machine: .explicitSyncAndCoherent)`.
    ///
    /// | card | id | what it is |
    /// |---|---|---|
    /// | 0 | `SimSync` | an explicit-sync card (non-coherent DMA, `SNDRV_PCM_INFO_EXPLICIT_SYNC`): records never mapped, pointers moved through SYNC_PTR |
    /// | 1 | `SimCoherent` | a coherent card like snd-dummy: records mapped, no explicit sync |
    ///
    /// Both cards have the AC97-like mixer (`SimulatedCardMixer.ac97`) and capture the byte
    /// pattern until `setCaptureSignal(_:card:device:)` gives them a sound. This is the machine
    /// the example tools open as `-D sim`.
    public enum Machine: Sendable, CaseIterable {
        /// Card 0 with explicit sync, card 1 coherent.
        case explicitSyncAndCoherent
        /// The same, and card 1 has a raw MIDI device (`hw:1,0`) whose MIDI OUT is cabled into
        /// its own MIDI IN, so what is sent to it comes back; the sequencer has System and Midi
        /// Through (14:0), as every simulated kernel's has.
        case explicitSyncAndCoherentWithMIDI

        /// What card 0 reports through its control device.
        public static let explicitSyncCard = SimulatedCardIdentity(
            id: "SimSync", driver: "AlsaSwiftSim", name: "Simulated explicit-sync card",
            longName: "AlsaSwift simulated explicit-sync card (non-coherent DMA buffers)", mixerName: "Simulated AC97")
        /// What card 1 reports through its control device.
        public static let coherentCard = SimulatedCardIdentity(
            id: "SimCoherent", driver: "AlsaSwiftSim", name: "Simulated coherent card",
            longName: "AlsaSwift simulated coherent card (like snd-dummy)", mixerName: "Simulated AC97")
    }

    /// A new kernel with the cards of `machine`; each call makes a machine of its own.
    public convenience init(machine: Machine) {
        var explicitSync = SimulatedHardware.explicitSync
        explicitSync.name = "Simulated explicit-sync PCM"
        self.init(card: 0, hardware: explicitSync)
        setIdentity(Machine.explicitSyncCard, card: 0)
        var coherent = SimulatedHardware.dummy
        coherent.name = "Simulated coherent PCM"
        addDevice(card: 1, device: 0, hardware: coherent)
        setIdentity(Machine.coherentCard, card: 1)
        if machine == .explicitSyncAndCoherentWithMIDI {
            addMIDIDevice(card: 1, device: 0, SimulatedMIDIDevice(name: "Simulated MIDI loop-back", id: "SimMIDI"))
            connectMIDIOut(card: 1, device: 0, toInputOf: 1, device: 0)
        }
    }
}
