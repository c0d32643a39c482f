import AlsaSwift
import Foundation
import Testing

/// The guarantees of each `ResamplingQuality` level, the frame accounting a stream relies on, the
/// adaptive ratio and the layouts. The signal work runs on a thread of its own
/// (`onOwnThread`), never on the cooperative pool, and one test at a time (serialized), so
/// that the suite keeps at most one of the machine's cores busy while the timing suites run.
@Suite(.serialized) struct ResamplerTests {
    static let conversions = [(44_100, 48_000), (48_000, 44_100), (96_000, 44_100)]

    // MARK: frame accounting

    /// Asked for a period at a time, the resampler takes what `inputFrames(forOutput:)` said and
    /// gives exactly the period back, and its total output (with the frame at most that is due
    /// beyond the last period) is the input's output time less the latency, to the frame.
    @Test(arguments: ResamplingQuality.all)
    func everyPeriodComesOutWholeAndTheTotalIsExact(quality: ResamplingQuality) async throws {
        // Expectations are checked here: one recorded on the worker thread belongs to no test.
        let failures = try await onOwnThread {
            var failures: [String] = []
            for (from, to) in Self.conversions {
                let resampler = try Resampler(from: from, to: to, channelCount: 2, quality: quality, maximumFrames: 10_000)
                var consumed = 0, produced = 0
                let input = [Float](repeating: 0.25, count: 10_000 * 2)
                var output = [Float](repeating: 0, count: 4096 * 2)
                // Irregular periods, as a stream whose period size changes after a restart.
                for index in 0..<400 {
                    let period = [1024, 441, 1, 4096, 256, 333][index % 6]
                    let needed = resampler.inputFrames(forOutput: period)
                    if needed > 4096 * from / to + 1 { failures.append("\(from)->\(to): \(needed) frames for \(period)") }
                    let progress = try input.withUnsafeBufferPointer { input in
                        try output.withUnsafeMutableBufferPointer { output in
                            try resampler.process(UnsafeBufferPointer(rebasing: input[..<(needed * 2)]),
                                                  into: UnsafeMutableBufferPointer(rebasing: output[..<(period * 2)]))
                        }
                    }
                    if progress != ResamplerProgress(consumed: needed, produced: period) { failures.append("\(from)->\(to) period \(index): \(progress)") }
                    consumed += progress.consumed
                    produced += progress.produced
                }
                // Exact, counting the frame an upsampling input frame may have made due beyond the
                // last period (it comes first in the next one).
                let pending = resampler.outputFrames(forInput: 0)
                if produced + pending != consumed * to / from - resampler.latency || pending > 1 {
                    failures.append("\(from)->\(to): \(produced) frames (and \(pending) due) from \(consumed)")
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// Offered more input than the output has room for, it takes only what the room holds the
    /// output of; a capture stream, pushing a whole period through, asks `outputFrames(forInput:)`
    /// for the room and gets all of it in, whichever way the ratio goes.
    @Test func itTakesOnlyTheInputTheOutputHasRoomFor() throws {
        for (from, to) in Self.conversions {
            let pushed = try Resampler(from: from, to: to, channelCount: 1, maximumFrames: 2048)
            let input = [Float](repeating: 0, count: 2048)
            var output = [Float](repeating: 0, count: 4096)
            for chunk in [2048, 1021, 1, 7, 2048, 333, 1024] {
                let room = pushed.outputFrames(forInput: chunk)
                let progress = try input.withUnsafeBufferPointer { input in
                    try output.withUnsafeMutableBufferPointer { output in
                        try pushed.process(UnsafeBufferPointer(rebasing: input[..<chunk]), into: UnsafeMutableBufferPointer(rebasing: output[..<room]))
                    }
                }
                #expect(progress == ResamplerProgress(consumed: chunk, produced: room), "\(from)->\(to), \(chunk) frames")
            }
        }
        let resampler = try Resampler(from: 48_000, to: 44_100, channelCount: 1, maximumFrames: 2048)
        let input = [Float](repeating: 0, count: 2048)
        var output = [Float](repeating: 0, count: 4096)
        // The input that fills 100 frames, and the frames after it that make no 101st due.
        let needed = resampler.inputFrames(forOutput: 101) - 1
        let progress = try input.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { output in
                try resampler.process(input, into: UnsafeMutableBufferPointer(rebasing: output[..<100]))
            }
        }
        #expect(needed < 2048 && progress == ResamplerProgress(consumed: needed, produced: 100))
    }

    /// At the end, `drain` hands out what the latency held: input and output then cover the same
    /// time, to the frame, and the signal's last frames are in it.
    @Test func drainReleasesTheLatencyAndNothingMore() throws {
        for (from, to) in Self.conversions {
            let resampler = try Resampler(from: from, to: to, channelCount: 1, maximumFrames: 1024)
            let frames = from / 10
            let input = (0..<frames).map { Float(sin(2 * Double.pi * 1000 * Double($0) / Double(from))) * 0.5 }
            var output = [Float](repeating: 0, count: to)
            var consumed = 0, produced = 0
            while consumed < frames {
                let chunk = min(1024, frames - consumed)
                let progress = try input.withUnsafeBufferPointer { input in
                    try output.withUnsafeMutableBufferPointer { output in
                        try resampler.process(UnsafeBufferPointer(rebasing: input[consumed..<(consumed + chunk)]),
                                              into: UnsafeMutableBufferPointer(rebasing: output[produced...]))
                    }
                }
                consumed += progress.consumed
                produced += progress.produced
            }
            while true {
                let made = try output.withUnsafeMutableBufferPointer { output in
                    try resampler.drain(into: UnsafeMutableBufferPointer(rebasing: output[produced..<min(produced + 300, output.count)]))
                }
                if made == 0 { break }
                produced += made
            }
            #expect(produced == frames * to / from, "\(from)->\(to)")
            // Output frame k is the input at time k × from / to: no silence left over from the
            // warm-up, no frame skipped (away from the edges, where the sine starts and stops).
            var misaligned = 0.0
            for k in (produced / 4)..<(produced * 3 / 4) {
                let expected: Double = 0.5 * sin(2 * Double.pi * 1000 * Double(k) / Double(to))
                misaligned = max(misaligned, abs(Double(output[k]) - expected))
            }
            #expect(misaligned < 1e-4, "\(from)->\(to): \(misaligned)")
            // The last output frames still carry the sine (0.5 peak), not silence.
            let tail = output[(produced - 40)..<produced].map { abs($0) }.max() ?? 0
            #expect(tail > 0.3, "\(from)->\(to)")
            #expect(throws: AlsaError.self) {
                try input.withUnsafeBufferPointer { input in
                    try output.withUnsafeMutableBufferPointer { output in _ = try resampler.process(input, into: output) }
                }
            }
            resampler.reset()
            #expect(resampler.inputFrames(forOutput: 10) > 0)
        }
    }

    // MARK: identity and layouts

    /// At equal rates a fixed resampler copies every bit, with no latency, in both layouts.
    @Test(arguments: [SampleLayout.interleaved, .nonInterleaved])
    func equalRatesAreBitExact(layout: SampleLayout) throws {
        let resampler = try Resampler(from: 48_000, to: 48_000, channelCount: 2, layout: layout, quality: .high)
        #expect(resampler.latency == 0)
        let input = (0..<2000).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) & 0xBF7F_FFFF) }
        var output = [Float](repeating: .nan, count: 2000)
        let progress = try input.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { try resampler.process(input, into: $0) }
        }
        #expect(progress == ResamplerProgress(consumed: 1000, produced: 1000))
        #expect(output.map(\.bitPattern) == input.map(\.bitPattern))
    }

    /// Non-interleaved conversion gives the same samples as interleaved, channel for channel.
    @Test func nonInterleavedMatchesInterleaved() throws {
        let frames = 4410
        let left = (0..<frames).map { Float(sin(Double($0) * 0.05)) }, right = (0..<frames).map { Float(cos(Double($0) * 0.11)) }
        let interleaved = zip(left, right).flatMap { [$0, $1] }
        let planar = left + right
        func run(_ layout: SampleLayout, _ input: [Float]) throws -> [Float] {
            let resampler = try Resampler(from: 44_100, to: 48_000, channelCount: 2, layout: layout, maximumFrames: frames)
            let room = resampler.outputFrames(forInput: frames)
            var output = [Float](repeating: 0, count: room * 2)
            let progress = try input.withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { try resampler.process(input, into: $0) }
            }
            #expect(progress == ResamplerProgress(consumed: frames, produced: room))
            return layout == .interleaved ? output : (0..<room).flatMap { [output[$0], output[room + $0]] }
        }
        let a = try run(.interleaved, interleaved), b = try run(.nonInterleaved, planar)
        #expect(a.count > 4000 && a == b)
    }

    /// Out-of-range rates, channel counts, frame bounds, ratios and buffers are refused with
    /// `.invalidArgument`, never a trap.
    @Test func badArgumentsAreRefused() throws {
        for (from, to, channels, frames) in [(0, 48_000, 2, 1024), (48_000, -1, 2, 1024), (48_000, 44_100, 0, 1024),
                                             (48_000, 44_100, 65, 1024), (48_000, 44_100, 2, 0), (48_000, 44_100, 2, Int.max),
                                             (8_000, 768_000, 2, 1024), (Int.max, 48_000, 2, 1024)] {
            #expect(throws: AlsaError.self) { _ = try Resampler(from: from, to: to, channelCount: channels, maximumFrames: frames) }
        }
        let resampler = try Resampler(from: 44_100, to: 48_000, channelCount: 2)
        #expect(throws: AlsaError.self) { try resampler.adjustRatio(1.001) }  // not adaptive
        #expect(resampler.inputFrames(forOutput: Int.max) > 0 && resampler.inputFrames(forOutput: -5) == 0)
        #expect(resampler.outputFrames(forInput: Int.max) > 0 && resampler.outputFrames(forInput: Int.min) == 0)
        let odd = [Float](repeating: 0, count: 3)
        var output = [Float](repeating: 0, count: 8)
        #expect(throws: AlsaError.self) {
            try odd.withUnsafeBufferPointer { input in try output.withUnsafeMutableBufferPointer { _ = try resampler.process(input, into: $0) } }
        }
        let adaptive = try Resampler(from: 44_100, to: 48_000, channelCount: 2, adaptive: true)
        for factor in [0.9, 1.06, .nan, .infinity] {
            #expect(throws: AlsaError.self) { try adaptive.adjustRatio(factor) }
        }
        try adaptive.adjustRatio(1.04)
        #expect(adaptive.ratioAdjustment == 1.04)
    }

    // MARK: the guarantees of each level

    /// THD+N of a 1 kHz sine at −1 dBFS, a tone at the passband edge kept within the ripple, and a
    /// tone above the output's Nyquist frequency (it would alias) pushed down by the stopband
    /// attenuation, as far as Float output can show it (about 140 dB).
    @Test(arguments: ResamplingQuality.all)
    func eachLevelKeepsItsGuarantees(quality: ResamplingQuality) async throws {
        let failures = try await onOwnThread {
            var failures: [String] = []
            let floor = min(quality.stopbandAttenuation, Self.floatFloor)
            for (from, to) in Self.conversions {
                let sine = try Self.convertTone(1000, amplitude: 0.891, from: from, to: to, quality: quality)
                let thdN = Self.decibels(sine.residual / sine.amplitude)
                if !(thdN < -(floor - Self.thdMargin)) { failures.append("\(quality.name) \(from)->\(to): THD+N \(thdN) dB") }
                let edge = quality.passbandEdge * Double(min(from, to)) / 2
                let kept = try Self.convertTone(edge, amplitude: 0.5, from: from, to: to, quality: quality)
                let gain = Self.decibels(kept.amplitude / 0.5)
                if !(abs(gain) <= quality.passbandRipple + 0.001) { failures.append("\(quality.name) \(from)->\(to): \(gain) dB at \(edge) Hz") }
                if to < from {
                    // Mirrored about the output's Nyquist frequency, just past the stopband.
                    let above = Double(to) * 0.5 + (Double(to) * 0.5 - edge) * 1.2
                    let alias = Double(to) - above
                    let folded = try Self.convertTone(above, amplitude: 0.5, from: from, to: to, quality: quality, measuredAt: alias)
                    let level = Self.decibels(folded.amplitude / 0.5)
                    if !(level < -(floor - Self.aliasMargin)) { failures.append("\(quality.name) \(from)->\(to): \(above) Hz aliases at \(level) dB") }
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    // MARK: the adaptive ratio

    /// A minute of 48 kHz → 44.1 kHz with the ratio sweeping ±1000 ppm (one sine cycle of the
    /// adjustment, set every period): every period comes out whole, the output count is the
    /// integral of the ratio to within a frame, the 1 kHz tone has no discontinuity above the
    /// adaptive converter's floor, and the output is as far behind the integral's timeline at the
    /// end as at the start (the adaptive filter delays a 1 kHz tone by a few frames), to a tenth
    /// of a frame: no frame was lost or invented on the way.
    @Test func aSweepingRatioLosesNoFrameAndMakesNoClick() async throws {
        // A minute; under the sanitizers (testTimeScale > 1), whose instrumented loops are several
        // times slower, ten seconds.
        let seconds = testTimeScale > 1 ? 10 : 60
        let run = try await onOwnThread { try Self.sweep(seconds: seconds, depth: 0.001) }
        #expect(run.allWhole)
        #expect(abs(Double(run.made + run.latency) - run.integral) <= 1, "made \(run.made) + latency \(run.latency), integral \(run.integral)")
        #expect(run.worst < -(Self.adaptiveFloor - Self.thdMargin), "worst residual \(run.worst) dB")
        #expect(abs(run.delayAtEnd - run.delayAtStart) < 0.1, "delay \(run.delayAtStart) then \(run.delayAtEnd) frames")
    }

    struct Sweep: Sendable {
        var allWhole = true, made = 0, latency = 0, integral = 0.0
        var worst = -300.0, delayAtStart = 0.0, delayAtEnd = 0.0
    }

    static func sweep(seconds: Int, depth: Double) throws -> Sweep {
        let from = 48_000, to = 44_100, period = 441, tone = 1000.0
        let resampler = try Resampler(from: from, to: to, channelCount: 1, adaptive: true, maximumFrames: 1024)
        var input = [Float](repeating: 0, count: 1024), output = [Float](repeating: 0, count: period)
        var run = Sweep(latency: resampler.latency)
        var consumed = 0
        let periods = seconds * to / period
        // Per period: the input frames and output time before it, and its ratio (output per input).
        var starts: [(consumed: Double, time: Double, ratio: Double)] = []
        func inputTime(ofOutput frame: Int) -> Double {
            let index = max(0, (starts.lastIndex { $0.time <= Double(frame) }) ?? 0)
            return starts[index].consumed + (Double(frame) - starts[index].time) / starts[index].ratio
        }
        for index in 0..<periods {
            let factor = 1 + depth * sin(2 * Double.pi * Double(index) / Double(periods))
            try resampler.adjustRatio(factor)
            let ratio = Double(to) * factor / Double(from)
            let needed = resampler.inputFrames(forOutput: period)
            for frame in 0..<needed {
                input[frame] = Float(0.5 * sin(2 * Double.pi * tone * Double(consumed + frame) / Double(from)))
            }
            let progress = try input.withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { output in
                    try resampler.process(UnsafeBufferPointer(rebasing: input[..<needed]), into: output)
                }
            }
            run.allWhole = run.allWhole && progress.produced == period && progress.consumed == needed
            starts.append((Double(consumed), run.integral, ratio))
            consumed += needed
            run.integral += Double(needed) * ratio
            // A click leaves a residual around the tone (fitted with a slowly drifting phase).
            let fit = fitTone(output, frequency: tone / ratio, rate: Double(from), drifting: true)
            if index > 20 { run.worst = max(run.worst, decibels(fit.residual / fit.amplitude)) }
            // The delay behind the integral's timeline, early and at the end.
            if index == 40 || index == periods - 1 {
                let times = (0..<period).map { inputTime(ofOutput: run.made + $0) }
                let delay = delayBehind(output, times: times, tone: tone, rate: Double(from))
                if index == 40 { run.delayAtStart = delay } else { run.delayAtEnd = delay }
            }
            run.made += progress.produced
        }
        return run
    }

    /// How far (in input frames) a tone is behind where `times` (the input time of each frame)
    /// put it.
    static func delayBehind(_ samples: [Float], times: [Double], tone: Double, rate: Double) -> Double {
        let w = 2 * Double.pi * tone / rate
        var a = 0.0, b = 0.0
        for (x, t) in zip(samples, times) {
            a += Double(x) * sin(w * t)
            b += Double(x) * cos(w * t)
        }
        // x ≈ A sin(w t − w δ) = A cos(wδ) sin(wt) − A sin(wδ) cos(wt).
        return atan2(-b, a) / w
    }

    // MARK: signal analysis

    /// What a Float pipeline can show: below about 140 dB, rounding of the output samples rules.
    static let floatFloor = 140.0
    /// The measurement's own allowance over the filter's design figure (the THD+N also sums the
    /// filter's rounding noise over the whole band).
    static let thdMargin = 12.0
    static let aliasMargin = 6.0
    /// The adaptive converter's own floor (soxr's variable-rate engine, whatever the level): its
    /// THD+N at a steady ratio, measured at −121 dB.
    static let adaptiveFloor = 120.0

    static func decibels(_ ratio: Double) -> Double { 20 * log10(max(ratio, 1e-30)) }

    /// Converts a tone of `frequency` for a second and fits the output at `measuredAt` (by default
    /// the same frequency), away from the start.
    static func convertTone(_ frequency: Double, amplitude: Double, from: Int, to: Int, quality: ResamplingQuality,
                            measuredAt: Double? = nil) throws -> (amplitude: Double, residual: Double) {
        let resampler = try Resampler(from: from, to: to, channelCount: 1, quality: quality, maximumFrames: from)
        let input = (0..<from).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(from))) }
        var output = [Float](repeating: 0, count: to * 2)
        let progress = try input.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { try resampler.process(input, into: $0) }
        }
        // Half a second after the start transient: whole periods of the tone do not matter, the
        // fit is least squares.
        let start = to / 8, end = progress.produced - to / 8
        return fitTone(Array(output[start..<end]), frequency: measuredAt ?? frequency, rate: Double(to))
    }

    /// The least-squares fit of a sine and cosine of `frequency` (and a constant; with `drifting`,
    /// also their products with time, which absorb a slowly changing amplitude and phase): the
    /// amplitude, and the RMS of what is left, scaled to a sine's peak (√2 × RMS).
    static func fitTone(_ samples: [Float], frequency: Double, rate: Double,
                        drifting: Bool = false) -> (amplitude: Double, residual: Double) {
        let w = 2 * Double.pi * frequency / rate
        let n = samples.count, middle = Double(n) / 2, size = drifting ? 5 : 3
        // Sums of products of the basis functions, accumulated in a tuple-sized scratch (the debug
        // build's nested arrays would dominate a minute-long sweep).
        var sums = [Double](repeating: 0, count: 5 * 6)
        var residual = 0.0
        var solution = [Double](repeating: 0, count: 5)
        sums.withUnsafeMutableBufferPointer { m in
            samples.withUnsafeBufferPointer { x in
                var b: (Double, Double, Double, Double, Double) = (0, 0, 1, 0, 0)
                // The basis by rotation: sin and cos of w·k without a call per sample.
                let (sw, cw) = (sin(w), cos(w))
                var (s, c) = (0.0, 1.0)
                for k in 0..<n {
                    let t = (Double(k) - middle) / middle
                    b = (s, c, 1, t * s, t * c)
                    let v = x[k]
                    withUnsafeBytes(of: b) { raw in
                        let e = raw.bindMemory(to: Double.self)
                        for i in 0..<size {
                            for j in i..<size { m[i * 6 + j] += e[i] * e[j] }
                            m[i * 6 + 5] += e[i] * Double(v)
                        }
                    }
                    (s, c) = (s * cw + c * sw, c * cw - s * sw)
                }
            }
        }
        var normal = [[Double]](repeating: [Double](repeating: 0, count: size + 1), count: size)
        for i in 0..<size {
            for j in 0..<size { normal[i][j] = sums[min(i, j) * 6 + max(i, j)] }
            normal[i][size] = sums[i * 6 + 5]
        }
        let fitted = solve(normal)
        for i in 0..<size { solution[i] = fitted[i] }
        var (s, c) = (0.0, 1.0)
        let (sw, cw) = (sin(w), cos(w))
        samples.withUnsafeBufferPointer { x in
            for k in 0..<n {
                let t = (Double(k) - middle) / middle
                let e = Double(x[k]) - solution[0] * s - solution[1] * c - solution[2] - solution[3] * t * s - solution[4] * t * c
                residual += e * e
                (s, c) = (s * cw + c * sw, c * cw - s * sw)
            }
        }
        let amplitude = (solution[0] * solution[0] + solution[1] * solution[1]).squareRoot()
        return (amplitude, (2 * residual / Double(n)).squareRoot())
    }

    /// Gauss-Jordan elimination with partial pivoting of an augmented matrix.
    static func solve(_ matrix: [[Double]]) -> [Double] {
        var m = matrix
        let size = m.count
        for column in 0..<size {
            let pivot = (column..<size).max { abs(m[$0][column]) < abs(m[$1][column]) }!
            m.swapAt(column, pivot)
            for row in 0..<size where row != column {
                let factor = m[row][column] / m[column][column]
                for k in column...size { m[row][k] -= factor * m[column][k] }
            }
        }
        return (0..<size).map { m[$0][size] / m[$0][$0] }
    }
}
