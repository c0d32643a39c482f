import CAlsaKernel

/// A contiguous run of frames in the mmapped ring buffer that the app may fill (playback) or read
/// (capture) between `beginTransfer` and `commitTransfer`.
public struct MmapArea {
    /// Frames in this run (0 when nothing can be transferred now).
    public let frames: Int
    /// Frame offset of the run in the ring buffer.
    public let offset: Int
    let base: UnsafeMutableRawPointer
    let areas: UnsafeBufferPointer<(offset: Int, step: Int)>
    let frameBytes: Int

    /// Interleaved access: the bytes of the run, frame after frame.
    public var interleaved: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + areas[0].offset + offset * frameBytes, count: frames * frameBytes)
    }

    /// The first sample of `channel` in this run, and the byte distance from one frame's sample to
    /// the next (the frame size when interleaved, the sample size when not).
    public func channel(_ channel: Int) -> (first: UnsafeMutableRawPointer, stepBytes: Int) {
        let area = areas[channel]
        return (base + area.offset + offset * area.step, area.step)
    }
}

extension KernelPCM {
    /// Starts an mmap transfer: phase 1 (with SYNC_PTR records: one `HWSYNC|APPL|AVAIL_MIN` call,
    /// which also makes captured data visible to the CPU; with mapped records: no call), then returns
    /// the contiguous frames that can be transferred now, at most `maxFrames`. A prepared capture
    /// stream is started here, since no pointer move would start it.
    public func beginTransfer(maxFrames: Int = .max) throws(AlsaError) -> MmapArea {
        let setup = try requireSetup(.transfer)
        guard setup.access == .mmapInterleaved || setup.access == .mmapNonInterleaved, let base = dataMapping else {
            throw AlsaError(.transfer, .invalidArgument)
        }
        let avail: Int
        do {
            avail = try queryForTransfer(setup)
        } catch {
            avail = try RecoveryProcedure.retrying(self, after: error) { () throws(AlsaError) in try queryForTransfer(setup) }
        }
        let offset = Int(pointers.applPtr % UInt(setup.bufferSize))
        let frames = max(0, min(avail, Int(setup.bufferSize) - offset, maxFrames))
        pendingTransfer = (offset, frames)
        return MmapArea(frames: frames, offset: offset, base: base, areas: UnsafeBufferPointer(channelAreas),
                        frameBytes: setup.frameBytes)
    }

    /// Ends an mmap transfer of `frames` frames (at most what `beginTransfer` granted): phase 2 (with
    /// an unmapped control record: one SYNC_PTR with APPL clear, which flushes playback data to the
    /// device; with a mapped one: a store). Starts a prepared playback stream once the start
    /// threshold is reached, since a pointer move never starts it.
    public func commitTransfer(_ frames: Int) throws(AlsaError) {
        let setup = try requireSetup(.transfer)
        _ = try MmapCommitRules.validate(frames, against: pendingTransfer)
        pendingTransfer = nil
        guard frames > 0 else { return }
        let boundary = UInt(bitPattern: softwareParameters?.boundary ?? setup.bufferSize)
        var next = pointers.applPtr + UInt(frames)
        if next >= boundary { next -= boundary }
        do {
            try pointers.commit(applPtr: next)
        } catch {
            // The recovery's PREPARE discarded these frames: the commit is not repeated.
            try RecoveryProcedure.absorb(self, error)
            return
        }
        try MmapCommitRules.startPlaybackIfDue(self, setup: setup, state: pointers.state) { () throws(AlsaError) in available(setup) }
    }

    /// Phase 1 and the frames it makes available; starts a prepared capture stream.
    private func queryForTransfer(_ setup: HardwareSetup) throws(AlsaError) -> Int {
        try pointers.query(hardwareSync: !pointers.strategy.status.isMapped)
        try checkRunnable(pointers.state)
        if direction == .capture && pointers.state == .prepared {
            try start()
        }
        return available(setup)
    }

    /// Turns a state read from the records into the error the kernel would give a transfer.
    func checkRunnable(_ state: StreamState) throws(AlsaError) {
        if let error = state.transferError { throw error }
    }
}
