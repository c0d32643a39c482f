/// Headerless samples (`-t raw`), written in order as they arrive: to a file or standard output.
public final class RawWriter: AudioSink {
    /// Bytes in one frame: only whole frames are written.
    public let frameBytes: Int
    /// Whole frames written so far.
    public private(set) var framesWritten = 0
    private let output: FileOutput
    private var finished = false

    /// Raw frames of `frameBytes` bytes to `output`.
    public init(output: FileOutput, frameBytes: Int) {
        self.output = output
        self.frameBytes = frameBytes
    }

    deinit { try? finish() }

    /// Writes the whole frames of `bytes`, in order.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError) {
        let frames = bytes.count / frameBytes
        guard frames > 0 else { return }
        try output.write(UnsafeRawBufferPointer(rebasing: bytes[0..<frames * frameBytes]))
        framesWritten += frames
    }

    /// Closes the file (raw samples need no header). Safe to call twice.
    public func finish() throws(WAVError) {
        guard !finished else { return }
        finished = true
        output.close()
    }
}
