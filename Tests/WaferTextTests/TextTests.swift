import Foundation
import Testing
import WaferTestSupport

/// The text-driven tests: one case per file under Tests/Fixtures/text (docs/testing.md). Each
/// file names its command on a `# RUN:` line and its expected output or diagnostics beside it;
/// this suite runs the built `wafermap` on it and reports, per file, the expectation that failed
/// and what the command printed. `WAFERMAP_UPDATE_EXPECTATIONS=1` rewrites the exact blocks
/// (`EXPECT-STDOUT:`, `EXPECT-STDERR:`) with the current output instead of comparing them.
@Suite struct TextTests {
    /// Where the cases live.
    static let directory = TestPaths.fixture("text")

    /// Every case file, as a path relative to the repository root (sorted; README.md excluded).
    static let cases: [String] = {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var found: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            guard url.lastPathComponent != "README.md", !url.lastPathComponent.hasPrefix(".") else { continue }
            found.append("Tests/Fixtures/text/" + url.path.dropFirst(root.path.count + 1))
        }
        return found.sorted()
    }()

    /// True when exact blocks should be rewritten from the output (`WAFERMAP_UPDATE_EXPECTATIONS=1`).
    static var updating: Bool { ProcessInfo.processInfo.environment["WAFERMAP_UPDATE_EXPECTATIONS"] == "1" }

    /// The directory holds cases for every stage, so a listing that comes back short is a broken
    /// setup rather than a pass.
    @Test func everyStageHasCases() {
        for stage in ["frontend", "partition", "tile", "place", "route", "schedule", "plan", "diagnostics"] {
            #expect(Self.cases.contains { $0.hasPrefix("Tests/Fixtures/text/\(stage)/") }, "no cases in \(stage)/")
        }
    }

    /// One case file: parse it, write its split files into a scratch directory (`%t`), run its
    /// RUN line on the built `wafermap` from the repository root, then judge exit status, CHECK
    /// and STDERR lines, diagnostics and exact blocks (or rewrite the blocks in update mode).
    @Test(arguments: cases)
    func textCase(_ path: String) throws {
        let original = try String(contentsOfFile: TestPaths.root.appendingPathComponent(path).path, encoding: .utf8)
        let textCase: TextCase
        do { textCase = try TextCase.parse(original) } catch {
            Issue.record("\(path): \(error)")
            return
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for file in textCase.splitFiles {
            let url = scratch.appendingPathComponent(file.name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
        let temp = scratch.path
        let substitute: (String) -> String = { $0.replacingOccurrences(of: "%t", with: temp).replacingOccurrences(of: "%s", with: path) }
        let normalize: (String) -> String = { $0.replacingOccurrences(of: temp, with: "%t").replacingOccurrences(of: path, with: "%s") }

        let run = try #require(textCase.directives.first { $0.kind == .run })
        var words = TextCase.words(run.text).map(substitute)
        guard words.first == "wafermap" else {
            Issue.record("\(path):\(run.line): a RUN line starts with 'wafermap', found '\(run.text)'")
            return
        }
        words.removeFirst()
        let out = try CLI.run(words)

        if Self.updating && !textCase.blocks.isEmpty {
            let updated = textCase.updated(original: original, stdout: out.stdout, stderr: out.stderr, normalize: normalize)
            if updated != original { try updated.write(toFile: TestPaths.root.appendingPathComponent(path).path, atomically: true, encoding: .utf8) }
        }
        var failures = textCase.failures(status: out.status, stdout: out.stdout, stderr: out.stderr,
                                         substitute: substitute, normalize: normalize)
        if Self.updating { failures.removeAll { $0.contains("EXPECT-STD") } }
        if !failures.isEmpty {
            Issue.record("""
                \(path) (RUN: \(run.text)):
                \(failures.map { "  \(path):\($0)" }.joined(separator: "\n"))
                --- exit status \(out.status); stdout:
                \(Self.excerpt(normalize(out.stdout)))
                --- stderr:
                \(Self.excerpt(normalize(out.stderr)))
                (an intended change to an EXPECT block: WAFERMAP_UPDATE_EXPECTATIONS=1 swift test --filter TextTests)
                """)
        }
    }

    /// The first 120 lines of `text`, so a failure shows the output without drowning the log.
    static func excerpt(_ text: String) -> String {
        let lines = TextCase.lines(text)
        guard lines.count > 120 else { return lines.joined(separator: "\n") }
        return (lines.prefix(120) + ["... (\(lines.count - 120) more lines)"]).joined(separator: "\n")
    }
}
