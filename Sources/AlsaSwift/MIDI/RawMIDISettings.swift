import CAlsaKernel

/// The directions of a raw MIDI device: its MIDI IN (read) and MIDI OUT (write).
public struct RawMIDIDirections: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The device's MIDI IN: what a keyboard plugged into it plays, read by the app.
    public static let input = RawMIDIDirections(rawValue: 1)
    /// The device's MIDI OUT: what the app writes, sent to a synth plugged into it.
    public static let output = RawMIDIDirections(rawValue: 2)

    /// `I`, `O` or `IO`, as amidi lists them.
    public var description: String { (contains(.input) ? "I" : "") + (contains(.output) ? "O" : "") }

    /// The kernel's stream number (SNDRV_RAWMIDI_STREAM_INPUT or _OUTPUT) of a single direction.
    var stream: Int32 { self == .input ? Int32(ALSA_RAWMIDI_STREAM_INPUT) : Int32(ALSA_RAWMIDI_STREAM_OUTPUT) }
}

/// How one direction of an open raw MIDI device buffers (RAWMIDI PARAMS).
public struct RawMIDIParameters: Sendable, Hashable, CustomStringConvertible {
    /// The kernel's buffer for the direction, in bytes: 32 to 1 MiB (the kernel's default is 4096).
    /// Input arriving while it is full is lost and counted in `RawMIDIStatus.xruns`.
    public var bufferSize: Int
    /// How many bytes (input) or how much room (output) wakes a waiting reader or writer: 1 to
    /// `bufferSize`.
    public var wakeUpBytes: Int
    /// Output only: do not send active sensing (FE) when the device is closed. The kernel sends it
    /// by default, so that a synth whose sender went away silences its notes.
    public var noActiveSensing: Bool

    /// The kernel's defaults unless told otherwise.
    public init(bufferSize: Int = 4096, wakeUpBytes: Int = 1, noActiveSensing: Bool = false) {
        self.bufferSize = bufferSize
        self.wakeUpBytes = wakeUpBytes
        self.noActiveSensing = noActiveSensing
    }

    /// The kernel's limits (snd_rawmidi_*_params), checked before the kernel sees the values.
    static let bufferSizes = 32...(1 << 20)

    /// `buffer 4096 bytes, wake at 1`, and `no active sensing` when set.
    public var description: String {
        "buffer \(bufferSize) bytes, wake at \(wakeUpBytes)" + (noActiveSensing ? ", no active sensing" : "")
    }
}

/// The state of one direction of an open raw MIDI device (RAWMIDI STATUS).
public struct RawMIDIStatus: Sendable, Hashable, CustomStringConvertible {
    /// Input: bytes waiting to be read. Output: room in the buffer, in bytes.
    public var available: Int
    /// Input: bytes lost since the last status because the buffer was full (the kernel counts
    /// them and starts again at 0 after each status). Always 0 for output.
    public var xruns: Int

    /// A status with these counts; public so tests can build their own.
    public init(available: Int, xruns: Int) {
        self.available = available
        self.xruns = xruns
    }

    /// `avail 12, xruns 0`.
    public var description: String { "avail \(available), xruns \(xruns)" }
}

/// What the kernel says about an open raw MIDI device (RAWMIDI INFO).
public struct RawMIDIPortInfo: Sendable, Hashable, CustomStringConvertible {
    /// The card's number.
    public var card: Int
    /// The device's number on its card.
    public var device: Int
    /// The subdevice this file holds (the input's when both directions are open).
    public var subdevice: Int
    /// The device's id.
    public var id: String
    /// The device's name.
    public var name: String
    /// The subdevice's name.
    public var subdeviceName: String
    /// The directions this file holds.
    public var directions: RawMIDIDirections

    /// `hw:1,0,0 IO "VirMIDI 1-0"`.
    public var description: String { "hw:\(card),\(device),\(subdevice) \(directions) \"\(subdeviceName.isEmpty ? name : subdeviceName)\"" }
}
