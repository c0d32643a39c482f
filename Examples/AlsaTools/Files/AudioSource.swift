import AlsaSwiftFiles

/// Frames a player reads in order: a WAV file, a WAV stream on a pipe, or raw samples.
package protocol AudioSource: AnyObject {
    /// The path, or `stdin`.
    var name: String { get }
    /// The layout of the frames `read` returns.
    var format: WAVFormat { get }
    /// The frames there are to read, nil when only the end of the input will tell.
    var totalFrames: Int? { get }
    /// Reads up to `frames` whole frames into `buffer`; returns the frames read, 0 at the end.
    func read(frames: Int, into buffer: UnsafeMutableRawBufferPointer) throws(WAVError) -> Int
    /// How the data fell short of the length its header declared, once that is known (a file's at
    /// once, a stream's at its end); nil when nothing is missing.
    var truncation: WAVTruncation? { get }
}

extension AudioSource {
    /// Raw samples declare no length: nothing can be missing.
    package var truncation: WAVTruncation? { nil }

    /// Seconds of audio, nil when the length is not known.
    package var totalDuration: Double? { totalFrames.map { Double($0) / Double(format.sampleRate) } }
}

/// Where a recorder puts the frames it captured: a WAV file or stream, or raw samples.
package protocol AudioSink: AnyObject {
    /// Whole frames appended so far.
    var framesWritten: Int { get }
    /// Appends whole frames; a trailing partial frame is not written.
    func append(_ bytes: UnsafeRawBufferPointer) throws(WAVError)
    /// Completes the output (a WAV header's sizes) and closes it. Safe to call twice.
    func finish() throws(WAVError)
}

/// A WAV file read at any offset, as a player's source.
extension WAVReader: AudioSource {
    /// The path, or `stdin` when standard input is a redirected file.
    package var name: String { path }
    /// The frames in the data chunk: a file says how long it is.
    package var totalFrames: Int? { frameCount }
}

/// A WAV stream on a pipe, read in order, as a player's source.
extension WAVStreamReader: AudioSource {}

/// A WAV file, or a WAV stream on an output that cannot be patched, as a recorder's sink.
extension WAVWriter: AudioSink {}
