@testable import AlsaSwift
import Foundation
import Testing

/// alsa-lib on the real kernel: what it hides about explicit sync, AlsaSwift reports; what it
/// converts, arrives.
extension ExplicitSyncDriverTests {
/// Nested in the driver's suite so that its tests never run beside the driver's own: the card has
/// one playback substream.
@Suite(.serialized)
struct ThroughAlsaLib {
    let card = RigEnvironment.explicitSync ?? 0
    let request = HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 1024, periodCount: 4)

    @Test("alsa-lib hides EXPLICIT_SYNC; the report reads it from the kernel and sees SYNC_PTR in effect",
          arguments: ["hw:%d,0", "plughw:%d,0", "default:CARD=%d"])
    func reportThroughAlsaLib(pattern: String) throws {
        let pcm = try AlsaLibPCM(name: String(format: pattern, card), direction: .playback)
        #expect(!pcm.capabilities.info.contains(.explicitSync), "alsa-lib is not expected to show the flag")
        let setup = try pcm.configure(request)
        let report = pcm.syncReport
        #expect(report.transport == .alsaLib)
        #expect(report.hardware == HardwareAddress(card: card, device: 0, subdevice: 0))
        #expect(report.deviceRequiresExplicitSync == true)
        #expect(report.strategy?.status == .syncPtr(.explicitSync))
        #expect(report.strategy?.control == .syncPtr(.explicitSync))
        #expect(setup.info.contains(.explicitSync), "the granted setup carries the kernel's flag back")
    }

    @Test("three seconds of mmap playback through alsa-lib reach the device intact, never stale")
    func mmapPlaybackThroughAlsaLib() throws {
        let pcm = try AlsaLibPCM(name: "hw:\(card),0", direction: .playback)
        try pcm.configure(request)
        try StrictContractChecks.playsClean(pcm, .rig(card: card), frames: 48_000 * 3)
    }

    /// alsa-lib's light query (`snd_pcm_avail_update`) syncs nothing for the CPU; the transport
    /// asks `snd_pcm_avail` on this card, so no poisoned frame is read.
    @Test("mmap capture through alsa-lib reads the strict card's signal, each chunk after a CPU sync",
          arguments: ["hw:%d,0", "plughw:%d,0"])
    func mmapCaptureThroughAlsaLib(pattern: String) throws {
        let pcm = try AlsaLibPCM(name: String(format: pattern, card), direction: .capture)
        try pcm.configure(request)
        #expect(pcm.mmapQuerySyncsForCPU)
        try StrictContractChecks.capturesClean(pcm, .rig(card: card), frames: 48_000)
    }

    @Test("a plug PCM converts Float to the driver's S16 exactly, through SYNC_PTR")
    func plugConvertsFloat() throws {
        // plughw would pick S32 (the driver's widest); a plug with a fixed slave format makes the
        // expected device stream exact.
        let pcm = try AlsaLibPCM(name: "tos16", direction: .playback,
                                 configuration: "pcm.tos16 { type plug slave { pcm \"hw:\(card),0\" format S16_LE } }")
        var floatRequest = request
        floatRequest.access = .readWriteInterleaved
        floatRequest.format = .floatLE
        let setup = try pcm.configure(floatRequest)
        #expect(setup.format == .floatLE)
        let frames = 48_000
        // k / 32768 converts to exactly k in S16: the device's checksum must match the S16 stream.
        let values = (0..<frames * 2).map { Int16(truncatingIfNeeded: ($0 &* 7919) % 60_000 - 30_000) }
        let floats = values.map { Float($0) / 32_768 }
        var expected = StreamChecksum()
        values.withUnsafeBytes { expected.add($0) }
        var offset = 0
        try floats.withUnsafeBytes { bytes in
            while offset < bytes.count {
                offset += try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + 8192, bytes.count)])) * 8
            }
        }
        try pcm.drain()
        let device = RigEnvironment.explicitSyncCounters(card: card)
        #expect(device["playback_frames"] == UInt64(frames))
        #expect(device["playback_checksum"] == expected.value)
    }
}
}

extension DummyIntegrationTests {
/// Nested in the snd-dummy suite so it runs serialized with it. Device 2 (interleaved, no mmap): the transport contract
/// suite uses device 0 in parallel, and the sync report's reading of this process's mappings is
/// only unambiguous while a single descriptor has the node open.
@Suite(.serialized)
struct ThroughAlsaLib {
    let card = RigEnvironment.dummy ?? 0

    @Test("plughw and default convert a format and rate snd-dummy lacks", arguments: ["plughw:%d,3", "default:CARD=%d"])
    func conversion(pattern: String) throws {
        let pcm = try AlsaLibPCM(name: String(format: pattern, card), direction: .playback)
        #expect(pcm.capabilities.formats.contains(.floatLE))
        let setup = try pcm.configure(HardwareRequest(format: .floatLE, channelCount: 2, sampleRate: 44_100, periodSize: 441, periodCount: 4))
        #expect(setup.format == .floatLE && setup.sampleRate == 44_100)
        let period = [Float](repeating: 0.25, count: Int(setup.periodSize) * 2)
        for _ in 0..<100 {
            _ = try period.withUnsafeBytes { try pcm.writeInterleaved($0) }
        }
        #expect(try pcm.drain(timeout: .seconds(5)))
        #expect(pcm.xrunCount == 0)
        let report = pcm.syncReport
        #expect(report.hardware?.card == card && report.deviceRequiresExplicitSync == false)
        #expect(report.strategy?.status == .mapped && report.strategy?.control == .mapped)
    }

    @Test("a configuration with sync_ptr_ioctl shows up in the report as alsa-lib's choice")
    func syncPtrOption() throws {
        let pcm = try AlsaLibPCM(name: "forced", direction: .playback,
                                 configuration: "pcm.forced { type hw card \(card) device 2 sync_ptr_ioctl 1 }")
        try pcm.configure(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 256, periodCount: 4))
        #expect(pcm.syncReport.strategy?.status == .syncPtr(.libraryOption))
        #expect(pcm.syncReport.strategy?.control == .syncPtr(.libraryOption))
        #expect(pcm.syncReport.deviceRequiresExplicitSync == false)
    }
}
}
