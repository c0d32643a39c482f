import CAlsaKernel

extension KernelPCM {
    /// Writes interleaved frames (WRITEI). Blocks until all are queued unless the PCM is
    /// non-blocking; returns the frames written. The kernel advances `appl_ptr` and, on devices that
    /// need it, flushes the data to the device. Starts the stream at the start threshold.
    @discardableResult
    public func writeInterleaved(_ buffer: UnsafeRawBufferPointer) throws(AlsaError) -> Int {
        let byteCount = buffer.count
        // A non-empty buffer has an address, so the fast path needs no check for nil.
        guard direction == .playback, byteCount & interleavedFrameMask == 0, byteCount != 0 else {
            return try writeInterleavedChecked(buffer)
        }
        return try interleaved(.writeInterleaved, ALSA_IOCTL_WRITEI_FRAMES,
                               UnsafeMutableRawPointer(mutating: buffer.baseAddress.unsafelyUnwrapped),
                               frames: byteCount &>> interleavedFrameShift)
    }

    /// Reads interleaved frames (READI) into `buffer`; returns the frames read. Starts a prepared
    /// capture stream.
    @discardableResult
    public func readInterleaved(into buffer: UnsafeMutableRawBufferPointer) throws(AlsaError) -> Int {
        let byteCount = buffer.count
        guard direction == .capture, byteCount & interleavedFrameMask == 0, byteCount != 0 else {
            return try readInterleavedChecked(buffer)
        }
        return try interleaved(.readInterleaved, ALSA_IOCTL_READI_FRAMES, buffer.baseAddress.unsafelyUnwrapped,
                               frames: byteCount &>> interleavedFrameShift)
    }

    /// WRITEI for what the fast path's mask does not take: an error, an empty buffer, or a frame
    /// size that is not a power of two (counted by division).
    @inline(never)
    private func writeInterleavedChecked(_ buffer: UnsafeRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try checkedInterleavedFrames(buffer.count, operation: .writeInterleaved, expecting: .playback)
        if frames == 0 { return 0 }
        return try interleaved(.writeInterleaved, ALSA_IOCTL_WRITEI_FRAMES,
                               UnsafeMutableRawPointer(mutating: buffer.baseAddress.unsafelyUnwrapped), frames: frames)
    }

    /// READI for what the fast path's mask does not take.
    @inline(never)
    private func readInterleavedChecked(_ buffer: UnsafeMutableRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try checkedInterleavedFrames(buffer.count, operation: .readInterleaved, expecting: .capture)
        if frames == 0 { return 0 }
        return try interleaved(.readInterleaved, ALSA_IOCTL_READI_FRAMES, buffer.baseAddress.unsafelyUnwrapped, frames: frames)
    }

    /// WRITEI or READI of `frames` (positive) whole frames at `base`, through the handle's record.
    @inline(__always)
    private func interleaved(_ operation: PCMOperation, _ request: UInt, _ base: UnsafeMutableRawPointer,
                             frames: Int) throws(AlsaError) -> Int {
        interleavedTransfer.buf = base
        interleavedTransfer.frames = UInt(bitPattern: frames)
        return try withUnsafeMutablePointer(to: &interleavedTransfer) { (record) throws(AlsaError) -> Int in
            try transferFrames(operation, request, record)
        }
    }

    /// Writes `frames` frames from one buffer per channel (WRITEN). `channels` must hold exactly one
    /// pointer per configured channel.
    @discardableResult
    public func writeNonInterleaved(_ channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int) throws(AlsaError) -> Int {
        try nonInterleaved(.writeNonInterleaved, ALSA_IOCTL_WRITEN_FRAMES, channels, frames: frames, expecting: .playback)
    }

    /// Reads `frames` frames into one buffer per channel (READN).
    @discardableResult
    public func readNonInterleaved(into channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int) throws(AlsaError) -> Int {
        try nonInterleaved(.readNonInterleaved, ALSA_IOCTL_READN_FRAMES, channels, frames: frames, expecting: .capture)
    }

    private func nonInterleaved(_ operation: PCMOperation, _ request: UInt, _ channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>,
                                frames: Int, expecting direction: StreamDirection) throws(AlsaError) -> Int {
        let setup = try requireSetup(operation)
        try checkTransfer(setup, access: .readWriteNonInterleaved, operation: operation, expecting: direction)
        guard channels.count == Int(setup.channelCount), frames >= 0 else {
            throw AlsaError(.transfer, .invalidArgument)
        }
        guard frames > 0, let base = channels.baseAddress else { return 0 }
        var transfer = snd_xfern(result: 0, bufs: UnsafeMutablePointer(mutating: base), frames: UInt(frames))
        return try withUnsafeMutablePointer(to: &transfer) { (record) throws(AlsaError) -> Int in try transferFrames(operation, request, record) }
    }

    /// Whole frames in `byteCount` (a buffer's count, never negative), for every case the mask in
    /// the fast path does not take: the errors that apply (no setup, another access, the other
    /// direction, a partial frame), an empty buffer (0), or a frame size that is not a power of two.
    private func checkedInterleavedFrames(_ byteCount: Int, operation: PCMOperation,
                                          expecting direction: StreamDirection) throws(AlsaError) -> Int {
        let setup = try requireSetup(operation)
        try checkTransfer(setup, access: .readWriteInterleaved, operation: operation, expecting: direction)
        let frameBytes = setup.frameBytes
        // A partial frame cannot be transferred; refusing it keeps the caller's stream aligned.
        guard frameBytes > 0, byteCount % frameBytes == 0 else { throw AlsaError(.transfer, .invalidArgument) }
        return byteCount / frameBytes
    }

    func checkTransfer(_ setup: HardwareSetup, access: AccessType, operation: PCMOperation,
                       expecting direction: StreamDirection) throws(AlsaError) {
        guard self.direction == direction, setup.access == access else {
            throw AlsaError(operation, .invalidArgument)
        }
    }

    /// One read/write ioctl with the recovery policy applied. The kernel moves `appl_ptr` itself, so
    /// the control copy is marked stale and never pushed back (tinyalsa issue 253).
    /// Inlined, with the record's address taken once, so that a period's transfer is one frame
    /// around the kernel call.
    @inline(__always)
    private func transferFrames<Record: FrameTransfer>(_ operation: PCMOperation, _ request: UInt,
                                                       _ record: UnsafeMutablePointer<Record>) throws(AlsaError) -> Int {
        let argument = UnsafeMutableRawPointer(record)
        do throws(AlsaError) {
            try file.transferIoctl(operation, request, argument)
            pointers.kernelMovedApplPtr()
            return record.pointee.transferred
        } catch {
            pointers.kernelMovedApplPtr()
            return try recoverAndRetry(error, operation, request, argument, record)
        }
    }

    /// The recovery policy, then the transfer again (RecoveryProcedure's rule).
    @inline(never)
    private func recoverAndRetry<Record: FrameTransfer>(_ error: AlsaError, _ operation: PCMOperation, _ request: UInt,
                                                        _ argument: UnsafeMutableRawPointer,
                                                        _ record: UnsafeMutablePointer<Record>) throws(AlsaError) -> Int {
        try RecoveryProcedure.retrying(self, after: error) { () throws(AlsaError) -> Int in
            defer { pointers.kernelMovedApplPtr() }
            try file.ioctl(operation, request, argument)
            return record.pointee.transferred
        }
    }
}

/// The two kernel transfer records share a result field.
protocol FrameTransfer { var transferred: Int { get } }
extension snd_xferi: FrameTransfer { var transferred: Int { result } }
extension snd_xfern: FrameTransfer { var transferred: Int { result } }
