/// What an app asks of a `PlaybackStream` or `CaptureStream`. The sample rate and the channel
/// count are met exactly, or the stream refuses to open and says what the device offers, unless
/// `mayAdapt` lets the device change them, or `resampling` lets the stream convert to the device's
/// rate; the latency and the format are met as closely as the device allows. `StreamConfiguration`
/// tells what the stream got.
public struct StreamRequest: Sendable, Equatable {
    /// Frames per second.
    public var sampleRate: Int
    /// Samples per frame.
    public var channelCount: Int
    /// What the device may change from `sampleRate` and `channelCount`. Empty by default: a stereo
    /// 48 kHz device asked for 6 channels at 96 kHz is an error naming both differences, never a
    /// stream that silently plays 6-channel data as stereo. Allowed differences are listed in
    /// `StreamConfiguration.adaptations`. (For conversion by alsa-lib, open a `plughw:` or
    /// `default` name: its plug then grants the rate and channels asked for.)
    public var mayAdapt: Set<StreamAdaptation.Parameter>
    /// The buffer's length in time: the worst-case latency, and the margin against xruns.
    public var latency: Duration
    /// Periods per buffer: how many wake-ups per buffer (more: steadier, costlier).
    public var periodCount: Int
    /// Sample formats to try on the device, best first. The stream converts from and to `Float`,
    /// so any of them works for the app; the first the device offers wins. An app that moves raw
    /// frames (`PlaybackStream.writeBlocking(rawFrames:)`, `CaptureStream.readBlocking(rawFramesInto:)`)
    /// asks for the format it has, `[.s16LE]` say, and checks `StreamConfiguration.format`.
    public var formats: [SampleFormat]
    /// Prefer mmap access (the device buffer is filled in place) over read/write when offered.
    public var preferMmap: Bool
    /// Whether, and how well, the stream may convert `sampleRate` to a rate the device has. nil by
    /// default: a rate the device lacks is refused. With a quality, a device that lacks the rate runs
    /// at its nearest one, and the stream resamples between the two as it moves each period
    /// (`StreamConfiguration.resampling` then says so); the app still reads and writes frames at
    /// `sampleRate`.
    public var resampling: ResamplingQuality?
    /// How the stream wakes: once a period (the default), or on a timer with a deep buffer.
    public var scheduling: StreamScheduling

    /// A request; by default 48 kHz stereo, 100 ms of buffer in 4 periods, the best format the
    /// device has, exact sample rate and channel count, no resampling, a wakeup per period.
    public init(sampleRate: Int = 48_000, channelCount: Int = 2, latency: Duration = .milliseconds(100),
                periodCount: Int = 4, formats: [SampleFormat] = StreamRequest.defaultFormats, preferMmap: Bool = false,
                mayAdapt: Set<StreamAdaptation.Parameter> = [], resampling: ResamplingQuality? = nil,
                scheduling: StreamScheduling = .periods) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.mayAdapt = mayAdapt
        self.latency = latency
        self.periodCount = periodCount
        self.formats = formats
        self.preferMmap = preferMmap
        self.resampling = resampling
        self.scheduling = scheduling
    }

    /// Float first (no quantisation in the library), then the deepest integer formats.
    public static let defaultFormats: [SampleFormat] = [.floatLE, .s32LE, .s24_3LE, .s24LE, .s16LE, .u8]
}

/// A parameter the stream runs with that differs from the request (allowed by `mayAdapt`).
public struct StreamAdaptation: Sendable, Equatable, CustomStringConvertible {
    /// A parameter of a `StreamRequest` that the device may be allowed to change.
    public enum Parameter: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The sample rate.
        case sampleRate
        /// The channel count.
        case channelCount

        /// `sample rate` or `channel count`.
        public var description: String { self == .sampleRate ? "sample rate" : "channel count" }
    }
    /// Which parameter differs.
    public var parameter: Parameter
    /// What the request asked for.
    public var requested: Int
    /// What the device runs with.
    public var granted: Int

    /// `44100 Hz instead of 48000 Hz`, or `2 channels instead of 6`.
    public var description: String {
        parameter == .sampleRate ? "\(granted) Hz instead of \(requested) Hz" : "\(granted) channels instead of \(requested)"
    }

    /// The differences between `request` and `setup`, in the order sample rate, channel count.
    static func differences(_ request: StreamRequest, _ setup: HardwareSetup) -> [StreamAdaptation] {
        var found: [StreamAdaptation] = []
        if setup.sampleRate != request.sampleRate {
            found.append(StreamAdaptation(parameter: .sampleRate, requested: request.sampleRate, granted: setup.sampleRate))
        }
        if setup.channelCount != request.channelCount {
            found.append(StreamAdaptation(parameter: .channelCount, requested: request.channelCount, granted: setup.channelCount))
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
    /// The quality the stream converts between `sampleRate` and `deviceSampleRate` at; nil when
    /// they are equal (no conversion).
    public var resampling: ResamplingQuality?
    /// The app's rate, when the stream resamples.
    private var streamRate: Int?
    /// How the stream wakes, as requested.
    public var scheduling: StreamScheduling = .periods
    /// For a timer-scheduled stream, the fill it keeps, the watermark it starts with and what
    /// paces the device; nil when it wakes once a period.
    public var timer: TimerSchedule?

    /// A configuration; `resampling` and `sampleRate` only for a stream that converts the app's
    /// `sampleRate` to the device's.
    init(deviceName: String, transport: PCMTransport, setup: HardwareSetup, syncReport: SyncReport,
         adaptations: [StreamAdaptation], resampling: ResamplingQuality? = nil, sampleRate: Int? = nil,
         scheduling: StreamScheduling = .periods, timer: TimerSchedule? = nil) {
        self.deviceName = deviceName
        self.transport = transport
        self.setup = setup
        self.syncReport = syncReport
        self.adaptations = adaptations
        self.resampling = resampling
        streamRate = resampling == nil ? nil : sampleRate
        self.scheduling = scheduling
        self.timer = timer
    }

    /// The app's frames per second: what it reads and writes (the device's, unless the stream
    /// resamples).
    public var sampleRate: Int { streamRate ?? setup.sampleRate }
    /// The device's frames per second.
    public var deviceSampleRate: Int { setup.sampleRate }
    /// Samples per frame.
    public var channelCount: Int { setup.channelCount }
    /// The device's sample format, which the stream converts to and from `Float`; raw frames are
    /// in this format.
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
        let rate = resampling.map { "\(sampleRate) Hz resampled to \(deviceSampleRate) Hz at \($0.name) quality" } ?? "\(sampleRate) Hz"
        let scheduled = timer.map { "; \(scheduling): \($0)" } ?? ""
        return "\(deviceName) via \(transport): \(format) \(channelCount)ch \(rate)\(adapted), \(setup.access), period \(periodSize) frames, buffer \(bufferSize) frames (\(Int(ms.rounded())) ms)\(scheduled); \(syncReport)"
    }
}
