// AlsaSwift's side of the resampling benchmark (see Benchmarks/Resampling/anchors.c for the
// anchors' side and Benchmarks/Scripts/resampling.py for the figures). For each level and
// conversion it converts the input signals anchors.c wrote into OUTDIR, in 1024-frame chunks then
// `drain`, and writes the outputs beside the anchors'; then times stereo Float conversion (best of
// three passes over 10 s) and counts heap allocations per 256-frame period in a render-callback-
// like loop (inputFrames(forOutput:), process; adaptive: adjustRatio every period), then in a
// reset(), in as many periods after it, and in the drain, reading the LD_PRELOAD counter of
// Benchmarks/MallocCount when it is loaded. Prints
//   speed converter=NAME from=F to=T mframes=M
//   allocations converter=NAME from=F to=T periods=N count=C reset=R after-reset=A drain=D
//
//   resample-bench OUTDIR [speed|allocations]     (speed: the timing alone; allocations: the
//                                                  counting alone, OUTDIR unused)
import AlsaSwift
import Foundation

let conversions = [(44_100, 48_000), (48_000, 44_100), (96_000, 44_100)]
let signals = ["sine", "sweep", "multitone"]
let levels: [(name: String, quality: ResamplingQuality, adaptive: Bool)] =
    ResamplingQuality.all.map { ("alsaswift-\($0.name)", $0, false) } + [("alsaswift-adaptive", .standard, true)]
let chunk = 1024

let mode = CommandLine.arguments.count == 3 ? CommandLine.arguments[2] : ""
guard (2...3).contains(CommandLine.arguments.count), ["", "speed", "allocations"].contains(mode) else {
    FileHandle.standardError.write("usage: resample-bench OUTDIR [speed|allocations]\n".data(using: .utf8)!)
    exit(2)
}
let directory = CommandLine.arguments[1]
let speedOnly = mode == "speed", allocationsOnly = mode == "allocations"

/// The process's allocation counter, when Benchmarks/MallocCount is preloaded.
let mallocCount: (@convention(c) () -> UInt)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_count_calls") else { return nil }  // RTLD_DEFAULT
    return unsafeBitCast(symbol, to: (@convention(c) () -> UInt).self)
}()

func read(_ path: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

func write(_ samples: [Float], _ path: String) throws {
    try samples.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
}

/// The whole of `input` through a new resampler, chunk by chunk, then its drain.
func convert(_ input: [Float], channels: Int, from: Int, to: Int, level: (name: String, quality: ResamplingQuality, adaptive: Bool)) throws -> [Float] {
    let resampler = try Resampler(from: from, to: to, channelCount: channels, quality: level.quality, adaptive: level.adaptive,
                                  maximumFrames: chunk)
    let frames = input.count / channels
    var output = [Float](repeating: 0, count: (frames * to / from + 2 * chunk) * channels)
    var made = 0
    try input.withUnsafeBufferPointer { input in
        try output.withUnsafeMutableBufferPointer { output in
            var at = 0
            while at < frames {
                let n = min(chunk, frames - at)
                let room = resampler.outputFrames(forInput: n)
                let progress = try resampler.process(UnsafeBufferPointer(rebasing: input[(at * channels)..<((at + n) * channels)]),
                                                     into: UnsafeMutableBufferPointer(rebasing: output[(made * channels)..<((made + room) * channels)]))
                precondition(progress.consumed == n && progress.produced == room, "\(level.name) \(from)->\(to) at \(at): \(progress) for \(n) in, \(room) room, latency \(resampler.latency)")
                at += n
                made += room
            }
            while true {
                let got = try resampler.drain(into: UnsafeMutableBufferPointer(rebasing: output[(made * channels)...]))
                if got == 0 { break }
                made += got
            }
        }
    }
    return Array(output[..<(made * channels)])
}

for level in levels {
    for (from, to) in conversions {
        for signal in signals where mode == "" {
            let input = try read("\(directory)/input_\(from)_\(to)_\(signal).f32")
            try write(try convert(input, channels: 1, from: from, to: to, level: level), "\(directory)/\(level.name)_\(from)_\(to)_\(signal).f32")
        }
        // Speed: stereo Float, 10 s of a -1 dBFS sine, best of three (creation not timed).
        let frames = 10 * from
        var stereo = [Float](repeating: 0, count: frames * 2)
        for frame in 0..<frames {
            let value = Float(0.8912509381337456 * sin(2 * Double.pi * 1000 * Double(frame) / Double(from)))
            stereo[2 * frame] = value
            stereo[2 * frame + 1] = value
        }
        var best = Double.infinity
        for _ in 0..<(allocationsOnly ? 0 : 3) {
            let resampler = try Resampler(from: from, to: to, channelCount: 2, quality: level.quality, adaptive: level.adaptive, maximumFrames: chunk)
            var output = [Float](repeating: 0, count: (chunk * to / from + 2) * 2 * 2)
            let start = DispatchTime.now().uptimeNanoseconds
            try stereo.withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { output in
                    var at = 0
                    while at < frames {
                        let n = min(chunk, frames - at)
                        let room = resampler.outputFrames(forInput: n)
                        _ = try resampler.process(UnsafeBufferPointer(rebasing: input[(at * 2)..<((at + n) * 2)]),
                                                  into: UnsafeMutableBufferPointer(rebasing: output[..<(room * 2)]))
                        at += n
                    }
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        if !allocationsOnly { print("speed converter=\(level.name) from=\(from) to=\(to) mframes=\(String(format: "%.2f", Double(frames) / best / 1e6))") }

        // Allocations in a render-callback-like loop: 256-frame periods, after creation.
        if let mallocCount, !speedOnly {
            let period = 256, periods = 20_000
            let resampler = try Resampler(from: from, to: to, channelCount: 2, quality: level.quality, adaptive: level.adaptive, maximumFrames: chunk)
            var input = [Float](repeating: 0.1, count: chunk * 2), output = [Float](repeating: 0, count: period * 2)
            var count: UInt = 0, resetCount: UInt = 0, afterReset: UInt = 0, drainCount: UInt = 0
            try input.withUnsafeMutableBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { output in
                    func run(_ periods: Int) throws -> UInt {
                        let before = mallocCount()
                        for index in 0..<periods {
                            if level.adaptive { try resampler.adjustRatio(1 + 0.001 * sin(Double(index) * 0.01)) }
                            let needed = resampler.inputFrames(forOutput: period)
                            _ = try resampler.process(UnsafeBufferPointer(rebasing: input[..<(needed * 2)]), into: output)
                        }
                        return mallocCount() - before
                    }
                    count = try run(periods)
                    // A restart (an xrun's recovery), then as many periods again, counted apart.
                    var before = mallocCount()
                    resampler.reset()
                    resetCount = mallocCount() - before
                    afterReset = try run(periods)
                    before = mallocCount()
                    while try resampler.drain(into: output) > 0 {}
                    drainCount = mallocCount() - before
                }
            }
            print("allocations converter=\(level.name) from=\(from) to=\(to) periods=\(periods) count=\(count) reset=\(resetCount) after-reset=\(afterReset) drain=\(drainCount)")
        }
        fflush(nil)  // every stream: stdout is shared mutable state to Swift 6
    }
}
