import AlsaSwiftFiles
import Foundation
import Testing
import CAlsaKernel
@testable import AlsaTools

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM end the built tools, run as processes of their own, while they sit in a
/// blocking call: the open of a FIFO nobody opens from the other side, and a write to a full pipe.
/// The recorder stopped that way leaves a valid WAV file.
@Suite("Signals end the tools")
struct SignalTests {
    /// How long a tool may take to end after the signal: `hangBound`, since the hang these tests
    /// catch is unbounded (3 s was missed on one CPU of a loaded machine, by tools that did end).
    static let bound: Duration = hangBound

    /// The built tool `name`, next to the test bundle (`swift build --build-tests` builds both).
    static func tool(_ name: String) throws -> String {
        let directory = CommandLine.arguments[0].split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = directory + "/" + name
        try #require(access(path, X_OK) == 0, "\(path) is not built")
        return path
    }

    static func temporaryFIFO() throws -> String {
        let path = WAVTests.temporary("fifo")
        try #require(mkfifo(path, 0o600) == 0)
        return path
    }

    /// A tool running as a process of its own. Spawned directly: Foundation's `Process` leaks
    /// itself, which the sanitizer run would report.
    final class Child {
        let pid: pid_t
        /// The raw wait status once it ended.
        private(set) var status: Int32?

        init(_ tool: String, _ arguments: [String], input: Int32? = nil, output: Int32? = nil, errors: Int32? = nil) throws {
            let path = try SignalTests.tool(tool)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if let input { posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO) }
            if let output {
                posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
            } else {
                posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
            }
            if let errors {
                posix_spawn_file_actions_adddup2(&actions, errors, STDERR_FILENO)
            } else {
                posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
            }
            // The tool starts as from a shell: no signal blocked, and SIGINT, SIGTERM and SIGALRM at
            // their defaults. The test process is no such parent: its pool threads block signals, and
            // its in-process tool tests have installed handlers of their own.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            posix_spawnattr_setsigmask(&attributes, &unblocked)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for number in [SIGINT, SIGTERM, SIGALRM] { sigaddset(&defaults, number) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            let argv = ([path] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid: pid_t = 0
            let spawned = argv.withUnsafeBufferPointer { posix_spawn(&pid, path, &actions, &attributes, $0.baseAddress!, environ) }
            try #require(spawned == 0, "posix_spawn \(path): \(spawned)")
            self.pid = pid
        }

        deinit {
            // SIGKILL ends it at once, so this wait is short.
            if isRunning { kill(pid, SIGKILL); var raw: Int32 = 0; waitpid(pid, &raw, 0) }
        }

        var isRunning: Bool {
            guard status == nil else { return false }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            return status == nil
        }

        /// Waits at most `timeout`; false if it still runs. The wait happens on a thread of its
        /// own, as `ToolShell.run`'s does: a test must not hold one of the few cooperative threads
        /// for seconds, and a task polling on that busy pool would see the end late, and take a
        /// slow pool for a slow tool.
        func wait(timeout: Duration) async -> Bool {
            guard isRunning else { return true }
            let pid = self.pid
            let ended: Int32? = await withCheckedContinuation { finished in
                Thread {
                    let deadline = ContinuousClock.now + timeout
                    var raw: Int32 = 0
                    while waitpid(pid, &raw, WNOHANG) != pid {
                        if ContinuousClock.now > deadline { finished.resume(returning: nil); return }
                        usleep(2_000)
                    }
                    finished.resume(returning: raw)
                }.start()
            }
            if let ended { status = ended }
            return ended != nil
        }

