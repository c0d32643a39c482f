import AlsaSimulation
import AlsaSwift
import AlsaSwiftFiles

/// Plays one source (a WAV file or stream, raw samples) to an opened PCM: negotiates the source's
/// own format when the device has it
/// (the bytes then go to the device untouched), else the best format it has, converting through
/// `Float`. Channels must be the device's; the rate too, unless `resampling` lets a
/// `PlaybackStream` convert it (alsa-lib's plug names resample as well).
package struct Player {
    package struct Report: Sendable {
        package var setup: HardwareSetup
        package var converted: Bool
        package var frames: Int
        package var xruns: Int
        package var interrupted: Bool
        /// FNV-1a 64 of the bytes sent to the device, in order: what a device that played them all saw.
        package var checksum: UInt64
        /// Resampled: the frames the device got (at its rate); `checksum` then covers the file's
        /// samples as `Float`, not the device's bytes.
        package var resampledFrames: Int?
        /// With `--timer`: how often the stream woke.
        package var wakeups: WakeupReport? = nil
    }

    /// The device format for `file` among `offered`, and whether samples must be converted.
    package static func deviceFormat(for file: WAVFormat, offered: [SampleFormat]) -> (format: SampleFormat, convert: Bool)? {
        if offered.contains(file.sampleFormat) { return (file.sampleFormat, false) }
        let candidates: [SampleFormat] = [.floatLE, .s32LE, .s24_3LE, .s24LE, .s16LE, .u8]
        return candidates.first(where: offered.contains).map { ($0, true) }
    }

    package let pcm: any PCM
    package let options: DeviceOptions
    package var status: StatusLine
    package var onConfigured: (HardwareSetup, Bool) -> Void = { _, _ in }
    /// When set, a file whose rate the device lacks is resampled at this quality.
    package let resampling: ResamplingQuality?

    package init(pcm: any PCM, options: DeviceOptions, status: StatusLine, resampling: ResamplingQuality? = nil) {
        self.pcm = pcm
        self.options = options
        self.status = status
        self.resampling = resampling
    }

    package func play(_ file: any AudioSource) throws -> Report {
        let format = file.format
        if options.timer {
            let formats = [format.sampleFormat] + [.floatLE, .s32LE, .s24_3LE, .s24LE, .s16LE, .u8].filter { $0 != format.sampleFormat }
            var request = options.timerRequest(formats: formats, channelCount: format.channelCount, sampleRate: format.sampleRate)
            request.resampling = resampling
            return try playThroughStream(file, request: request)
        }
        guard let (deviceFormat, convert) = Self.deviceFormat(for: format, offered: pcm.capabilities.formats) else {
            throw ToolFailure("\(pcm.name) offers no format this player can convert to (it offers \(pcm.capabilities.formats.map(\.name).joined(separator: ", ")))")
        }
        guard let channels = UInt32(exactly: format.channelCount), let rate = UInt32(exactly: format.sampleRate) else {
            throw ToolFailure("\(format) is beyond what a device can be asked for")
        }
        if let resampling, !pcm.capabilities.sampleRate.contains(format.sampleRate) {
            return try playThroughStream(file, request: resamplingRequest(for: format, quality: resampling))
        }
        let setup = try pcm.configure(options.request(format: deviceFormat, channelCount: channels, sampleRate: rate))
        guard setup.channelCount == UInt32(format.channelCount) else {
            throw ToolFailure("\(pcm.name) cannot play \(format.channelCount) channels (it offers \(pcm.capabilities.channelCount)); try a plughw: or default device")
        }
        guard setup.sampleRate == UInt32(format.sampleRate) else {
            if let resampling { return try playThroughStream(file, request: resamplingRequest(for: format, quality: resampling)) }
            throw ToolFailure("\(pcm.name) runs at \(setup.sampleRate) Hz, the file at \(format.sampleRate) Hz; try --resample, or a plughw: or default device, which resample")
        }
        onConfigured(setup, convert)

        let chunk = Int(setup.periodSize)
        let total = file.totalFrames.map { "/\($0)" } ?? ""
        let length = file.totalDuration.map { " / " + clock($0) } ?? ""
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * format.bytesPerFrame, alignment: 16)
        let device = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * setup.frameBytes, alignment: 16)
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * format.channelCount)
        defer {
            raw.deallocate()
            device.deallocate()
            floats.deallocate()
        }
        var checksum = FrameChecksum.seed
        var played = 0
        while !Interruption.requested {
            let frames = try file.read(frames: chunk, into: raw)
            if frames == 0 { break }
            var bytes = UnsafeRawBufferPointer(rebasing: raw[0..<frames * format.bytesPerFrame])
            if convert {
                let samples = UnsafeMutableBufferPointer(rebasing: floats[0..<frames * format.channelCount])
                try SampleConversion.decode(bytes, as: format.sampleFormat, into: samples)
                let out = UnsafeMutableRawBufferPointer(rebasing: device[0..<frames * setup.frameBytes])
                try SampleConversion.encode(UnsafeBufferPointer(samples), as: deviceFormat, into: out)
                bytes = UnsafeRawBufferPointer(out)
            }
            FrameChecksum.fnv1a(bytes, into: &checksum)
            try write(bytes, frameBytes: setup.frameBytes)
            played += frames
            status.update("▶ \(clock(Double(played) / Double(setup.sampleRate)))\(length)  frame \(played)\(total)  xruns \(pcm.xrunCount)")
        }
        let interrupted = Interruption.requested
        if interrupted {
            try pcm.drop()
        } else {
            try pcm.drain(timeout: setup.bufferDuration + .seconds(2))
        }
        status.update("▶ \(clock(Double(played) / Double(setup.sampleRate)))\(length)  frame \(played)\(total)  xruns \(pcm.xrunCount)", force: true)
        status.finish()
        return Report(setup: setup, converted: convert, frames: played, xruns: pcm.xrunCount, interrupted: interrupted, checksum: checksum)
    }

    /// The stream request for playing `format` resampled at `quality`: the file's rate and channels,
    /// with the period and buffer the command line asked for (counted at the file's rate).
    private func resamplingRequest(for format: WAVFormat, quality: ResamplingQuality) -> StreamRequest {
        let probe = options.request(format: .floatLE, channelCount: 2, sampleRate: UInt32(clamping: format.sampleRate))
        var request = StreamRequest(sampleRate: format.sampleRate, channelCount: format.channelCount, preferMmap: options.mmap, resampling: quality)
        if let bufferSize = probe.bufferSize, format.sampleRate > 0 {
            request.latency = .microseconds(Int64(bufferSize) * 1_000_000 / Int64(format.sampleRate))
        }
        if let periodSize = probe.periodSize, let bufferSize = probe.bufferSize { request.periodCount = max(bufferSize / max(periodSize, 1), 2) }
        return request
    }

    /// Plays `file` through a `PlaybackStream`, the library's period engine, when the stream must do
    /// what the bare PCM does not: resample to the device's nearest rate (`--resample`) or wake on a
    /// timer (`--timer`). Samples go in as `Float`, a chunk at a time. The checksum covers what the
    /// device gets: its bytes, or, resampled, the file's samples as `Float` (the device's frames then
    /// differ in number). A Ctrl-C is seen at the next chunk, and what is queued is dropped.
    private func playThroughStream(_ file: any AudioSource, request: StreamRequest) throws -> Report {
        let format = file.format
        let stream = try PlaybackStream(pcm: pcm, request: request)
        let configuration = stream.configuration
        let setup = configuration.setup
        let resampled = configuration.resampling != nil
        let converted = resampled || setup.format != format.sampleFormat
        onConfigured(setup, converted)

        let chunk = configuration.timer == nil ? setup.periodSize : 4096
        let total = file.totalFrames.map { "/\($0)" } ?? ""
        let length = file.totalDuration.map { " / " + clock($0) } ?? ""
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * format.bytesPerFrame, alignment: 16)
        let device = UnsafeMutableRawBufferPointer.allocate(byteCount: resampled ? 0 : chunk * setup.frameBytes, alignment: 16)
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunk * format.channelCount)
        defer {
            raw.deallocate()
            device.deallocate()
            floats.deallocate()
        }
        var checksum = FrameChecksum.seed
        var played = 0
        let progress = { "▶ \(clock(Double(played) / Double(format.sampleRate)))\(length)  frame \(played)\(total)  xruns \(stream.xrunCount)" }
        while !Interruption.requested {
            let frames = try file.read(frames: chunk, into: raw)
            if frames == 0 { break }
            let samples = UnsafeMutableBufferPointer(rebasing: floats[0..<frames * format.channelCount])
            try SampleConversion.decode(UnsafeRawBufferPointer(rebasing: raw[0..<frames * format.bytesPerFrame]), as: format.sampleFormat, into: samples)
            if resampled {
                FrameChecksum.fnv1a(UnsafeRawBufferPointer(samples), into: &checksum)
            } else {
                // The bytes the stream sends for these samples: the same conversion, for the checksum.
                let out = UnsafeMutableRawBufferPointer(rebasing: device[0..<frames * setup.frameBytes])
                try SampleConversion.encode(UnsafeBufferPointer(samples), as: setup.format, into: out)
                FrameChecksum.fnv1a(UnsafeRawBufferPointer(out), into: &checksum)
            }
            try stream.writeBlocking(UnsafeBufferPointer(samples))
            played += frames
            status.update(progress())
        }
        let interrupted = Interruption.requested
        if interrupted {
            try stream.stop()
        } else {
            _ = try stream.drainBlocking(timeout: setup.bufferDuration + .seconds(2))
        }
        status.update(progress(), force: true)
        status.finish()
        let wakeups = configuration.timer.map {
            WakeupReport(wakeups: stream.statistics.waits, seconds: Double(played) / Double(format.sampleRate), periodWakeups: $0.periodWakeups,
                         latencyRaise: WakeupReport.latencyRaise(try? stream.status(), schedule: $0, sampleRate: setup.sampleRate))
        }
        return Report(setup: setup, converted: converted, frames: played, xruns: stream.xrunCount, interrupted: interrupted,
                      checksum: checksum, resampledFrames: resampled ? stream.statistics.frames : nil, wakeups: wakeups)
    }

    /// Queues `bytes` (whole frames) with the access the PCM was configured for.
    private func write(_ bytes: UnsafeRawBufferPointer, frameBytes: Int) throws {
        var offset = 0
        if pcm.setup?.access.isMmap == true {
            while offset < bytes.count && !Interruption.requested {
                _ = try pcm.wait(timeout: .milliseconds(500))  // at once while there is room
                let area = try pcm.beginTransfer(maxFrames: (bytes.count - offset) / frameBytes)
                let count = area.frames * frameBytes
                area.interleaved.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                try pcm.commitTransfer(area.frames)
                offset += count
            }
        } else {
            while offset < bytes.count && !Interruption.requested {
                // A bounded wait, then a write that takes what fits: a blocking write would sit in
                // the kernel on a stalled device, retrying the EINTR of a Ctrl-C.
                _ = try pcm.wait(timeout: .milliseconds(500))
                let written: Int
                do {
                    written = try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                } catch {
                    guard error.kind == .wouldBlock || error.kind == .interrupted else { throw error }
                    continue
                }
                offset += written * frameBytes
            }
        }
    }
}
