import CAlsa

#if canImport(Glibc)
import Glibc
#endif

extension AlsaLibPCM {
    /// The stream's position and timestamps from one `snd_pcm_status` (which alsa-lib answers with
    /// the kernel's STATUS_EXT on `hw:` devices): `snd_pcm_status_get_htstamp`, the trigger
    /// timestamp, the delay, and the audio timestamp with the type asked for in
    /// `snd_pcm_status_set_audio_htstamp_config` (a link counter where the device offers one).
    /// The application position is counted here, since alsa-lib's status does not show it.
    public func timing() throws(AlsaError) -> AudioTiming {
        let setup = try requireSetup(.status)
        let status = try timingStatusRecord()
        let requested = AudioTimestampSource.best(offeredBy: setup.info)
        var config = snd_pcm_audio_tstamp_config_t()
        config.type_requested = UInt32(requested.rawValue)
        config.report_delay = 0
        snd_pcm_status_set_audio_htstamp_config(status, &config)
        try call(.status) { Int(snd_pcm_status($0, status)) }
        let state = StreamState(kernelValue: Int32(snd_pcm_status_get_state(status).rawValue))
        var stamp = timespec(), trigger = timespec(), audioStamp = timespec()
        snd_pcm_status_get_htstamp(status, &stamp)
        snd_pcm_status_get_trigger_htstamp(status, &trigger)
        snd_pcm_status_get_audio_htstamp(status, &audioStamp)
        var report = snd_pcm_audio_tstamp_report_t()
        snd_pcm_status_get_audio_htstamp_report(status, &report)
        let moving = state == .running || (state == .draining && direction == .playback)
        var delay = Int(snd_pcm_status_get_delay(status))
        if !moving {
            // Like the kernel, alsa-lib counts no delay for a stream that does not run; the frames
            // between the pointers are what the device will meet first once it does.
            var frames: snd_pcm_sframes_t = 0
            delay = state == .prepared || state == .paused
                ? ((try? call(.delay) { Int(snd_pcm_delay($0, &frames)) }).map { _ in max(frames, 0) } ?? 0)
                : 0
        }
        var audio: AudioTimestamp?
        if moving {
            let source = report.valid != 0 ? (AudioTimestampSource(rawValue: Int(report.actual_type)) ?? .hardwarePointer) : .hardwarePointer
            let accuracy: Duration? = report.valid != 0 && report.accuracy_report != 0 ? .nanoseconds(Int64(report.accuracy)) : nil
            audio = AudioTimestamp(time: Duration(audioStamp), source: source, accuracy: accuracy)
        }
        return AudioTiming(direction: direction, state: state, sampleRate: setup.sampleRate,
                           clock: softwareParameters?.timestampType ?? options.timestampType,
                           timestamp: MonotonicInstant(sinceBoot: Duration(stamp)),
                           triggerTimestamp: MonotonicInstant(sinceBoot: Duration(trigger)),
                           applicationPosition: applicationPosition, delayFrames: delay,
                           availableFrames: Int(clamping: snd_pcm_status_get_avail(status)), audioTimestamp: audio)
    }

    private func timingStatusRecord() throws(AlsaError) -> OpaquePointer {
        if let statusRecord { return statusRecord }
        var record: OpaquePointer?
        let result = snd_pcm_status_malloc(&record)
        guard result >= 0, let record else { throw LibraryCall.error(Int(result), .status) }
        statusRecord = record
        return record
    }
}
