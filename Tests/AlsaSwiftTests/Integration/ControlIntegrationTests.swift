import AlsaSwift
import Foundation
import Testing
@testable import AlsaTools

#if canImport(Glibc)
import Glibc
#endif

/// Runs amixer through the shell into a file and returns what it printed; fails the test on a
/// non-zero exit. (Not Foundation's Process: in the rig guest it cannot make its wake-up socket
/// pair and the second run hangs.)
func runAmixer(_ arguments: [String]) throws -> String {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("amixer-\(UUID().uuidString).txt").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let quoted = (["/usr/bin/amixer"] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let status = system(quoted.joined(separator: " ") + " > '\(output)' 2>&1")
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    #expect(status == 0, "amixer \(arguments): \(text)")
    return text
}

/// A blocking call on a thread of its own (not the task pool's), and whether it has returned.
final class BlockingCall: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    var isDone: Bool { lock.withLock { done } }

    init(_ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            body()
            lock.withLock { done = true }
        }
    }
}

/// Hands a value that is not Sendable to the one task that takes it, which then owns it alone
/// (and closes it when it ends), while it was made, and so subscribed, before the task started.
final class Handover<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?
    init(_ value: Value) { self.value = value }
    func take() -> Value? { lock.withLock { defer { value = nil }; return value } }
}

/// The control side on a real kernel: snd-dummy's and the AC97 codec's elements, their dB scales
/// against alsa-lib's simple mixer, events from and values for alsa-utils' amixer, and a card
/// unbound through sysfs. Needs alsa-utils on the host (the guest sees the host's root).
@Suite(.enabled(if: RigEnvironment.dummy != nil, Comment(rawValue: RigEnvironment.skipMessage)), .serialized,
       .scaledTimeLimit(minutes: 1))
struct ControlIntegrationTests {
    let dummy = RigEnvironment.dummy ?? 0

    @Test func dummyControlsListedWithRangesAndDecibels() throws {
        let controls = try CardControls(card: dummy)
        let elements = try controls.elements()
        let master = try #require(elements.first { $0.id.name == "Master Volume" })
        #expect(master.id.interface == .mixer && master.count == 2)
        #expect(master.type == .integer(minimum: -50, maximum: 100, step: 0))
        #expect(master.access.isSuperset(of: [.read, .write, .tlvRead]))
        #expect(try controls.decibelScale(of: master) == .steps(minimum: -4500, step: 30, mutesAtMinimum: false))
        let switches = elements.filter { $0.id.name.hasSuffix("Capture Switch") }
        #expect(switches.count == 5 && switches.allSatisfy { $0.type == .boolean })
        let volume = try #require(try controls.mainVolume(.playback))
        #expect(volume.name == "Master" && volume.gainRange! == (-4500, 0))
    }

