import AlsaSwift
import ArgumentParser
import Foundation

/// `alsa-record FILE`: captures to a WAV file, for a duration or until Ctrl-C, with a level meter.
public struct AlsaRecord: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alsa-record",
        abstract: "Record from an ALSA device into a WAV file.",
        discussion: "The WAV header is patched every second and at the end, so an interrupted recording is still a valid file with every frame captured.")

    @OptionGroup public var device: DeviceOptions

    @Option(name: [.customShort("d"), .long], help: "Seconds to record; without it, record until Ctrl-C.")
    public var duration: Double?

    @Option(name: [.short, .long],
            help: "Sample format: u8, s16, s24 (3 bytes), s32, float; an ALSA name (U8, S16_LE, S24_3LE, S32_LE, FLOAT_LE); or, as arecord has them, cd (S16_LE, 44100 Hz, stereo) or dat (S16_LE, 48000 Hz, stereo).")
    public var format: RecordFormat = .s16

    @Option(name: [.short, .long], help: "Frames per second (default: 48000, or the rate of -f cd/dat).")
    public var rate: UInt32?

    @Option(name: [.short, .long], help: "Channels (default: 2).")
    public var channels: UInt32?

    @Flag(name: .shortAndLong, help: "Print only errors.")
    public var quiet = false

    @Argument(help: "The WAV file to write.")
    public var file: String

    public init() {}

    /// What `-f` names: a sample format, and for arecord's `cd` and `dat` a rate and channel count
    /// too, which `-r` and `-c` still override.
    public struct RecordFormat: ExpressibleByArgument, Sendable, Equatable {
        public let sampleFormat: SampleFormat
        public let presetRate: UInt32?
        public let presetChannels: UInt32?

        public static let s16 = RecordFormat(sampleFormat: .s16LE, presetRate: nil, presetChannels: nil)

        public init(sampleFormat: SampleFormat, presetRate: UInt32?, presetChannels: UInt32?) {
            self.sampleFormat = sampleFormat
            self.presetRate = presetRate
            self.presetChannels = presetChannels
        }

        public init?(argument: String) {
            let plain: [String: SampleFormat] = [
                "u8": .u8, "s16": .s16LE, "s16_le": .s16LE, "s24": .s24_3LE, "s24_3le": .s24_3LE,
                "s32": .s32LE, "s32_le": .s32LE, "float": .floatLE, "float_le": .floatLE,
            ]
            switch argument.lowercased() {
            case "cd": self.init(sampleFormat: .s16LE, presetRate: 44_100, presetChannels: 2)
            case "dat": self.init(sampleFormat: .s16LE, presetRate: 48_000, presetChannels: 2)
            case let name:
                guard let format = plain[name] else { return nil }
                self.init(sampleFormat: format, presetRate: nil, presetChannels: nil)
            }
        }

        public static var allValueStrings: [String] { ["u8", "s16", "s24", "s32", "float", "S16_LE", "S24_3LE", "S32_LE", "FLOAT_LE", "cd", "dat"] }
    }

    /// The rate to record at: `-r`, else the `-f cd`/`dat` rate, else 48 kHz.
    public var sampleRate: UInt32 { rate ?? format.presetRate ?? 48_000 }
    /// The channels to record: `-c`, else the `-f cd`/`dat` count, else 2.
    public var channelCount: UInt32 { channels ?? format.presetChannels ?? 2 }

    public func validate() throws {
        if sampleRate == 0 || channelCount == 0 { throw ValidationError("--rate and --channels must be positive") }
        _ = try ToolLimits.wavFormat(storing: format.sampleFormat, channels: channelCount, rate: sampleRate, frames: try frameLimit())
    }

    /// `--duration` in frames, nil when recording until Ctrl-C.
    func frameLimit() throws -> Int? {
        try duration.map { seconds throws(ValidationError) in try ToolLimits.durationFrames(seconds, rate: sampleRate) }
    }

    public func run() throws {
        Interruption.install()
        try Interruption.running(recordToFile)
    }

    private func recordToFile() throws {
        let opened = try device.open(.capture, nonBlocking: true)
        let report = try Recorder(pcm: opened.pcm, options: device, status: StatusLine(quiet: quiet))
            .record(to: file, format: format.sampleFormat, channels: channelCount, rate: sampleRate,
                    frames: try frameLimit()) { setup in
                guard !quiet else { return }
                Say.line("\(opened.pcm.name) via \(opened.pcm.transport): \(setup)")
                Say.line("  sync: \(opened.pcm.syncReport)")
            }
        if !quiet {
            Say.line("\(file): \(report.frames) frames (\(clock(Double(report.frames) / Double(sampleRate)))), \(report.xruns) xrun\(report.xruns == 1 ? "" : "s")\(report.interrupted ? ", interrupted" : "")")
        }
        if report.interrupted && duration == nil { return }  // Ctrl-C is how an open-ended recording ends
        if report.interrupted { throw Interruption.exitCode }
    }
}

