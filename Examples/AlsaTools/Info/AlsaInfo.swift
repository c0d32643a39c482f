import AlsaSimulation
import AlsaSwift
import ArgumentParser
import Foundation

/// `alsa-info`: cards, PCM devices and capabilities, whether each requires explicit sync, and the
/// record paths AlsaSwift would use.
package struct AlsaInfo: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-info",
        abstract: "List sound cards, PCM devices, their capabilities and their explicit-sync needs.")

    @Option(name: [.customShort("D"), .long],
            help: "What to list: a card (hw:1) or device (hw:1,0, hw:CARD=PCH,DEV=0) of this machine; a name alsa-lib serves (default, plughw:0,0, dmix, null), opened for a moment in each direction; or the simulated machine (sim, or one of its devices, sim:hw:1,0). Without it, every card of this machine.")
    package var device: String?

    @Flag(help: "Print JSON for scripts.")
    package var json = false

    @Flag(help: "Do not open the PCM devices (no capabilities).")
    package var noProbe = false

    @Flag(help: "Also list the PCM names alsa-lib's configuration advertises (the simulated machine's names with -D sim).")
    package var hints = false

    @Flag(help: "List where default leads and every name that can be opened (alsa-lib's and the kernel's, merged), instead of the cards; the simulated machine's with -D sim.")
    package var names = false

    package init() {}

    package func validate() throws {
        // The name is checked as ALSA would: an hw: name with numbers out of range is refused here.
        if let device { _ = try Self.target(device) }
    }

    package func run() throws {
        Interruption.install()
        try Interruption.running(list)
        // Output to a full pipe that a signal cut short is not a listing.
        if Interruption.requested { throw Interruption.exitCode }
    }

    private func list() throws {
        if names {
            let simulated = device.map(SimulatedMachine.names) ?? false
            let report = NameReport(devices: AudioDevices(kernel: Self.kernel(simulated: simulated)), probe: !noProbe)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Say.line(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                Say.line(report.text)
            }
            return
        }
        let report = try Self.report(device: device, probe: !noProbe, hints: hints)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Say.line(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            Say.line(report.text)
        }
    }

    /// What `-D` asks for.
    package enum Target: Equatable, Sendable {
        /// Every card of a machine (the simulated one when `simulated`).
        case machine(simulated: Bool)
        /// One card, or one device of it, by `hw:` name.
        case hardware(name: String, simulated: Bool)
        /// A name alsa-lib serves.
        case alsaLib(String)
    }

    /// The target `device` names, or why it names none.
    package static func target(_ device: String?) throws(ValidationError) -> Target {
        guard let device else { return .machine(simulated: false) }
        if device == SimulatedMachine.name { return .machine(simulated: true) }
        let simulated = SimulatedMachine.hardwareName(for: device)
        let name = simulated ?? device
        let parsed: PCMName
        do {
            parsed = try PCMName(parsing: name)
        } catch {
            throw ValidationError("--device \(device): \(error.context ?? error.description)")
        }
        switch parsed {
        case .hardware: return .hardware(name: name, simulated: simulated != nil)
        case .library:
            if simulated != nil { throw ValidationError("--device \(device): the simulated machine has hw: names only (sim:hw:0,0, sim:hw:1,0)") }
            return .alsaLib(name)
        }
    }

    /// The report for this machine, or for the simulated one every tool shares (`-D sim`).
    package static func report(simulated: Bool, probe: Bool, hints: Bool) throws -> DeviceReport {
        try report(device: simulated ? SimulatedMachine.name : nil, probe: probe, hints: hints)
    }

    /// This machine's kernel, or the simulated machine every tool shares (`-D sim`).
    package static func kernel(simulated: Bool) -> any KernelInterface {
        simulated ? SimulatedMachine.make() : LinuxKernel.shared
    }

    /// The report for what `device` names (see `target`).
    package static func report(device: String?, probe: Bool, hints: Bool) throws -> DeviceReport {
        switch try target(device) {
        case .machine(let simulated):
            let devices = AudioDevices(kernel: kernel(simulated: simulated))
            var report = DeviceReport(listing: devices.listing(), probing: probe ? devices : nil,
                                      hints: hints && !simulated ? try PCMNameHint.all() : nil)
            if hints && simulated { report.hints = SimulatedMachine.nameHints }
            return report
        case .hardware(let name, let simulated):
            return try hardwareReport(name, kernel: kernel(simulated: simulated), probe: probe)
        case .alsaLib(let name):
            let options = PCMOpenOptions(nonBlocking: true)
            let pcm = DeviceReport.NamedPCM(
                name: name,
                playback: DeviceReport.stream { () throws(AlsaError) in
                    try PCMDevice.open(name, direction: .playback, options: options, transport: .alsaLib) },
                capture: DeviceReport.stream { () throws(AlsaError) in
                    try PCMDevice.open(name, direction: .capture, options: options, transport: .alsaLib) })
            if pcm.playback.probe == "failed" && pcm.capture.probe == "failed" {
                throw ToolFailure("\(name) cannot be opened: \(pcm.playback.error ?? "")")
            }
            return DeviceReport(pcm: pcm)
        }
    }

    /// The card a `hw:` name names, with only the device it names when it names one.
    static func hardwareReport(_ name: String, kernel: any KernelInterface, probe: Bool) throws -> DeviceReport {
        guard case .hardware(let reference, let device, _) = try PCMName(parsing: name) else {
            throw ToolFailure("\(name) is not a hw: name")
        }
        let devices = AudioDevices(kernel: kernel)
        var listing = devices.listing()
        let card: Int
        switch reference {
        case .index(let index): card = index
        case .id(let id):
            guard let found = listing.cards.first(where: { $0.id == id }) else { throw ToolFailure("there is no card with id \(id)") }
            card = found.index
        }
        // `hw:1` and `hw:CARD=x` name a card; PCMName reads a missing device as 0, so whether the
        // name gave one is read from the name itself.
        let namesDevice = name.contains(",") || name.contains("DEV=")
        guard listing.cards.contains(where: { $0.index == card }) else { throw ToolFailure("there is no card \(card)") }
        listing.cards = listing.cards.filter { $0.index == card }
        listing.devices = listing.pcmDevices(card: card).filter { !namesDevice || $0.device == device }
        if namesDevice && listing.devices.isEmpty { throw ToolFailure("card \(card) has no PCM device \(device)") }
        return DeviceReport(listing: listing, probing: probe ? devices : nil, hints: nil)
    }
}
