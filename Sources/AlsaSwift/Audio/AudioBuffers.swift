/// Interleaved `Float` audio: frame after frame, each frame one sample per channel (the layout of
/// RW_INTERLEAVED and MMAP_INTERLEAVED devices).
///
/// `samples.count` is always a whole number of frames: the setter is private so the invariant the
/// initialisers check cannot be broken afterwards. Write samples through the subscript or
/// `withUnsafeMutableSamples`.
public struct InterleavedAudioBuffer: Sendable, Equatable {
    /// Samples per frame.
    public let channelCount: Int
    /// Frame-major: sample `c` of frame `f` is at `f * channelCount + c`.
    public private(set) var samples: [Float]

    /// The number of frames.
    public var frameCount: Int { samples.count / channelCount }

    /// `frameCount` frames of silence; refused unless there is at least one channel and the sample
    /// count is non-negative and countable.
    public init(channelCount: Int, frameCount: Int) throws(AlsaError) {
        try AudioBufferSize.check(channelCount: channelCount, frameCount: frameCount)
        self.channelCount = channelCount
        samples = [Float](repeating: 0, count: channelCount * frameCount)
    }

    /// Wraps `samples` without checking them, for callers whose layout is valid by construction.
    init(unchecked channelCount: Int, samples: [Float]) {
        self.channelCount = channelCount
        self.samples = samples
    }

    /// Wraps `samples`; refused unless there is at least one channel and the samples are a whole
    /// number of `channelCount`-sample frames.
    public init(channelCount: Int, samples: [Float]) throws(AlsaError) {
        guard channelCount > 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "an audio buffer needs at least one channel, not \(channelCount)")
        }
        guard samples.count % channelCount == 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "\(samples.count) samples are not a whole number of \(channelCount)-channel frames")
        }
        self.channelCount = channelCount
        self.samples = samples
    }

    /// Decodes interleaved device-format audio; `bytes` must be a whole number of frames.
    public init(decoding bytes: UnsafeRawBufferPointer, format: SampleFormat, channelCount: Int) throws(AlsaError) {
        let frameCount = try Self.wholeFrames(in: bytes.count, format: format, channelCount: channelCount)
        try self.init(channelCount: channelCount, frameCount: frameCount)
        try samples.withUnsafeMutableBufferPointer { (output) throws(AlsaError) in
            try SampleConversion.decode(bytes, as: format, into: output)
        }
    }

    /// Decodes interleaved device-format audio held in an array.
    public init(decoding bytes: [UInt8], format: SampleFormat, channelCount: Int) throws(AlsaError) {
        // Array.withUnsafeBytes only rethrows untyped errors, so the typed error travels as a Result.
        let decoded = bytes.withUnsafeBytes { raw -> Result<Self, AlsaError> in
            do throws(AlsaError) { return .success(try Self(decoding: raw, format: format, channelCount: channelCount)) } catch { return .failure(error) }
        }
        self = try decoded.get()
    }

    /// The sample of `channel` in frame `frame`.
    public subscript(frame: Int, channel: Int) -> Float {
        get { samples[frame * channelCount + channel] }
        set { samples[frame * channelCount + channel] = newValue }
    }

    /// One channel's samples.
    public func channel(_ channel: Int) -> [Float] {
        precondition((0..<channelCount).contains(channel), "channel \(channel) of a \(channelCount)-channel buffer")
        return stride(from: channel, to: samples.count, by: channelCount).map { samples[$0] }
    }

    /// Lets `body` write the samples in place (a render callback filling a whole buffer). The count
    /// cannot change, so the buffer stays a whole number of frames.
    public mutating func withUnsafeMutableSamples<Value, Failure: Error>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        try samples.withUnsafeMutableBufferPointer { (buffer) throws(Failure) -> Value in try body(buffer) }
    }

    /// The same audio, one array per channel.
    public var nonInterleaved: NonInterleavedAudioBuffer {
        NonInterleavedAudioBuffer(unchecked: (0..<channelCount).map(channel))
    }

    /// The audio in device format, interleaved. Allocates; for files and tests, not the audio path.
    public func encoded(as format: SampleFormat) throws(AlsaError) -> [UInt8] {
        let width = try SampleConversion.bytesPerSample(format)
        var bytes = [UInt8](repeating: 0, count: samples.count * width)
        let outcome = bytes.withUnsafeMutableBytes { raw -> Result<Void, AlsaError> in
            do throws(AlsaError) { return .success(try encode(frames: 0..<frameCount, as: format, into: raw)) } catch { return .failure(error) }
        }
        try outcome.get()
        return bytes
    }

    /// Encodes `frames` into the start of `bytes` (a device buffer or an mmap area), allocating
    /// nothing. Throws if the range is outside the buffer or `bytes` is too small.
    public func encode(frames range: Range<Int>, as format: SampleFormat, into bytes: UnsafeMutableRawBufferPointer) throws(AlsaError) {
        let span = try sampleSpan(of: range)
        try samples.withUnsafeBufferPointer { (all) throws(AlsaError) in
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: all[span]), as: format, into: bytes)
        }
    }

    /// Decodes `range.count` frames from the start of `bytes` over `frames`, allocating nothing
    /// unless this buffer's storage is shared and must be copied first.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, as format: SampleFormat, intoFrames range: Range<Int>) throws(AlsaError) {
        let span = try sampleSpan(of: range)
        try samples.withUnsafeMutableBufferPointer { (all) throws(AlsaError) in
            try SampleConversion.decode(bytes, as: format, into: UnsafeMutableBufferPointer(rebasing: all[span]))
        }
    }

    private func sampleSpan(of range: Range<Int>) throws(AlsaError) -> Range<Int> {
        guard range.lowerBound >= 0, range.upperBound <= frameCount else {
            throw AlsaError(.transfer, .invalidArgument, context: "frames \(range) are outside a \(frameCount)-frame buffer")
        }
        return range.lowerBound * channelCount..<range.upperBound * channelCount
    }

    /// The frame count `byteCount` bytes of interleaved `format` audio hold, or an error if it is not
    /// a whole number.
    private static func wholeFrames(in byteCount: Int, format: SampleFormat, channelCount: Int) throws(AlsaError) -> Int {
        guard channelCount > 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "an audio buffer needs at least one channel, not \(channelCount)")
        }
        let frameBytes = try channelCount * SampleConversion.bytesPerSample(format)
        guard byteCount % frameBytes == 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "\(byteCount) bytes are not a whole number of \(frameBytes)-byte \(format) frames")
        }
        return byteCount / frameBytes
    }
}

