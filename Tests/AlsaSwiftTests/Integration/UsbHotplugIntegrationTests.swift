import AlsaSwift
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real USB audio device plugged in and pulled out while the guest watches: QEMU's `usb-audio`
/// on the rig's xHCI controller, driven by snd-usb-audio, hot-added and removed through the QEMU
/// monitor (`MachineMonitor`). DeviceChanges sees the card and its PCM arrive and leave, and a
/// stream playing on it ends with `.disconnected` when it is pulled out.
@Suite(.enabled(if: MachineMonitor.portPath != nil && RigEnvironment.dummy != nil,
                "needs the QEMU rig's monitor port and xHCI controller: run Rig/kernel-test"),
       .serialized, .scaledTimeLimit(minutes: 1))
struct UsbHotplugIntegrationTests {
    static let deviceID = "alsaswift-usb-audio"

    enum Player: String, CustomStringConvertible, CaseIterable {
        case blockingStream, renderThread
        var description: String { rawValue }
    }

    @Test("USB audio plugged in and pulled out while playing", arguments: Player.allCases)
    func plugAndPull(player: Player) async throws {
        let monitor = try MachineMonitor()
        let changes = try DeviceChanges()
        let before = HeldResources.current()

        let present = Set(RigEnvironment.cards.map(\.index))
        let plugged = ContinuousClock.now
        try monitor.execute("device_add", ["driver": "usb-audio", "id": Self.deviceID, "bus": "xhci.0", "audiodev": "usbaudio"])
        var attached = true
        defer { if attached { _ = try? monitor.execute("device_del", ["id": Self.deviceID]) } }
        var arrived: [DeviceChange] = []
        var card: Int?
        while card == nil, let change = try await changes.next() {
            arrived.append(change)
            if case .cardAdded(let added) = change, !present.contains(added) { card = added }
        }
        let usb = try #require(card)
        print("usb-audio (\(player)): card \(usb) added \(ContinuousClock.now - plugged) after device_add: \(arrived)")
        #expect(arrived.contains(.pcmAdded(card: usb, device: 0, direction: .playback)))
        // The device model reads the card through its control device, complete once `.cardAdded`
        // is told. /proc/asound/cards is not a witness: the kernel lists the card there only after
        // registering its devices, so it can lag the event (seen once in CI).
        let listed = AudioDevices().listing().cards.first { $0.index == usb }
        #expect(listed?.driver == "USB-Audio" && listed?.problem == nil, "\(String(describing: listed))")

        // Play, then pull the device out.
        var ending: (AlsaError?, ContinuousClock.Instant)?
        var unplugged = ContinuousClock.now
        do {
            let request = StreamRequest(sampleRate: 48_000, channelCount: 2, latency: .milliseconds(40))
            switch player {
            case .blockingStream:
                // Used by the loop's thread only, once made.
                nonisolated(unsafe) let stream = try PlaybackStream(device: "hw:\(usb),0", request: request)
                let period = [Float](repeating: 0, count: 960)
                let loop = BlockingLoop { () throws(AlsaError) in
                    try period.withUnsafeBufferPointer { (samples) throws(AlsaError) in try stream.writeBlocking(samples) }
                }
                try await loop.awaitRounds(20)
                #expect(loop.roundCount >= 20)
                unplugged = .now
                try monitor.execute("device_del", ["id": Self.deviceID])
                attached = false
                ending = try await loop.awaitEnd(within: .seconds(2))
            case .renderThread:
                let pcm = try KernelPCM(card: usb, device: 0, direction: .playback)
                _ = try pcm.configure(HardwareRequest(access: .mmapInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                                      periodSize: 480, periodCount: 4))
                let thread = try RenderThread(pcm: pcm) { context in
                    for i in 0..<context.samples.count { context.samples[i] = 0 }
                }
                for _ in 0..<300 where thread.callbackCount < 20 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(thread.callbackCount >= 20 && !thread.isFinished)
                unplugged = .now
                try monitor.execute("device_del", ["id": Self.deviceID])
                attached = false
                for _ in 0..<400 where !thread.isFinished { try await Task.sleep(for: .milliseconds(5)) }
                if thread.isFinished { ending = (thread.failure, .now) }
                thread.stop()
            }
        }
        print("usb-audio (\(player)): playing ended \(ending.map { $0.1 - unplugged } ?? .seconds(-1)) after device_del: \(String(describing: ending?.0))")
        #expect(ending?.0?.kind == .disconnected, "\(String(describing: ending?.0))")
        #expect(ending.map { $0.1 - unplugged < .seconds(1) } == true)

        var left: [DeviceChange] = []
        var removedAt: ContinuousClock.Instant?
        while !left.contains(.pcmRemoved(card: usb, device: 0, direction: .playback)) || removedAt == nil,
              let change = try await changes.next() {
            left.append(change)
            if change == .cardRemoved(card: usb) { removedAt = .now }
        }
        print("usb-audio (\(player)): card removed \(removedAt.map { $0 - unplugged } ?? .seconds(-1)) after device_del: \(left)")
        #expect(left.first == .cardRemoved(card: usb))
        #expect(!FileManager.default.fileExists(atPath: "/dev/snd/controlC\(usb)"))
        let after = HeldResources.current()
        #expect(after == before, "before: \(before); after: \(after)")
    }
}
