import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage
import Testing

/// Every ioctl the direct transport issues, failed by the simulated kernel in both directions, on
/// its first and its second call, once and for good. Each case asserts the outcome: the error the
/// app sees names that ioctl's operation and carries the injected errno (so its `kind` is the one
/// that errno means), or, for EINTR on one call, the call is retried and the scenario completes.
/// A fault that was hit and then vanished without either outcome fails the case, and nothing may
/// stay open or mapped.
@Suite("Fault matrix", .serialized)
struct FaultMatrixTests {
    struct Site: Sendable, CustomStringConvertible {
        let request: UInt
        let name: String
        let operation: PCMOperation
        var description: String { name }
    }

    /// Every request KernelPCM sends (PCMOperation has one case per kernel call).
    static let sites: [Site] = [
        Site(request: ALSA_IOCTL_PVERSION, name: "PVERSION", operation: .protocolVersion),
        Site(request: ALSA_IOCTL_USER_PVERSION, name: "USER_PVERSION", operation: .userProtocolVersion),
        Site(request: ALSA_IOCTL_INFO, name: "INFO", operation: .info),
        Site(request: ALSA_IOCTL_TTSTAMP, name: "TTSTAMP", operation: .timestampType),
        Site(request: ALSA_IOCTL_HW_REFINE, name: "HW_REFINE", operation: .hwRefine),
        Site(request: ALSA_IOCTL_HW_PARAMS, name: "HW_PARAMS", operation: .hwParams),
        Site(request: ALSA_IOCTL_SW_PARAMS, name: "SW_PARAMS", operation: .swParams),
        Site(request: ALSA_IOCTL_CHANNEL_INFO, name: "CHANNEL_INFO", operation: .channelInfo),
        Site(request: ALSA_IOCTL_HW_FREE, name: "HW_FREE", operation: .hwFree),
        Site(request: ALSA_IOCTL_STATUS, name: "STATUS", operation: .status),
        Site(request: ALSA_IOCTL_DELAY, name: "DELAY", operation: .delay),
        Site(request: ALSA_IOCTL_HWSYNC, name: "HWSYNC", operation: .hwsync),
        Site(request: ALSA_IOCTL_SYNC_PTR, name: "SYNC_PTR", operation: .syncPtr),
        Site(request: ALSA_IOCTL_PREPARE, name: "PREPARE", operation: .prepare),
        Site(request: ALSA_IOCTL_RESET, name: "RESET", operation: .reset),
        Site(request: ALSA_IOCTL_START, name: "START", operation: .start),
        Site(request: ALSA_IOCTL_DROP, name: "DROP", operation: .drop),
        Site(request: ALSA_IOCTL_DRAIN, name: "DRAIN", operation: .drain),
        Site(request: ALSA_IOCTL_PAUSE, name: "PAUSE", operation: .pause),
        Site(request: ALSA_IOCTL_RESUME, name: "RESUME", operation: .resume),
        Site(request: ALSA_IOCTL_REWIND, name: "REWIND", operation: .rewind),
        Site(request: ALSA_IOCTL_FORWARD, name: "FORWARD", operation: .forward),
        Site(request: ALSA_IOCTL_WRITEI_FRAMES, name: "WRITEI_FRAMES", operation: .writeInterleaved),
        Site(request: ALSA_IOCTL_READI_FRAMES, name: "READI_FRAMES", operation: .readInterleaved),
        Site(request: ALSA_IOCTL_WRITEN_FRAMES, name: "WRITEN_FRAMES", operation: .writeNonInterleaved),
        Site(request: ALSA_IOCTL_READN_FRAMES, name: "READN_FRAMES", operation: .readNonInterleaved),
    ]

    /// A stream setup: the explicit-sync device moves its records with SYNC_PTR, the dummy maps
    /// them and syncs with HWSYNC; each access reaches its own transfer calls.
    struct Setup: Sendable, CustomStringConvertible {
        let direction: StreamDirection
        let access: AccessType
        let explicitSync: Bool
        var hardware: SimulatedHardware { explicitSync ? .explicitSync : .dummy }
        var description: String { "\(direction) \(access) \(explicitSync ? "explicit-sync" : "dummy")" }
    }