/// Non-interleaved `Float` audio: one array per channel, all the same length (the layout of
/// RW_NONINTERLEAVED and MMAP_NONINTERLEAVED devices).
public struct NonInterleavedAudioBuffer: Sendable, Equatable {
    /// `channels[c][f]` is sample `f` of channel `c`.
    public private(set) var channels: [[Float]]

    /// The number of channels.
    public var channelCount: Int { channels.count }
    /// The number of frames (each channel holds this many samples).
    public var frameCount: Int { channels.first?.count ?? 0 }

    /// `frameCount` frames of silence in each of `channelCount` channels; refused unless there is
    /// at least one channel and the sample count is non-negative and countable.
    public init(channelCount: Int, frameCount: Int) throws(AlsaError) {
        try AudioBufferSize.check(channelCount: channelCount, frameCount: frameCount)
        // One array each, not one shared copy-on-write array, so writing a channel copies nothing.
        channels = (0..<channelCount).map { _ in [Float](repeating: 0, count: frameCount) }
    }

    /// Refused unless there is at least one channel and every channel has the same number of frames.
    public init(channels: [[Float]]) throws(AlsaError) {
        guard let first = channels.first else {
            throw AlsaError(.transfer, .invalidArgument, context: "an audio buffer needs at least one channel")
        }
        guard channels.allSatisfy({ $0.count == first.count }) else {
            throw AlsaError(.transfer, .invalidArgument, context: "channels of unequal length: \(channels.map(\.count))")
        }
        self.channels = channels
    }

    /// Decodes one device-format byte array per channel; all must hold the same whole number of samples.
    public init(decoding channelBytes: [[UInt8]], format: SampleFormat) throws(AlsaError) {
        let width = try SampleConversion.bytesPerSample(format)
        guard let first = channelBytes.first else {
            throw AlsaError(.transfer, .invalidArgument, context: "an audio buffer needs at least one channel")
        }
        guard first.count % width == 0, channelBytes.allSatisfy({ $0.count == first.count }) else {
            throw AlsaError(.transfer, .invalidArgument,
                            context: "channel byte counts \(channelBytes.map(\.count)) are not equal whole numbers of \(width)-byte \(format) samples")
        }
        try self.init(channelCount: channelBytes.count, frameCount: first.count / width)
        for (channel, bytes) in channelBytes.enumerated() {
            let outcome = bytes.withUnsafeBytes { raw -> Result<Void, AlsaError> in
                do throws(AlsaError) {
                    return .success(try channels[channel].withUnsafeMutableBufferPointer { (output) throws(AlsaError) in
                        try SampleConversion.decode(raw, as: format, into: output)
                    })
                } catch { return .failure(error) }
            }
            try outcome.get()
        }
    }

