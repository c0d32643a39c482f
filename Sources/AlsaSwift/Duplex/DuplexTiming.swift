/// Where a duplex stream is in time: both sides' `AudioTiming`, and the round trip they add up
/// to, from one status call each.
///
/// The round trip is what lies between a frame's capture and its playback: the output queued and
/// not yet heard plus the input captured and not yet read, taken at one instant (the capture
/// side's delay carried to the playback side's timestamp at the nominal rate). On one clock it
/// stays at the queued two periods plus the latency the drivers declare beyond their buffers;
/// started back to back, it also holds the gap between the two starts; with the input resampled
/// (`DriftCompensation.resampling`), what the resampler holds between the two.
public struct DuplexTiming: Sendable, Equatable, CustomStringConvertible {
    /// The input side.
    public var capture: AudioTiming
    /// The output side.
    public var playback: AudioTiming
    /// Frames a drift-compensating resampler holds between input and output (its staged input
    /// and its filter's latency); 0 without one.
    public var resamplerFrames: Int
    /// The round trip in frames.
    public var roundTripFrames: Int
    /// Frames per second.
    public var sampleRate: Int

    /// Sums both sides' delays at the playback side's timestamp, and `resamplerFrames` held between them.
    public init(capture: AudioTiming, playback: AudioTiming, resamplerFrames: Int = 0) {
        self.capture = capture
        self.playback = playback
        self.resamplerFrames = resamplerFrames
        sampleRate = playback.sampleRate
        let captureDelay = capture.delayFrames + AudioTiming.frames(in: playback.timestamp - capture.timestamp, sampleRate: capture.sampleRate)
        roundTripFrames = playback.delayFrames + captureDelay + resamplerFrames
    }

    /// The round trip in time.
    public var roundTrip: Duration { AudioTiming.duration(ofFrames: roundTripFrames, sampleRate: sampleRate) }

    public var description: String {
        "round trip \(roundTripFrames) frames (\(roundTrip)): playback delay \(playback.delayFrames), capture delay \(capture.delayFrames)"
            + (resamplerFrames == 0 ? "" : ", resampler \(resamplerFrames)")
    }
}

/// What a duplex stream measured of its two clocks, and what it did about them.
public struct DriftReport: Sendable, Equatable, CustomStringConvertible {
    /// The method in use.
    public var compensation: DriftCompensation
    /// How much faster the capture device's clock runs than the playback device's, in parts per
    /// million, from both sides' timestamps (a loopback card's rate shift taken out: this is the
    /// cards' own drift). nil on one clock, and until a second of audio was measured.
    public var ppm: Double?
    /// Output frames dropped so far (frame adjustment).
    public var droppedFrames: Int
    /// Input frames repeated so far (frame adjustment).
    public var repeatedFrames: Int
    /// The loopback card's "PCM Rate Shift 100000" in force (100000 is nominal), when it is used.
    public var rateShift: Int?
    /// Output frames per capture frame of the input's resampler (1 is nominal; below 1 when the
    /// capture card runs fast), when it is used.
    public var resamplingRatio: Double?
    /// The round trip now (smoothed) less the round trip at the start, in frames.
    public var latencyError: Double

    public var description: String {
        var text = "\(compensation)"
        if let ppm { text += ", drift \(ppm.formatted(decimals: 1)) ppm" }
        if droppedFrames + repeatedFrames > 0 { text += ", \(droppedFrames) frames dropped, \(repeatedFrames) repeated" }
        if let rateShift { text += ", rate shift \(rateShift)" }
        if let resamplingRatio { text += ", resampling ratio \(resamplingRatio.formatted(decimals: 6))" }
        return text + ", round trip \(latencyError.formatted(decimals: 1)) frames from its start"
    }
}

extension Double {
    /// Fixed-point text with `decimals` digits after the point, without Foundation.
    func formatted(decimals: Int) -> String {
        guard isFinite else { return "\(self)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(self) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled) - whole * Int(scale)
        let digits = String(fraction)
        let sign = self < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        return "\(sign)\(whole).\(String(repeating: "0", count: decimals - digits.count))\(digits)"
    }
}
