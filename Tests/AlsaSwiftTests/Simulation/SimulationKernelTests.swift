import AlsaSimulation
import CAlsaKernel
import Glibc
import SystemPackage
import Testing

/// The simulated kernel itself, driven through raw seam calls as a C client would.
@Suite struct SimulationKernelTests {
    // MARK: helpers

    struct Raw {
        let kernel: SimulatedKernel
        let fd: FileDescriptor

        init(_ hardware: SimulatedHardware = .dummy, capture: Bool = false, flags: Int32 = O_RDWR) throws {
            kernel = SimulatedKernel(card: 0, hardware: hardware)
            fd = try kernel.open(SimulatedKernel.devicePath(card: 0, device: 0, capture: capture), flags: flags)
        }

        @discardableResult
        func ioctl<T>(_ request: UInt, _ record: inout T) throws(Errno) -> Int32 {
            try withUnsafeMutablePointer(to: &record) { (p) throws(Errno) -> Int32 in
                try kernel.ioctl(fd, request, UnsafeMutableRawPointer(p))
            }
        }

        @discardableResult
        func ioctl(_ request: UInt) throws(Errno) -> Int32 { try kernel.ioctl(fd, request, nil) }

        /// The errno `body` failed with; nil when it succeeded.
        func errno(_ body: () throws -> Void) -> Errno? {
            do {
                try body()
                return nil
            } catch {
                return error as? Errno
            }
        }

        /// HW_PARAMS with S16_LE stereo 48 kHz, 256-frame periods, 4 periods and `access`.
        @discardableResult
        func configure(access: UInt32, format: UInt32 = 2, channelCount: UInt32 = 2, sampleRate: UInt32 = 48000,
                       period: UInt32 = 256, periods: UInt32 = 4) throws(Errno) -> snd_pcm_hw_params {
            var p = anyParams()
            setMask(&p, ALSA_HW_PARAM_ACCESS, access)
            setMask(&p, ALSA_HW_PARAM_FORMAT, format)
            setInterval(&p, ALSA_HW_PARAM_CHANNELS, channelCount)
            setInterval(&p, ALSA_HW_PARAM_RATE, sampleRate)
            setInterval(&p, ALSA_HW_PARAM_PERIOD_SIZE, period)
            setInterval(&p, ALSA_HW_PARAM_PERIODS, periods)
            try ioctl(ALSA_IOCTL_HW_PARAMS, &p)
            return p
        }

        func syncPtr(flags: UInt32, applPtr: UInt = 0, availMin: UInt = 1) throws(Errno) -> snd_pcm_sync_ptr {
            var record = snd_pcm_sync_ptr()
            record.flags = flags
            record.c.control.appl_ptr = applPtr
            record.c.control.avail_min = availMin
            try ioctl(ALSA_IOCTL_SYNC_PTR, &record)
            return record
        }

        func state() throws(Errno) -> Int32 {
            try syncPtr(flags: ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN).s.status.state
        }

        func swBoundary() throws(Errno) -> UInt {
            var sw = snd_pcm_sw_params()
            sw.avail_min = 1
            sw.start_threshold = .max  // never auto-start
            sw.stop_threshold = 1024
            sw.proto = ALSA_PCM_VERSION
            try ioctl(ALSA_IOCTL_SW_PARAMS, &sw)
            return sw.boundary
        }
    }

    static func anyParams() -> snd_pcm_hw_params {
        var p = snd_pcm_hw_params()
        for m in ALSA_HW_PARAM_FIRST_MASK...ALSA_HW_PARAM_LAST_MASK { alsa_mask_fill(alsa_hw_mask(&p, m)) }
        for i in ALSA_HW_PARAM_FIRST_INTERVAL...ALSA_HW_PARAM_LAST_INTERVAL {
            alsa_hw_interval(&p, i)!.pointee = snd_interval()
            alsa_hw_interval(&p, i)!.pointee.max = .max
        }
        p.rmask = .max
        return p
    }

    static func setMask(_ p: inout snd_pcm_hw_params, _ param: Int32, _ bit: UInt32) {
        alsa_mask_clear(alsa_hw_mask(&p, param))
        alsa_mask_set(alsa_hw_mask(&p, param), bit)
    }

