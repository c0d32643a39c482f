/// What a duplex callback gets once a period: the period of input just captured, and the period of
/// output to fill, which is queued for playback when the callback returns.
///
/// With `DuplexSamples.float`, `input` and `output` are `Float` in [-1, 1), `frames × channels`
/// long, in the layout asked for; `rawInput` and `rawOutput` are empty. With `.raw`, it is the
/// other way round: the devices' own interleaved frames, in `format`. Everything is owned by the
/// stream and reused every period; nothing in here allocates.
///
///     duplex.process(periods: 100) { period in
///         for i in period.output.indices { period.output[i] = period.input[i] }   // a pass-through
///     }
public struct DuplexPeriod: ~Copyable {
    /// Frames in this period, on both sides.
    public let frameCount: Int
    /// Samples per frame, on both sides.
    public let channelCount: Int
    /// Frames per second.
    public let sampleRate: Int
    /// The devices' sample format (what `rawInput` and `rawOutput` hold).
    public let format: SampleFormat
    /// What the callback sees.
    public let samples: DuplexSamples
    /// The input, as `Float` (empty with `.raw`).
    public let input: UnsafeBufferPointer<Float>
    /// The output to fill, as `Float` (empty with `.raw`). It starts as what the last period left.
    public let output: UnsafeMutableBufferPointer<Float>
    /// The input, as device frames (empty with `.float`).
    public let rawInput: UnsafeRawBufferPointer
    /// The output to fill, as device frames (empty with `.float`).
    public let rawOutput: UnsafeMutableRawBufferPointer
    /// Frames handed to the callback before this period, since the stream first started.
    public let framePosition: Int
    /// When the input's first frame was captured, on the monotonic clock (from the capture
    /// device's timestamps, renewed once a second of audio and at every start).
    public let inputTime: MonotonicInstant
    /// When the output's first frame will be heard, on the monotonic clock.
    public let outputTime: MonotonicInstant

    /// With a non-interleaved `Float` layout, the input samples of channel `index`; empty otherwise.
    public func inputChannel(_ index: Int) -> UnsafeBufferPointer<Float> {
        guard samples == .float(.nonInterleaved), index >= 0, index < channelCount else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(rebasing: input[index * frameCount..<(index + 1) * frameCount])
    }

    /// With a non-interleaved `Float` layout, the output samples of channel `index`; empty otherwise.
    public func outputChannel(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        guard samples == .float(.nonInterleaved), index >= 0, index < channelCount else {
            return UnsafeMutableBufferPointer(start: nil, count: 0)
        }
        return UnsafeMutableBufferPointer(rebasing: output[index * frameCount..<(index + 1) * frameCount])
    }
}

/// A duplex stream's two periods, as `Float` or device frames, and their conversion from the
/// capture device and to the playback device, with the one-frame adjustments of drift
/// compensation: an output frame left out, an input frame repeated, each where the signal is
/// quietest. Allocated once.
final class DuplexBuffers {
    let samples: DuplexSamples
    let frames: Int
    let channels: Int
    let format: SampleFormat
    let frameBytes: Int
    private let input: PeriodSamples?
    private let output: PeriodSamples?
    private let rawInput: UnsafeMutableRawBufferPointer
    private let rawOutput: UnsafeMutableRawBufferPointer
    /// One frame as `Float`, to measure a raw frame's loudness.
    private let frameScratch: UnsafeMutableBufferPointer<Float>

    init(samples: DuplexSamples, frames: Int, channels: Int, format: SampleFormat, frameBytes: Int) {
        self.samples = samples
        self.frames = frames
        self.channels = channels
        self.format = format
        self.frameBytes = frameBytes
        if case .float(let layout) = samples {
            input = PeriodSamples(frames: frames, channels: channels, format: format, frameBytes: frameBytes, layout: layout)
            output = PeriodSamples(frames: frames, channels: channels, format: format, frameBytes: frameBytes, layout: layout)
            rawInput = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            rawOutput = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        } else {
            input = nil
            output = nil
            rawInput = .allocate(byteCount: frames * frameBytes, alignment: 16)
            rawOutput = .allocate(byteCount: frames * frameBytes, alignment: 16)
            format.fillSilence(rawInput)
            format.fillSilence(rawOutput)
        }
        frameScratch = .allocate(capacity: channels)
        frameScratch.initialize(repeating: 0)
    }

    deinit {
        if input == nil {
            rawInput.deallocate()
            rawOutput.deallocate()
        }
        frameScratch.deallocate()
    }

