import CAlsa
import SystemPackage

extension AlsaLibPCM {
    /// What the PCM offers through alsa-lib, read with `snd_pcm_hw_params_any` and its getters.
    /// For plugin names (plughw, plug, dmix...) these are the plugin's ranges, after conversion.
    static func readCapabilities(_ pcm: OpaquePointer) throws(AlsaError) -> HardwareCapabilities {
        let params = try HardwareParameterSpace()
        try LibraryCall.check(snd_pcm_hw_params_any(pcm, params.pointer), .hwRefine)
        let p = params.pointer
        let accessTypes = AccessType.allCases.filter {
            snd_pcm_hw_params_test_access(pcm, p, snd_pcm_access_t(rawValue: UInt32($0.rawValue))) == 0
        }
        // alsa-lib knows formats 0...SND_PCM_FORMAT_LAST; testing a few more costs nothing.
        let formats = (Int32(0)...Int32(63)).filter {
            snd_pcm_hw_params_test_format(pcm, p, snd_pcm_format_t(rawValue: $0)) == 0
        }.map(SampleFormat.init(rawValue:))
        var dir: Int32 = 0
        var low: UInt32 = 0, high: UInt32 = 0
        var lowFrames: snd_pcm_uframes_t = 0, highFrames: snd_pcm_uframes_t = 0
        func range(_ min: Int32, _ max: Int32) -> ClosedRange<Int> {
            min >= 0 && max >= 0 && low <= high ? Int(low)...Int(high) : 0...0
        }
        func frameRange(_ min: Int32, _ max: Int32) -> ClosedRange<Int> {
            min >= 0 && max >= 0 && lowFrames <= highFrames
                ? Int(clamping: lowFrames)...Int(clamping: highFrames) : 0...0
        }
        let channels = range(snd_pcm_hw_params_get_channels_min(p, &low), snd_pcm_hw_params_get_channels_max(p, &high))
        let rate = range(snd_pcm_hw_params_get_rate_min(p, &low, &dir), snd_pcm_hw_params_get_rate_max(p, &high, &dir))
        let periods = range(snd_pcm_hw_params_get_periods_min(p, &low, &dir), snd_pcm_hw_params_get_periods_max(p, &high, &dir))
        let periodTime = range(snd_pcm_hw_params_get_period_time_min(p, &low, &dir),
                               snd_pcm_hw_params_get_period_time_max(p, &high, &dir))
        let bufferTime = range(snd_pcm_hw_params_get_buffer_time_min(p, &low, &dir),
                               snd_pcm_hw_params_get_buffer_time_max(p, &high, &dir))
        let periodSize = frameRange(snd_pcm_hw_params_get_period_size_min(p, &lowFrames, &dir),
                                    snd_pcm_hw_params_get_period_size_max(p, &highFrames, &dir))
        let bufferSize = frameRange(snd_pcm_hw_params_get_buffer_size_min(p, &lowFrames),
                                    snd_pcm_hw_params_get_buffer_size_max(p, &highFrames))
        return HardwareCapabilities(accessTypes: accessTypes, formats: formats, channelCount: channels, sampleRate: rate,
                                    periodSize: periodSize, periodCount: periods, bufferSize: bufferSize,
                                    periodDuration: HardwareCapabilities.microseconds(periodTime),
                                    bufferDuration: HardwareCapabilities.microseconds(bufferTime), info: infoFlags(p, accessTypes))
    }

    /// The info flags alsa-lib exposes through getters, the audio timestamp types included
    /// (`snd_pcm_hw_params_supports_audio_ts_type`). It strips EXPLICIT_SYNC and SYNC_APPLPTR
    /// (alsa-lib's `src/pcm/pcm_hw.c` clears the top info bits; no getter covers them); `syncReport`
    /// reads those from the kernel instead.
    static func infoFlags(_ p: OpaquePointer, _ accessTypes: [AccessType]) -> PCMInfoFlags {
        var flags: PCMInfoFlags = []
        if accessTypes.contains(where: \.isMmap) { flags.insert(.mmap) }
        if accessTypes.contains(where: \.isInterleaved) { flags.insert(.interleaved) }
        if accessTypes.contains(.mmapNonInterleaved) || accessTypes.contains(.readWriteNonInterleaved) { flags.insert(.nonInterleaved) }
        let getters: [(PCMInfoFlags, (OpaquePointer) -> Int32)] = [
            (.mmapValid, snd_pcm_hw_params_can_mmap_sample_resolution), (.double, snd_pcm_hw_params_is_double),
            (.batch, snd_pcm_hw_params_is_batch), (.blockTransfer, snd_pcm_hw_params_is_block_transfer),
            (.overrange, snd_pcm_hw_params_can_overrange), (.pause, snd_pcm_hw_params_can_pause),
            (.resume, snd_pcm_hw_params_can_resume), (.halfDuplex, snd_pcm_hw_params_is_half_duplex),
            (.jointDuplex, snd_pcm_hw_params_is_joint_duplex), (.syncStart, snd_pcm_hw_params_can_sync_start),
            (.noPeriodWakeup, snd_pcm_hw_params_can_disable_period_wakeup),
        ]
        for (flag, getter) in getters where getter(p) > 0 { flags.insert(flag) }
        // The audio timestamp types beyond the pointer count: without them `timing()` would ask
        // alsa-lib for DEFAULT on a device with a link counter (seen on the rig's explicit-sync card).
        let timestampTypes: [(PCMInfoFlags, snd_pcm_audio_tstamp_type_t)] = [
            (.hasLinkTime, SND_PCM_AUDIO_TSTAMP_TYPE_LINK), (.hasLinkAbsoluteTime, SND_PCM_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE),
            (.hasLinkEstimatedTime, SND_PCM_AUDIO_TSTAMP_TYPE_LINK_ESTIMATED),
            (.hasLinkSynchronizedTime, SND_PCM_AUDIO_TSTAMP_TYPE_LINK_SYNCHRONIZED),
        ]
        for (flag, type) in timestampTypes where snd_pcm_hw_params_supports_audio_ts_type(p, Int32(type.rawValue)) > 0 {
            flags.insert(flag)
        }
        return flags
    }

