import CAlsa

#if canImport(Glibc)
import Glibc
#endif

extension AlsaLibPCM {
    /// Writes whole interleaved frames (`snd_pcm_writei`); returns the frames written.
    @discardableResult
    public func writeInterleaved(_ buffer: UnsafeRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try interleavedFrames(buffer.count, .writeInterleaved, expecting: .playback)
        guard frames > 0, let base = buffer.baseAddress else { return 0 }
        return try transfer(.writeInterleaved) { snd_pcm_writei($0, base, snd_pcm_uframes_t(frames)) }
    }

    /// Reads whole interleaved frames (`snd_pcm_readi`); returns the frames read.
    @discardableResult
    public func readInterleaved(into buffer: UnsafeMutableRawBufferPointer) throws(AlsaError) -> Int {
        let frames = try interleavedFrames(buffer.count, .readInterleaved, expecting: .capture)
        guard frames > 0, let base = buffer.baseAddress else { return 0 }
        return try transfer(.readInterleaved) { snd_pcm_readi($0, base, snd_pcm_uframes_t(frames)) }
    }

    /// Writes `frames` frames from one buffer per channel (`snd_pcm_writen`); returns the frames written.
    @discardableResult
    public func writeNonInterleaved(_ channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int) throws(AlsaError) -> Int {
        try nonInterleaved(.writeNonInterleaved, channels, frames: frames, expecting: .playback) { pcm, buffers, count in
            snd_pcm_writen(pcm, buffers, count)
        }
    }

    /// Reads up to `frames` frames into one buffer per channel (`snd_pcm_readn`); returns the frames read.
    @discardableResult
    public func readNonInterleaved(into channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int) throws(AlsaError) -> Int {
        try nonInterleaved(.readNonInterleaved, channels, frames: frames, expecting: .capture) { pcm, buffers, count in
            snd_pcm_readn(pcm, buffers, count)
        }
    }

    private func nonInterleaved(_ operation: PCMOperation, _ channels: UnsafeBufferPointer<UnsafeMutableRawPointer?>, frames: Int,
                                expecting direction: StreamDirection,
                                _ body: (OpaquePointer, UnsafeMutablePointer<UnsafeMutableRawPointer?>, snd_pcm_uframes_t) -> Int) throws(AlsaError) -> Int {
        let setup = try requireSetup(operation)
        guard self.direction == direction, setup.access == .readWriteNonInterleaved else { throw AlsaError(operation, .invalidArgument) }
        guard channels.count == Int(setup.channelCount), frames >= 0 else { throw AlsaError(.transfer, .invalidArgument) }
        guard frames > 0, let base = channels.baseAddress else { return 0 }
        let buffers = UnsafeMutablePointer(mutating: base)
        return try transfer(operation) { body($0, buffers, snd_pcm_uframes_t(frames)) }
    }

    /// Whole frames in `byteCount` bytes: on the audio path a load, a compare and a division; the
    /// rest goes to `refuseInterleaved`.
    @inline(__always)
    private func interleavedFrames(_ byteCount: Int, _ operation: PCMOperation, expecting direction: StreamDirection) throws(AlsaError) -> Int {
        let frameBytes = readWriteInterleavedFrameBytes
        if frameBytes > 0 && self.direction == direction {
            let frames = byteCount / frameBytes
            if frames &* frameBytes == byteCount { return frames }
        }
        throw refuseInterleaved(byteCount, operation, expecting: direction)
    }

    @inline(never)
    private func refuseInterleaved(_ byteCount: Int, _ operation: PCMOperation, expecting direction: StreamDirection) -> AlsaError {
        do {
            _ = try checkedInterleavedFrames(byteCount, operation, expecting: direction)
        } catch {
            return error
        }
        return AlsaError(.transfer, .invalidArgument)
    }

    private func checkedInterleavedFrames(_ byteCount: Int, _ operation: PCMOperation, expecting direction: StreamDirection) throws(AlsaError) -> Int {
        let setup = try requireSetup(operation)
        guard self.direction == direction, setup.access == .readWriteInterleaved else { throw AlsaError(operation, .invalidArgument) }
        guard byteCount % setup.frameBytes == 0 else { throw AlsaError(.transfer, .invalidArgument) }
        return byteCount / setup.frameBytes
    }

    /// One read/write call with the recovery policy applied.
    private func transfer(_ operation: PCMOperation, _ body: (OpaquePointer) -> Int) throws(AlsaError) -> Int {
        func attempt() throws(AlsaError) -> Int {
            do {
                let moved = try call(operation, body)
                applicationPosition &+= moved
                return moved
            } catch {
                knownRunning = false
                throw error
            }
        }
        do {
            return try attempt()
        } catch {
            return try RecoveryProcedure.retrying(self, after: error, attempt)
        }
    }

    // MARK: mmap

