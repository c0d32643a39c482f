import AlsaSwiftFiles
import AlsaSimulation
import ArgumentParser
import Foundation
import Testing
@testable import AlsaSwift
@testable import AlsaTools

/// Numbers from outside (ALSA names, API arguments, tool options) at and just past the limits of
/// the fields they end up in: refused with a typed error, never a trapping conversion. Each defect
/// issue 13 lists is one test here.
@Suite("Range checks")
struct RangeCheckTests {
    // MARK: the library

    @Test("hw: numbers that fit the kernel's int are accepted, one past it is refused by the parser")
    func hardwareNameBoundaries() throws {
        let limit = Int(Int32.max)
        #expect(try PCMName(parsing: "hw:\(limit),\(limit),\(limit)") == .hardware(card: .index(limit), device: limit, subdevice: limit))
        for name in ["hw:\(limit + 1)", "hw:0,\(limit + 1)", "hw:0,0,\(limit + 1)", "hw:CARD=0,DEV=0,SUBDEV=\(Int.max)"] {
            let error = #expect(throws: AlsaError.self, "\(name)") { try PCMName(parsing: name) }
            #expect(error?.operation == .open && error?.kind == .invalidArgument && error?.context?.contains("out of range") == true)
        }
    }

    @Test("Int counts beyond the kernel's 32-bit intervals, zero or negative are refused by configure on both transports, and negative software thresholds too",
          arguments: [PCMTransport.direct, .alsaLib])
    func countsAtTheKernelsLimits(_ transport: PCMTransport) throws {
        let pcm: any PCM = transport == .direct
            ? try PCMDevice.open("hw:0,0", direction: .playback, transport: .direct, kernel: SimulatedKernel(card: 0, hardware: .dummy))
            : try PCMDevice.open("null", direction: .playback, transport: .alsaLib)
        let beyond = Int(UInt32.max) + 1
        let requests = [HardwareRequest(channelCount: beyond), HardwareRequest(sampleRate: -48_000), HardwareRequest(channelCount: 0),
                        HardwareRequest(periodSize: beyond), HardwareRequest(periodCount: -1), HardwareRequest(bufferSize: Int.max)]
        for request in requests {
            let error = #expect(throws: AlsaError.self, "\(request)") { try pcm.configure(request) }
            #expect(error?.kind == .invalidArgument, "\(request)")
        }
        let setup = try pcm.configure(HardwareRequest(channelCount: 2, sampleRate: 48_000, periodSize: 1024, periodCount: 4))
        var software = SoftwareParameters.defaults(for: setup, direction: .playback)
        software.availMin = -1
        let error = #expect(throws: AlsaError.self) { try pcm.installSoftwareParameters(software) }
        #expect(error?.operation == .swParams && error?.context == "avail min -1 is negative")
    }

