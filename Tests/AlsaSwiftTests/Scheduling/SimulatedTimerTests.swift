import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import Glibc
import SystemPackage
import Testing

/// The simulated kernel's timers and NO_PERIOD_WAKEUP, through raw seam calls: a timer in a poll
/// set lets virtual time pass exactly to its deadline (the DMA engines moving meanwhile), and a
/// device that offers NO_PERIOD_WAKEUP stops interrupting when asked, while one that does not
/// ignores the request, as the kernel does.
@Suite struct SimulatedTimerTests {
    typealias Raw = SimulationKernelTests.Raw

    static let period: UInt32 = 256

    /// A running playback stream: HW_PARAMS (with `flags`), SW_PARAMS as the raw helper leaves
    /// them, PREPARE, a full buffer written, START.
    static func runningPlayback(_ hardware: SimulatedHardware, flags: UInt32 = 0) throws -> Raw {
        let raw = try Raw(hardware)
        var p = SimulationKernelTests.anyParams()
        p.flags = flags
        SimulationKernelTests.setMask(&p, ALSA_HW_PARAM_ACCESS, 3)
        SimulationKernelTests.setMask(&p, ALSA_HW_PARAM_FORMAT, 2)
        SimulationKernelTests.setInterval(&p, ALSA_HW_PARAM_CHANNELS, 2)
        SimulationKernelTests.setInterval(&p, ALSA_HW_PARAM_RATE, 48_000)
        SimulationKernelTests.setInterval(&p, ALSA_HW_PARAM_PERIOD_SIZE, period)
        SimulationKernelTests.setInterval(&p, ALSA_HW_PARAM_PERIODS, 4)
        try raw.ioctl(ALSA_IOCTL_HW_PARAMS, &p)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        var silence = [UInt8](repeating: 0, count: Int(period) * 4 * 4)
        try silence.withUnsafeMutableBytes { bytes in
            var transfer = snd_xferi(result: 0, buf: bytes.baseAddress, frames: UInt(period) * 4)
            try raw.ioctl(ALSA_IOCTL_WRITEI_FRAMES, &transfer)
        }
        return raw
    }

    static func milliseconds(_ ms: Int64) -> Duration { .milliseconds(ms) }