    /// Phase 1, then `snd_pcm_mmap_begin`: the contiguous frames that can be filled (playback) or
    /// read (capture) now, at most `maxFrames`. Starts a prepared capture stream. Phase 1 is
    /// `snd_pcm_avail` (with the kernel's CPU sync) where the device needs it, else the lighter
    /// `snd_pcm_avail_update` (see `mmapQuerySyncsForCPU`).
    public func beginTransfer(maxFrames: Int = .max) throws(AlsaError) -> MmapArea {
        let setup = try requireSetup(.transfer)
        guard setup.access == .mmapInterleaved || setup.access == .mmapNonInterleaved else {
            throw AlsaError(.transfer, .invalidArgument)
        }
        func query() throws(AlsaError) -> Int {
            do throws(AlsaError) {
                if !knownRunning {
                    let current = try state
                    if let error = current.transferError { throw error }
                    if direction == .capture && current == .prepared { try start() }
                    if current == .running && !isLinked { knownRunning = true }
                }
                return try call(.mmapBegin) { mmapQuerySyncsForCPU ? snd_pcm_avail($0) : snd_pcm_avail_update($0) }
            } catch {
                knownRunning = false
                throw error
            }
        }
        let avail: Int
        do {
            avail = try query()
        } catch {
            avail = try RecoveryProcedure.retrying(self, after: error, query)
        }
        var areas: UnsafePointer<snd_pcm_channel_area_t>?
        var offset: snd_pcm_uframes_t = 0
        var frames = snd_pcm_uframes_t(max(0, min(avail, maxFrames)))
        try call(.mmapBegin) { Int(snd_pcm_mmap_begin($0, &areas, &offset, &frames)) }
        guard let areas, let base = areas[0].addr else { throw AlsaError(.mmapBegin, .invalidArgument) }
        for channel in 0..<mmapAreas.count {
            let area = areas[channel]
            let start = area.addr.map { $0 - base } ?? 0
            mmapAreas[channel] = (offset: start + Int(area.first / 8), step: Int(area.step / 8))
        }
        pendingTransfer = (Int(offset), Int(frames))
        return MmapArea(frames: Int(frames), offset: Int(offset), base: base, areas: UnsafeBufferPointer(mmapAreas),
                        frameBytes: setup.frameBytes)
    }

    /// `snd_pcm_mmap_commit` of `frames` frames. Starts a prepared playback stream once the start
    /// threshold is queued, as the direct transport does.
    public func commitTransfer(_ frames: Int) throws(AlsaError) {
        let setup = try requireSetup(.transfer)
        let pending = try MmapCommitRules.validate(frames, against: pendingTransfer)
        pendingTransfer = nil
        do {
            let committed = try call(.mmapCommit) { snd_pcm_mmap_commit($0, snd_pcm_uframes_t(pending.offset), snd_pcm_uframes_t(frames)) }
            applicationPosition &+= committed
        } catch {
            knownRunning = false
            // The recovery's PREPARE discarded these frames: the commit is not repeated.
            try RecoveryProcedure.absorb(self, error)
            return
        }
        guard frames > 0, direction == .playback, !knownRunning else { return }
        try MmapCommitRules.startPlaybackIfDue(self, setup: setup, state: try state) { () throws(AlsaError) in
            try call(.mmapCommit) { snd_pcm_avail_update($0) }
        }
    }

    // MARK: waiting

    /// `snd_pcm_wait`: true when the PCM is ready, false when `timeout` (nil: none) ran out. An
    /// xrun or suspend met while waiting is recovered under the automatic policy (then true), else
    /// thrown.
    public func wait(timeout: Duration?) throws(AlsaError) -> Bool {
        let milliseconds = waitMilliseconds(timeout)
        do {
            return try call(.poll) { Int(snd_pcm_wait($0, milliseconds)) } > 0
        } catch {
            if error.kind == .interrupted { return false }
            try RecoveryProcedure.absorb(self, error)
            return true
        }
    }

    /// `timeout` in snd_pcm_wait's milliseconds. A loop waits with the same timeout every period,
    /// so the last conversion is kept: comparing two durations costs less than dividing one.
    @inline(__always)
    private func waitMilliseconds(_ timeout: Duration?) -> Int32 {
        if timeout != lastWait.timeout {
            lastWait = (timeout, timeout.pollMilliseconds)
        }
        return lastWait.milliseconds
    }

    public var pollDescriptorCount: Int { pollSet.count }

    public func fillPollDescriptors(_ descriptors: UnsafeMutableBufferPointer<pollfd>) throws(AlsaError) -> Int {
        guard descriptors.count >= pollSet.count else { throw AlsaError(.poll, .invalidArgument) }
        return try call(.poll) { Int(snd_pcm_poll_descriptors($0, descriptors.baseAddress, UInt32(descriptors.count))) }
    }

    /// `snd_pcm_poll_descriptors_revents`: the PCM's events from what poll returned.
    public func pollEvents(_ descriptors: UnsafeMutableBufferPointer<pollfd>) throws(AlsaError) -> Int16 {
        var events: UInt16 = 0
        try call(.poll) { Int(snd_pcm_poll_descriptors_revents($0, descriptors.baseAddress, UInt32(descriptors.count), &events)) }
        return Int16(bitPattern: events)
    }
}
