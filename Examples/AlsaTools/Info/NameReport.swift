import AlsaSwift

/// What `alsa-info --names` reports: where the default devices lead and every name that can be
/// opened, each with its directions and, when probed, what it offers. Encodes to JSON for scripts.
package struct NameReport: Encodable, Sendable {
    package var defaults: [String]
    package var names: [Name]

    package struct Name: Encodable, Sendable {
        package var name: String
        package var directions: [String]
        package var title: String
        package var details: String
        package var transport: String
        package var problem: String?
        /// One line per direction probed: `playback: U8,S16_LE, 1-2 ch, ...`.
        package var capabilities: [String]?
    }

    package init(devices: AudioDevices, probe: Bool) {
        defaults = [StreamDirection.playback, .capture].map { devices.defaultDevice($0).description }
        names = devices.list().map { device in
            Name(name: device.name, directions: device.directions.map(\.description), title: device.title, details: device.details,
                 transport: device.transport.description, problem: device.problem.map { "\($0)" },
                 capabilities: probe ? devices.capabilities(of: device).map { "\($0.direction): \($0.probe)" } : nil)
        }
    }

    package var text: String {
        var lines = defaults
        let width = min(names.map(\.name.count).max() ?? 0, 40)
        for name in names {
            let padded = name.name.padding(toLength: max(width, name.name.count), withPad: " ", startingAt: 0)
            let problem = name.problem.map { "  [\($0)]" } ?? ""
            lines.append("\(padded)  \(name.directions.joined(separator: "+"))  \(name.transport)  \(name.title)\(problem)")
            for line in name.capabilities ?? [] { lines.append("    \(line)") }
        }
        return lines.joined(separator: "\n")
    }
}
