/// The loop of a duplex stream: two period engines, capture and playback, driven as one. Not a
/// third kind of engine: each side moves its frames through its own `PeriodEngine`; this loop
/// only decides when and how many.
///
/// It runs alsa-lib's test/latency.c procedure. At every start (the first, and after each xrun or
/// suspend): both sides prepared and empty, two periods of silence queued on the playback side,
/// the kernel's own start threshold held off, then one START of the capture side, which starts
/// the playback side with it when they are linked; unlinked, the playback side is started right
/// after. Then once a period: a wait until the capture side has a period and the playback side
/// room for one (both in one poll), the input period taken, the callback, the output period
/// queued. The output thus stays two periods ahead of the input: the round trip.
///
/// An xrun or a suspend on either side is recovered on that side by `RecoveryProcedure`'s one
/// rule, counted on the side that ran out, and both sides are brought back by the start
/// procedure, with the same two periods queued: the round trip is what it was before.
///
/// On two clocks (two cards), a `DriftTracker` watches both once a period and compensates: the
/// input resampled to the playback clock (`InputResampling`), a frame dropped from the output or
/// repeated in the input, or a loopback card's rate shift.
///
/// One owner at a time, like its engines. Everything is allocated here; a period allocates nothing.
final class DuplexLoop {
    let capture: PeriodEngine
    let playback: PeriodEngine
    let configuration: DuplexConfiguration
    let periodFrames: Int
    private let engines: WaitingEngines
    private let wait: PeriodWait
    private let buffers: DuplexBuffers
    private let drift: DriftTracker?
    /// The input's resampler, when it compensates drift.
    private let resampling: InputResampling?
    private(set) var xruns = DuplexXruns()
    /// Started since the last prepare (the first period starts it).
    private(set) var running = false
    /// Periods handed to the callback since the stream was made.
    private(set) var periods = 0
    /// For the recovery tests, on the simulated kernel and the rig: a side left alone (capture not
    /// read, playback not written) until it runs out, while the other goes on. nil: none.
    var starving: StreamDirection?

    /// Takes two configured engines on the same kernel (`DuplexNegotiation` made them agree),
    /// links their PCMs where the transport allows, and decides how two clocks are compensated.
    init(capture: PeriodEngine, playback: PeriodEngine, options: DuplexOptions) throws(AlsaError) {
        guard capture.direction == .capture, playback.direction == .playback else {
            throw AlsaError(.configure, .invalidArgument, context: "a duplex stream needs a capture PCM and a playback PCM")
        }
        guard capture.pcm.kernel === playback.pcm.kernel else {
            throw AlsaError(.configure, .invalidArgument,
                            context: "\(capture.pcm.name) and \(playback.pcm.name) are on different kernels; one poll must wait for both")
        }
        self.capture = capture
        self.playback = playback
        engines = WaitingEngines(capture, playback)
        periodFrames = capture.periodFrames
        wait = PeriodWait(engines: 2, descriptorCapacity: capture.pcm.pollDescriptorCount + playback.pcm.pollDescriptorCount)
        try capture.holdStart()
        try playback.holdStart()
        let start: DuplexStart
        do {
            try capture.pcm.link(to: playback.pcm)
            start = .linked
        } catch {
            if error.kind == .disconnected { throw error }
            start = .backToBack(refusal: error)
        }
        let compensation: DriftCompensation
        var rateShift: RateShiftControl?
        let captureCard = capture.configuration.syncReport.hardware?.card
        let floats = options.samples != .raw
        if captureCard != nil && captureCard == playback.configuration.syncReport.hardware?.card {
            compensation = .oneClock
        } else {
            switch options.compensation {
            case .off:
                compensation = .none
            case .frameAdjustment:
                compensation = .frameAdjustment
            case .resampling(let quality):
                guard floats else {
                    throw AlsaError(.configure, .invalidArgument,
                                    context: "resampling the input needs Float samples: raw frames reach the device untouched; "
                                        + "ask for DuplexSamples.float or for frame adjustment")
                }
                compensation = .resampling(quality: quality)
            case .automatic:
                rateShift = RateShiftControl(for: capture.pcm) ?? RateShiftControl(for: playback.pcm)
                compensation = rateShift.map { .rateShift(side: $0.side, card: $0.card) }
                    ?? (floats ? .resampling(quality: .standard) : .frameAdjustment)
            }
        }
        if case .resampling(let quality) = compensation {
            resampling = try InputResampling(rate: capture.configuration.sampleRate, channelCount: capture.channelCount,
                                             periodFrames: periodFrames, readLimit: capture.exactRunLimit,
                                             format: capture.configuration.format, quality: quality)
        } else {
            resampling = nil
        }
        drift = compensation == .oneClock ? nil
            : DriftTracker(compensation: compensation, rate: capture.configuration.sampleRate, periodFrames: periodFrames,
                           rateShift: rateShift, resampling: resampling)
        buffers = DuplexBuffers(samples: options.samples, frames: periodFrames, channels: capture.channelCount,
                                format: capture.configuration.format, frameBytes: capture.frameBytes)
        let freeClocks = compensation != .oneClock && rateShift == nil
        let queued = (freeClocks && playback.bufferFrames >= 3 * periodFrames ? 3 : 2) * periodFrames
        configuration = DuplexConfiguration(capture: capture.configuration, playback: playback.configuration, start: start,
                                            compensation: compensation, samples: options.samples, queuedFrames: queued)
    }

