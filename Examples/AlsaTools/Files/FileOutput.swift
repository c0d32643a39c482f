import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Where a tool writes samples: a file it creates, or standard output for `-`, as arecord writes.
///
/// A regular file opened without O_APPEND can be written at any offset, so a WAV header can be
/// patched in place; a pipe, a FIFO, a terminal or an appending descriptor only in order.
/// Writes that Ctrl-C interrupts are not retried once a stop was asked: a tool stuck on a full pipe
/// still ends.
package final class FileOutput {
    /// The path, or `stdout` for `-`.
    package let name: String
    /// The open descriptor: the file's, or standard output's.
    package let descriptor: FileDescriptor
    /// Whether writes may go to any offset (and a header be patched).
    package let isSeekable: Bool
    /// Where this output's bytes begin in the descriptor (standard output may already hold some).
    package let baseOffset: Int64
    private let owned: Bool
    private var closed = false

    /// Creates (truncating) `path`, or takes standard output for `-`.
    package init(path: String) throws(WAVError) {
        if path == "-" {
            name = "stdout"
            descriptor = .standardOutput
            owned = false
        } else {
            name = path
            owned = true
            do {
                descriptor = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                                     permissions: [.ownerReadWrite, .groupRead, .otherRead],
                                                     // Not retried on EINTR: the open of a FIFO with no
                                                     // reader blocks, and Ctrl-C must end it.
                                                     retryOnInterrupt: false)
            } catch {
                throw .io(path: path, errno: (error as? Errno)?.rawValue ?? Errno.ioError.rawValue)
            }
        }
        var status = stat()
        let regular = fstat(descriptor.rawValue, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
        let appending = fcntl(descriptor.rawValue, F_GETFL) & O_APPEND != 0
        let offset = regular && !appending ? Int64(lseek(descriptor.rawValue, 0, SEEK_CUR)) : -1
        isSeekable = offset >= 0
        baseOffset = max(offset, 0)
    }

    deinit { close() }

    /// Closes the file (never standard output). Safe to call twice.
    package func close() {
        guard owned, !closed else { return }
        closed = true
        try? descriptor.close()
    }

    /// Writes all of `bytes` at `offset` from the start of this output, or next in order when nil.
    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64? = nil) throws(WAVError) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            do {
                if let offset {
                    done += try descriptor.write(toAbsoluteOffset: baseOffset + offset + Int64(done), rest, retryOnInterrupt: false)
                } else {
                    done += try descriptor.write(rest, retryOnInterrupt: false)
                }
            } catch {
                let number = (error as? Errno) ?? .ioError
                if number == .interrupted && !Interruption.requested { continue }
                throw .io(path: name, errno: number.rawValue)
            }
        }
    }

    /// Writes all of `bytes` (a header, a pad byte) at `offset`, or next in order when nil.
    package func write(_ bytes: [UInt8], at offset: Int64? = nil) throws(WAVError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try write(UnsafeRawBufferPointer(copy), at: offset)
    }
}
