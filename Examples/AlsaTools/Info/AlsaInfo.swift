import AlsaSimulation
import AlsaSwift
import ArgumentParser
import Foundation

/// `alsa-info`: cards, PCM devices and capabilities, whether each requires explicit sync, and the
/// record paths AlsaSwift would use.
public struct AlsaInfo: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alsa-info",
        abstract: "List sound cards, PCM devices, their capabilities and their explicit-sync needs.")

    @Option(name: [.customShort("D"), .long], help: "`sim` lists the simulated machine instead of this one.")
    public var device: String?

    @Flag(help: "Print JSON for scripts.")
    public var json = false

    @Flag(help: "Do not open the PCM devices (no capabilities).")
    public var noProbe = false

    @Flag(help: "Also list the PCM names alsa-lib's configuration advertises.")
    public var hints = false

    @Flag(help: "List where `default` leads and every name that can be opened (alsa-lib's and the kernel's, merged), instead of the cards.")
    public var names = false

    public init() {}

    public func validate() throws {
        if let device, device != "sim" { throw ValidationError("--device takes only `sim`; without it this machine is listed") }
    }

    public func run() throws {
        Interruption.install()
        try Interruption.running(list)
        // Output to a full pipe that a signal cut short is not a listing.
        if Interruption.requested { throw Interruption.exitCode }
    }

    private func list() throws {
        if names {
            let report = NameReport(devices: AudioDevices(kernel: Self.kernel(simulated: device == "sim")), probe: !noProbe)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Say.line(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                Say.line(report.text)
            }
            return
        }
        let report = try Self.report(simulated: device == "sim", probe: !noProbe, hints: hints)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Say.line(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            Say.line(report.text)
        }
    }

    /// The report for this machine, or for a simulated one with a plain and an explicit-sync card.
    public static func report(simulated: Bool, probe: Bool, hints: Bool) throws -> DeviceReport {
        let kernel = kernel(simulated: simulated)
        let listing = DeviceDiscovery(kernel: kernel).listing(probeCapabilities: probe)
        return DeviceReport(listing: listing, hints: hints && !simulated ? try PCMNameHint.all() : nil)
    }

    /// This machine's kernel, or a simulated one with a plain and an explicit-sync card.
    public static func kernel(simulated: Bool) -> any KernelInterface {
        guard simulated else { return LinuxKernel.shared }
        let simulator = SimulatedKernel(card: 0, hardware: .dummy)
        simulator.setIdentity(SimulatedCardIdentity(id: "Sim", driver: "AlsaSwiftSim", name: "Simulated coherent card"), card: 0)
        simulator.addDevice(card: 1, device: 0, hardware: .explicitSync)
        simulator.setIdentity(SimulatedCardIdentity(id: "SimSync", driver: "AlsaSwiftSim", name: "Simulated explicit-sync card"), card: 1)
        return simulator
    }
}
