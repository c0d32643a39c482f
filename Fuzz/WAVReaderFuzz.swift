import AlsaSwiftFiles

#if canImport(Glibc)
import Glibc
#endif

/// AlsaSwiftFiles' WAV reader on any bytes: the header is parsed, every frame read as the file's
/// samples and again as Float. It may refuse the file with a `WAVError`, never trap.
enum WAVReaderFuzz {
    /// The reader reads a path: one file in /dev/shm per fuzzing process, rewritten per input.
    static let path = "/dev/shm/alsaswift-fuzz-\(getpid()).wav"
    // libFuzzer runs one input at a time on one thread: scratch shared between inputs is safe.
    nonisolated(unsafe) static let frames = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    nonisolated(unsafe) static let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1 << 16)

    static func run(_ input: FuzzInput) {
        var input = input
        let bytes = input.rest()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        if let base = bytes.baseAddress { _ = write(fd, base, bytes.count) }
        close(fd)
        guard let reader = try? WAVReader(path: path) else { return }
        _ = reader.duration
        _ = "\(reader.format) \(reader.truncation.map { "\($0)" } ?? "")"
        // The file's own samples, then the same frames again as Float: both reads to the end.
        while let got = try? reader.read(frames: 4_096, into: frames), got > 0 {}
        reader.rewind()
        while let got = try? reader.read(into: floats), got > 0 {}
    }
}
