/// One name an app can open, as a device picker shows it: the name, the directions it serves and
/// what it is. alsa-lib's names (`default`, `sysdefault:CARD=…`, `plughw:…`, `dmix:…`, `pipewire`)
/// and the kernel's PCM devices are merged: a device the kernel lists and alsa-lib advertises as
/// `hw:CARD=<id>,DEV=<n>` is one entry.
public struct AudioDevice: Sendable, Equatable, CustomStringConvertible {
    /// Where the entry came from.
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        /// A kernel PCM device found through its card's control device (and advertised by
        /// alsa-lib too, when alsa-lib is present).
        case hardware
        /// A name alsa-lib's configuration advertises (`snd_device_name_hint`).
        case alsaLib

        /// `hardware` or `alsa-lib`.
        public var description: String { self == .hardware ? "hardware" : "alsa-lib" }
    }

    /// The name to open, e.g. with `PCMDevice.open(_:direction:)` or `PlaybackStream(device:)`.
    /// Kernel devices are named `hw:CARD=<id>,DEV=<n>`, which stays right when cards are renumbered.
    public var name: String
    /// The directions the name serves, playback first.
    public var directions: [StreamDirection]
    /// The first line of the description: `Dummy, Dummy PCM`, `PipeWire Sound Server`...
    public var title: String
    /// The rest of alsa-lib's description (`Direct hardware device without any conversions`), or "".
    public var details: String
    /// Whether the kernel lists the device (`.hardware`, merged with alsa-lib's hint for it) or
    /// only alsa-lib's configuration names it.
    public var origin: Origin
    /// The card the name belongs to, when it names one.
    public var card: Int?
    /// The kernel PCM device number, for kernel devices.
    public var device: Int?
    /// The transport `PCMDevice.open` uses for this name by default.
    public var transport: PCMTransport
    /// Why this entry is incomplete (a device whose details the kernel would not give); the rest of
    /// the listing is unaffected.
    public var problem: AlsaError?
    /// What the card's control device says of the kernel PCM device behind a `.hardware` entry
    /// (its id, name and subdevices per direction, as `aplay -l` prints them); nil for a name only
    /// alsa-lib knows.
    public var kernelInfo: KernelInfo?

    /// An entry as `AudioDevices.list()` makes it; public so apps and tests can build their own.
    public init(name: String, directions: [StreamDirection], title: String, details: String, origin: Origin,
                card: Int?, device: Int?, transport: PCMTransport, problem: AlsaError? = nil, kernelInfo: KernelInfo? = nil) {
        self.name = name
        self.directions = directions
        self.title = title
        self.details = details
        self.origin = origin
        self.card = card
        self.device = device
        self.transport = transport
        self.problem = problem
        self.kernelInfo = kernelInfo
    }

    /// Whether the name can be opened for `direction`.
    public func serves(_ direction: StreamDirection) -> Bool { directions.contains(direction) }

    /// `hw:CARD=Dummy,DEV=0 (playback+capture, direct kernel transport): Dummy, Dummy PCM`, with
    /// the problem in brackets when there is one.
    public var description: String {
        let ways = directions.map(\.description).joined(separator: "+")
        let problem = problem.map { " [\($0)]" } ?? ""
        return "\(name) (\(ways), \(transport)): \(title)\(problem)"
    }
}

extension AudioDevice {
    /// A kernel PCM device as its card's control device describes it (PCM_INFO), without opening it.
    public struct KernelInfo: Sendable, Equatable {
        /// The device's id, as PCM_INFO reports it.
        public var id: String
        /// The device's name, as PCM_INFO reports it (`Dummy PCM`).
        public var name: String
        /// Each direction the kernel lists for the device, playback first, including one whose
        /// PCM_INFO failed (with its `problem`).
        public var substreams: [Substreams]

        /// A description as the control device gives it; public so apps and tests can build their own.
        public init(id: String, name: String, substreams: [Substreams]) {
            self.id = id
            self.name = name
            self.substreams = substreams
        }

