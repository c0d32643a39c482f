/// The streams' raw path: the app's bytes are already interleaved frames in the device's format
/// (`StreamConfiguration.format`), so the engine's chunks are copied, not converted. The device
/// side is interleaved too: streams negotiate interleaved access only (`StreamNegotiation`), and
/// refuse to open a device without it.
extension PeriodEngine {
    /// Frames in `byteCount` bytes of raw device frames. Refused (kind `.invalidArgument`), before
    /// anything moves, when they are not a whole number of frames, or when the stream resamples:
    /// its app side runs at another rate than the device's frames.
    func rawFrameCount(inBytes byteCount: Int) throws(AlsaError) -> Int {
        if let conversion {
            let verb = direction == .playback ? "write" : "read"
            throw AlsaError(.transfer, .invalidArgument,
                            context: "raw frames are the device's, at \(conversion.deviceRate) Hz, and this stream resamples "
                                + "\(conversion.appRate) Hz to them: \(verb) Float samples, or open the stream without StreamRequest.resampling")
        }
        guard byteCount % frameBytes == 0 else {
            throw AlsaError(.transfer, .invalidArgument,
                            context: "\(byteCount) bytes are not a whole number of \(frameBytes)-byte \(configuration.format) frames "
                                + "of \(channelCount) channels")
        }
        return byteCount / frameBytes
    }

    /// Copies frames `range` of the app's raw frames into a chunk of device frames (playback).
    func copyRaw(_ frames: UnsafeRawBufferPointer, _ range: Range<Int>, into chunk: UnsafeMutableRawBufferPointer) {
        chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: frames[range.lowerBound * frameBytes..<range.upperBound * frameBytes]))
    }

    /// Copies a chunk of device frames into frames `range` of the app's buffer (capture).
    func copyRaw(_ chunk: UnsafeRawBufferPointer, into frames: UnsafeMutableRawBufferPointer, _ range: Range<Int>) {
        UnsafeMutableRawBufferPointer(rebasing: frames[range.lowerBound * frameBytes..<range.upperBound * frameBytes]).copyMemory(from: chunk)
    }
}
