import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// What a transfer's `convert` closure does with the device frames it sees: converts them between
/// the app's samples and the device's format, or copies them as they are (a stream's raw frames,
/// already in the device's format). Only conversions count in `TransferStatistics.convertedFrames`.
enum FrameHandling {
    case converted
    case copied
}

/// The one period engine: the transfer step every stream kind drives (the blocking and `async`
/// streams, capture and playback, render threads), and the two ways of waiting for it.
///
/// It waits like the kernel's own blocking transfers: until the device has a period of room or
/// data (the stream's `avail_min`, which the kernel's poll checks), then moves whole periods; fewer
/// only for the last chunk of a transfer, or where the ring buffer wraps inside a period. Every
/// move is preceded by a wait, so a stream sleeps at most once per chunk and never loops on partial
/// progress. It converts exactly the frames it moves, in the app's order: the caller's `convert`
/// sees each chunk once, as device frames.
///
/// A stream that resamples (`StreamConfiguration.resampling`) converts here too, through its
/// `RateConversion`: a transfer's app frames are resampled to and from the device periods the
/// engine moves, so the device side waits and moves exactly as without it.
///
/// A timer-scheduled stream (`StreamScheduling.timer`) runs the same engine with another wake
/// policy and transfer size (`TimerWatermark`): a wait looks at the device once (a status call,
/// which also feeds the position clock's delay-locked loop) and either lets the step move what the
/// watermark calls for at once, or sleeps on a timer (the kernel seam's timerfd, beside the PCM's
/// descriptors) until the instant the loop predicts for the watermark; the steps then move that
/// many frames, through the same transfers, without sleeping in between, in pieces of at most
/// `TimerWatermark.pieceFrames` (the watermark first, then half of what the move has committed)
/// each committed before the next is converted (and where the ring buffer wraps): the device gets
/// the first frames of a refill while the watermark's margin lasts, however deep the buffer. A
/// capture read by read/write calls reads the whole move at once: the kernel copies the frames out
/// and frees their room within the call, before anything is converted.
///
/// xruns and suspends met anywhere (a wait, a transfer, `delay()`, `status()`) are recovered by
/// `RecoveryProcedure` under its rule, with "in a row" counted since the last frame moved.
///
/// One owner at a time, like its PCM. Everything is allocated here; a step allocates nothing.
final class PeriodEngine {
    let pcm: any PCM
    let configuration: StreamConfiguration
    let direction: StreamDirection
    let channelCount: Int
    let frameBytes: Int
    let periodFrames: Int
    /// The most an exact run (`transfer(exactly:)`) moves: a period, and a 64th more (at least two
    /// frames) for a duplex stream whose input is resampled to the other card's clock: it reads a
    /// frame or two beyond a period when the capture card runs fast, or catches up after a short read.
    let exactRunLimit: Int
    let bufferFrames: Int
    /// Frames a render callback gets per call: a period, or a timer schedule's block.
    let blockFrames: Int
    /// For `async` waits: the kernel's poll reactor. nil for engines driven by a thread of their own.
    let reactor: PollReactor.Lease?
    /// Set by `pause()` until `resume()` (StreamControl.swift).
    var pausedBy: PauseMethod?
    /// The sample-rate conversion of a stream that resamples; nil when the app runs at the device's rate.
    let conversion: RateConversion?
    /// The format a transfer's `convert` writes (playback) or reads (capture): the device's, or
    /// native `Float`s at the app's rate when the stream resamples.
    let appFormat: SampleFormat
    /// Bytes per frame in `appFormat`.
    let appFrameBytes: Int
    /// What the engine did so far (`TransferStatistics`).
    private(set) var statistics = TransferStatistics()

    private let isMmap: Bool
    /// One chunk of device frames (a period, or the highest fill target a timer schedule may be
    /// raised to: allocated once, so that a raise allocates nothing), for read/write access.
    private let scratch: UnsafeMutableRawBufferPointer
    private let chunkFrames: Int
    /// Timer scheduling: the watermark's decisions, nil in period mode.
    private(set) var watermark: TimerWatermark?
    /// Timer scheduling: the timer the waits sleep on (from the PCM's kernel), nil in period mode.
    private let timer: FileDescriptor?
    /// Timer scheduling: the instant the last sleep was for, so that a device that stops moving
    /// makes the stream sleep on, further each time, instead of waking at once again.
    private var lastDeadline: MonotonicInstant?
    /// Xruns the PCM had counted when the engine last looked: more is an xrun the watermark hears of.
    private var xrunsSeen = 0
    /// Playback with read/write access: frames of `scratch` converted but not yet taken by the
    /// kernel (a plugin that took part of a period), written before anything else is converted.
    private var staged: Range<Int> = 0..<0
    /// This engine's own waits (the streams', the render thread's).
    private let wait: PeriodWait
    private var streak = RecoveryProcedure.Streak()
    /// Started (by the engine, or by the kernel at the start threshold) since the last prepare:
    /// waiting on a stream that does not run would never end.
    private(set) var started = false
    /// Playback: the kernel starts the stream once this many frames are queued.
    private var startThreshold: Int
    /// Frames moved since the last prepare (the engine's count of the application pointer). While
    /// `convert` runs, the frames moved before its chunk.
    private(set) var position = 0
    /// With rate conversion, app frames taken (playback) or given (capture) since the last prepare:
    /// the application position at the app's rate. Without, `position` counts both.
    private(set) var appPosition = 0
    /// Maps frame positions to the monotonic clock: render callbacks' period times, and a timer
    /// schedule's deadlines.
    private var clock: PositionClock