/// Captures into a `WAVWriter`, the device's format stored as it is.
public struct Recorder {
    public struct Report: Sendable {
        public var frames: Int
        public var xruns: Int
        public var interrupted: Bool
    }

    public let pcm: any PCM
    public let options: DeviceOptions
    public let status: StatusLine

    public init(pcm: any PCM, options: DeviceOptions, status: StatusLine) {
        self.pcm = pcm
        self.options = options
        self.status = status
    }

    /// Records `frames` frames (nil: until interrupted) into `path`.
    public func record(to path: String, format: SampleFormat, channels: UInt32, rate: UInt32, frames limit: Int?,
                       onConfigured: (HardwareSetup) -> Void = { _ in }) throws -> Report {
        let setup = try pcm.configure(options.request(format: format, channels: channels, rate: rate))
        guard setup.channels == channels, setup.rate == rate else {
            throw ToolFailure("\(pcm.name) records \(setup.channels) channels at \(setup.rate) Hz, not \(channels) at \(rate); try a plughw: or default device")
        }
        onConfigured(setup)
        guard let wavFormat = WAVFormat(storing: setup.format, channels: Int(channels), sampleRate: Int(rate)) else {
            throw ToolFailure("a WAV file cannot store \(setup.format)")
        }
        let writer = try WAVWriter(path: path, format: wavFormat)
        let chunk = Int(setup.periodSize)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * setup.frameBytes, alignment: 16)
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * Int(channels))
        defer {
            bytes.deallocate()
            floats.deallocate()
        }
        var meter = LevelMeter(channels: Int(channels))
        try pcm.start()
        while !Interruption.requested {
            let wanted = min(chunk, (limit ?? .max) - writer.framesWritten)
            if wanted <= 0 { break }
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<wanted * setup.frameBytes]), frameBytes: setup.frameBytes)
            let captured = UnsafeRawBufferPointer(rebasing: bytes[0..<got * setup.frameBytes])
            try writer.append(captured)
            if status.enabled {
                let samples = UnsafeMutableBufferPointer(rebasing: floats[0..<got * Int(channels)])
                try SampleConversion.decode(captured, as: setup.format, into: samples)
                meter.add(UnsafeBufferPointer(samples))
                status.update("● \(clock(Double(writer.framesWritten) / Double(rate)))  \(meter.bars())  xruns \(pcm.xrunCount)")
            }
        }
        let interrupted = Interruption.requested
        try? pcm.drop()
        try writer.finish()
        status.finish()
        return Report(frames: writer.framesWritten, xruns: pcm.xrunCount, interrupted: interrupted)
    }

    /// Fills `buffer` (whole frames), with the access the PCM was configured for.
    private func read(into buffer: UnsafeMutableRawBufferPointer, frameBytes: Int) throws -> Int {
        var offset = 0
        while offset < buffer.count && !Interruption.requested {
            if pcm.setup?.access.isMmap == true {
                _ = try pcm.wait(timeoutMilliseconds: 500)
                let area = try pcm.beginTransfer(maxFrames: (buffer.count - offset) / frameBytes)
                let count = area.frames * frameBytes
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + count]).copyMemory(from: UnsafeRawBufferPointer(area.interleaved))
                try pcm.commitTransfer(area.frames)
                offset += count
            } else {
                // A bounded wait, then a read of what is there: a blocking read would sit in the
                // kernel on a stalled device, retrying the EINTR of a Ctrl-C.
                _ = try pcm.wait(timeoutMilliseconds: 500)
                let read: Int
                do {
                    read = try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
                } catch {
                    guard error.kind == .wouldBlock || error.kind == .interrupted else { throw error }
                    continue
                }
                offset += read * frameBytes
            }
        }
        return offset / frameBytes
    }
}

/// Peak level per channel, decaying, drawn as bars.
struct LevelMeter {
    private var peaks: [Float]

    init(channels: Int) { peaks = [Float](repeating: 0, count: channels) }

    mutating func add(_ samples: UnsafeBufferPointer<Float>) {
        let channels = peaks.count
        for c in 0..<channels { peaks[c] *= 0.7 }
        for (i, x) in samples.enumerated() { peaks[i % channels] = max(peaks[i % channels], abs(x)) }
    }

    func bars(width: Int = 20) -> String {
        peaks.map { peak in
            let db = peak > 0 ? 20 * log10(Double(peak)) : -90
            let filled = max(0, min(width, Int((db + 60) / 60 * Double(width))))
            return String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + String(format: " %5.1f dB", db)
        }.joined(separator: "  ")
    }
}
