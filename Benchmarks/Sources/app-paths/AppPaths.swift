import AlsaSimulation
import AlsaSwift
import ArgumentParser
import BenchmarkSupport
import Dispatch

/// What an app pays for sound on each of AlsaSwift's app-facing paths, taken through the public API
/// only: a stream or render thread opened by name, with a counting kernel passed as its `kernel:`.
/// Plays zeros (or captures and discards) one period per call, S16_LE stereo (`Float` samples
/// converted, or with the `-raw` paths S16_LE frames copied as they are), and prints one line
/// of key=value pairs: the window's counts (after the warm-up, up to the last period, before any
/// drain), read at exact points (between two calls, or inside the render callback), so each figure
/// divides by a whole number of periods. CPU time is the caller's to take (Scripts/benchmarks:
/// rusage of this process, a long run less a short one).
@main
struct AppPaths: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app-paths",
        abstract: "Counts what each app-facing path of AlsaSwift costs per period (transfers, waits, conversions, allocations).")

    enum Path: String, ExpressibleByArgument, CaseIterable {
        case write, writeBlocking = "write-blocking", read, readBlocking = "read-blocking"
        /// The blocking paths with raw S16_LE frames (`writeBlocking(rawFrames:)`, `readBlocking(rawFramesInto:)`):
        /// copied, not converted, as aplay and arecord move them.
        case writeBlockingRaw = "write-blocking-raw", readBlockingRaw = "read-blocking-raw"
        case renderPlayback = "render-playback", renderCapture = "render-capture"

        var direction: StreamDirection {
            [.write, .writeBlocking, .writeBlockingRaw, .renderPlayback].contains(self) ? .playback : .capture
        }
    }

    enum Access: String, ExpressibleByArgument { case mmap, rw }
    enum Transport: String, ExpressibleByArgument { case direct, alsaLib = "alsa-lib" }

    @Argument(help: "The device's ALSA name, e.g. hw:0,0; `sim` or `sim-explicit`: hw:0,0 of a simulated kernel (coherent, or explicit sync).")
    var device: String
    @Argument(help: "write, write-blocking, write-blocking-raw, read, read-blocking, read-blocking-raw, render-playback or render-capture.")
    var path: Path
    @Option(help: "mmap or rw: the access the stream must get.") var access: Access = .rw
    @Option(help: "direct (the kernel ioctl transport) or alsa-lib.") var transport: Transport = .direct
    @Option(help: "Audio to move, in seconds (the warm-up included); overrides --periods.") var seconds: Double?
    @Option(help: "Periods in the measured window, after the warm-up.") var periods: Int = 1000
    @Option(help: "Periods before the window opens.") var warmup: Int = 16
    @Option(help: "Frames per period.") var period: Int = 1024
    @Option(help: "Periods per buffer.") var periodsPerBuffer: Int = 4
    @Option(help: "Render threads: ask for SCHED_FIFO at this priority.") var realtime: Int32?
    @Flag(help: "async paths: run the task on the global executor instead of the stream's.") var globalExecutor = false
    @Flag(help: "Direct transport: move the status and control records with SYNC_PTR even where they can be mapped (the PCM is opened with PCMDevice.open and handed to the stream or render thread).")
    var syncPtr = false

    static let rate = 48_000
    static let channels = 2

    func validate() throws {
        guard (16...65_536).contains(period) else { throw ValidationError("--period must be 16 to 65536 frames") }
        guard (2...64).contains(periodsPerBuffer) else { throw ValidationError("--periods-per-buffer must be 2 to 64") }
        guard (4...100_000).contains(warmup) else { throw ValidationError("--warmup must be 4 to 100000 periods") }
        if let seconds {
            guard seconds.isFinite, seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be more than 0 and at most 3600") }
            guard windowPeriods >= 1 else { throw ValidationError("--seconds \(seconds) leaves no period after the warm-up") }
        } else {
            guard (1...10_000_000).contains(periods) else { throw ValidationError("--periods must be 1 to 10000000") }
        }
        if let realtime { guard (1...99).contains(realtime) else { throw ValidationError("--realtime must be 1 to 99") } }
        if syncPtr && transport != .direct { throw ValidationError("--sync-ptr is for the direct transport") }
    }

    /// Periods measured: `periods`, or what `seconds` holds beyond the warm-up.
    var windowPeriods: Int {
        guard let seconds else { return periods }
        return Int(seconds * Double(Self.rate) / Double(period)) - warmup
    }

    func run() throws {
        var device = self.device
        let kernel: SeamCounter
        switch device {
        case "sim", "sim-explicit":
            kernel = SeamCounter(SimulatedKernel(card: 0, hardware: device == "sim" ? .dummy : .explicitSync))
            device = "hw:0,0"
        default:
            kernel = SeamCounter()
        }
        let request = StreamRequest(sampleRate: Self.rate, channelCount: Self.channels,
                                    latency: .nanoseconds((Int64(period * periodsPerBuffer) * 1_000_000_000 + Int64(Self.rate) - 1) / Int64(Self.rate)),
                                    periodCount: periodsPerBuffer, formats: [.s16LE], preferMmap: access == .mmap)
        let choice: PCMDevice.TransportChoice = transport == .direct ? .direct : .alsaLib
        _ = Allocations.count  // resolves the counter before any window
        let run = PathRun(kernel: kernel, warmup: warmup, window: windowPeriods)
        // With SYNC_PTR forced, the app opens the PCM itself and hands it over.
        let pcm = syncPtr ? try PCMDevice.open(device, direction: path.direction, options: PCMOpenOptions(forceSyncPtr: .both),
                                               transport: choice, kernel: kernel) : nil
        let priority: RenderThread.Priority = realtime.map { .realtime($0) } ?? .normal
        let outcome: PathRun.Outcome
        switch path {
        case .write, .writeBlocking, .writeBlockingRaw:
            let stream = try pcm.map { try PlaybackStream(pcm: $0, request: request) }
                ?? PlaybackStream(device: device, request: request, transport: choice, kernel: kernel)
            try check(stream.configuration)
            switch path {
            case .write: outcome = try run.write(stream, globalExecutor: globalExecutor)
            case .writeBlockingRaw: outcome = try run.writeBlockingRaw(stream)
            default: outcome = try run.writeBlocking(stream)
            }
        case .read, .readBlocking, .readBlockingRaw:
            let stream = try pcm.map { try CaptureStream(pcm: $0, request: request) }
                ?? CaptureStream(device: device, request: request, transport: choice, kernel: kernel)
            try check(stream.configuration)
            switch path {
            case .read: outcome = try run.read(stream, globalExecutor: globalExecutor)
            case .readBlockingRaw: outcome = try run.readBlockingRaw(stream)
            default: outcome = try run.readBlocking(stream)
            }
        case .renderPlayback, .renderCapture:
            if let pcm {
                try pcm.configure(HardwareRequest(access: access == .mmap ? .mmapInterleaved : .readWriteInterleaved, format: .s16LE,
                                                  channelCount: Self.channels, sampleRate: Self.rate, periodSize: period, periodCount: periodsPerBuffer))
                outcome = try run.render(.pcm(pcm), priority: priority, check: check)
            } else {
                outcome = try run.render(.named(device, path.direction, request, choice), priority: priority, check: check)
            }
        }
        print(line(outcome))
    }

    /// Refuses a configuration other than the one measured: the figures would be another path's.
    func check(_ configuration: StreamConfiguration) throws {
        let setup = configuration.setup
        let accessGot = setup.access.isMmap ? Access.mmap : .rw
        guard accessGot == access, setup.periodSize == period, setup.bufferSize == period * periodsPerBuffer, setup.format == .s16LE else {
            throw Refused(description: "the device granted \(configuration), not \(access) S16_LE with \(period)-frame periods, \(periodsPerBuffer) per buffer")
        }
    }

    func line(_ outcome: PathRun.Outcome) -> String {
        let w = outcome.window
        // The kernel's count of frames moved: what WRITEI/READI reported, else how far the application
        // pointer moved (mmap); n/a on the alsa-lib transport, whose calls the seam does not see.
        let kernelFrames = w.seam.writei + w.seam.readi > 0 ? "\(w.seam.transferredFrames)" : w.applicationFrames.map(String.init) ?? "n/a"
        return [
            "path=\(path.rawValue)", "transport=\(transport.rawValue)", "access=\(access.rawValue)", "device=\(device)",
            "period=\(period)", "buffer=\(period * periodsPerBuffer)", "window_periods=\(windowPeriods)",
            "frames=\(w.frames.map(String.init) ?? "n/a")", "transfers=\(w.transfers.map(String.init) ?? "n/a")",
            "waits=\(w.waits.map(String.init) ?? "n/a")", "converted=\(w.converted.map(String.init) ?? "n/a")",
            "callbacks=\(w.callbacks.map(String.init) ?? "n/a")", "kernel_frames=\(kernelFrames)",
            "writei=\(w.seam.writei)", "readi=\(w.seam.readi)", "sync_ptr=\(w.seam.syncPtr)", "commits=\(w.seam.commits)",
            "hwsync=\(w.seam.hwsync)", "ioctls=\(w.seam.ioctls)", "polls=\(w.seam.polls)",
            "steady_allocations=\(w.allocations.map(String.init) ?? "n/a:0")", "xruns=\(outcome.xruns)",
            "total_frames=\(outcome.totalFrames)",
        ].joined(separator: " ")
    }
}

/// A run that cannot measure what was asked.
struct Refused: Error, CustomStringConvertible {
    var description: String
}
