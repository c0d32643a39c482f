/// How a duplex stream puts its two PCMs on one rate, channel count, period and format, with
/// test/latency.c's buffer of two periods on the capture side and three on the playback side (two
/// queued, and room for a third where two clocks need it: `DuplexConfiguration.queuedFrames`), or
/// says where they differ.
///
/// The request's latency is the round trip asked for: a period is half of it. The capture side
/// is configured first; the playback side is asked for what the capture side got; where the
/// playback side grants another period, the capture side is asked again for that one, a few
/// times at most. The format is the first of the request's that both sides offer.
enum DuplexNegotiation {
    /// Configures both PCMs alike, leaves them prepared and non-blocking, and says what each got.
    static func configure(capture: any PCM, playback: any PCM,
                          request: StreamRequest) throws(AlsaError) -> (capture: StreamConfiguration, playback: StreamConfiguration) {
        if case .timer = request.scheduling {
            // Each side moves exactly a period when the other has one: the wakeups are the periods'.
            throw AlsaError(.configure, .invalidArgument,
                            context: "a duplex stream runs on its devices' periods, not on a timer: ask for StreamScheduling.periods")
        }
        let formats = request.formats.filter {
            capture.capabilities.formats.contains($0) && playback.capabilities.formats.contains($0) && SampleConversion.isSupported($0)
        }
        guard !formats.isEmpty else {
            let names = { (pcm: any PCM) in pcm.capabilities.formats.map(\.name).joined(separator: ", ") }
            throw AlsaError(.configure, .invalidArgument,
                            context: "no format of \(request.formats.map(\.name).joined(separator: ", ")) is offered by both sides: "
                                + "capture \(capture.name) offers \(names(capture)), playback \(playback.name) offers \(names(playback))")
        }
        let roundTrip = Int(min(max(StreamNegotiation.frames(in: request.latency, sampleRate: request.sampleRate), 2), Int64(UInt32.max)))
        let period = max(roundTrip / 2, 1)
        var input = try StreamNegotiation.configure(capture, .capture, request, formats: formats, periodSize: period, bufferSize: 2 * period)
        var output: StreamConfiguration
        var rounds = 0
        repeat {
            // What the capture side got, within what the request lets the devices change.
            var asked = request
            if request.mayAdapt.contains(.sampleRate) { asked.sampleRate = input.sampleRate }
            if request.mayAdapt.contains(.channelCount) { asked.channelCount = input.channelCount }
            output = try StreamNegotiation.configure(playback, .playback, asked, formats: [input.format], periodSize: input.periodSize,
                                                     bufferSize: 3 * input.periodSize)
            output.adaptations = StreamAdaptation.differences(request, output.setup)
            rounds += 1
            guard output.periodSize != input.periodSize, rounds < 4 else { break }
            input = try StreamNegotiation.configure(capture, .capture, asked, formats: [output.format], periodSize: output.periodSize,
                                                    bufferSize: 2 * output.periodSize)
            input.adaptations = StreamAdaptation.differences(request, input.setup)
        } while true
        if input.resampling != nil || output.resampling != nil {
            // The exact runs move device frames: a rate conversion would have nothing to hold its
            // remainder in. The devices' own rate, or alsa-lib's plug, is the way on.
            try? capture.freeHardware()
            try? playback.freeHardware()
            throw AlsaError(.configure, .invalidArgument,
                            context: "a duplex stream cannot resample: capture \(capture.name) runs \(input.deviceSampleRate) Hz and playback "
                                + "\(playback.name) \(output.deviceSampleRate) Hz, not \(request.sampleRate) Hz; "
                                + "ask for the devices' rate, allow it in StreamRequest.mayAdapt, or open plughw")
        }
        let differences = self.differences(input, output)
        guard differences.isEmpty else {
            try? capture.freeHardware()
            try? playback.freeHardware()
            throw AlsaError(.configure, .invalidArgument,
                            context: "the two sides of a duplex stream must run alike, and capture \(capture.name) and playback \(playback.name) "
                                + "differ: \(differences.joined(separator: "; "))")
        }
        return (input, output)
    }

    /// Where the two sides' setups differ, each named with both values; a buffer that cannot
    /// hold two periods counts too.
    static func differences(_ capture: StreamConfiguration, _ playback: StreamConfiguration) -> [String] {
        var found: [String] = []
        func compare(_ what: String, _ a: Int, _ b: Int, _ unit: String) {
            if a != b { found.append("\(what) \(a)\(unit) against \(b)\(unit)") }
        }
        compare("rate", capture.sampleRate, playback.sampleRate, " Hz")
        compare("channels", capture.channelCount, playback.channelCount, "")
        compare("period", capture.periodSize, playback.periodSize, " frames")
        if capture.format != playback.format { found.append("format \(capture.format) against \(playback.format)") }
        for side in [capture, playback] where side.bufferSize < 2 * side.periodSize {
            found.append("\(side.deviceName) buffers \(side.bufferSize) frames, less than two periods of \(side.periodSize)")
        }
        return found
    }
}
