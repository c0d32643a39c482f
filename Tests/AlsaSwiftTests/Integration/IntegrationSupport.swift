import AlsaSwift
import Foundation

/// Writes `frames` frames of a known pattern with read/write transfers (interleaved or one buffer
/// per channel). Returns the FNV-1a checksum of the bytes written in stream order (interleaved
/// frames), which is what a device that plays them consumes.
@discardableResult
func playReadWrite(_ pcm: any PCM, frames total: Int, firstByte: Int = 0) throws -> UInt64 {
    let setup = pcm.setup!
    let period = Int(setup.periodSize)
    let frameBytes = setup.frameBytes
    var checksum = StreamChecksum()
    var interleaved = [UInt8](repeating: 0, count: period * frameBytes)
    let channels = Int(setup.channelCount)
    let sampleBytes = frameBytes / channels
    let planes = (0..<channels).map { _ in UnsafeMutableRawPointer.allocate(byteCount: period * sampleBytes, alignment: 16) }
    defer { planes.forEach { $0.deallocate() } }
    var written = 0
    while written < total {
        let frames = min(period, total - written)
        for i in 0..<(frames * frameBytes) { interleaved[i] = patternByte(firstByte + written * frameBytes + i) }
        interleaved.withUnsafeBytes { checksum.add(UnsafeRawBufferPointer(rebasing: $0[0..<(frames * frameBytes)])) }
        var done = 0
        if setup.access.isInterleaved {
            done = try interleaved.withUnsafeBytes { try pcm.writeInterleaved(UnsafeRawBufferPointer(rebasing: $0[0..<(frames * frameBytes)])) }
        } else {
            for f in 0..<frames {
                for c in 0..<channels {
                    for b in 0..<sampleBytes { planes[c].storeBytes(of: interleaved[f * frameBytes + c * sampleBytes + b], toByteOffset: f * sampleBytes + b, as: UInt8.self) }
                }
            }
            let pointers: [UnsafeMutableRawPointer?] = planes
            done = try pointers.withUnsafeBufferPointer { try pcm.writeNonInterleaved($0, frames: frames) }
        }
        written += done
    }
    return checksum.value
}

/// The mmap loop for either layout: wait, begin, fill every channel, commit.
@discardableResult
func playMmapAnyLayout(_ pcm: any PCM, frames total: Int, firstByte: Int = 0) throws -> UInt64 {
    let setup = pcm.setup!
    let frameBytes = setup.frameBytes
    let channels = Int(setup.channelCount)
    let sampleBytes = frameBytes / channels
    var checksum = StreamChecksum()
    var written = 0
    while written < total {
        if try pcm.state == .running { _ = try pcm.wait(timeout: .milliseconds(1000)) }
        let area = try pcm.beginTransfer(maxFrames: total - written)
        var bytes = [UInt8](repeating: 0, count: area.frames * frameBytes)
        for i in bytes.indices { bytes[i] = patternByte(firstByte + (written * frameBytes) + i) }
        bytes.withUnsafeBytes { checksum.add($0) }
        for c in 0..<channels {
            let (first, step) = area.channel(c)
            for f in 0..<area.frames {
                for b in 0..<sampleBytes {
                    first.storeBytes(of: bytes[f * frameBytes + c * sampleBytes + b], toByteOffset: f * step + b, as: UInt8.self)
                }
            }
        }
        try pcm.commitTransfer(area.frames)
        written += area.frames
    }
    return checksum.value
}

/// Reads `frames` frames with read/write transfers (interleaved).
func captureReadWrite(_ pcm: any PCM, frames total: Int) throws -> [UInt8] {
    let setup = pcm.setup!
    var chunk = [UInt8](repeating: 0, count: Int(setup.periodSize) * setup.frameBytes)
    var captured: [UInt8] = []
    var read = 0
    while read < total {
        let frames = min(Int(setup.periodSize), total - read)
        let got = try chunk.withUnsafeMutableBytes { try pcm.readInterleaved(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(frames * setup.frameBytes)])) }
        captured += chunk[0..<(got * setup.frameBytes)]
        read += got
    }
    return captured
}

/// The test driver's capture signal: byte `b` of absolute capture frame `f`.
func explicitSyncDriverSample(frame f: UInt64, byte b: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: (f &* 31 &+ UInt64(b) &* 7) ^ (f >> 8))
}
