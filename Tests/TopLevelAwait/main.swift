// Top-level code, as in an app's main.swift or a script: the place where a blocking overload of
// `write` used to win silently over the async one the author meant with `await`. This program
// writes more than a buffer's worth with `try await stream.write(...)` and reports on which
// threads the wait happened: the async path waits on the poll reactor's thread, a blocking call
// would poll on the main thread. A test (TopLevelAwaitTests) runs it and checks the verdict.
import AlsaSimulation
import AlsaSwift
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The simulated kernel, counting the polls made on the main thread and on other threads.
final class PollCountingKernel: KernelInterface {
    let base: SimulatedKernel
    let mainThread = pthread_self()
    let mainThreadPolls = Atomic<Int>(0)
    let otherThreadPolls = Atomic<Int>(0)

    init(base: SimulatedKernel) { self.base = base }

    var servesMachineDevices: Bool { base.servesMachineDevices }

    func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor { try base.open(path, flags: flags) }
    func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) { try base.setNonBlocking(fd, nonBlocking) }
    func close(_ fd: FileDescriptor) throws(Errno) { try base.close(fd) }
    func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try base.ioctl(fd, request, argument)
    }
    func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try base.mmap(fd, length: length, protection: protection, offset: offset)
    }
    func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) { try base.munmap(address, length: length) }
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeout: Duration?) throws(Errno) -> Int32 {
        if pthread_equal(pthread_self(), mainThread) != 0 {
            mainThreadPolls.add(1, ordering: .relaxed)
        } else {
            otherThreadPolls.add(1, ordering: .relaxed)
        }
        return try base.poll(descriptors, count: count, timeout: timeout)
    }
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try base.read(fd, into: buffer)
    }
    func inotifyInit() throws(Errno) -> FileDescriptor { try base.inotifyInit() }
    func inotifyAddWatch(_ fd: FileDescriptor, path: String, mask: UInt32) throws(Errno) -> Int32 {
        try base.inotifyAddWatch(fd, path: path, mask: mask)
    }
}

let kernel = PollCountingKernel(base: SimulatedKernel(card: 0, hardware: .dummy))
let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(20)),
                                kernel: kernel)
// A tenth of a second: five buffers, so the write must wait for room several times.
let samples = try InterleavedAudioBuffer(channelCount: 2, samples: [Float](repeating: 0.25, count: 4_800 * 2))
try await stream.write(samples)
let onMain = kernel.mainThreadPolls.load(ordering: .relaxed)
let elsewhere = kernel.otherThreadPolls.load(ordering: .relaxed)
let played = kernel.base.playbackObservation().frames
print("top-level await: the device played \(played) frames; polls on the main thread \(onMain), on the reactor thread \(elsewhere)")
exit(onMain == 0 && elsewhere > 0 && played > 0 ? 0 : 1)
