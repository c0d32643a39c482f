/// Interleaved `Float` frames waiting to make a whole period: written at the end, taken from the
/// front, what is left moved back to the front. A resampling stream stages its app frames here
/// (`RateConversion`), a duplex stream on two clocks its capture frames (`InputResampling`).
///
/// Allocated once, silent at first; appending, consuming, clearing and filling with silence
/// allocate nothing, take no lock and make no system call (both users run on the audio path).
/// Asking for more frames than are staged, or more room than is left, is a defect of the caller,
/// not of its input: it stops at a precondition rather than clamping, which would lose or invent
/// frames without a word.
final class StagedFrames {
    /// Samples per frame.
    let channelCount: Int
    /// The most frames it holds.
    let capacity: Int
    /// The frames staged: the first `count` frames of `storage`.
    private(set) var count = 0
    private let storage: UnsafeMutableBufferPointer<Float>

    /// Room for `capacity` frames of `channelCount` samples; both are the caller's sizes, already
    /// checked (at least one channel, a countable product).
    init(capacity: Int, channelCount: Int) {
        precondition(channelCount > 0 && capacity >= 0, "staged frames need a channel and a capacity, not \(channelCount) and \(capacity)")
        let (sampleCount, overflow) = capacity.multipliedReportingOverflow(by: channelCount)
        precondition(!overflow, "\(capacity) staged frames of \(channelCount) channels are too many samples")
        self.channelCount = channelCount
        self.capacity = capacity
        storage = .allocate(capacity: sampleCount)
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    /// Frames that fit behind those staged.
    var room: Int { capacity - count }

    /// The samples of the staged frames, oldest frame first.
    var samples: UnsafeBufferPointer<Float> { UnsafeBufferPointer(rebasing: storage[0..<count * channelCount]) }

    /// The first `frames` staged frames (at most `count`).
    func first(_ frames: Int) -> UnsafeBufferPointer<Float> {
        precondition(frames >= 0 && frames <= count, "\(frames) frames asked of \(count) staged")
        return UnsafeBufferPointer(rebasing: storage[0..<frames * channelCount])
    }

    /// `frames` frames of room, `offset` frames behind those staged, for the caller to fill; they
    /// count as staged once `commit` says so. `offset + frames` is at most `room`.
    func space(_ frames: Int, at offset: Int = 0) -> UnsafeMutableBufferPointer<Float> {
        precondition(frames >= 0 && offset >= 0 && frames <= room - offset, "\(frames) frames at \(offset) asked of \(room) free")
        let start = (count + offset) * channelCount
        return UnsafeMutableBufferPointer(rebasing: storage[start..<start + frames * channelCount])
    }

    /// Counts the next `frames` frames of room, filled by the caller, as staged.
    func commit(_ frames: Int) {
        precondition(frames >= 0 && frames <= room, "\(frames) frames committed with \(room) free")
        count += frames
    }

    /// Stages `frames` frames of silence.
    func appendSilence(_ frames: Int) {
        space(frames).update(repeating: 0)
        commit(frames)
    }

    /// Drops the first `frames` staged frames (at most `count`), moving the rest to the front.
    func consume(_ frames: Int) {
        precondition(frames >= 0 && frames <= count, "\(frames) frames consumed of \(count) staged")
        guard frames > 0 else { return }
        let base = storage.baseAddress!
        // The regions overlap when more stays than goes; `update(from:count:)` copies in the safe direction.
        base.update(from: base + frames * channelCount, count: (count - frames) * channelCount)
        count -= frames
    }

    /// Drops every staged frame.
    func clear() { count = 0 }
}
