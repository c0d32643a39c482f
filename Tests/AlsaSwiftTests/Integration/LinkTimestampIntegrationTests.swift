import AlsaSwift
import CAlsa
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Link audio timestamps on the real kernel, from the explicit-sync test card, whose driver answers
/// `get_time_info` with its own position clock (ktime since START for LINK, since the substream's
/// open for LINK_ABSOLUTE) and declares HAS_LINK_ATIME and HAS_LINK_ABSOLUTE_ATIME.
///
/// `timing()` asks for the best type the device declares, here LINK_ABSOLUTE; the kernel's report
/// must name it as the type in effect, the audio time must grow with every look, and it must agree
/// with CLOCK_MONOTONIC and with the device position. Bounds: the link origin (timestamp minus audio
/// time) lies between the readings of CLOCK_MONOTONIC taken before and after the open, and stays
/// within 1 µs over the run (the driver reads both times from one clock reading); the position the
/// link time predicts (from the trigger timestamp) is within 2 ms of the reported device position
/// (the pointer is read just before the link time, under the same lock; the trigger timestamp is
/// taken by the core just after the driver's START).
@Suite(.enabled(if: RigEnvironment.explicitSync != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct LinkTimestampIntegrationTests {
    static let sampleRate = 48_000
    static let period = 1024
    static let request = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                         periodSize: 1024, periodCount: 4)
    static let positionBound = Duration.milliseconds(2)
    static let originDrift = Duration.microseconds(1)

    struct Case: Sendable, CustomTestStringConvertible {
        let transport: PCMTransport
        let direction: StreamDirection
        var testDescription: String { "\(direction) via \(transport)" }
    }

    static let cases: [Case] = [PCMTransport.direct, .alsaLib].flatMap { transport in
        [StreamDirection.playback, .capture].map { Case(transport: transport, direction: $0) }
    }

    static func open(_ transport: PCMTransport, card: Int, direction: StreamDirection) throws -> any PCM {
        switch transport {
        case .direct: try KernelPCM(card: card, device: 0, direction: direction)
        case .alsaLib: try AlsaLibPCM(name: "hw:\(card),0", direction: direction)
        }
    }

    struct Sample {
        let timing: AudioTiming
        let before: MonotonicInstant
        let after: MonotonicInstant
    }

    @Test(arguments: cases)
    func linkTimeIsReportedMonotonicAndAgreesWithClockAndPosition(_ testCase: Case) throws {
        let card = try #require(RigEnvironment.explicitSync)
        let beforeOpen = MonotonicInstant.now
        let pcm = try Self.open(testCase.transport, card: card, direction: testCase.direction)
        let afterOpen = MonotonicInstant.now
        let setup = try pcm.configure(Self.request)
        #expect(setup.info.isSuperset(of: [.hasLinkTime, .hasLinkAbsoluteTime]), "info \(setup.info)")
        #expect(AudioTimestampSource.best(offeredBy: setup.info) == .linkAbsolute)

        var buffer = [UInt8](repeating: 0, count: Self.period * 4)
        var samples: [Sample] = []
        for _ in 0..<(Self.sampleRate / Self.period) {
            if testCase.direction == .playback {
                _ = try buffer.withUnsafeBytes { try pcm.writeInterleaved($0) }
            } else {
                _ = try buffer.withUnsafeMutableBytes { try pcm.readInterleaved(into: $0) }
            }
            let before = MonotonicInstant.now
            let timing = try pcm.timing()
            samples.append(Sample(timing: timing, before: before, after: .now))
        }
        try pcm.drop()
        try pcm.close()

        let running = samples.filter { $0.timing.state == .running }
        #expect(running.count >= samples.count - 5, "the stream ran: \(running.count) of \(samples.count) looks")
        var origins: [MonotonicInstant] = []
        var maxPositionError = Duration.zero
        var wrongSource = 0
        var previous: Duration?
        for sample in running {
            let timing = sample.timing
            guard let audio = timing.audioTimestamp else {
                Issue.record("a running stream without an audio timestamp: \(timing)")
                continue
            }
            if audio.source != .linkAbsolute { wrongSource += 1 }
            #expect(audio.accuracy != nil && audio.accuracy! <= .microseconds(1), "accuracy \(String(describing: audio.accuracy))")
            // Taken during the call, from the same reading as the audio time.
            #expect(timing.timestamp >= sample.before && timing.timestamp <= sample.after,
                    "timestamp \(timing.timestamp) outside the call's \(sample.before)...\(sample.after)")
            if let previous { #expect(audio.time > previous, "audio time went back or stood: \(previous) then \(audio.time)") }
            previous = audio.time
            let origin = timing.timestamp - audio.time
            origins.append(origin)
            // Since START by the link clock, as frames, against the device's position.
            let sinceStart = audio.time - (timing.triggerTimestamp - origin)
            let predicted = AudioTiming.frames(in: sinceStart, sampleRate: Self.sampleRate)
            let error = AudioTiming.duration(ofFrames: abs(predicted - timing.devicePosition), sampleRate: Self.sampleRate)
            maxPositionError = max(maxPositionError, error)
        }
        #expect(wrongSource == 0, "\(wrongSource) of \(running.count) looks reported another source than the absolute link")
        let first = try #require(origins.first)
        #expect(first >= beforeOpen - Self.originDrift && first <= afterOpen + Self.originDrift,
                "link origin \(first) outside the open's \(beforeOpen)...\(afterOpen)")
        let drift = origins.map { $0 > first ? $0 - first : first - $0 }.max() ?? .zero
        #expect(drift <= Self.originDrift, "the link origin moved by \(drift)")
        #expect(maxPositionError <= Self.positionBound, "position from the link time off by \(maxPositionError)")
        print("link timing \(testCase.testDescription): \(running.count) looks, source \(running.last?.timing.audioTimestamp?.source.description ?? "none"), "
              + "accuracy \(running.last?.timing.audioTimestamp?.accuracy.map { "\($0)" } ?? "none"), origin \(afterOpen - first) before the end of the open "
              + "(open took \(afterOpen - beforeOpen)), origin drift \(drift), position error at most \(maxPositionError)")
    }

    /// Where the device offers no link counter (snd-dummy), `timing()` asks for none and reports the
    /// pointer-derived audio time as such, on both transports.
    @Test(arguments: [PCMTransport.direct, .alsaLib])
    func aDeviceWithoutALinkClockReportsThePointerTime(_ transport: PCMTransport) throws {
        guard let card = RigEnvironment.dummy else { return }
        let pcm = try Self.open(transport, card: card, direction: .playback)
        let setup = try pcm.configure(Self.request)
        #expect(AudioTimestampSource.best(offeredBy: setup.info) == .hardwarePointer)
        let buffer = [UInt8](repeating: 0, count: Self.period * 4)
        var sources: [AudioTimestampSource] = []
        for _ in 0..<8 {
            _ = try buffer.withUnsafeBytes { try pcm.writeInterleaved($0) }
            let timing = try pcm.timing()
            if timing.state == .running, let audio = timing.audioTimestamp { sources.append(audio.source) }
        }
        try pcm.drop()
        try pcm.close()
        #expect(!sources.isEmpty)
        #expect(sources.allSatisfy { $0 == .hardwarePointer }, "\(sources)")
    }

    /// The driver itself, asked through alsa-lib for each type: DEFAULT is the pointer count, LINK
    /// and LINK_ABSOLUTE are answered as such (LINK counts from START, so it agrees with the trigger
    /// timestamp), the link types it does not offer fall back to DEFAULT and say so, and DEFAULT
    /// after such a fallback stays DEFAULT. (DEFAULT right after a link type is not asked: the core
    /// keeps the link type's report then, a quirk of Linux's PCM core that the driver comment notes.)
    @Test func theDriverAnswersEachRequestedTypeHonestly() throws {
        let card = try #require(RigEnvironment.explicitSync)
        var pcm: OpaquePointer?
        try #require(snd_pcm_open(&pcm, "hw:\(card),0", SND_PCM_STREAM_PLAYBACK, 0) == 0)
        defer { snd_pcm_close(pcm) }
        // 300 ms of buffer, filled: the questions below are answered long before it runs dry.
        try #require(snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48_000, 1, 300_000) == 0)
        // The kernel stamps (and reports audio timestamps) only with timestamps enabled.
        var software: OpaquePointer?
        try #require(snd_pcm_sw_params_malloc(&software) == 0)
        defer { snd_pcm_sw_params_free(software) }
        try #require(snd_pcm_sw_params_current(pcm, software) == 0)
        try #require(snd_pcm_sw_params_set_tstamp_mode(pcm, software, SND_PCM_TSTAMP_ENABLE) == 0)
        try #require(snd_pcm_sw_params_set_tstamp_type(pcm, software, SND_PCM_TSTAMP_TYPE_MONOTONIC) == 0)
        try #require(snd_pcm_sw_params(pcm, software) == 0)
        // 50 ms between the open and the start, so that the two link origins differ plainly.
        usleep(50_000)
        var bufferSize: snd_pcm_uframes_t = 0, periodSize: snd_pcm_uframes_t = 0
        try #require(snd_pcm_get_params(pcm, &bufferSize, &periodSize) == 0)
        let silence = [UInt8](repeating: 0, count: 4 * Int(bufferSize))
        let written = silence.withUnsafeBytes { snd_pcm_writei(pcm, $0.baseAddress, bufferSize) }
        try #require(written == Int(bufferSize), "wrote \(written) of \(bufferSize) frames")
        if snd_pcm_state(pcm) == SND_PCM_STATE_PREPARED { try #require(snd_pcm_start(pcm) == 0) }
        usleep(20_000)
        var status: OpaquePointer?
        try #require(snd_pcm_status_malloc(&status) == 0)
        defer { snd_pcm_status_free(status) }
        func duration(_ t: timespec) -> Duration { .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec) }
        func ask(_ type: snd_pcm_audio_tstamp_type_t) throws -> (actual: Int, valid: Bool, audio: Duration, sinceTrigger: Duration) {
            var config = snd_pcm_audio_tstamp_config_t()
            config.type_requested = type.rawValue
            config.report_delay = 0
            snd_pcm_status_set_audio_htstamp_config(status, &config)
            try #require(snd_pcm_status(pcm, status) == 0)
            try #require(snd_pcm_status_get_state(status) == SND_PCM_STATE_RUNNING)
            var report = snd_pcm_audio_tstamp_report_t()
            snd_pcm_status_get_audio_htstamp_report(status, &report)
            var audio = timespec(), stamp = timespec(), trigger = timespec()
            snd_pcm_status_get_audio_htstamp(status, &audio)
            snd_pcm_status_get_htstamp(status, &stamp)
            snd_pcm_status_get_trigger_htstamp(status, &trigger)
            return (Int(report.actual_type), report.valid != 0, duration(audio), duration(stamp) - duration(trigger))
        }
        // DEFAULT first, on a fresh open: the core counts it from hw_ptr (the driver is not asked).
        let pointer = try ask(SND_PCM_AUDIO_TSTAMP_TYPE_DEFAULT)
        #expect(pointer.valid && pointer.actual == Int(SND_PCM_AUDIO_TSTAMP_TYPE_DEFAULT.rawValue))
        let pointerGap = pointer.audio > pointer.sinceTrigger ? pointer.audio - pointer.sinceTrigger : pointer.sinceTrigger - pointer.audio
        #expect(pointerGap <= Self.positionBound, "DEFAULT time \(pointer.audio), since the trigger \(pointer.sinceTrigger)")
        let link = try ask(SND_PCM_AUDIO_TSTAMP_TYPE_LINK)
        #expect(link.valid && link.actual == Int(SND_PCM_AUDIO_TSTAMP_TYPE_LINK.rawValue))
        let gap = link.audio > link.sinceTrigger ? link.audio - link.sinceTrigger : link.sinceTrigger - link.audio
        #expect(gap <= Self.positionBound, "LINK time \(link.audio), since the trigger \(link.sinceTrigger)")
        let absolute = try ask(SND_PCM_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE)
        #expect(absolute.valid && absolute.actual == Int(SND_PCM_AUDIO_TSTAMP_TYPE_LINK_ABSOLUTE.rawValue))
        #expect(absolute.audio >= absolute.sinceTrigger + .milliseconds(50), "the absolute link time counts from the open, 50 ms before the start")
        for type in [SND_PCM_AUDIO_TSTAMP_TYPE_LINK_ESTIMATED, SND_PCM_AUDIO_TSTAMP_TYPE_LINK_SYNCHRONIZED, SND_PCM_AUDIO_TSTAMP_TYPE_DEFAULT] {
            let answer = try ask(type)
            #expect(answer.valid && answer.actual == Int(SND_PCM_AUDIO_TSTAMP_TYPE_DEFAULT.rawValue), "type \(type.rawValue) answered as \(answer.actual)")
        }
        print("driver's answers: DEFAULT \(pointer.audio) with \(pointer.sinceTrigger) since the trigger, LINK \(link.audio) with \(link.sinceTrigger) since the trigger, LINK_ABSOLUTE \(absolute.audio)")
    }
}
