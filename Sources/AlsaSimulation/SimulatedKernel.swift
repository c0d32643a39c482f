import AlsaSwift
import CAlsaKernel
import Foundation
import SystemPackage

/// A model of the Linux ALSA PCM core (6.1 semantics) behind AlsaSwift's syscall seam.
///
/// Device nodes `/dev/snd/pcmC<card>D<device>{p,c}` exist for every device added. Time is virtual:
/// the DMA engines move only when a test calls `advance`, or when a caller would sleep in the kernel
/// (blocking transfers, blocking drain, poll with a timeout), which advances the clock a period at a
/// time until the wait would end. Nothing sleeps.
///
/// Thread safety: every entry point takes one lock, so a kernel may be shared between threads.
public final class SimulatedKernel: KernelInterface, @unchecked Sendable {
    private let lock = NSRecursiveLock()
    private var substreams: [String: Substream] = [:]
    private var files: [Int32: Substream] = [:]
    private var nextDescriptor: Int32 = 100
    private var regions: [UnsafeMutableRawPointer: (substream: Substream, data: Bool)] = [:]
    private var faults: [(errno: Errno, call: SimulatedCall, request: UInt?, remaining: Int)] = []
    private var records: [SimulatedCallRecord] = []

    public init(card: Int32 = 0, hardware: SimulatedHardware = .dummy) {
        addDevice(card: card, device: 0, hardware: hardware)
    }

    public func addDevice(card: Int32, device: Int32, hardware: SimulatedHardware) {
        locked {
            for capture in [false, true] {
                substreams[Self.devicePath(card: card, device: device, capture: capture)] =
                    Substream(card: card, device: device, capture: capture, hardware: hardware)
            }
        }
    }

    public static func devicePath(card: Int32, device: Int32, capture: Bool) -> String {
        "/dev/snd/pcmC\(card)D\(device)\(capture ? "c" : "p")"
    }