    /// Takes a configured PCM (see `StreamNegotiation`). `async` engines lease the poll reactor of
    /// the PCM's kernel; that fails before anything is allocated when the reactor cannot be had.
    init(pcm: any PCM, configuration: StreamConfiguration, async: Bool) throws(AlsaError) {
        reactor = async ? try PollReactor.lease(for: pcm.kernel) : nil
        let setup = configuration.setup
        if var software = pcm.softwareParameters {
            let wanted = software
            if let schedule = configuration.timer {
                // Only the timer wakes the stream: the kernel's poll says "ready" only at an empty
                // (playback) or full (capture) buffer. Playback starts once the fill target is queued.
                software.availMin = setup.bufferSize
                software.startThreshold = pcm.direction == .playback ? schedule.fillTarget : 1
            } else {
                // The kernel's poll says "ready" at avail_min frames: a period, so that a wait always
                // ends with a period to move (a smaller avail_min, say from an app's own software
                // parameters, would make every wait end early and the stream spin on partial periods).
                software.availMin = setup.periodSize
            }
            if software != wanted { try pcm.installSoftwareParameters(software) }
        }
        // Everything that can throw comes before the allocations and the timer: a throwing
        // initializer runs no deinit, so they would leak.
        // A PCM handed over with frames queued: the engine counts them as its own.
        let state = try pcm.state
        let queued = pcm.direction == .playback && state == .prepared ? setup.bufferSize - (try pcm.avail()) : nil
        self.pcm = pcm
        self.configuration = configuration
        direction = pcm.direction
        channelCount = setup.channelCount
        frameBytes = setup.frameBytes
        periodFrames = setup.periodSize
        exactRunLimit = setup.periodSize + max(2, setup.periodSize / 64)
        bufferFrames = setup.bufferSize
        isMmap = setup.access.isMmap
        if let quality = configuration.resampling {
            conversion = try RateConversion(appRate: configuration.sampleRate, deviceRate: setup.sampleRate, channelCount: channelCount,
                                            direction: direction, periodFrames: periodFrames, quality: quality)
            // Linux runs little-endian on every architecture Swift supports: native Float is floatLE.
            appFormat = .floatLE
            appFrameBytes = channelCount * MemoryLayout<Float>.size
        } else {
            conversion = nil
            appFormat = setup.format
            appFrameBytes = frameBytes
        }
        watermark = configuration.timer.map {
            TimerWatermark(direction: pcm.direction, schedule: $0, bufferFrames: setup.bufferSize, sampleRate: setup.sampleRate)
        }
        chunkFrames = watermark.map { min($0.fillTargetLimit, setup.bufferSize) } ?? setup.periodSize
        // A render callback's blocks stay as negotiated when xruns raise the fill target: at most
        // the initial watermark, which a move's first piece stays at (`TimerWatermark.pieceFrames`).
        blockFrames = configuration.timer?.blockFrames ?? setup.periodSize
        clock = PositionClock(sampleRate: setup.sampleRate)
        // A chunk, or the longest exact run (`transfer(exactly:)`), whichever is larger.
        scratch = .allocate(byteCount: isMmap ? 0 : max(chunkFrames, exactRunLimit) * frameBytes, alignment: 16)
        wait = PeriodWait(engines: 1, descriptorCapacity: pcm.pollDescriptorCount)
        startThreshold = pcm.softwareParameters?.startThreshold ?? bufferFrames
        xrunsSeen = pcm.xrunCount - pcm.suspendCount
        started = state != .prepared
        if let queued { position = queued }
        if configuration.timer != nil {
            do {
                timer = try pcm.kernel.timerCreate()
            } catch {
                scratch.deallocate()
                throw AlsaError(.poll, error, context: "timerfd_create for a timer-scheduled stream")
            }
        } else {
            timer = nil
        }
    }

    deinit {
        try? pcm.close()
        if let timer { try? pcm.kernel.close(timer) }
        scratch.deallocate()
    }

    // MARK: the step

