extension PlaybackStream {
    /// The channel maps the device offers (`FIXED: FL FR`...); empty when it offers none.
    public func channelMapOptions() throws(AlsaError) -> [ChannelMapOption] { try core.pcm.channelMapOptions() }

    /// Which speaker each channel plays on, as the device reports it; nil when it reports none.
    public func channelMap() throws(AlsaError) -> ChannelMap? { try core.pcm.channelMap() }

    /// Routes the channels to the speakers `map` names. Only before the first write (the stream
    /// must be prepared, not running); a map the device does not offer is refused (kind
    /// `.invalidArgument`), and a device whose map is fixed refuses any other (ENXIO).
    public func setChannelMap(_ map: ChannelMap) throws(AlsaError) { try core.pcm.setChannelMap(map) }
}

extension CaptureStream {
    /// The channel maps the device offers; empty when it offers none.
    public func channelMapOptions() throws(AlsaError) -> [ChannelMapOption] { try core.pcm.channelMapOptions() }

    /// Which position each captured channel comes from, as the device reports it; nil when it
    /// reports none.
    public func channelMap() throws(AlsaError) -> ChannelMap? { try core.pcm.channelMap() }

    /// Asks the device for this arrangement of the captured channels, before the first read.
    public func setChannelMap(_ map: ChannelMap) throws(AlsaError) { try core.pcm.setChannelMap(map) }
}