    @Test("audio buffers refuse no channels, negative frames and sizes that overflow, instead of trapping")
    func audioBufferSizes() throws {
        for (channels, frames) in [(0, 10), (-1, 10), (2, -1), (2, Int.max), (Int.max, 2)] {
            let interleaved = #expect(throws: AlsaError.self, "\(channels) x \(frames)") {
                _ = try InterleavedAudioBuffer(channelCount: channels, frameCount: frames)
            }
            #expect(interleaved?.kind == .invalidArgument)
            #expect(throws: AlsaError.self, "\(channels) x \(frames)") { _ = try NonInterleavedAudioBuffer(channelCount: channels, frameCount: frames) }
        }
        #expect(try InterleavedAudioBuffer(channelCount: 2, frameCount: 0).frameCount == 0)
        #expect(try NonInterleavedAudioBuffer(channelCount: 1, frameCount: 3).frameCount == 3)
    }

    @Test("defect: a hw: name whose subdevice does not fit Int32 crashed PCMDevice.open; now a typed error")
    func openWithHugeSubdevice() {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        for name in ["hw:0,0,2147483648", "hw:0,0,\(Int.max)", "hw:0,2147483648,0", "hw:2147483648,0,0"] {
            let error = #expect(throws: AlsaError.self, "\(name)") {
                _ = try PCMDevice.open(name, direction: .playback, transport: .direct, kernel: kernel)
            }
            #expect(error?.kind == .invalidArgument)
        }
        // Just inside the limit the name is valid and the kernel is asked: it has no such subdevice.
        #expect(throws: AlsaError.self) { _ = try PCMDevice.open("hw:0,0,2147483647", direction: .playback, transport: .direct, kernel: kernel) }
        #expect(kernel.openDescriptorCount == 0)
    }

    @Test("the control file refuses numbers its records cannot hold, whoever passes them")
    func controlFileBoundaries() throws {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        let control = try #require(try ControlFile(card: 0, kernel: kernel))
        let prefer = #expect(throws: AlsaError.self) { try control.preferSubdevice(Int(Int32.max) + 1) }
        #expect(prefer?.operation == .controlPreferSubdevice && prefer?.kind == .invalidArgument)
        #expect(throws: AlsaError.self) { try control.preferSubdevice(Int(Int32.min) - 1) }
        try control.preferSubdevice(-1)  // "any": in range
        for (device, subdevice) in [(-1, 0), (Int(UInt32.max) + 1, 0), (0, -1), (0, Int(UInt32.max) + 1)] {
            let error = #expect(throws: AlsaError.self, "\(device),\(subdevice)") {
                _ = try control.pcmInfo(device: device, direction: .playback, subdevice: subdevice)
            }
            #expect(error?.operation == .controlPCMInfo && error?.kind == .invalidArgument)
        }
        #expect(try control.pcmInfo(device: 0, direction: .playback) != nil)
    }

    @Test("durations too long to count in milliseconds saturate instead of trapping")
    func durationMilliseconds() {
        #expect(Duration.milliseconds(1_500).wholeMilliseconds == 1_500)
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == .max)
        #expect(Duration.seconds(Int64(Int.max / 1000)).wholeMilliseconds == Int.max / 1000 * 1000)
        #expect(Duration.seconds(-5).wholeMilliseconds == 0)
        #expect((Duration.seconds(Int64.max) + .milliseconds(999)).wholeMilliseconds == .max)
    }

    @Test("a stream latency too long to count in frames asks for the largest buffer instead of trapping")
    func latencyFrames() throws {
        #expect(StreamNegotiation.frames(in: .milliseconds(100), sampleRate: 48_000) == 4_800)
        #expect(StreamNegotiation.frames(in: .seconds(Int64.max), sampleRate: 48_000) == .max)
        #expect(StreamNegotiation.frames(in: .seconds(Int64.max / 48_000), sampleRate: 48_000) == Int64.max / 48_000 * 48_000)
        #expect(StreamNegotiation.frames(in: .seconds(Int64.max / 2) + .milliseconds(999), sampleRate: Int(UInt32.max)) == .max)
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        let stream = try PlaybackStream(device: "hw:0,0", request: StreamRequest(latency: .seconds(Int64.max)), kernel: kernel)
        #expect(stream.configuration.bufferSize > 0)
        #expect(try stream.drainBlocking(timeout: .seconds(Int64.max)))
    }

    @Test("a capture read of a negative or unmultipliable frame count is refused, not trapped on")
    func captureReadCount() async throws {
        let kernel = SimulatedKernel(card: 0, hardware: .dummy)
        let stream = try CaptureStream(device: "hw:0,0", request: StreamRequest(channelCount: 2), kernel: kernel)
        for frames in [-1, Int.max, Int.max / 2 + 1] {
            await #expect(throws: AlsaError.self, "\(frames)") { _ = try await stream.read(frames: frames) }
        }
        #expect(try await stream.read(frames: 0).frameCount == 0)
    }

    @Test("a SampleRing beyond 2^62 samples stops with a message (it used to loop for ever rounding up)")
    func sampleRingCapacity() async {
        #expect(SampleRing(minimumCapacity: 1 << 20).capacity == 1 << 20)
        await #expect(processExitsWith: .failure) { _ = SampleRing(minimumCapacity: .max) }
    }

    // MARK: the tools

    @Test("defect: --duration inf, nan or 1e15 trapped converting to frames; now refused",
          arguments: ["inf", "nan", "1e15", "-inf", "0"])
    func durations(value: String) {
        #expect(throws: (any Error).self) { _ = try AlsaRecord.parseAsRoot(["-d", value, "x.wav"]) }
        #expect(throws: (any Error).self) { _ = try AlsaTone.parseAsRoot(["-d", value]) }
        #expect(ToolLimits.frames(seconds: Double(value) ?? .nan, sampleRate: 48_000) == nil || value == "0")
    }

    @Test("the longest recording a WAV file holds is accepted, one second more is refused")
    func recordingLength() throws {
        // S16 stereo: 4-byte frames; (2^32 - 1 - 69) / 4 frames, 22369.6 s at 48 kHz.
        let maximum = try #require(WAVFormat(storing: .s16LE, channelCount: 2, sampleRate: 48_000)).maximumFrames
        #expect(maximum == 1_073_741_806)
        _ = try AlsaRecord.parseAsRoot(["-d", "22369", "x.wav"])
        #expect(throws: (any Error).self) { _ = try AlsaRecord.parseAsRoot(["-d", "22370", "x.wav"]) }
        _ = try AlsaTone.parseAsRoot(["-d", "22369", "-c", "2", "-o", "x.wav"])
        #expect(throws: (any Error).self) { _ = try AlsaTone.parseAsRoot(["-d", "22370", "-c", "2", "-o", "x.wav"]) }
        #expect(ToolLimits.frames(seconds: 1e15, sampleRate: 48_000) == nil)
        #expect(ToolLimits.frames(seconds: 1e14, sampleRate: 48_000) == 4_800_000_000_000_000_000)
    }

    @Test("defect: channel counts beyond what a WAV header holds trapped in the writer; now refused")
    func wavChannels() throws {
        _ = try AlsaRecord.parseAsRoot(["-c", "16383", "-f", "s32", "x.wav"])   // 65532-byte frames
        for arguments in [["-c", "16384", "-f", "s32"], ["-c", "65536", "-f", "u8"], ["-c", "70000"], ["-c", "4294967295"],
                          ["-r", "4294967295"], ["-r", "536870912", "-f", "s32"]] {
            #expect(throws: (any Error).self, "\(arguments)") { _ = try AlsaRecord.parseAsRoot(arguments + ["x.wav"]) }
        }
        #expect(throws: (any Error).self) { _ = try AlsaTone.parseAsRoot(["-c", "70000", "-d", "1", "-o", "x.wav"]) }
        // The writer itself refuses, for any caller.
        let path = WAVTests.temporary("range")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tooWide = WAVFormat(encoding: .integer, channelCount: 70_000, sampleRate: 48_000, containerBits: 16)
        #expect(throws: WAVError.unrepresentable(try #require(tooWide.headerLimitViolation))) { _ = try WAVWriter(path: path, format: tooWide) }
        let tooFast = WAVFormat(encoding: .integer, channelCount: 2, sampleRate: Int(UInt32.max), containerBits: 16)
        #expect(throws: WAVError.self) { _ = try WAVWriter(path: path, format: tooFast) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(WAVFormat(encoding: .integer, channelCount: 65_535, sampleRate: 1, containerBits: 8).headerLimitViolation == nil)
        // Sample sizes no header describes, a 0-byte one included, are refused before any division by them.
        for (bits, valid) in [(7, 7), (0, 0), (16, 17), (16, 0)] {
            let odd = WAVFormat(encoding: .integer, channelCount: 2, sampleRate: 8_000, containerBits: bits, validBits: valid)
            #expect(throws: WAVError.unrepresentable("\(valid)-in-\(bits)-bit integer samples")) { _ = try WAVWriter(path: path, format: odd) }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("defect: a huge --latency trapped converting to frames; now refused above a minute, clamped below")
    func latency() throws {
        let accepted = try AlsaPlay.parse(["--latency", "60000", "x.wav"])
        #expect(accepted.device.request(format: .s16LE, channelCount: 2, sampleRate: 48_000).bufferSize == 2_880_000)
        #expect(accepted.device.request(format: .s16LE, channelCount: 2, sampleRate: UInt32.max).bufferSize == Int(UInt32.max))
        for arguments in [["--latency", "60001", "x.wav"], ["--latency", "4294967295", "x.wav"]] {
            #expect(throws: (any Error).self) { _ = try AlsaPlay.parseAsRoot(arguments) }
        }
        #expect(throws: (any Error).self) { _ = try AlsaTone.parseAsRoot(["--latency", "4294967295"]) }
    }

    @Test("defect: --level nan was accepted; now refused, while -inf (silence) and 0 dBFS are fine")
    func level() throws {
        #expect(throws: (any Error).self) { _ = try AlsaTone.parseAsRoot(["--level", "nan"]) }
        #expect(throws: (any Error).self) { _ = try AlsaTone.parseAsRoot(["--level", "0.001"]) }
        #expect(try AlsaTone.parse(["--level=-inf"]).level == -.infinity)
        #expect(try AlsaTone.parse(["--level", "0"]).level == 0)
    }

    @Test("times too long to print print as such instead of trapping")
    func clockText() {
        #expect(clock(61.25) == "1:01.2")
        #expect(clock(.infinity) == "-:--.-" && clock(.nan) == "-:--.-" && clock(1e30) == "-:--.-")
    }
}