    /// Moves one chunk of at most `limit` frames, without waiting: whole periods, fewer only when
    /// `limit` is less than a period or the ring buffer wraps inside one (on a timer: a piece of
    /// the watermark's move, see the type's comment). `convert(bytes, frames)`
    /// sees the chunk's device frames once: playback fills them, capture reads them; `handling`
    /// says whether it converts them or copies them as they are. Returns the frames moved; 0 when
    /// the device has no period of room or data now, or an xrun was recovered: the caller waits,
    /// then steps again.
    func step(limit: Int, handling: FrameHandling = .converted,
              _ convert: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        do {
            let moved = isMmap ? try mmapStep(limit, handling, convert) : direction == .playback ? try writeStep(limit, handling, convert)
                : try readStep(limit, handling, convert)
            if moved > 0 {
                streak.progressed()
                statistics.frames += moved
                // The kernel starts playback once the threshold is queued (read/write and mmap alike).
                if position >= startThreshold { started = true }
                watermark?.moved(moved)
                lastDeadline = nil
            }
            noteXruns()
            return moved
        } catch {
            try recover(error)
            return 0
        }
    }

    /// Whether converted frames still wait for the kernel: a finite transfer is done only once none do.
    var hasStagedFrames: Bool { !staged.isEmpty }
    /// Frames converted for the kernel that it has not taken yet: the app wrote them, so they count
    /// in its delay.
    var stagedFrames: Int { staged.count }

    private func mmapStep(_ limit: Int, _ handling: FrameHandling,
                          _ convert: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        let area = try pcm.beginTransfer(maxFrames: min(limit, timerPiece))
        let available = area.frames
        let frames: Int
        if watermark != nil {
            // A piece of what the watermark called for, up to the ring buffer's end: the rest is the next piece.
            frames = available
        } else if available >= periodFrames {
            frames = available - available % periodFrames
        } else if available >= min(limit, periodFrames) || (available > 0 && area.offset + available == bufferFrames) {
            // The last chunk of a transfer, or the part of a period before the ring buffer wraps.
            frames = available
        } else {
            frames = 0
        }
        statistics.transfers += 1
        if frames > 0 {
            try convert(UnsafeMutableRawBufferPointer(rebasing: area.interleaved[0..<frames * frameBytes]), frames)
            if handling == .converted { statistics.convertedFrames += frames }
        }
        try pcm.commitTransfer(frames)
        position += frames
        return frames
    }