    static let setups: [Setup] = [StreamDirection.playback, .capture].flatMap { direction in
        [Setup(direction: direction, access: .readWriteInterleaved, explicitSync: true),
         Setup(direction: direction, access: .readWriteNonInterleaved, explicitSync: true),
         Setup(direction: direction, access: .mmapInterleaved, explicitSync: true),
         Setup(direction: direction, access: .readWriteInterleaved, explicitSync: false),
         Setup(direction: direction, access: .mmapInterleaved, explicitSync: false)]
    }

    /// The whole life of a stream, touching every call the transport has: open, configure,
    /// transfers, the state queries, pause, a suspend and resume, rewind/forward, reset, drop,
    /// drain, HW_FREE. Returns the first error, after closing the PCM either way.
    static func scenario(_ kernel: SimulatedKernel, _ setup: Setup) -> AlsaError? {
        let pcm: KernelPCM
        do {
            pcm = try KernelPCM(card: 0, device: 0, direction: setup.direction, options: PCMOpenOptions(recovery: .report), kernel: kernel)
        } catch {
            return error
        }
        do {
            let granted = try pcm.configure(HardwareRequest(access: setup.access, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                                            periodSize: 256, periodCount: 4))
            if setup.direction == .capture { try pcm.start() }
            // Playback: half the buffer, below the start threshold, then an explicit START.
            try transfer(pcm, periods: 2)
            if setup.direction == .playback { try pcm.start() }
            _ = try pcm.avail()
            _ = try pcm.availWithTimestamp()
            _ = try pcm.delay()
            _ = try pcm.status()
            if granted.info.contains(.pause) {
                try pcm.pause(true)
                try pcm.pause(false)
            }
            kernel.suspendAll()
            try pcm.resume()
            try pcm.rewind(64)
            try pcm.forward(64)
            try pcm.reset()
            try pcm.drop()
            try pcm.prepare()
            if setup.direction == .playback {
                try transfer(pcm, periods: 2)
                try pcm.drain()
            } else {
                try pcm.start()
                try transfer(pcm, periods: 1)
                try pcm.drop()
            }
            try pcm.freeHardware()
            try pcm.close()
            return nil
        } catch {
            try? pcm.close()
            return error
        }
    }

