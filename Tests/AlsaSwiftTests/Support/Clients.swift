import AlsaSimulation
import AlsaSwift
import CAlsaKernel
import SystemPackage

/// The mmap playback loop an app writes with AlsaSwift: wait, begin, fill, commit.
/// Returns the checksum of every byte written, to compare with the device's.
@discardableResult
func playMmap(_ pcm: any PCM, frames total: Int, startingAt firstByte: Int = 0, waitFirst: Bool = true) throws -> UInt64 {
    let frameBytes = pcm.setup!.frameBytes
    var checksum = StreamChecksum()
    var written = 0
    while written < total {
        if written > 0 || waitFirst {
            _ = try pcm.wait()
        }
        let area = try pcm.beginTransfer(maxFrames: total - written)
        let bytes = area.interleaved
        for i in 0..<bytes.count { bytes[i] = patternByte(firstByte + written * frameBytes + i) }
        checksum.add(UnsafeRawBufferPointer(bytes))
        try pcm.commitTransfer(area.frames)
        written += area.frames
    }
    return checksum.value
}

/// The mmap capture loop: wait, begin, read, commit. Returns the captured bytes.
func captureMmap(_ pcm: any PCM, frames total: Int) throws -> [UInt8] {
    var captured: [UInt8] = []
    var read = 0
    while read < total {
        _ = try pcm.wait()
        let area = try pcm.beginTransfer(maxFrames: total - read)
        captured.append(contentsOf: UnsafeRawBufferPointer(area.interleaved))
        try pcm.commitTransfer(area.frames)
        read += area.frames
    }
    return captured
}

/// The bytes the simulated capture device produces for absolute frames `start..<start+frames`.
func expectedCapture(startFrame: UInt64, frames: Int, frameBytes: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    for f in 0..<frames {
        for b in 0..<frameBytes { bytes.append(SimulatedKernel.captureSample(frame: startFrame + UInt64(f), byte: b)) }
    }
    return bytes
}
