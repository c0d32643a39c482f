// sync-report: for every PCM device of the machine, whether it requires explicit sync, which of
// the kernel's two records (status, control) this process maps, and the sync strategy chosen.
import AlsaSimulation
import AlsaSwift
import ArgumentParser

@main
struct SyncReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-report",
        abstract: "Print, per device, whether it requires explicit sync and how its records move.",
        discussion: """
            --simulated reports AlsaSimulation's two-card machine: card 0 requires explicit sync, so both \
            records go through SYNC_PTR; card 1 is coherent, so both are mapped.
            """)

    @Flag(help: "Report the simulated machine instead of the real devices.")
    var simulated = false

    func run() {
        let devices = AudioDevices(kernel: simulated ? SimulatedKernel(machine: .explicitSyncAndCoherent) : LinuxKernel.shared)
        // Each kernel device, opened a moment per direction (a device another program holds is busy).
        for device in devices.list() where device.origin == .hardware {
            for (direction, probe) in devices.capabilities(of: device) {
                switch probe {
                case .available(_, let sync):
                    guard let strategy = sync.strategy else {
                        print("\(device.name) \(direction): no kernel PCM visible")
                        continue
                    }
                    print("\(device.name) \(direction): explicit sync \(strategy.deviceRequiresExplicitSync ? "yes" : "no"), "
                          + "status \(Self.describe(strategy.status)), control \(Self.describe(strategy.control)); \(strategy)")
                case .busy:
                    print("\(device.name) \(direction): busy (another program has it)")
                case .failed(let error):
                    print("\(device.name) \(direction): \(error)")
                }
            }
        }
    }

    /// How a record travels: mapped (no system call), or through SYNC_PTR.
    static func describe(_ path: RecordPath) -> String { path.isMapped ? "mapped" : "SYNC_PTR" }
}
