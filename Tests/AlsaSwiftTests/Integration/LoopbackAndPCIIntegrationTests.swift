import AlsaSwift
import Foundation
import Testing

/// Results a worker thread hands back; written once by the worker, read after it signalled.
private final class WorkerResult: @unchecked Sendable {
    var bytes: [UInt8] = []
    var error: (any Error)?
}

/// snd-aloop: what is played into device 0 comes out of device 1, sample for sample.
@Suite(.enabled(if: RigEnvironment.loopback != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct LoopbackIntegrationTests {
    let card = RigEnvironment.loopback ?? 0
    static let request = HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                         periodSize: 1024, periodCount: 4)

    /// Who plays into the cable: the direct transport, alsa-lib on `hw:`, or alsa-lib's `plughw:`.
    /// The capture side is always the direct transport on device 1. (The card's `default` is
    /// plug → softvol → dmix; dmix re-times the stream, so it is checked apart, below.)
    enum Player: String, Sendable, CustomTestStringConvertible {
        case direct, alsaLibHw, alsaLibPlughw
        var testDescription: String { rawValue }

        func open(card: Int) throws -> any PCM {
            switch self {
            case .direct: try KernelPCM(card: card, device: 0, direction: .playback)
            case .alsaLibHw: try AlsaLibPCM(name: "hw:\(card),0,0", direction: .playback)
            case .alsaLibPlughw: try AlsaLibPCM(name: "plughw:\(card),0,0", direction: .playback)
            }
        }
    }

    @Test(arguments: [(Player.direct, AccessType.readWriteInterleaved), (.direct, .mmapInterleaved),
                      (.alsaLibHw, .readWriteInterleaved), (.alsaLibHw, .mmapInterleaved), (.alsaLibPlughw, .readWriteInterleaved)])
    func aKnownSignalComesBackBitExact(player: Player, access: AccessType) throws {
        let card = self.card
        let frames = 48_000
        let padding = 48_000 / 2
        let captureFrames = frames + padding + 48_000
        let captured = WorkerResult()
        let ready = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                let pcm = try KernelPCM(card: card, device: 1, direction: .capture)
                var request = Self.request
                request.access = access
                try pcm.configure(request)
                try pcm.start()
                ready.signal()
                if access.isMmap {
                    while captured.bytes.count < captureFrames * 4 {
                        _ = try pcm.wait(timeout: .milliseconds(1000))
                        let area = try pcm.beginTransfer(maxFrames: captureFrames - captured.bytes.count / 4)
                        captured.bytes += UnsafeRawBufferPointer(area.interleaved)
                        try pcm.commitTransfer(area.frames)
                    }
                } else {
                    captured.bytes = try captureReadWrite(pcm, frames: captureFrames)
                }
            } catch {
                captured.error = error
                ready.signal()
            }
            done.signal()
        }
        thread.start()
        ready.wait()
        let pcm = try player.open(card: card)
        var request = Self.request
        request.access = access
        try pcm.configure(request)
        if access.isMmap { try playMmapAnyLayout(pcm, frames: frames) } else { try playReadWrite(pcm, frames: frames) }
        // Keep the stream running past the signal: snd-aloop moves data in timer ticks and may drop
        // what a draining stream had not yet passed over the cable.
        try playSilence(pcm, frames: padding)
        try pcm.drain()
        done.wait()
        if let error = captured.error { throw error }

        let expected = (0..<(frames * 4)).map(patternByte)
        let head = Array(expected[0..<64])
        let bytes = captured.bytes
        let start = stride(from: 0, to: bytes.count - 64, by: 4).first { Array(bytes[$0..<($0 + 64)]) == head }
        #expect(start != nil, "the signal never appeared in the capture")
        if let start {
            #expect(bytes.count - start >= expected.count)
            let got = bytes[start..<min(bytes.count, start + expected.count)]
            let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            let differing = zip(got, expected).filter { $0.0 != $0.1 }.count
            #expect(firstDifference == nil, "first differing byte \(firstDifference ?? -1) of \(expected.count), \(differing) differ, capture starts at byte \(start)")
        }
    }
}

extension LoopbackIntegrationTests {
    @Test("the card's default (dmix) plays, and reports that no kernel PCM is visible behind it")
    func defaultThroughDmix() throws {
        let pcm = try AlsaLibPCM(name: "default:CARD=\(card)", direction: .playback)
        let setup = try pcm.configure(HardwareRequest(format: .s16LE, channelCount: 2, sampleRate: 48_000, periodSize: 1024, periodCount: 4))
        #expect(setup.sampleRate == 48_000)
        let report = pcm.syncReport
        #expect(report.hardware == nil && report.deviceRequiresExplicitSync == nil && report.strategy == nil)
        try playReadWrite(pcm, frames: 48_000)
        #expect(try pcm.drain(timeout: .seconds(5)))
    }
}

/// Plays `frames` frames of silence with the PCM's access (interleaved).
private func playSilence(_ pcm: any PCM, frames total: Int) throws {
    let frameBytes = pcm.setup!.frameBytes
    var written = 0
    while written < total {
        if pcm.setup!.access.isMmap {
            if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(1000)) }
            let area = try pcm.beginTransfer(maxFrames: total - written)
            area.interleaved.initializeMemory(as: UInt8.self, repeating: 0)
            try pcm.commitTransfer(area.frames)
            written += area.frames
        } else {
            let chunk = [UInt8](repeating: 0, count: min(1024, total - written) * frameBytes)
            written += try chunk.withUnsafeBytes { try pcm.writeInterleaved($0) }
        }
    }
}

/// A QEMU-emulated PCI sound card with a real driver and real DMA (AC97 through snd-intel8x0, or
/// ES1370), played through the library.
@Suite(.enabled(if: RigEnvironment.ac97 != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized)
struct PCICardIntegrationTests {
    @Test func playbackThroughARealDMADriver() throws {
        let pcm = try KernelPCM(card: RigEnvironment.ac97 ?? 0, device: 0, direction: .playback,
                                options: PCMOpenOptions(recovery: .automatic))
        let granted = try pcm.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2,
                                                        sampleRate: 48_000, periodSize: 1024, periodCount: 4))
        #expect(granted.format == .s16LE)
        try playReadWrite(pcm, frames: Int(granted.sampleRate))
        try pcm.drain()
        try pcm.close()  // the substream is exclusive
        let mmap = try KernelPCM(card: RigEnvironment.ac97 ?? 0, device: 0, direction: .playback)
        if mmap.capabilities.accessTypes.contains(.mmapInterleaved) {
            try mmap.configure(HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                               periodSize: 1024, periodCount: 4))
            try playMmapAnyLayout(mmap, frames: 48_000)
            try mmap.drain()
        }
    }
}
