/// One period of `Float` samples for a callback, laid out as it asked (`SampleLayout`), and the one
/// conversion between it and the device's interleaved frames: in one pass when interleaved, else
/// channel by channel straight into each channel's place. A render thread has one; a duplex
/// stream one for its input and one for its output. Allocated once; converting allocates nothing.
final class PeriodSamples {
    let frames: Int
    let channels: Int
    let format: SampleFormat
    let layout: SampleLayout
    /// Bytes of one device frame.
    let frameBytes: Int
    /// Every sample of the period, in `layout` order, silent at first.
    let floats: UnsafeMutableBufferPointer<Float>

    init(frames: Int, channels: Int, format: SampleFormat, frameBytes: Int, layout: SampleLayout) {
        self.frames = frames
        self.channels = channels
        self.format = format
        self.frameBytes = frameBytes
        self.layout = layout
        floats = .allocate(capacity: frames * channels)
        floats.initialize(repeating: 0)
    }

    deinit { floats.deallocate() }

    /// With a non-interleaved layout, the samples of channel `index`; empty for an interleaved
    /// layout (whose channels are not contiguous) or an index out of range.
    func channel(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        guard layout == .nonInterleaved, index >= 0, index < channels else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        return UnsafeMutableBufferPointer(rebasing: floats[index * frames..<(index + 1) * frames])
    }

    /// Encodes frames `range` of the period into the device frames at `device` (`range.count` of them).
    func encode(_ range: Range<Int>, to device: UnsafeMutableRawPointer) throws(AlsaError) {
        try convert(range, device, encode: true)
    }

    /// Decodes the device frames at `device` into frames `range` of the period.
    func decode(_ range: Range<Int>, from device: UnsafeMutableRawPointer) throws(AlsaError) {
        try convert(range, device, encode: false)
    }

    private func convert(_ range: Range<Int>, _ device: UnsafeMutableRawPointer, encode: Bool) throws(AlsaError) {
        guard layout == .nonInterleaved else {
            let samples = UnsafeMutableBufferPointer(rebasing: floats[range.lowerBound * channels..<range.upperBound * channels])
            let bytes = UnsafeMutableRawBufferPointer(start: device, count: range.count * frameBytes)
            if encode {
                try SampleConversion.encode(UnsafeBufferPointer(samples), as: format, into: bytes)
            } else {
                try SampleConversion.decode(UnsafeRawBufferPointer(bytes), as: format, into: samples)
            }
            return
        }
        let sampleBytes = frameBytes / channels
        for channel in 0..<channels {
            let first = channel * frames
            let samples = UnsafeMutableBufferPointer(rebasing: floats[first + range.lowerBound..<first + range.upperBound])
            if encode {
                try SampleConversion.encode(UnsafeBufferPointer(samples), as: format, to: device + channel * sampleBytes, strideBytes: frameBytes)
            } else {
                try SampleConversion.decode(from: device + channel * sampleBytes, strideBytes: frameBytes, as: format, into: samples)
            }
        }
    }

    /// How loud frame `frame` is: the sum of its samples' magnitudes.
    func loudness(ofFrame frame: Int) -> Float {
        var sum: Float = 0
        for channel in 0..<channels {
            sum += abs(floats[layout == .interleaved ? frame * channels + channel : channel * frames + frame])
        }
        return sum
    }

    /// Moves frames `frame..<last` one frame later, so that frame `frame` is there twice (the
    /// frame after `last - 1` is overwritten).
    func repeatFrame(_ frame: Int, through last: Int) {
        guard frame < last, last < frames else { return }
        if layout == .interleaved {
            let base = floats.baseAddress!
            (base + (frame + 1) * channels).update(from: base + frame * channels, count: (last - frame) * channels)
        } else {
            for channel in 0..<channels {
                let base = floats.baseAddress! + channel * frames
                (base + frame + 1).update(from: base + frame, count: last - frame)
            }
        }
    }
}
