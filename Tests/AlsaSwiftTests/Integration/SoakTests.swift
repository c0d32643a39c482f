import AlsaSwift
import Foundation
import Testing

/// Long runs on the real kernel, for Scripts/soak: playback and capture, mmap and read/write, on
/// the explicit-sync test driver and on snd-dummy, each for ALSASWIFT_SOAK_SECONDS. Off unless that
/// is set (the rig's normal run stays short); ALSASWIFT_SOAK_CASE picks one case ("card/direction/
/// access", e.g. "explicit-sync/capture/mmap"). Each case prints one "SOAK" line with its counters.
///
/// What is checked: no xrun on either side, every frame accounted for, and the data: on the
/// explicit-sync card the driver's checksum of what it played equals ours, and every captured byte
/// is the driver's signal. snd-dummy neither keeps nor produces data (its capture buffer is never
/// written), so there only the counters and our checksum of what was sent or read are reported.
@Suite(.enabled(if: SoakSettings.seconds != nil && (RigEnvironment.explicitSync != nil || RigEnvironment.dummy != nil),
                "set ALSASWIFT_SOAK_SECONDS and run on the rig: Scripts/soak"), .serialized)
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

    static let cases: [Case] = [true, false].flatMap { explicitSync in
        [StreamDirection.playback, .capture].flatMap { direction in
            [AccessType.mmapInterleaved, .readWriteInterleaved].map { Case(explicitSync: explicitSync, direction: direction, access: $0) }
        }
    }

    @Test(arguments: cases)
    func soak(_ soakCase: Case) throws {
        guard SoakSettings.only == nil || SoakSettings.only == soakCase.description else { return }
        let seconds = try #require(SoakSettings.seconds)
        let card = try #require(soakCase.card, "no \(soakCase) card on this machine")
        // .automatic counts xruns instead of stopping at the first, so the line reports them all.
        let pcm = try KernelPCM(card: card, device: 0, direction: soakCase.direction, options: PCMOpenOptions(recovery: .automatic))
        let setup = try pcm.configure(HardwareRequest(access: soakCase.access, format: .s16LE, channels: 2, rate: 48_000,
                                                      periodSize: 1024, periodCount: 4))
        let frames = Int(setup.rate) * seconds
        let started = ContinuousClock.now
        var line = "SOAK \(soakCase) seconds=\(seconds) frames=\(frames)"
        if soakCase.direction == .playback {
            let written = soakCase.access.isMmap ? try playMmapAnyLayout(pcm, frames: frames) : try playReadWrite(pcm, frames: frames)
            try pcm.drain()
            line += " sent=\(hex(written))"
            if soakCase.explicitSync {
                let device = RigEnvironment.explicitSyncCounters(card: card)
                line += " device_frames=\(device["playback_frames"] ?? 0) device_checksum=\(hex(device["playback_checksum"] ?? 0)) device_xruns=\(device["playback_xruns"] ?? 0)"
                #expect(device["playback_frames"] == UInt64(frames))
                #expect(device["playback_checksum"] == written)
                #expect(device["playback_xruns"] == 0)
            }
        } else {
            let (read, checksum, wrong) = try capture(pcm, frames: frames, verify: soakCase.explicitSync)
            try pcm.drop()
            line += " read=\(read) checksum=\(hex(checksum))" + (soakCase.explicitSync ? " wrong_bytes=\(wrong)" : "")
            #expect(read == frames)
            #expect(wrong == 0)
        }
        line += " xruns=\(pcm.xrunCount) wall=\(ContinuousClock.now - started)"
        print(line)
        #expect(pcm.xrunCount == 0)
    }

    /// Reads `frames` frames period by period, checksumming them and, on the explicit-sync card,
    /// comparing every byte with the driver's signal. Returns the frames read, the checksum and the
    /// number of wrong bytes. Nothing is kept: ten minutes would be 110 MB.
    func capture(_ pcm: KernelPCM, frames total: Int, verify: Bool) throws -> (Int, UInt64, Int) {
        let setup = try #require(pcm.setup)
        let frameBytes = setup.frameBytes
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(setup.periodSize) * frameBytes, alignment: 16)
        defer { chunk.deallocate() }
        var checksum = StreamChecksum()
        var read = 0
        var wrong = 0
        func account(_ bytes: UnsafeRawBufferPointer) {
            checksum.add(bytes)
            guard verify else { return }
            for i in 0..<bytes.count {
                let frame = UInt64(read + i / frameBytes)
                if bytes[i] != explicitSyncDriverSample(frame: frame, byte: i % frameBytes) { wrong += 1 }
            }
        }
        while read < total {
            let wanted = min(Int(setup.periodSize), total - read)
            var got = 0
            if setup.access.isMmap {
                if try pcm.state == .running { _ = try pcm.wait(timeoutMilliseconds: 1000) }
                let area = try pcm.beginTransfer(maxFrames: wanted)
                account(UnsafeRawBufferPointer(area.interleaved))
                try pcm.commitTransfer(area.frames)
                got = area.frames
            } else {
                got = try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(wanted * frameBytes)]))
                account(UnsafeRawBufferPointer(rebasing: chunk[0..<(got * frameBytes)]))
            }
            read += got
        }
        return (read, checksum.value, wrong)
    }

    func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}

/// The soak's settings, from the environment Scripts/soak passes into the guest.
enum SoakSettings {
    static let seconds = ProcessInfo.processInfo.environment["ALSASWIFT_SOAK_SECONDS"].flatMap(Int.init)
    static let only = ProcessInfo.processInfo.environment["ALSASWIFT_SOAK_CASE"]
}
