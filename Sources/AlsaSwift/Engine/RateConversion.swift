/// The period engine's sample-rate conversion, for a stream whose app runs at another rate than its
/// device (`StreamRequest.resampling`): a `Resampler` and the app-rate frames it waits on, all
/// allocated here, at configure time.
///
/// Playback: the app's frames are staged here (as interleaved `Float`) until they make a whole
/// device period; each device period is then resampled from them, converted to the device's format
/// and moved by the engine like any other. Capture: each device period moved is resampled into
/// app-rate frames, which the app's reads take from here. The engine still waits for and moves
/// whole device periods; only the app's side of a transfer is counted in app frames.
final class RateConversion {
    let resampler: Resampler
    let direction: StreamDirection
    let channelCount: Int
    let periodFrames: Int
    let appRate: Int
    let deviceRate: Int
    /// Interleaved app-rate frames: playback, written and not yet resampled; capture, resampled and
    /// not yet read.
    private let staging: StagedFrames
    /// One period of interleaved device-rate frames, between the resampler and the device's format.
    private let deviceFrames: UnsafeMutableBufferPointer<Float>
    /// Playback, once a drain began: the device frames still to come from the resampler's tail.
    private(set) var tailFrames = 0
    private var draining = false

    /// Fails (without allocating) for rates the resampler refuses.
    init(appRate: Int, deviceRate: Int, channelCount: Int, direction: StreamDirection, periodFrames: Int,
         quality: ResamplingQuality) throws(AlsaError) {
        // Playback stages up to a period's input, plus the latency's at the start, plus what the
        // last period left; capture holds at most one period's output before a read takes it.
        let appPerPeriod = Int((Double(periodFrames) * Double(appRate) / Double(deviceRate)).rounded(.up)) + 2
        resampler = try Resampler(from: direction == .playback ? appRate : deviceRate, to: direction == .playback ? deviceRate : appRate,
                                  channelCount: channelCount, quality: quality,
                                  maximumFrames: direction == .playback ? 2 * appPerPeriod : periodFrames)
        let latencyInApp = Int((Double(resampler.latency) * Double(appRate) / Double(deviceRate)).rounded(.up)) + 2
        staging = StagedFrames(capacity: direction == .playback ? 2 * (appPerPeriod + latencyInApp) : appPerPeriod + 16,
                               channelCount: channelCount)
        self.direction = direction
        self.channelCount = channelCount
        self.periodFrames = periodFrames
        self.appRate = appRate
        self.deviceRate = deviceRate
        deviceFrames = .allocate(capacity: periodFrames * channelCount)
        deviceFrames.initialize(repeating: 0)
    }

    deinit { deviceFrames.deallocate() }

    /// The app frames staged.
    var pending: Int { staging.count }

    /// Forgets what is staged and the resampler's history (a stop, or the end of a drain). Not on
    /// the audio path: the resampler's reset may allocate.
    func reset() {
        staging.clear()
        tailFrames = 0
        draining = false
        resampler.reset()
    }

    // MARK: playback

    /// The device frames the staged frames and `more` app frames make, in whole periods (during a
    /// drain: the tail, to its last frame).
    func deviceFramesReady(withMore more: Int) -> Int {
        if draining { return tailFrames }
        let frames = resampler.outputFrames(forInput: min(pending + max(more, 0), Resampler.frameLimit))
        return frames - frames % periodFrames
    }

    /// Stages `frames` app frames, which make no whole device period with those staged before:
    /// `source(bytes, frames)` fills them as native `Float`s.
    func stage(_ frames: Int, from source: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) {
        guard frames > 0 else { return }
        try source(UnsafeMutableRawBufferPointer(staging.space(frames)), frames)
        staging.commit(frames)
    }

    /// Fills `frames` device frames of `format` at `bytes`, a period at a time: tops up the staged
    /// app frames from `source` (native `Float`s) with what the resampler needs, resamples, converts.
    /// Returns the app frames taken from `source`.
    func render(_ frames: Int, as format: SampleFormat, into bytes: UnsafeMutableRawBufferPointer,
                from source: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        let frameBytes = bytes.count / max(frames, 1)
        var taken = 0, done = 0
        while done < frames {
            let chunk = min(periodFrames, frames - done)
            let output = UnsafeMutableBufferPointer(rebasing: deviceFrames[0..<chunk * channelCount])
            var made = 0
            if draining {
                made = try flush(into: output)
                tailFrames -= made
            } else {
                let wanted = min(resampler.inputFrames(forOutput: chunk), staging.capacity) - pending
                if wanted > 0 {
                    try stage(wanted, from: source)
                    taken += wanted
                }
                made = try resample(into: output)
            }
            // Never short but for a resampler fault: silence rather than stale samples.
            if made < chunk { UnsafeMutableBufferPointer(rebasing: output[(made * channelCount)...]).update(repeating: 0) }
            try SampleConversion.encode(UnsafeBufferPointer(output), as: format,
                                        into: UnsafeMutableRawBufferPointer(rebasing: bytes[done * frameBytes..<(done + chunk) * frameBytes]))
            done += chunk
        }
        return taken
    }