        /// The subdevices of `direction`, nil when the device has no such direction.
        public func substreams(_ direction: StreamDirection) -> Substreams? {
            substreams.first { $0.direction == direction }
        }
    }

    /// The subdevices of one direction of a kernel PCM device: how many streams can run at once.
    public struct Substreams: Sendable, Equatable {
        /// Playback or capture.
        public var direction: StreamDirection
        /// The number of subdevices.
        public var count: Int
        /// Subdevices no process holds right now.
        public var available: Int
        /// Why the kernel would not describe this direction (PCM_INFO failed); the counts are 0 then.
        public var problem: AlsaError?

        /// A direction's subdevices as PCM_INFO gives them; public so apps and tests can build their own.
        public init(direction: StreamDirection, count: Int, available: Int, problem: AlsaError? = nil) {
            self.direction = direction
            self.count = count
            self.available = available
            self.problem = problem
        }
    }
}

/// What opening a name for a moment told about one direction of it.
public enum DeviceCapabilityProbe: Sendable, Equatable, CustomStringConvertible {
    /// The formats, rates, channels, period and buffer ranges the name offers (for alsa-lib names:
    /// after its plugins), and whether the kernel PCM behind it requires explicit sync and how this
    /// process would move the records. For a plugin with no kernel PCM visible, `sync` says so.
    case available(capabilities: HardwareCapabilities, sync: SyncReport)
    /// The device is held by another process (EBUSY); nothing else was learned.
    case busy
    /// Opening or asking failed for another reason.
    case failed(AlsaError)

    /// What the name offers, when the probe got that far.
    public var capabilities: HardwareCapabilities? {
        if case .available(let capabilities, _) = self { return capabilities }
        return nil
    }

    /// The sync report of the name, when the probe got that far.
    public var sync: SyncReport? {
        if case .available(_, let sync) = self { return sync }
        return nil
    }

    /// One line: formats, channel, rate, period and buffer ranges, then the sync report; or
    /// `busy`, or `failed:` and the error.
    public var description: String {
        switch self {
        case .available(let c, let sync):
            let formats = c.formats.map(\.description).joined(separator: ",")
            return "\(formats), \(c.channelCount.lowerBound)-\(c.channelCount.upperBound) ch, \(c.sampleRate.lowerBound)-\(c.sampleRate.upperBound) Hz, "
                + "period \(c.periodSize.lowerBound)-\(c.periodSize.upperBound) frames, buffer \(c.bufferSize.lowerBound)-\(c.bufferSize.upperBound) frames; \(sync)"
        case .busy: return "busy"
        case .failed(let error): return "failed: \(error)"
        }
    }
}

/// The machine's sound cards and every name that can be opened (`AudioDevices.listing()`), and why
/// alsa-lib's part is missing when it is.
public struct AudioDeviceListing: Sendable, Equatable, CustomStringConvertible {
    /// Every card the kernel lists, by index, with its raw MIDI devices; a card that could not be
    /// listed in full carries its `problem`.
    public var cards: [SoundCard]
    /// Every name, `default` first (see `AudioDevices.list()`).
    public var devices: [AudioDevice]
    /// Why alsa-lib's name hints could not be read; the kernel's devices are listed regardless.
    public var hintProblem: AlsaError?

    /// A listing of these cards and devices; public so apps and tests can build their own.
    public init(cards: [SoundCard] = [], devices: [AudioDevice], hintProblem: AlsaError?) {
        self.cards = cards
        self.devices = devices
        self.hintProblem = hintProblem
    }

    /// The kernel PCM devices of card `index` (the `.hardware` entries), in device order.
    public func pcmDevices(card index: Int) -> [AudioDevice] {
        devices.filter { $0.origin == .hardware && $0.card == index && $0.device != nil }
            .sorted { ($0.device ?? 0) < ($1.device ?? 0) }
    }

    /// One device per line, then the hint problem, if any.
    public var description: String {
        let lines = devices.map(\.description) + (hintProblem.map { ["alsa-lib's names are missing: \($0)"] } ?? [])
        return lines.joined(separator: "\n")
    }
}