    /// The callback's view of the period.
    func period(position: Int, rate: Int, inputTime: MonotonicInstant, outputTime: MonotonicInstant) -> DuplexPeriod {
        DuplexPeriod(frameCount: frames, channelCount: channels, sampleRate: rate, format: format, samples: samples,
                     input: UnsafeBufferPointer(input?.floats ?? UnsafeMutableBufferPointer(start: nil, count: 0)),
                     output: output?.floats ?? UnsafeMutableBufferPointer(start: nil, count: 0),
                     rawInput: UnsafeRawBufferPointer(rawInput), rawOutput: rawOutput, framePosition: position,
                     inputTime: inputTime, outputTime: outputTime)
    }

    /// Takes `count` captured device frames into input frames `offset..<offset + count`.
    func takeInput(_ device: UnsafeMutableRawBufferPointer, _ count: Int, at offset: Int) throws(AlsaError) {
        guard let base = device.baseAddress, count > 0 else { return }
        if let input {
            try input.decode(offset..<offset + count, from: base)
        } else {
            (rawInput.baseAddress! + offset * frameBytes).copyMemory(from: base, byteCount: count * frameBytes)
        }
    }

    /// Makes the input period from the capture frames `resampling` holds (`Float` samples only).
    func resampleInput(_ resampling: InputResampling) throws(AlsaError) {
        guard let input else { throw AlsaError(.resampling, .invalidArgument, context: "resampling the input needs Float samples") }
        try resampling.produce(into: input.floats, layout: input.layout)
    }

    /// Fills input frames `from..<frames` with silence (a run that came short).
    func silenceInput(from first: Int) {
        guard first < frames else { return }
        if let input {
            for frame in first..<frames { for channel in 0..<channels { input.floats[index(frame, channel)] = 0 } }
        } else {
            format.fillSilence(UnsafeMutableRawBufferPointer(rebasing: rawInput[first * frameBytes..<frames * frameBytes]))
        }
    }

    /// Gives the device `count` output frames for its run's frames `offset..<offset + count`,
    /// leaving out output frame `skipped` (the run is then a frame shorter than the period).
    func giveOutput(_ device: UnsafeMutableRawBufferPointer, _ count: Int, at offset: Int, skipping skipped: Int?) throws(AlsaError) {
        guard let base = device.baseAddress else { return }
        var done = 0
        while done < count {
            let run = offset + done
            let frame = skipped.map { run < $0 ? run : run + 1 } ?? run
            let length = skipped.map { run < $0 ? min(count - done, $0 - run) : count - done } ?? count - done
            if let output {
                try output.encode(frame..<frame + length, to: base + done * frameBytes)
            } else {
                (base + done * frameBytes).copyMemory(from: rawOutput.baseAddress! + frame * frameBytes, byteCount: length * frameBytes)
            }
            done += length
        }
    }

    /// The quietest of input frames `0..<count`.
    func quietestInputFrame(below count: Int) throws(AlsaError) -> Int {
        try quietest(count) { (frame) throws(AlsaError) in try loudness(input, rawInput, frame) }
    }

    /// The quietest output frame.
    func quietestOutputFrame() throws(AlsaError) -> Int {
        try quietest(frames) { (frame) throws(AlsaError) in try loudness(output, UnsafeMutableRawBufferPointer(rawOutput), frame) }
    }

    /// Input frames `frame..<frames - 1` move one frame later: frame `frame` is there twice, and
    /// the period is whole again after a run one frame short.
    func repeatInputFrame(_ frame: Int) {
        if let input {
            input.repeatFrame(frame, through: frames - 1)
        } else if frame < frames - 1 {
            let base = rawInput.baseAddress!
            (base + (frame + 1) * frameBytes).copyMemory(from: base + frame * frameBytes, byteCount: (frames - 1 - frame) * frameBytes)
        }
    }

    private func quietest(_ count: Int, _ loudness: (Int) throws(AlsaError) -> Float) throws(AlsaError) -> Int {
        var best = 0
        var lowest = Float.infinity
        for frame in 0..<count {
            let value = try loudness(frame)
            if value < lowest {
                lowest = value
                best = frame
            }
        }
        return best
    }

    private func loudness(_ floats: PeriodSamples?, _ raw: UnsafeMutableRawBufferPointer, _ frame: Int) throws(AlsaError) -> Float {
        if let floats { return floats.loudness(ofFrame: frame) }
        try SampleConversion.decode(UnsafeRawBufferPointer(rebasing: raw[frame * frameBytes..<(frame + 1) * frameBytes]), as: format,
                                    into: frameScratch)
        var sum: Float = 0
        for sample in frameScratch { sum += abs(sample) }
        return sum
    }

    private func index(_ frame: Int, _ channel: Int) -> Int {
        input?.layout == .nonInterleaved ? channel * frames + frame : frame * channels + channel
    }
}
