import CAlsaKernel
import SystemPackage

/// What a simulated raw MIDI device is: its name and which ports it has. Added with
/// `SimulatedKernel.addMIDIDevice`, it appears as `/dev/snd/midiC<card>D<device>` and in its card's
/// control device (RAWMIDI_NEXT_DEVICE, RAWMIDI_INFO), as a real MIDI interface does.
public struct SimulatedMIDIDevice: Sendable, Equatable {
    /// The device's name (RAWMIDI_INFO `name`), and its one subdevice's (`subname`).
    public var name: String
    /// The device's id (RAWMIDI_INFO `id`).
    public var id: String
    /// Whether it has a MIDI IN (the app reads what arrives there).
    public var input: Bool
    /// Whether it has a MIDI OUT (the app writes what leaves there).
    public var output: Bool

    /// A device with both ports unless told otherwise.
    public init(name: String = "Simulated MIDI", id: String = "SimMIDI", input: Bool = true, output: Bool = true) {
        self.name = name
        self.id = id
        self.input = input
        self.output = output
    }
}

/// One direction of a simulated raw MIDI device: its buffer and who holds it open
/// (snd_rawmidi_runtime). Used under the kernel's lock.
final class RawMIDIStream {
    /// Input: bytes received and not yet read. Output: bytes written and not yet sent (only while
    /// the device is stalled; a running device sends at once).
    var bytes: [UInt8] = []
    var bufferSize = 4096
    var availMin = 1
    /// Input: bytes dropped because the buffer was full, since the last STATUS.
    var xruns = 0
    var noActiveSensing = false
    /// The open file holding this direction, if any.
    var file: Int32?
    /// Input: started by the holder's first read or poll (snd_rawmidi_input_trigger). Until then
    /// the driver drops what arrives, as virmidi and USB MIDI do: nothing is buffered for a file
    /// that has not asked yet.
    var triggered = false

    /// Input: bytes waiting. Output: room.
    func avail(input: Bool) -> Int { input ? bytes.count : bufferSize - bytes.count }

    /// A direction is released: its runtime and parameters go with it.
    func release() {
        bytes = []
        bufferSize = 4096
        availMin = 1
        xruns = 0
        noActiveSensing = false
        file = nil
        triggered = false
    }
}

/// A simulated raw MIDI device: the model of one snd_rawmidi with one subdevice per direction.
final class SimulatedRawMIDIDevice {
    let card: Int
    let device: Int
    let description: SimulatedMIDIDevice
    let input = RawMIDIStream()
    let output = RawMIDIStream()
    /// Where the device's MIDI OUT is plugged: another device's (or its own) MIDI IN.
    var loop: (card: Int, device: Int)?
    /// While set, written bytes stay in the output buffer (a device that stopped sending).
    var stalled = false
    /// Every byte the device sent out since it was added.
    var sent: [UInt8] = []
    /// Unplugged: the node is gone and its open files fail with ENODEV.
    var removed = false

    init(card: Int, device: Int, description: SimulatedMIDIDevice) {
        self.card = card
        self.device = device
        self.description = description
    }

    var path: String { SimulatedKernel.midiPath(card: card, device: device) }

    /// RAWMIDI_INFO for one direction (snd_rawmidi_info): EINVAL for a stream that is neither,
    /// ENOENT for a direction the device lacks, ENXIO for a subdevice it does not have.
    func fillInfo(_ info: UnsafeMutablePointer<snd_rawmidi_info>, stream: Int32, subdevice: UInt32) throws(Errno) {
        guard stream == ALSA_RAWMIDI_STREAM_OUTPUT || stream == ALSA_RAWMIDI_STREAM_INPUT else { throw .invalidArgument }
        let isInput = stream == ALSA_RAWMIDI_STREAM_INPUT
        guard isInput ? description.input : description.output else { throw .noSuchFileOrDirectory }
        guard subdevice == 0 else { throw .noSuchAddressOrDevice }
        info.pointee = snd_rawmidi_info()
        info.pointee.card = Int32(truncatingIfNeeded: card)
        info.pointee.device = UInt32(truncatingIfNeeded: device)
        info.pointee.subdevice = 0
        info.pointee.stream = stream
        var flags: UInt32 = 0
        if description.output { flags |= ALSA_RAWMIDI_INFO_OUTPUT }
        if description.input { flags |= ALSA_RAWMIDI_INFO_INPUT }
        if description.input && description.output { flags |= ALSA_RAWMIDI_INFO_DUPLEX }
        info.pointee.flags = flags
        withUnsafeMutableBytes(of: &info.pointee.id) { copyCString(description.id, into: $0) }
        withUnsafeMutableBytes(of: &info.pointee.name) { copyCString(description.name, into: $0) }
        withUnsafeMutableBytes(of: &info.pointee.subname) { copyCString(description.name, into: $0) }
        info.pointee.subdevices_count = 1
        let stream = isInput ? input : output
        info.pointee.subdevices_avail = stream.file == nil ? 1 : 0
    }
}
