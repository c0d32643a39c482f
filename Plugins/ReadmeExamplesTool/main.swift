// Turns the ```swift blocks of a Markdown file into one Swift file that the package compiles, so an
// example in the README cannot stop compiling unnoticed.
//
// Each block becomes the body of a function `readmeExampleN() async throws` (N counts the blocks
// from 1), so top-level statements compile as they would in a script; `import` lines are hoisted to
// the top of the file. An HTML comment on the line before a block steers it:
//   <!-- example: continues -->      the block goes on in the previous block's function (it uses
//                                    what that one defined);
//   <!-- example: skip REASON -->    the block is not Swift code of the library (a Package.swift
//                                    fragment, say); the reason is required.
//
// Usage: readme-examples README.md OUTPUT.swift
import Foundation

/// One function's worth of example: the block that opens it and any that continue it, each with the
/// Markdown line its code starts on, so that compiler errors point into the README itself.
struct Block {
    var number: Int
    var segments: [(firstLine: Int, lines: [String])]
}

enum ExtractionError: Error, CustomStringConvertible {
    case usage
    case skipWithoutReason(line: Int)
    case continuesNothing(line: Int)
    case unterminated(line: Int)

    var description: String {
        switch self {
        case .usage: "usage: readme-examples MARKDOWN OUTPUT"
        case .skipWithoutReason(let line): "line \(line): `example: skip` needs a reason"
        case .continuesNothing(let line): "line \(line): `example: continues` with no block before it"
        case .unterminated(let line): "line \(line): a ```swift block is never closed"
        }
    }
}

func extract(_ text: String) throws -> [Block] {
    var blocks: [Block] = []
    var directive: String?
    var current: (start: Int, lines: [String], continues: Bool, skip: Bool)?
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
                        blocks.append(Block(number: counted, segments: [(open.start + 1, open.lines)]))
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
            let skip = directive?.hasPrefix("skip") == true
            if skip && directive!.dropFirst("skip".count).trimmingCharacters(in: .whitespaces).isEmpty {
                throw ExtractionError.skipWithoutReason(line: index + 1)
            }
            current = (index + 1, [], directive == "continues", skip)
        }
        if !trimmed.isEmpty { directive = nil }
    }
    if let open = current { throw ExtractionError.unterminated(line: open.start) }
    return blocks
}

func render(_ blocks: [Block], source: String, path: String) -> String {
    var imports: [String] = []
    var functions: [String] = []
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
        functions.append("""
        /// \(source), Swift block \(block.number).
        func readmeExample\(block.number)() async throws {
        \(body.joined(separator: "\n"))
        }
        """)
    }
    return "// Generated from \(source) by readme-examples at build time: edit the README, not this file.\n"
        + imports.joined(separator: "\n") + "\n\n" + functions.joined(separator: "\n\n") + "\n"
}

let arguments = CommandLine.arguments
do {
    guard arguments.count == 3 else { throw ExtractionError.usage }
    let source = URL(fileURLWithPath: arguments[1])
    let blocks = try extract(try String(contentsOf: source, encoding: .utf8))
    let generated = render(blocks, source: source.lastPathComponent, path: source.path)
    try generated.write(to: URL(fileURLWithPath: arguments[2]), atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("readme-examples: \(error)\n".utf8))
    exit(1)
}