    // MARK: starting

    /// The start procedure (test/latency.c): both sides prepared and empty, two periods of silence
    /// queued for playback, then one start, or two back to back.
    func startUp() throws(AlsaError) {
        let wanted = configuration.queuedFrames
        let queued = try playback.queueSilence(wanted)
        guard queued == wanted else {
            throw AlsaError(.start, .noSpace, context: "\(playback.pcm.name) took \(queued) of the \(wanted) frames of silence queued at the start")
        }
        try capture.start()
        if configuration.start == .linked {
            playback.noteStarted()
        } else {
            try playback.start()
        }
        running = true
        resampling?.restart()
        drift?.restart()
    }

    /// Stops both sides at once, dropping what is queued and captured; the next period starts
    /// them again.
    func stop() throws(AlsaError) {
        try capture.stop()
        try playback.stop()
        running = false
    }

    /// Closes both PCMs and gives a loopback card its nominal rate back (a thread's end; the
    /// engines' deinit closes them too).
    func close() {
        drift?.close()
        try? capture.pcm.close()
        try? playback.pcm.close()
    }

    // MARK: one period

    /// Waits, blocking the thread, until both sides have a period, then runs one (`runPeriod`).
    /// False when `interrupt` became readable first.
    func cycleBlocking(interrupt: Int32 = -1, _ body: (borrowing DuplexPeriod) -> Void) throws(AlsaError) -> Bool {
        if !running { try startUp() }
        guard try wait.blocking(engines, interrupt: interrupt) else { return false }
        try runPeriod(body)
        return true
    }

    /// Waits, suspending the task, until both sides have a period, then runs one.
    nonisolated(nonsending) func cycle(_ body: (borrowing DuplexPeriod) -> Void) async throws(AlsaError) {
        if !running { try startUp() }
        _ = try await wait.suspending(engines, reactor: try capture.asyncReactor())
        try runPeriod(body)
    }

