import AlsaSwift
import ArgumentParser

/// `-l` and `-L`, as aplay and arecord have them: list instead of playing or recording.
package struct ListingOptions: ParsableArguments, Sendable {
    @Flag(name: [.customShort("l"), .customLong("list-devices")],
          help: "List the sound cards and their PCM devices for this direction, as aplay -l does (the simulated machine's with -D sim).")
    /// `-l`.
    package var listDevices = false

    @Flag(name: [.customShort("L"), .customLong("list-pcms")],
          help: "List the PCM names alsa-lib's configuration defines for this direction, as aplay -L does (the simulated machine's with -D sim).")
    /// `-L`.
    package var listNames = false

    /// No listing unless asked.
    package init() {}

    /// Whether a listing replaces the tool's work (no file is needed then).
    package var lists: Bool { listDevices || listNames }

    /// Prints what was asked for `direction` on the machine `device` names, to standard output
    /// (a listing is the tool's output, as aplay's is).
    package func run(_ direction: StreamDirection, device: DeviceOptions) throws {
        if listDevices {
            let kernel: any KernelInterface = device.isSimulated ? SimulatedMachine.make() : LinuxKernel.shared
            let listing = AudioDevices(kernel: kernel).listing()
            if let text = DeviceListing.hardware(listing, direction: direction) {
                Say.line(text)
            } else {
                Say.error("no soundcards found...")
            }
        }
        if listNames {
            let hints = device.isSimulated ? SimulatedMachine.nameHints
                : try PCMNameHint.all().map { DeviceReport.Hint(name: $0.name, description: $0.description, direction: $0.direction?.description) }
            Say.line(DeviceListing.names(hints, direction: direction))
        }
    }
}

/// `-q` and `-v`: how much a player or recorder says, on standard error (standard output may
/// carry the audio).
package struct ReportOptions: ParsableArguments, Sendable {
    @Flag(name: .shortAndLong, help: "Print only errors: no status lines, no progress.")
    package var quiet = false

    @Flag(name: .shortAndLong, help: "Also print the hardware and software parameters the device granted, as aplay -v does.")
    package var verbose = false

    /// Status lines, no parameters.
    package init() {}

    /// Refuses `-q` with `-v`.
    package func validate() throws {
        if quiet && verbose { throw ValidationError("-q and -v contradict each other") }
    }

    /// Prints a status line to standard error unless `-q`.
    package func status(_ text: @autoclosure () -> String) {
        if !quiet { Say.error(text()) }
    }

    /// Prints what `pcm` was granted to standard error with `-v`.
    package func setup(of pcm: any PCM) {
        if verbose { Say.error(DeviceListing.setup(of: pcm)) }
    }
}
