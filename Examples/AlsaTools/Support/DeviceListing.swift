import AlsaSwift

/// The text of `-l`, `-L` and `-v`, laid out as aplay lays out its own.
package enum DeviceListing {
    /// `-l`: every device with a `direction` side, card by card; nil when there is no card.
    package static func hardware(_ listing: AudioDeviceListing, direction: StreamDirection) -> String? {
        guard !listing.cards.isEmpty else { return nil }
        var lines = ["**** List of \(direction.description.uppercased()) Hardware Devices ****"]
        for card in listing.cards {
            if let problem = card.problem {
                lines.append("card \(card.index): listing incomplete: \(problem)")
            }
            for device in listing.pcmDevices(card: card.index) {
                guard let number = device.device, let info = device.kernelInfo, let stream = info.substreams(direction) else { continue }
                lines.append("card \(card.index): \(card.id) [\(card.name)], device \(number): \(info.id) [\(info.name)]")
                lines.append("  Subdevices: \(stream.available)/\(stream.count)")
                for subdevice in 0..<max(stream.count, 0) {
                    lines.append("  Subdevice #\(subdevice): subdevice #\(subdevice)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `-L`: each name that serves `direction`, its description indented below it.
    package static func names(_ hints: [DeviceReport.Hint], direction: StreamDirection) -> String {
        hints.filter { $0.direction == nil || $0.direction == direction.description }
            .map { hint in
                ([hint.name] + hint.description.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 })
                    .joined(separator: "\n")
            }
            .joined(separator: "\n")
    }

    /// `-v`: the parameters `pcm` was granted, and the path its records take.
    package static func setup(of pcm: any PCM) -> String {
        var lines = ["\(pcm.name) via \(pcm.transport), \(pcm.direction)"]
        guard let setup = pcm.setup else { return (lines + ["  (not configured)"]).joined(separator: "\n") }
        func field(_ name: String, _ value: Any) { lines.append("  " + name.padding(toLength: 17, withPad: " ", startingAt: 0) + ": \(value)") }
        lines.append("Its setup is:")
        field("stream", pcm.direction.description.uppercased())
        field("access", setup.access)
        field("format", setup.format)
        field("channels", setup.channelCount)
        field("rate", setup.sampleRate)
        if let fraction = setup.rateFraction, fraction.denominator > 0 {
            let exact = fraction.numerator % fraction.denominator == 0 ? "\(fraction.numerator / fraction.denominator)"
                : String(Double(fraction.numerator) / Double(fraction.denominator))
            field("exact rate", "\(exact) (\(fraction.numerator)/\(fraction.denominator))")
        }
        field("msbits", setup.significantBits)
        field("buffer_size", setup.bufferSize)
        field("period_size", setup.periodSize)
        let period = setup.periodDuration.components
        field("period_time", "\(period.seconds * 1_000_000 + period.attoseconds / 1_000_000_000_000) us")
        field("periods", setup.periodCount)
        field("info", setup.info)
        if let software = pcm.softwareParameters {
            field("avail_min", software.availMin)
            field("start_threshold", software.startThreshold)
            field("stop_threshold", software.stopThreshold)
            field("silence_threshold", software.silenceThreshold)
            field("silence_size", software.silenceSize)
        }
        field("sync", pcm.syncReport)
        return lines.joined(separator: "\n")
    }
}
