import Foundation
import Testing
@testable import AlsaTools

/// `alsa-loop`, alsaloop's job: its arguments refused with reasons, a run on the simulated machine
/// that reports the round trip it asked for, and Ctrl-C ending it with 128 + SIGINT.
@Suite("alsa-loop")
struct LoopToolTests {
    @Test("bad arguments are refused with a reason", arguments: [
        (["-C", "sim", "-P", "hw:0,0"], "both be on the simulated machine"),
        (["-C", "sim", "-P", "sim", "-t", "50"], "-t 50 is out of range"),
        (["-C", "sim", "-P", "sim", "-t", "-1"], "-t -1 is out of range"),
        (["-C", "sim", "-P", "sim", "-r", "0"], "--rate 0 is out of range"),
        (["-C", "sim", "-P", "sim", "--transport", "alsa-lib"], "no alsa-lib transport"),
        (["-C", "sim"], "Missing expected argument"),
        (["-C", "sim", "-P", "sim", "-S", "5"], "-S"),
    ])
    func refusals(arguments: [String], reason: String) {
        do {
            _ = try AlsaLoop.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = AlsaLoop.message(for: error)
            #expect(message.contains(reason), "\(message)")
        }
    }

    @Test("-f cd sets rate and channels; -r and -c override; -t is the round trip in microseconds")
    func request() throws {
        let cd = try AlsaLoop.parse(["-C", "sim", "-P", "sim", "-f", "cd", "-c", "1", "-t", "20000"])
        #expect(cd.request.sampleRate == 44_100 && cd.request.channelCount == 1 && cd.request.formats == [.s16LE])
        #expect(cd.request.latency == .microseconds(20_000))
    }

    /// 100 ms asked for: periods of 50 ms, which a loaded machine keeps up with.
    @Test("on the simulated machine it loops for -d seconds and reports the round trip it asked for, and its range")
    func runsOnSim() async throws {
        let result = try await ToolShell.run(#""$alsa_loop" -C sim -P sim -t 100000 -d 0.5"#)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.contains("linked: one start for both sides"), "\(result.errors)")
        #expect(result.errors.contains("round trip 4800 frames (100.000 ms)"), "\(result.errors)")
        // One clock, no xrun: the round trip never moved over the run.
        #expect(result.errors.contains("range 4800 to 4800 frames over the run"), "\(result.errors)")
        #expect(result.output.isEmpty, "nothing on standard output")
    }

    /// The simulated machine's two cards, two clocks: -S picks how they are held, and the report says which.
    @Test("across two cards -S auto resamples the input, -S frames drops or repeats frames", arguments: [
        ("auto", "drift: resampling the input to the playback clock"),
        ("resample", "drift: resampling the input to the playback clock"),
        ("frames", "drift: dropping or repeating a frame"),
        ("off", "drift: not compensated"),
    ])
    func syncModes(mode: String, report: String) async throws {
        let result = try await ToolShell.run(#""$alsa_loop" -C sim:hw:0,0 -P sim:hw:1,0 -t 100000 -d 0.5 -S \#(mode)"#)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.contains(report), "\(result.errors)")
    }

    @Test("Ctrl-C stops it cleanly with status 130")
    func interrupted() async throws {
        let log = WAVTests.temporary("loop-status")
        defer { unlink(log) }
        // Once it has started looping (its handlers are installed by then), SIGINT as Ctrl-C sends it.
        let result = try await ToolShell.run(#"""
            "$alsa_loop" -C sim -P sim -t 100000 2> "\#(log)" &
            looper=$!
            trap 'kill -KILL $looper 2>/dev/null' EXIT
            i=0
            while ! grep -q Looping "\#(log)" 2>/dev/null && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
            kill -INT $looper
            wait $looper; echo "looper status $?" >&2
            grep -c "round trip" "\#(log)" >&2
            """#)
        #expect(result.errors == "looper status 130\n1\n", "\(result.errors)")
    }
}