    private func writeStep(_ limit: Int, _ handling: FrameHandling,
                           _ convert: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        if !staged.isEmpty {
            try writeStaged()
            return 0
        }
        let frames = min(limit, chunkFrames, timerPiece)
        guard frames > 0 else { return 0 }
        try convert(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frames * frameBytes]), frames)
        if handling == .converted { statistics.convertedFrames += frames }
        staged = 0..<frames
        try writeStaged()
        return frames
    }

    /// The most frames a timer-scheduled step converts before its commit: a piece of the move under
    /// way. Unlimited in period mode, where the step's own rules bound the chunk.
    private var timerPiece: Int {
        guard let watermark else { return .max }
        return min(watermark.pending, watermark.pieceFrames)
    }

    /// Writes what `scratch` holds for the kernel; what it does not take stays staged.
    private func writeStaged() throws(AlsaError) {
        statistics.transfers += 1
        let written: Int
        do {
            written = try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: scratch[staged.lowerBound * frameBytes..<staged.upperBound * frameBytes]))
        } catch {
            if error.kind == .wouldBlock { return }
            throw error
        }
        staged = staged.lowerBound + written..<staged.upperBound
        position += written
    }

    /// One read/write-access capture transfer of at most `frames` into the scratch buffer: the
    /// frames the kernel gave, 0 when it had none (EAGAIN).
    private func readIntoScratch(_ frames: Int) throws(AlsaError) -> Int {
        statistics.transfers += 1
        do {
            return try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frames * frameBytes]))
        } catch {
            if error.kind == .wouldBlock { return 0 }
            throw error
        }
    }

    private func readStep(_ limit: Int, _ handling: FrameHandling,
                          _ convert: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        // The whole move, not a piece: the read frees the device's room before `convert` runs.
        let frames = min(limit, chunkFrames, watermark?.pending ?? .max)
        guard frames > 0 else { return 0 }
        let read = try readIntoScratch(frames)
        if read > 0 {
            try convert(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<read * frameBytes]), read)
            if handling == .converted { statistics.convertedFrames += read }
        }
        position += read
        return read
    }

    // MARK: explicit starts and exact runs (a duplex stream's two engines)

    /// Keeps the kernel from starting the stream by itself (a transfer reaching the start
    /// threshold): the start threshold becomes the boundary, which no queue reaches, so that the
    /// stream starts when `start()` says. A duplex stream queues its silence, then starts both
    /// sides at once.
    func holdStart() throws(AlsaError) {
        guard var software = pcm.softwareParameters else { return }
        let never = software.boundary > 0 ? software.boundary : Int(Int32.max)
        if software.startThreshold != never {
            software.startThreshold = never
            try pcm.installSoftwareParameters(software)
        }
        startThreshold = .max
    }

    /// Starts the stream now (START). A partner linked to it starts with it: `noteStarted()` tells
    /// the partner's engine so.
    func start() throws(AlsaError) {
        try pcm.start()
        started = true
    }

    /// The kernel started the stream with another (a linked START).
    func noteStarted() { started = true }

    /// Queues `frames` frames of silence without waiting (playback, before the start): the
    /// latency a duplex stream keeps between its input and its output. Needs the room; returns
    /// the frames queued, fewer only when the device has less room than asked.
    func queueSilence(_ frames: Int) throws(AlsaError) -> Int {
        let format = configuration.format
        var queued = 0
        while queued < frames {
            let moved = try transfer(upTo: min(frames - queued, periodFrames), converting: false) { (bytes, _, _) throws(AlsaError) in
                format.fillSilence(bytes)
            }
            if moved == 0 { break }
            queued += moved
        }
        return queued
    }

    /// Moves up to `frames` frames (at most `exactRunLimit`) now, without waiting, in as many
    /// pieces as the ring buffer's wrap makes: a duplex stream hands its callback exactly one
    /// period of input and takes exactly one period of output (one frame less where it drops or
    /// repeats one; a few frames more or less of input where it resamples it), wherever the
    /// period lies in the ring. `convert(bytes, frames, offset)` sees each
    /// piece once, `offset` frames into the run. After a wait for a period, the device has them
    /// all: fewer move only when it has less (a plugin whose poll said ready too early). Returns
    /// the frames moved. An xrun or a suspend is thrown, not recovered: the caller brings back
    /// both sides of its pair.
    func transfer(exactly frames: Int,
                  _ convert: (UnsafeMutableRawBufferPointer, Int, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        try transfer(upTo: frames, converting: true, convert)
    }

    private func transfer(upTo frames: Int, converting: Bool,
                          _ convert: (UnsafeMutableRawBufferPointer, Int, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        precondition(frames <= exactRunLimit, "an exact run is at most a period and a 64th")
        var moved = 0
        if isMmap {
            // A second piece only where the first ends at the ring's end.
            while moved < frames {
                let area = try pcm.beginTransfer(maxFrames: frames - moved)
                statistics.transfers += 1
                if area.frames > 0 { try convert(area.interleaved, area.frames, moved) }
                try pcm.commitTransfer(area.frames)
                moved += area.frames
                position += area.frames
                if area.frames == 0 || area.offset + area.frames != bufferFrames { break }
            }
        } else if direction == .playback {
            // What an earlier run left staged goes first; the new frames only when it all went.
            if !staged.isEmpty {
                try writeStaged()
                guard staged.isEmpty else { return 0 }
            }
            try convert(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frames * frameBytes]), frames, 0)
            staged = 0..<frames
            let before = position
            try writeStaged()
            moved = position - before
        } else {
            let read = try readIntoScratch(frames)
            if read > 0 { try convert(UnsafeMutableRawBufferPointer(rebasing: scratch[0..<read * frameBytes]), read, 0) }
            moved = read
            position += read
        }
        if moved > 0 {
            statistics.frames += moved
            // Silence queued at a start is not progress: a device that fails each time it is
            // brought back must still meet the recovery rule's limit.
            if converting {
                streak.progressed()
                statistics.convertedFrames += moved
            }
        }
        return moved
    }

    // MARK: recovery

    /// Recovers from `error` under `RecoveryProcedure`'s rule, or throws it.
    func recover(_ error: AlsaError) throws(AlsaError) {
        try streak.recover(pcm, from: error)
        prepared()
    }

    /// The stream was prepared again (a recovery, a stop, a drain): nothing queued, not started.
    private func prepared() {
        position = 0
        appPosition = 0
        started = false
        clock.invalidate()
        watermark?.forget()
        lastDeadline = nil
        noteXruns()
    }

    /// Xruns recovered since the last look (by the engine, or by a PCM that recovers on its own)
    /// raise a timer schedule's watermark: the stream woke too late for it.
    private func noteXruns() {
        let xruns = pcm.xrunCount - pcm.suspendCount
        guard xruns != xrunsSeen else { return }
        if xruns > xrunsSeen { watermark?.xrun() }
        xrunsSeen = xruns
    }

    /// Runs `body`; an xrun or a suspend it meets is recovered and `body` run again (a query such as
    /// `delay()` or `status()`, which the recovery makes answerable).
    func recovering<T>(_ body: () throws(AlsaError) -> T) throws(AlsaError) -> T {
        while true {
            do {
                return try body()
            } catch {
                try recover(error)
            }
        }
    }

    /// Drops what is queued or captured and prepares, so the stream can be used again.
    func stop() throws(AlsaError) {
        try pcm.drop()
        try pcm.prepare()
        staged = 0..<0
        conversion?.reset()
        prepared()
        pausedBy = nil
    }

    // MARK: waiting

    /// A stream must run before a wait can end: capture before there is data to wait for; playback
    /// once it has no room for another period, which the kernel's start threshold (the buffer's size)
    /// may never reach by whole periods (a buffer that is not a whole number of them, or a short
    /// write before). The engine counts what is queued itself, so this asks the kernel nothing.
    func startIfWaitingWouldNotEnd() throws(AlsaError) {
        guard !started else { return }
        // A timer-scheduled playback stream is filled, not waited on, until its fill target (its
        // start threshold) is queued.
        if direction == .playback && (watermark == nil ? bufferFrames - position >= periodFrames : position < startThreshold) { return }
        try recovering { () throws(AlsaError) in
            do throws(AlsaError) {
                try pcm.start()
            } catch {
                // Started meanwhile (by the app, or playback at its threshold): fine.
                guard error.kind == .badState, try pcm.state == .running else { throw error }
            }
        }
        started = true
    }

    /// Blocks the calling thread in poll(2) until the device has a period of room or data (or an
    /// error condition, which the next step meets and recovers), or until `interrupt` (a descriptor
    /// of the machine's, such as a pipe) is readable: then returns false. EINTR waits again.
    func waitBlocking(interrupt: Int32 = -1) throws(AlsaError) -> Bool {
        if watermark != nil { return try timerWaitBlocking(interrupt: interrupt) }
        try startIfWaitingWouldNotEnd()
        return try wait.blocking(WaitingEngines(self), interrupt: interrupt)
    }

    /// Suspends the task, not a thread, until the device has a period of room or data (or an error
    /// condition, which the next step meets). Cancellation ends the wait with ECANCELED.
    nonisolated(nonsending) func waitSuspending() async throws(AlsaError) {
        if watermark != nil { return try await timerWaitSuspending() }
        try startIfWaitingWouldNotEnd()
        _ = try await wait.suspending(WaitingEngines(self), reactor: try asyncReactor())
    }

    /// The reactor `async` waits suspend on; engines driven by a thread of their own have none.
    func asyncReactor() throws(AlsaError) -> PollReactor.Lease {
        guard let reactor else { throw AlsaError(.poll, .invalidArgument, context: "this stream waits on a thread of its own") }
        return reactor
    }

    /// A wait slept once (`PeriodWait` counts each engine it polled for).
    func noteWait() { statistics.waits += 1 }

    // MARK: waiting on a timer

    /// A timer-scheduled wait: looks at the device, and returns at once when the watermark calls
    /// for frames to move, else sleeps on the timer until the instant it predicts for that (or the
    /// device reports an error, or `interrupt` is readable: then returns false), and looks again.
    private func timerWaitBlocking(interrupt: Int32) throws(AlsaError) -> Bool {
        while let deadline = try timerDeadline() {
            guard try wait.sleepOnTimer(self, timer: try armTimer(deadline), interrupt: interrupt) else { return false }
        }
        return true
    }

    /// `timerWaitBlocking`, suspending the task on the reactor (`PeriodWait.sleepOnTimer`).
    nonisolated(nonsending) private func timerWaitSuspending() async throws(AlsaError) {
        let reactor = try asyncReactor()
        while let deadline = try timerDeadline() {
            try await wait.sleepOnTimer(self, timer: try armTimer(deadline), reactor: reactor)
        }
    }

    /// Xruns raised a playback schedule's fill target: the kernel's start threshold follows it, so
    /// that the device, prepared again, restarts once the raised target is queued. Started at the
    /// old one, it would run with less queued than the raised watermark, the margin that proved too
    /// small. One SW_PARAMS call a raise, after an xrun's recovery (allocation-free on the kernel
    /// transport; alsa-lib's install allocates its record and looks at the process's mappings
    /// again: a raise is rare); a start held for a partner (`holdStart()`) stays held.
    private func followFillTarget() throws(AlsaError) {
        guard direction == .playback, let target = watermark?.fillTarget, startThreshold < target,
              var software = pcm.softwareParameters else { return }
        software.startThreshold = target
        try pcm.installSoftwareParameters(software)
        startThreshold = target
    }

    /// Arms the timer for `deadline`; returns it, for `PeriodWait.sleepOnTimer`.
    private func armTimer(_ deadline: MonotonicInstant) throws(AlsaError) -> FileDescriptor {
        guard let timer else { throw AlsaError(.poll, .invalidArgument, context: "this stream is not timer-scheduled") }
        do {
            try pcm.kernel.timerSet(timer, deadline: deadline)
        } catch {
            throw AlsaError(.poll, error, context: "timerfd_settime")
        }
        return timer
    }

    /// nil when the watermark calls for frames to move now; else the instant to sleep until. Looks
    /// at the device (one status call) unless a move is already under way, feeds the position
    /// clock, and lets the watermark decide.
    private func timerDeadline() throws(AlsaError) -> MonotonicInstant? {
        guard let plan = watermark, plan.pending == 0 else { return nil }
        try followFillTarget()
        if direction == .capture { try startIfWaitingWouldNotEnd() }
        var timing = try currentTiming()
        if direction == .playback && timing.state == .prepared && position >= startThreshold {
            // Queued to the threshold, yet not started (the app's own start threshold, a drop).
            try startIfWaitingWouldNotEnd()
            timing = try currentTiming()
        }
        clock.anchor(timing, enginePosition: position)
        let fill = direction == .playback ? bufferFrames - timing.availableFrames : timing.availableFrames
        switch watermark!.decide(position: position, fill: fill, running: timing.state == .running) {
        case .move:
            return nil
        case .sleep(let frame):
            var deadline = clock.time(ofFrame: frame, sampleRate: configuration.sampleRate)
            // No progress since the last sleep (a device that stopped moving): sleep on, a watermark
            // further each time, rather than wake at once for ever.
            if let lastDeadline, deadline <= lastDeadline {
                deadline = lastDeadline + AudioTiming.duration(ofFrames: max(watermark!.watermark, 1), sampleRate: configuration.sampleRate)
            }
            lastDeadline = deadline
            return deadline
        }
    }

    /// The device's position and state now (one status call), an xrun or suspend met there recovered.
    private func currentTiming() throws(AlsaError) -> AudioTiming {
        let timing = try recovering { () throws(AlsaError) -> AudioTiming in
            let timing = try pcm.timing()
            if let error = timing.state.transferError { throw error }
            return timing
        }
        noteXruns()
        return timing
    }

    // MARK: finite transfers

    /// Moves `total` frames, blocking the calling thread while it waits: wait, step, until every
    /// frame is moved. `convert(bytes, frames)` gets each chunk with its range in the transfer, in
    /// `appFormat`; `handling` says whether it converts them or copies them (a raw transfer, which
    /// only a stream that does not resample takes).
    func transferBlocking(frames total: Int, handling: FrameHandling = .converted,
                          _ convert: (UnsafeMutableRawBufferPointer, Range<Int>) throws(AlsaError) -> Void) throws(AlsaError) {
        try checkNotPaused()
        var done = 0
        while done < total || hasOutstandingFrames {
            var offset = done
            if let moved = try stepWithoutDevice(total - done, { (bytes, frames) throws(AlsaError) in
                try convert(bytes, try chunk(&offset, frames, total))
            }) {
                done += moved
                continue
            }
            _ = try waitBlocking()
            done += try transferStep(total - done, handling) { (bytes, frames) throws(AlsaError) in
                try convert(bytes, try chunk(&offset, frames, total))
            }
        }
    }

    /// `transferBlocking`, suspending the task instead of blocking a thread. Cancelling the task
    /// ends it with ECANCELED (kind `.cancelled`); the frames moved before stay moved.
    nonisolated(nonsending) func transfer(frames total: Int, handling: FrameHandling = .converted,
                                          _ convert: (UnsafeMutableRawBufferPointer, Range<Int>) throws(AlsaError) -> Void) async throws(AlsaError) {
        try checkNotPaused()
        var done = 0
        while done < total || hasOutstandingFrames {
            if Task.isCancelled { throw AlsaError(.poll, .canceled) }
            var offset = done
            if let moved = try stepWithoutDevice(total - done, { (bytes, frames) throws(AlsaError) in
                try convert(bytes, try chunk(&offset, frames, total))
            }) {
                done += moved
                continue
            }
            try await waitSuspending()
            done += try transferStep(total - done, handling) { (bytes, frames) throws(AlsaError) in
                try convert(bytes, try chunk(&offset, frames, total))
            }
        }
    }

    /// The range in a transfer of `total` frames of the next `frames` frames from `offset`, which
    /// moves past them.
    private func chunk(_ offset: inout Int, _ frames: Int, _ total: Int) throws(AlsaError) -> Range<Int> {
        guard frames >= 0, frames <= total - offset else {
            throw AlsaError(.transfer, .invalidArgument, context: "the engine asked for \(frames) frames at \(offset) of \(total)")
        }
        defer { offset += frames }
        return offset..<offset + frames
    }

    /// Frames the device has yet to take though the app's are all given: converted but not taken
    /// by a plugin, or a resampler's tail being drained.
    private var hasOutstandingFrames: Bool { !staged.isEmpty || !(conversion?.isDrained ?? true) }

    /// One step of a transfer with `remaining` app frames to go; returns the app frames it took
    /// or gave. Without rate conversion, `step` itself. With it, playback moves the whole device
    /// periods the staged and remaining app frames make (or a drain's tail), resampling each;
    /// capture moves a device period into the resampler when none of its output waits, then hands
    /// out what it can (always converting: the device's frames are made from `Float`s).
    private func transferStep(_ remaining: Int, _ handling: FrameHandling,
                              _ convert: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int {
        guard let conversion else { return try step(limit: remaining, handling: handling, convert) }
        let format = configuration.format
        var taken = 0
        if direction == .playback {
            // The app frames are counted as they are taken: an xrun after them must not take them again.
            _ = try step(limit: conversion.deviceFramesReady(withMore: remaining)) { (bytes, frames) throws(AlsaError) in
                taken += try conversion.render(frames, as: format, into: bytes, from: convert)
            }
        } else {
            if conversion.pending == 0 {
                _ = try step(limit: periodFrames) { (bytes, frames) throws(AlsaError) in
                    try conversion.capture(frames, as: format, from: UnsafeRawBufferPointer(bytes))
                }
            }
            taken = min(conversion.pending, remaining)
            try conversion.deliver(taken, to: convert)
        }
        appPosition += taken
        return taken
    }

    /// With rate conversion, what a transfer does without waiting for the device: playback stages
    /// app frames too few for a device period; capture hands out frames already resampled. nil
    /// when the device is needed.
    private func stepWithoutDevice(_ remaining: Int, _ convert: (UnsafeMutableRawBufferPointer, Int) throws(AlsaError) -> Void) throws(AlsaError) -> Int? {
        guard let conversion, remaining > 0 else { return nil }
        if direction == .playback {
            guard staged.isEmpty, conversion.deviceFramesReady(withMore: remaining) == 0 else { return nil }
            try conversion.stage(remaining, from: convert)
            appPosition += remaining
            return remaining
        }
        guard conversion.pending > 0 else { return nil }
        let frames = min(conversion.pending, remaining)
        try conversion.deliver(frames, to: convert)
        appPosition += frames
        return frames
    }

    /// Refuses a transfer on a paused stream: it would wait for ever (hardware pause) or silently
    /// restart the device (emulated pause).
    @inline(__always)
    func checkNotPaused() throws(AlsaError) {
        if pausedBy != nil { throw AlsaError(.transfer, .badFileDescriptorState, context: "the stream is paused; resume() first") }
    }

    // MARK: drain

    /// Starts playback of what is queued if the start threshold kept it waiting; false when nothing
    /// is queued (the drain is then already done).
    private func startForDrain() throws(AlsaError) -> Bool {
        let state = try recovering { () throws(AlsaError) in try pcm.state }
        guard state == .prepared else { return state == .running || state == .draining || state == .paused }
        guard try pcm.avail() < bufferFrames else { return false }
        try pcm.start()
        return true
    }

    /// Plays out what is queued, blocking the calling thread, for at most `timeout`; then drops the
    /// rest. True when it all played. The stream can be written again afterwards.
    func drainBlocking(timeout: Duration) throws(AlsaError) -> Bool {
        if let conversion, direction == .playback {
            // The resampler's tail first, as the last frames of the stream.
            conversion.beginDrain()
            defer { conversion.reset() }
            try transferBlocking(frames: 0) { (_, _) throws(AlsaError) in }
        }
        guard try startForDrain() else { return true }
        if watermark != nil { return try timerDrainBlocking(timeout: timeout) }
        let done = try pcm.drain(timeout: timeout)
        try pcm.prepare()
        prepared()
        return done
    }

    /// Plays out what is queued, suspending the task, for at most `timeout`; then drops the rest.
    /// Cancelling the task drops the rest at once and throws ECANCELED (kind `.cancelled`).
    nonisolated(nonsending) func drain(timeout: Duration) async throws(AlsaError) -> Bool {
        if let conversion, direction == .playback {
            conversion.beginDrain()
            defer { conversion.reset() }
            try await transfer(frames: 0) { (_, _) throws(AlsaError) in }
        }
        guard try startForDrain() else { return true }
        if watermark != nil { return try await timerDrain(timeout: timeout) }
        let deadline = MonotonicInstant.now + timeout
        do {
            try pcm.drain()
        } catch {
            // Non-blocking: EAGAIN says the drain has begun.
            guard error.kind == .wouldBlock else { throw error }
        }
        var done = true
        do throws(AlsaError) {
            while try pcm.state == .draining {
                if Task.isCancelled { throw AlsaError(.drain, .canceled) }
                if MonotonicInstant.now >= deadline {
                    done = false
                    break
                }
                _ = try await wait.suspending(WaitingEngines(self), reactor: try asyncReactor(), until: deadline)
            }
        } catch {
            try? pcm.drop()
            try? pcm.prepare()
            prepared()
            throw error
        }
        if !done { try pcm.drop() }
        try pcm.prepare()
        prepared()
        return done
    }

    // MARK: draining on a timer

    /// Without period interrupts nothing in the kernel looks at the device while it drains, so the
    /// end of the drain would go unnoticed: a timer-scheduled stream sleeps until the instant its
    /// last frame is due, then looks (the status call moves hw_ptr, which ends the drain), a
    /// watermark later each time until it has ended.
    private func beginTimerDrain() throws(AlsaError) {
        do {
            try pcm.drain()
        } catch {
            // Non-blocking: EAGAIN says the drain has begun.
            guard error.kind == .wouldBlock else { throw error }
        }
        lastDeadline = nil
    }

    /// The instant to look at a draining stream again; nil once the drain has ended.
    private func drainDeadline() throws(AlsaError) -> MonotonicInstant? {
        let timing = try pcm.timing()
        guard timing.state == .draining else { return nil }
        clock.anchor(timing, enginePosition: position)
        var deadline = clock.time(ofFrame: position, sampleRate: configuration.sampleRate)
        if let lastDeadline, deadline <= lastDeadline {
            deadline = lastDeadline + AudioTiming.duration(ofFrames: max(watermark?.watermark ?? periodFrames, 1), sampleRate: configuration.sampleRate)
        }
        lastDeadline = deadline
        return deadline
    }

    private func endTimerDrain(done: Bool) throws(AlsaError) -> Bool {
        if !done { try pcm.drop() }
        try pcm.prepare()
        prepared()
        return done
    }

    /// The limit is on the machine's clock, looked at between sleeps: each sleep ends at the
    /// device's own instant, a watermark at most past the limit.
    private func timerDrainBlocking(timeout: Duration) throws(AlsaError) -> Bool {
        let limit = MonotonicInstant.now + timeout
        try beginTimerDrain()
        while let deadline = try drainDeadline() {
            guard MonotonicInstant.now < limit else { return try endTimerDrain(done: false) }
            _ = try wait.sleepOnTimer(self, timer: try armTimer(deadline))
        }
        return try endTimerDrain(done: true)
    }

    nonisolated(nonsending) private func timerDrain(timeout: Duration) async throws(AlsaError) -> Bool {
        let reactor = try asyncReactor()
        let limit = MonotonicInstant.now + timeout
        try beginTimerDrain()
        do throws(AlsaError) {
            while let deadline = try drainDeadline() {
                if Task.isCancelled { throw AlsaError(.drain, .canceled) }
                guard MonotonicInstant.now < limit else { return try endTimerDrain(done: false) }
                try await wait.sleepOnTimer(self, timer: try armTimer(deadline), reactor: reactor, cancelling: .drain)
            }
        } catch {
            try? pcm.drop()
            try? pcm.prepare()
            prepared()
            throw error
        }
        return try endTimerDrain(done: true)
    }

    // MARK: time

    /// When frame `frame` of this prepare (counted like `position`) is played (playback) or was
    /// captured (capture). Exact to the device's drift since the last anchor, which is renewed once
    /// a second of audio, after a start and after a recovery (one STATUS call each time); before
    /// the stream runs, as if it started now.
    func time(ofFrame frame: Int) -> MonotonicInstant {
        if clock.needsAnchor(at: position, sampleRate: configuration.deviceSampleRate) {
            clock.anchor(try? pcm.timing(), enginePosition: position)
        }
        return clock.time(ofFrame: frame, sampleRate: configuration.deviceSampleRate)
    }

    /// The device's rate against CLOCK_MONOTONIC, as the position clock's loop estimates it.
    var estimatedRate: Double { clock.estimatedRate }
}

