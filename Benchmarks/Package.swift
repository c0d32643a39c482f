// swift-tools-version: 6.1
// AlsaSwift's benchmarks, a package of their own so the library's build stays lean. See
// BENCHMARKS.md and Scripts/benchmarks, which runs them beside alsa-lib's figures.
import PackageDescription

let package = Package(
    name: "AlsaSwiftBenchmarks",
    dependencies: [
        .package(name: "AlsaSwift", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // What every benchmark loop shares: the window's markers and the allocation counter.
        .target(name: "BenchmarkSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        // The anchor for conversion throughput: plain C loops of the same rule, built for the machine
        // that runs them (every vector instruction it has), which the library itself cannot be.
        .target(
            name: "ConversionLoop",
            path: "CConversionLoop",
            cSettings: [.unsafeFlags(["-O3", "-march=native"])]
        ),
        // The AlsaSwift side of the transport's per-period measurements: the same loop as
        // CBaseline/alsa_loop.c.
        .executableTarget(
            name: "period-bench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AlsaSwift", package: "AlsaSwift"),
                .product(name: "AlsaSimulation", package: "AlsaSwift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "ConversionLoop",
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The app-facing paths (streams and render threads) through the public API, with a
        // counting kernel passed as their `kernel:`.
        .executableTarget(
            name: "app-paths",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AlsaSwift", package: "AlsaSwift"),
                .product(name: "AlsaSimulation", package: "AlsaSwift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // MIDI write-to-read latency through virmidi and the sequencer, beside the same paths
        // through alsa-lib (CBaseline/midi_latency.c), in the rig (Rig/measure-midi-latency).
        .executableTarget(
            name: "midi-latency",
            dependencies: [
                .product(name: "AlsaSwift", package: "AlsaSwift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Heap allocations and time per MIDI message through the public API, on the simulated
        // kernel (its own allocations bracketed and taken off).
        .executableTarget(
            name: "midi-alloc",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "AlsaSwift", package: "AlsaSwift"),
                .product(name: "AlsaSimulation", package: "AlsaSwift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // AlsaSwift's Resampler beside soxr, libsamplerate, speexdsp and alsa-lib's rate plugin
        // (Benchmarks/Resampling/anchors.c); Benchmarks/Scripts/resampling.py makes the table.
        .executableTarget(
            name: "resample-bench",
            dependencies: [.product(name: "AlsaSwift", package: "AlsaSwift")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
