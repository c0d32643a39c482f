import ReadmeExamples
import Testing

/// The documentation's examples that can run without a sound card (marked `<!-- example: runs -->`
/// in README.md or an article of the DocC catalog) do run: each builds its own simulated machine,
/// and and an error it throws fails here. Every block,
/// runnable or not, is compiled by the ReadmeExamples target.
@Suite("Documentation examples")
struct DocumentationExampleTests {
    @Test("the catalog has runnable examples")
    func thereAreSome() {
        #expect(runnableDocumentationExamples.count >= 5, "\(runnableDocumentationExamples)")
    }

    @Test("a runnable example runs on the simulated kernel", arguments: runnableDocumentationExamples)
    func runs(_ example: DocumentationExample) async throws {
        try await example.run()
    }
}
