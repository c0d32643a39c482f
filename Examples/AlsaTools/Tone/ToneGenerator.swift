import Foundation

/// Test signals, generated a period at a time with no allocation: sine, a logarithmic sweep, white
/// and pink noise, and a speaker test that plays each channel in turn.
package struct ToneGenerator: Sendable {
    package enum Signal: String, Sendable, CaseIterable {
        case sine, sweep, white, pink, channels
    }

    package let signal: Signal
    package let sampleRate: Double
    package let channelCount: Int
    package let frequency: Double
    package let sweepTo: Double
    /// Seconds a sweep takes, or each channel sounds in the speaker test.
    package let segment: Double
    package let amplitude: Float
    private var phase = 0.0
    private var frame = 0
    private var noise: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var pink = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    package init(signal: Signal, sampleRate: Int, channelCount: Int, frequency: Double = 440, sweepTo: Double = 8_000,
                segment: Double = 2, levelDB: Double = -12) {
        self.signal = signal
        self.sampleRate = Double(sampleRate)
        self.channelCount = channelCount
        self.frequency = frequency
        self.sweepTo = sweepTo
        self.segment = segment
        amplitude = Float(pow(10, levelDB / 20))
    }

    /// Fills `samples` (interleaved, a whole number of frames).
    package mutating func fill(_ samples: UnsafeMutableBufferPointer<Float>) {
        let frames = samples.count / channelCount
        for f in 0..<frames {
            let t = Double(frame) / sampleRate
            var value: Float
            var only: Int? = nil
            switch signal {
            case .sine:
                value = Float(sin(phase))
                phase += 2 * .pi * frequency / sampleRate
            case .sweep:
                // Exponential sweep from `frequency` to `sweepTo` over `segment` seconds, repeating.
                let position = t.truncatingRemainder(dividingBy: segment) / segment
                phase += 2 * .pi * frequency * pow(sweepTo / frequency, position) / sampleRate
                value = Float(sin(phase))
            case .white:
                value = nextNoise()
            case .pink:
                value = nextPink()
            case .channels:
                only = Int(t / segment) % channelCount
                value = Float(sin(phase))
                phase += 2 * .pi * frequency / sampleRate
            }
            if phase > 2 * .pi { phase -= 2 * .pi }
            for c in 0..<channelCount { samples[f * channelCount + c] = only == nil || only == c ? value * amplitude : 0 }
            frame += 1
        }
    }

    /// Uniform in [-1, 1) from a xorshift generator: reproducible.
    private mutating func nextNoise() -> Float {
        noise ^= noise << 13
        noise ^= noise >> 7
        noise ^= noise << 17
        return Float(Double(noise >> 11) / Double(1 << 52) - 1)
    }

    /// Paul Kellet's refined filter over white noise, scaled to about the same peak.
    private mutating func nextPink() -> Float {
        let white = Double(nextNoise())
        pink.0 = 0.99886 * pink.0 + white * 0.0555179
        pink.1 = 0.99332 * pink.1 + white * 0.0750759
        pink.2 = 0.96900 * pink.2 + white * 0.1538520
        pink.3 = 0.86650 * pink.3 + white * 0.3104856
        pink.4 = 0.55000 * pink.4 + white * 0.5329522
        pink.5 = -0.7616 * pink.5 - white * 0.0168980
        let value = pink.0 + pink.1 + pink.2 + pink.3 + pink.4 + pink.5 + pink.6 + white * 0.5362
        pink.6 = white * 0.115926
        return Float(max(-1, min(1, value * 0.11)))
    }
}
