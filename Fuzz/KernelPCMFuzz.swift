import AlsaSimulation
import AlsaSwift

#if canImport(Glibc)
import Glibc
#endif

/// `KernelPCM` against a kernel that answers a fuzzed sequence of seam results (`FuzzedKernel`),
/// driven through a fuzzed sequence of API calls: open, configure, transfers both ways and with
/// both accesses, waits, state changes, recovery, close. Any of them may fail with an `AlsaError`;
/// none may trap.
enum KernelPCMFuzz {
    // libFuzzer runs one input at a time on one thread: scratch shared between inputs is safe.
    nonisolated(unsafe) static let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    nonisolated(unsafe) static let channelPointers: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?> = {
        let pointers = UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>.allocate(capacity: 8)
        for c in 0..<8 { pointers[c] = buffer.baseAddress! + c * 8_192 }
        return pointers
    }()

    static func run(_ input: FuzzInput) {
        var setupInput = input
        let hardware: SimulatedHardware = setupInput.pick([.dummy, .explicitSync, .syncApplPtr])
        let direction: StreamDirection = setupInput.bool() ? .playback : .capture
        let options = PCMOpenOptions(nonBlocking: setupInput.bool(), forceSyncPtr: setupInput.bool() ? .both : [],
                                     recovery: setupInput.bool() ? .automatic : .report)
        let access: AccessType = setupInput.pick([.readWriteInterleaved, .readWriteNonInterleaved, .mmapInterleaved, .mmapNonInterleaved])
        let channels = Int(setupInput.byte() % 3 + 1)
        let kernel = FuzzedKernel(base: SimulatedKernel(card: 0, hardware: hardware), input: setupInput)
        guard let pcm = try? KernelPCM(card: 0, device: 0, direction: direction, options: options, kernel: kernel) else { return }
        defer { try? pcm.close() }
        guard let setup = try? pcm.configure(HardwareRequest(access: access, format: .s16LE, channelCount: channels, sampleRate: 48_000,
                                                             periodSize: 64, periodCount: 4)) else { return }
        var lastError: AlsaError?
        for _ in 0..<48 {
            guard kernel.input.remaining > 0 else { break }
            do {
                try step(pcm, setup: setup, kernel: kernel)
            } catch {
                lastError = error
                if kernel.input.bool() { try? pcm.recover(from: error) }
            }
        }
        _ = lastError.map { "\($0)" }
        _ = "\(pcm.syncReport) \(pcm.capabilities) \(pcm.xrunCount)"
    }

    static func step(_ pcm: KernelPCM, setup: HardwareSetup, kernel: FuzzedKernel) throws(AlsaError) {
        let frames = Int(kernel.input.uint16() % 512)
        let frameBytes = max(setup.frameBytes, 1)
        switch kernel.input.byte() % 22 {
        case 0: try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: buffer[0..<min(frames * frameBytes, buffer.count)]))
        case 1: try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(frames * frameBytes, buffer.count)]))
        case 2: try pcm.writeNonInterleaved(UnsafeBufferPointer(rebasing: channelPointers[0..<setup.channelCount]), frames: frames)
        case 3: try pcm.readNonInterleaved(into: UnsafeBufferPointer(rebasing: channelPointers[0..<setup.channelCount]), frames: frames)
        case 4, 5:
            let area = try pcm.beginTransfer(maxFrames: frames)
            // Commit what was granted, or (sometimes) a count it was not: that must be refused.
            try pcm.commitTransfer(kernel.input.byte() < 224 ? area.frames : frames)
        case 6: _ = try pcm.wait(timeout: [nil, .zero, .milliseconds(1)][Int(kernel.input.byte() % 3)])
        case 7: _ = try pcm.avail()
        case 8: _ = try pcm.delay()
        case 9: _ = try pcm.state
        case 10: try pcm.start()
        case 11: try pcm.drop()
        case 12: _ = try pcm.drain(timeout: .milliseconds(Int(kernel.input.byte())))
        case 13: try pcm.prepare()
        case 14: try pcm.pause(kernel.input.bool())
        case 15: try pcm.resume()
        case 16: try pcm.reset()
        case 17: try pcm.forward(frames - 128)
        case 18: try pcm.rewind(frames - 128)
        case 19: try pcm.setNonBlocking(kernel.input.bool())
        case 20: _ = try pcm.availWithTimestamp()
        default:
            let descriptors = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: max(pcm.pollDescriptorCount, 1))
            defer { descriptors.deallocate() }
            let count = try pcm.fillPollDescriptors(descriptors)
            _ = try pcm.pollEvents(UnsafeMutableBufferPointer(rebasing: descriptors[0..<min(count, descriptors.count)]))
        }
    }
}
