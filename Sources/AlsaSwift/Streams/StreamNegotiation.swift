/// How every stream kind (playback, capture, render threads) turns a `StreamRequest` into a
/// configured PCM: the first convertible format the device offers, interleaved access (mmap when
/// asked and offered), the buffer the latency asks for in the periods asked for, and the rate and
/// channel count exactly, unless `mayAdapt` allows the device's own, or `resampling` lets the stream
/// run the device at its nearest rate and convert.
///
/// A timer-scheduled request gets the deepest buffer the device allows (up to its limit) and the
/// largest period, and asks the device not to interrupt at all where it offers that
/// (NO_PERIOD_WAKEUP): this is the one place that decides it.
enum StreamNegotiation {
    /// Opens `device` the way streams want it: non-blocking (they wait on poll themselves), reporting
    /// xruns (their period engine recovers them, by the same procedure, whatever the PCM's policy).
    static func open(_ device: String, _ direction: StreamDirection, transport: PCMDevice.TransportChoice,
                     kernel: any KernelInterface) throws(AlsaError) -> any PCM {
        try PCMDevice.open(device, direction: direction, options: PCMOpenOptions(nonBlocking: true, recovery: .report),
                           transport: transport, kernel: kernel)
    }

    /// Negotiates `request` on `pcm`, leaves it non-blocking and prepared, and says what it got.
    static func configure(_ pcm: any PCM, _ direction: StreamDirection, _ request: StreamRequest) throws(AlsaError) -> StreamConfiguration {
        // Saturated to the kernel's 32-bit intervals; an impossible rate or channel count is
        // refused by `configure` with the name of the parameter. The buffer is counted in the
        // frames the device will run at.
        let rate = deviceRate(pcm, request)
        switch request.scheduling {
        case .periods:
            let bufferFrames = Int(min(max(frames(in: request.latency, sampleRate: rate), 16), Int64(UInt32.max)))
            let periods = max(request.periodCount, 2)
            return try configure(pcm, direction, request, formats: request.formats, periodSize: max(bufferFrames / periods, 1),
                                 bufferSize: bufferFrames)
        case .timer(_, let limit):
            // The deepest buffer up to the limit, the largest period in it (at least two of them):
            // near values the device then meets as closely as it can.
            let bufferFrames = Int(min(max(frames(in: limit, sampleRate: rate), 16), Int64(UInt32.max)))
            return try configure(pcm, direction, request, formats: request.formats,
                                 periodSize: max(min(pcm.capabilities.periodSize.upperBound, bufferFrames / 2), 1),
                                 bufferSize: bufferFrames)
        }
    }

    /// The rate to ask the device for: the request's, or for a stream that may resample the
    /// device's nearest one.
    static func deviceRate(_ pcm: any PCM, _ request: StreamRequest) -> Int {
        guard request.resampling != nil else { return request.sampleRate }
        let rates = pcm.capabilities.sampleRate
        return min(max(request.sampleRate, rates.lowerBound), rates.upperBound)
    }

