import AlsaSimulation
import Testing
@testable import AlsaSwift

/// Streams take and give one Float array per channel as well as interleaved Float: the device
/// receives exactly what the interleaved write of the same audio gives it, on both accesses and
/// both waiting styles, and capture hands every channel its own samples.
@Suite("Non-interleaved streams")
struct NonInterleavedStreamTests {
    @Test("a non-interleaved write reaches the device exactly as the interleaved one", arguments: [false, true])
    func playbackMatchesInterleaved(mmap: Bool) async throws {
        let interleaved = StreamTests.signal(frames: 4800)
        let audio = try InterleavedAudioBuffer(channelCount: 2, samples: interleaved)
        let planar = audio.nonInterleaved
        // Each channel distinct, so a swapped or repeated channel changes the checksum.
        #expect(planar[0] != planar[1])
        for style in ["blocking", "async"] {
            let kernel = makeKernel()
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40), formats: [.s16LE],
                                                                                     preferMmap: mmap), kernel: kernel)
            #expect(stream.configuration.setup.access == (mmap ? .mmapInterleaved : .readWriteInterleaved))
            if style == "blocking" { try stream.writeBlocking(planar) } else { try await stream.write(planar) }
            #expect(try await stream.drain(timeout: .seconds(5)))
            let device = kernel.playbackObservation()
            #expect(device.frames == 4800, "\(style)")
            #expect(device.checksum == (try StreamTests.deviceChecksum(interleaved, as: .s16LE)), "\(style)")
        }
    }

    @Test("a non-interleaved buffer with the wrong channel count is refused before anything moves")
    func wrongChannelCount() async throws {
        let kernel = makeKernel()
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .milliseconds(40)), kernel: kernel)
        let mono = try NonInterleavedAudioBuffer(channelCount: 1, frameCount: 480)
        let error = #expect(throws: AlsaError.self) { try stream.writeBlocking(mono) }
        #expect(error?.context == "a 1-channel buffer for a 2-channel stream")
        await #expect(throws: AlsaError.self) { try await stream.write(mono) }
        #expect(kernel.playbackObservation().frames == 0)
    }

    @Test("non-interleaved capture gives each channel its own samples, as the interleaved read does", arguments: [false, true])
    func captureMatchesInterleaved(mmap: Bool) async throws {
        let expected = expectedCapture(startFrame: 0, frames: 4800, frameBytes: 4)
        let decoded = try expected.withUnsafeBytes { try InterleavedAudioBuffer(decoding: $0, format: .s16LE, channelCount: 2) }
        for style in ["blocking", "async"] {
            let kernel = makeKernel(.explicitSync)
            let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(formats: [.s16LE], preferMmap: mmap), kernel: kernel)
            let captured = style == "blocking" ? try stream.readNonInterleavedBlocking(frames: 4800)
                                               : try await stream.readNonInterleaved(frames: 4800)
            #expect(captured.channelCount == 2 && captured.frameCount == 4800)
            // Counted, not compared whole: a failing #expect on two long arrays prints them both.
            for channel in 0..<2 {
                let wrong = zip(captured[channel], decoded.channel(channel)).filter { $0 != $1 }.count
                #expect(wrong == 0, "\(style): \(wrong) wrong samples in channel \(channel)")
            }
        }
        let kernel = makeKernel()
        let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(), kernel: kernel)
        #expect(throws: AlsaError.self) { _ = try stream.readNonInterleavedBlocking(frames: -1) }
        #expect(throws: AlsaError.self) { _ = try stream.readNonInterleavedBlocking(frames: Int.max) }
    }
}