    init(unchecked channels: [[Float]]) { self.channels = channels }

    /// One channel's samples.
    public subscript(channel: Int) -> [Float] { channels[channel] }

    /// Sample `frame` of `channel`, in the same argument order as `InterleavedAudioBuffer`'s.
    public subscript(frame: Int, channel: Int) -> Float {
        get { channels[channel][frame] }
        set { channels[channel][frame] = newValue }
    }

    /// The same audio, frame after frame.
    public var interleaved: InterleavedAudioBuffer {
        // Sizes already held by this buffer: the check cannot fail.
        var result = InterleavedAudioBuffer(unchecked: channels.count, samples: [Float](repeating: 0, count: channels.count * frameCount))
        let channelCount = channels.count
        result.withUnsafeMutableSamples { output in
            for (c, samples) in channels.enumerated() {
                for (f, x) in samples.enumerated() { output[f * channelCount + c] = x }
            }
        }
        return result
    }

    /// The audio in device format, one byte array per channel. Allocates; not for the audio path.
    public func encoded(as format: SampleFormat) throws(AlsaError) -> [[UInt8]] {
        let width = try SampleConversion.bytesPerSample(format)
        var result: [[UInt8]] = []
        for samples in channels {
            var bytes = [UInt8](repeating: 0, count: samples.count * width)
            let outcome = bytes.withUnsafeMutableBytes { raw -> Result<Void, AlsaError> in
                do throws(AlsaError) {
                    return .success(try samples.withUnsafeBufferPointer { (input) throws(AlsaError) in
                        try SampleConversion.encode(input, as: format, into: raw)
                    })
                } catch { return .failure(error) }
            }
            try outcome.get()
            result.append(bytes)
        }
        return result
    }

    /// Encodes `frames` of one channel into a channel area, sample `i` at `first + i * strideBytes`
    /// (an mmap channel from `MmapArea.channel(_:)`), allocating nothing. The bytes between samples
    /// are left alone; the caller guarantees the area holds `range.count` samples.
    public func encode(channel: Int, frames range: Range<Int>, as format: SampleFormat,
                       to first: UnsafeMutableRawPointer, strideBytes: Int) throws(AlsaError) {
        try checkChannel(channel, frames: range)
        try channels[channel].withUnsafeBufferPointer { (all) throws(AlsaError) in
            try SampleConversion.encode(UnsafeBufferPointer(rebasing: all[range]), as: format, to: first, strideBytes: strideBytes)
        }
    }

    /// Decodes `range.count` samples of one channel from a channel area (see the strided `encode`),
    /// allocating nothing unless this buffer's storage is shared and must be copied first.
    public mutating func decode(channel: Int, frames range: Range<Int>, as format: SampleFormat,
                                from first: UnsafeRawPointer, strideBytes: Int) throws(AlsaError) {
        try checkChannel(channel, frames: range)
        try channels[channel].withUnsafeMutableBufferPointer { (all) throws(AlsaError) in
            try SampleConversion.decode(from: first, strideBytes: strideBytes, as: format,
                                        into: UnsafeMutableBufferPointer(rebasing: all[range]))
        }
    }

    private func checkChannel(_ channel: Int, frames range: Range<Int>) throws(AlsaError) {
        guard channels.indices.contains(channel) else {
            throw AlsaError(.transfer, .invalidArgument, context: "channel \(channel) of a \(channels.count)-channel buffer")
        }
        guard range.lowerBound >= 0, range.upperBound <= frameCount else {
            throw AlsaError(.transfer, .invalidArgument, context: "frames \(range) are outside a \(frameCount)-frame buffer")
        }
    }
}

/// The size checks both buffer types make on counts that may come from outside.
enum AudioBufferSize {
    static func check(channelCount: Int, frameCount: Int) throws(AlsaError) {
        guard channelCount > 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "an audio buffer needs at least one channel, not \(channelCount)")
        }
        let (_, overflow) = channelCount.multipliedReportingOverflow(by: frameCount)
        guard frameCount >= 0, !overflow else {
            throw AlsaError(.transfer, .invalidArgument, context: "an audio buffer cannot have \(frameCount) frames of \(channelCount) channels")
        }
    }
}