        /// The exit status, nil while running or when a signal killed it.
        var exitStatus: Int32? { status.flatMap { $0 & 0x7F == 0 ? ($0 >> 8) & 0xFF : nil } }
    }

    /// Waits until `child` catches SIGINT and SIGTERM (its handlers are installed), and no longer:
    /// the tests that want it blocked somewhere wait for that with `waitUntilBlocked`.
    static func waitUntilHandling(_ child: Child) async {
        // Looks first, then checks the clock: on a busy task pool this task may resume long after
        // its sleep, and must not then give up without a last look.
        let deadline = ContinuousClock.now + scaled(.seconds(20))
        while true {
            let status = (try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)) ?? ""
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
               let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16),
               mask & (1 << (SIGINT - 1)) != 0, mask & (1 << (SIGTERM - 1)) != 0 {
                return
            }
            if ContinuousClock.now > deadline { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the tool never installed its signal handlers")
    }

    /// Waits until `child` has written audio to `path`: the file is longer than a WAV header.
    static func waitUntilWriting(_ child: Child, to path: String) async {
        let deadline = ContinuousClock.now + scaled(.seconds(20))
        while child.isRunning {
            if ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 44 { return }
            if ContinuousClock.now > deadline { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the tool wrote no audio to \(path) before it ended or the deadline")
    }

    /// What `child` has printed to `path` once it ends a line (or ends, or 20 s scaled pass).
    static func firstLines(of child: Child, in path: String) async throws -> String {
        let deadline = ContinuousClock.now + scaled(.seconds(20))
        var printed = ""
        while child.isRunning, ContinuousClock.now < deadline {
            printed = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if printed.hasSuffix("\n") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return printed
    }

    /// Where a thread of a tool can sit blocked: the kernel function it sleeps in (/proc/…/wchan),
    /// with the system call that got it there as the fallback when the kernel hides wchan.
    struct BlockedIn: Sendable {
        /// The names the kernel gives the function (6.x kernels renamed the pipe ones `anon_pipe_…`).
        var kernelFunctions: Set<String>
        var systemCall: Int
        #if arch(x86_64)
        static let fifoOpen = BlockedIn(kernelFunctions: ["wait_for_partner"], systemCall: 257)  // openat
        static let pipeWrite = BlockedIn(kernelFunctions: ["pipe_write", "anon_pipe_write"], systemCall: 1)  // write
        static let pipeRead = BlockedIn(kernelFunctions: ["pipe_read", "anon_pipe_read"], systemCall: 0)  // read
        #elseif arch(arm64)
        static let fifoOpen = BlockedIn(kernelFunctions: ["wait_for_partner"], systemCall: 56)
        static let pipeWrite = BlockedIn(kernelFunctions: ["pipe_write", "anon_pipe_write"], systemCall: 64)
        static let pipeRead = BlockedIn(kernelFunctions: ["pipe_read", "anon_pipe_read"], systemCall: 63)
        #endif

        /// Whether task `path` (/proc/<pid>/task/<tid>) is blocked here now.
        func holds(forTask path: String) -> Bool {
            let wchan = ((try? String(contentsOfFile: path + "/wchan", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if !wchan.isEmpty && wchan != "0" { return kernelFunctions.contains(wchan) }
            let call = ((try? String(contentsOfFile: path + "/syscall", encoding: .utf8)) ?? "").split(separator: " ").first
            return call.flatMap { Int($0) } == systemCall
        }
    }

    /// Waits until a thread of `child` is blocked in `place`, the same thread on two looks ~20 ms
    /// apart: the signal then lands inside the blocking call, the case these tests are about (a
    /// fixed pause was too short on a loaded machine, and the signal landed before the call).
    static func waitUntilBlocked(_ child: Child, in place: BlockedIn) async {
        let deadline = ContinuousClock.now + scaled(.seconds(20))
        var candidate: String?
        var seen: [String] = []
        var lastLook = false
        while child.isRunning {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/task")) ?? []
            let blocked = tasks.map { "/proc/\(child.pid)/task/\($0)" }.filter { place.holds(forTask: $0) }
            if let candidate, blocked.contains(candidate) { return }
            candidate = blocked.first
            seen = tasks.map { ((try? String(contentsOfFile: "/proc/\(child.pid)/task/\($0)/wchan", encoding: .utf8)) ?? "?") }
            // After the look (see waitUntilHandling); a candidate still gets its second look.
            if ContinuousClock.now > deadline {
                if candidate == nil || lastLook { break }
                lastLook = true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the tool never blocked in \(place.kernelFunctions.sorted()) (its threads were last in \(seen))")
    }

    /// Sends `signal` and waits at most `bound` for the process to end; returns how long it took,
    /// or nil (the child is then killed) when it did not end.
    static func interrupt(_ child: Child, with signal: Int32) async -> Duration? {
        let sent = ContinuousClock.now
        kill(child.pid, signal)
        guard await child.wait(timeout: bound) else { return nil }
        return ContinuousClock.now - sent
    }

    @Test("defect: alsa-play blocked opening a FIFO with no writer ignored Ctrl-C and SIGTERM; now it ends with 128 + the signal",
          arguments: [SIGINT, SIGTERM])
    func playerOnFIFO(signal: Int32) async throws {
        let fifo = try Self.temporaryFIFO()
        defer { unlink(fifo) }
        let process = try Child("alsa-play", ["-D", "sim", fifo])
        await Self.waitUntilHandling(process)
        await Self.waitUntilBlocked(process, in: .fifoOpen)
        #expect(process.isRunning, "alsa-play should be blocked in open(2)")
        let took = await Self.interrupt(process, with: signal)
        #expect(took != nil, "alsa-play did not end within \(Self.bound) of signal \(signal)")
        #expect(process.exitStatus == 128 + signal)
    }

    @Test("alsa-record blocked opening a FIFO with no reader for its output ends on Ctrl-C and SIGTERM",
          arguments: [SIGINT, SIGTERM])
    func recorderOnFIFO(signal: Int32) async throws {
        let fifo = try Self.temporaryFIFO()
        defer { unlink(fifo) }
        let process = try Child("alsa-record", ["-D", "sim", "-r", "8000", "-c", "1", "-f", "u8", "-q", fifo])
        await Self.waitUntilHandling(process)
        await Self.waitUntilBlocked(process, in: .fifoOpen)
        #expect(process.isRunning, "alsa-record should be blocked in open(2)")
        #expect(await Self.interrupt(process, with: signal) != nil, "alsa-record did not end within \(Self.bound)")
        #expect(process.exitStatus == 128 + signal)
    }

    @Test("alsa-record stopped by Ctrl-C or SIGTERM mid-recording leaves a valid WAV with every frame it counted",
          arguments: [SIGINT, SIGTERM])
    func recorderLeavesValidFile(signal: Int32) async throws {
        let path = WAVTests.temporary("signal")
        defer { unlink(path) }
        let output = WAVTests.temporary("signal-out")
        let log = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(log >= 0)
        defer { unlink(output) }
        // The summary is status: on standard error, where the tool's status goes.
        let process = try Child("alsa-record", ["-D", "sim", "-r", "8000", "-c", "1", "-f", "u8", path], errors: log)
        close(log)
        await Self.waitUntilHandling(process)
        // Frames counted before the stop.
        await Self.waitUntilWriting(process, to: path)
        #expect(await Self.interrupt(process, with: signal) != nil, "alsa-record did not end within \(Self.bound)")
        // 128 + the signal, as every tool ends after one (it used to be 0 here, against the README).
        #expect(process.exitStatus == 128 + signal)
        let reader = try WAVReader(path: path)
        #expect(reader.format == WAVFormat(encoding: .integer, channelCount: 1, sampleRate: 8_000, containerBits: 8))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(reader.frameCount > 0 && 44 + reader.frameCount + reader.frameCount % 2 == size)
        let printed = try String(contentsOfFile: output, encoding: .utf8)
        #expect(printed.contains("\(reader.frameCount) frames") && printed.contains("interrupted"), "\(printed)")
    }

    @Test("defect: alsa-tone ended with 0 after Ctrl-C or SIGTERM; now with 128 + the signal, playing or writing a file",
          arguments: [SIGINT, SIGTERM])
    func toneStatus(signal: Int32) async throws {
        let playing = try Child("alsa-tone", ["-D", "sim", "-q"])
        await Self.waitUntilHandling(playing)
        #expect(await Self.interrupt(playing, with: signal) != nil, "alsa-tone did not end within \(Self.bound)")
        #expect(playing.exitStatus == 128 + signal)
        // Writing a long file: stopped early, the file is valid and holds what was written.
        let path = WAVTests.temporary("tone-signal")
        defer { unlink(path) }
        let writing = try Child("alsa-tone", ["-q", "-r", "8000", "-c", "1", "--to", "2000", "-d", "3000", "-o", path])
        await Self.waitUntilHandling(writing)
        // Inside its loop: the file has grown past its header (a signal sent earlier proves less).
        await Self.waitUntilWriting(writing, to: path)
        #expect(await Self.interrupt(writing, with: signal) != nil, "alsa-tone -o did not end within \(Self.bound)")
        #expect(writing.exitStatus == 128 + signal)
        let reader = try WAVReader(path: path)
        #expect(reader.frameCount < 24_000_000 && reader.truncation == nil)
    }

    /// The monitor waits in async code: the library's `StopSignal` turns the signal into the
    /// cancellation of its wait.
    @Test("defect: alsa-mixer monitor --json printed nothing when interrupted; now each change is a JSON line as it comes, and Ctrl-C or SIGTERM ends it with 128 + the signal",
          arguments: [SIGINT, SIGTERM])
    func mixerMonitorInterrupted(signal: Int32) async throws {
        let path = WAVTests.temporary("monitor")
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(output >= 0)
        defer { unlink(path) }
        // The simulated card plays its own changes (merged into one event until read); a count it
        // never reaches keeps the monitor waiting, as on a quiet card.
        let process = try Child("alsa-mixer", ["-D", "sim", "--json", "--count", "100", "monitor"], output: output)
        close(output)
        await Self.waitUntilHandling(process)
        let printed = try await Self.firstLines(of: process, in: path)
        #expect(!printed.isEmpty, "the first change was not printed as it came")
        #expect(await Self.interrupt(process, with: signal) != nil, "alsa-mixer monitor did not end within \(Self.bound)")
        #expect(process.exitStatus == 128 + signal)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let event = try JSONDecoder().decode(EventReport.self, from: Data(line.utf8))
            #expect(event.name == "Master Playback Volume" && event.changes == ["VALUE"] && event.values == ["10", "10"], "\(line)")
        }
    }

    /// A pipe whose write end holds as much as it can take, and blocks the next write.
    static func fullPipe() throws -> (read: Int32, write: Int32) {
        var ends: (Int32, Int32) = (-1, -1)
        // Close-on-exec: other tests spawn children in parallel, which must not hold this pipe open
        // (the tool here gets its end through dup2, which clears the flag on the copy).
        try #require(withUnsafeMutablePointer(to: &ends) { $0.withMemoryRebound(to: Int32.self, capacity: 2) { alsa_pipe_cloexec($0) } } == 0)
        let writer = ends.1
        #expect(fcntl(writer, 1031 /* F_SETPIPE_SZ, a GNU macro Swift does not import */, 4096) >= 4096)
        // Fill the pipe, then make its writes blocking again (the flag is shared with the child).
        _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
        var block = [UInt8](repeating: 0x2E, count: 4096)
        while Glibc.write(writer, &block, block.count) > 0 {}
        _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) & ~O_NONBLOCK)
        return ends
    }

    @Test("alsa-record - blocked writing audio to a full pipe ends on Ctrl-C with 130 (its output was cut short)")
    func recorderOnFullPipe() async throws {
        let ends = try Self.fullPipe()
        defer { close(ends.read); close(ends.write) }
        let process = try Child("alsa-record", ["-D", "sim", "-t", "raw", "-q", "-"], output: ends.write)
        await Self.waitUntilHandling(process)
        await Self.waitUntilBlocked(process, in: .pipeWrite)
        #expect(process.isRunning, "alsa-record should be blocked writing to standard output")
        #expect(await Self.interrupt(process, with: SIGINT) != nil, "alsa-record did not end within \(Self.bound)")
        #expect(process.exitStatus == 130)
    }

    @Test("alsa-play - blocked reading a pipe nobody writes to ends on Ctrl-C with 130")
    func playerOnSilentStandardInput() async throws {
        var ends: [Int32] = [-1, -1]
        try #require(alsa_pipe_cloexec(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let process = try Child("alsa-play", ["-D", "sim", "-"], input: ends[0])
        await Self.waitUntilHandling(process)
        await Self.waitUntilBlocked(process, in: .pipeRead)
        #expect(process.isRunning, "alsa-play should be blocked reading standard input")
        #expect(await Self.interrupt(process, with: SIGINT) != nil, "alsa-play did not end within \(Self.bound)")
        #expect(process.exitStatus == 130)
    }

    @Test("alsa-info blocked writing to a full pipe ends on Ctrl-C with 130")
    func infoOnFullPipe() async throws {
        let ends = try Self.fullPipe()
        defer { close(ends.read); close(ends.write) }
        let writer = ends.write
        let process = try Child("alsa-info", ["-D", "sim", "--json"], output: writer)
        await Self.waitUntilHandling(process)
        await Self.waitUntilBlocked(process, in: .pipeWrite)
        #expect(process.isRunning, "alsa-info should be blocked writing its listing")
        #expect(await Self.interrupt(process, with: SIGINT) != nil, "alsa-info did not end within \(Self.bound)")
        #expect(process.exitStatus == 130)
    }

    /// The tools a signal must end wherever it lands, and how they may end: the signal can come
    /// before the blocking call (the tool sees the flag and stops on its own), or inside it.
    static let anyMomentCases: [(tool: String, arguments: [String], blocks: String, statuses: Set<Int32>)] = [
        ("alsa-record", ["-D", "sim", "-r", "8000", "-c", "1", "-f", "u8", "-q", "FIFO"], "FIFO", [130]),
        ("alsa-play", ["-D", "sim", "FIFO"], "FIFO", [130]),
        ("alsa-info", ["-D", "sim", "--json"], "full pipe", [130]),
        ("alsa-record", ["-D", "sim", "-t", "raw", "-q", "-"], "full pipe", [130]),
    ]

    /// Whether this process (and so the tools it built alongside it) runs under ThreadSanitizer.
    /// Its runtime defers a signal that lands in ordinary code until the next interceptor it
    /// counts as blocking, and it does not count `open`: a Ctrl-C landing just before a tool opens
    /// a FIFO with no writer reaches the tool's handler only after the open returns, so the
    /// handler cannot start the reminder that interrupts the open (a hang seen once in CI, attempt
    /// 8 of 12). That is the sanitizer's delivery, not the tool's; `write`, which it counts as
    /// blocking, is still tried.
    static let underThreadSanitizer: Bool = {
        guard let process = dlopen(nil, RTLD_NOW) else { return false }
        defer { dlclose(process) }
        return dlsym(process, "__tsan_init") != nil
    }()

    /// The `anyMomentCases` this build can judge (every one, except the FIFO opens under
    /// ThreadSanitizer).
    static var anyMomentIndices: [Int] {
        anyMomentCases.indices.filter { !(underThreadSanitizer && anyMomentCases[$0].blocks == "FIFO") }
    }

    @Test("defect: Ctrl-C landing between a tool's check of the stop flag and its blocking open or write was lost and the tool hung; now it ends wherever the signal lands",
          arguments: anyMomentIndices)
    func signalAtAnyMoment(index: Int) async throws {
        let (tool, arguments, blocks, statuses) = Self.anyMomentCases[index]
        // Twelve tries, the signal right after the handlers are in: before the fix, about one in
        // three (FIFO) to four in five (alsa-info) hung.
        for attempt in 0..<12 {
            let fifo = try Self.temporaryFIFO()
            defer { unlink(fifo) }
            let ends = try Self.fullPipe()
            defer { close(ends.read); close(ends.write) }
            let process = try Child(tool, arguments.map { $0 == "FIFO" ? fifo : $0 },
                                    output: blocks == "full pipe" ? ends.write : nil)
            await Self.waitUntilHandling(process)
            let ended = await Self.interrupt(process, with: SIGINT) != nil
            #expect(ended, "\(tool) on a \(blocks) did not end within \(Self.bound) of Ctrl-C (attempt \(attempt))")
            if !ended { return }
            #expect(process.exitStatus.map { statuses.contains($0) } == true,
                    "\(tool) on a \(blocks) ended with status \(String(describing: process.exitStatus))")
        }
    }
}
