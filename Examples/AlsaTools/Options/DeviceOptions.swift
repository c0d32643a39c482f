import AlsaSimulation
import AlsaSwift
import ArgumentParser
import Foundation

/// How every tool names and opens a device.
package struct DeviceOptions: ParsableArguments, Sendable {
    @Option(name: [.customShort("D"), .long], help: "An ALSA PCM name (default, plughw:1,0, hw:0,0…), or sim for the simulated machine's explicit-sync card (sim:hw:1,0 for its coherent card).")
    package var device: String = "default"

    @Option(help: "auto (hw: names on AlsaSwift's direct kernel transport, others on alsa-lib), alsa-lib or direct.")
    package var transport: TransportName = .auto

    @Flag(help: "Exchange the status and control records through SYNC_PTR even where the kernel would map them (direct transport).")
    package var forceSyncPtr = false

    @Flag(help: "Move samples through the mmapped buffer (begin/commit) instead of read/write calls.")
    package var mmap = false

    // Numbers are taken as they come (`.unconditional`), so that a negative one is refused with a
    // reason rather than read as an option.
    @Option(parsing: .unconditional, help: "Frames per period, 1 to 4294967295.")
    package var period: Int?

    @Option(parsing: .unconditional, help: "Frames in the ring buffer, 1 to 4294967295.")
    package var buffer: Int?

    @Option(parsing: .unconditional, help: "Buffer length in milliseconds (1 to 60000), when --buffer is not given; with --timer, the most audio kept queued ahead of the device.")
    package var latency: Int?

    @Flag(help: "Sleep on a timer with the deepest buffer the device allows (up to 2 s), with no period interrupts where the device can turn them off, and print the wakeups per second on exit (and the latency kept, where xruns raised it). Samples pass through Float.")
    package var timer = false

    package init() {}

    package enum TransportName: String, ExpressibleByArgument, Sendable, CaseIterable {
        case auto
        case alsaLib = "alsa-lib"
        case direct

        var choice: PCMDevice.TransportChoice {
            switch self {
            case .auto: .automatic
            case .alsaLib: .alsaLib
            case .direct: .direct
            }
        }
    }

    package func validate() throws {
        for (name, frames) in [("--period", period), ("--buffer", buffer)] {
            if let frames, !ToolLimits.frameCounts.contains(frames) {
                throw ValidationError("\(name) \(frames) is out of range (\(ToolLimits.frameCounts.lowerBound) to \(ToolLimits.frameCounts.upperBound) frames)")
            }
        }
        if let latency, latency < 1 { throw ValidationError("--latency \(latency) is out of range (1 to \(ToolLimits.maximumLatencyMilliseconds) ms)") }
        if let latency, latency > ToolLimits.maximumLatencyMilliseconds {
            throw ValidationError("--latency \(latency) ms is longer than any device buffers (at most \(ToolLimits.maximumLatencyMilliseconds) ms)")
        }
        if timer && (period != nil || buffer != nil) {
            throw ValidationError("--timer chooses the period and the buffer itself: give --latency for a target, not --period or --buffer")
        }
        if transport == .alsaLib && isSimulated { throw ValidationError("the simulated machine has no alsa-lib transport") }
        if forceSyncPtr && transport == .alsaLib { throw ValidationError("--force-sync-ptr applies to the direct transport only") }
    }

    /// Whether `--device` names the simulated machine (`sim`, `sim:hw:1,0`).
    package var isSimulated: Bool { SimulatedMachine.names(device) }

    /// Opens the device: a device of the simulated machine for `sim` and `sim:hw:…` (the simulated
    /// kernel is returned so the tool can read the device-side checksum), else the name on the
    /// chosen transport.
    package func open(_ direction: StreamDirection, nonBlocking: Bool = false) throws(AlsaError) -> OpenedDevice {
        let options = PCMOpenOptions(nonBlocking: nonBlocking, forceSyncPtr: forceSyncPtr ? .both : [], recovery: .automatic)
        if let name = SimulatedMachine.hardwareName(for: device) {
            let kernel = SimulatedMachine.make()
            let pcm = try PCMDevice.open(name, direction: direction, options: options, transport: .direct, kernel: kernel)
            return OpenedDevice(pcm: pcm, simulator: kernel)
        }
        return OpenedDevice(pcm: try PCMDevice.open(device, direction: direction, options: options, transport: transport.choice), simulator: nil)
    }

    /// A request for `format`, `channelCount` and `sampleRate` with this command line's access and sizes.
    /// A buffer derived from a time holds at least `ToolLimits.smallestBuffer` frames, so that at a
    /// low rate (100 ms at 9 Hz is not one frame) the request still asks for one the device can
    /// weigh, and the device's answer says which rates it plays.
    package func request(format: SampleFormat, channelCount: UInt32, sampleRate: UInt32) -> HardwareRequest {
        let (channels, rate) = (channelCount, sampleRate)
        var bufferSize = buffer
        // Clamped: at a rate in the GHz even the bounded latency holds more frames than a UInt32;
        // the device then grants its largest buffer. Validation keeps the latency within a minute.
        if bufferSize == nil, let latency {
            let frames = UInt64(clamping: latency) * UInt64(rate) / 1000
            bufferSize = max(Int(UInt32(clamping: frames)), ToolLimits.smallestBuffer)
        }
        if bufferSize == nil && period == nil { bufferSize = max(Int(rate / 10), ToolLimits.smallestBuffer) }  // 100 ms unless told
        let periodSize = period ?? bufferSize.map { max($0 / 4, 1) }
        return HardwareRequest(access: mmap ? .mmapInterleaved : .readWriteInterleaved, format: format, channelCount: Int(channels),
                               sampleRate: Int(rate), periodSize: periodSize, bufferSize: bufferSize)
    }
}

