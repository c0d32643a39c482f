import AlsaSimulation
import AlsaSwift

/// ALSA names on any text: parsed, and every `hw:` name opened on a simulated machine (a card
/// with a playback and capture device, and a second card found by its id), so the numbers reach
/// the control file and the device path. Refusals are `AlsaError`s, never traps.
enum NameFuzz {
    static let kernel: SimulatedKernel = {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        kernel.addDevice(card: 1, device: 3, hardware: .explicitSync)
        kernel.setIdentity(SimulatedCardIdentity(id: "Fuzz", driver: "AlsaSwiftSim", name: "Fuzz card"), card: 1)
        return kernel
    }()

    static func run(_ input: FuzzInput) {
        var input = input
        let direction: StreamDirection = input.bool() ? .playback : .capture
        let text = String(decoding: input.rest(), as: UTF8.self)
        guard let name = try? PCMName(parsing: text) else { return }
        guard case .hardware = name else { return }
        if let pcm = try? PCMDevice.open(text, direction: direction, transport: .direct, kernel: kernel) {
            try? pcm.close()
        }
    }
}
