import AlsaSwift
import Foundation
import Testing

/// The device model on the real kernel: alsa-lib's names merged with the kernel's devices, the
/// default devices, capabilities probed on demand. Rig cards: 0 snd-dummy (pcm_devs=4),
/// 1 snd-aloop, 2 the explicit-sync test driver, 3 an emulated AC97.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ALSASWIFT_RIG"] == "1",
                             "only the QEMU rig (Rig/kernel-test) has this exact set of cards"))
struct DeviceModelIntegrationTests {
    static let hardwareNames = ["hw:CARD=Dummy,DEV=0", "hw:CARD=Dummy,DEV=1", "hw:CARD=Dummy,DEV=2", "hw:CARD=Dummy,DEV=3",
                                "hw:CARD=Loopback,DEV=0", "hw:CARD=Loopback,DEV=1", "hw:CARD=ExplicitSync,DEV=0",
                                "hw:CARD=I82801AAICH,DEV=0"]

    @Test("the listing holds alsa-lib's names and every kernel device, each once, merged")
    func listing() throws {
        let listing = AudioDevices().listing()
        let devices = listing.devices
        #expect(listing.description.hasPrefix("default (playback+capture, alsa-lib): "))
        let hintProblem = listing.hintProblem
        #expect(hintProblem == nil)
        print("device model: \(devices.count) names:\n" + devices.map { "  \($0)" }.joined(separator: "\n"))
        #expect(Set(devices.map(\.name)).count == devices.count, "no name twice")
        let names = Set(devices.map(\.name))
        for expected in Self.hardwareNames + ["default", "null", "sysdefault:CARD=Dummy", "plughw:CARD=Dummy,DEV=0",
                                              "plughw:CARD=ExplicitSync,DEV=0", "dmix:CARD=Dummy,DEV=0"] {
            #expect(names.contains(expected), "\(expected) is missing")
        }
        // Every kernel device is one entry, merged with alsa-lib's hint for it.
        let kernelDevices = listing.cards.flatMap { card in
            listing.pcmDevices(card: card.index).compactMap { $0.device.map { "hw:CARD=\(card.id),DEV=\($0)" } }
        }
        #expect(Set(devices.filter { $0.origin == .hardware }.map(\.name)) == Set(kernelDevices))
        #expect(devices.first?.name == "default")
        let dummy = try #require(devices.first { $0.name == "hw:CARD=Dummy,DEV=0" })
        #expect(dummy.card == 0 && dummy.device == 0 && dummy.transport == .direct && dummy.problem == nil)
        #expect(dummy.directions == [.playback, .capture])
        #expect(dummy.title == "Dummy, Dummy PCM" && dummy.details == "Direct hardware device without any conversions")
        let sysdefault = try #require(devices.first { $0.name == "sysdefault:CARD=Dummy" })
        #expect(sysdefault.card == 0 && sysdefault.transport == .alsaLib && sysdefault.origin == .alsaLib)
        #expect(devices.first { $0.name == "plughw:CARD=ExplicitSync,DEV=0" }?.card == 2)
    }

    @Test("the default devices resolve to card 0, snd-dummy's first device")
    func defaults() throws {
        for direction in [StreamDirection.playback, .capture] {
            let found = AudioDevices().defaultDevice(direction)
            print("device model: \(found)")
            #expect(found.name == "default" && found.configuredType != nil)
            guard case .hardware(let address, let card) = found.route else {
                Issue.record("\(found)")
                continue
            }
            #expect(address.card == 0 && address.device == 0)
            #expect(card?.id == "Dummy" && card?.driver == "Dummy")
        }
    }

