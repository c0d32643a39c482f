import CSoxr
import SystemPackage

/// What one `Resampler.process` call did: the input frames it took and the output frames it wrote.
public struct ResamplerProgress: Sendable, Equatable, CustomStringConvertible {
    /// Input frames taken from the front of the input.
    public var consumed: Int
    /// Output frames written at the front of the output.
    public var produced: Int

    /// A progress record.
    public init(consumed: Int, produced: Int) {
        self.consumed = consumed
        self.produced = produced
    }

    /// For example "441 frames in, 480 out".
    public var description: String { "\(consumed) frames in, \(produced) out" }
}

/// Converts `Float` audio from one sample rate to another (soxr inside), at a fixed rational ratio
/// or at an adaptive one that may change every period, interleaved or non-interleaved.
///
/// The conversion runs at a constant `latency`: after `n` input frames, exactly
/// ⌊n × outputRate / inputRate⌋ − `latency` output frames have come out (the adaptive ratio
/// integrates instead), never more and never fewer, so a stream can ask `inputFrames(forOutput:)`
/// before each period and get exactly one period back from `process`. Nothing is lost or invented:
/// `drain` hands out what the latency holds at the end of a stream.
///
/// Once created, `process`, `drain` and `adjustRatio` take no lock, make no system call and
/// allocate nothing, after creation and after `reset`: soxr grows its FIFOs by `realloc` when a
/// write does not fit, so creation and `reset` first push one chunk through it that is larger than
/// any later call can need, and the FIFOs never grow again. `reset` itself may allocate (that
/// growth): keep it out of a render callback (BENCHMARKS.md, "Sample-rate conversion"). Use one
/// resampler from one thread at a time.
///
/// At equal rates a fixed resampler copies: bit-exact, with no latency.
public final class Resampler {
    /// Input frames per second.
    public let inputRate: Int
    /// Output frames per second (before any `ratioAdjustment`).
    public let outputRate: Int
    /// Samples per frame.
    public let channelCount: Int
    /// How the input and output samples are laid out.
    public let layout: SampleLayout
    /// The filter's guarantees.
    public let quality: ResamplingQuality
    /// Whether the ratio can be adjusted while running (`adjustRatio(_:)`).
    public let isAdaptive: Bool
    /// The most input frames one `process` call consumes.
    public let maximumFrames: Int
    /// Output frames between an input frame and its output: the first `latency` frames of output
    /// time are held back, and `drain` releases them at the end.
    public let latency: Int
    /// The factor the output rate is currently multiplied by (1 unless adjusted).
    public private(set) var ratioAdjustment: Double = 1

    /// How far an adaptive ratio may move from the nominal one, either way (5 %).
    public static let maximumAdjustment = 0.05
    /// The largest `maximumFrames`, and the largest rate, a resampler accepts.
    public static let frameLimit = 1 << 20
    /// The largest ratio between the two rates, either way.
    public static let maximumRatio = 64
    /// The rates a resampler accepts.
    public static let rates = 1...768_000

