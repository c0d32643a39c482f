/// Headerless samples (`-t raw`), written in order as they arrive: to a file or standard output.
public final class RawWriter: AudioSink {
    public let frameBytes: Int
    public private(set) var framesWritten = 0
    private let output: FileOutput
    private var finished = false

    public init(output: FileOutput, frameBytes: Int) {
        self.output = output
        self.frameBytes = frameBytes
    }

    deinit { try? finish() }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError) {
        let frames = bytes.count / frameBytes
        guard frames > 0 else { return }
        try output.write(UnsafeRawBufferPointer(rebasing: bytes[0..<frames * frameBytes]))
        framesWritten += frames
    }

    public func finish() throws(WAVError) {
        guard !finished else { return }
        finished = true
        output.close()
    }
}
