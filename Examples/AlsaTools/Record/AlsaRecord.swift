import AlsaSwift
import AlsaSwiftFiles
import ArgumentParser
import Foundation

/// `alsa-record FILE`: captures to a WAV file or raw samples, to a file or standard output, for a
/// duration or until Ctrl-C, with arecord's options.
package struct AlsaRecord: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "alsa-record",
        abstract: "Record from an ALSA device into a WAV file or raw samples, as arecord does.",
        discussion: """
        A file named - is standard output: "alsa-record -f cd -d 5 - | lame - x.mp3", or raw samples with -t raw. \
        A WAV file's header is patched every second and at the end, so an interrupted recording is still a valid \
        file with every frame captured; on a pipe, which cannot be patched, the header is written first, with the \
        size of -d when given, else the largest sizes (read as "until the end"). Status lines and the level meter \
        go to standard error; -q silences them, -v adds the parameters the device granted.
        """)

    @OptionGroup package var device: DeviceOptions
    @OptionGroup package var samples: SampleOptions
    @OptionGroup package var listing: ListingOptions
    @OptionGroup package var report: ReportOptions

    @Option(name: [.customShort("d"), .long], parsing: .unconditional, help: "Seconds to record; without it, record until Ctrl-C.")
    package var duration: Double?

    @Argument(help: ArgumentHelp("The file to write; - for standard output.", valueName: "file"))
    package var file: String?

    package init() {}

    package var quiet: Bool { report.quiet }
    /// The sample format to record: `-f`, else S16_LE.
    package var format: FormatOption { samples.format ?? .s16 }
    /// The rate to record at: `-r`, else the `-f cd`/`dat` rate, else 48 kHz.
    package var sampleRate: Int { samples.givenRate ?? 48_000 }
    /// The channels to record: `-c`, else the `-f cd`/`dat` count, else 2.
    package var channelCount: Int { samples.givenChannels ?? 2 }

    package func validate() throws {
        if listing.lists { return }
        guard file != nil else { throw ValidationError("give the file to write (- for standard output), or -l or -L to list devices") }
        let frames = try frameLimit()
        switch samples.fileType {
        case .wav: _ = try ToolLimits.wavFormat(storing: format.sampleFormat, channelCount: channelCount, sampleRate: sampleRate, frames: frames)
        case .raw:
            guard WAVFormat(storing: format.sampleFormat, channelCount: channelCount, sampleRate: sampleRate) != nil else {
                throw ValidationError("-f \(format.sampleFormat) cannot be recorded")
            }
        }
    }

    /// `--duration` in frames, nil when recording until Ctrl-C.
    func frameLimit() throws -> Int? {
        try duration.map { seconds throws(ValidationError) in try ToolLimits.durationFrames(seconds, sampleRate: sampleRate) }
    }

    package func run() throws {
        if listing.lists { return try listing.run(.capture, device: device) }
        Interruption.install()
        try Interruption.running(record)
    }

    private func record() throws {
        guard let file else { return }
        let opened = try device.open(.capture, nonBlocking: true)
        let report = self.report
        let fileType = samples.fileType
        let limit = try frameLimit()
        let name = file == "-" ? "stdout" : file
        let kind = fileType == .raw ? "raw data" : "WAVE"
        let result = try Recorder(pcm: opened.pcm, options: device, status: StatusLine(quiet: quiet))
            .record(format: format.sampleFormat, channelCount: channelCount, sampleRate: sampleRate, frames: limit,
                    to: { layout throws(WAVError) in try fileType.sink(file, format: layout, expectedFrames: limit) },
                    onConfigured: { setup in
                        let channels = "\(setup.channelCount) channel\(setup.channelCount == 1 ? "" : "s")"
                        report.status("Recording \(kind) '\(name)': \(setup.format), \(setup.sampleRate) Hz, \(channels)")
                        report.status("  \(opened.pcm.name) via \(opened.pcm.transport): \(setup)")
                        report.status("  sync: \(opened.pcm.syncReport)")
                        report.setup(of: opened.pcm)
                    })
        let length = clock(Double(result.frames) / Double(sampleRate))
        let xruns = "\(result.xruns) xrun\(result.xruns == 1 ? "" : "s")"
        report.status("\(name): \(result.frames) frames (\(length)), \(xruns)\(result.interrupted ? ", interrupted" : "")")
        // Asked for on the command line: printed even with -q.
        if let wakeups = result.wakeups { Say.error(wakeups.description) }
        // Stopped by a signal: 128 + its number, as for every tool, even when Ctrl-C is how an
        // open-ended recording ends (the file is complete either way).
        if result.interrupted { throw Interruption.exitCode }
    }
}

