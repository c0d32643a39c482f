import CAlsaKernel

extension KernelPCM {
    /// Writes interleaved frames (WRITEI). Blocks until all are queued unless the PCM is
    /// non-blocking; returns the frames written. The kernel advances `appl_ptr` and, on devices that
    /// need it, flushes the data to the device. Starts the stream at the start threshold.
    @discardableResult
    public func writeInterleaved(_ buffer: UnsafeRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try interleavedFrames(buffer.count, operation: .writeInterleaved, expecting: .playback)
        guard frames > 0, let base = buffer.baseAddress else { return 0 }
        interleavedTransfer = snd_xferi(result: 0, buf: UnsafeMutableRawPointer(mutating: base), frames: UInt(frames))
        return try withUnsafeMutablePointer(to: &interleavedTransfer) { (record) throws(AlsaError) -> Int in
            try transferFrames(.writeInterleaved, ALSA_IOCTL_WRITEI_FRAMES, record)
        }
    }

    /// Reads interleaved frames (READI) into `buffer`; returns the frames read. Starts a prepared
    /// capture stream.
    @discardableResult
    public func readInterleaved(into buffer: UnsafeMutableRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try interleavedFrames(buffer.count, operation: .readInterleaved, expecting: .capture)
        guard frames > 0, let base = buffer.baseAddress else { return 0 }
        interleavedTransfer = snd_xferi(result: 0, buf: base, frames: UInt(frames))
        return try withUnsafeMutablePointer(to: &interleavedTransfer) { (record) throws(AlsaError) -> Int in
            try transferFrames(.readInterleaved, ALSA_IOCTL_READI_FRAMES, record)
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
        guard channels.count == Int(setup.channels), frames >= 0 else {
            throw AlsaError(.transfer, .invalidArgument)
        }
        guard frames > 0, let base = channels.baseAddress else { return 0 }
        var transfer = snd_xfern(result: 0, bufs: UnsafeMutablePointer(mutating: base), frames: UInt(frames))
        return try withUnsafeMutablePointer(to: &transfer) { (record) throws(AlsaError) -> Int in try transferFrames(operation, request, record) }
    }

    /// Whole frames in `byteCount` (a buffer's count, never negative). The common case, a
    /// configured interleaved read/write stream in the right direction and whole frames, costs a
    /// load, a compare, a mask and a shift (a division when the frame size is not a power of two);
    /// the rest goes to `refuseInterleaved`, which throws the error that applies.
    @inline(__always)
    private func interleavedFrames(_ byteCount: Int, operation: PCMOperation,
                                   expecting direction: StreamDirection) throws(AlsaError) -> Int {
        if self.direction == direction {
            let shift = readWriteInterleavedFrameShift
            if shift >= 0 {
                if byteCount & ((1 &<< shift) &- 1) == 0 { return byteCount &>> shift }
            } else {
                let frameBytes = readWriteInterleavedFrameBytes
                if frameBytes > 0 {
                    let frames = byteCount / frameBytes
                    if frames &* frameBytes == byteCount { return frames }
                }
            }
        }
        throw refuseInterleaved(byteCount, operation: operation, expecting: direction)
    }

    @inline(never)
    private func refuseInterleaved(_ byteCount: Int, operation: PCMOperation, expecting direction: StreamDirection) -> AlsaError {
        let setup: HardwareSetup
        do {
            setup = try requireSetup(operation)
            try checkTransfer(setup, access: .readWriteInterleaved, operation: operation, expecting: direction)
        } catch {
            return error
        }
        // A partial frame cannot be transferred; refusing it keeps the caller's stream aligned.
        return AlsaError(.transfer, .invalidArgument)
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

    /// The recovery policy, then the transfer again, until it succeeds or recovery gives up.
    @inline(never)
    private func recoverAndRetry<Record: FrameTransfer>(_ error: AlsaError, _ operation: PCMOperation, _ request: UInt,
                                                        _ argument: UnsafeMutableRawPointer,
                                                        _ record: UnsafeMutablePointer<Record>) throws(AlsaError) -> Int {
        var recoveries = 0
        var failure = error
        while true {
            try handleTransferError(failure, attempt: &recoveries)
            do {
                try file.ioctl(operation, request, argument)
                pointers.kernelMovedApplPtr()
                return record.pointee.transferred
            } catch {
                pointers.kernelMovedApplPtr()
                failure = error
            }
        }
    }
}

/// The two kernel transfer records share a result field.
protocol FrameTransfer { var transferred: Int { get } }
extension snd_xferi: FrameTransfer { var transferred: Int { result } }
extension snd_xfern: FrameTransfer { var transferred: Int { result } }
