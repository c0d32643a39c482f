// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "AlsaSwift",
    products: [
        .library(name: "AlsaSwift", targets: ["AlsaSwift"]),
        .library(name: "AlsaSimulation", targets: ["AlsaSimulation"]),
        .library(name: "AlsaSwiftFiles", targets: ["AlsaSwiftFiles"]),
        .executable(name: "alsa-play", targets: ["alsa-play"]),
        .executable(name: "alsa-record", targets: ["alsa-record"]),
        .executable(name: "alsa-tone", targets: ["alsa-tone"]),
        .executable(name: "alsa-info", targets: ["alsa-info"]),
        .executable(name: "alsa-mixer", targets: ["alsa-mixer"]),
        .executable(name: "alsa-midi", targets: ["alsa-midi"]),
        .executable(name: "alsa-loop", targets: ["alsa-loop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // alsa-lib, for named devices (default, plughw:, dmix...). Its headers cannot share a
        // translation unit with the kernel UAPI, so each gets a Clang module of its own.
        .systemLibrary(
            name: "CAlsa",
            pkgConfig: "alsa",
            providers: [.apt(["libasound2-dev"])]
        ),
        // soxr, the sample-rate converter behind Resampler (Sources/AlsaSwift/Resampling).
        .systemLibrary(
            name: "CSoxr",
            pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]
        ),
        // The kernel PCM ABI (<sound/asound.h>): ioctl numbers, mmap offsets and field accessors
        // that Swift cannot import from function-like macros and bitfield arrays.
        .target(name: "CAlsaKernel"),
        // A C handler for alsa-lib's variadic error callback, so its messages reach AlsaError
        // instead of stderr.
        .target(name: "CAlsaSupport", dependencies: ["CAlsa"]),
        // SampleConversion's loops, built once per x86-64 level (baseline to AVX-512) and bound to
        // the best one the CPU runs when the program starts: Swift compiles for the baseline only.
        .target(name: "CSampleConversion"),
        .target(
            name: "AlsaSwift",
            dependencies: [
                "CAlsa",
                "CAlsaKernel",
                "CAlsaSupport",
                "CSoxr",
                "CSampleConversion",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A simulated kernel behind the same syscall seam the real transport uses.
        .target(
            name: "AlsaSimulation",
            dependencies: [
                "AlsaSwift",
                "CAlsaKernel",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Audio files for apps: WAV read and written as the file's own samples or as Float.
        .target(
            name: "AlsaSwiftFiles",
            dependencies: [
                "AlsaSwift",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The example tools: the commands and what they share. Each executable is a thin
        // main over its command, so the tests can drive the commands in-process.
        .target(
            name: "AlsaTools",
            dependencies: [
                "AlsaSwift",
                "AlsaSimulation",
                "AlsaSwiftFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Examples/AlsaTools",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(name: "alsa-play", dependencies: ["AlsaTools"], path: "Examples/alsa-play",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "alsa-record", dependencies: ["AlsaTools"], path: "Examples/alsa-record",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "alsa-tone", dependencies: ["AlsaTools"], path: "Examples/alsa-tone",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "alsa-info", dependencies: ["AlsaTools"], path: "Examples/alsa-info",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "alsa-mixer", dependencies: ["AlsaTools"], path: "Examples/alsa-mixer",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "alsa-midi", dependencies: ["AlsaTools"], path: "Examples/alsa-midi",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "alsa-loop", dependencies: ["AlsaTools"], path: "Examples/alsa-loop",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        // The example apps a new user writes from the README and the DocC articles, on the public
        // products only (and the options they share); ExampleAppTests runs each with --simulated.
        .target(name: "ExampleAppOptions", dependencies: ["AlsaSimulation", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Examples/ExampleAppOptions", swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "level-meter", dependencies: ["AlsaSwift", "AlsaSimulation", "ExampleAppOptions",
                                                                 .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/level-meter",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "pass-through", dependencies: ["AlsaSwift", "AlsaSimulation", "ExampleAppOptions",
                                                                 .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/pass-through",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "volume-watch", dependencies: ["AlsaSwift", "AlsaSimulation", "ExampleAppOptions",
                                                                 .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/volume-watch",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "play-file", dependencies: ["AlsaSwift", "AlsaSwiftFiles", "AlsaSimulation",
                                                               .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/play-file",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "sync-report", dependencies: ["AlsaSwift", "AlsaSimulation", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/sync-report",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        // Top-level code awaiting a stream's write: run by TopLevelAwaitTests.
        .executableTarget(name: "top-level-await", dependencies: ["AlsaSwift", "AlsaSimulation",
                                                                  .product(name: "SystemPackage", package: "swift-system")],
                          path: "Tests/TopLevelAwait", swiftSettings: [.swiftLanguageMode(.v6)]),
        // The Swift examples of the README and the DocC articles, compiled at every build (see
        // Plugins/ReadmeExamplesPlugin); those marked to run are run by DocumentationExampleTests.
        .executableTarget(name: "readme-examples", path: "Plugins/ReadmeExamplesTool",
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .plugin(name: "ReadmeExamplesPlugin", capability: .buildTool(), dependencies: ["readme-examples"]),
        .target(
            name: "ReadmeExamples",
            dependencies: ["AlsaSwift", "AlsaSimulation", "AlsaSwiftFiles"],
            path: "Tests/ReadmeExamples",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: ["ReadmeExamplesPlugin"]
        ),
        // The unit tests' per-thread allocation counter: malloc and its relatives, defined in the
        // test executable only (not under a sanitizer), counting each thread's calls.
        .target(name: "AllocationCounting", path: "Tests/AllocationCounting"),
        .testTarget(
            name: "AlsaSwiftTests",
            dependencies: [
                "AlsaSwift",
                "AlsaSimulation",
                "AlsaSwiftFiles",
                "AlsaTools",
                "ReadmeExamples",
                "AllocationCounting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "CAlsa",
                "CAlsaKernel",
                "CSampleConversion",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

// The fuzz targets (Fuzz/) exist only in the build Scripts/fuzz makes (ALSASWIFT_FUZZ=1): a library
// of libFuzzer entry points, which that script links with libFuzzer's own main.
if Context.environment["ALSASWIFT_FUZZ"] == "1" {
    package.products.append(.library(name: "AlsaFuzz", type: .static, targets: ["AlsaFuzz"]))
    package.targets.append(.target(
        name: "AlsaFuzz",
        dependencies: [
            "AlsaSwift",
            "AlsaSimulation",
            "AlsaSwiftFiles",
            "AlsaTools",
            "CAlsaKernel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SystemPackage", package: "swift-system"),
        ],
        path: "Fuzz",
        exclude: ["Corpus", "arguments.dict"],
        swiftSettings: [.swiftLanguageMode(.v6)]
    ))
}