    static func setInterval(_ p: inout snd_pcm_hw_params, _ param: Int32, _ value: UInt32) {
        setRange(&p, param, value, value)
    }

    static func setRange(_ p: inout snd_pcm_hw_params, _ param: Int32, _ lo: UInt32, _ hi: UInt32) {
        alsa_hw_interval(&p, param)!.pointee = snd_interval()
        alsa_hw_interval(&p, param)!.pointee.min = lo
        alsa_hw_interval(&p, param)!.pointee.max = hi
    }

    static func interval(_ p: inout snd_pcm_hw_params, _ param: Int32) -> ClosedRange<UInt32> {
        let i = alsa_hw_interval(&p, param)!.pointee
        return (i.min + (i.openmin != 0 ? 1 : 0))...(i.max - (i.openmax != 0 ? 1 : 0))
    }

    static func maskBits(_ p: inout snd_pcm_hw_params, _ param: Int32) -> [UInt32] {
        (0..<64).filter { alsa_mask_test(alsa_hw_mask(&p, param), $0) }
    }

    typealias T = SimulationKernelTests
    static let mmapInterleaved: UInt32 = 0, rwInterleaved: UInt32 = 3, rwNonInterleaved: UInt32 = 4

    // MARK: refinement

    @Test func refinementReportsTheDummyCapabilities() throws {
        let raw = try Raw(.dummy)
        var p = T.anyParams()
        try raw.ioctl(ALSA_IOCTL_HW_REFINE, &p)
        #expect(T.maskBits(&p, ALSA_HW_PARAM_FORMAT) == [1, 2])
        #expect(T.maskBits(&p, ALSA_HW_PARAM_ACCESS) == [0, 3])  // INTERLEAVED only: no non-interleaved access
        #expect(T.interval(&p, ALSA_HW_PARAM_RATE) == 5500...48000)
        #expect(T.interval(&p, ALSA_HW_PARAM_CHANNELS) == 1...2)
        #expect(T.interval(&p, ALSA_HW_PARAM_SAMPLE_BITS) == 8...16)
        #expect(T.interval(&p, ALSA_HW_PARAM_BUFFER_BYTES) == 64...65536)
        #expect(p.info == 0x0004_0103)
        #expect(p.rmask == 0)
        #expect(p.cmask != 0)
        #expect(p.msbits == 0 && p.rate_den == 0)  // neither sample width nor rate is single yet
    }

    @Test func refinementPropagatesSizesAndTimes() throws {
        let raw = try Raw(.dummy)
        var p = T.anyParams()
        T.setMask(&p, ALSA_HW_PARAM_FORMAT, 2)
        T.setInterval(&p, ALSA_HW_PARAM_CHANNELS, 2)
        T.setInterval(&p, ALSA_HW_PARAM_RATE, 48000)
        T.setInterval(&p, ALSA_HW_PARAM_PERIOD_TIME, 10000)
        try raw.ioctl(ALSA_IOCTL_HW_REFINE, &p)
        #expect(T.interval(&p, ALSA_HW_PARAM_FRAME_BITS) == 32...32)
        #expect(T.interval(&p, ALSA_HW_PARAM_PERIOD_SIZE) == 480...480)
        #expect(T.interval(&p, ALSA_HW_PARAM_PERIOD_BYTES) == 1920...1920)
        #expect(T.interval(&p, ALSA_HW_PARAM_BUFFER_SIZE).upperBound == 16384)
        #expect(p.msbits == 16 && p.rate_num == 48000 && p.rate_den == 1)
    }