    /// Negotiates `request` on `pcm` with these sizes, the first of `formats` the device offers (a
    /// duplex stream passes those both its sides offer), and says what it got.
    static func configure(_ pcm: any PCM, _ direction: StreamDirection, _ request: StreamRequest, formats: [SampleFormat],
                          periodSize: Int, bufferSize: Int) throws(AlsaError) -> StreamConfiguration {
        guard pcm.direction == direction else {
            throw AlsaError(.configure, .invalidArgument, context: "\(pcm.name) is not a \(direction) PCM")
        }
        if case .timer = request.scheduling, request.resampling != nil {
            // The rate conversion moves whole device periods; the timer's chunks are not periods.
            throw AlsaError(.configure, .invalidArgument, context: "a timer-scheduled stream cannot resample yet: ask for the device's rate, or for period scheduling")
        }
        let capabilities = pcm.capabilities
        guard let format = formats.first(where: { capabilities.formats.contains($0) && SampleConversion.isSupported($0) }) else {
            throw AlsaError(.configure, .invalidArgument,
                            context: "\(pcm.name) offers none of \(formats.map(\.name).joined(separator: ", ")); it offers \(capabilities.formats.map(\.name).joined(separator: ", "))")
        }
        let access: AccessType
        let offersReadWrite = capabilities.accessTypes.contains(.readWriteInterleaved)
        let offersMmap = capabilities.accessTypes.contains(.mmapInterleaved)
        switch (offersReadWrite, offersMmap) {
        case (true, true): access = request.preferMmap ? .mmapInterleaved : .readWriteInterleaved
        case (true, false): access = .readWriteInterleaved
        case (false, true): access = .mmapInterleaved
        case (false, false):
            throw AlsaError(.configure, .invalidArgument, context: "\(pcm.name) offers no interleaved access")
        }
        // Non-blocking before the hardware parameters: alsa-lib turns period interrupts off only then.
        try pcm.setNonBlocking(true)
        // A stream that may resample asks for the device's nearest rate (`deviceRate`).
        var hardware = HardwareRequest(access: access, format: format, channelCount: request.channelCount,
                                       sampleRate: deviceRate(pcm, request), periodSize: periodSize, bufferSize: bufferSize)
        // A timer-scheduled stream asks the device not to interrupt at all where it offers that.
        if case .timer = request.scheduling { hardware.periodWakeups = !capabilities.info.contains(.noPeriodWakeup) }
        let setup = try pcm.configure(hardware)
        let resampling = setup.sampleRate == request.sampleRate ? nil : request.resampling
        // A resampling stream meets the app's rate itself: that is no adaptation.
        let adaptations = StreamAdaptation.differences(request, setup).filter { resampling == nil || $0.parameter != .sampleRate }
        let refused = adaptations.filter { !request.mayAdapt.contains($0.parameter) }
        guard refused.isEmpty else {
            try? pcm.freeHardware()
            throw AlsaError(.configure, .invalidArgument, context: refusal(pcm, request, refused))
        }
        var timer: TimerSchedule?
        if case .timer(let latency, _) = request.scheduling { timer = TimerSchedule.negotiated(setup, latency: latency) }
        return StreamConfiguration(deviceName: pcm.name, transport: pcm.transport, setup: setup, syncReport: pcm.syncReport,
                                   adaptations: adaptations, resampling: resampling, sampleRate: request.sampleRate,
                                   scheduling: request.scheduling, timer: timer)
    }

    /// The frames `latency` lasts at `rate`, saturating: a latency too long to count asks for the
    /// largest buffer the device has, instead of overflowing.
    static func frames(in latency: Duration, sampleRate requested: Int) -> Int64 {
        let rate = Int64(min(max(requested, 0), Int(UInt32.max)))
        let (seconds, attoseconds) = latency.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: Int64(rate))
        if overflow { return seconds < 0 ? .min : .max }
        // attoseconds < 10^18 and rate < 2^32: the product of the scaled parts fits.
        let (sum, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000 * Int64(rate) / 1_000_000_000)
        return carry ? .max : sum
    }

    /// Why a request was refused: what differs, what the device offers, and the two ways on.
    private static func refusal(_ pcm: any PCM, _ request: StreamRequest, _ refused: [StreamAdaptation]) -> String {
        let offers = pcm.capabilities
        let what = refused.map { $0.parameter == .sampleRate ? "\($0.requested) Hz" : "\($0.requested) channels" }.joined(separator: " at ")
        let granted = refused.map(\.description).joined(separator: ", ")
        var text = "\(pcm.name) cannot run \(what) as asked: the device would give \(granted) "
            + "(it offers \(offers.channelCount.lowerBound)-\(offers.channelCount.upperBound) channels, "
            + "\(offers.sampleRate.lowerBound)-\(offers.sampleRate.upperBound) Hz)"
        if pcm.transport == .direct, let address = pcm.syncReport.hardware {
            text += "; open plughw:\(address.card),\(address.device) to have alsa-lib convert"
        }
        return text + ", or allow the difference in StreamRequest.mayAdapt (or the rate's in StreamRequest.resampling)"
    }
}
