import Foundation
import PackagePlugin

/// Compiles the documentation's Swift examples with the target it is applied to: at every build, the
/// `readme-examples` tool turns the ```swift blocks of README.md and of every article in the
/// AlsaSwift DocC catalog (Sources/AlsaSwift/AlsaSwift.docc) into a source file of that target.
@main
struct ReadmeExamplesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let catalog = root.appending(path: "Sources/AlsaSwift/AlsaSwift.docc")
        let articles = (FileManager.default.enumerator(at: catalog, includingPropertiesForKeys: nil)?.allObjects ?? [])
            .compactMap { $0 as? URL }
            .filter { $0.pathExtension == "md" }
            .sorted { $0.path < $1.path }
        let inputs = [root.appending(path: "README.md")] + articles
        let output = context.pluginWorkDirectoryURL.appending(path: "DocumentationExamples.swift")
        return [
            .buildCommand(displayName: "Extracting the documentation's Swift examples",
                          executable: try context.tool(named: "readme-examples").url,
                          arguments: [output.path(percentEncoded: false)] + inputs.map { $0.path(percentEncoded: false) },
                          inputFiles: inputs, outputFiles: [output]),
        ]
    }
}
