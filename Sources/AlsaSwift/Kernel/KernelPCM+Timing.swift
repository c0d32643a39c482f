import CAlsaKernel

extension KernelPCM {
    /// The stream's position and timestamps from one STATUS_EXT call (STATUS on kernels older than
    /// PCM protocol 2.0.13), asking for the best audio timestamp the device declares (a link
    /// counter where its info flags offer one). The call needs no mapped record, so it answers the
    /// same on explicit-sync devices, whose status record is reachable only through SYNC_PTR.
    public func timing() throws(AlsaError) -> AudioTiming {
        let setup = try requireSetup(.status)
        let requested = AudioTimestampSource.best(offeredBy: setup.info)
        var record = snd_pcm_status()
        if kernelProtocol >= alsa_protocol_version(2, 0, 13) {
            // Bits 0-3: the type asked for; bit 4 (report_delay) stays clear, so the audio time is
            // the device's position, not shifted by the driver's extra delay.
            record.audio_tstamp_data = UInt32(requested.rawValue)
            try file.ioctl(.statusExtended, ALSA_IOCTL_STATUS_EXT, &record)
        } else {
            try file.ioctl(.status, ALSA_IOCTL_STATUS, &record)
        }
        return try AudioTiming(kernelStatus: record, direction: direction, sampleRate: setup.sampleRate,
                               bufferSize: setup.bufferSize, boundary: softwareParameters?.boundary ?? 0,
                               clock: softwareParameters?.timestampType ?? options.timestampType)
    }
}

extension AudioTiming {
    /// Reads the kernel's status record. The kernel counts `delay` only while the DMA engine runs;
    /// for a prepared or paused stream it is the distance between the pointers, which is what the
    /// device will have to play (or what it captured) before the app's next frame.
    init(kernelStatus r: snd_pcm_status, direction: StreamDirection, sampleRate: Int, bufferSize: Int, boundary: Int,
         clock: TimestampType) throws(AlsaError) {
        let state = StreamState(kernelValue: r.state)
        let applPtr = Int(bitPattern: r.appl_ptr)
        let hwPtr = Int(bitPattern: r.hw_ptr)
        guard applPtr >= 0, hwPtr >= 0, boundary == 0 || (applPtr < boundary && hwPtr < boundary) else {
            throw AlsaError(.status, .badMessage, context: "pointers appl \(r.appl_ptr), hw \(r.hw_ptr) beyond boundary \(boundary)")
        }
        let moving = state == .running || (state == .draining && direction == .playback)
        var delay = r.delay
        if !moving {
            var distance = direction == .playback ? applPtr - hwPtr : hwPtr - applPtr
            if distance < 0 && boundary > 0 { distance += boundary }
            delay = max(0, min(distance, bufferSize)) + r.delay
        }
        var audio: AudioTimestamp?
        if moving {
            // The report, when the kernel gives one: valid in bit 16, the type in effect in bits
            // 17-20, whether an accuracy follows in bit 21. Type 0 (compat) is the pointer count.
            let data = r.audio_tstamp_data
            let valid = data & (1 << 16) != 0
            let type = Int((data >> 17) & 0xF)
            let source = valid ? (AudioTimestampSource(rawValue: type) ?? .hardwarePointer) : .hardwarePointer
            let accuracy: Duration? = valid && data & (1 << 21) != 0 ? .nanoseconds(Int64(r.audio_tstamp_accuracy)) : nil
            audio = AudioTimestamp(time: Duration(r.audio_tstamp), source: source, accuracy: accuracy)
        }
        self.init(direction: direction, state: state, sampleRate: sampleRate, clock: clock,
                  timestamp: MonotonicInstant(sinceBoot: Duration(r.tstamp)),
                  triggerTimestamp: MonotonicInstant(sinceBoot: Duration(r.trigger_tstamp)),
                  applicationPosition: applPtr, delayFrames: delay, availableFrames: Int(clamping: r.avail), audioTimestamp: audio)
    }
}