    /// The deterministic capture signal: byte `byte` of capture frame `frame`, frames counted from
    /// the stream's START. The project's explicit-sync test driver produces the same signal.
    public static func captureSample(frame: UInt64, byte: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (frame &* 31 &+ UInt64(byte) &* 7) ^ (frame >> 8))
    }

    // MARK: the test's controls

    /// Moves every running DMA engine by `frames`.
    public func advance(frames: Int) { locked { for s in substreams.values where s.isOpen { s.run(frames: frames) } } }

    /// Moves every running DMA engine by `periods` of its own period size.
    public func advance(periods: Int) {
        locked { for s in substreams.values where s.isOpen { s.run(frames: periods * (s.setup?.periodSize ?? 0)) } }
    }

    /// The next `times` calls of `call` (and `request`, for ioctls) fail with `errno` without running.
    public func inject(_ errno: Errno, into call: SimulatedCall, request: UInt? = nil, times: Int = 1) {
        locked { faults.append((errno, call, request, times)) }
    }

    /// A system suspend: every set-up stream goes to SUSPENDED, remembering its state.
    public func suspendAll() {
        locked {
            for s in substreams.values where s.isOpen && [State.prepared, State.running, State.paused, State.draining].contains(s.state) {
                s.statusPage.pointee.suspended_state = s.state
                s.state = State.suspended
            }
        }
    }

    /// An unplug: every open stream becomes DISCONNECTED; every later call on it but close fails with ENODEV.
    public func disconnectAll() {
        locked {
            for s in substreams.values where s.isOpen {
                s.disconnected = true
                s.state = State.disconnected
            }
        }
    }

    public var trace: [SimulatedCallRecord] { locked { records } }
    public func clearTrace() { locked { records.removeAll() } }
    public var openDescriptorCount: Int { locked { files.count } }
    public var mappedRegionCount: Int { locked { regions.count } }

    public func playbackObservation(card: Int32 = 0, device: Int32 = 0) -> DeviceObservation {
        locked { substreams[Self.devicePath(card: card, device: device, capture: false)]?.observation ?? DeviceObservation() }
    }

    public func captureObservation(card: Int32 = 0, device: Int32 = 0) -> DeviceObservation {
        locked { substreams[Self.devicePath(card: card, device: device, capture: true)]?.observation ?? DeviceObservation() }
    }

    // MARK: the seam

    public func open(_ path: String, flags: Int32) throws(Errno) -> FileDescriptor {
        try locked { () throws(Errno) -> FileDescriptor in
            var record = SimulatedCallRecord(call: .open)
            try checkFault(&record, .open, nil)
            guard let s = substreams[path] else { return try fail(&record, .noSuchFileOrDirectory) }
            guard !s.isOpen else { return try fail(&record, .resourceBusy) }
            s.open(nonBlocking: flags & O_NONBLOCK != 0)
            let fd = nextDescriptor
            nextDescriptor += 1
            files[fd] = s
            records.append(record)
            return FileDescriptor(rawValue: fd)
        }
    }

    public func close(_ fd: FileDescriptor) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .close)
            guard let s = files.removeValue(forKey: fd.rawValue) else { return try fail(&record, .badFileDescriptor) }
            // Linux releases the descriptor even when close reports an error.
            s.isOpen = false
            s.disconnected = false
            if s.dataMappings == 0 { s.freeBuffers() }
            try checkFault(&record, .close, nil)
            records.append(record)
        }
    }

    public func setNonBlocking(_ fd: FileDescriptor, _ nonBlocking: Bool) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .setNonBlocking)
            try checkFault(&record, .setNonBlocking, nil)
            guard let s = files[fd.rawValue] else { return try fail(&record, .badFileDescriptor) }
            s.nonBlocking = nonBlocking
            records.append(record)
        }
    }

    public func ioctl(_ fd: FileDescriptor, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        try locked { () throws(Errno) -> Int32 in
            var record = SimulatedCallRecord(call: .ioctl, request: request, requestName: RequestNames.table[request] ?? "0x\(String(request, radix: 16))")
            if request == ALSA_IOCTL_SYNC_PTR, let argument {
                let sync = argument.assumingMemoryBound(to: snd_pcm_sync_ptr.self).pointee
                record.syncPtrFlags = sync.flags
                if sync.flags & ALSA_SYNC_PTR_APPL == 0 { record.applPtr = sync.c.control.appl_ptr }
            }
            try checkFault(&record, .ioctl, request)
            guard let s = files[fd.rawValue] else { return try fail(&record, .badFileDescriptor) }
            let result: Int32
            do throws(Errno) {
                result = try PCMCore(kernel: self, s: s).ioctl(request, argument)
            } catch {
                return try fail(&record, error)
            }
            records.append(record)
            return result
        }
    }

    public func mmap(_ fd: FileDescriptor, length: Int, protection: Int32, offset: Int) throws(Errno) -> UnsafeMutableRawPointer {
        try locked { () throws(Errno) -> UnsafeMutableRawPointer in
            var record = SimulatedCallRecord(call: .mmap, mmapOffset: offset)
            try checkFault(&record, .mmap, nil)
            guard let s = files[fd.rawValue] else { return try fail(&record, .badFileDescriptor) }
            if s.disconnected { return try fail(&record, .noDevice) }
            let x86 = s.hardware.architecture == .x86
            let info = s.hardware.info
            let address: UnsafeMutableRawPointer
            var data = false
            switch offset {
            case ALSA_MMAP_OFFSET_STATUS_NEW, ALSA_MMAP_OFFSET_STATUS_OLD:
                // pcm_status_mmap_allowed()
                let refused = !x86 || info & ALSA_INFO_EXPLICIT_SYNC != 0
                    || (s.userProtocol < alsa_protocol_version(2, 0, 14) && info & ALSA_INFO_SYNC_APPLPTR != 0)
                if refused { return try fail(&record, .noSuchAddressOrDevice) }
                guard protection & PROT_WRITE == 0, protection & PROT_READ != 0, length == Substream.pageSize else {
                    return try fail(&record, .invalidArgument)
                }
                address = UnsafeMutableRawPointer(s.statusPage)
            case ALSA_MMAP_OFFSET_CONTROL_NEW, ALSA_MMAP_OFFSET_CONTROL_OLD:
                // pcm_control_mmap_allowed()
                if !x86 || info & (ALSA_INFO_EXPLICIT_SYNC | ALSA_INFO_SYNC_APPLPTR) != 0 {
                    return try fail(&record, .noSuchAddressOrDevice)
                }
                guard protection & PROT_READ != 0, length == Substream.pageSize else { return try fail(&record, .invalidArgument) }
                address = UnsafeMutableRawPointer(s.controlPage)
            case ALSA_MMAP_OFFSET_DATA:
                guard s.state != State.open, let setup = s.setup, let buffer = s.dmaBuffer else { return try fail(&record, .badFileDescriptorState) }
                guard info & ALSA_INFO_MMAP != 0 else { return try fail(&record, .noSuchAddressOrDevice) }
                guard setup.access <= 2, length <= s.dmaLength else { return try fail(&record, .invalidArgument) }
                address = buffer
                data = true
                s.dataMappings += 1
            default:
                return try fail(&record, .invalidArgument)
            }
            // A record page can be mapped more than once; each mapping is one region here.
            if regions[address] != nil && !data { return try fail(&record, .invalidArgument) }
            regions[address] = (s, data)
            records.append(record)
            return address
        }
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(Errno) {
        try locked { () throws(Errno) in
            var record = SimulatedCallRecord(call: .munmap)
            try checkFault(&record, .munmap, nil)
            guard let region = regions.removeValue(forKey: address) else { return try fail(&record, .invalidArgument) }
            if region.data {
                region.substream.dataMappings -= 1
                if !region.substream.isOpen && region.substream.dataMappings == 0 { region.substream.freeBuffers() }
            }
            records.append(record)
        }
    }

    public func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, timeoutMilliseconds: Int32) throws(Errno) -> Int32 {
        try locked { () throws(Errno) -> Int32 in
            var record = SimulatedCallRecord(call: .poll)
            try checkFault(&record, .poll, nil)
            records.append(record)
            // Waiting: advance the clock a period at a time until something is ready or the timeout passes.
            var waitedFrames = 0
            while true {
                var ready: Int32 = 0
                for i in 0..<count {
                    descriptors[i].revents = files[descriptors[i].fd].map { Int16(truncatingIfNeeded: events(of: $0)) } ?? Int16(POLLNVAL)
                    if descriptors[i].revents != 0 { ready += 1 }
                }
                if ready > 0 || timeoutMilliseconds == 0 { return ready }
                let running = (0..<count).compactMap { files[descriptors[$0].fd] }
                    .filter { $0.state == State.running || ($0.state == State.draining && !$0.capture) }
                guard let clock = running.first, let setup = clock.setup else { return 0 }
                let limit = timeoutMilliseconds < 0 ? setup.rate * 3600 : Int(timeoutMilliseconds) * setup.rate / 1000
                if waitedFrames >= limit { return 0 }
                let step = setup.periodSize - clock.framesIntoPeriod
                for s in substreams.values where s.isOpen { s.run(frames: step) }
                waitedFrames += step
            }
        }
    }

    /// snd_pcm_playback_poll / snd_pcm_capture_poll.
    private func events(of s: Substream) -> Int32 {
        let ok = s.capture ? POLLIN | POLLRDNORM : POLLOUT | POLLWRNORM
        if s.disconnected { return ok | POLLERR }
        switch s.state {
        case State.running, State.prepared, State.paused:
            return s.avail >= Int(s.availMin) ? ok : 0
        case State.draining:
            return s.capture ? ok : 0
        default:
            return ok | POLLERR
        }
    }

    // MARK: plumbing

    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func checkFault(_ record: inout SimulatedCallRecord, _ call: SimulatedCall, _ request: UInt?) throws(Errno) {
        guard let index = faults.firstIndex(where: { $0.call == call && ($0.request == nil || $0.request == request) }) else { return }
        let errno = faults[index].errno
        faults[index].remaining -= 1
        if faults[index].remaining <= 0 { faults.remove(at: index) }
        _ = try fail(&record, errno) as Int32
    }

    private func fail<T>(_ record: inout SimulatedCallRecord, _ errno: Errno) throws(Errno) -> T {
        record.errno = errno
        records.append(record)
        throw errno
    }

    private func fail(_ record: inout SimulatedCallRecord, _ errno: Errno) throws(Errno) {
        record.errno = errno
        records.append(record)
        throw errno
    }

    /// Runs the clock by one period of `s` (a caller sleeping in the kernel).
    func sleepOnePeriod(_ s: Substream) {
        let step = (s.setup?.periodSize ?? 1) - s.framesIntoPeriod
        for other in substreams.values where other.isOpen { other.run(frames: step) }
    }
}
