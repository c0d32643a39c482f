import Foundation
import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage

/// A fresh simulated machine with one card whose device 0 has `hardware`.
func makeKernel(_ hardware: SimulatedHardware = .dummy) -> SimulatedKernel {
    SimulatedKernel(card: 0, hardware: hardware)
}

func openPCM(_ kernel: SimulatedKernel, _ direction: StreamDirection = .playback,
             options: PCMOpenOptions = PCMOpenOptions()) throws(AlsaError) -> KernelPCM {
    try KernelPCM(card: 0, device: 0, direction: direction, options: options, kernel: kernel)
}

/// S16_LE stereo 48 kHz, 256-frame periods, 4 periods: the benchmark configuration of the project.
func standardRequest(_ access: AccessType) -> HardwareRequest {
    HardwareRequest(access: access, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, periodCount: 4)
}

extension SimulatedKernel {
    /// The SYNC_PTR calls in the trace, in order.
    var syncPtrCalls: [SimulatedCallRecord] { trace.filter { $0.requestName == "SYNC_PTR" } }
    /// Every ioctl in the trace, by name.
    var ioctlNames: [String] { trace.filter { $0.call == .ioctl }.map { $0.requestName ?? "?" } }
}

/// A deterministic, non-repeating test signal: byte `index` of the stream.
func patternByte(_ index: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13 ^ index)
}

/// Checksums bytes the way the simulated device does.
struct StreamChecksum {
    var value = FrameChecksum.seed
    mutating func add(_ bytes: UnsafeRawBufferPointer) { FrameChecksum.fnv1a(bytes, into: &value) }
}

let syncPtrQueryFlags = ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN
let syncPtrCommitFlags = ALSA_SYNC_PTR_AVAIL_MIN
let syncPtrPullFlags = ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN

/// The machine the discovery and device-model tests list: card 0 "Dummy" with two plain devices,
/// no card 1, card 2 "ExplicitSync" with an explicit-sync device.
func makeListingMachine() -> SimulatedKernel {
    let kernel = SimulatedKernel(card: 0, hardware: .dummy)
    kernel.addDevice(card: 0, device: 1, hardware: .dummy)
    kernel.addDevice(card: 2, device: 0, hardware: .explicitSync)
    kernel.setIdentity(SimulatedCardIdentity(id: "Dummy", driver: "Dummy", name: "Dummy", longName: "Dummy 1"), card: 0)
    kernel.setIdentity(SimulatedCardIdentity(id: "ExplicitSync", driver: "ExplicitSync", name: "Explicit sync"), card: 2)
    return kernel
}

/// How much a unit test's wall-clock bound stretches: ALSASWIFT_TEST_TIME_SCALE when the suite runs
/// instrumented (`Scripts/sanitize` sets 4), 1 otherwise. Every bound a unit test puts on elapsed
/// time goes through `scaled(_:)`, so one setting covers them all.
let testTimeScale: Int = max(Int(ProcessInfo.processInfo.environment["ALSASWIFT_TEST_TIME_SCALE"] ?? "") ?? 1, 1)

/// `bound` stretched by `testTimeScale`.
func scaled(_ bound: Duration) -> Duration { bound * testTimeScale }

/// How long "promptly" may take in a unit test on the simulated kernel: one second, stretched by
/// `testTimeScale`. The bound covers the test runner's own scheduling of the waiting task, which
/// sanitizers slow down; the rig's integration tests keep the real second.
let promptly: Duration = scaled(.seconds(1))
