import AlsaSwift
import Foundation

/// One line of `alsa-midi -d`: what arrived and where from, human-readable (as aseqdump prints
/// it) or as one JSON object per line (`--json`), for scripts.
package struct MIDIDumpLine: Codable, Equatable, Sendable {
    /// The port it came from: `hw:1,0` or `14:0`.
    package var source: String
    /// `noteOn`, `noteOff`, `controlChange`, `systemExclusive`, `invalid`, `portAdded`...
    package var event: String
    package var channel: Int?
    package var note: Int?
    package var velocity: Int?
    package var controller: Int?
    package var value: Int?
    package var program: Int?
    /// The bytes of a SysEx (F0 ... F7) or of invalid input, in hex.
    package var bytes: String?
    /// The queue time, for a sequencer event that carries one: `tick 96` or seconds.
    package var time: String?
    /// The line as aseqdump would print it.
    package var text: String

    /// A raw MIDI device's message.
    package init(source: String, message: MIDIMessage) {
        self.source = source
        text = "\(source.padding(toLength: 8, withPad: " ", startingAt: 0)) \(message)"
        event = ""
        describe(message)
    }

    /// A sequencer event.
    package init(event sequencerEvent: SequencerEvent) {
        source = sequencerEvent.source.description
        text = "\(source.padding(toLength: 8, withPad: " ", startingAt: 0)) \(sequencerEvent.content)"
        time = sequencerEvent.time?.description
        event = ""
        switch sequencerEvent.content {
        case .midi(let message): describe(message)
        case .change(let change):
            event = Self.name(of: change)
        case .other(let type):
            event = "other"
            value = type
        }
    }

    private mutating func describe(_ message: MIDIMessage) {
        switch message {
        case .noteOff(let channel, let note, let velocity): (event, self.channel, self.note, self.velocity) = ("noteOff", channel, note, velocity)
        case .noteOn(let channel, let note, let velocity): (event, self.channel, self.note, self.velocity) = ("noteOn", channel, note, velocity)
        case .polyphonicAftertouch(let channel, let note, let pressure):
            (event, self.channel, self.note, value) = ("polyphonicAftertouch", channel, note, pressure)
        case .controlChange(let channel, let controller, let value):
            (event, self.channel, self.controller, self.value) = ("controlChange", channel, controller, value)
        case .programChange(let channel, let program): (event, self.channel, self.program) = ("programChange", channel, program)
        case .channelAftertouch(let channel, let pressure): (event, self.channel, value) = ("channelAftertouch", channel, pressure)
        case .pitchBend(let channel, let value): (event, self.channel, self.value) = ("pitchBend", channel, value)
        case .systemExclusive(let payload): (event, bytes) = ("systemExclusive", Self.hex([0xF0] + payload + [0xF7]))
        case .timeCodeQuarterFrame(let value): (event, self.value) = ("timeCodeQuarterFrame", value)
        case .songPosition(let beats): (event, value) = ("songPosition", beats)
        case .songSelect(let song): (event, value) = ("songSelect", song)
        case .tuneRequest: event = "tuneRequest"
        case .clock: event = "clock"
        case .start: event = "start"
        case .continue: event = "continue"
        case .stop: event = "stop"
        case .activeSensing: event = "activeSensing"
        case .systemReset: event = "systemReset"
        case .invalid(let invalid): (event, bytes, value) = ("invalid", Self.hex(invalid.bytes), invalid.length)
        }
    }

    private static func name(of change: SequencerChange) -> String {
        switch change {
        case .clientAdded: "clientAdded"
        case .clientRemoved: "clientRemoved"
        case .clientChanged: "clientChanged"
        case .portAdded: "portAdded"
        case .portRemoved: "portRemoved"
        case .portChanged: "portChanged"
        case .connected: "connected"
        case .disconnected: "disconnected"
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined(separator: " ") }

    /// The line as printed: JSON on one line, or the text.
    package func printed(json: Bool) throws -> String {
        guard json else { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
