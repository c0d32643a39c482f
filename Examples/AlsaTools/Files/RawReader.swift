import AlsaSwiftFiles

/// Headerless samples (`-t raw`): the layout comes from the command line (`-f`, `-r`, `-c`), and
/// the frames run to the end of the input. A trailing partial frame is dropped.
package final class RawReader: AudioSource {
    /// The layout `-f`, `-r` and `-c` gave.
    package let format: WAVFormat
    /// The whole frames of a regular file; nil for a pipe, which only its end measures.
    package let totalFrames: Int?
    private let input: FileInput

    /// The path, or `stdin`.
    package var name: String { input.name }

    /// Raw samples of `format` from `input`, from where it stands to its end.
    package init(input: FileInput, format: WAVFormat) {
        self.input = input
        self.format = format
        // A regular file says how long it is; a pipe does not.
        if input.isSeekable, let remaining = input.remainingBytes {
            totalFrames = Int(remaining / Int64(format.bytesPerFrame))
        } else {
            totalFrames = nil
        }
    }

    /// Reads up to `frames` whole frames; fewer only at the end of the input, 0 after it.
    package func read(frames: Int, into buffer: UnsafeMutableRawBufferPointer) throws(WAVError) -> Int {
        let wanted = min(frames, buffer.count / format.bytesPerFrame)
        guard wanted > 0 else { return 0 }
        let bytes = try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted * format.bytesPerFrame]))
        return bytes / format.bytesPerFrame
    }
}
