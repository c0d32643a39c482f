import ArgumentParser
import Foundation
import Testing
@testable import AlsaTools

/// The committed man pages (Examples/man, made by Scripts/man-pages) list what each tool's parser
/// takes, and nothing else: its options by every name it has, and subcommands only where the
/// parser has them. `Scripts/man-pages --check` says a page is what the generator makes; this says
/// what the generator makes is true.
@Suite("Man pages")
struct ManPageTests {
    static let tools: [(name: String, command: any ParsableCommand.Type)] = [
        ("alsa-play", AlsaPlay.self), ("alsa-record", AlsaRecord.self), ("alsa-tone", AlsaTone.self),
        ("alsa-info", AlsaInfo.self), ("alsa-mixer", AlsaMixer.self), ("alsa-midi", AlsaMIDI.self),
        ("alsa-loop", AlsaLoop.self),
    ]

    static func page(_ tool: String) throws -> [Substring] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Examples/man/\(tool).1"), encoding: .utf8).split(separator: "\n")
    }

    /// The option names a page lists (`.It Fl D , -device Ar device`: -D and --device).
    static func optionNames(_ page: [Substring]) -> Set<String> {
        var names = Set<String>()
        for line in page where line.hasPrefix(".It Fl ") {
            for word in line.split(separator: " ").dropFirst(2).prefix(while: { $0 != "Ar" }) where word != "," && word != "Fl" {
                names.insert("-" + word)  // mdoc's Fl adds the dash: D is -D, -device is --device
            }
        }
        return names
    }

    /// The option names the built tool's parser declares, from its own description of itself.
    static func parserNames(_ tool: String) async throws -> Set<String> {
        let result = try await ToolShell.run(#""$\#(tool.replacingOccurrences(of: "-", with: "_"))" --experimental-dump-help"#)
        try #require(result.status == 0, "\(result.errors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output)) as? [String: Any])
        let arguments = try #require((json["command"] as? [String: Any])?["arguments"] as? [[String: Any]])
        var names = Set<String>()
        for argument in arguments where argument["shouldDisplay"] as? Bool != false {
            for name in argument["names"] as? [[String: String]] ?? [] {
                switch name["kind"] {
                case "short": names.insert("-" + (name["name"] ?? ""))
                case "long": names.insert("--" + (name["name"] ?? ""))
                default: break  // -help, a spelling the pages leave out
                }
            }
        }
        return names
    }

    @Test("defect: every page listed a 'help' subcommand no tool takes; now a page lists subcommands only where its parser has them",
          arguments: 0..<6)
    func subcommands(index: Int) throws {
        let (tool, command) = Self.tools[index]
        let page = try Self.page(tool)
        #expect(command.configuration.subcommands.isEmpty, "\(tool) has subcommands: the page should list them")
        #expect(!page.contains { $0.hasPrefix(".It Em ") }, "\(tool).1 lists a subcommand: \(page.filter { $0.hasPrefix(".It Em ") })")
        #expect(!page.contains(".Ar subcommand"), "\(tool).1's synopsis takes a subcommand")
    }

    @Test("every option a page lists is one its parser takes, and every option the parser takes is on the page", arguments: 0..<6)
    func options(index: Int) async throws {
        let tool = Self.tools[index].name
        let listed = Self.optionNames(try Self.page(tool))
        let parsed = try await Self.parserNames(tool)
        #expect(!parsed.isEmpty && listed == parsed, "\(tool): on the page only \(listed.subtracting(parsed)), in the parser only \(parsed.subtracting(listed))")
    }
}
