import AlsaSwift
import Foundation

/// One element as `alsa-mixer list` prints it: amixer's `contents` lines, or JSON.
package struct ElementReport: Codable, Equatable, Sendable {
    package var numid: Int
    package var iface: String
    package var name: String
    package var index: Int
    package var type: String
    package var access: String
    package var count: Int
    package var minimum: Int?
    package var maximum: Int?
    package var step: Int?
    package var items: [String]?
    package var values: [String]
    /// Hundredths of a dB; nil without a dB scale. The minimum is -9999999 when it mutes.
    package var gainMinimum: Int?
    package var gainMaximum: Int?
    /// Each value's gain in hundredths of a dB, for volumes with a dB scale.
    package var gains: [Int]?

    package init(_ element: ControlElement, controls: CardControls) throws {
        numid = element.id.numericID
        iface = element.id.interface.name
        name = element.id.name
        index = element.id.index
        count = element.count
        access = Self.accessText(element.access)
        switch element.type {
        case .boolean: type = "BOOLEAN"
        case .integer(let minimum, let maximum, let step), .integer64(let minimum, let maximum, let step):
            type = element.type == .integer(minimum: minimum, maximum: maximum, step: step) ? "INTEGER" : "INTEGER64"
            (self.minimum, self.maximum, self.step) = (minimum, maximum, step)
        case .enumerated(let items):
            type = "ENUMERATED"
            self.items = items
        case .bytes: type = "BYTES"
        case .iec958: type = "IEC958"
        }
        values = []
        guard element.access.contains(.read) else { return }
        switch try controls.value(of: element) {
        case .booleans(let on): values = on.map { $0 ? "on" : "off" }
        case .integers(let numbers):
            values = numbers.map(String.init)
            if let scale = try controls.decibelScale(of: element), let range = element.integerRange {
                let gains = try scale.gainRange(over: range)
                (gainMinimum, gainMaximum) = (gains.minimum, gains.maximum)
                self.gains = try numbers.map { (value) throws(AlsaError) -> Int in try scale.gain(ofValue: value, range: range) }
            }
        case .items(let chosen): values = chosen.map { items?.indices.contains($0) == true ? items![$0] : String($0) }
        case .bytes(let bytes): values = bytes.map { String(format: "%02x", $0) }
        }
    }

    /// amixer's access column: r w v (volatile) … R (TLV read) and L (locked), `-` where absent.
    static func accessText(_ access: ControlAccess) -> String {
        let marks: [(ControlAccess, Character)] = [(.read, "r"), (.write, "w"), (.volatile, "v"), (.inactive, "i"),
                                                   (.locked, "l"), (.tlvRead, "R"), (.tlvWrite, "W")]
        return String(marks.map { access.contains($0.0) ? $0.1 : "-" })
    }

    package var text: String {
        var lines = ["numid=\(numid),iface=\(iface),name='\(name)'" + (index != 0 ? ",index=\(index)" : "")]
        var info = "  ; type=\(type),access=\(access),values=\(count)"
        if let minimum, let maximum, let step { info += ",min=\(minimum),max=\(maximum),step=\(step)" }
        if let items { info += ",items=\(items.count)" }
        lines.append(info)
        if let items { lines += items.enumerated().map { "  ; Item #\($0.offset) '\($0.element)'" } }
        lines.append("  : values=" + values.joined(separator: ","))
        if let gainMinimum, let gainMaximum {
            lines.append("  | dB range \(Self.decibels(gainMinimum)) to \(Self.decibels(gainMaximum))"
                         + (gains.map { ", now " + $0.map(Self.decibels).joined(separator: ",") } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    static func decibels(_ gain: Int) -> String {
        gain <= DecibelScale.muteGain ? "mute" : String(format: "%.2fdB", Double(gain) / 100)
    }
}

/// One change as `alsa-mixer monitor` prints it: a line of text, or of JSON with `--json`.
package struct EventReport: Codable, Equatable, Sendable {
    /// VALUE, INFO, ADD, TLV, or REMOVE alone.
    package var changes: [String]
    /// The element in amixer's form: `numid=3,iface=MIXER,name='PCM Playback Volume'`.
    package var element: String
    package var numid: Int
    package var name: String
    /// The new values, for a value change of an element that can be read.
    package var values: [String]?
    /// Their gains in hundredths of a dB, for volumes with a dB scale.
    package var gains: [Int]?

    package init(_ event: ControlEvent, values report: ElementReport?) {
        changes = Self.names(event.changes)
        element = event.element.description
        numid = event.element.numericID
        name = event.element.name
        values = report?.values
        gains = report?.gains
    }

    static func names(_ changes: ControlChanges) -> [String] {
        if changes.contains(.removed) { return ["REMOVE"] }
        let names: [(ControlChanges, String)] = [(.value, "VALUE"), (.info, "INFO"), (.added, "ADD"), (.tlv, "TLV")]
        return names.filter { changes.contains($0.0) }.map(\.1)
    }

    /// `event VALUE: numid=3,iface=MIXER,name='PCM Playback Volume' values=5,5 [-27.00dB,-27.00dB]`
    package var text: String {
        var line = "event \(changes.joined(separator: ",")): \(element)"
        if let values { line += " values=" + values.joined(separator: ",") }
        if let gains { line += " [" + gains.map(ElementReport.decibels).joined(separator: ",") + "]" }
        return line
    }
}

/// A simple volume as `alsa-mixer get` prints it (amixer's `sget`).
package struct VolumeReport: Codable, Equatable, Sendable {
    package var name: String
    package var direction: String
    package var value: Int
    package var minimum: Int
    package var maximum: Int
    package var percent: Int
    /// alsamixer's 0–1 slider position.
    package var perceptual: Double
    package var gain: Int?
    package var gainMinimum: Int?
    package var gainMaximum: Int?
    package var muted: Bool?

    package init(_ volume: any VolumeControl, direction: StreamDirection) throws {
        name = volume.name
        self.direction = direction == .playback ? "playback" : "capture"
        value = try volume.value()
        (minimum, maximum) = (volume.valueRange.lowerBound, volume.valueRange.upperBound)
        // In Doubles, held to 0-100: the span of a 64-bit range does not fit an Int.
        let share = maximum > minimum ? (Double(value) - Double(minimum)) * 100 / (Double(maximum) - Double(minimum)) : 0
        percent = Int(min(max(share.rounded(), 0), 100))
        perceptual = (try volume.perceptualVolume() * 1000).rounded() / 1000
        if let range = volume.gainRange {
            gain = try volume.gain()
            (gainMinimum, gainMaximum) = (range.minimum, range.maximum)
        }
        muted = volume.hasSwitch ? try volume.isMuted() : nil
    }

    package var text: String {
        var line = "Simple mixer control '\(name)' (\(direction)): \(value) [\(percent)%]"
        if let gain { line += " [\(ElementReport.decibels(gain))]" }
        if let muted { line += muted ? " [off]" : " [on]" }
        line += "\n  Limits: \(minimum) - \(maximum)"
        if let gainMinimum, let gainMaximum {
            line += ", \(ElementReport.decibels(gainMinimum)) to \(ElementReport.decibels(gainMaximum))"
        }
        return line + "\n  Perceptual: \(Int((perceptual * 100).rounded()))%"
    }
}
