import PackagePlugin

/// Compiles the README's Swift examples with the target it is applied to: at every build, the
/// `readme-examples` tool turns README.md's ```swift blocks into a source file of that target.
@main
struct ReadmeExamplesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let readme = context.package.directoryURL.appending(path: "README.md")
        let output = context.pluginWorkDirectoryURL.appending(path: "ReadmeExamples.swift")
        return [
            .buildCommand(displayName: "Extracting the README's Swift examples",
                          executable: try context.tool(named: "readme-examples").url,
                          arguments: [readme.path(percentEncoded: false), output.path(percentEncoded: false)],
                          inputFiles: [readme], outputFiles: [output]),
        ]
    }
}
