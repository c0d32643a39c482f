// Turns the ```swift blocks of Markdown files (README.md and the DocC articles) into one Swift file
// that the package compiles, so an example in the documentation cannot stop compiling unnoticed.
//
// Each block becomes the body of a function `<file>ExampleN() async throws` (`readmeExample3` for the
// README's third block, `gettingStartedExample1` for GettingStarted.md's first; N counts a file's
// blocks from 1), so top-level statements compile as they would in a script; `import` lines are
// hoisted to the top of the file. An HTML comment on the line before a block steers it (DocC and
// GitHub render neither):
//   <!-- example: continues -->      the block goes on in the previous block's function (it uses
//                                    what that one defined);
//   <!-- example: runs -->           the block runs on the simulated kernel: it is listed in
//                                    `runnableDocumentationExamples`, which a test calls one by one.
//                                    It must build its own simulated machine (`SimulatedKernel`);
//                                    blocks that continue it run with it;
//   <!-- example: skip REASON -->    the block is not Swift code of the library (a Package.swift
//                                    fragment, say); the reason is required.
//
// Usage: readme-examples OUTPUT.swift MARKDOWN...
import Foundation

/// One function's worth of example: the block that opens it and any that continue it, each with the
/// Markdown line its code starts on, so that compiler errors point into the README itself.
struct Block {
    var number: Int
    var runs: Bool
    var segments: [(firstLine: Int, lines: [String])]
}

enum ExtractionError: Error, CustomStringConvertible {
    case usage
    case skipWithoutReason(line: Int)
    case continuesNothing(line: Int)
    case unterminated(line: Int)
    case unknownDirective(line: Int, String)

    var description: String {
        switch self {
        case .usage: "usage: readme-examples OUTPUT.swift MARKDOWN..."
        case .skipWithoutReason(let line): "line \(line): `example: skip` needs a reason"
        case .continuesNothing(let line): "line \(line): `example: continues` with no block before it"
        case .unterminated(let line): "line \(line): a ```swift block is never closed"
        case .unknownDirective(let line, let text): "line \(line): unknown directive `example: \(text)` (continues, runs, skip REASON)"
        }
    }
}

/// An error in one Markdown file, named so that the build log points at it.
struct FileError: Error, CustomStringConvertible {
    var file: String
    var underlying: any Error
    var description: String { "\(file): \(underlying)" }
}

func extract(_ text: String) throws -> [Block] {
    var blocks: [Block] = []
    var directive: String?
    var current: (start: Int, lines: [String], continues: Bool, skip: Bool, runs: Bool)?
    var counted = 0
    for (index, line) in text.components(separatedBy: "\n").enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if var open = current {
            if trimmed == "```" {
                if !open.skip {
                    if open.continues {
                        guard !blocks.isEmpty else { throw ExtractionError.continuesNothing(line: open.start) }
                        blocks[blocks.count - 1].segments.append((open.start + 1, open.lines))
                    } else {
                        blocks.append(Block(number: counted, runs: open.runs, segments: [(open.start + 1, open.lines)]))
                    }
                }
                current = nil
            } else {
                open.lines.append(line)
                current = open
            }
            continue
        }
        if trimmed.hasPrefix("<!-- example:") && trimmed.hasSuffix("-->") {
            directive = String(trimmed.dropFirst("<!-- example:".count).dropLast("-->".count)).trimmingCharacters(in: .whitespaces)
            continue
        }
        if trimmed == "```swift" {
            counted += 1
            if let directive, directive != "continues", directive != "runs", !directive.hasPrefix("skip") {
                throw ExtractionError.unknownDirective(line: index, directive)
            }
            let skip = directive?.hasPrefix("skip") == true
            if skip && directive!.dropFirst("skip".count).trimmingCharacters(in: .whitespaces).isEmpty {
                throw ExtractionError.skipWithoutReason(line: index + 1)
            }
            current = (index + 1, [], directive == "continues", skip, directive == "runs")
        }
        if !trimmed.isEmpty { directive = nil }
    }
    if let open = current { throw ExtractionError.unterminated(line: open.start) }
    return blocks
}

/// The lower-camel-case stem of a Markdown file's name: `readme` for README.md, `gettingStarted` for
/// GettingStarted.md, `choosingATransport` for Choosing-a-Transport.md.
func functionPrefix(_ fileName: String) -> String {
    let stem = fileName.split(separator: ".").first.map(String.init) ?? fileName
    if stem == stem.uppercased() { return stem.lowercased() }
    let words = stem.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
    var name = ""
    for (index, word) in words.enumerated() {
        name += index == 0 ? word.prefix(1).lowercased() + word.dropFirst() : word.prefix(1).uppercased() + word.dropFirst()
    }
    return name
}

/// One Markdown file's blocks as functions, and the entries of those that run.
func render(_ blocks: [Block], source: String, path: String, imports: inout [String]) -> (functions: [String], runnable: [String]) {
    var functions: [String] = []
    var runnable: [String] = []
    let prefix = functionPrefix(source)
    for block in blocks {
        var body: [String] = []
        for segment in block.segments {
            // An import line stays in place as a blank line, so the line numbers still match.
            body.append("#sourceLocation(file: \"\(path)\", line: \(segment.firstLine))")
            for line in segment.lines {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("import ") {
                    if !imports.contains(trimmed) { imports.append(trimmed) }
                    body.append("")
                } else {
                    body.append(line.isEmpty ? "" : "    " + line)
                }
            }
            body.append("#sourceLocation()")
        }
        let name = "\(prefix)Example\(block.number)"
        functions.append("""
        /// \(source), Swift block \(block.number)\(block.runs ? " (runs on the simulated kernel)" : "").
        func \(name)() async throws {
        \(body.joined(separator: "\n"))
        }
        """)
        if block.runs {
            runnable.append("    DocumentationExample(source: \"\(source)\", line: \(block.segments[0].firstLine), run: \(name)),")
        }
    }
    return (functions, runnable)
}

let arguments = CommandLine.arguments
do {
    guard arguments.count >= 3 else { throw ExtractionError.usage }
    var imports: [String] = []
    var functions: [String] = []
    var runnable: [String] = []
    var sources: [String] = []
    for argument in arguments.dropFirst(2) {
        let source = URL(fileURLWithPath: argument)
        do {
            let blocks = try extract(try String(contentsOf: source, encoding: .utf8))
            let rendered = render(blocks, source: source.lastPathComponent, path: source.path, imports: &imports)
            functions += rendered.functions
            runnable += rendered.runnable
            sources.append(source.lastPathComponent)
        } catch {
            throw FileError(file: source.path, underlying: error)
        }
    }
    let generated = "// Generated from \(sources.joined(separator: ", ")) by readme-examples at build time: edit those files, not this one.\n"
        + imports.sorted().joined(separator: "\n") + "\n\n" + functions.joined(separator: "\n\n") + "\n\n"
        + "/// The blocks marked `<!-- example: runs -->`, in file order.\n"
        + "public let runnableDocumentationExamples: [DocumentationExample] = [\n" + runnable.joined(separator: "\n") + "\n]\n"
    try generated.write(to: URL(fileURLWithPath: arguments[1]), atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("readme-examples: \(error)\n".utf8))
    exit(1)
}
