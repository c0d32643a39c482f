// volume-watch: a card's main playback volume, set and read back, then cards coming and going.
import AlsaSimulation
import AlsaSwift
import ArgumentParser
import ExampleAppOptions

@main
struct VolumeWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume-watch",
        abstract: "Set and read back a card's main playback volume, then print cards and devices coming and going.",
        discussion: """
            --simulated runs on AlsaSimulation's two-card machine, and pulls card 1 out and plugs it back \
            in while it watches, as a USB headset would be.
            """)

    @Option(help: "The card, 0 to 31.")
    var card = 0

    @Option(parsing: .unconditional, help: "The volume to set, in dB (the card's nearest step).")
    var decibels: Double?

    /// --seconds: how long to watch for changes.
    @OptionGroup var options: AppOptions

    func validate() throws {
        guard (0...31).contains(card) else { throw ValidationError("--card must be from 0 to 31") }
        guard decibels.map({ abs($0) <= 200 }) ?? true else { throw ValidationError("--decibels must be from -200 to 200") }
    }

    func run() throws {
        let machine = options.machine()
        let kernel: any KernelInterface = machine ?? LinuxKernel.shared

        // The card's main playback volume, as alsamixer picks it: Master, else PCM, Speaker...
        guard let volume = try CardControls(card: card, kernel: kernel).mainVolume(.playback) else {
            print("card \(card) has no playback volume")
            throw ExitCode.failure
        }
        if let decibels {
            try volume.setDecibels(decibels)   // the nearest step the card has
            print("card \(card) \(volume.name): set \(Self.format(decibels)) dB")
            print("card \(card) \(volume.name): reads \(try Self.describe(volume))")
        } else {
            print("card \(card) \(volume.name): is at \(try Self.describe(volume))")
        }

        // Cards and devices coming and going, from the kernel's device nodes: no daemon needed.
        let changes = try DeviceChanges(kernel: kernel)
        if let machine {
            machine.removeCard(1)
            machine.addDevice(card: 1, device: 0, hardware: .dummy)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(options.seconds * 1000))
        while case let remaining = deadline - ContinuousClock.now, remaining > .zero,
              let change = try changes.nextBlocking(timeout: remaining) {
            switch change {
            case .cardAdded(let card): print("card \(card) added")
            case .cardRemoved(let card): print("card \(card) removed")
            case .pcmAdded(let card, let device, let direction): print("hw:\(card),\(device) \(direction) added")
            case .pcmRemoved(let card, let device, let direction): print("hw:\(card),\(device) \(direction) removed")
            case .midiAdded(let card, let device): print("MIDI hw:\(card),\(device) added")
            case .midiRemoved(let card, let device): print("MIDI hw:\(card),\(device) removed")
            }
        }
    }

    /// `-12.0 dB (value 23 of 0...31)`, and whether it is muted.
    static func describe(_ volume: CardVolume) throws -> String {
        let muted = try volume.hasSwitch && volume.isMuted() ? ", muted" : ""
        return "\(format(try volume.decibels())) dB (value \(try volume.value()) of \(volume.valueRange)\(muted))"
    }

    /// One decimal, as a mixer shows a gain.
    static func format(_ decibels: Double) -> String { String(Double((decibels * 10).rounded()) / 10) }
}
