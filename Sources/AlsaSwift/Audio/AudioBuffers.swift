/// Interleaved `Float` audio: frame after frame, each frame one sample per channel.
public struct InterleavedAudioBuffer: Sendable, Equatable {
    public let channels: Int
    public var samples: [Float]

    public var frames: Int { samples.count / channels }

    /// `frames` frames of silence.
    public init(channels: Int, frames: Int) {
        precondition(channels > 0 && frames >= 0, "an audio buffer needs at least one channel")
        self.channels = channels
        samples = [Float](repeating: 0, count: channels * frames)
    }

    /// Wraps `samples`; refused unless they are a whole number of `channels`-sample frames.
    public init(channels: Int, samples: [Float]) throws(AlsaError) {
        guard channels > 0, samples.count % channels == 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "\(samples.count) samples are not a whole number of \(channels)-channel frames")
        }
        self.channels = channels
        self.samples = samples
    }

    /// Decodes `bytes` of device-format audio.
    public init(decoding bytes: UnsafeRawBufferPointer, format: SampleFormat, channels: Int) throws(AlsaError) {
        guard channels > 0, let width = format.physicalBits, SampleConversion.isSupported(format) else {
            throw AlsaError(.transfer, .invalidArgument, context: "cannot decode \(format) audio with \(channels) channels")
        }
        let frameBytes = channels * width / 8
        guard bytes.count % frameBytes == 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "\(bytes.count) bytes are not a whole number of \(frameBytes)-byte frames")
        }
        var samples = [Float](repeating: 0, count: bytes.count / frameBytes * channels)
        try samples.withUnsafeMutableBufferPointer { (out) throws(AlsaError) in try SampleConversion.decode(bytes, as: format, into: out) }
        self.channels = channels
        self.samples = samples
    }

    public subscript(frame: Int, channel: Int) -> Float {
        get { samples[frame * channels + channel] }
        set { samples[frame * channels + channel] = newValue }
    }

    /// One channel's samples.
    public func channel(_ channel: Int) -> [Float] {
        stride(from: channel, to: samples.count, by: channels).map { samples[$0] }
    }

    /// The same audio, one array per channel.
    public var nonInterleaved: NonInterleavedAudioBuffer {
        NonInterleavedAudioBuffer(unchecked: (0..<channels).map(channel))
    }

    /// The audio in device format.
    public func encoded(as format: SampleFormat) throws(AlsaError) -> [UInt8] {
        guard let width = format.physicalBits else { throw AlsaError(.transfer, .invalidArgument, context: "format \(format) has no sample width") }
        var bytes = [UInt8](repeating: 0, count: samples.count * width / 8)
        let failure = samples.withUnsafeBufferPointer { input in
            bytes.withUnsafeMutableBytes { output -> AlsaError? in
                do throws(AlsaError) {
                    try SampleConversion.encode(input, as: format, into: output)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure { throw failure }
        return bytes
    }
}

/// Non-interleaved `Float` audio: one array per channel, all the same length.
public struct NonInterleavedAudioBuffer: Sendable, Equatable {
    public private(set) var channels: [[Float]]

    public var frames: Int { channels.first?.count ?? 0 }

    /// Refused unless every channel has the same number of frames and there is at least one.
    public init(channels: [[Float]]) throws(AlsaError) {
        guard let first = channels.first, channels.allSatisfy({ $0.count == first.count }) else {
            throw AlsaError(.transfer, .invalidArgument, context: "channels must be non-empty and of equal length")
        }
        self.channels = channels
    }

    init(unchecked channels: [[Float]]) { self.channels = channels }

    public subscript(channel: Int) -> [Float] { channels[channel] }

    /// The same audio, frame after frame.
    public var interleaved: InterleavedAudioBuffer {
        var result = InterleavedAudioBuffer(channels: channels.count, frames: frames)
        for (c, samples) in channels.enumerated() {
            for (f, x) in samples.enumerated() { result[f, c] = x }
        }
        return result
    }
}
