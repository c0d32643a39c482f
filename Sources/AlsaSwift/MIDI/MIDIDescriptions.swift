// How MIDI values read when printed: in aseqdump's words, one line each.

extension MIDIMessage: CustomStringConvertible {
    /// `Note on 0, note 60, velocity 127`, `Control change 3, controller 7, value 90`,
    /// `System exclusive F0 7E 7F 09 01 F7`...
    public var description: String {
        switch self {
        case .noteOff(let channel, let note, let velocity): "Note off \(channel), note \(note), velocity \(velocity)"
        case .noteOn(let channel, let note, let velocity): "Note on \(channel), note \(note), velocity \(velocity)"
        case .polyphonicAftertouch(let channel, let note, let pressure): "Polyphonic aftertouch \(channel), note \(note), value \(pressure)"
        case .controlChange(let channel, let controller, let value): "Control change \(channel), controller \(controller), value \(value)"
        case .programChange(let channel, let program): "Program change \(channel), program \(program)"
        case .channelAftertouch(let channel, let pressure): "Channel aftertouch \(channel), value \(pressure)"
        case .pitchBend(let channel, let value): "Pitch bend \(channel), value \(value)"
        case .systemExclusive(let payload): "System exclusive " + hexBytes([0xF0] + payload + [0xF7])
        case .timeCodeQuarterFrame(let value): "MTC quarter frame \(value >> 4)/\(value & 0x0F)"
        case .songPosition(let beats): "Song position pointer \(beats)"
        case .songSelect(let song): "Song select \(song)"
        case .tuneRequest: "Tune request"
        case .clock: "Clock"
        case .start: "Start"
        case .continue: "Continue"
        case .stop: "Stop"
        case .activeSensing: "Active Sensing"
        case .systemReset: "System Reset"
        case .invalid(let invalid): invalid.description
        }
    }
}

extension InvalidMIDI: CustomStringConvertible {
    /// `Invalid (data without status): 3C 7F`.
    public var description: String {
        let why: String
        switch reason {
        case .dataWithoutStatus: why = "data without status"
        case .incompleteMessage: why = "incomplete message"
        case .unterminatedSystemExclusive: why = "system exclusive cut short"
        case .systemExclusiveTooLong(let limit): why = "system exclusive of \(length) bytes, over the limit of \(limit)"
        case .undefinedStatus: why = "undefined status"
        case .endWithoutStart: why = "end of exclusive without a start"
        }
        return bytes.isEmpty ? "Invalid (\(why))" : "Invalid (\(why)): " + hexBytes(bytes)
    }
}

extension SequencerEvent: CustomStringConvertible {
    /// `14:0 Note on 0, note 60, velocity 127`, with the queue time when the event has one.
    public var description: String { "\(source) \(content)" + (time.map { " at \($0)" } ?? "") }
}

extension SequencerEvent.Content: CustomStringConvertible {
    /// The message, the change, or `event type 14`.
    public var description: String {
        switch self {
        case .midi(let message): message.description
        case .change(let change): change.description
        case .other(let type): "event type \(type)"
        }
    }
}

/// `F0 7E 7F F7`: at most 32 bytes, then how many there are in all.
func hexBytes(_ bytes: [UInt8]) -> String {
    let shown = bytes.prefix(32).map(hexByte).joined(separator: " ")
    return bytes.count > 32 ? shown + " … (\(bytes.count) bytes)" : shown
}
