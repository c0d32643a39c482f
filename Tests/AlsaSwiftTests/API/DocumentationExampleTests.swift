import ReadmeExamples
import Testing

/// The documentation's examples that can run without a sound card (marked `<!-- example: runs -->`
/// in README.md or an article of the DocC catalog) do run: each builds its own simulated machine.
/// Each runs in a process of its own (an exit test), so an `assert` an example breaks fails that
/// example alone, as an error it throws does. Every block, runnable or not, is compiled by the
/// ReadmeExamples target.
@Suite("Documentation examples")
struct DocumentationExampleTests {
    @Test("the catalog has runnable examples")
    func thereAreSome() {
        #expect(runnableDocumentationExamples.count >= 5, "\(runnableDocumentationExamples)")
    }

    @Test("a runnable example runs on the simulated kernel", arguments: runnableDocumentationExamples)
    func runs(_ example: DocumentationExample) async {
        await #expect(processExitsWith: .success, "\(example)") { [source = example.source as String, line = example.line as Int] in
            guard let found = runnableDocumentationExamples.first(where: { $0.source == source && $0.line == line }) else {
                Issue.record("no example at \(source):\(line)")
                return
            }
            try await found.run()
        }
    }
}
