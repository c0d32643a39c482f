import AlsaSimulation
import AlsaSwift
import ArgumentParser
import BenchmarkSupport
import ConversionLoop
import Foundation

/// The AlsaSwift side of the benchmarks: the same period-by-period loop as the alsa-lib baseline
/// (Benchmarks/CBaseline/alsa_loop.c), S16_LE stereo at 48 kHz, 4 periods per buffer. Prints one
/// line of key=value pairs. With libmalloccount.so preloaded it counts heap allocations in the
/// steady window (after the warm-up periods), the same way the baseline does.
struct AlsaLoop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "period-bench")

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
    @Option(help: "Measure Float conversion throughput for this format instead (its ALSA name: S16_LE, S24_3LE, FLOAT64_BE...), beside the C loop.") var convert: String?
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
                                      channelCount: 2, sampleRate: 48_000, periodSize: period, periodCount: 4)
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
                    _ = try pcm.wait(timeout: .milliseconds(1000))
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
        if playback { _ = try? pcm.drain(timeout: .milliseconds(2000)) }
        return (before.flatMap { b in after.map { $0 - b } }, pcm.xrunCount)
    }

    /// Float ↔ format conversion throughput in samples per second, AlsaSwift's beside the C loop's
    /// (Benchmarks/CConversionLoop: the same rule, -O3 -march=native), for two layouts, the same as
    /// the alsa-lib baseline's: contiguous (one call over 8192 samples) and strided (two channels of an
    /// interleaved area, 4096 samples each, one call per channel). Each of five rounds times the four
    /// runs (each side, each direction) back to back, in alternating order, on the same buffers, so
    /// that a pair sees the same machine; each figure is its best round. Time is this thread's CPU
    /// time, as alsa_loop.c measures alsa-lib's: on a shared host a run of a few milliseconds is
    /// often descheduled, and wall time would count the other processes' turns. Before timing, the
    /// two sides must agree bit for bit.
    func conversionThroughput(_ name: String) throws {
        let formats: [String: SampleFormat] = ["S8": .s8, "U8": .u8, "S16_LE": .s16LE, "S16_BE": .s16BE, "U16_LE": .u16LE,
                                               "U16_BE": .u16BE, "S24_LE": .s24LE, "S24_BE": .s24BE, "S24_3LE": .s24_3LE,
                                               "S24_3BE": .s24_3BE, "S32_LE": .s32LE, "S32_BE": .s32BE, "FLOAT_LE": .floatLE,
                                               "FLOAT_BE": .floatBE, "FLOAT64_LE": .float64LE, "FLOAT64_BE": .float64BE]
        guard let format = formats[name] else { throw ValidationError("unknown format \(name)") }
        try requireSameRule(format)
        let chunk = 8192
        let width = format.physicalBits! / 8
        // The samples page-aligned and the device bytes half a page further modulo 4 KB. Two 32 KB
        // heap blocks side by side (as before) put the destination 16 bytes past the source modulo
        // 4 KB, and a copy then stalls on 4K aliasing (a load whose low 12 address bits match a
        // pending store's): memcpy of 32 KB measured 24.8 G floats/s there, 41.3 G half a page
        // apart (BENCHMARKS.md). The baseline's buffers are alsa-lib's and its own malloc's.
        let floatStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 4, alignment: 4096)
        let floats = floatStorage.bindMemory(to: Float.self)
        let byteStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * width + 2048, alignment: 4096)
        let bytes = UnsafeMutableRawBufferPointer(rebasing: byteStorage[2048...])
        defer { floatStorage.deallocate(); byteStorage.deallocate() }
        // The baseline's values: a ramp over [-1, 1).
        for i in 0..<chunk { floats[i] = Float(i % 2000 - 1000) / 1000 }
        let rounds = samples / chunk
        let half = chunk / 2
        let left = UnsafeMutableBufferPointer(rebasing: floats[0..<half]), right = UnsafeMutableBufferPointer(rebasing: floats[half...])
        let base = bytes.baseAddress!
        let area = UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(chunk * width)])
        let code = format.rawValue
        for contiguous in [true, false] {
            // One run: side 0 is AlsaSwift, 1 the C loop; direction 0 encodes, 1 decodes.
            func run(side: Int, decoding: Bool) throws {
                for _ in 0..<rounds {
                    switch (side, decoding, contiguous) {
                    case (0, false, true):
                        try SampleConversion.encode(UnsafeBufferPointer(floats), as: format, into: area)
                    case (0, false, false):
                        try SampleConversion.encode(UnsafeBufferPointer(left), as: format, to: base, strideBytes: 2 * width)
                        try SampleConversion.encode(UnsafeBufferPointer(right), as: format, to: base + width, strideBytes: 2 * width)
                    case (0, true, true):
                        try SampleConversion.decode(UnsafeRawBufferPointer(area), as: format, into: floats)
                    case (0, true, false):
                        try SampleConversion.decode(from: base, strideBytes: 2 * width, as: format, into: left)
                        try SampleConversion.decode(from: base + width, strideBytes: 2 * width, as: format, into: right)
                    case (_, false, true):
                        conversion_loop_encode(code, floats.baseAddress, base, chunk, width)
                    case (_, false, false):
                        conversion_loop_encode(code, left.baseAddress, base, half, 2 * width)
                        conversion_loop_encode(code, right.baseAddress, base + width, half, 2 * width)
                    case (_, true, true):
                        conversion_loop_decode(code, base, width, floats.baseAddress, chunk)
                    case (_, true, false):
                        conversion_loop_decode(code, base, 2 * width, left.baseAddress, half)
                        conversion_loop_decode(code, base + width, 2 * width, right.baseAddress, half)
                    }
                }
            }
            // best[side][direction]
            var best = [[Double]](repeating: [.infinity, .infinity], count: 2)
            for round in 0..<5 {
                for decoding in [false, true] {
                    for side in (round % 2 == 0 ? [0, 1] : [1, 0]) {
                        let start = threadSeconds()
                        try run(side: side, decoding: decoding)
                        best[side][decoding ? 1 : 0] = min(best[side][decoding ? 1 : 0], threadSeconds() - start)
                    }
                }
            }
            let n = Double(rounds * chunk)
            print(String(format: "format=%@ layout=%@ samples=%d from_float_per_s=%.0f to_float_per_s=%.0f c_from_float_per_s=%.0f c_to_float_per_s=%.0f",
                         name, contiguous ? "contiguous" : "strided", rounds * chunk,
                         n / best[0][0], n / best[0][1], n / best[1][0], n / best[1][1]))
        }
    }

    /// The C loop is an anchor only if it computes what AlsaSwift does: both encode the edge values
    /// (NaN, infinities, ±1 and beyond, rounding ties of every width) and a ramp, and decode
    /// pseudo-random bytes, contiguous and strided, and must agree bit for bit.
    func requireSameRule(_ format: SampleFormat) throws {
        let width = format.physicalBits! / 8
        var values: [Float] = [0, -0.0, 1, -1, 1.5, -1.5, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               1 - 0x1p-24, -1 - 0x1p-23, .leastNonzeroMagnitude, 0x1p-126]
        for bits in [8, 16, 24, 32] {
            let step = Float(sign: .plus, exponent: -(bits - 1), significand: 1)
            for k in -4...4 { values += [(Float(k) + 0.5) * step, (1 - Float(k) * step) - step / 2, -1 + (Float(k) + 0.5) * step] }
        }
        values += (0..<4000).map { Float($0 - 2000) / 1999 }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let random = (0..<(4096 * width)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for stride in [width, 2 * width + 1] {
            var ours = [UInt8](repeating: 0, count: values.count * stride), theirs = ours
            try values.withUnsafeBufferPointer { input in
                try ours.withUnsafeMutableBytes { try SampleConversion.encode(input, as: format, to: $0.baseAddress!, strideBytes: stride) }
                theirs.withUnsafeMutableBytes { _ = conversion_loop_encode(format.rawValue, input.baseAddress, $0.baseAddress, input.count, stride) }
            }
            guard ours == theirs else { throw ValidationError("\(format): the C loop encodes differently (stride \(stride))") }
            let count = random.count / stride
            var decoded = [Float](repeating: 0, count: count), decodedC = decoded
            try random.withUnsafeBytes { raw in
                try decoded.withUnsafeMutableBufferPointer { try SampleConversion.decode(from: raw.baseAddress!, strideBytes: stride, as: format, into: $0) }
                decodedC.withUnsafeMutableBufferPointer { _ = conversion_loop_decode(format.rawValue, raw.baseAddress, stride, $0.baseAddress, count) }
            }
            guard decoded.map(\.bitPattern) == decodedC.map(\.bitPattern) else {
                throw ValidationError("\(format): the C loop decodes differently (stride \(stride))")
            }
        }
    }

    /// The calling thread's CPU time.
    func threadSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

AlsaLoop.main()
