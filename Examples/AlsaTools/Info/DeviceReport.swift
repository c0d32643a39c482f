import AlsaSwift

/// What `alsa-info` reports, as plain values that encode to JSON for scripts.
public struct DeviceReport: Encodable, Sendable {
    public var cards: [Card]
    public var hints: [Hint]?

    public struct Card: Encodable, Sendable {
        public var index: Int
        public var id: String
        public var driver: String
        public var name: String
        public var longName: String
        public var problem: String?
        public var devices: [Device]
    }

    public struct Device: Encodable, Sendable {
        public var name: String
        public var device: Int
        public var id: String
        public var deviceName: String
        public var playback: Stream?
        public var capture: Stream?
    }

    public struct Stream: Encodable, Sendable {
        public var subdevices: Int
        public var subdevicesAvailable: Int
        /// available, busy, failed or not-probed
        public var probe: String
        public var error: String?
        public var formats: [String]?
        public var access: [String]?
        public var channels: [Int]?
        public var rate: [Int]?
        public var periodSize: [Int]?
        public var periods: [Int]?
        public var bufferSize: [Int]?
        public var info: [String]?
        public var explicitSync: Bool?
        public var syncApplPtr: Bool?
        public var noRewinds: Bool?
        /// The path each record would take with the direct transport: mapped, or SYNC_PTR and why.
        public var statusRecord: String?
        public var controlRecord: String?
    }

    public struct Hint: Encodable, Sendable {
        public var name: String
        public var description: String
        public var direction: String?
    }

    public init(listing: [CardListing], hints: [PCMNameHint]?) {
        cards = listing.map { entry in
            Card(index: entry.card.index, id: entry.card.id, driver: entry.card.driver, name: entry.card.name,
                 longName: entry.card.longName, problem: entry.problem?.description,
                 devices: entry.devices.map { device in
                     Device(name: device.hardwareName, device: device.device, id: device.id, deviceName: device.name,
                            playback: device.playback.map(Self.stream), capture: device.capture.map(Self.stream))
                 })
        }
        self.hints = hints?.map { Hint(name: $0.name, description: $0.description, direction: $0.direction?.description) }
    }

    static func stream(_ entry: PCMStreamEntry) -> Stream {
        var stream = Stream(subdevices: entry.subdeviceCount, subdevicesAvailable: entry.subdevicesAvailable, probe: "not-probed")
        switch entry.probe {
        case .available(let c, let sync):
            stream.probe = "available"
            stream.formats = c.formats.map(\.name)
            stream.access = c.accessTypes.map(\.description)
            stream.channels = [c.channels.lowerBound, c.channels.upperBound]
            stream.rate = [c.rate.lowerBound, c.rate.upperBound]
            stream.periodSize = [c.periodSize.lowerBound, c.periodSize.upperBound]
            stream.periods = [c.periods.lowerBound, c.periods.upperBound]
            stream.bufferSize = [c.bufferSize.lowerBound, c.bufferSize.upperBound]
            stream.info = c.info.description.split(separator: "|").map(String.init)
            stream.explicitSync = c.info.contains(.explicitSync)
            stream.syncApplPtr = c.info.contains(.syncApplPtr)
            stream.noRewinds = c.info.contains(.noRewinds)
            stream.statusRecord = sync.status.description
            stream.controlRecord = sync.control.description
        case .busy:
            stream.probe = "busy"
        case .failed(let error):
            stream.probe = "failed"
            stream.error = error.description
        case .notProbed:
            break
        }
        return stream
    }

    /// The human-readable listing.
    public var text: String {
        var lines: [String] = []
        if cards.isEmpty { lines.append("no sound cards") }
        for card in cards {
            lines.append("card \(card.index): \(card.id) [\(card.name)], driver \(card.driver)")
            if let problem = card.problem { lines.append("  listing incomplete: \(problem)") }
            for device in card.devices {
                lines.append("  \(device.name)  \(device.deviceName)")
                for (label, stream) in [("playback", device.playback), ("capture", device.capture)] {
                    guard let stream else { continue }
                    var line = "    \(label): \(stream.subdevicesAvailable)/\(stream.subdevices) subdevices free"
                    switch stream.probe {
                    case "available":
                        line += "; \(stream.formats!.joined(separator: " ")); \(Self.range(stream.channels!)) ch; \(Self.range(stream.rate!)) Hz"
                        line += "; period \(Self.range(stream.periodSize!)), buffer \(Self.range(stream.bufferSize!)) frames"
                        lines.append(line)
                        lines.append("      access \(stream.access!.joined(separator: " ")); info \(stream.info!.joined(separator: "|"))")
                        lines.append("      explicit sync: \(stream.explicitSync! ? "REQUIRED" : "no"); status record: \(stream.statusRecord!); control record: \(stream.controlRecord!)")
                    case "busy": lines.append(line + "; busy (another process holds it)")
                    case "failed": lines.append(line + "; could not be opened: \(stream.error ?? "")")
                    default: lines.append(line)
                    }
                }
            }
        }
        if let hints {
            lines.append("alsa-lib names:")
            for hint in hints {
                let direction = hint.direction.map { " (\($0) only)" } ?? ""
                lines.append("  \(hint.name)\(direction): \(hint.description.split(separator: "\n").joined(separator: " — "))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func range(_ bounds: [Int]) -> String { bounds[0] == bounds[1] ? "\(bounds[0])" : "\(bounds[0])–\(bounds[1])" }
}
