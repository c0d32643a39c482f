import CAlsaKernel

/// A sequencer port: client number and port number, written `client:port` (`14:0`) as aconnect
/// and aseqdump write them.
public struct SequencerAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The client's number: 0 is the System client, 14 Midi Through, 16-127 kernel drivers'
    /// (a USB keyboard, snd-virmidi), 128 and up applications'.
    public var client: Int
    /// The port's number within its client.
    public var port: Int

    /// The address `client:port`.
    public init(client: Int, port: Int) {
        self.client = client
        self.port = port
    }

    /// Parses `client:port` written with numbers (`128:0`), or just `client` for its port 0.
    /// Client names are resolved by `Sequencer.address(of:)`.
    public init(parsing text: String) throws(AlsaError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let client = Int(parts[0]), let port = parts.count == 2 ? Int(parts[1]) : 0 else {
            throw AlsaError(.sequencerPortInfo, .invalidArgument, context: "\(text) is not a sequencer address (client:port)")
        }
        self.init(client: client, port: port)
        try checked(.sequencerPortInfo)
    }

    /// The System client's timer port, which queue control events go to.
    public static let systemTimer = SequencerAddress(client: 0, port: 0)
    /// The System client's announce port: connect to it to hear of clients and ports coming and
    /// going (see `SequencerChanges`).
    public static let systemAnnounce = SequencerAddress(client: 0, port: 1)
    /// snd-seq-dummy's "Midi Through Port-0", which passes on whatever it receives.
    public static let midiThrough = SequencerAddress(client: 14, port: 0)

    /// `14:0`.
    public var description: String { "\(client):\(port)" }

    public static func < (a: SequencerAddress, b: SequencerAddress) -> Bool { (a.client, a.port) < (b.client, b.port) }

    /// The address as the kernel's record holds it, after checking both numbers fit (0 to 255).
    func record(_ operation: PCMOperation) throws(AlsaError) -> alsa_seq_addr {
        try checked(operation)
        return alsa_seq_addr(client: UInt8(client), port: UInt8(port))
    }

    func checked(_ operation: PCMOperation) throws(AlsaError) {
        guard (0...255).contains(client), (0...255).contains(port) else {
            throw AlsaError(operation, .invalidArgument, context: "sequencer address \(self) is out of range (0-255:0-255)")
        }
    }

    init(_ record: alsa_seq_addr) { self.init(client: Int(record.client), port: Int(record.port)) }
}

/// What a sequencer port allows: who may read from it and write to it, directly or by
/// subscription (a connection made by either end or by a third client such as aconnect).
public struct SequencerPortCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Events can be read from the port (it sends).
    public static let read = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_READ)
    /// Events can be written to the port (it receives).
    public static let write = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_WRITE)
    /// Synchronised reading (for timing sources).
    public static let syncRead = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_SYNC_READ)
    /// Synchronised writing.
    public static let syncWrite = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_SYNC_WRITE)
    /// Reading and writing at once.
    public static let duplex = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_DUPLEX)
    /// Other clients may connect from the port (subscribe to read it).
    public static let subscribeRead = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_SUBS_READ)
    /// Other clients may connect to the port (subscribe to write it).
    public static let subscribeWrite = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_SUBS_WRITE)
    /// Only the owner may connect it; third clients may not.
    public static let noExport = SequencerPortCapabilities(rawValue: ALSA_SEQ_PORT_CAP_NO_EXPORT)

    /// A port others receive from: an app's MIDI out (what aplaymidi and a virtual keyboard have).
    public static let output: SequencerPortCapabilities = [.read, .subscribeRead]
    /// A port others send to: an app's MIDI in (what aseqdump has).
    public static let input: SequencerPortCapabilities = [.write, .subscribeWrite]
}

/// What a sequencer port is.
public struct SequencerPortTypes: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Hardware-specific events.
    public static let specific = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_SPECIFIC)
    /// Understands MIDI messages.
    public static let midiGeneric = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_MIDI_GENERIC)
    /// General MIDI compatible.
    public static let midiGM = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_MIDI_GM)
    /// A synth device that is not MIDI (direct wavetable).
    public static let synth = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_SYNTH)
    /// Driven by a hardware device.
    public static let hardware = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_HARDWARE)
    /// Implemented in software.
    public static let software = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_SOFTWARE)
    /// Makes sound.
    public static let synthesizer = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_SYNTHESIZER)
    /// Connects to other devices (a MIDI port of an interface).
    public static let port = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_PORT)
    /// An application (sequencer, editor).
    public static let application = SequencerPortTypes(rawValue: ALSA_SEQ_PORT_TYPE_APPLICATION)
}

/// A sequencer port, as the listing (`Sequencer.clients()`) shows it.
public struct SequencerPortInfo: Sendable, Hashable, CustomStringConvertible {
    /// Its address.
    public var address: SequencerAddress
    /// Its name.
    public var name: String
    /// What it allows.
    public var capabilities: SequencerPortCapabilities
    /// What it is.
    public var types: SequencerPortTypes
    /// The MIDI channels it has.
    public var midiChannels: Int
    /// The ports its events go to (aconnect's "Connecting To").
    public var connectedTo: [SequencerAddress]
    /// The ports whose events come to it (aconnect's "Connected From").
    public var connectedFrom: [SequencerAddress]

    /// `14:0 'Midi Through Port-0'`.
    public var description: String { "\(address) '\(name)'" }
}

/// A sequencer client (an application's open sequencer, or a kernel driver's), with its ports.
public struct SequencerClientInfo: Sendable, Hashable, CustomStringConvertible {
    /// Its number.
    public var number: Int
    /// Its name.
    public var name: String
    /// A kernel driver's client (System, Midi Through, a MIDI interface's), not an application's.
    public var isKernelClient: Bool
    /// Events it could not take because its queue was full, as the kernel counts them.
    public var lostEvents: Int
    /// Its ports, in order.
    public var ports: [SequencerPortInfo]

    /// `client 14: 'Midi Through' [type=kernel]`, as aconnect -l begins it.
    public var description: String { "client \(number): '\(name)' [type=\(isKernelClient ? "kernel" : "user")]" }
}