    /// Negotiates `request` through alsa-lib's refine API: access and format exact (plugin names
    /// such as `plughw:` convert whatever the hardware lacks), the numbers with the `_near` setters.
    /// Installs default software parameters and leaves the stream PREPARED.
    @discardableResult
    public func configure(_ request: HardwareRequest) throws(AlsaError) -> HardwareSetup {
        let pcm = try live(.configure)
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        try request.validate()
        setConfiguration(nil, nil)
        pendingTransfer = nil
        let params = try HardwareParameterSpace()
        let p = params.pointer
        try LibraryCall.check(snd_pcm_hw_params_any(pcm, p), .hwRefine)
        guard snd_pcm_hw_params_set_access(pcm, p, snd_pcm_access_t(rawValue: UInt32(request.access.rawValue))) == 0 else {
            throw AlsaError(.configure, .invalidArgument,
                            context: "access \(request.access) is not supported by \(name); it offers \(capabilities.accessTypes.map(\.description).joined(separator: ", "))")
        }
        guard request.format.physicalBits != nil,
              snd_pcm_hw_params_set_format(pcm, p, snd_pcm_format_t(rawValue: request.format.rawValue)) == 0 else {
            throw AlsaError(.configure, .invalidArgument,
                            context: "format \(request.format) is not supported by \(name) with \(request.access); it offers \(capabilities.formats.map(\.name).joined(separator: ", "))")
        }
        // validate() keeps every number within 1...UInt32.max: the conversions below cannot trap.
        var channels = UInt32(request.channelCount)
        try near(snd_pcm_hw_params_set_channels_near(pcm, p, &channels), "channels", request.channelCount)
        var rate = UInt32(request.sampleRate)
        var dir: Int32 = 0
        try near(snd_pcm_hw_params_set_rate_near(pcm, p, &rate, &dir), "rate", request.sampleRate)
        if let periodSize = request.periodSize {
            var frames = snd_pcm_uframes_t(periodSize)
            try near(snd_pcm_hw_params_set_period_size_near(pcm, p, &frames, &dir), "period size", periodSize)
        }
        if let bufferSize = request.bufferSize {
            var frames = snd_pcm_uframes_t(bufferSize)
            try near(snd_pcm_hw_params_set_buffer_size_near(pcm, p, &frames), "buffer size", bufferSize)
        } else if let periodCount = request.periodCount {
            var count = UInt32(periodCount)
            try near(snd_pcm_hw_params_set_periods_near(pcm, p, &count, &dir), "period count", periodCount)
        }
        try call(.hwParams) { Int(snd_pcm_hw_params($0, p)) }
        let granted = try Self.readSetup(p, hardwareInfo: hardwareProbe?.info)
        if granted.access.isMmap {
            mmapAreas.deallocate()
            mmapAreas = .allocate(capacity: granted.channelCount)
            mmapAreas.initialize(repeating: (0, 0))
        }
        setConfiguration(granted, nil)
        do throws(AlsaError) {
            var defaults = SoftwareParameters.defaults(for: granted, direction: direction)
            defaults.timestampType = options.timestampType
            try installSoftwareParameters(defaults)
            try prepare()
        } catch {
            setConfiguration(nil, nil)
            throw error
        }
        return granted
    }

    private func near(_ result: Int32, _ what: String, _ target: Int) throws(AlsaError) {
        guard result < 0 else { return }
        throw AlsaError(.configure, Errno(rawValue: -result),
                        context: "\(what) \(target) is impossible for \(name)\(LibraryCall.takeMessage().map { ": \($0)" } ?? "")")
    }

