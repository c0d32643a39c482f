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

    @Option(name: [.short, .long], help: "Sample format: u8, s16, s24 (3 bytes), s32 or float.")
    public var format: RecordFormat = .s16

    @Option(name: [.short, .long], help: "Frames per second.")
    public var rate: UInt32 = 48_000

    @Option(name: [.short, .long], help: "Channels.")
    public var channels: UInt32 = 2

    @Flag(name: .shortAndLong, help: "Print only errors.")
    public var quiet = false

    @Argument(help: "The WAV file to write.")
    public var file: String

    public init() {}

    public enum RecordFormat: String, ExpressibleByArgument, Sendable, CaseIterable {
        case u8, s16, s24, s32, float
        public var sampleFormat: SampleFormat {
            switch self {
            case .u8: .u8
            case .s16: .s16LE
            case .s24: .s24_3LE
            case .s32: .s32LE
            case .float: .floatLE
            }
        }
    }

    public func validate() throws {
        if rate == 0 || channels == 0 { throw ValidationError("--rate and --channels must be positive") }
        _ = try ToolLimits.wavFormat(storing: format.sampleFormat, channels: channels, rate: rate, frames: try frameLimit())
    }

    /// `--duration` in frames, nil when recording until Ctrl-C.
    func frameLimit() throws -> Int? {
        try duration.map { seconds throws(ValidationError) in try ToolLimits.durationFrames(seconds, rate: rate) }
    }

    public func run() throws {
        Interruption.install()
        try Interruption.running(recordToFile)
    }

    private func recordToFile() throws {
        let opened = try device.open(.capture, nonBlocking: true)
        let report = try Recorder(pcm: opened.pcm, options: device, status: StatusLine(quiet: quiet))
            .record(to: file, format: format.sampleFormat, channels: channels, rate: rate,
                    frames: try frameLimit()) { setup in
                guard !quiet else { return }
                Say.line("\(opened.pcm.name) via \(opened.pcm.transport): \(setup)")
                Say.line("  sync: \(opened.pcm.syncReport)")
            }
        if !quiet {
            Say.line("\(file): \(report.frames) frames (\(clock(Double(report.frames) / Double(rate)))), \(report.xruns) xrun\(report.xruns == 1 ? "" : "s")\(report.interrupted ? ", interrupted" : "")")
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
