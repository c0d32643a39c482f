/// How a stream was paused.
public enum PauseMethod: Sendable, Equatable, CustomStringConvertible {
    /// The device holds its position (it offers SNDRV_PCM_INFO_PAUSE): resuming plays or captures
    /// on from the same frame, and nothing queued is lost.
    case hardware
    /// The device cannot pause, so the stream stopped it: the `discardedFrames` frames that were
    /// queued (playback) or captured and not yet read (capture) are gone, and resuming starts the
    /// device afresh with the next transfer.
    case emulated(discardedFrames: Int)

    public var description: String {
        switch self {
        case .hardware: "paused by the device"
        case .emulated(let frames): "paused by stopping the device (\(frames) frames discarded)"
        }
    }
}

/// One look at a stream: its state, what can move now, how far the device is from the app, and
/// the xruns so far.
public struct StreamStatus: Sendable, Equatable, CustomStringConvertible {
    /// The stream's state.
    public var state: StreamState
    /// Paused by `pause()` and not yet resumed.
    public var isPaused: Bool
    /// Frames that can be written (playback) or read (capture) without waiting.
    public var availableFrames: Int
    /// Frames between the app and the speaker (playback: queued, not yet heard) or the converter
    /// (capture: captured, not yet read).
    public var delayFrames: Int
    /// Xruns met and recovered since the stream opened.
    public var xrunCount: Int
    /// When the kernel took `availableFrames`, on its timestamp clock.
    public var timestamp: Duration
    /// What the stream did so far: frames, transfers, waits and conversions.
    public var statistics: TransferStatistics
    /// A timer-scheduled stream's watermark now, in frames (`TimerSchedule.initialWatermark` until
    /// an xrun raises it); nil when the stream wakes once a period.
    public var watermarkFrames: Int?
    /// A timer-scheduled stream's fill target now, in frames: the latency it keeps (playback: the
    /// most frames queued ahead of the device). `TimerSchedule.fillTarget`, the request, until
    /// xruns with the watermark at its highest raise it; never lowered again. nil when the stream
    /// wakes once a period.
    public var fillTargetFrames: Int?
    /// The device's rate against CLOCK_MONOTONIC, in frames per second, as the stream's
    /// delay-locked loop estimates it from the device's timestamps (the nominal rate until it has
    /// two of them while the device runs).
    public var estimatedRate: Double

    public var description: String {
        "\(isPaused ? "paused" : state.description), \(availableFrames) frames available, delay \(delayFrames) frames, \(xrunCount) xruns"
            + (watermarkFrames.map { ", watermark \($0) frames" } ?? "")
            + (fillTargetFrames.map { ", fill target \($0) frames" } ?? "")
    }
}

extension PeriodEngine {
    /// Pauses the device if it can, else stops it (see `PauseMethod`). Pausing twice is harmless.
    func pause() throws(AlsaError) -> PauseMethod {
        if let pausedBy { return pausedBy }
        let method: PauseMethod
        if try pcm.state == .running && configuration.setup.info.contains(.pause) {
            try pcm.pause(true)
            method = .hardware
        } else {
            let discarded = try pcm.state == .running ? appDelay(deviceDelay: try pcm.delay()) : 0
            try stop()
            method = .emulated(discardedFrames: max(discarded, 0))
        }
        pausedBy = method
        return method
    }

    /// Undoes `pause()`. Resuming a stream that is not paused is harmless.
    func resume() throws(AlsaError) {
        guard let method = pausedBy else { return }
        if method == .hardware { try pcm.pause(false) }
        pausedBy = nil
    }

    /// One look at the stream. An xrun met on the way is recovered (and counted), and the look taken
    /// again: the stream is then prepared and empty.
    func status() throws(AlsaError) -> StreamStatus {
        try recovering { () throws(AlsaError) -> StreamStatus in
            let state = try pcm.state
            if let error = state.transferError { throw error }
            let (available, timestamp) = try pcm.availWithTimestamp()
            let delay = state == .running || state == .paused || state == .prepared || state == .draining ? appDelay(deviceDelay: try pcm.delay()) : 0
            return StreamStatus(state: state, isPaused: pausedBy != nil,
                                availableFrames: appAvailable(deviceAvailable: available), delayFrames: delay,
                                xrunCount: pcm.xrunCount, timestamp: timestamp, statistics: statistics,
                                watermarkFrames: watermark?.watermark, fillTargetFrames: watermark?.fillTarget,
                                estimatedRate: estimatedRate)
        }
    }
}

extension PlaybackStream {
    /// Pauses playback: the device holds its position where it can, otherwise the stream stops it
    /// and says how many queued frames that discarded. A write while paused is refused (kind
    /// `.badState`) rather than left waiting for a device that will not move.
    @discardableResult
    public func pause() throws(AlsaError) -> PauseMethod { try core.pause() }

    /// Resumes after `pause()`.
    public func resume() throws(AlsaError) { try core.resume() }

    /// The stream's state, room, delay and xruns now.
    public func status() throws(AlsaError) -> StreamStatus { try core.status() }
}

extension CaptureStream {
    /// Pauses capture: the device holds its position where it can, otherwise the stream stops it,
    /// discarding what was captured and not read (the count is in the result). A read while paused
    /// is refused (kind `.badState`).
    @discardableResult
    public func pause() throws(AlsaError) -> PauseMethod { try core.pause() }

    /// Resumes after `pause()`: capture restarts with the next read.
    public func resume() throws(AlsaError) { try core.resume() }

    /// The stream's state, frames ready to read, delay and xruns now.
    public func status() throws(AlsaError) -> StreamStatus { try core.status() }
}