    /// The fixed configuration alsa-lib installed. The info word combines alsa-lib's getters with
    /// the kernel's own word, when a kernel PCM is visible behind the name.
    static func readSetup(_ p: OpaquePointer, hardwareInfo: PCMInfoFlags?) throws(AlsaError) -> HardwareSetup {
        var access = snd_pcm_access_t(rawValue: 0)
        var format = snd_pcm_format_t(rawValue: 0)
        var channelCount: UInt32 = 0, sampleRate: UInt32 = 0, periods: UInt32 = 0, numerator: UInt32 = 0, denominator: UInt32 = 0
        var periodSize: snd_pcm_uframes_t = 0, bufferSize: snd_pcm_uframes_t = 0
        var dir: Int32 = 0
        let results: [Int32] = [
            snd_pcm_hw_params_get_access(p, &access), snd_pcm_hw_params_get_format(p, &format),
            snd_pcm_hw_params_get_channels(p, &channelCount), snd_pcm_hw_params_get_rate(p, &sampleRate, &dir),
            snd_pcm_hw_params_get_period_size(p, &periodSize, &dir), snd_pcm_hw_params_get_buffer_size(p, &bufferSize),
        ]
        guard results.allSatisfy({ $0 >= 0 }), let accessType = AccessType(rawValue: Int32(access.rawValue)) else {
            throw AlsaError(.hwParams, .invalidArgument, context: "alsa-lib returned parameters that are not fixed")
        }
        let hasPeriods = snd_pcm_hw_params_get_periods(p, &periods, &dir) >= 0
        let hasFraction = snd_pcm_hw_params_get_rate_numden(p, &numerator, &denominator) >= 0 && denominator != 0
        let accessTypes = [accessType]
        var info = infoFlags(p, accessTypes)
        if let hardwareInfo { info.formUnion(hardwareInfo.intersection([.explicitSync, .syncApplPtr, .noRewinds])) }
        return HardwareSetup(
            access: accessType, format: SampleFormat(rawValue: format.rawValue), channelCount: Int(channelCount), sampleRate: Int(sampleRate),
            rateFraction: hasFraction ? (Int(numerator), Int(denominator)) : nil, periodSize: Int(clamping: periodSize),
            periodCount: hasPeriods ? Int(periods) : (periodSize == 0 ? 0 : Int(clamping: bufferSize / periodSize)),
            bufferSize: Int(clamping: bufferSize), significantBits: Int(max(snd_pcm_hw_params_get_sbits(p), 0)), info: info)
    }

    /// Installs software parameters through alsa-lib; `boundary` is read back from it.
    public func installSoftwareParameters(_ parameters: SoftwareParameters) throws(AlsaError) {
        let pcm = try live(.swParams)
        LibraryCall.beginCapture()
        defer { LibraryCall.endCapture() }
        var raw: OpaquePointer?
        guard snd_pcm_sw_params_malloc(&raw) >= 0, let sw = raw else { throw AlsaError(.swParams, .noMemory) }
        defer { snd_pcm_sw_params_free(sw) }
        try LibraryCall.check(snd_pcm_sw_params_current(pcm, sw), .swParams)
        // The kernel record's conversion refuses negative counts with a typed error.
        let record = try parameters.kernelRecord()
        let steps: [Int32] = [
            snd_pcm_sw_params_set_avail_min(pcm, sw, record.avail_min),
            snd_pcm_sw_params_set_start_threshold(pcm, sw, record.start_threshold),
            snd_pcm_sw_params_set_stop_threshold(pcm, sw, record.stop_threshold),
            snd_pcm_sw_params_set_silence_threshold(pcm, sw, record.silence_threshold),
            snd_pcm_sw_params_set_silence_size(pcm, sw, record.silence_size),
            snd_pcm_sw_params_set_tstamp_mode(pcm, sw, parameters.timestampsEnabled ? SND_PCM_TSTAMP_ENABLE : SND_PCM_TSTAMP_NONE),
            snd_pcm_sw_params_set_tstamp_type(pcm, sw, snd_pcm_tstamp_type_t(rawValue: UInt32(parameters.timestampType.rawValue))),
        ]
        if let failed = steps.first(where: { $0 < 0 }) { throw LibraryCall.error(Int(failed), .swParams) }
        try call(.swParams) { Int(snd_pcm_sw_params($0, sw)) }
        var boundary: snd_pcm_uframes_t = 0
        snd_pcm_sw_params_get_boundary(sw, &boundary)
        var installed = parameters
        installed.boundary = Int(clamping: boundary)
        setConfiguration(setup, installed)
    }

    /// Releases the hardware configuration (`snd_pcm_hw_free`); `configure` may be called again.
    public func freeHardware() throws(AlsaError) {
        knownRunning = false
        try call(.hwFree) { Int(snd_pcm_hw_free($0)) }
        pendingTransfer = nil
        setConfiguration(nil, nil)
    }
}

/// An `snd_pcm_hw_params_t` owned for the length of a setup call.
final class HardwareParameterSpace {
    let pointer: OpaquePointer

    init() throws(AlsaError) {
        var raw: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&raw) >= 0, let raw else { throw AlsaError(.hwRefine, .noMemory) }
        pointer = raw
    }

    deinit { snd_pcm_hw_params_free(pointer) }
}
