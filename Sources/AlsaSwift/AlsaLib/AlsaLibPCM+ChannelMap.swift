import CAlsa

#if canImport(Glibc)
import Glibc
#endif

extension AlsaLibPCM {
    /// The channel maps the PCM offers, from `snd_pcm_query_chmaps` (for `hw:` names, the kernel
    /// control's TLV; plugins answer for themselves); empty when it offers none.
    public func channelMapOptions() throws(AlsaError) -> [ChannelMapOption] {
        let pcm = try live(.channelMap)
        guard let list = snd_pcm_query_chmaps(pcm) else { return [] }
        defer { snd_pcm_free_chmaps(list) }
        var options: [ChannelMapOption] = []
        var index = 0
        while let query = list[index] {
            index += 1
            let arrangement: ChannelMapArrangement
            switch query.pointee.type {
            case SND_CHMAP_TYPE_FIXED: arrangement = .fixed
            case SND_CHMAP_TYPE_VAR: arrangement = .variable
            case SND_CHMAP_TYPE_PAIRED: arrangement = .paired
            default: continue  // SND_CHMAP_TYPE_NONE: no map
            }
            let map = UnsafeRawPointer(query) + MemoryLayout<snd_pcm_chmap_query_t>.offset(of: \.map)!
            options.append(ChannelMapOption(arrangement: arrangement, map: Self.channelMap(at: map)))
        }
        return options
    }

    /// The channel map in effect, from `snd_pcm_get_chmap`; nil when the PCM reports none.
    /// Needs a configuration, as alsa-lib does.
    public func channelMap() throws(AlsaError) -> ChannelMap? {
        _ = try requireSetup(.channelMap)
        let pcm = try live(.channelMap)
        guard let map = snd_pcm_get_chmap(pcm) else { return nil }
        defer { free(map) }
        return Self.channelMap(at: UnsafeRawPointer(map))
    }

    /// `snd_pcm_set_chmap`, after the checks the direct transport makes: the channel count, a
    /// prepared stream, and a map the PCM offers. Setting the map in effect succeeds without a
    /// change; a fixed or absent map refuses any other with ENXIO.
    public func setChannelMap(_ map: ChannelMap) throws(AlsaError) {
        try ChannelMapRules.checkSettable(map, setup: try requireSetup(.channelMap), state: try state)
        try ChannelMapRules.checkOffered(map, among: try channelMapOptions())
        // snd_pcm_chmap_t: the channel count, then one position per channel.
        let words = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 + map.channelCount)
        defer { words.deallocate() }
        words[0] = UInt32(map.channelCount)
        for (i, position) in map.positions.enumerated() { words[1 + i] = position.rawValue }
        try call(.channelMap) { pcm in
            UnsafeRawPointer(words).withMemoryRebound(to: snd_pcm_chmap_t.self, capacity: 1) { Int(snd_pcm_set_chmap(pcm, $0)) }
        }
    }

    /// Reads a `snd_pcm_chmap_t` (a count, then that many positions) at `address`.
    static func channelMap(at address: UnsafeRawPointer) -> ChannelMap {
        let channels = Int(address.load(as: UInt32.self))
        let positions = address + MemoryLayout<UInt32>.size
        return ChannelMap((0..<channels).map { ChannelPosition(rawValue: positions.load(fromByteOffset: $0 * 4, as: UInt32.self)) })
    }
}
