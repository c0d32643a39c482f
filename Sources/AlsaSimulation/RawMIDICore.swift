import CAlsaKernel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One open raw MIDI file: the directions it holds of a device (snd_rawmidi_file).
final class RawMIDIFile {
    let device: SimulatedRawMIDIDevice
    let reads: Bool
    let writes: Bool
    var disconnected = false

    init(device: SimulatedRawMIDIDevice, reads: Bool, writes: Bool) {
        self.device = device
        self.reads = reads
        self.writes = writes
    }
}

/// The raw MIDI core's file operations (sound/core/rawmidi.c, 6.1) for one open file. The
/// simulated kernel serves MIDI files as non-blocking (AlsaSwift opens them so and waits in poll):
/// a read with nothing to read and a write with no room fail with EAGAIN.
struct RawMIDICore {
    let kernel: SimulatedKernel
    let file: RawMIDIFile

    /// snd_rawmidi_open: the directions asked must exist (ENXIO) and be free (EBUSY).
    static func open(_ device: SimulatedRawMIDIDevice, flags: Int32, fd: Int32) throws(Errno) -> RawMIDIFile {
        let mode = flags & O_ACCMODE
        let reads = mode == O_RDONLY || mode == O_RDWR
        let writes = mode == O_WRONLY || mode == O_RDWR
        if (reads && !device.description.input) || (writes && !device.description.output) { throw .noSuchAddressOrDevice }
        if (reads && device.input.file != nil) || (writes && device.output.file != nil) { throw .resourceBusy }
        if reads { device.input.file = fd }
        if writes { device.output.file = fd }
        return RawMIDIFile(device: device, reads: reads, writes: writes)
    }

    /// snd_rawmidi_release: an output sends active sensing (FE) unless told not to, then drains.
    func close() {
        let device = file.device
        if file.writes {
            if !file.disconnected && !device.output.noActiveSensing {
                device.output.bytes.append(0xFE)
                kernel.transmitMIDI(device)
            }
            device.output.release()
        }
        if file.reads { device.input.release() }
    }

    func ioctl(_ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        if file.disconnected { throw .noDevice }
        switch request {
        case ALSA_IOCTL_RAWMIDI_PVERSION:
            try argument.pointer(Int32.self).pointee = Int32(bitPattern: ALSA_RAWMIDI_VERSION)
        case ALSA_IOCTL_RAWMIDI_INFO:
            let info = try argument.pointer(snd_rawmidi_info.self)
            let stream = info.pointee.stream
            guard try holds(stream) else { throw .noSuchFileOrDirectory }
            try file.device.fillInfo(info, stream: stream, subdevice: 0)
        case ALSA_IOCTL_RAWMIDI_PARAMS:
            let params = try argument.pointer(snd_rawmidi_params.self)
            guard try holds(params.pointee.stream) else { throw .invalidArgument }
            let input = params.pointee.stream == ALSA_RAWMIDI_STREAM_INPUT
            // resize_runtime_buffer and the framing check of snd_rawmidi_input_params.
            let size = Int(params.pointee.buffer_size), availMin = Int(params.pointee.avail_min)
            guard size >= 32, size <= 1024 * 1024, availMin >= 1, availMin <= size else { throw .invalidArgument }
            guard !input || params.pointee.mode == 0 else { throw .invalidArgument }
            let stream = input ? file.device.input : file.device.output
            stream.bufferSize = size
            stream.availMin = availMin
            if stream.bytes.count > size { stream.bytes.removeFirst(stream.bytes.count - size) }
            if !input { stream.noActiveSensing = alsa_rawmidi_params_no_active_sensing(params) }
        case ALSA_IOCTL_RAWMIDI_STATUS:
            let status = try argument.pointer(snd_rawmidi_status.self)
            let streamNumber = status.pointee.stream
            guard try holds(streamNumber) else { throw .invalidArgument }
            let input = streamNumber == ALSA_RAWMIDI_STREAM_INPUT
            let stream = input ? file.device.input : file.device.output
            status.pointee = snd_rawmidi_status()
            status.pointee.stream = streamNumber
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            status.pointee.tstamp = now
            status.pointee.avail = stream.avail(input: input)
            status.pointee.xruns = stream.xruns
            stream.xruns = 0
        case ALSA_IOCTL_RAWMIDI_DROP:
            let stream = try argument.pointer(Int32.self).pointee
            guard stream == ALSA_RAWMIDI_STREAM_OUTPUT, file.writes else { throw .invalidArgument }
            file.device.output.bytes.removeAll()
        case ALSA_IOCTL_RAWMIDI_DRAIN:
            let stream = try argument.pointer(Int32.self).pointee
            guard try holds(stream) else { throw .invalidArgument }
            if stream == ALSA_RAWMIDI_STREAM_INPUT {
                file.device.input.bytes.removeAll()
            } else if !file.device.output.bytes.isEmpty {
                // A stalled device never empties its buffer: the kernel gives up after 10 s.
                throw .ioError
            }
        default:
            throw .inappropriateIOCTLForDevice
        }
        return 0
    }

    /// Whether the file holds direction `stream` (EINVAL for a number that is no direction).
    private func holds(_ stream: Int32) throws(Errno) -> Bool {
        switch stream {
        case ALSA_RAWMIDI_STREAM_OUTPUT: return file.writes
        case ALSA_RAWMIDI_STREAM_INPUT: return file.reads
        default: throw .invalidArgument
        }
    }

    /// snd_rawmidi_read: what is buffered, up to `buffer.count`.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        if file.disconnected { throw .noDevice }
        guard file.reads else { throw .invalidArgument }
        let input = file.device.input
        input.triggered = true
        guard !input.bytes.isEmpty else { throw .resourceTemporarilyUnavailable }
        let count = min(buffer.count, input.bytes.count)
        for i in 0..<count { buffer[i] = input.bytes[i] }
        input.bytes.removeFirst(count)
        return count
    }

    /// snd_rawmidi_write: as much as the buffer has room for; the device sends it at once unless
    /// it is stalled.
    func write(from bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        if file.disconnected { throw .noDevice }
        guard file.writes else { throw .invalidArgument }
        let output = file.device.output
        let count = min(bytes.count, output.avail(input: false))
        guard count > 0 || bytes.isEmpty else { throw .resourceTemporarilyUnavailable }
        output.bytes.append(contentsOf: bytes[0..<count])
        kernel.transmitMIDI(file.device)
        return count
    }

    /// snd_rawmidi_poll: readable at avail_min bytes, writable at avail_min bytes of room. A poll
    /// starts the input, as the kernel's does.
    func poll() -> Int16 {
        if file.disconnected { return Int16(POLLERR | POLLNVAL) }
        var events: Int32 = 0
        let device = file.device
        if file.reads { device.input.triggered = true }
        if file.reads && device.input.avail(input: true) >= device.input.availMin { events |= POLLIN | POLLRDNORM }
        if file.writes && device.output.avail(input: false) >= device.output.availMin { events |= POLLOUT | POLLWRNORM }
        return Int16(events)
    }
}
