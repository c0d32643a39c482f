/// Capture and playback as one stream: each period of input comes with a period of output to
/// fill, two periods later in time, as alsa-lib's test/latency.c runs them. For effects,
/// monitoring, measurement and echo cancellation.
///
/// ```swift
/// let duplex = try DuplexStream(capture: "hw:1,0", playback: "hw:0,0",
///                               request: StreamRequest(rate: 48_000, channels: 2, latency: .milliseconds(10)))
/// try duplex.processBlocking(periods: 1000) { period in
///     for i in period.output.indices { period.output[i] = period.input[i] }
/// }
/// print(try duplex.timing())   // round trip 480 frames (10 ms) ...
/// ```
///
/// Both sides are negotiated to one rate, period and format, or the stream refuses to open and
/// says where they differ; the request's latency is the round trip asked for, two periods. The
/// sides are linked where the kernel lets them (`DuplexConfiguration.start` says whether), so that
/// one start starts both. An xrun on either side restarts both with the same silence queued,
/// and is counted on the side that ran out (`xruns`). On two cards the stream measures their
/// drift and holds the round trip (`drift`): by a loopback card's rate shift, by resampling the
/// input (`Float` samples), or by dropping or repeating a frame (raw samples); where their clocks
/// run free (no loopback rate shift) it queues a third period (`DuplexConfiguration.queuedFrames`). For a callback on a real-time thread use
/// `DuplexThread`. Not `Sendable`: one task or thread uses a stream at a time.
public final class DuplexStream {
    let loop: DuplexLoop

    /// What the two devices granted, whether they are linked, and how drift is compensated.
    public var configuration: DuplexConfiguration { loop.configuration }
    /// Xruns met and recovered so far, by the side that ran out.
    public var xruns: DuplexXruns { loop.xruns }
    /// Periods processed so far.
    public var periodCount: Int { loop.periods }
    /// What the stream measured of two clocks, and did about them; nil when both sides are on one
    /// card.
    public var drift: DriftReport? { loop.driftReport }

    /// Opens `capture` and `playback` (any ALSA names, one card or two; `hw:` names use the direct
    /// kernel transport unless `transport` says otherwise) and negotiates `request` on both.
    public convenience init(capture: String, playback: String, request: StreamRequest = StreamRequest(),
                            options: DuplexOptions = DuplexOptions(), transport: PCMDevice.TransportChoice = .automatic,
                            kernel: any KernelInterface = LinuxKernel.shared) throws(AlsaError) {
        let input = try StreamNegotiation.open(capture, .capture, transport: transport, kernel: kernel)
        let output = try StreamNegotiation.open(playback, .playback, transport: transport, kernel: kernel)
        try self.init(capture: input, playback: output, request: request, options: options)
    }

    /// Takes an opened capture PCM and an opened playback PCM (on one kernel) and negotiates
    /// `request` on both.
    public init(capture: any PCM, playback: any PCM, request: StreamRequest = StreamRequest(),
                options: DuplexOptions = DuplexOptions()) throws(AlsaError) {
        let configurations = try DuplexNegotiation.configure(capture: capture, playback: playback, request: request)
        loop = try DuplexLoop(capture: PeriodEngine(pcm: capture, configuration: configurations.capture, async: true),
                              playback: PeriodEngine(pcm: playback, configuration: configurations.playback, async: true),
                              options: options)
    }

    /// Runs `periods` periods, blocking the calling thread while it waits: each time the input
    /// period is there and the output has room, `body` gets the one and fills the other. Starts
    /// both sides on first use and after `stop()`; they keep running between calls, so call again
    /// within the queued two periods, or the output runs dry (an xrun, recovered). From async code
    /// use `process(periods:_:)`, which suspends instead.
    public func processBlocking(periods: Int, _ body: (borrowing DuplexPeriod) -> Void) throws(AlsaError) {
        let last = loop.periods + max(periods, 0)
        while loop.periods < last { _ = try loop.cycleBlocking(body) }
    }

    /// Runs `periods` periods, suspending the task (no thread waits) between them. Cancelling the
    /// task ends it with ECANCELED (kind `.cancelled`); the periods run before stay run.
    nonisolated(nonsending) public func process(periods: Int, _ body: (borrowing DuplexPeriod) -> Void) async throws(AlsaError) {
        let last = loop.periods + max(periods, 0)
        while loop.periods < last {
            if Task.isCancelled { throw AlsaError(.poll, .canceled) }
            try await loop.cycle(body)
        }
    }

    /// Both sides' timing and the round trip between them.
    public func timing() throws(AlsaError) -> DuplexTiming { try loop.timing() }

    /// Stops both sides at once, dropping what is queued; the next `process` starts them again.
    public func stop() throws(AlsaError) { try loop.stop() }
}
