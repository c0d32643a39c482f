import ArgumentParser

extension AsyncParsableCommand {
    /// The executable's entry for an async tool: parse, run, and exit as ArgumentParser does.
    /// Top-level code that called `main()` would get ArgumentParser's synchronous `main`, which
    /// never runs the async `run()`; this one awaits it. `--help` and `--version`, parsed as other
    /// commands, run synchronously.
    package static func runAsMain() async {
        do {
            var command = try parseAsRoot()
            guard var tool = command as? any AsyncParsableCommand else {
                try command.run()
                return
            }
            try await tool.run()
        } catch {
            exit(withError: error)
        }
    }
}
