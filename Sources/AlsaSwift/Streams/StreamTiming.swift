extension PlaybackStream {
    /// Where playback is in time, for audio/video sync: which frame is heard at which instant of
    /// the monotonic clock. `timing().nextFrameTime` is when the next frame written will be heard;
    /// `timing().time(ofFrame:)` answers for any frame, counted from the last prepare (the open,
    /// `stop()`, an xrun, or a pause that had to stop the device).
    public func timing() throws(AlsaError) -> AudioTiming { try core.timing() }
}

extension CaptureStream {
    /// Where capture is in time, for audio/video sync: which frame the device captured at which
    /// instant of the monotonic clock. `timing().nextFrameTime` is when the next frame read was
    /// captured; `timing().time(ofFrame:)` answers for any frame, counted from the last prepare
    /// (the open, `stop()`, an xrun, or a pause that had to stop the device).
    public func timing() throws(AlsaError) -> AudioTiming { try core.timing() }
}
