import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs a shell command line that uses the built tools, as a user types it: pipes, `-` for
/// standard input and output, redirections. Standard output and standard error are kept apart, so
/// a test can tell audio and listings from status. Spawned directly, as `SignalTests` spawns the
/// tools: Foundation's `Process` leaks itself, which the sanitizer run would report.
struct ToolShell {
    struct Result {
        /// The exit status of the command line (of its last command), nil when it did not end in time.
        var status: Int32?
        var output: [UInt8]
        var errors: String
        var outputText: String { String(decoding: output, as: UTF8.self) }
    }

    /// `"$alsa_play"` and the like in `command` are the built tools' paths. The wait for the
    /// command happens on a thread of its own, not in the test's task: a test blocking one of the
    /// few cooperative threads for the seconds a tool runs would delay every other test's task
    /// (the reactor-latency tests measured 1.4 s instead of 50 ms when these waits blocked).
    static func run(_ command: String, timeout: Duration = scaled(.seconds(60))) async throws -> Result {
        // The tools are built next to the test bundle (`swift build --build-tests` builds both).
        var environment = ProcessInfo.processInfo.environment
        for tool in ["alsa-play", "alsa-record", "alsa-tone", "alsa-info", "alsa-mixer", "alsa-midi", "alsa-loop"] {
            environment[tool.replacingOccurrences(of: "-", with: "_")] = try SignalTests.tool(tool)
        }
        let outputPath = WAVTests.temporary("shell-out"), errorPath = WAVTests.temporary("shell-err")
        defer { unlink(outputPath); unlink(errorPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let words: [String] = ["/bin/sh", "-c", command]
        let argv = words.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { arguments in
            envp.withUnsafeBufferPointer { posix_spawn(&pid, "/bin/sh", &actions, nil, arguments.baseAddress!, $0.baseAddress!) }
        }
        try #require(spawned == 0, "posix_spawn: \(spawned)")
        let child = pid
        let status: Int32? = await withCheckedContinuation { finished in
            Thread {
                let deadline = ContinuousClock.now + timeout
                var raw: Int32 = 0
                while true {
                    if waitpid(child, &raw, WNOHANG) == child {
                        finished.resume(returning: raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F))
                        return
                    }
                    if ContinuousClock.now > deadline {
                        kill(child, SIGKILL)
                        waitpid(child, &raw, 0)
                        finished.resume(returning: nil)
                        return
                    }
                    usleep(5_000)
                }
            }.start()
        }
        let output = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))).map { [UInt8]($0) } ?? []
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return Result(status: status, output: output, errors: errors)
    }
}
