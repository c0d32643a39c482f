/// Where the default device of one direction leads on this system: the name an app opens when it
/// asks for no device (`PlaybackStream(device: "default")`) and what is behind that name.
///
/// On the machine's kernel the name is alsa-lib's `default`; it is opened for a moment
/// (non-blocking, nothing configured) and the kernel PCM behind it is asked directly, so a
/// PipeWire, PulseAudio or dmix default is told apart from a card. A simulated kernel has no
/// alsa-lib: its default is what alsa-lib's own configuration gives when nothing overrides it,
/// `defaults.pcm.card` 0 and `defaults.pcm.device` 0, so `hw:0,0`.
public struct DefaultDevice: Sendable, Equatable, CustomStringConvertible {
    /// What is behind the default name.
    public enum Route: Sendable, Equatable {
        /// A kernel PCM is visible behind the name. `card` is the card's identity, when its
        /// control device answered.
        case hardware(HardwareAddress, card: SoundCard?)
        /// A plugin with no kernel PCM in this process: a sound server (PipeWire, PulseAudio), or
        /// dmix/dsnoop (whose kernel PCM is shared through a timer), `null`, `file`... `card` is
        /// the card alsa-lib names behind it, if any.
        case plugin(card: Int?)
        /// The name cannot be opened now; the error says why (no card, a busy device, a sound
        /// server that is not running).
        case unavailable(AlsaError)
    }

    /// The direction asked about: the default for playback and for capture may differ.
    public var direction: StreamDirection
    /// The name to open: `default` on the machine, `hw:0,0` on a simulated kernel.
    public var name: String
    /// The `type` of the name's definition in alsa-lib's configuration (`plug`, `pipewire`,
    /// `pulse`, `dmix`, `hw`...), read without opening anything; nil on a simulated kernel or when
    /// the configuration defines no such PCM.
    public var configuredType: String?
    /// What is behind the name.
    public var route: Route

    /// A resolution as `AudioDevices.defaultDevice(_:)` makes it; public so tests can build their own.
    public init(direction: StreamDirection, name: String, configuredType: String?, route: Route) {
        self.direction = direction
        self.name = name
        self.configuredType = configuredType
        self.route = route
    }

    /// The kernel substream behind the default name, when one is visible.
    public var hardware: HardwareAddress? {
        if case .hardware(let address, _) = route { return address }
        return nil
    }

    /// The card behind the default name: the kernel PCM's, or the one alsa-lib names behind a plugin.
    public var card: Int? {
        switch route {
        case .hardware(let address, _): address.card
        case .plugin(let card): card
        case .unavailable: nil
        }
    }

    /// `default playback: default (type empty) -> hw:0,0,0, card Dummy: Dummy`, or the plugin, or
    /// why the name cannot be opened.
    public var description: String {
        let type = configuredType.map { " (type \($0))" } ?? ""
        switch route {
        case .hardware(let address, let card):
            let named = card.map { ", card \($0.id): \($0.name)" } ?? ""
            return "default \(direction): \(name)\(type) -> \(address)\(named)"
        case .plugin(let card):
            let behind = card.map { ", over card \($0)" } ?? ""
            return "default \(direction): \(name)\(type) -> a plugin with no kernel PCM visible\(behind)"
        case .unavailable(let error):
            return "default \(direction): \(name)\(type) cannot be opened: \(error)"
        }
    }
}
