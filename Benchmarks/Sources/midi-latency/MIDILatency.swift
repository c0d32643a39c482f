import AlsaSwift
import ArgumentParser
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Write-to-read latency of one MIDI message through the kernel, AlsaSwift on both ends: a note
/// written by one file and read by another, `count` times, one message in flight at a time. Each
/// side's time is CLOCK_MONOTONIC, taken just before the write and just after the read hands the
/// message over; the reader waits on a thread of its own, in the blocking calls (poll(2)).
/// Prints one key=value line per path; Benchmarks/Scripts/midi-table.py makes the table, beside
/// the same paths through alsa-lib (Benchmarks/CBaseline/midi_latency.c).
@main
struct MIDILatency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midi-latency",
        abstract: "Times MIDI messages from write to read through virmidi and through the sequencer.")

    enum Path: String, ExpressibleByArgument, CaseIterable {
        /// Raw MIDI to raw MIDI: virmidi device A's port connected to device B's port.
        case virmidi
        /// Raw MIDI into virmidi device A, read by a sequencer client subscribed to its port:
        /// the path of `amidi -S` to `aseqdump -p`.
        case virmidiToSequencer = "virmidi-sequencer"
        /// One sequencer client's port to another's.
        case sequencer
    }

    @Argument(help: "virmidi, virmidi-sequencer or sequencer.") var path: Path
    @Option(help: "The virmidi card's index.") var card: Int = 4
    @Option(help: "Messages to time.") var count: Int = 100

    func validate() throws {
        guard (0...31).contains(card) else { throw ValidationError("--card must be 0 to 31") }
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be 1 to 100000") }
    }

    func run() throws {
        var latencies: [Duration] = []
        switch path {
        case .virmidi:
            let output = try RawMIDI(card: card, device: 0, directions: .output)
            let input = try RawMIDI(card: card, device: 1, directions: .input)
            _ = try input.available()   // the kernel starts a raw MIDI input at its first read
            latencies = try Self.time(count, send: { note in try output.sendBlocking(.noteOn(channel: 0, note: note, velocity: 100)) },
                                      receive: { try input.receiveBlocking().count })
        case .virmidiToSequencer:
            let output = try RawMIDI(card: card, device: 0, directions: .output)
            let sequencer = try Sequencer(name: "midi-latency")
            let port = try sequencer.createPort(name: "in", capabilities: .input)
            let virmidi = try Self.virmidiPort(sequencer, card: card, device: 0)
            try sequencer.connect(from: virmidi, to: port)
            latencies = try Self.time(count, send: { note in try output.sendBlocking(.noteOn(channel: 0, note: note, velocity: 100)) },
                                      receive: { try sequencer.receiveBlocking().filter { $0.message != nil }.count })
        case .sequencer:
            let sender = try Sequencer(name: "midi-latency out")
            let from = try sender.createPort(name: "out", capabilities: .output)
            let receiver = try Sequencer(name: "midi-latency in")
            let to = try receiver.createPort(name: "in", capabilities: .input)
            // Connected by the receiver itself: no PORT_SUBSCRIBED notice reaches its port.
            try receiver.connect(from: from, to: to)
            latencies = try Self.time(count, send: { note in try sender.sendBlocking(.noteOn(channel: 0, note: note, velocity: 100), from: from) },
                                      receive: { try receiver.receiveBlocking().filter { $0.message != nil }.count })
        }
        let sorted = latencies.sorted()
        func microseconds(_ value: Duration) -> String {
            String(format: "%.1f", Double(value.components.seconds) * 1e6 + Double(value.components.attoseconds) / 1e12)
        }
        print("midi side=alsaswift path=\(path.rawValue) messages=\(sorted.count) median_us=\(microseconds(sorted[sorted.count / 2])) min_us=\(microseconds(sorted[0])) max_us=\(microseconds(sorted[sorted.count - 1]))")
    }

    static func virmidiPort(_ sequencer: Sequencer, card: Int, device: Int) throws -> SequencerAddress {
        let suffix = " \(card)-\(device)"
        guard let client = try sequencer.clients().first(where: { $0.isKernelClient && $0.name.hasSuffix(suffix) }),
              let port = client.ports.first else {
            throw ValidationError("no virmidi sequencer client ending in \"\(suffix)\" (is snd-virmidi loaded as card \(card)?)")
        }
        return port.address
    }

    /// `count` messages, one at a time: the reader thread takes the time when `receive` has
    /// handed over a message, and lets the writer send the next one.
    static func time(_ count: Int, send: (Int) throws -> Void, receive: @escaping () throws -> Int) throws -> [Duration] {
        let received = DispatchSemaphore(value: 0)
        let times = Times(count)
        let receiver = Receiver(receive)
        let reader = Thread {
            var seen = 0
            while seen < count {
                guard let got = try? receiver.receive() else { break }
                let now = monotonic()
                for _ in 0..<got where seen < count {
                    times.arrived[seen] = now
                    seen += 1
                    received.signal()
                }
            }
        }
        reader.start()
        var latencies: [Duration] = []
        for index in 0..<count {
            let sent = monotonic()
            try send(index % 128)
            guard received.wait(timeout: .now() + .seconds(10)) == .success else {
                throw ValidationError("message \(index) did not arrive within 10 s")
            }
            latencies.append(times.arrived[index] - sent)
        }
        return latencies
    }

    static func monotonic() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}

/// Arrival times written by the reader thread, each read by the writer after the semaphore that
/// follows its write.
final class Times: @unchecked Sendable {
    var arrived: [Duration]
    init(_ count: Int) { arrived = Array(repeating: .zero, count: count) }
}

/// The reading side's call, handed to the reader thread; the writer does not touch its file.
final class Receiver: @unchecked Sendable {
    let receive: () throws -> Int
    init(_ receive: @escaping () throws -> Int) { self.receive = receive }
}
