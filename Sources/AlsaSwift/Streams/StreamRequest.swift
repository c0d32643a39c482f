/// What an app asks of a `PlaybackStream` or `CaptureStream`. The rate and the channel count are
/// met exactly, or the stream refuses to open and says what the device offers, unless `mayAdapt`
/// lets the device change them; the latency and the format are met as closely as the device allows.
/// `StreamConfiguration` tells what the stream got.
public struct StreamRequest: Sendable, Equatable {
    /// Frames per second.
    public var rate: Int
    /// Samples per frame.
    public var channels: Int
    /// What the device may change from `rate` and `channels`. Empty by default: a stereo 48 kHz
    /// device asked for 6 channels at 96 kHz is an error naming both differences, never a stream
    /// that silently plays 6-channel data as stereo. Allowed differences are listed in
    /// `StreamConfiguration.adaptations`. (For conversion by alsa-lib, open a `plughw:` or `default`
    /// name: its plug then grants the rate and channels asked for.)
    public var mayAdapt: StreamAdaptations
    /// The buffer's length in time: the worst-case latency, and the margin against xruns.
    public var latency: Duration
    /// How many wake-ups per buffer (more: steadier, costlier).
    public var periodsPerBuffer: Int
    /// Sample formats to try on the device, best first. The stream converts from and to `Float`,
    /// so any of them works for the app; the first the device offers wins.
    public var formats: [SampleFormat]
    /// Prefer mmap access (the device buffer is filled in place) over read/write when offered.
    public var preferMmap: Bool
    /// How the stream wakes: once a period (the default), or on a timer with a deep buffer.
    public var scheduling: StreamScheduling

    /// A request; by default 48 kHz stereo, 100 ms of buffer in 4 periods, the best format the device has,
    /// exact rate and channels, a wakeup per period.
    public init(rate: Int = 48_000, channels: Int = 2, latency: Duration = .milliseconds(100),
                periodsPerBuffer: Int = 4, formats: [SampleFormat] = StreamRequest.defaultFormats, preferMmap: Bool = false,
                mayAdapt: StreamAdaptations = [], scheduling: StreamScheduling = .periods) {
        self.rate = rate
        self.channels = channels
        self.mayAdapt = mayAdapt
        self.latency = latency
        self.periodsPerBuffer = periodsPerBuffer
        self.formats = formats
        self.preferMmap = preferMmap
        self.scheduling = scheduling
    }

    /// Float first (no quantisation in the library), then the deepest integer formats.
    public static let defaultFormats: [SampleFormat] = [.floatLE, .s32LE, .s24_3LE, .s24LE, .s16LE, .u8]
}

/// The parameters of a `StreamRequest` that the device may be allowed to change.
public struct StreamAdaptations: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The device may run at another rate.
    public static let rate = StreamAdaptations(rawValue: 1 << 0)
    /// The device may run with another channel count.
    public static let channels = StreamAdaptations(rawValue: 1 << 1)
}

/// A parameter the stream runs with that differs from the request (allowed by `mayAdapt`).
public struct StreamAdaptation: Sendable, Equatable, CustomStringConvertible {
    /// A parameter the device may change.
    public enum Parameter: String, Sendable, Equatable {
        /// The rate.
        case rate
        /// The channel count.
        case channels
    }
    /// Which parameter differs.
    public var parameter: Parameter
    /// What the request asked for.
    public var requested: Int
    /// What the device runs with.
    public var granted: Int

    public var description: String {
        parameter == .rate ? "\(granted) Hz instead of \(requested) Hz" : "\(granted) channels instead of \(requested)"
    }

    /// The differences between `request` and `setup`, in the order rate, channels.
    static func differences(_ request: StreamRequest, _ setup: HardwareSetup) -> [StreamAdaptation] {
        var found: [StreamAdaptation] = []
        if setup.rate != request.rate { found.append(StreamAdaptation(parameter: .rate, requested: request.rate, granted: setup.rate)) }
        if setup.channels != request.channels {
            found.append(StreamAdaptation(parameter: .channels, requested: request.channels, granted: setup.channels))
        }
        return found
    }
}

/// What a stream got from the device.
public struct StreamConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The name the stream was opened with.
    public var deviceName: String
    /// The transport that moves the samples.
    public var transport: PCMTransport
    /// The hardware configuration granted.
    public var setup: HardwareSetup
    /// Whether the device requires explicit sync, and the path each record takes.
    public var syncReport: SyncReport
    /// Where the stream differs from its request: empty unless `StreamRequest.mayAdapt` allowed it.
    public var adaptations: [StreamAdaptation]
    /// How the stream wakes, as requested.
    public var scheduling: StreamScheduling = .periods
    /// For a timer-scheduled stream, the fill it keeps, the watermark it starts with and what
    /// paces the device; nil when it wakes once a period.
    public var timer: TimerSchedule?

    /// Frames per second.
    public var rate: Int { setup.rate }
    /// Samples per frame.
    public var channels: Int { setup.channels }
    /// The device's sample format, which the stream converts to and from `Float`.
    public var format: SampleFormat { setup.format }
    /// Frames per period.
    public var periodSize: Int { setup.periodSize }
    /// Frames in the buffer.
    public var bufferSize: Int { setup.bufferSize }
    /// The buffer's length in time: how far ahead of the speaker a written sample can be.
    public var latency: Duration { setup.bufferDuration }

    public var description: String {
        let ms = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        let adapted = adaptations.isEmpty ? "" : " (adapted: \(adaptations.map(\.description).joined(separator: ", ")))"
        let scheduled = timer.map { "; \(scheduling): \($0)" } ?? ""
        return "\(deviceName) via \(transport): \(format) \(channels)ch \(rate) Hz\(adapted), \(setup.access), period \(periodSize) frames, buffer \(bufferSize) frames (\(Int(ms.rounded())) ms)\(scheduled); \(syncReport)"
    }
}
