/// A duplex stream's input resampled from the capture card's clock to the playback card's, the
/// drift compensation of two free clocks that leaves no frame out and repeats none
/// (`DriftCompensation.resampling`), as PipeWire resamples a follower to its driver.
///
/// Each period the callback gets exactly a period of input and fills a period of output, so the
/// periods run at the playback card's pace. What the capture card delivers in that time is a
/// little more or less than a period; an adaptive `Resampler`, whose ratio the `DriftTracker`
/// steers every period, turns the capture frames read into exactly one period. The loop reads
/// `framesToRead` capture frames (a frame or two beyond a period when the capture card runs
/// fast: `PeriodEngine.exactRunLimit`), decoded here as interleaved `Float`, and `produce` makes
/// the period from them.
///
/// A reserve of a few capture frames stays staged, so that a read that comes short (the capture
/// card had a period, the resampler wanted a frame more) costs nothing: the next read takes the
/// difference. Allocated once; a period allocates nothing, takes no lock and makes no system call.
final class InputResampling {
    let resampler: Resampler
    let periodFrames: Int
    let channelCount: Int
    let format: SampleFormat
    /// Capture frames kept staged beyond what the next period needs.
    let reserve: Int
    /// The most capture frames one period reads.
    private let readLimit: Int
    /// Capture-clock frames, read and not yet resampled.
    private let captured: StagedFrames
    /// One period of interleaved output, for a non-interleaved callback layout.
    private let interleaved: UnsafeMutableBufferPointer<Float>
    /// Periods whose input came short of the resampler's needs even with the reserve: their end
    /// was filled with silence. None on a device that delivers what its poll announced.
    private(set) var shortPeriods = 0

    /// An adaptive resampler at `rate` on both sides, for periods of `periodFrames`. Fails (without
    /// allocating) where the resampler does.
    init(rate: Int, channelCount: Int, periodFrames: Int, readLimit: Int, format: SampleFormat, quality: ResamplingQuality) throws(AlsaError) {
        reserve = max(4, periodFrames / 32)
        resampler = try Resampler(from: rate, to: rate, channelCount: channelCount, quality: quality, adaptive: true,
                                  maximumFrames: readLimit + reserve)
        self.periodFrames = periodFrames
        self.channelCount = channelCount
        self.format = format
        self.readLimit = readLimit
        captured = StagedFrames(capacity: readLimit + 2 * reserve, channelCount: channelCount)
        interleaved = .allocate(capacity: periodFrames * channelCount)
        interleaved.initialize(repeating: 0)
        // Silence fills the filter's latency now, so that from the first period a period read
        // makes a period (else the first reads would come short by the latency).
        captured.appendSilence(captured.capacity)
        let silence = captured.samples
        while resampler.outputFrames(forInput: 1) == 0 {
            guard try resampler.process(silence, into: UnsafeMutableBufferPointer(start: nil, count: 0)).consumed > 0 else { break }
        }
        restart()
    }

    deinit { interleaved.deallocate() }

    /// Both sides started again: the reserve is silence, as the playback side's queued periods are.
    /// The resampler runs on (its filter holds the frames before; resetting it could allocate).
    func restart() {
        captured.clear()
        captured.appendSilence(reserve)
    }

    /// Capture frames to read for the next period: what the resampler needs for a period, and the
    /// reserve topped up, at most `readLimit`.
    var framesToRead: Int {
        min(max(resampler.inputFrames(forOutput: periodFrames) + reserve - captured.count, 0), readLimit)
    }

    /// Decodes `count` captured device frames, `offset` frames into this period's read, behind
    /// what is staged.
    func take(_ device: UnsafeMutableRawBufferPointer, _ count: Int, at offset: Int) throws(AlsaError) {
        try SampleConversion.decode(UnsafeRawBufferPointer(device), as: format, into: captured.space(count, at: offset))
    }

    /// The read of this period ended after `count` frames.
    func read(_ count: Int) { captured.commit(count) }

    /// Resamples one period from the staged frames into `output` (`periodFrames` frames in
    /// `layout`), keeping what is left staged.
    func produce(into output: UnsafeMutableBufferPointer<Float>, layout: SampleLayout) throws(AlsaError) {
        let target = layout == .interleaved ? output : interleaved
        let progress = try resampler.process(captured.samples, into: target)
        if progress.produced < periodFrames {
            shortPeriods += 1
            UnsafeMutableBufferPointer(rebasing: target[(progress.produced * channelCount)...]).update(repeating: 0)
        }
        captured.consume(progress.consumed)
        guard layout == .nonInterleaved else { return }
        for channel in 0..<channelCount {
            for frame in 0..<periodFrames { output[channel * periodFrames + frame] = interleaved[frame * channelCount + channel] }
        }
    }

    /// Frames between the input read and the callback's period, at the output's clock: the staged
    /// frames and what the filter holds. Part of the round trip.
    var heldFrames: Int { resampler.framesUntilEnd(afterInput: captured.count) }

    /// The ratio in force: output frames per capture frame.
    var ratio: Double { resampler.ratioAdjustment }

    /// Sets the ratio (within the resampler's bounds).
    func setRatio(_ ratio: Double) throws(AlsaError) { try resampler.adjustRatio(ratio) }
}