    private let converter: OpaquePointer?
    /// The output/input ratio reduced: output frames `step` per `period` input frames.
    private let step: Int, period: Int
    // Output time: `whole` frames plus `phase`/`period` (fixed) or `fraction` (adaptive) of one.
    private var whole = 0
    private var phase = 0
    private var fraction = 0.0
    private var outputPerInput: Double
    /// Output frames handed out since creation or `reset`.
    private var produced = 0
    /// soxr's output frames still to discard: the silence the warm-up left in its pipeline.
    private var discard = 0
    /// Where `drain` stops, once it has started.
    private var drainEnd: Int?
    private let scratch: UnsafeMutablePointer<Float>
    private let scratchFrames: Int
    private let zeros: UnsafeMutablePointer<Float>
    /// The most output frames one call asks soxr for: a `process` call's worth, as `pull` splits it.
    private let takeLimit: Int
    /// The warm-up's one large feed (input frames), which sizes soxr's FIFOs for good (`warmUp`).
    private let gulpFrames: Int
    private let inputPlanes: UnsafeMutablePointer<UnsafeRawPointer?>
    private let outputPlanes: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    /// A resampler from `inputRate` to `outputRate`. `maximumFrames` bounds the input frames one
    /// `process` call takes (a period's worth, or more); `adaptive` allows `adjustRatio(_:)`.
    /// Throws `.invalidArgument` for a rate, channel count or frame bound out of range.
    public init(from inputRate: Int, to outputRate: Int, channelCount channels: Int, layout: SampleLayout = .interleaved,
                quality: ResamplingQuality = .standard, adaptive: Bool = false,
                maximumFrames: Int = 8192) throws(AlsaError) {
        func refuse(_ what: String) -> AlsaError { AlsaError(.resampling, .invalidArgument, context: what) }
        guard Self.rates.contains(inputRate) else { throw refuse("input rate \(inputRate) Hz is outside \(Self.rates)") }
        guard Self.rates.contains(outputRate) else { throw refuse("output rate \(outputRate) Hz is outside \(Self.rates)") }
        guard (1...64).contains(channels) else { throw refuse("\(channels) channels is outside 1...64") }
        guard max(inputRate, outputRate) <= Self.maximumRatio * min(inputRate, outputRate) else {
            throw refuse("\(inputRate) Hz to \(outputRate) Hz is beyond a ratio of \(Self.maximumRatio)")
        }
        guard (1...Self.frameLimit).contains(maximumFrames) else {
            throw refuse("maximumFrames \(maximumFrames) is outside 1...\(Self.frameLimit)")
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channelCount = channels
        self.layout = layout
        self.quality = quality
        self.isAdaptive = adaptive
        self.maximumFrames = maximumFrames
        let divisor = Self.gcd(inputRate, outputRate)
        step = outputRate / divisor
        period = inputRate / divisor
        outputPerInput = Double(outputRate) / Double(inputRate)
        inputPlanes = .allocate(capacity: channels)
        outputPlanes = .allocate(capacity: channels)
        outputPlanes.initialize(repeating: nil, count: channels)
        zeros = .allocate(capacity: maximumFrames * channels)
        zeros.initialize(repeating: 0, count: maximumFrames * channels)
        inputPlanes.initialize(repeating: UnsafeRawPointer(zeros), count: channels)

        if inputRate == outputRate && !adaptive {
            converter = nil
            latency = 0
            takeLimit = 0
            gulpFrames = 0
            scratchFrames = 0
            scratch = .allocate(capacity: 1)
            return
        }
        let lag: Int
        do throws(AlsaError) {
            lag = try Self.largestLag(inputRate, outputRate, quality: quality, adaptive: adaptive)
            converter = try Self.makeConverter(inputRate, outputRate, channels: channels, layout: layout,
                                               quality: quality, adaptive: adaptive)
        } catch {
            inputPlanes.deallocate(); outputPlanes.deallocate(); zeros.deallocate()
            throw error
        }
        // A margin over the lag measured at the nominal ratio, for adjusted ratios and for block
        // boundaries the probe did not happen to meet.
        latency = Int((Double(lag) * (1 + Self.maximumAdjustment)).rounded(.up)) + 16
        let widest = Double(outputRate) / Double(inputRate) * (1 + Self.maximumAdjustment)
        let latencyInInput = Int((Double(latency) * Double(inputRate) / Double(outputRate) / (1 - Self.maximumAdjustment)).rounded(.up))
        takeLimit = Int((Double(maximumFrames) * widest).rounded(.up)) + latency + 16
        // soxr grows a FIFO (realloc) only while its read offset is at most FIFO_MIN (16 KiB, 4096
        // floats) and a write does not fit; one that has once held FIFO_MIN plus the most a later
        // write meets there (what it holds, plus the write) never grows again. The gulp holds more
        // than that: in the input FIFO (a `process` call's input, plus the unconsumed input the
        // latency keeps, plus soxr's block) and, taken at once, in the output FIFO (a take plus a
        // block); the variable-rate engine's stages take all their input at once, so they follow.
        let fifoMinimum = 4096, block = 16_384
        gulpFrames = max(fifoMinimum + 2 * (maximumFrames + latencyInInput) + block,
                         Int((Double(fifoMinimum + 2 * takeLimit + block + latency) * Double(inputRate) / Double(outputRate)
                              / (1 - Self.maximumAdjustment)).rounded(.up)))
        // The gulp's silence is fed from `scratch`, and its output taken there at once.
        scratchFrames = max(gulpFrames, max(latency, maximumFrames) * 2 + Int((Double(gulpFrames) * widest).rounded(.up)) + 1)
        scratch = .allocate(capacity: scratchFrames * channels)
        for channel in 0..<channels { outputPlanes[channel] = UnsafeMutableRawPointer(scratch + channel * scratchFrames) }
        warmUp()
    }

    deinit {
        if let converter { soxr_delete(converter) }
        scratch.deallocate()
        zeros.deallocate()
        inputPlanes.deallocate()
        outputPlanes.deallocate()
    }

    // MARK: per period

    /// The input frames `process` needs now to produce `frames` output frames (0 if what it was
    /// given already covers them).
    public func inputFrames(forOutput frames: Int) -> Int {
        let frames = min(max(frames, 0), Self.frameLimit)
        guard converter != nil, frames > 0 else { return frames }
        let target = produced + frames + latency
        if outputTime(after: 0) >= target { return 0 }
        // An estimate from the ratio, then the exact bookkeeping decides (at most a step or two).
        var needed = max(0, Int((Double(target - whole) - fractionOfFrame) / effectiveOutputPerInput) - 1)
        while outputTime(after: needed) < target { needed += 1 }
        while needed > 0 && outputTime(after: needed - 1) >= target { needed -= 1 }
        return needed
    }

    /// The output frames `process` would produce from `frames` more input frames (given room).
    public func outputFrames(forInput frames: Int) -> Int {
        let frames = min(max(frames, 0), Self.frameLimit)
        guard converter != nil else { return frames }
        return max(0, outputTime(after: frames) - latency - produced)
    }

    /// The output frames still to come if the stream ended after `frames` more input frames: what
    /// `process` and then `drain` would hand out.
    func framesUntilEnd(afterInput frames: Int) -> Int {
        let frames = min(max(frames, 0), Self.frameLimit)
        guard converter != nil else { return frames }
        return max(0, (drainEnd ?? outputTime(after: frames)) - produced)
    }

    /// Converts from the front of `input` into the front of `output`, both in `layout` with
    /// `channelCount` samples per frame (non-interleaved: channel `c` of a buffer of `n` frames starts
    /// at sample `c × n`). Takes the input that fills the output (at most `maximumFrames`): given
    /// `inputFrames(forOutput: n)` frames and room for `n`, all of them, producing `n`; given `m`
    /// frames and room for `outputFrames(forInput: m)`, all `m`, filling the room. A frame due
    /// beyond the room stays for the next call. Throws `.invalidArgument` for a buffer that is not
    /// a whole number of frames, and after `drain` until `reset`.
    public func process(_ input: UnsafeBufferPointer<Float>,
                        into output: UnsafeMutableBufferPointer<Float>) throws(AlsaError) -> ResamplerProgress {
        guard input.count % channelCount == 0, output.count % channelCount == 0, drainEnd == nil,
              let inputBase = input.baseAddress ?? (input.isEmpty ? UnsafePointer(zeros) : nil),
              let outputBase = output.baseAddress ?? (output.isEmpty ? scratch : nil)
        else { throw AlsaError(.resampling, .invalidArgument) }
        let offered = input.count / channelCount, room = output.count / channelCount
        guard let converter else {
            let frames = min(offered, room, maximumFrames)
            copyFrames(frames, from: inputBase, stride: offered, to: outputBase, stride: room)
            produced += frames
            return ResamplerProgress(consumed: frames, produced: frames)
        }
        // The input that fills the room, and the frames after it that make no further frame due
        // (downsampling); a frame that makes two due (upsampling) leaves one for the next call.
        let limit = min(offered, maximumFrames)
        var consumed = min(limit, inputFrames(forOutput: room))
        consumed = min(limit, max(consumed, inputFrames(forOutput: outputFrames(forInput: consumed) + 1) - 1))
        try feed(converter, inputBase, frames: consumed, stride: offered)
        let due = min(room, outputFrames(forInput: 0))
        let made = try pull(converter, due, into: outputBase, stride: room)
        return ResamplerProgress(consumed: consumed, produced: made)
    }

    /// Ends the stream: writes the frames the latency still holds (the input given so far, to its
    /// last frame) into `output` and returns how many; call it until it returns 0. `process` then
    /// refuses input until `reset`.
    public func drain(into output: UnsafeMutableBufferPointer<Float>) throws(AlsaError) -> Int {
        guard output.count % channelCount == 0, let outputBase = output.baseAddress ?? (output.isEmpty ? scratch : nil)
        else { throw AlsaError(.resampling, .invalidArgument) }
        guard let converter else { return 0 }
        let end = drainEnd ?? outputTime(after: 0)
        drainEnd = end
        let room = output.count / channelCount
        let wanted = min(room, end - produced, takeLimit)
        guard wanted > 0 else { return 0 }
        // Silence after the last frame pushes the held-back frames out, as soxr's own flush would,
        // without ending the converter.
        while outputTime(after: 0) - latency < produced + wanted {
            try feed(converter, zeros, frames: min(maximumFrames, max(1, inputFrames(forOutput: wanted))), stride: maximumFrames)
        }
        return try pull(converter, wanted, into: outputBase, stride: room)
    }

    /// Forgets every frame given so far, as if newly created (same ratio adjustment). Costs a
    /// pass of silence through the filter, and soxr may grow its FIFOs in it (allocations); the
    /// calls after it allocate nothing, as after creation.
    public func reset() {
        drainEnd = nil
        guard converter != nil else {
            produced = 0
            return
        }
        warmUp()
    }

    /// Sets the output rate to `outputRate × factor` from the next frame on (adaptive resamplers
    /// only; `factor` within 1 ± `maximumAdjustment`). The change is phase-continuous: a clock
    /// drift correction every period makes no click. Throws `.invalidArgument` otherwise.
    public func adjustRatio(_ factor: Double) throws(AlsaError) {
        guard isAdaptive, factor.isFinite, abs(factor - 1) <= Self.maximumAdjustment, let converter
        else { throw AlsaError(.resampling, .invalidArgument) }
        guard factor != ratioAdjustment else { return }
        if soxr_set_io_ratio(converter, Double(inputRate) / (Double(outputRate) * factor), 0) != nil {
            throw AlsaError(.resampling, .invalidArgument)
        }
        ratioAdjustment = factor
        outputPerInput = Double(outputRate) * factor / Double(inputRate)
    }

    // MARK: bookkeeping

    private var effectiveOutputPerInput: Double { isAdaptive ? outputPerInput : Double(step) / Double(period) }
    private var fractionOfFrame: Double { isAdaptive ? fraction : Double(phase) / Double(period) }

    /// Whole output frames of time after `frames` more input frames.
    private func outputTime(after frames: Int) -> Int {
        if isAdaptive { return whole + Int((fraction + Double(frames) * outputPerInput).rounded(.down)) }
        return whole + (phase + frames * step) / period
    }

    private func advance(by frames: Int) {
        if isAdaptive {
            let time = fraction + Double(frames) * outputPerInput
            let frames = time.rounded(.down)
            whole += Int(frames)
            fraction = time - frames
        } else {
            let time = phase + frames * step
            whole += time / period
            phase = time % period
        }
    }

    /// Hands soxr `frames` input frames (all of them: no output is asked for here).
    private func feed(_ converter: OpaquePointer, _ base: UnsafePointer<Float>, frames: Int, stride: Int) throws(AlsaError) {
        let error: soxr_error_t?
        if layout == .interleaved {
            error = soxr_process(converter, base, frames, nil, scratch, 0, nil)
        } else {
            for channel in 0..<channelCount { inputPlanes[channel] = UnsafeRawPointer(base + channel * stride) }
            error = soxr_process(converter, inputPlanes, frames, nil, outputPlanes, 0, nil)
        }
        guard error == nil else { throw AlsaError(.resampling, .ioError) }
        advance(by: frames)
    }

    /// Writes `frames` output frames, after discarding what the warm-up left.
    private func pull(_ converter: OpaquePointer, _ frames: Int, into base: UnsafeMutablePointer<Float>,
                      stride: Int) throws(AlsaError) -> Int {
        while discard > 0 {
            let made = try take(converter, min(discard, takeLimit), into: scratch, stride: scratchFrames)
            discard -= made
            if made == 0 { return 0 }
        }
        // At most `takeLimit` a call: soxr's output FIFO was sized for that (`warmUp`).
        var made = 0
        while made < frames {
            let offset = layout == .interleaved ? made * channelCount : made
            let got = try take(converter, min(frames - made, takeLimit), into: base + offset, stride: stride)
            if got == 0 { break }
            made += got
        }
        produced += made
        return made
    }

    private func take(_ converter: OpaquePointer, _ frames: Int, into base: UnsafeMutablePointer<Float>,
                      stride: Int) throws(AlsaError) -> Int {
        guard frames > 0 else { return 0 }
        var made = 0
        let error: soxr_error_t?
        // Input is non-nil and empty: nil would start soxr's flush.
        if layout == .interleaved {
            error = soxr_process(converter, zeros, 0, nil, base, frames, &made)
        } else {
            for channel in 0..<channelCount {
                inputPlanes[channel] = UnsafeRawPointer(zeros)
                outputPlanes[channel] = UnsafeMutableRawPointer(base + channel * stride)
            }
            error = soxr_process(converter, inputPlanes, 0, nil, outputPlanes, frames, &made)
        }
        guard error == nil else { throw AlsaError(.resampling, .ioError) }
        return made
    }

    private func copyFrames(_ frames: Int, from source: UnsafePointer<Float>, stride sourceStride: Int,
                            to target: UnsafeMutablePointer<Float>, stride targetStride: Int) {
        if layout == .interleaved {
            target.update(from: source, count: frames * channelCount)
        } else {
            for channel in 0..<channelCount {
                (target + channel * targetStride).update(from: source + channel * sourceStride, count: frames)
            }
        }
    }

    /// Runs silence through the converter, so its buffers reach their final size now rather than
    /// in a render callback, and so any earlier signal is gone; then starts the bookkeeping afresh.
    /// The silence still in the pipeline (exactly `latency` frames, as from a new converter) is
    /// discarded by the next `pull`.
    private func warmUp() {
        guard let converter else { return }
        whole = 0; phase = 0; fraction = 0; produced = 0; discard = 0
        // The gulp first, fed and taken whole: it sizes soxr's FIFOs beyond what any later call
        // can need (see `gulpFrames`). Then every chunk size up to `maximumFrames`, and enough
        // silence to flush the longest filter several times, in a whole number of ratio periods so
        // that a fixed ratio's filter phase ends where a new converter's starts.
        var flush = 8 * latency * max(1, inputRate / outputRate)
        for index in 0..<Self.warmUpChunks { flush += warmUpChunk(index) }
        let total = (flush + period - 1) / period * period
        var fed = 0, index = 0
        while fed < total {
            let frames = min(warmUpChunk(index), total - fed)
            index += 1
            if frames > maximumFrames {
                scratch.update(repeating: 0, count: frames * channelCount)
                try? feed(converter, scratch, frames: frames, stride: frames)
            } else {
                try? feed(converter, zeros, frames: frames, stride: maximumFrames)
            }
            fed += frames
            var due = outputTime(after: 0) - latency - produced
            while due > 0 {
                let made = (try? take(converter, min(due, scratchFrames), into: scratch, stride: scratchFrames)) ?? 0
                if made == 0 { break }
                produced += made
                due -= made
            }
        }
        // A new converter would not have produced the silence's output still in the pipeline
        // (`latency` frames, give or take what the last chunk left): the next `pull` discards it.
        discard = outputTime(after: 0) - produced
        whole = 0; phase = 0; fraction = 0; produced = 0
    }

    /// The warm-up's chunk sizes, in turn: the gulp, then every size up to `maximumFrames`.
    private static let warmUpChunks = 10

    /// The size of the warm-up's chunk `index` (taken modulo `warmUpChunks`). A function, not an
    /// array: `reset` allocates nothing of its own.
    private func warmUpChunk(_ index: Int) -> Int {
        switch index % Self.warmUpChunks {
        case 0: gulpFrames
        case 1, 9: maximumFrames
        case 2: 1
        case 3: 61
        case 4: min(maximumFrames, 1021)
        case 5: max(1, maximumFrames / 2)
        case 6: max(1, maximumFrames / 3)
        case 7: max(1, maximumFrames * 2 / 3)
        default: max(1, maximumFrames / 5)
        }
    }

    // MARK: setup

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    private static func makeConverter(_ inputRate: Int, _ outputRate: Int, channels: Int, layout: SampleLayout,
                                      quality: ResamplingQuality, adaptive: Bool) throws(AlsaError) -> OpaquePointer {
        let type = layout == .interleaved ? SOXR_FLOAT32_I : SOXR_FLOAT32_S
        var io = soxr_io_spec(type, type)
        var spec = soxr_quality_spec(UInt(quality.recipe), adaptive ? UInt(SOXR_VR) : 0)
        // The level's own passband (soxr's recipes differ only in precision otherwise).
        spec.passband_end = quality.passbandEdge
        // One thread: no OpenMP team on the audio path.
        var runtime = soxr_runtime_spec(1)
        var error: soxr_error_t?
        let converter = soxr_create(adaptive ? 0 : Double(inputRate), adaptive ? 0 : Double(outputRate), UInt32(channels),
                                    &error, &io, &spec, &runtime)
        if let converter, adaptive, error == nil {
            error = soxr_set_io_ratio(converter, Double(inputRate) / Double(outputRate), 0)
        }
        guard let converter, error == nil else {
            if let converter { soxr_delete(converter) }
            let reason = error.map { String(cString: $0) } ?? "no converter"
            throw AlsaError(.resampling, .invalidArgument,
                            context: "soxr cannot convert \(inputRate) Hz to \(outputRate) Hz at \(quality.name) quality: \(reason)")
        }
        return converter
    }

    /// The furthest soxr's output falls behind the output time of its input (its filter's look-ahead
    /// plus the block it computes at once), found by feeding a mono twin one frame at a time for a
    /// second of input.
    private static func largestLag(_ inputRate: Int, _ outputRate: Int, quality: ResamplingQuality,
                                   adaptive: Bool) throws(AlsaError) -> Int {
        let probe = try makeConverter(inputRate, outputRate, channels: 1, layout: .interleaved, quality: quality, adaptive: adaptive)
        defer { soxr_delete(probe) }
        let capacity = 1 << 16
        let output = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { output.deallocate() }
        var silence: Float = 0
        var made = 0, lag = 0
        let divisor = gcd(inputRate, outputRate)
        let step = outputRate / divisor, period = inputRate / divisor
        var whole = 0, phase = 0
        for _ in 0..<max(inputRate, 16_384) {
            var done = 0
            _ = soxr_process(probe, &silence, 1, nil, output, capacity, &done)
            made += done
            phase += step
            whole += phase / period
            phase %= period
            lag = max(lag, whole - made)
        }
        return lag
    }
}