    @Test("capabilities on demand match the drivers' ranges, on both transports, explicit sync included")
    func capabilities() throws {
        let devices = AudioDevices()
        for name in ["hw:CARD=Dummy,DEV=0", "plughw:CARD=Dummy,DEV=0", "default"] {
            print("device model: \(name) playback: \(devices.capabilities(of: name, direction: .playback))")
        }
        let dummy = try #require(devices.capabilities(of: "hw:CARD=Dummy,DEV=0", direction: .playback).capabilities)
        // snd-dummy: U8 and S16_LE, 5500-48000 Hz, 1-2 channels; 64 KiB of buffer at most, periods
        // of 64 bytes to 64 KiB, 1-1024 of them (dummy_pcm_hardware).
        #expect(dummy.formats == [.u8, .s16LE] && dummy.sampleRate == 5500...48_000 && dummy.channelCount == 1...2)
        #expect(dummy.bufferSize.upperBound == 65_536, "64 KiB of U8 mono")
        #expect(dummy.periodSize.lowerBound == 16, "64 bytes of S16_LE stereo")
        #expect(dummy.periodCount == 1...1024)

        let viaLibrary = devices.capabilities(of: "sysdefault:CARD=Dummy", direction: .capture)
        #expect(viaLibrary.sync?.transport == .alsaLib)
        #expect(viaLibrary.sync?.hardware?.card == 0 && viaLibrary.sync?.deviceRequiresExplicitSync == false)

        for name in ["hw:CARD=ExplicitSync,DEV=0", "plughw:CARD=ExplicitSync,DEV=0"] {
            for direction in [StreamDirection.playback, .capture] {
                let probe = devices.capabilities(of: name, direction: direction)
                #expect(probe.sync?.deviceRequiresExplicitSync == true, "\(name) \(direction): \(probe)")
                #expect(probe.sync?.hardware?.card == 2)
            }
        }
        let explicit = try #require(devices.capabilities(of: "hw:CARD=ExplicitSync,DEV=0", direction: .playback).capabilities)
        #expect(explicit.formats == [.s16LE, .s32LE] && explicit.sampleRate == 8000...48_000 && explicit.channelCount == 1...2)

        // snd-aloop: 8000-192000 Hz, 1-32 channels.
        let loop = try #require(devices.capabilities(of: "hw:CARD=Loopback,DEV=0", direction: .capture).capabilities)
        #expect(loop.sampleRate == 8000...192_000 && loop.channelCount == 1...32)

        let ac97 = try #require(devices.capabilities(of: "hw:CARD=I82801AAICH,DEV=0", direction: .playback).capabilities)
        print("device model: AC97 \(ac97.formats) \(ac97.sampleRate) \(ac97.channelCount)")
        #expect(ac97.formats == [.s16LE] && ac97.sampleRate.upperBound == 48_000)
    }

    @Test("probing every listed name in every direction answers each on its own, never aborting or waiting")
    func probeEverything() throws {
        let devices = AudioDevices()
        let started = ContinuousClock.now
        var available = 0, busy = 0, failed: [String] = []
        for device in devices.list() {
            for (direction, probe) in devices.capabilities(of: device) {
                switch probe {
                case .available: available += 1
                case .busy: busy += 1
                case .failed(let error): failed.append("\(device.name) \(direction): \(error)")
                }
            }
        }
        print("device model: probed \(available) available, \(busy) busy, \(failed.count) failed in \(ContinuousClock.now - started)")
        for line in failed { print("  \(line)") }
        #expect(available > Self.hardwareNames.count * 2)
    }

    @Test("a busy device is busy on its own entry, through both transports; the listing is whole")
    func busyDevice() throws {
        // AC97 has one substream per direction.
        let holder = try PCMDevice.open("hw:3,0", direction: .playback)
        defer { try? holder.close() }
        let devices = AudioDevices()
        #expect(devices.capabilities(of: "hw:CARD=I82801AAICH,DEV=0", direction: .playback) == .busy)
        #expect(devices.capabilities(of: "plughw:CARD=I82801AAICH,DEV=0", direction: .playback) == .busy)
        #expect(devices.capabilities(of: "hw:CARD=I82801AAICH,DEV=0", direction: .capture).capabilities != nil)
        let names = Set(devices.list().map(\.name))
        #expect(Self.hardwareNames.allSatisfy(names.contains))
    }
}