/// What a stream's period engine did: the figures that show whether it waits like the kernel
/// (one wait and one transfer a period, conversions equal to the frames moved, or none for raw frames).
public struct TransferStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Frames moved to or from the device.
    public var frames = 0
    /// Transfers made: read/write calls, or mmap begin-commit pairs.
    public var transfers = 0
    /// Times the stream slept waiting for the device (a poll, or a suspension on the reactor): its
    /// wakeups. A timer-scheduled stream sleeps on its timer.
    public var waits = 0
    /// Frames converted between `Float` and the device's format. Raw frames, which a stream copies
    /// as they are (`PlaybackStream.writeBlocking(rawFrames:)`, `CaptureStream.readBlocking(rawFramesInto:)`),
    /// are moved but not converted: they count in `frames` only.
    public var convertedFrames = 0

    /// No transfer yet.
    public init() {}

    public var description: String {
        "\(frames) frames in \(transfers) transfers after \(waits) waits, \(convertedFrames) frames converted"
    }
}

extension PeriodEngine {
    /// Refuses a typed buffer whose channel count is not the stream's.
    func checkChannels(_ count: Int) throws(AlsaError) {
        guard count == channelCount else {
            throw AlsaError(.transfer, .invalidArgument, context: "a \(count)-channel buffer for a \(channelCount)-channel stream")
        }
    }

    /// Frames in `count` interleaved samples; refused unless whole.
    func frames(inSamples count: Int) throws(AlsaError) -> Int {
        guard count % channelCount == 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "\(count) samples are not a whole number of \(channelCount)-channel frames")
        }
        return count / channelCount
    }
}
