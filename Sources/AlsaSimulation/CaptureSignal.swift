import Foundation

/// What a simulated capture device hears: the sound its DMA engine writes into the buffer, in the
/// format the stream configured. Set it with `SimulatedKernel.setCaptureSignal(_:card:device:)`.
///
/// Frames are counted from the stream's START (each START begins again at 0), so a test knows the
/// signal of every frame it reads.
public enum CaptureSignal: Sendable {
    /// The deterministic byte pattern of `SimulatedKernel.captureSample(frame:byte:)`, the same as
    /// the project's explicit-sync test driver makes on a real kernel: every byte checkable, but
    /// not a sound (as Float samples it reads as huge values and NaN). The default.
    case pattern
    /// Digital silence: every sample zero.
    case silence
    /// A sine of `frequency` Hz at the stream's rate, `amplitude` of full scale (0...1: 0.5 is a
    /// peak of -6.02 dBFS), the same in every channel, starting at phase 0.
    case sine(frequency: Double, amplitude: Double)
    /// Byte `byte` of frame `frame`, in the format configured, as `source` says.
    case bytes(@Sendable (_ frame: UInt64, _ byte: Int) -> UInt8)

    /// A sample of the signal at `frame`, in [-1, 1]; nil for the byte-level signals.
    func value(frame: UInt64, sampleRate: Int) -> Double? {
        switch self {
        case .silence: 0
        case .sine(let frequency, let amplitude):
            amplitude * sin(2 * Double.pi * frequency * Double(frame) / Double(sampleRate))
        case .pattern, .bytes: nil
        }
    }

    /// `value` as the little-endian bits of one sample of ALSA format `format` (U8, S16_LE,
    /// S24_LE, S32_LE, FLOAT_LE or S24_3LE, the formats the simulated hardware offers), rounded
    /// and clipped as a converter would; 0 for other formats.
    static func sampleBits(_ value: Double, format: Int32) -> UInt64 {
        func scaled(_ fullScale: Double) -> Int64 {
            Int64(max(-fullScale, min(fullScale - 1, (value * fullScale).rounded())))
        }
        switch format {
        case 1: return UInt64(scaled(128) + 128)                                   // U8
        case 2: return UInt64(UInt16(truncatingIfNeeded: scaled(32_768)))          // S16_LE
        case 6, 32: return UInt64(UInt32(truncatingIfNeeded: scaled(8_388_608)))   // S24_LE (32-bit container), S24_3LE
        case 10: return UInt64(UInt32(truncatingIfNeeded: scaled(2_147_483_648)))  // S32_LE
        case 14: return UInt64(Float(value).bitPattern)                            // FLOAT_LE
        default: return 0
        }
    }
}
