import AlsaSimulation
import AlsaSwift
import ArgumentParser
import BenchmarkSupport
import Foundation

/// The AlsaSwift side of the benchmarks: the same period-by-period loop as the alsa-lib baseline
/// (Benchmarks/CBaseline/alsa_loop.c), S16_LE stereo at 48 kHz, 4 periods per buffer. Prints one
/// line of key=value pairs. With libmalloccount.so preloaded it counts heap allocations in the
/// steady window (after the warm-up periods), the same way the baseline does.
struct AlsaLoop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alsa-loop")

    /// The transport's own calls, as an app that drives a PCM itself makes them. (The streams and
    /// render threads are measured by `app-paths`.)
    enum Backend: String, ExpressibleByArgument { case direct, alsaLib = "alsa-lib" }
    enum Access: String, ExpressibleByArgument { case mmap, rw }
    enum Direction: String, ExpressibleByArgument { case playback, capture }

    @Argument(help: "hw:C,D, an alsa-lib name, `sim` (coherent) or `sim-explicit` (explicit sync).") var device: String = "sim"
    @Argument var access: Access = .mmap
    @Argument var direction: Direction = .playback
    @Argument var periods: Int = 1000
    @Option var backend: Backend = .direct
    @Option var warmup: Int = 8
    @Option var period: Int = 256
    @Flag var syncPtr = false
    @Option var seconds: Double?
    @Flag var stopOnXrun = false
    @Option(help: "Measure Float conversion throughput for this format instead (S16_LE, S24_3LE, S32_LE, FLOAT_LE).") var convert: String?
    @Option var samples: Int = 20_000_000

    func run() throws {
        if let convert { return try conversionThroughput(convert) }
        let total = seconds.map { Int($0 * 48_000 / Double(period)) } ?? periods
        let kernel: any KernelInterface
        var name = device
        switch device {
        case "sim":
            kernel = SimulatedKernel(card: 0, hardware: .dummy)
            name = "hw:0,0"
        case "sim-explicit":
            kernel = SimulatedKernel(card: 0, hardware: .explicitSync)
            name = "hw:0,0"
        default:
            kernel = LinuxKernel.shared
        }
        let options = PCMOpenOptions(forceSyncPtr: syncPtr ? .both : [], recovery: .automatic)
        let pcm = try PCMDevice.open(name, direction: direction == .playback ? .playback : .capture, options: options,
                                     transport: backend == .alsaLib || !(name.hasPrefix("hw:")) ? .alsaLib : .direct,
                                     kernel: kernel)
        let request = HardwareRequest(access: access == .mmap ? .mmapInterleaved : .readWriteInterleaved, format: .s16LE,
                                      channels: 2, rate: 48_000, periodSize: period, periodCount: 4)
        let sync = pcm.syncReport.strategy.map { "\($0)" } ?? "n/a"
        let result: (allocations: UInt?, xruns: Int)
        try pcm.configure(request)
        // The loop calls the concrete type's methods, as the baseline calls alsa-lib's functions:
        // the per-period figures are the library's, not the protocol dispatch's.
        if let direct = pcm as? KernelPCM {
            result = try transferLoop(direct, total: total)
        } else if let library = pcm as? AlsaLibPCM {
            result = try transferLoop(library, total: total)
        } else {
            result = try transferLoop(pcm, total: total)
        }
        print("side=alsaswift backend=\(backend.rawValue) periods=\(total) xruns=\(result.xruns) steady_allocations=\(result.allocations.map(String.init) ?? "n/a:0") sync=\"\(sync)\"")
    }

    /// Blocking transfers, one period at a time, as the baseline does. Generic, specialised for the
    /// two concrete handle types.
    func transferLoop<P: PCM>(_ pcm: P, total: Int) throws -> (UInt?, Int) {
        let frames = Int(period)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frames * 4, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        // Command-line values are copied out first: reading an ArgumentParser property costs a
        // generic metadata lookup, which would be counted as the library's.
        let playback = direction == .playback
        let mmap = access == .mmap
        let stopOnXrun = self.stopOnXrun
        let warmup = self.warmup
        let whole = UnsafeRawBufferPointer(buffer), wholeMutable = buffer
        if !playback { try pcm.start() }
        var before: UInt? = nil
        for i in 0..<(warmup + total) {
            if i == warmup {
                before = Allocations.count
                Window.start()
            }
            var left = frames
            while left > 0 {
                if mmap {
                    // poll returns at once while there is room (a prepared stream included), so no
                    // state query is needed: with SYNC_PTR records it would cost a call per period.
                    _ = try pcm.wait(timeoutMilliseconds: 1000)
                    let area = try pcm.beginTransfer(maxFrames: left)
                    let bytes = area.frames * 4
                    if playback {
                        area.interleaved.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: bytes)
                    } else {
                        buffer.baseAddress!.copyMemory(from: area.interleaved.baseAddress!, byteCount: bytes)
                    }
                    try pcm.commitTransfer(area.frames)
                    left -= area.frames
                } else if playback {
                    left -= try pcm.writeInterleaved(left == frames ? whole : UnsafeRawBufferPointer(rebasing: buffer[0..<(left * 4)]))
                } else {
                    left -= try pcm.readInterleaved(into: left == frames ? wholeMutable : UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(left * 4)]))
                }
            }
            if stopOnXrun && pcm.xrunCount > 0 { break }
        }
        Window.end()  // before reading the allocation counter, which is no part of a period
        let after = Allocations.count
        if playback { _ = try? pcm.drain(timeoutMilliseconds: 2000) }
        return (before.flatMap { b in after.map { $0 - b } }, pcm.xrunCount)
    }

    /// Float ↔ format conversion throughput, best of five rounds, in samples per second, for two
    /// layouts, the same as the baseline's: contiguous (one call over 8192 samples) and strided
    /// (two channels of an interleaved area, 4096 samples each, one call per channel).
    func conversionThroughput(_ name: String) throws {
        let formats: [String: SampleFormat] = ["S16_LE": .s16LE, "S24_3LE": .s24_3LE, "S32_LE": .s32LE, "FLOAT_LE": .floatLE,
                                               "S24_LE": .s24LE, "U8": .u8]
        guard let format = formats[name] else { throw ValidationError("unknown format \(name)") }
        let chunk = 8192
        // The samples page-aligned and the device bytes half a page further modulo 4 KB. Two 32 KB
        // heap blocks side by side (as before) put the destination 16 bytes past the source modulo
        // 4 KB, and a copy then stalls on 4K aliasing (a load whose low 12 address bits match a
        // pending store's): memcpy of 32 KB measured 24.8 G floats/s there, 41.3 G half a page
        // apart (BENCHMARKS.md). The baseline's buffers are alsa-lib's and its own malloc's.
        let floatStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 4, alignment: 4096)
        let floats = floatStorage.bindMemory(to: Float.self)
        let byteStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 4 + 2048, alignment: 4096)
        let bytes = UnsafeMutableRawBufferPointer(rebasing: byteStorage[2048...])
        defer { floatStorage.deallocate(); byteStorage.deallocate() }
        // The baseline's values: a ramp over [-1, 1).
        for i in 0..<chunk { floats[i] = Float(i % 2000 - 1000) / 1000 }
        let width = format.physicalBits! / 8
        let rounds = samples / chunk
        let half = chunk / 2
        let left = UnsafeMutableBufferPointer(rebasing: floats[0..<half]), right = UnsafeMutableBufferPointer(rebasing: floats[half...])
        let base = bytes.baseAddress!
        let area = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(chunk * width)])
        for contiguous in [true, false] {
            var best = (encode: Double.infinity, decode: Double.infinity)
            for _ in 0..<5 {
                var start = ContinuousClock.now
                for _ in 0..<rounds {
                    if contiguous {
                        try SampleConversion.encode(UnsafeBufferPointer(floats), as: format, into: area)
                    } else {
                        try SampleConversion.encode(UnsafeBufferPointer(left), as: format, to: base, strideBytes: 2 * width)
                        try SampleConversion.encode(UnsafeBufferPointer(right), as: format, to: base + width, strideBytes: 2 * width)
                    }
                }
                best.encode = min(best.encode, seconds(ContinuousClock.now - start))
                start = ContinuousClock.now
                for _ in 0..<rounds {
                    if contiguous {
                        try SampleConversion.decode(UnsafeRawBufferPointer(area), as: format, into: floats)
                    } else {
                        try SampleConversion.decode(from: base, strideBytes: 2 * width, as: format, into: left)
                        try SampleConversion.decode(from: base + width, strideBytes: 2 * width, as: format, into: right)
                    }
                }
                best.decode = min(best.decode, seconds(ContinuousClock.now - start))
            }
            let n = Double(rounds * chunk)
            print(String(format: "format=%@ layout=%@ samples=%d from_float_per_s=%.0f to_float_per_s=%.0f", name,
                         contiguous ? "contiguous" : "strided", rounds * chunk, n / best.encode, n / best.decode))
        }
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

AlsaLoop.main()