/// Captures into a WAV file or raw samples, the device's format stored as it is.
package struct Recorder {
    package struct Report: Sendable {
        package var frames: Int
        package var xruns: Int
        package var interrupted: Bool
        /// With `--timer`: how often the stream woke.
        package var wakeups: WakeupReport? = nil
    }

    package let pcm: any PCM
    package let options: DeviceOptions
    package let status: StatusLine

    package init(pcm: any PCM, options: DeviceOptions, status: StatusLine) {
        self.pcm = pcm
        self.options = options
        self.status = status
    }

    /// Records `frames` frames (nil: until interrupted) into `path`, a WAV file.
    package func record(to path: String, format: SampleFormat, channelCount: Int, sampleRate: Int, frames limit: Int?,
                       onConfigured: (HardwareSetup) -> Void = { _ in }) throws -> Report {
        try record(format: format, channelCount: channelCount, sampleRate: sampleRate, frames: limit,
                   to: { layout throws(WAVError) in try FileType.wav.sink(path, format: layout, expectedFrames: nil) }, onConfigured: onConfigured)
    }

    /// Records `frames` frames (nil: until interrupted) into the sink `open` makes for the layout
    /// the device granted, once it is granted (a refused configuration leaves no file behind).
    package func record(format: SampleFormat, channelCount: Int, sampleRate: Int, frames limit: Int?,
                       to open: (WAVFormat) throws(WAVError) -> any AudioSink,
                       onConfigured: (HardwareSetup) -> Void = { _ in }) throws -> Report {
        let (channels, rate) = (channelCount, sampleRate)
        guard let deviceChannels = UInt32(exactly: channels), let deviceRate = UInt32(exactly: rate) else {
            throw ToolFailure("\(channels) channels at \(rate) Hz are beyond what a device can be asked for")
        }
        if options.timer { return try recordOnTimer(format: format, channels: channels, rate: rate, frames: limit, to: open, onConfigured: onConfigured) }
        let setup = try pcm.configure(options.request(format: format, channelCount: deviceChannels, sampleRate: deviceRate))
        guard setup.channelCount == deviceChannels, setup.sampleRate == deviceRate else {
            throw ToolFailure("\(pcm.name) records \(setup.channelCount) channels at \(setup.sampleRate) Hz, not \(channels) at \(rate); try a plughw: or default device")
        }
        onConfigured(setup)
        guard let layout = WAVFormat(storing: setup.format, channelCount: channels, sampleRate: rate) else {
            throw ToolFailure("\(setup.format) cannot be stored")
        }
        let writer = try open(layout)
        let chunk = Int(setup.periodSize)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * setup.frameBytes, alignment: 16)
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * channels)
        defer {
            bytes.deallocate()
            floats.deallocate()
        }
        var meter = LevelMeter(channels: channels)
        try pcm.start()
        while !Interruption.requested {
            let wanted = min(chunk, (limit ?? .max) - writer.framesWritten)
            if wanted <= 0 { break }
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<wanted * setup.frameBytes]), frameBytes: setup.frameBytes)
            let captured = UnsafeRawBufferPointer(rebasing: bytes[0..<got * setup.frameBytes])
            try writer.append(captured)
            if status.enabled {
                let samples = UnsafeMutableBufferPointer(rebasing: floats[0..<got * channels])
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

    /// `--timer`: a timer-scheduled `CaptureStream` on the PCM in `format` (the device must have
    /// it), read a chunk of `Float` at a time and stored in that format again (exact for formats of
    /// up to 24 bits). A Ctrl-C is seen when the stream next wakes.
    private func recordOnTimer(format: SampleFormat, channels: Int, rate: Int, frames limit: Int?,
                               to open: (WAVFormat) throws(WAVError) -> any AudioSink,
                               onConfigured: (HardwareSetup) -> Void) throws -> Report {
        let stream = try CaptureStream(pcm: pcm, request: options.timerRequest(formats: [format], channelCount: channels, sampleRate: rate))
        let setup = stream.configuration.setup
        onConfigured(setup)
        guard let layout = WAVFormat(storing: setup.format, channelCount: channels, sampleRate: rate) else {
            throw ToolFailure("\(setup.format) cannot be stored")
        }
        let writer = try open(layout)
        let chunk = 4096
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * setup.frameBytes, alignment: 16)
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * channels)
        defer {
            bytes.deallocate()
            floats.deallocate()
        }
        var meter = LevelMeter(channels: channels)
        while !Interruption.requested {
            let wanted = min(chunk, (limit ?? .max) - writer.framesWritten)
            if wanted <= 0 { break }
            let samples = UnsafeMutableBufferPointer(rebasing: floats[0..<wanted * channels])
            try stream.readBlocking(into: samples)
            let captured = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<wanted * setup.frameBytes])
            try SampleConversion.encode(UnsafeBufferPointer(samples), as: setup.format, into: captured)
            try writer.append(UnsafeRawBufferPointer(captured))
            if status.enabled {
                meter.add(UnsafeBufferPointer(samples))
                status.update("● \(clock(Double(writer.framesWritten) / Double(rate)))  \(meter.bars())  xruns \(stream.xrunCount)")
            }
        }
        let interrupted = Interruption.requested
        try? stream.stop()
        try writer.finish()
        status.finish()
        let wakeups = WakeupReport(wakeups: stream.statistics.waits, seconds: Double(writer.framesWritten) / Double(rate),
                                   periodWakeups: stream.configuration.timer?.periodWakeups ?? true,
                                   latencyRaise: WakeupReport.latencyRaise(try? stream.status(), schedule: stream.configuration.timer,
                                                                           sampleRate: setup.sampleRate))
        return Report(frames: writer.framesWritten, xruns: stream.xrunCount, interrupted: interrupted, wakeups: wakeups)
    }

    /// Fills `buffer` (whole frames), with the access the PCM was configured for.
    private func read(into buffer: UnsafeMutableRawBufferPointer, frameBytes: Int) throws -> Int {
        var offset = 0
        while offset < buffer.count && !Interruption.requested {
            if pcm.setup?.access.isMmap == true {
                _ = try pcm.wait(timeout: .milliseconds(500))
                let area = try pcm.beginTransfer(maxFrames: (buffer.count - offset) / frameBytes)
                let count = area.frames * frameBytes
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + count]).copyMemory(from: UnsafeRawBufferPointer(area.interleaved))
                try pcm.commitTransfer(area.frames)
                offset += count
            } else {
                // A bounded wait, then a read of what is there: a blocking read would sit in the
                // kernel on a stalled device, retrying the EINTR of a Ctrl-C.
                _ = try pcm.wait(timeout: .milliseconds(500))
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
            // Held to the bar in Doubles: a float device's inf or nan sample must not trap here.
            let fraction = (db + 60) / 60
            let filled = fraction.isNaN ? 0 : Int(min(max(fraction, 0), 1) * Double(width))
            return String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + String(format: " %5.1f dB", db)
        }.joined(separator: "  ")
    }
}
