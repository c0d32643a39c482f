/// What both transports check before they set a channel map, written once (as `MmapCommitRules`
/// is for mmap commits).
enum ChannelMapRules {
    /// A map is set on a prepared stream, before it starts, and names one position per channel.
    static func checkSettable(_ map: ChannelMap, setup: HardwareSetup, state: StreamState) throws(AlsaError) {
        guard map.channelCount == setup.channelCount else {
            throw AlsaError(.channelMap, .invalidArgument, context: "a \(map.channelCount)-channel map (\(map)) for a \(setup.channelCount)-channel stream")
        }
        guard state == .prepared else {
            throw AlsaError(.channelMap, .badFileDescriptorState, context: "a channel map is set on a prepared stream, before it starts")
        }
    }

    /// A map the device does not offer is refused before the driver sees it; a device that lists
    /// no options leaves the answer to the driver.
    static func checkOffered(_ map: ChannelMap, among options: [ChannelMapOption]) throws(AlsaError) {
        guard options.isEmpty || options.contains(where: { $0.allows(map) }) else {
            throw AlsaError(.channelMap, .invalidArgument,
                            context: "\(map) is not offered; the device offers \(options.map(\.description).joined(separator: ", "))")
        }
    }
}
