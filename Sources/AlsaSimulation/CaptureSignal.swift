import AlsaSwift
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

    /// `value` as the little-endian bits of one sample of ALSA format `format`, encoded by the
    /// library's own conversion (`SampleConversion`: the rounding and clipping every stream uses);
    /// 0 for a format it does not convert.
    static func sampleBits(_ value: Double, format: Int32) -> UInt64 {
        var bits: UInt64 = 0
        var sample = Float(value)
        withUnsafeMutableBytes(of: &bits) { out in
            withUnsafePointer(to: &sample) { one in
                try? SampleConversion.encode(UnsafeBufferPointer(start: one, count: 1), as: SampleFormat(rawValue: format), into: out)
            }
        }
        return UInt64(littleEndian: bits)
    }
}
