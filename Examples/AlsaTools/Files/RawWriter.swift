import AlsaSwiftFiles

/// Headerless samples (`-t raw`), written in order as they arrive: to a file or standard output.
package final class RawWriter: AudioSink {
    /// Bytes in one frame: only whole frames are written.
    package let frameBytes: Int
    /// Whole frames written so far.
    package private(set) var framesWritten = 0
    private let output: FileOutput
    private var finished = false

    /// Raw frames of `frameBytes` bytes to `output`.
    package init(output: FileOutput, frameBytes: Int) {
        self.output = output
        self.frameBytes = frameBytes
    }

    deinit { try? finish() }

    /// Writes the whole frames of `bytes`, in order.
    package func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError) {
        let frames = bytes.count / frameBytes
        guard frames > 0 else { return }
        try output.write(UnsafeRawBufferPointer(rebasing: bytes[0..<frames * frameBytes]))
        framesWritten += frames
    }

    /// Closes the file (raw samples need no header). Safe to call twice.
    package func finish() throws(WAVError) {
        guard !finished else { return }
        finished = true
        output.close()
    }
}
