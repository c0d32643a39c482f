// The Swift examples of README.md and of the DocC articles (Sources/AlsaSwift/AlsaSwift.docc) are
// compiled into this target by the ReadmeExamples build plugin (Plugins/ReadmeExamplesPlugin); an
// example that stops compiling fails the build. The examples themselves are generated from those
// files; this one gives the target a source of its own and the type the runnable ones are listed as.

/// A documentation example marked `<!-- example: runs -->`: it builds its own simulated machine,
/// so a test can run it (Tests/AlsaSwiftTests/DocumentationExampleTests.swift).
public struct DocumentationExample: Sendable, CustomStringConvertible {
    /// The Markdown file it comes from (`GettingStarted.md`).
    public let source: String
    /// The line its code starts on in that file.
    public let line: Int
    /// The example's code, with the blocks that continue it.
    public let run: @Sendable () async throws -> Void

    public init(source: String, line: Int, run: @escaping @Sendable () async throws -> Void) {
        self.source = source
        self.line = line
        self.run = run
    }

    public var description: String { "\(source):\(line)" }
}
