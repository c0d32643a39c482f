/// What an app asks of a `PlaybackStream` or `CaptureStream`: numbers it would like, which
/// negotiation meets as closely as the device allows (see `StreamConfiguration` for what it got).
public struct StreamRequest: Sendable, Equatable {
    public var rate: UInt32
    public var channels: UInt32
    /// The buffer's length in time: the worst-case latency, and the margin against xruns.
    public var latency: Duration
    /// How many wake-ups per buffer (more: steadier, costlier).
    public var periodsPerBuffer: UInt32
    /// Sample formats to try on the device, best first. The stream converts from and to `Float`,
    /// so any of them works for the app; the first the device offers wins.
    public var formats: [SampleFormat]
    /// Prefer mmap access (the device buffer is filled in place) over read/write when offered.
    public var preferMmap: Bool

    public init(rate: UInt32 = 48_000, channels: UInt32 = 2, latency: Duration = .milliseconds(100),
                periodsPerBuffer: UInt32 = 4, formats: [SampleFormat] = StreamRequest.defaultFormats, preferMmap: Bool = false) {
        self.rate = rate
        self.channels = channels
        self.latency = latency
        self.periodsPerBuffer = periodsPerBuffer
        self.formats = formats
        self.preferMmap = preferMmap
    }

    /// Float first (no quantisation in the library), then the deepest integer formats.
    public static let defaultFormats: [SampleFormat] = [.floatLE, .s32LE, .s24_3LE, .s24LE, .s16LE, .u8]
}

/// What a stream got from the device.
public struct StreamConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var deviceName: String
    public var transport: PCMTransport
    public var setup: HardwareSetup
    public var syncReport: SyncReport

    public var rate: UInt32 { setup.rate }
    public var channels: UInt32 { setup.channels }
    public var format: SampleFormat { setup.format }
    public var periodSize: UInt32 { setup.periodSize }
    public var bufferSize: UInt32 { setup.bufferSize }
    /// The buffer's length in time: how far ahead of the speaker a written sample can be.
    public var latency: Duration { setup.bufferDuration }

    public var description: String {
        let ms = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        return "\(deviceName) via \(transport): \(format) \(channels)ch \(rate) Hz, \(setup.access), period \(periodSize) frames, buffer \(bufferSize) frames (\(Int(ms.rounded())) ms); \(syncReport)"
    }
}