extension DeviceOptions {
    /// The stream request of `--timer` for `channelCount` at `sampleRate`: the first of `formats`
    /// the device offers, mmap if asked, and `--latency` as the latency target (none: the whole buffer).
    package func timerRequest(formats: [SampleFormat], channelCount: Int, sampleRate: Int) -> StreamRequest {
        StreamRequest(sampleRate: sampleRate, channelCount: channelCount, formats: formats, preferMmap: mmap,
                      scheduling: .timer(latency: latency.map { .milliseconds($0) }))
    }
}

/// How often a timer-scheduled stream woke: the figure `--timer` prints on exit.
package struct WakeupReport: Sendable, CustomStringConvertible {
    /// Times the stream slept and woke (`TransferStatistics.waits`).
    package var wakeups: Int
    /// Seconds of audio the stream moved meanwhile.
    package var seconds: Double
    /// What paced the device: whether its period interrupts stayed on.
    package var periodWakeups: Bool
    /// When xruns raised the stream's latency: the fill target it negotiated and the one it kept
    /// at the end, in milliseconds; nil when it kept the one asked for.
    package var latencyRaise: (asked: Double, kept: Double)? = nil

    package var description: String {
        let perSecond = seconds > 0 ? Double(wakeups) / seconds : 0
        return "timer: \(wakeups) wakeups in \(String(format: "%.1f", seconds)) s of audio (\(String(format: "%.2f", perSecond))/s), "
            + (periodWakeups ? "period interrupts left on (the device cannot turn them off)" : "no period interrupts")
            + (latencyRaise.map { String(format: ", latency raised by xruns from %.1f ms to %.1f ms", $0.asked, $0.kept) } ?? "")
    }

    /// The raise `status` reports (`StreamStatus.fillTargetFrames`) against the fill target of
    /// `schedule`, both in frames at the device's `sampleRate`; nil when there was none.
    package static func latencyRaise(_ status: StreamStatus?, schedule: TimerSchedule?, sampleRate: Int) -> (asked: Double, kept: Double)? {
        guard let schedule, let kept = status?.fillTargetFrames, kept != schedule.fillTarget, sampleRate > 0 else { return nil }
        return (1000 * Double(schedule.fillTarget) / Double(sampleRate), 1000 * Double(kept) / Double(sampleRate))
    }
}

/// An opened PCM, and the simulated kernel behind it when the device is `sim`.
package struct OpenedDevice {
    package let pcm: any PCM
    package let simulator: SimulatedKernel?
}
