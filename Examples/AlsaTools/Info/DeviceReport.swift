import AlsaSwift

/// What `alsa-info` reports, as plain values that encode to JSON for scripts.
package struct DeviceReport: Encodable, Sendable {
    package var cards: [Card]
    package var hints: [Hint]?
    /// A name served by alsa-lib (`-D default`, `-D plughw:0,0`), probed in each direction.
    package var pcm: NamedPCM?

    package struct Card: Encodable, Sendable {
        package var index: Int
        package var id: String
        package var driver: String
        package var name: String
        package var longName: String
        package var problem: String?
        package var devices: [Device]
    }

    package struct Device: Encodable, Sendable {
        package var name: String
        package var device: Int
        package var id: String
        package var deviceName: String
        package var playback: Stream?
        package var capture: Stream?
    }

    package struct Stream: Encodable, Sendable {
        /// nil for a name alsa-lib serves, which has no subdevices of its own.
        package var subdevices: Int?
        package var subdevicesAvailable: Int?
        /// available, busy, failed or not-probed
        package var probe: String
        package var error: String?
        package var formats: [String]?
        package var access: [String]?
        package var channels: [Int]?
        package var rate: [Int]?
        package var periodSize: [Int]?
        package var periods: [Int]?
        package var bufferSize: [Int]?
        package var info: [String]?
        package var explicitSync: Bool?
        package var syncApplPtr: Bool?
        package var noRewinds: Bool?
        /// The path each record would take with the direct transport: mapped, or SYNC_PTR and why.
        package var statusRecord: String?
        package var controlRecord: String?
        /// For a name alsa-lib serves: what `PCM.syncReport` says (the kernel PCM behind it, if any).
        package var sync: String?
    }

    /// One ALSA name opened through alsa-lib for a moment in each direction.
    package struct NamedPCM: Encodable, Sendable {
        /// The name as given (`default`, `plughw:0,0`).
        package var name: String
        /// What the name offers for playback, or why it could not be opened.
        package var playback: Stream
        /// What the name offers for capture, or why it could not be opened.
        package var capture: Stream
    }

    package struct Hint: Encodable, Sendable {
        package var name: String
        package var description: String
        /// playback or capture when the name serves one direction only.
        package var direction: String?
    }

    /// The report for a name alsa-lib serves.
    package init(pcm: NamedPCM) {
        cards = []
        self.pcm = pcm
    }

    /// The cards of `listing` with their kernel PCM devices; with `probing`, each direction the
    /// kernel described is opened for a moment through it for its capabilities.
    package init(listing: AudioDeviceListing, probing devices: AudioDevices?, hints: [PCMNameHint]?) {
        cards = listing.cards.map { card in
            Card(index: card.index, id: card.id, driver: card.driver, name: card.name,
                 longName: card.longName, problem: card.problem?.description,
                 devices: listing.pcmDevices(card: card.index).compactMap { entry in
                     guard let number = entry.device, let info = entry.kernelInfo else { return nil }
                     let name = "hw:\(card.index),\(number)"
                     func stream(_ direction: StreamDirection) -> Stream? {
                         info.substreams(direction).map { Self.stream($0, probe: devices?.capabilities(of: name, direction: direction)) }
                     }
                     return Device(name: name, device: number, id: info.id, deviceName: info.name,
                                   playback: stream(.playback), capture: stream(.capture))
                 })
        }
        self.hints = hints?.map { Hint(name: $0.name, description: $0.description, direction: $0.direction?.description) }
    }

    /// One direction of a kernel device: its subdevices, and what the probe told, if there was one
    /// (a direction the kernel would not describe is not probed).
    static func stream(_ substreams: AudioDevice.Substreams, probe: @autoclosure () -> DeviceCapabilityProbe?) -> Stream {
        var stream = Stream(subdevices: substreams.count, subdevicesAvailable: substreams.available, probe: "not-probed")
        if let problem = substreams.problem {
            stream.probe = "failed"
            stream.error = problem.description
            return stream
        }
        switch probe() {
        case .available(let c, let sync)?:
            stream.probe = "available"
            stream.describe(c)
            stream.statusRecord = sync.strategy?.status.description
            stream.controlRecord = sync.strategy?.control.description
        case .busy?:
            stream.probe = "busy"
        case .failed(let error)?:
            stream.probe = "failed"
            stream.error = error.description
        case nil:
            break
        }
        return stream
    }

    /// What an opened PCM offers in one direction, or why it could not be opened.
    static func stream(opening open: () throws(AlsaError) -> any PCM) -> Stream {
        var stream = Stream(probe: "not-probed")
        do throws(AlsaError) {
            let pcm = try open()
            defer { try? pcm.close() }
            stream.probe = "available"
            stream.describe(pcm.capabilities)
            let report = pcm.syncReport
            // The device's own flag when a kernel PCM is visible behind the name; the plugin's
            // info word says nothing about it.
            stream.explicitSync = report.deviceRequiresExplicitSync
            stream.statusRecord = report.strategy?.status.description
            stream.controlRecord = report.strategy?.control.description
            stream.sync = report.description
        } catch {
            stream.probe = error.kind == .busy ? "busy" : "failed"
            stream.error = error.description
        }
        return stream
    }

    /// The human-readable listing.
    package var text: String {
        var lines: [String] = []
        if cards.isEmpty && pcm == nil { lines.append("no sound cards") }
        for card in cards {
            lines.append("card \(card.index): \(card.id) [\(card.name)], driver \(card.driver)")
            if let problem = card.problem { lines.append("  listing incomplete: \(problem)") }
            for device in card.devices {
                lines.append("  \(device.name)  \(device.deviceName)")
                for (label, stream) in [("playback", device.playback), ("capture", device.capture)] {
                    guard let stream else { continue }
                    lines += stream.lines(label: "    \(label): \(stream.subdevicesAvailable ?? 0)/\(stream.subdevices ?? 0) subdevices free")
                }
            }
        }
        if let pcm {
            lines.append("\(pcm.name) (alsa-lib)")
            lines += pcm.playback.lines(label: "    playback")
            lines += pcm.capture.lines(label: "    capture")
        }
        if let hints {
            lines.append("PCM names:")
            for hint in hints {
                let direction = hint.direction.map { " (\($0) only)" } ?? ""
                lines.append("  \(hint.name)\(direction): \(hint.description.split(separator: "\n").joined(separator: " — "))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func range(_ bounds: [Int]) -> String { bounds[0] == bounds[1] ? "\(bounds[0])" : "\(bounds[0])–\(bounds[1])" }
}

extension DeviceReport.Stream {
    init(probe: String) { self.probe = probe }

    /// The capability fields, from what the device (or plugin) offers.
    mutating func describe(_ c: HardwareCapabilities) {
        formats = c.formats.map(\.name)
        access = c.accessTypes.map(\.description)
        channels = [c.channelCount.lowerBound, c.channelCount.upperBound]
        rate = [c.sampleRate.lowerBound, c.sampleRate.upperBound]
        periodSize = [c.periodSize.lowerBound, c.periodSize.upperBound]
        periods = [c.periodCount.lowerBound, c.periodCount.upperBound]
        bufferSize = [c.bufferSize.lowerBound, c.bufferSize.upperBound]
        info = c.info.description.split(separator: "|").map(String.init)
        explicitSync = c.info.contains(.explicitSync)
        syncApplPtr = c.info.contains(.syncApplPtr)
        noRewinds = c.info.contains(.noRewinds)
    }

    /// The text lines for this direction, the first starting with `label`.
    func lines(label: String) -> [String] {
        switch probe {
        case "available":
            guard let formats, let channels, let rate, let periodSize, let bufferSize, let access, let info else { return [label] }
            var lines = [label + "; \(formats.joined(separator: " ")); \(DeviceReport.range(channels)) ch; \(DeviceReport.range(rate)) Hz"
                         + "; period \(DeviceReport.range(periodSize)), buffer \(DeviceReport.range(bufferSize)) frames",
                         "      access \(access.joined(separator: " ")); info \(info.joined(separator: "|"))"]
            let need = explicitSync.map { $0 ? "REQUIRED" : "no" } ?? "unknown (no kernel PCM visible)"
            if let statusRecord, let controlRecord {
                lines.append("      explicit sync: \(need); status record: \(statusRecord); control record: \(controlRecord)")
            } else {
                lines.append("      explicit sync: \(need)")
            }
            if let sync { lines.append("      sync: \(sync)") }
            return lines
        case "busy": return [label + "; busy (another process holds it)"]
        case "failed": return [label + "; could not be opened: \(error ?? "")"]
        default: return [label]
        }
    }
}