    @Test("a timer alone: poll lets time pass exactly to its deadline")
    func timerAlone() throws {
        let kernel = makeKernel()
        let start = kernel.now
        let timer = try kernel.timerCreate()
        let deadline = start + .microseconds(12_345)
        try kernel.timerSet(timer, deadline: deadline)
        var set = pollfd(fd: timer.rawValue, events: Int16(POLLIN), revents: 0)
        #expect(try kernel.poll(&set, count: 1, timeout: nil) == 1)
        #expect(set.revents == Int16(POLLIN))
        #expect(kernel.now == deadline)
        // Expired until read (or armed again); the read says once, and disarms it.
        #expect(try kernel.poll(&set, count: 1, timeout: .milliseconds(0)) == 1)
        var count: UInt64 = 0
        #expect(try withUnsafeMutableBytes(of: &count) { try kernel.read(timer, into: $0) } == 8)
        #expect(count == 1)
        #expect(try kernel.poll(&set, count: 1, timeout: .milliseconds(0)) == 0)
        let again = #expect(throws: Errno.self) { _ = try withUnsafeMutableBytes(of: &count) { try kernel.read(timer, into: $0) } }
        #expect(again == .resourceTemporarilyUnavailable)
        // A deadline in the past has expired at once; a timeout shorter than the deadline ends first.
        try kernel.timerSet(timer, deadline: start)
        #expect(try kernel.poll(&set, count: 1, timeout: .milliseconds(0)) == 1)
        try kernel.timerSet(timer, deadline: kernel.now + .seconds(1))
        let before = kernel.now
        #expect(try kernel.poll(&set, count: 1, timeout: .milliseconds(20)) == 0)
        #expect(kernel.now == before + .milliseconds(20))
        #expect(kernel.openDescriptorCount == 1)
        try kernel.close(timer)
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("a timer beside a running stream: the DMA engine moves exactly the frames to the deadline")
    func timerBesideAStream() throws {
        let raw = try Self.runningPlayback(.dummy)
        let kernel = raw.kernel
        let start = kernel.now
        let timer = try kernel.timerCreate()
        // 300 frames and a bit: the clock stops at the first frame boundary at or past the deadline.
        try kernel.timerSet(timer, deadline: start + AudioTiming.duration(ofFrames: 300, sampleRate: 48_000) + .nanoseconds(5))
        var set = [pollfd(fd: raw.fd.rawValue, events: Int16(POLLOUT), revents: 0), pollfd(fd: timer.rawValue, events: Int16(POLLIN), revents: 0)]
        // avail_min is a period: the period interrupt at frame 256 makes the PCM ready first.
        #expect(try kernel.poll(&set, count: 2, timeout: nil) == 1)
        #expect(set[0].revents == Int16(POLLOUT) && set[1].revents == 0)
        #expect(kernel.now == start + AudioTiming.duration(ofFrames: 256, sampleRate: 48_000))
        // Now the timer alone, 45 frames (and the 5 ns) further.
        set[0].events = 0
        #expect(try kernel.poll(&set, count: 2, timeout: nil) == 1)
        #expect(set[1].revents == Int16(POLLIN))
        #expect(kernel.now == start + AudioTiming.duration(ofFrames: 301, sampleRate: 48_000))
        #expect(kernel.playbackObservation().frames == 301)
    }

    /// The machine has one clock: a sleeper on a timer alone (the stream's descriptor not in its
    /// set) lets the running DMA engines move for the same time.
    @Test("a timer alone while a stream runs: the stream moves the frames to the deadline too")
    func timerAloneBesideARunningStream() throws {
        let raw = try Self.runningPlayback(.dummy)
        let kernel = raw.kernel
        let start = kernel.now
        let timer = try kernel.timerCreate()
        try kernel.timerSet(timer, deadline: start + AudioTiming.duration(ofFrames: 300, sampleRate: 48_000) + .nanoseconds(5))
        var set = pollfd(fd: timer.rawValue, events: Int16(POLLIN), revents: 0)
        #expect(try kernel.poll(&set, count: 1, timeout: nil) == 1)
        #expect(kernel.now == start + AudioTiming.duration(ofFrames: 301, sampleRate: 48_000))
        #expect(kernel.playbackObservation().frames == 301)
        #expect(kernel.playbackObservation().periodInterrupts == 1)
    }

    @Test("timer latency: the sleeper wakes that much past its deadline")
    func timerLatency() throws {
        let kernel = makeKernel()
        kernel.setTimerLatency(.milliseconds(3))
        let timer = try kernel.timerCreate()
        let deadline = kernel.now + .milliseconds(10)
        try kernel.timerSet(timer, deadline: deadline)
        var set = pollfd(fd: timer.rawValue, events: Int16(POLLIN), revents: 0)
        #expect(try kernel.poll(&set, count: 1, timeout: nil) == 1)
        #expect(kernel.now == deadline + .milliseconds(3))
    }

    /// The device offers NO_PERIOD_WAKEUP (as HDA): with the flag, the DMA engine moves on without
    /// a single interrupt, hw_ptr stays where the last pointer update left it and poll never wakes;
    /// a HWSYNC (or a status) moves it.
    @Test("NO_PERIOD_WAKEUP granted: no period interrupt, hw_ptr moves only when asked")
    func noPeriodWakeupGranted() throws {
        let raw = try Self.runningPlayback(.explicitSync, flags: ALSA_HW_PARAMS_NO_PERIOD_WAKEUP)
        raw.kernel.advance(frames: 3 * Int(Self.period) + 10)
        var pull = try raw.syncPtr(flags: ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
        #expect(pull.s.status.hw_ptr == 0)
        var set = pollfd(fd: raw.fd.rawValue, events: Int16(POLLOUT), revents: 0)
        #expect(try raw.kernel.poll(&set, count: 1, timeout: .milliseconds(5)) == 0, "no interrupt makes room visible")
        pull = try raw.syncPtr(flags: ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
        #expect(pull.s.status.hw_ptr > 0)
        #expect(raw.kernel.playbackObservation().periodInterrupts == 0)
        #expect(raw.kernel.trace.contains { $0.hardwareParameterFlags == ALSA_HW_PARAMS_NO_PERIOD_WAKEUP })
    }

    /// snd-dummy and snd-aloop do not offer it: the kernel ignores the flag, the device interrupts.
    @Test("NO_PERIOD_WAKEUP where the device does not offer it: ignored, the interrupts go on")
    func noPeriodWakeupRefused() throws {
        let raw = try Self.runningPlayback(.dummy, flags: ALSA_HW_PARAMS_NO_PERIOD_WAKEUP)
        raw.kernel.advance(frames: 3 * Int(Self.period) + 10)
        let pull = try raw.syncPtr(flags: ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
        #expect(pull.s.status.hw_ptr == UInt(3 * Self.period))
        #expect(raw.kernel.playbackObservation().periodInterrupts == 3)
    }
}
