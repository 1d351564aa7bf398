import Foundation
import Testing
import WaferFrontend
import WaferSupport
import WaferTestSupport

/// One row of Tests/Fixtures/bad/expectations.tsv.
struct BadInput: Sendable, CustomTestStringConvertible {
    var file: String
    var line: Int
    var column: Int
    var message: String
    var testDescription: String { file }

    static func all() -> [BadInput] {
        guard let text = try? String(contentsOfFile: TestPaths.fixture("bad/expectations.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { row -> BadInput? in
            if row.hasPrefix("#") { return nil }
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { return nil }
            let position = fields[1].split(separator: ":").compactMap { Int($0) }
            guard position.count == 2 else { return nil }
            return BadInput(file: fields[0], line: position[0], column: position[1], message: fields[2])
        }
    }
}

@Suite struct BadInputTests {
    @Test func corpusIsComplete() throws {
        let listed = Set(BadInput.all().map(\.file))
        let present = try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture("bad")).filter { $0.hasSuffix(".yaml") }
        #expect(listed.count >= 50)
        #expect(Set(present) == listed, "every bad fixture needs a row in expectations.tsv")
    }

    @Test(arguments: BadInput.all())
    func rejectedWithALocatedError(_ input: BadInput) {
        let path = TestPaths.fixture("bad/\(input.file)")
        do {
            _ = try ModelLoader.load(path: path)
            Issue.record("\(input.file) was accepted")
        } catch {
            let first = error.diagnostics.first
            #expect(first?.severity == .error)
            #expect(first?.location?.file == path)
            #expect(first?.location?.line == input.line)
            #expect(first?.location?.column == input.column)
            #expect(first?.message == input.message)
        }
    }
}
