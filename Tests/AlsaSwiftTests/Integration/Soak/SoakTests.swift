import AlsaSwift
import Foundation
import Testing

/// Long runs on the real kernel, for Scripts/soak: playback and capture, mmap and read/write, on
/// the explicit-sync test driver and on snd-dummy, for ALSASWIFT_SOAK_SECONDS. Off unless that is
/// set (the rig's normal run stays short). ALSASWIFT_SOAK_CASES picks cases ("card/direction/
/// access", comma-separated, e.g. "explicit-sync/capture/mmap,dummy/playback/rw"); all eight when
/// unset. The selected cases run **at once**, each on a thread of its own and on a substream of
/// its own (both cards have several per direction; the kernel hands each open the next free one),
/// so all eight fit in one guest boot. Each case prints one "SOAK" line with its counters.
///
/// ALSASWIFT_SOAK_PERIOD sets the period (frames, 4 per buffer; default 4096, as Scripts/soak).
///
/// What is checked: every frame accounted for, no xrun on either side, and the data: on the
/// explicit-sync card the driver's checksum of what its substream played equals ours, and every
/// captured byte is the driver's signal (none poisoned). snd-dummy neither keeps nor produces data
/// (its capture buffer is never written), so there only the counters and our checksum of what was
/// sent or read are reported. An xrun fails the case, but the data checks stay exact through it:
/// an mmap chunk whose commit met the xrun is dropped by the recovery (the frames were never
/// committed), so it is counted as dropped and left out of our checksum (playback) or of the
/// signal comparison (capture: the device may have overwritten it before the commit).
@Suite(.enabled(if: SoakSettings.seconds != nil && (RigEnvironment.explicitSync != nil || RigEnvironment.dummy != nil),
                "set ALSASWIFT_SOAK_SECONDS and run on the rig: Scripts/soak"))
struct SoakTests {

    struct Case: Sendable, CustomStringConvertible {
        let explicitSync: Bool
        let direction: StreamDirection
        let access: AccessType
        var description: String {
            "\(explicitSync ? "explicit-sync" : "dummy")/\(direction == .playback ? "playback" : "capture")/\(access.isMmap ? "mmap" : "rw")"
        }
        var card: Int? { explicitSync ? RigEnvironment.explicitSync : RigEnvironment.dummy }
    }

    /// What one case found: its SOAK line and what went wrong (empty when it passed).
    struct Outcome: Sendable {
        var line: String
        var problems: [String] = []
    }

    static let cases: [Case] = [true, false].flatMap { explicitSync in
        [StreamDirection.playback, .capture].flatMap { direction in
            [AccessType.mmapInterleaved, .readWriteInterleaved].map { Case(explicitSync: explicitSync, direction: direction, access: $0) }
        }
    }