    /// Starts the end of the stream: what is staged and what the resampler holds become the tail.
    func beginDrain() {
        guard !draining else { return }
        draining = true
        tailFrames = resampler.framesUntilEnd(afterInput: pending)
    }

    /// Whether a drain's tail is written out (or none began).
    var isDrained: Bool { !draining || tailFrames <= 0 }

    /// Resamples staged frames into `output`, keeping what is left staged.
    private func resample(into output: UnsafeMutableBufferPointer<Float>) throws(AlsaError) -> Int {
        var made = 0
        // More than one call only while the latency fills (a call takes at most `maximumFrames`).
        while made * channelCount < output.count {
            let progress = try resampler.process(staging.samples, into: UnsafeMutableBufferPointer(rebasing: output[(made * channelCount)...]))
            staging.consume(progress.consumed)
            made += progress.produced
            if progress.consumed == 0 && progress.produced == 0 { break }
        }
        return made
    }

    /// The tail: the staged frames first, then what the resampler's latency holds.
    private func flush(into output: UnsafeMutableBufferPointer<Float>) throws(AlsaError) -> Int {
        var made = 0
        while made * channelCount < output.count {
            let rest = UnsafeMutableBufferPointer(rebasing: output[(made * channelCount)...])
            let step = pending > 0 ? try resample(into: rest) : try resampler.drain(into: rest)
            if step == 0 { break }
            made += step
        }
        return made
    }

    // MARK: capture

    /// Resamples `frames` captured device frames of `format` at `bytes` into the staged app frames,
    /// a period at a time.
    func capture(_ frames: Int, as format: SampleFormat, from bytes: UnsafeRawBufferPointer) throws(AlsaError) {
        let frameBytes = bytes.count / max(frames, 1)
        var done = 0
        while done < frames {
            let chunk = min(periodFrames, frames - done)
            let input = UnsafeMutableBufferPointer(rebasing: deviceFrames[0..<chunk * channelCount])
            try SampleConversion.decode(UnsafeRawBufferPointer(rebasing: bytes[done * frameBytes..<(done + chunk) * frameBytes]),
                                        as: format, into: input)
            var offset = 0
            while offset < chunk {
                let progress = try resampler.process(UnsafeBufferPointer(rebasing: input[(offset * channelCount)...]),
                                                     into: staging.space(staging.room))
                staging.commit(progress.produced)
                offset += progress.consumed
                // No room (a read that takes nothing): the rest of this period is dropped.
                if progress.consumed == 0 { break }
            }
            done += chunk
        }
    }

    /// Hands `frames` of the staged app frames (at most `pending`) to `deliver` as native `Float`s.
    func deliver(_ frames: Int, to deliver: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) {
        guard frames > 0 else { return }
        // The transfer's one converter type takes mutable bytes; a capture converter only reads them.
        try deliver(UnsafeMutableRawBufferPointer(mutating: UnsafeRawBufferPointer(staging.first(frames))), frames)
        staging.consume(frames)
    }

    // MARK: the app's view of the device

    /// `deviceFrames` device frames as app frames, to the nearest.
    func appFrames(fromDevice deviceFrames: Int) -> Int {
        let (product, overflow) = deviceFrames.multipliedReportingOverflow(by: appRate)
        if overflow { return Int((Double(deviceFrames) * Double(appRate) / Double(deviceRate)).rounded()) }
        return (product + (product >= 0 ? deviceRate / 2 : -deviceRate / 2)) / deviceRate
    }

    /// The app's delay, in app frames, when `deviceDelay` device frames lie between the engine and
    /// the device (the kernel's delay and what the engine holds for it). Playback adds the app
    /// frames staged here and the output the resampler still owes for its input; capture adds what
    /// was resampled and not read, and the output the resampler still owes for the device frames
    /// it took.
    func appDelay(deviceDelay: Int) -> Int {
        switch direction {
        case .playback:
            appFrames(fromDevice: deviceDelay + (draining ? tailFrames : resampler.framesUntilEnd(afterInput: pending)))
        case .capture:
            appFrames(fromDevice: deviceDelay) + pending + resampler.framesUntilEnd(afterInput: 0)
        }
    }
}
