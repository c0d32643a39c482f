import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Where samples are written: a file created for them, or standard output for `-`, as arecord writes.
///
/// A regular file opened without O_APPEND can be written at any offset, so a WAV header can be
/// patched in place; a pipe, a FIFO, a terminal or an appending descriptor only in order.
/// Writes that a signal interrupts are retried unless `stopRequested` says a stop was asked: a tool
/// stuck on a full pipe still ends.
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
    private let stopRequested: () -> Bool

    /// Creates (truncating) `path`, or takes standard output for `-`. `stopRequested` tells an
    /// interrupted write to give up rather than retry.
    package init(path: String, stopRequested: @escaping () -> Bool = { false }) throws(WAVError) {
        self.stopRequested = stopRequested
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
                throw .io("open", path, error)
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
                if number == .interrupted && !stopRequested() { continue }
                throw .io(operation: "write", path: name, errno: number)
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
