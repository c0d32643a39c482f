import AlsaSimulation
import ArgumentParser

/// What the example apps that run for a while take: how long, and whether on the simulated
/// machine (AlsaSimulation's two cards: card 0 requires explicit sync, card 1 is coherent).
package struct AppOptions: ParsableArguments {
    @Option(help: "How long to run, 0.1 to 3600 seconds.")
    package var seconds: Double = 1

    @Flag(help: "Run on the simulated two-card machine instead of the real devices.")
    package var simulated = false

    package init() {}

    package func validate() throws {
        guard (0.1...3600).contains(seconds) else { throw ValidationError("--seconds must be from 0.1 to 3600") }
    }

    /// A new simulated machine with --simulated; nil for the real devices.
    package func machine() -> SimulatedKernel? {
        simulated ? SimulatedKernel(machine: .explicitSyncAndCoherent) : nil
    }

    /// The device to open: `given`, else card `card` of the simulated machine, else `default`.
    package func device(_ given: String?, simulatedCard card: Int) -> String {
        given ?? (simulated ? "hw:\(card),0" : "default")
    }
}