    @Test func listedRatesSnapAndAFailedRefineLeavesTheRecordAlone() throws {
        let raw = try Raw(.explicitSync)
        var p = T.anyParams()
        T.setRange(&p, ALSA_HW_PARAM_RATE, 40000, 50000)
        try raw.ioctl(ALSA_IOCTL_HW_REFINE, &p)
        #expect(T.interval(&p, ALSA_HW_PARAM_RATE) == 44100...48000)
        var q = T.anyParams()
        T.setRange(&q, ALSA_HW_PARAM_RATE, 45000, 47000)
        let before = withUnsafeBytes(of: q) { Array($0) }
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_HW_REFINE, &q) } == .invalidArgument)
        #expect(withUnsafeBytes(of: q) { Array($0) } == before)
    }

    @Test func hwParamsChoosesLikeTheKernel() throws {
        let raw = try Raw(.dummy)
        var p = T.anyParams()
        try raw.ioctl(ALSA_IOCTL_HW_PARAMS, &p)
        // First access and format, fewest channels, lowest rate, shortest period, then the largest buffer.
        #expect(T.maskBits(&p, ALSA_HW_PARAM_ACCESS) == [0])
        #expect(T.maskBits(&p, ALSA_HW_PARAM_FORMAT) == [1])
        #expect(T.interval(&p, ALSA_HW_PARAM_CHANNELS) == 1...1)
        #expect(T.interval(&p, ALSA_HW_PARAM_RATE) == 5500...5500)
        #expect(T.interval(&p, ALSA_HW_PARAM_PERIOD_SIZE) == 64...64)
        #expect(T.interval(&p, ALSA_HW_PARAM_BUFFER_SIZE) == 65536...65536)
        #expect(T.interval(&p, ALSA_HW_PARAM_PERIODS) == 1024...1024)
        #expect(try raw.state() == 1)  // SETUP
    }

    // MARK: state machine

    @Test func stateErrorsAreTheKernels() throws {
        let raw = try Raw(.dummy)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_PREPARE) } == .badFileDescriptorState)  // OPEN
        var sw = snd_pcm_sw_params()
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_SW_PARAMS, &sw) } == .badFileDescriptorState)
        try raw.configure(access: T.rwInterleaved)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_START) } == .badFileDescriptorState)  // SETUP
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_START) } == .brokenPipe)  // nothing to play
        var silence = [UInt8](repeating: 0, count: 4096)
        try silence.withUnsafeMutableBytes { bytes in
            var x = snd_xferi(result: 0, buf: bytes.baseAddress, frames: 1024)
            try raw.ioctl(ALSA_IOCTL_WRITEI_FRAMES, &x)
            #expect(x.result == 1024)
        }
        #expect(try raw.state() == 3)  // auto-started at the threshold
        #expect(raw.errno { _ = try raw.configure(access: T.rwInterleaved) } == .badFileDescriptorState)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_PREPARE) } == .resourceBusy)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_PAUSE) } == .noFunction)  // the dummy cannot pause
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_RESUME) } == .badFileDescriptorState)
        try raw.ioctl(ALSA_IOCTL_DROP)
        #expect(try raw.state() == 1)
    }

    @Test func playbackRunsPastTheBufferIntoAnXrun() throws {
        let raw = try Raw(.dummy)
        try raw.configure(access: T.rwInterleaved)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        var data = [UInt8](repeating: 7, count: 4096)
        try data.withUnsafeMutableBytes { bytes in
            var x = snd_xferi(result: 0, buf: bytes.baseAddress, frames: 1024)
            try raw.ioctl(ALSA_IOCTL_WRITEI_FRAMES, &x)
        }
        raw.kernel.advance(periods: 3)
        #expect(try raw.state() == 3)
        raw.kernel.advance(periods: 1)
        #expect(try raw.state() == 4)  // XRUN at the interrupt that found the buffer empty
        let seen = raw.kernel.playbackObservation()
        #expect(seen.xruns == 1 && seen.frames == 1024 && seen.underrunFrames == 0)
        #expect(raw.errno { _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN) }
            == .brokenPipe)
    }

    // MARK: records

    struct RecordCase: Sendable, CustomTestStringConvertible {
        let hardware: SimulatedHardware
        let userProtocol2014: Bool
        let status: Errno?
        let control: Errno?
        var testDescription: String { "\(hardware.name), USER_PVERSION 2.0.14: \(userProtocol2014)" }
    }

    @Test(arguments: [
        RecordCase(hardware: .dummy, userProtocol2014: false, status: nil, control: nil),
        RecordCase(hardware: .explicitSync, userProtocol2014: false, status: .noSuchAddressOrDevice, control: .noSuchAddressOrDevice),
        RecordCase(hardware: .explicitSync, userProtocol2014: true, status: .noSuchAddressOrDevice, control: .noSuchAddressOrDevice),
        RecordCase(hardware: .syncApplPtr, userProtocol2014: false, status: .noSuchAddressOrDevice, control: .noSuchAddressOrDevice),
        RecordCase(hardware: .syncApplPtr, userProtocol2014: true, status: nil, control: .noSuchAddressOrDevice),
    ])
    func recordMappingsAreRefusedLikeTheKernel(_ c: RecordCase) throws {
        let (hardware, newProtocol, status, control) = (c.hardware, c.userProtocol2014, c.status, c.control)
        let raw = try Raw(hardware)
        if newProtocol {
            var version = Int32(bitPattern: alsa_protocol_version(2, 0, 14))
            try raw.ioctl(ALSA_IOCTL_USER_PVERSION, &version)
        }
        func attempt(_ offset: Int, _ protection: Int32) -> Errno? {
            do throws(Errno) {
                let address = try raw.kernel.mmap(raw.fd, length: 4096, protection: protection, offset: offset)
                try raw.kernel.munmap(address, length: 4096)
                return nil
            } catch {
                return error
            }
        }
        #expect(attempt(ALSA_MMAP_OFFSET_STATUS_NEW, PROT_READ) == status)
        #expect(attempt(ALSA_MMAP_OFFSET_STATUS_OLD, PROT_READ) == status)
        #expect(attempt(ALSA_MMAP_OFFSET_CONTROL_NEW, PROT_READ | PROT_WRITE) == control)
        #expect(attempt(ALSA_MMAP_OFFSET_CONTROL_OLD, PROT_READ | PROT_WRITE) == control)
        #expect(raw.kernel.mappedRegionCount == 0)
    }

    @Test func arm64NeverMapsTheRecords() throws {
        var hardware = SimulatedHardware.dummy
        hardware.architecture = .arm64
        let raw = try Raw(hardware)
        for offset in [ALSA_MMAP_OFFSET_STATUS_NEW, ALSA_MMAP_OFFSET_CONTROL_NEW] {
            #expect(raw.errno { _ = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ, offset: offset) }
                == .noSuchAddressOrDevice)
        }
        try raw.configure(access: T.mmapInterleaved)
        // The data buffer itself can still be mapped.
        let data = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ | PROT_WRITE, offset: 0)
        try raw.kernel.munmap(data, length: 4096)
    }

    @Test func mappedRecordsAreTheKernelsOwnPages() throws {
        let raw = try Raw(.dummy)
        try raw.configure(access: T.mmapInterleaved)
        let status = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ, offset: ALSA_MMAP_OFFSET_STATUS_NEW)
        let control = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ | PROT_WRITE,
                                          offset: ALSA_MMAP_OFFSET_CONTROL_NEW)
        #expect(raw.errno { _ = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ | PROT_WRITE,
                                                     offset: ALSA_MMAP_OFFSET_STATUS_NEW) } == .invalidArgument)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        #expect(status.assumingMemoryBound(to: snd_pcm_mmap_status.self).pointee.state == 2)
        control.assumingMemoryBound(to: snd_pcm_mmap_control.self).pointee.appl_ptr = 512
        #expect(try raw.syncPtr(flags: ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN).c.control.appl_ptr == 512)
        try raw.kernel.munmap(status, length: 4096)
        try raw.kernel.munmap(control, length: 4096)
        #expect(raw.errno { try raw.kernel.munmap(control, length: 4096) } == .invalidArgument)
    }

    // MARK: SYNC_PTR

    @Test func hwsyncInSetupIsRefusedAndTheRecordUntouched() throws {
        let raw = try Raw(.explicitSync)
        try raw.configure(access: T.mmapInterleaved)
        var record = snd_pcm_sync_ptr()
        record.flags = ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN
        record.s.status.state = 99
        record.s.status.hw_ptr = 12345
        record.c.control.appl_ptr = 777
        let before = withUnsafeBytes(of: record) { Array($0) }
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_SYNC_PTR, &record) } == .badFileDescriptorState)
        #expect(withUnsafeBytes(of: record) { Array($0) } == before)
    }

    @Test func applPtrAtTheBoundaryIsRefused() throws {
        let raw = try Raw(.explicitSync)
        try raw.configure(access: T.mmapInterleaved)
        let boundary = try raw.swBoundary()
        #expect(boundary > 1024 && boundary % 1024 == 0)
        #expect(boundary * 2 > UInt(Int.max) - 1024)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        #expect(raw.errno { _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_AVAIL_MIN, applPtr: boundary) } == .invalidArgument)
        #expect(try raw.syncPtr(flags: ALSA_SYNC_PTR_AVAIL_MIN, applPtr: boundary - 1).c.control.appl_ptr == boundary - 1)
        // SYNC_PTR never starts a stream.
        #expect(try raw.state() == 2)
        let pushes = raw.kernel.trace.filter { $0.requestName == "SYNC_PTR" && $0.applPtr != nil }
        #expect(pushes.map(\.applPtr) == [boundary, boundary - 1])
        #expect(pushes.first?.errno == .invalidArgument)
    }

    // MARK: coherency

    @Test func playbackDeviceSeesOnlyWhatWasFlushed() throws {
        let raw = try Raw(.explicitSync)
        try raw.configure(access: T.mmapInterleaved)
        _ = try raw.swBoundary()
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        let buffer = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ | PROT_WRITE, offset: 0)
        defer { try? raw.kernel.munmap(buffer, length: 4096) }
        let period = UnsafeMutableRawBufferPointer(start: buffer, count: 1024)  // 256 frames of S16 stereo
        for i in 0..<1024 { period[i] = UInt8(truncatingIfNeeded: i &* 13 &+ 1) }
        var expected = FrameChecksum.seed
        FrameChecksum.fnv1a(UnsafeRawBufferPointer(period), into: &expected)
        _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_AVAIL_MIN, applPtr: 256)  // commit: flush
        // Written after the flush: the device must not see it.
        let late = UnsafeMutableRawBufferPointer(start: buffer + 1024, count: 1024)
        for i in 0..<1024 { late[i] = 0x5A }
        var stale = expected
        FrameChecksum.fnv1a(UnsafeRawBufferPointer(late), into: &stale)
        try raw.ioctl(ALSA_IOCTL_START)
        // FORWARD commits the second period and flushes, so the device will play the late bytes.
        var frames: UInt = 256
        try raw.ioctl(ALSA_IOCTL_FORWARD, &frames)
        #expect(frames == 256)
        raw.kernel.advance(periods: 1)
        #expect(raw.kernel.playbackObservation().checksum == expected)
        raw.kernel.advance(periods: 1)
        #expect(raw.kernel.playbackObservation().checksum == stale)
        #expect(raw.kernel.playbackObservation().frames == 512)
    }

    @Test func playbackWithoutTheFlushPlaysStaleData() throws {
        let raw = try Raw(.explicitSync)
        try raw.configure(access: T.mmapInterleaved)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        let buffer = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ | PROT_WRITE, offset: 0)
        defer { try? raw.kernel.munmap(buffer, length: 4096) }
        _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_AVAIL_MIN, applPtr: 256)  // commit first...
        buffer.initializeMemory(as: UInt8.self, repeating: 0x42, count: 1024)  // ...write after: wrong order
        var written = FrameChecksum.seed
        FrameChecksum.fnv1a(UnsafeRawBufferPointer(start: buffer, count: 1024), into: &written)
        try raw.ioctl(ALSA_IOCTL_START)
        raw.kernel.advance(periods: 1)
        let seen = raw.kernel.playbackObservation()
        #expect(seen.frames == 256)
        #expect(seen.checksum != written)
    }

    @Test func captureIsStaleUntilACPUSync() throws {
        let raw = try Raw(.explicitSync, capture: true)
        try raw.configure(access: T.mmapInterleaved)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        try raw.ioctl(ALSA_IOCTL_START)
        let buffer = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ, offset: 0)
        defer { try? raw.kernel.munmap(buffer, length: 4096) }
        raw.kernel.advance(periods: 1)
        let pulled = try raw.syncPtr(flags: ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)  // no HWSYNC
        #expect(pulled.s.status.hw_ptr == 256)
        let view = UnsafeRawBufferPointer(start: buffer, count: 1024)
        let poison = (0..<256).flatMap { _ in (0..<4).map { SimulatedKernel.poisonByte($0) } }
        #expect(Array(view) == poison)  // the CPU still sees its stale cache
        #expect(raw.kernel.captureObservation().cpuSyncs == 0)
        _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN)
        let expected = (0..<256).flatMap { f in (0..<4).map { SimulatedKernel.captureSample(frame: UInt64(f), byte: $0) } }
        #expect(Array(view) == expected)
        #expect(raw.kernel.captureObservation().frames == 256)
        #expect(raw.kernel.captureObservation().cpuSyncs == 1)
    }

    @Test func coherentCaptureNeedsNoSync() throws {
        let raw = try Raw(.dummy, capture: true)
        try raw.configure(access: T.rwInterleaved)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        var bytes = [UInt8](repeating: 0, count: 1024)
        try bytes.withUnsafeMutableBytes { b in
            var x = snd_xferi(result: 0, buf: b.baseAddress, frames: 256)
            try raw.ioctl(ALSA_IOCTL_READI_FRAMES, &x)  // starts the stream, sleeps a period, reads
            #expect(x.result == 256)
        }
        let expected = (0..<256).flatMap { f in (0..<4).map { SimulatedKernel.captureSample(frame: UInt64(f), byte: $0) } }
        #expect(bytes == expected)
    }

    // MARK: faults, leaks and unplugging

    @Test func injectedErrorsFailEachCallKindOnce() throws {
        let kernel = SimulatedKernel()
        let path = SimulatedKernel.devicePath(card: 0, device: 0, capture: false)
        kernel.inject(.interrupted, into: .open)
        #expect(throws: Errno.interrupted) { _ = try kernel.open(path, flags: O_RDWR) }
        let fd = try kernel.open(path, flags: O_RDWR)
        kernel.inject(.ioError, into: .ioctl, request: ALSA_IOCTL_PREPARE)
        var version: Int32 = 0
        _ = try withUnsafeMutablePointer(to: &version) { try kernel.ioctl(fd, ALSA_IOCTL_PVERSION, UnsafeMutableRawPointer($0)) }
        #expect(version == Int32(bitPattern: ALSA_PCM_VERSION))
        #expect(throws: Errno.ioError) { _ = try kernel.ioctl(fd, ALSA_IOCTL_PREPARE, nil) }
        #expect(throws: Errno.badFileDescriptorState) { _ = try kernel.ioctl(fd, ALSA_IOCTL_PREPARE, nil) }  // ran this time
        kernel.inject(.noMemory, into: .mmap)
        #expect(throws: Errno.noMemory) {
            _ = try kernel.mmap(fd, length: 4096, protection: PROT_READ, offset: ALSA_MMAP_OFFSET_STATUS_NEW)
        }
        let status = try kernel.mmap(fd, length: 4096, protection: PROT_READ, offset: ALSA_MMAP_OFFSET_STATUS_NEW)
        kernel.inject(.invalidArgument, into: .munmap)
        #expect(throws: Errno.invalidArgument) { try kernel.munmap(status, length: 4096) }
        try kernel.munmap(status, length: 4096)
        kernel.inject(.interrupted, into: .poll, times: 2)
        var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
        for _ in 0..<2 { #expect(throws: Errno.interrupted) { _ = try kernel.poll(&pfd, count: 1, timeout: .zero) } }
        #expect(try kernel.poll(&pfd, count: 1, timeout: .zero) == 1)  // OPEN: POLLOUT|POLLERR
        kernel.inject(.wouldBlock, into: .setNonBlocking)
        #expect(throws: Errno.wouldBlock) { try kernel.setNonBlocking(fd, true) }
        kernel.inject(.interrupted, into: .close)
        #expect(throws: Errno.interrupted) { try kernel.close(fd) }
        #expect(kernel.openDescriptorCount == 0)  // released anyway
        #expect(throws: Errno.badFileDescriptor) { try kernel.close(fd) }
        #expect(kernel.mappedRegionCount == 0)
        let failures = kernel.trace.compactMap(\.errno)
        #expect(failures == [.interrupted, .ioError, .badFileDescriptorState, .noMemory, .invalidArgument,
                             .interrupted, .interrupted, .wouldBlock, .interrupted, .badFileDescriptor])
    }

    @Test func openingTwiceOrAMissingNodeFails() throws {
        let kernel = SimulatedKernel()
        let path = SimulatedKernel.devicePath(card: 0, device: 0, capture: true)
        let fd = try kernel.open(path, flags: O_RDWR)
        #expect(throws: Errno.resourceBusy) { _ = try kernel.open(path, flags: O_RDWR) }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try kernel.open("/dev/snd/pcmC1D0p", flags: O_RDWR) }
        try kernel.close(fd)
        try kernel.close(try kernel.open(path, flags: O_RDWR))
        #expect(kernel.trace.filter { $0.call == .open }.map(\.errno) == [nil, .resourceBusy, .noSuchFileOrDirectory, nil])
    }

    @Test func unplugFailsEverythingButClose() throws {
        let raw = try Raw(.dummy)
        try raw.configure(access: T.mmapInterleaved)
        let data = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ | PROT_WRITE, offset: 0)
        raw.kernel.disconnectAll()
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_PREPARE) } == .noDevice)
        #expect(raw.errno { _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_APPL | ALSA_SYNC_PTR_AVAIL_MIN) } == .noDevice)
        #expect(raw.errno { _ = try raw.kernel.mmap(raw.fd, length: 4096, protection: PROT_READ, offset: 0) } == .noDevice)
        var pfd = pollfd(fd: raw.fd.rawValue, events: Int16(POLLOUT), revents: 0)
        #expect(try raw.kernel.poll(&pfd, count: 1, timeout: nil) == 1)
        #expect(Int32(pfd.revents) & POLLERR != 0)
        try raw.kernel.munmap(data, length: 4096)
        try raw.kernel.close(raw.fd)
        #expect(throws: Errno.noSuchFileOrDirectory) {
            _ = try raw.kernel.open(SimulatedKernel.devicePath(card: 0, device: 0, capture: false), flags: O_RDWR)
        }
        #expect(raw.kernel.openDescriptorCount == 0 && raw.kernel.mappedRegionCount == 0)
    }

    @Test func suspendAndResumeFollowTheHardware() throws {
        var hardware = SimulatedHardware.dummy
        hardware.resume = .busy(times: 2)
        let raw = try Raw(hardware)
        try raw.configure(access: T.rwInterleaved)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        raw.kernel.suspendAll()
        #expect(try raw.state() == 7)
        #expect(raw.errno { _ = try raw.syncPtr(flags: ALSA_SYNC_PTR_HWSYNC | ALSA_SYNC_PTR_APPL) } == .streamPipe)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_RESUME) } == .resourceTemporarilyUnavailable)
        #expect(raw.errno { try raw.ioctl(ALSA_IOCTL_RESUME) } == .resourceTemporarilyUnavailable)
        try raw.ioctl(ALSA_IOCTL_RESUME)
        #expect(try raw.state() == 2)  // back to PREPARED
    }

    @Test func blockingDrainPlaysEverythingQueued() throws {
        let raw = try Raw(.dummy)
        try raw.configure(access: T.rwInterleaved)
        try raw.ioctl(ALSA_IOCTL_PREPARE)
        var data = [UInt8](repeating: 3, count: 2048)
        try data.withUnsafeMutableBytes { bytes in
            var x = snd_xferi(result: 0, buf: bytes.baseAddress, frames: 512)
            try raw.ioctl(ALSA_IOCTL_WRITEI_FRAMES, &x)
        }
        try raw.ioctl(ALSA_IOCTL_DRAIN)
        #expect(try raw.state() == 1)
        #expect(raw.kernel.playbackObservation().frames == 512)
        #expect(raw.kernel.playbackObservation().xruns == 0)
    }
}
