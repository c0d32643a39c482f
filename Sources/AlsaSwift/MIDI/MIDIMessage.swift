/// One MIDI 1.0 message, as a keyboard, a controller or a synthesizer sends it.
///
/// Channels are numbered 0 to 15 as on the wire (what a synth's display calls channel 1 is 0 here),
/// and every data value is 0 to 127 unless its case says otherwise. A note-on with velocity 0 stays
/// a `.noteOn` (many keyboards send it for a note-off); nothing is rewritten on the way in.
///
/// Messages read from a raw MIDI device or the sequencer are always in range. A message built by
/// the app is checked when it is sent: a value out of range is an `AlsaError` of `.midiMessage`
/// with EINVAL, and nothing is sent.
public enum MIDIMessage: Sendable, Hashable {
    /// A key released.
    case noteOff(channel: Int, note: Int, velocity: Int)
    /// A key pressed.
    case noteOn(channel: Int, note: Int, velocity: Int)
    /// Pressure on one held key (polyphonic aftertouch).
    case polyphonicAftertouch(channel: Int, note: Int, pressure: Int)
    /// A controller moved: `controller` 0 to 127 (1 is the modulation wheel, 64 the sustain pedal).
    case controlChange(channel: Int, controller: Int, value: Int)
    /// An instrument chosen.
    case programChange(channel: Int, program: Int)
    /// Pressure on the whole keyboard (channel aftertouch).
    case channelAftertouch(channel: Int, pressure: Int)
    /// The pitch wheel: -8192 to 8191, 0 in the centre.
    case pitchBend(channel: Int, value: Int)
    /// A system exclusive message of any length: the bytes between F0 and F7, each 0 to 127.
    case systemExclusive([UInt8])
    /// A MIDI time code quarter frame: its data byte (piece number and value), 0 to 127.
    case timeCodeQuarterFrame(Int)
    /// Song position pointer, in MIDI beats (sixteenth notes) from the start: 0 to 16383.
    case songPosition(Int)
    /// A song chosen: 0 to 127.
    case songSelect(Int)
    /// Tune request.
    case tuneRequest
    /// Timing clock, 24 to the quarter note.
    case clock
    /// Start playing from the beginning.
    case start
    /// Continue from where playing stopped.
    case `continue`
    /// Stop playing.
    case stop
    /// Active sensing: the sender is still there.
    case activeSensing
    /// System reset.
    case systemReset
    /// Bytes that make no message (see `InvalidMIDI`): kept as they came, in their place in the
    /// stream, so that nothing is lost silently. Sending it sends those bytes unchanged.
    case invalid(InvalidMIDI)

    /// The channel of a channel message (note, controller, program, aftertouch, pitch bend); nil
    /// for system messages.
    public var channel: Int? {
        switch self {
        case .noteOff(let channel, _, _), .noteOn(let channel, _, _), .polyphonicAftertouch(let channel, _, _),
             .controlChange(let channel, _, _), .programChange(let channel, _), .channelAftertouch(let channel, _),
             .pitchBend(let channel, _):
            channel
        default:
            nil
        }
    }

    /// Whether the message is a system real-time message (clock, start, continue, stop, active
    /// sensing, reset): one byte that may come anywhere in the stream, even inside a SysEx.
    public var isRealTime: Bool {
        switch self {
        case .clock, .start, .continue, .stop, .activeSensing, .systemReset: true
        default: false
        }
    }

    /// The bytes that carry the message on a MIDI cable (no running status), after checking every
    /// value is in range.
    public func bytes() throws(AlsaError) -> [UInt8] {
        var bytes: [UInt8] = []
        try MIDIEncoder.append(self, to: &bytes)
        return bytes
    }
}

/// Bytes of a MIDI stream that make no message, and why. A parser never traps and never stops on
/// them: it sets them aside as one of these and carries on with the next status byte.
public struct InvalidMIDI: Error, Sendable, Hashable {
    /// Why the bytes make no message.
    public enum Reason: Sendable, Hashable {
        /// Data bytes with no status byte before them (the stream began mid-message, or running
        /// status was cancelled by a system message).
        case dataWithoutStatus
        /// A status byte whose data bytes were cut short by another status byte.
        case incompleteMessage
        /// A system exclusive message cut short by a status byte other than F7 (end of exclusive)
        /// or a real-time byte. `bytes` holds it from F0 on.
        case unterminatedSystemExclusive
        /// A system exclusive message longer than the parser's limit: its bytes were dropped as
        /// they came, and `length` counts them (F0 and F7 included).
        case systemExclusiveTooLong(limit: Int)
        /// A status byte MIDI 1.0 leaves undefined (F4, F5, F9, FD).
        case undefinedStatus
        /// F7 (end of exclusive) with no system exclusive message open.
        case endWithoutStart
    }

    /// Why the bytes make no message.
    public var reason: Reason
    /// The bytes set aside, as they came (empty for a SysEx over the limit).
    public var bytes: [UInt8]
    /// How many bytes were set aside: `bytes.count`, or the dropped SysEx's length.
    public var length: Int

    /// Bytes set aside for `reason`; `length` defaults to their count.
    public init(_ reason: Reason, bytes: [UInt8], length: Int? = nil) {
        self.reason = reason
        self.bytes = bytes
        self.length = length ?? bytes.count
    }
}
