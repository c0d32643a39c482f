import CAlsaKernel

extension KernelPCM {
    /// Writes interleaved frames (WRITEI). Blocks until all are queued unless the PCM is
    /// non-blocking; returns the frames written. The kernel advances `appl_ptr` and, on devices that
    /// need it, flushes the data to the device. Starts the stream at the start threshold.
    @discardableResult
    public func writeInterleaved(_ buffer: UnsafeRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try interleavedFrames(buffer.count, access: .readWriteInterleaved, operation: .writeInterleaved,
                                           expecting: .playback)
        guard frames > 0, let base = buffer.baseAddress else { return 0 }
        var transfer = snd_xferi(result: 0, buf: UnsafeMutableRawPointer(mutating: base), frames: UInt(frames))
        return try transferFrames(.writeInterleaved, ALSA_IOCTL_WRITEI_FRAMES, &transfer)
    }

    /// Reads interleaved frames (READI) into `buffer`; returns the frames read. Starts a prepared
    /// capture stream.
    @discardableResult
    public func readInterleaved(into buffer: UnsafeMutableRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try interleavedFrames(buffer.count, access: .readWriteInterleaved, operation: .readInterleaved,
                                           expecting: .capture)
        guard frames > 0, let base = buffer.baseAddress else { return 0 }
        var transfer = snd_xferi(result: 0, buf: base, frames: UInt(frames))
        return try transferFrames(.readInterleaved, ALSA_IOCTL_READI_FRAMES, &transfer)
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
        return try transferFrames(operation, request, &transfer)
    }

    private func interleavedFrames(_ byteCount: Int, access: AccessType, operation: PCMOperation,
                                   expecting direction: StreamDirection) throws(AlsaError) -> Int {
        let setup = try requireSetup(operation)
        try checkTransfer(setup, access: access, operation: operation, expecting: direction)
        // A partial frame cannot be transferred; refusing it keeps the caller's stream aligned.
        guard byteCount % setup.frameBytes == 0 else { throw AlsaError(.transfer, .invalidArgument) }
        return byteCount / setup.frameBytes
    }

    func checkTransfer(_ setup: HardwareSetup, access: AccessType, operation: PCMOperation,
                       expecting direction: StreamDirection) throws(AlsaError) {
        guard self.direction == direction, setup.access == access else {
            throw AlsaError(operation, .invalidArgument)
        }
    }

    /// One read/write ioctl with the recovery policy applied. The kernel moves `appl_ptr` itself, so
    /// the control copy is marked stale and never pushed back (tinyalsa issue 253).
    private func transferFrames<Record: FrameTransfer>(_ operation: PCMOperation, _ request: UInt,
                                                       _ transfer: inout Record) throws(AlsaError) -> Int {
        var recoveries = 0
        while true {
            do {
                try file.ioctl(operation, request, &transfer)
                pointers.kernelMovedApplPtr()
                return transfer.transferred
            } catch {
                pointers.kernelMovedApplPtr()
                try handleTransferError(error, attempt: &recoveries)
            }
        }
    }
}

/// The two kernel transfer records share a result field.
protocol FrameTransfer { var transferred: Int { get } }
extension snd_xferi: FrameTransfer { var transferred: Int { result } }
extension snd_xfern: FrameTransfer { var transferred: Int { result } }
