import AlsaSimulation
import Foundation
import Testing
@testable import AlsaSwift

/// A card pulled out while in use: every user of it ends with `.disconnected`, and gives back its
/// descriptors and mappings. "Ends" is waited for up to `hangBound`: on the simulated kernel every
/// wait on an unplugged device ends at once with POLLERR and every later call fails without reaching
/// the kernel, so what can go wrong is a user that never ends. A wall-clock bound of one second
/// here measured the machine's load instead (2.2 s on an idle 2-core machine during the full suite,
/// for a render thread that ended at its next call).
@Suite("Unplug of a card in use (simulated kernel)", .hangTimeLimit)
struct UnplugTests {
    @Test("an async capture sequence ends with .disconnected")
    func captureSequence() async throws {
        let kernel = makeKernel()
        // The card goes once the stream is open and delivering: a fixed pause could remove it
        // before the open (ENOENT, `.noSuchDevice`), which is not the case under test.
        let started = AsyncStream<Void>.makeStream()
        let ended = Task { () async -> AlsaError? in
            defer { started.continuation.finish() }
            do {
                let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2), kernel: kernel)
                for try await _ in stream.buffers(frames: 480) {
                    started.continuation.finish()
                    await Task.yield()
                }
                return nil
            } catch let error as AlsaError {
                return error
            } catch {
                return nil
            }
        }
        for await _ in started.stream {}
        kernel.removeCard(0)
        let error = await valuePassingCancellation(ended)
        #expect(error?.kind == .disconnected, "\(String(describing: error))")
        #expect(kernel.openDescriptorCount == 0 && kernel.mappedRegionCount == 0)
    }

    @Test("a render thread stops with .disconnected", arguments: [AccessType.mmapInterleaved, .readWriteInterleaved])
    func renderThread(access: AccessType) throws {
        let kernel = makeKernel(.explicitSync)
        do {
            let pcm = try KernelPCM(card: 0, device: 0, direction: .playback, kernel: kernel)
            _ = try pcm.configure(HardwareRequest(access: access, format: .floatLE, channelCount: 2, sampleRate: 48_000, periodSize: 480, periodCount: 4))
            let thread = try RenderThread(pcm: pcm) { context in
                for i in 0..<context.samples.count { context.samples[i] = 0 }
            }
            #expect(eventuallyBlocking { thread.callbackCount > 4 })
            kernel.removeCard(0)
            #expect(eventuallyBlocking { thread.isFinished })
            #expect(thread.failure?.kind == .disconnected)
            thread.stop()
        }
        #expect(kernel.openDescriptorCount == 0 && kernel.mappedRegionCount == 0)
    }

    @Test("a playing stream's next write reports .disconnected; the hotplug watch hears of it")
    func playback() throws {
        let kernel = makeKernel()
        let changes = try DeviceChanges(kernel: kernel)
        do {
            let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2), kernel: kernel)
            let period = [Float](repeating: 0, count: 960)
            try period.withUnsafeBufferPointer { try stream.writeBlocking($0) }
            kernel.removeCard(0)
            let error = #expect(throws: AlsaError.self) { try period.withUnsafeBufferPointer { try stream.writeBlocking($0) } }
            #expect(error?.kind == .disconnected)
        }
        #expect(try changes.available().first == .cardRemoved(card: 0))
        #expect(kernel.openDescriptorCount == 1)  // the watch itself
    }
}