    /// `periods` periods with the PCM's access, in its direction.
    static func transfer(_ pcm: KernelPCM, periods: Int) throws(AlsaError) {
        guard let setup = pcm.setup else { return }
        let period = Int(setup.periodSize)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: period * setup.frameBytes, alignment: 16)
        defer { bytes.deallocate() }
        bytes.initializeMemory(as: UInt8.self, repeating: 0x11)
        let planes: [UnsafeMutableRawPointer?] = [bytes.baseAddress, bytes.baseAddress.map { $0 + period * 2 }]
        for _ in 0..<periods {
            var done = 0
            while done < period {
                switch (setup.access, pcm.direction) {
                case (.readWriteInterleaved, .playback):
                    done += try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: bytes[(done * setup.frameBytes)...]))
                case (.readWriteInterleaved, .capture):
                    done += try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: bytes[(done * setup.frameBytes)...]))
                case (.readWriteNonInterleaved, .playback):
                    done += try planes.withUnsafeBufferPointer { (p) throws(AlsaError) in try pcm.writeNonInterleaved(p, frames: (period - done) / 2) }
                    if done < period { done = period }
                case (.readWriteNonInterleaved, .capture):
                    done += try planes.withUnsafeBufferPointer { (p) throws(AlsaError) in try pcm.readNonInterleaved(into: p, frames: (period - done) / 2) }
                    if done < period { done = period }
                default:
                    if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(100)) }
                    let area = try pcm.beginTransfer(maxFrames: period - done)
                    try pcm.commitTransfer(area.frames)
                    done += area.frames
                }
            }
        }
    }

    /// How often the fault-free scenario issues `site` with `setup`.
    static func calls(of site: Site, in setup: Setup) -> Int {
        let kernel = SimulatedKernel(card: 0, hardware: setup.hardware)
        #expect(scenario(kernel, setup) == nil, "the fault-free scenario must complete: \(setup)")
        return kernel.trace.filter { $0.call == .ioctl && $0.request == site.request }.count
    }

    static let errnos: [Errno] = [.ioError, .brokenPipe, .noDevice, .badFileDescriptorState, .interrupted]

    // A few hundred scenarios a case, a second or more of CPU under a sanitizer: on a thread of its
    // own, one case at a time (the suite is serialized), so the cooperative pool stays free.
    @Test("every ioctl, both directions, the 1st and 2nd call, once and for good", arguments: sites)
    func matrix(site: Site) async {
        await onOwnThread { Self.checkMatrix(site) }
    }

    static func checkMatrix(_ site: Site) {
        var reached = 0
        for setup in Self.setups {
            let issued = Self.calls(of: site, in: setup)
            for skipped in [0, 1] where skipped < issued {
                reached += 1
                for errno in Self.errnos {
                    // A kernel that answered EINTR for ever would have every retry loop spin: not a case.
                    for persistent in errno == .interrupted ? [false] : [false, true] {
                        let kernel = SimulatedKernel(card: 0, hardware: setup.hardware)
                        if persistent {
                            kernel.injectPersistently(errno, into: .ioctl, request: site.request, after: skipped)
                        } else {
                            kernel.inject(errno, into: .ioctl, request: site.request, after: skipped)
                        }
                        let error = Self.scenario(kernel, setup)
                        let label = "\(site) #\(skipped + 1) \(errno)\(persistent ? " persistent" : "") \(setup)"
                        // The calls before the Nth ran, the Nth failed.
                        let outcomes = kernel.trace.filter { $0.call == .ioctl && $0.request == site.request }.map(\.errno)
                        #expect(outcomes.count > skipped && outcomes[skipped] == errno && outcomes.prefix(skipped).allSatisfy { $0 == nil },
                                "\(label): the fault did not land on call #\(skipped + 1): \(outcomes)")
                        if errno == .interrupted {
                            // Retried: EINTR means nothing happened, so the call simply runs again.
                            #expect(error == nil, "\(label): \(String(describing: error))")
                        } else {
                            #expect(error?.operation == site.operation && error?.errno == errno, "\(label): got \(String(describing: error))")
                            #expect(error?.kind == AlsaError(site.operation, errno).kind, "\(label)")
                        }
                        #expect(kernel.openDescriptorCount == 0 && kernel.mappedRegionCount == 0, "\(label) leaked")
                    }
                }
            }
        }
        // Every site is reached by some setup: the matrix has no hole.
        #expect(reached > 0, "\(site) is never issued by the scenario")
    }

    @Test("an xrun or a suspend met by the first transfer is recovered under .automatic, in both directions and accesses",
          arguments: [Errno.brokenPipe, .streamPipe])
    func recovery(errno: Errno) throws {
        // The first transfer meets the stream PREPARED, where PREPARE (the recovery) is valid. A
        // fault on a later call would claim an xrun the running simulated stream does not have, and
        // PREPARE would then rightly fail with EBUSY: real xruns are recovered in RecoveryTests.
        for setup in Self.setups where !setup.access.isMmap {
            let kernel = SimulatedKernel(card: 0, hardware: setup.hardware)
            let site = switch (setup.access, setup.direction) {
            case (.readWriteInterleaved, .playback): ALSA_IOCTL_WRITEI_FRAMES
            case (.readWriteInterleaved, _): ALSA_IOCTL_READI_FRAMES
            case (_, .playback): ALSA_IOCTL_WRITEN_FRAMES
            default: ALSA_IOCTL_READN_FRAMES
            }
            kernel.inject(errno, into: .ioctl, request: site)
            let pcm = try KernelPCM(card: 0, device: 0, direction: setup.direction, options: PCMOpenOptions(recovery: .automatic), kernel: kernel)
            try pcm.configure(HardwareRequest(access: setup.access, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, periodCount: 4))
            try Self.transfer(pcm, periods: 4)
            #expect(kernel.trace.contains { $0.request == site && $0.errno == errno }, "\(setup)")
            #expect(errno == .brokenPipe ? pcm.xrunCount == 1 : pcm.suspendCount == 1, "\(setup) \(errno)")
            try pcm.close()
        }
    }
}