    /// The input period in, the callback, the output period out; an xrun or a suspend on either
    /// side brings both back.
    func runPeriod(_ body: (borrowing DuplexPeriod) -> Void) throws(AlsaError) {
        var side = StreamDirection.capture
        if let starving { return try starve(starving) }
        do {
            let adjustment = drift?.pending ?? .none
            let buffers = self.buffers
            let inputTime: MonotonicInstant
            if let resampling {
                let wanted = resampling.framesToRead
                if wanted > 0 {
                    let captured = try capture.transfer(exactly: wanted) { (bytes, frames, offset) throws(AlsaError) in
                        try resampling.take(bytes, frames, at: offset)
                    }
                    guard captured > 0 else { return }
                    resampling.read(captured)
                }
                try buffers.resampleInput(resampling)
                // The period's first frame was captured a period and what the resampler holds ago.
                inputTime = capture.time(ofFrame: capture.position - periodFrames - resampling.heldFrames)
            } else {
                let wanted = adjustment == .repeatInput ? periodFrames - 1 : periodFrames
                inputTime = capture.time(ofFrame: capture.position)
                let captured = try capture.transfer(exactly: wanted) { (bytes, frames, offset) throws(AlsaError) in
                    try buffers.takeInput(bytes, frames, at: offset)
                }
                guard captured > 0 else { return }
                buffers.silenceInput(from: captured)
                if adjustment == .repeatInput && captured == wanted {
                    buffers.repeatInputFrame(try buffers.quietestInputFrame(below: captured))
                    drift?.applied(.repeatInput)
                }
            }
            body(buffers.period(position: periods * periodFrames, rate: configuration.sampleRate, inputTime: inputTime,
                                outputTime: playback.time(ofFrame: playback.position)))
            periods += 1
            side = .playback
            let skipped = adjustment == .dropOutput ? try buffers.quietestOutputFrame() : nil
            let out = skipped == nil ? periodFrames : periodFrames - 1
            let queued = try playback.transfer(exactly: out) { (bytes, frames, offset) throws(AlsaError) in
                try buffers.giveOutput(bytes, frames, at: offset, skipping: skipped)
            }
            if skipped != nil && queued == out { drift?.applied(.dropOutput) }
            if let drift { try drift.observe(try timing()) }
        } catch {
            try recover(error, metOn: side)
        }
    }

    /// One period with `side` left alone: the other side's period moves (silence out, input
    /// dropped) until the starved side's xrun brings both back, which ends the starving.
    private func starve(_ side: StreamDirection) throws(AlsaError) {
        do {
            let buffers = self.buffers
            if side == .playback {
                _ = try capture.transfer(exactly: periodFrames) { (bytes, frames, offset) throws(AlsaError) in
                    try buffers.takeInput(bytes, frames, at: offset)
                }
            } else {
                let format = configuration.format
                _ = try playback.transfer(exactly: periodFrames) { (bytes, _, _) throws(AlsaError) in format.fillSilence(bytes) }
            }
            // The starved side's state: its xrun is met here, not by the next wait.
            _ = try (side == .capture ? capture : playback).pcm.avail()
        } catch {
            starving = nil
            try recover(error, metOn: side)
        }
    }

    // MARK: recovery

    /// `error` met on `side`: recovered there under the one rule (or thrown), counted on the side
    /// that ran out, and both sides started again with the same two periods queued.
    private func recover(_ error: AlsaError, metOn side: StreamDirection) throws(AlsaError) {
        guard error.kind == .xrun || error.kind == .suspended else { throw error }
        if error.kind == .xrun { countXrun(metOn: side) }
        try (side == .capture ? capture : playback).recover(error)
        // Both sides prepared and empty, whatever the recovery left (a resumed stream runs again;
        // an unlinked partner still runs, or has stopped on its own xrun).
        try stop()
        try startUp()
    }

    /// Counts the xrun on the side whose buffer ran out (capture full, playback empty, as the
    /// kernel's stop threshold saw it); when neither shows it (a linked partner stopped with the
    /// other, an xrun forced from outside), on the side that met it.
    private func countXrun(metOn side: StreamDirection) {
        let captureRanOut = ranOut(capture)
        let playbackRanOut = ranOut(playback)
        if captureRanOut { xruns.capture += 1 }
        if playbackRanOut { xruns.playback += 1 }
        if !captureRanOut && !playbackRanOut {
            if side == .capture { xruns.capture += 1 } else { xruns.playback += 1 }
        }
    }

    private func ranOut(_ engine: PeriodEngine) -> Bool {
        guard let timing = try? engine.pcm.timing() else { return false }
        return timing.state == .xrun && timing.availableFrames >= engine.bufferFrames
    }

    // MARK: time

    /// Both sides' timing and the round trip, from one status call each.
    func timing() throws(AlsaError) -> DuplexTiming {
        DuplexTiming(capture: try capture.pcm.timing(), playback: try playback.pcm.timing(), resamplerFrames: resampling?.heldFrames ?? 0)
    }

    /// What the drift tracker measured; nil on one clock.
    var driftReport: DriftReport? { drift?.report }

    /// Periods whose resampled input came short and ended in silence (none, unless the capture
    /// card delivered less than its poll announced for longer than the reserve covers).
    var shortInputPeriods: Int { resampling?.shortPeriods ?? 0 }
}
