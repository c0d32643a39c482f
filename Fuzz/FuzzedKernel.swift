import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A kernel whose every answer the fuzzer chooses: each seam call reads one decision byte, then
/// runs on the simulated kernel unchanged, fails with an errno the real kernel could give, or runs
/// and has one byte of the record it returns (and its result) overwritten, as a driver that
/// reports nonsense would. Whatever it answers, AlsaSwift must not trap.
final class FuzzedKernel: KernelInterface, @unchecked Sendable {
    let base: SimulatedKernel
    var input: FuzzInput

    /// Errnos the PCM calls are documented or known to return.
    static let errnos: [Errno] = [.brokenPipe, .streamPipe, .noDevice, .resourceTemporarilyUnavailable, .badFileDescriptorState,
                                  .interrupted, .resourceBusy, .invalidArgument, .ioError, .noSuchAddressOrDevice, .badAddress,
                                  .inappropriateIOCTLForDevice, .noMemory, .noSuchFileOrDirectory, .timedOut, .notPermitted]

    enum Decision { case pass, fail(Errno), corrupt }

    var servesMachineDevices: Bool { false }

    init(base: SimulatedKernel, input: FuzzInput) {
        self.base = base
        self.input = input
    }

    private func decide() -> Decision {
        let byte = input.byte()
        switch byte {
        case 0..<192: return .pass
        case 192..<240: return .fail(Self.errnos[Int(byte) % Self.errnos.count])
        default: return .corrupt
        }
    }

    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor {
        if case .fail(let errno) = decide() { throw errno }
        return try base.open(path, flags: flags)
    }

    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) {
        if case .fail(let errno) = decide() { throw errno }
        try base.setNonBlocking(fd, nonBlocking)
    }

    func close(_ fd: FileDescriptor) throws(Errno) {
        // The descriptor is released whatever close says, as on Linux.
        let decision = decide()
        try base.close(fd)
        if case .fail(let errno) = decision { throw errno }
    }

    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        let decision = decide()
        if case .fail(let errno) = decision { throw errno }
        var result = try base.ioctl(fd, request, argument)
        if case .corrupt = decision {
            // _IOC_SIZE: the record's length is encoded in the request.
            let size = Int((request >> 16) & 0x3FFF)
            let offset = Int(input.uint16())
            // PAUSE carries its flag in the pointer's bits, not a record behind it.
            if let argument, size > 0, request != ALSA_IOCTL_PAUSE {
                argument.storeBytes(of: input.byte(), toByteOffset: offset % size, as: UInt8.self)
            }
            result = Int32(bitPattern: input.uint32()) & 0x7FFF_FFFF
        }
        return result
    }

    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        if case .fail(let errno) = decide() { throw errno }
        return try base.mmap(fd, length: length, protection: protection, offset: offset)
    }

    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        let decision = decide()
        try base.munmap(address, length: length)
        if case .fail(let errno) = decision { throw errno }
    }

    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        let decision = decide()
        if case .fail(let errno) = decision { throw errno }
        // Never a real wait: a fuzzing run must not sleep.
        var ready = try base.poll(descriptors, count: count, timeout: .zero)
        if case .corrupt = decision, count > 0 {
            descriptors[Int(input.byte()) % count].revents = Int16(bitPattern: input.uint16())
            ready = Int32(input.byte())
        }
        return ready
    }
}