    @Test func soakConcurrently() throws {
        let seconds = try #require(SoakSettings.seconds)
        let selected = Self.cases.filter { SoakSettings.only == nil || SoakSettings.only!.contains($0.description) }
        try #require(!selected.isEmpty, "ALSASWIFT_SOAK_CASES names no case")
        // Threads, not tasks: each case blocks in its transfers for the whole run, and the
        // cooperative pool has only as many threads as CPUs.
        let outcomes = HostLockedArray<Outcome?>(repeating: nil, count: selected.count)
        let finished = DispatchGroup()
        for (index, soakCase) in selected.enumerated() {
            finished.enter()
            let thread = Thread {
                outcomes.set(index, Self.run(soakCase, seconds: seconds))
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        finished.wait()
        for (soakCase, outcome) in zip(selected, outcomes.values) {
            guard let outcome else {
                Issue.record("\(soakCase): no outcome")
                continue
            }
            print(outcome.line)
            for problem in outcome.problems { Issue.record("\(soakCase): \(problem)") }
        }
    }

    /// One case, start to end, on the calling thread.
    static func run(_ soakCase: Case, seconds: Int) -> Outcome {
        var outcome = Outcome(line: "SOAK \(soakCase) seconds=\(seconds)")
        do {
            guard let card = soakCase.card else { return Outcome(line: outcome.line, problems: ["no \(soakCase) card on this machine"]) }
            // .automatic counts xruns instead of stopping at the first, so the line reports them all.
            let pcm = try KernelPCM(card: card, device: 0, direction: soakCase.direction, options: PCMOpenOptions(recovery: .automatic))
            let subdevice = Int(pcm.deviceInfo.subdevice)
            let setup = try pcm.configure(HardwareRequest(access: soakCase.access, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                                          periodSize: SoakSettings.period, periodCount: 4))
            let frames = Int(setup.sampleRate) * seconds
            let started = ContinuousClock.now
            outcome.line += " subdevice=\(subdevice) frames=\(frames)"
            var soak = Soak(pcm: pcm, frameBytes: setup.frameBytes, periodFrames: Int(setup.periodSize),
                            verifyCapture: soakCase.explicitSync)
            defer { soak.chunk.deallocate() }
            if soakCase.direction == .playback {
                let sent = try soak.play(frames: frames)
                try pcm.drain()
                outcome.line += " sent=\(frames - soak.droppedFrames) dropped=\(soak.droppedFrames) checksum=\(hex(sent))"
                if soakCase.explicitSync {
                    let device = RigEnvironment.explicitSyncCounters(card: card, subdevice: subdevice)
                    let played = device["playback_frames"] ?? 0, checksum = device["playback_checksum"] ?? 0
                    outcome.line += " device_frames=\(played) device_checksum=\(hex(checksum)) device_xruns=\(device["playback_xruns"] ?? 0)"
                        + " device_stale_frames=\(device["playback_stale_frames"] ?? 0)"
                        + " device_late_frames=\(device["playback_late_frames"] ?? 0)"
                    let committed = frames - soak.droppedFrames
                    if played != UInt64(committed) { outcome.problems.append("the device played \(played) frames of \(committed)") }
                    if device["playback_stale_frames"] != 0 { outcome.problems.append("the device played stale frames") }
                    if device["playback_late_frames"] != 0 { outcome.problems.append("frames changed after their commit") }
                    if checksum != sent { outcome.problems.append("the device's checksum \(hex(checksum)) is not ours \(hex(sent))") }
                    if device["playback_xruns"] != 0 { outcome.problems.append("the device counted \(device["playback_xruns"] ?? 0) xruns") }
                }
            } else {
                let (read, checksum) = try soak.capture(frames: frames)
                outcome.line += " read=\(read) dropped=\(soak.droppedFrames) checksum=\(hex(checksum))"
                if soakCase.explicitSync {
                    // Before the drop: the sync counters start again at the next PREPARE.
                    let device = RigEnvironment.explicitSyncCounters(card: card, subdevice: subdevice)
                    outcome.line += " wrong_bytes=\(soak.wrongBytes) device_frames=\(device["capture_frames"] ?? 0)"
                        + " device_xruns=\(device["capture_xruns"] ?? 0) device_poisoned_frames=\(device["capture_poisoned_frames"] ?? 0)"
                    if soak.wrongBytes != 0 { outcome.problems.append("\(soak.wrongBytes) captured bytes are not the driver's signal") }
                    if device["capture_poisoned_frames"] != 0 { outcome.problems.append("the device counted poisoned frames") }
                }
                try pcm.drop()
                if read != frames { outcome.problems.append("read \(read) frames of \(frames)") }
            }
            outcome.line += " xruns=\(pcm.xrunCount) wall=\(ContinuousClock.now - started)"
            if pcm.xrunCount != 0 { outcome.problems.append("\(pcm.xrunCount) xruns") }
        } catch {
            outcome.line += " error=\"\(error)\""
            outcome.problems.append("\(error)")
        }
        return outcome
    }

    /// The transfer loops, over one period of scratch allocated up front: ten minutes would be
    /// 110 MB per case, so nothing is kept, and the loops do as little per byte as they can (the
    /// test bundle is a debug build, and eight of them share the guest's two CPUs).
    struct Soak {
        let pcm: KernelPCM
        let frameBytes: Int
        let periodFrames: Int
        let verifyCapture: Bool
        let chunk: UnsafeMutableRawBufferPointer
        var wrongBytes = 0
        /// Frames of mmap chunks whose commit met an xrun (see the suite's comment).
        var droppedFrames = 0

        init(pcm: KernelPCM, frameBytes: Int, periodFrames: Int, verifyCapture: Bool) {
            self.pcm = pcm
            self.frameBytes = frameBytes
            self.periodFrames = periodFrames
            self.verifyCapture = verifyCapture
            chunk = .allocate(byteCount: periodFrames * frameBytes, alignment: 16)
        }

        /// Plays `total` frames of `patternByte`; returns the checksum of what was sent.
        mutating func play(frames total: Int) throws -> UInt64 {
            var checksum = StreamChecksum()
            var written = 0
            let mmap = try #require(pcm.setup).access.isMmap
            while written < total {
                let wanted = min(periodFrames, total - written)
                if mmap {
                    if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(1000)) }
                    let area = try pcm.beginTransfer(maxFrames: wanted)
                    let bytes = area.interleaved
                    fill(bytes, from: written * frameBytes)
                    var next = checksum
                    next.add(UnsafeRawBufferPointer(bytes))
                    let xruns = pcm.xrunCount
                    try pcm.commitTransfer(area.frames)
                    if pcm.xrunCount == xruns { checksum = next } else { droppedFrames += area.frames }
                    written += area.frames
                } else {
                    // A period at a time, and what the kernel did not take goes again.
                    let bytes = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(wanted * frameBytes)])
                    fill(bytes, from: written * frameBytes)
                    let done = try pcm.writeInterleaved(UnsafeRawBufferPointer(bytes))
                    checksum.add(UnsafeRawBufferPointer(rebasing: bytes[0..<(done * frameBytes)]))
                    written += done
                }
            }
            return checksum.value
        }

        func fill(_ bytes: UnsafeMutableRawBufferPointer, from first: Int) {
            for i in 0..<bytes.count { bytes[i] = patternByte(first &+ i) }
        }

        /// Reads `total` frames period by period, checksumming them and, on the explicit-sync
        /// card, comparing every byte with the driver's signal. After an xrun the driver's signal
        /// starts again at frame 0 (its START resets it), so the comparison starts again with it.
        mutating func capture(frames total: Int) throws -> (read: Int, checksum: UInt64) {
            var checksum = StreamChecksum()
            var read = 0
            var signalStart = 0
            var xruns = pcm.xrunCount
            let mmap = try #require(pcm.setup).access.isMmap
            while read < total {
                let wanted = min(periodFrames, total - read)
                let bytes: UnsafeRawBufferPointer
                var area: MmapArea?
                if mmap {
                    if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(1000)) }
                    area = try pcm.beginTransfer(maxFrames: wanted)
                    bytes = UnsafeRawBufferPointer(area!.interleaved)
                } else {
                    let got = try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(wanted * frameBytes)]))
                    bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<(got * frameBytes)])
                }
                if pcm.xrunCount != xruns {
                    xruns = pcm.xrunCount
                    signalStart = read
                }
                let wrongBefore = wrongBytes
                if verifyCapture { verify(bytes, firstFrame: UInt64(read - signalStart)) }
                if let area {
                    try pcm.commitTransfer(area.frames)
                    if pcm.xrunCount != xruns {
                        wrongBytes = wrongBefore
                        droppedFrames += area.frames
                    } else {
                        checksum.add(bytes)
                    }
                } else {
                    checksum.add(bytes)
                }
                read += bytes.count / frameBytes
            }
            return (read, checksum.value)
        }

        mutating func verify(_ bytes: UnsafeRawBufferPointer, firstFrame: UInt64) {
            var frame = firstFrame
            var offset = 0
            while offset < bytes.count {
                for b in 0..<frameBytes where bytes[offset + b] != explicitSyncDriverSample(frame: frame, byte: b) { wrongBytes += 1 }
                offset += frameBytes
                frame += 1
            }
        }
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}

/// Results written by several threads, each into its own slot.
final class HostLockedArray<Element: Sendable>: @unchecked Sendable {
    private var storage: [Element]
    private let lock = NSLock()
    init(repeating value: Element, count: Int) { storage = Array(repeating: value, count: count) }
    func set(_ index: Int, _ value: Element) { lock.withLock { storage[index] = value } }
    var values: [Element] { lock.withLock { storage } }
}

/// The soak's settings, from the environment Scripts/soak passes into the guest.
enum SoakSettings {
    static let seconds = ProcessInfo.processInfo.environment["ALSASWIFT_SOAK_SECONDS"].flatMap(Int.init)
    static let period = ProcessInfo.processInfo.environment["ALSASWIFT_SOAK_PERIOD"].flatMap(Int.init) ?? 4096
    /// The cases to run; nil for all.
    static let only: Set<String>? = ProcessInfo.processInfo.environment["ALSASWIFT_SOAK_CASES"]
        .map { Set($0.split(separator: ",").map(String.init)) }
}
