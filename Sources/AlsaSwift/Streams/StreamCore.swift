#if canImport(Glibc)
import Glibc
#endif

/// What playback and capture streams share: the negotiated PCM, one period of device-format
/// scratch, the poll set, and the two ways of waiting (a blocking poll, or suspending the task on
/// the kernel's `PollReactor`). Everything is allocated at open; transfers allocate nothing.
final class StreamCore {
    let pcm: any PCM
    let configuration: StreamConfiguration
    let channels: Int
    let frameBytes: Int
    let periodFrames: Int
    let scratch: UnsafeMutableRawBufferPointer
    let descriptors: UnsafeMutableBufferPointer<pollfd>
    let reactor: PollReactor.Lease
    /// Set by `pause()` until `resume()` (StreamControl.swift).
    var pausedBy: PauseMethod?

    /// Opens `device` the way streams want it: non-blocking (they wait on poll themselves) and
    /// recovering xruns inside transfers.
    static func open(_ device: String, _ direction: StreamDirection, transport: PCMDevice.TransportChoice,
                     kernel: any KernelInterface) throws(AlsaError) -> any PCM {
        try PCMDevice.open(device, direction: direction, options: PCMOpenOptions(nonBlocking: true, recovery: .automatic),
                           transport: transport, kernel: kernel)
    }

    init(pcm: any PCM, direction: StreamDirection, request: StreamRequest, kernel: any KernelInterface) throws(AlsaError) {
        guard pcm.direction == direction else {
            throw AlsaError(.configure, .invalidArgument, context: "\(pcm.name) is not a \(direction) PCM")
        }
        // First: a reactor that cannot be had fails the open before anything is allocated.
        let reactor = try PollReactor.lease(for: kernel)
        let capabilities = pcm.capabilities
        guard let format = request.formats.first(where: { capabilities.formats.contains($0) && SampleConversion.isSupported($0) }) else {
            throw AlsaError(.configure, .invalidArgument,
                            context: "\(pcm.name) offers none of \(request.formats.map(\.name).joined(separator: ", ")); it offers \(capabilities.formats.map(\.name).joined(separator: ", "))")
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
        // Saturated to the kernel's 32-bit intervals; an impossible rate or channel count is
        // refused by `configure` with the name of the parameter.
        let bufferFrames = Int(min(max(Self.frames(in: request.latency, rate: request.rate), 16), Int64(UInt32.max)))
        let periods = max(request.periodsPerBuffer, 2)
        let setup = try pcm.configure(HardwareRequest(access: access, format: format, channels: request.channels, rate: request.rate,
                                                      periodSize: max(bufferFrames / periods, 1), bufferSize: bufferFrames))
        let adaptations = StreamAdaptation.differences(request, setup)
        let refused = adaptations.filter { !request.mayAdapt.contains($0.parameter == .rate ? .rate : .channels) }
        guard refused.isEmpty else {
            try? pcm.freeHardware()
            throw AlsaError(.configure, .invalidArgument, context: Self.refusal(pcm, request, refused))
        }
        try pcm.setNonBlocking(true)
        self.pcm = pcm
        configuration = StreamConfiguration(deviceName: pcm.name, transport: pcm.transport, setup: setup, syncReport: pcm.syncReport,
                                            adaptations: adaptations)
        channels = Int(setup.channels)
        frameBytes = setup.frameBytes
        periodFrames = Int(setup.periodSize)
        scratch = .allocate(byteCount: periodFrames * frameBytes, alignment: 16)
        descriptors = .allocate(capacity: max(pcm.pollDescriptorCount, 1))
        descriptors.initialize(repeating: pollfd())
        self.reactor = reactor
    }

    /// The frames `latency` lasts at `rate`, saturating: a latency too long to count asks for the
    /// largest buffer the device has, instead of overflowing.
    static func frames(in latency: Duration, rate requested: Int) -> Int64 {
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
        let what = refused.map { $0.parameter == .rate ? "\($0.requested) Hz" : "\($0.requested) channels" }.joined(separator: " at ")
        let granted = refused.map(\.description).joined(separator: ", ")
        var text = "\(pcm.name) cannot run \(what) as asked: the device would give \(granted) "
            + "(it offers \(offers.channels.lowerBound)-\(offers.channels.upperBound) channels, "
            + "\(offers.rate.lowerBound)-\(offers.rate.upperBound) Hz)"
        if pcm.transport == .direct, let address = pcm.syncReport.hardware {
            text += "; open plughw:\(address.card),\(address.device) to have alsa-lib convert"
        }
        return text + ", or allow the difference in StreamRequest.mayAdapt"
    }

    deinit {
        try? pcm.close()
        scratch.deallocate()
        descriptors.deallocate()
    }

    /// Blocks in poll(2) until the PCM can move frames (or reports an error condition, which the
    /// next transfer turns into an error or a recovery).
    func waitBlocking() throws(AlsaError) {
        _ = try recovering { () throws(AlsaError) in try pcm.wait(timeoutMilliseconds: -1) }
    }

    /// Runs one step of a transfer. An xrun or suspend that the PCM reports instead of recovering
    /// (one opened with `RecoveryPolicy.report` and handed to the stream) is recovered here the way
    /// the PCMs streams open by name recover it themselves, and counted in the PCM's xrunCount:
    /// a stream behaves the same however it was built. Nothing allocates.
    @inline(__always)
    func recovering<T>(_ step: () throws(AlsaError) -> T) throws(AlsaError) -> T {
        var attempts = 0
        while true {
            do {
                return try step()
            } catch {
                guard error.kind == .xrun || error.kind == .suspended,
                      attempts < RecoveryProcedure.maximumRecoveriesPerTransfer else { throw error }
                attempts += 1
                try pcm.recover(from: error)
            }
        }
    }

    /// Suspends the task, not a thread, until the PCM can move frames. Cancellation ends the wait
    /// with ECANCELED.
    nonisolated(nonsending) func waitSuspending() async throws(AlsaError) {
        while true {
            let count = try pcm.fillPollDescriptors(descriptors)
            switch await reactor.wait(for: UnsafeMutableBufferPointer(rebasing: descriptors[0..<count])) {
            case .ready: break
            case .cancelled: throw AlsaError(.poll, .canceled)
            case .failed(let errno): throw AlsaError(.poll, errno, context: "no thread could be started to wait for the device")
            }
            let events = Int32(try pcm.pollEvents(UnsafeMutableBufferPointer(rebasing: descriptors[0..<count])))
            if events != 0 { return }
        }
    }

    /// Drops what is queued or captured and prepares, so the stream can be used again.
    func stop() throws(AlsaError) {
        try pcm.drop()
        try pcm.prepare()
        pausedBy = nil
    }

    /// Refuses a typed buffer whose channel count is not the stream's.
    func checkChannels(_ count: Int) throws(AlsaError) {
        guard count == channels else {
            throw AlsaError(.transfer, .invalidArgument, context: "a \(count)-channel buffer for a \(channels)-channel stream")
        }
    }

    /// Frames in `count` interleaved samples; refused unless whole.
    func frames(inSamples count: Int) throws(AlsaError) -> Int {
        guard count % channels == 0 else {
            throw AlsaError(.transfer, .invalidArgument, context: "\(count) samples are not a whole number of \(channels)-channel frames")
        }
        return count / channels
    }

    var isPrepared: Bool {
        get throws(AlsaError) { try pcm.state == .prepared }
    }
}