    @Test func ac97ControlsListedAndAgreeWithAlsaLibsSimpleMixer() throws {
        let card = try #require(RigEnvironment.ac97)
        let controls = try CardControls(card: card)
        let elements = try controls.elements()
        #expect(elements.count >= 9)
        let master = try #require(elements.first { $0.id.name == "Master Playback Volume" })
        #expect(master.type == .integer(minimum: 0, maximum: 63, step: 0) && master.access.contains(.tlvRead))
        let playback = try #require(try controls.mainVolume(.playback))
        #expect(playback.name == "Master" && playback.hasSwitch)
        #expect(try controls.mainVolume(.capture)?.name == "Capture")
        // Every enumerated element has its item names.
        for element in elements {
            if case .enumerated(let items) = element.type { #expect(!items.isEmpty && items.allSatisfy { !$0.isEmpty }) }
        }

        // The same volumes through alsa-lib's simple mixer: same ranges, same dB at every value,
        // same value for every gain and rounding.
        for (name, direction) in [("Master", StreamDirection.playback), ("PCM", .playback), ("Capture", .capture)] {
            let ours = try #require(try controls.volume(named: name, direction), "\(name)")
            let theirs = try AlsaLibVolume(device: "hw:\(card)", direction: direction, name: name)
            #expect(ours.valueRange == theirs.valueRange, "\(name)")
            #expect(ours.gainRange! == theirs.gainRange!, "\(name)")
            for value in ours.valueRange {
                try ours.setValue(value)
                #expect(try theirs.value() == value && theirs.gain() == ours.gain(), "\(name) at \(value)")
            }
            let range = ours.gainRange!
            for gain in stride(from: max(range.minimum, -6000) - 100, through: range.maximum + 100, by: 37) {
                for rounding in [DecibelRounding.down, .nearest, .up] {
                    try theirs.setGain(gain, rounding: rounding)
                    let expected = try theirs.value()
                    try ours.setGain(gain, rounding: rounding)
                    #expect(try ours.value() == expected, "\(name) gain \(gain) \(rounding)")
                }
            }
        }
    }

    @Test func valueSetWithAmixerArrivesAsAnEventAndReadsBack() async throws {
        let controls = try CardControls(card: dummy)
        let master = try controls.element(named: "Master Volume")
        try controls.setValue(.integers([0, 0]), of: master)
        let card = dummy
        // Subscribed here, before the task: a subscription made inside it could come after
        // amixer's change on a loaded host, and the event would never arrive.
        let subscription = Handover(try CardControls(card: card).events())
        let waiter = Task { () async throws -> (ControlEvent?, ContinuousClock.Instant) in
            let events = try #require(subscription.take())
            return (try await events.next(), ContinuousClock.now)
        }
        // Waiting before amixer starts, so that the arrival time is the reactor's wake-up (the
        // event is queued for the subscription whether or not the task is waiting yet).
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        _ = try runAmixer(["-q", "-c", "\(dummy)", "cset", "name=Master Volume", "33,44"])
        let exited = ContinuousClock.now
        let (event, arrived) = try await waiter.value
        print("control event: \(arrived - started) after amixer started, \(arrived - exited) relative to its exit")
        #expect(event?.element.name == "Master Volume" && event?.changes.contains(.value) == true)
        // The event is there before amixer's process has even finished exiting, or just after.
        #expect(arrived - exited < .seconds(1))
        #expect(try controls.value(of: master) == .integers([33, 44]))
    }

    @Test func valueSetThroughAlsaSwiftReadsBackThroughAmixer() async throws {
        let controls = try CardControls(card: dummy)
        let synth = try controls.element(named: "Synth Volume")
        try controls.setValue(.integers([12, -7]), of: synth)
        let text = try runAmixer(["-c", "\(dummy)", "cget", "name=Synth Volume"])
        #expect(text.contains(": values=12,-7"), "\(text)")

        let card = try #require(RigEnvironment.ac97)
        // Through the tool, as a user would: -6 dB and muted, as amixer's simple mixer shows it.
        _ = try await AlsaMixer.parse(["-c", "\(card)", "set", "Master", "-6dB", "mute"]).output(.card(card, LinuxKernel.shared))
        var simple = try runAmixer(["-c", "\(card)", "sget", "Master"])
        #expect(simple.contains("[-6.00dB]") && simple.contains("[off]"), "\(simple)")
        _ = try await AlsaMixer.parse(["-c", "\(card)", "set", "Master", "3dB+", "unmute"]).output(.card(card, LinuxKernel.shared))
        simple = try runAmixer(["-c", "\(card)", "sget", "Master"])
        #expect(simple.contains("[-3.00dB]") && simple.contains("[on]"), "\(simple)")
    }

    /// Last: snd-dummy's platform device is unbound and bound again, which removes and re-adds
    /// card 0 as an unplug would. The kernel disconnects the card's files at once, then waits for
    /// them to be closed before the unbind returns: so the unbind runs on a thread of its own.
    @Test func unbindingTheCardEndsEventsAndAPlayingStreamWithDisconnected() async throws {
        let driver = "/sys/bus/platform/drivers/snd_dummy"
        let device = try #require(try FileManager.default.contentsOfDirectory(atPath: driver).first { $0.hasPrefix("snd_dummy.") })
        let card = dummy
        var pcm: KernelPCM? = try KernelPCM(card: dummy, device: 0, direction: .playback, options: PCMOpenOptions(recovery: .report))
        _ = try pcm!.configure(HardwareRequest(access: .readWriteInterleaved, format: .s16LE, channelCount: 2, sampleRate: 48_000,
                                               periodSize: 1024, periodCount: 4))
        let silence = [Int16](repeating: 0, count: 2048)
        _ = try silence.withUnsafeBytes { try pcm!.writeInterleaved($0) }
        try pcm!.start()
        let hotplug = try DeviceChanges()

        // Subscribed before the task (so the disconnect cannot come first); the sequence then
        // lives in the task only, so that it is closed when the task ends.
        let subscription = Handover(try CardControls(card: card).events())
        let waiter = Task { () async -> (AlsaError?, ContinuousClock.Instant) in
            do {
                guard let events = subscription.take() else { return (nil, .now) }
                while try await events.next() != nil {}
                return (nil, .now)
            } catch let error as AlsaError {
                return (error, .now)
            } catch {
                return (nil, .now)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        let unbind = BlockingCall { try? Data(device.utf8).write(to: URL(fileURLWithPath: "\(driver)/unbind")) }
        let (ended, at) = await waiter.value
        print("control events ended \(at - started) after the unbind began: \(String(describing: ended))")
        #expect(ended?.kind == .disconnected)
        #expect(at - started < .seconds(1))
        // The stream's next call reports the unplug; closing it lets the unbind finish.
        let streamError = #expect(throws: AlsaError.self) {
            _ = try silence.withUnsafeBytes { try pcm!.writeInterleaved($0) }
        }
        #expect(streamError?.kind == .disconnected)
        pcm = nil
        for _ in 0..<100 where !unbind.isDone { try await Task.sleep(for: .milliseconds(20)) }
        print("unbind returned \(ContinuousClock.now - started) after it began")
        #expect(unbind.isDone)
        #expect(!FileManager.default.fileExists(atPath: "/dev/snd/controlC\(dummy)"))

        try Data(device.utf8).write(to: URL(fileURLWithPath: "\(driver)/bind"))
        // The card comes back, with its mixer.
        var back = false
        for _ in 0..<100 where !back {
            back = FileManager.default.fileExists(atPath: "/dev/snd/controlC\(dummy)")
            if !back { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(back)
        #expect(try CardControls(card: dummy).element(named: "Master Volume").count == 2)

        // inotify on /dev/snd saw the card and its PCMs go and come back: the control node last.
        var changes: [DeviceChange] = []
        while !changes.contains(.cardAdded(card: card)) {
            guard let change = try await hotplug.next() else { break }
            changes.append(change)
        }
        print("hotplug: \(changes)")
        let removed = (0..<4).flatMap { device in
            [DeviceChange.pcmRemoved(card: card, device: device, direction: .playback), .pcmRemoved(card: card, device: device, direction: .capture)]
        }
        let added = (0..<4).flatMap { device in
            [DeviceChange.pcmAdded(card: card, device: device, direction: .playback), .pcmAdded(card: card, device: device, direction: .capture)]
        }
        #expect(changes.first == .cardRemoved(card: card) && changes.last == .cardAdded(card: card))
        #expect(Set(changes.map { "\($0)" }) == Set((removed + added + [.cardRemoved(card: card), .cardAdded(card: card)]).map { "\($0)" }))
        #expect(changes.count == 18)
    }
}
