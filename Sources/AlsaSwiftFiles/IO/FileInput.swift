import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Where samples are read from: a file, or standard input for `-`, as aplay reads them.
///
/// Reads go on until the buffer is full or the input ends, so a pipe that delivers a few bytes at a
/// time still yields whole frames. A read that a signal interrupts is retried unless
/// `stopRequested` says the signal asked for a stop (a tool's Ctrl-C): then the caller sees the
/// stop instead of waiting on for a writer that may never come.
package final class FileInput {
    /// The path, or `stdin` for `-`.
    package let name: String
    /// The open descriptor: the file's, or standard input's.
    package let descriptor: FileDescriptor
    private let owned: Bool
    private let stopRequested: () -> Bool

    /// Opens `path`, or takes standard input for `-`. `stopRequested` tells an interrupted read to
    /// give up rather than retry.
    package init(path: String, stopRequested: @escaping () -> Bool = { false }) throws(WAVError) {
        self.stopRequested = stopRequested
        if path == "-" {
            name = "stdin"
            descriptor = .standardInput
            owned = false
            return
        }
        name = path
        owned = true
        do {
            // Not retried on EINTR: the open of a FIFO with no writer blocks, and Ctrl-C must end it.
            descriptor = try FileDescriptor.open(path, .readOnly, options: .closeOnExec, retryOnInterrupt: false)
        } catch {
            throw .io("open", path, error)
        }
    }

    deinit { if owned { try? descriptor.close() } }

    /// Whether the input can be read at any offset (a regular file), rather than only in order (a
    /// pipe, a FIFO, a terminal).
    package var isSeekable: Bool {
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFREG
    }

    /// The bytes from the current offset to the end of a regular file; nil for a pipe.
    package var remainingBytes: Int64? {
        guard isSeekable else { return nil }
        let here = lseek(descriptor.rawValue, 0, SEEK_CUR)
        var status = stat()
        guard here >= 0, fstat(descriptor.rawValue, &status) == 0 else { return nil }
        return max(Int64(status.st_size) - Int64(here), 0)
    }

    /// Reads until `buffer` is full or the input ends; returns the bytes read (fewer only at the end).
    package func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(WAVError) -> Int {
        var done = 0
        while done < buffer.count {
            let got: Int
            do {
                got = try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), retryOnInterrupt: false)
            } catch {
                let number = (error as? Errno) ?? .ioError
                if number == .interrupted && !stopRequested() { continue }
                throw .io(operation: "read", path: name, errno: number)
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    /// Reads exactly `count` bytes, or fails with `ending` when the input ends first.
    func read(_ count: Int, orThrow ending: WAVError) throws(WAVError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        guard try readFully(into: buffer) == count else { throw ending }
        return Array(buffer)
    }

    /// Reads and drops `count` bytes (a chunk a stream reader does not need), or fails with `ending`.
    func skip(_ count: UInt64, orThrow ending: WAVError) throws(WAVError) {
        var left = count
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { scratch.deallocate() }
        while left > 0 {
            let wanted = Int(min(left, UInt64(scratch.count)))
            let got = try readFully(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<wanted]))
            guard got == wanted else { throw ending }
            left -= UInt64(got)
        }
    }
}
