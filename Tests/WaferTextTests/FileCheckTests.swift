import Testing

/// The text-test matcher itself: each directive accepts the output it describes and rejects a
/// near miss, so a case cannot pass by a matcher that never fails.
@Suite struct FileCheckTests {
    static let output = ["model \"m\" {", "  layout {", "    wafer 0: 1x1 slots", "", "    wafer 1: 2x2 slots", "  }"]

    /// Runs the CHECK lines in `text` (a case file's head) against `output`; the failures.
    func failures(_ text: String, _ output: [String] = output) throws -> [String] {
        let parsed = try TextCase.parse("# RUN: wafermap ir x\n" + text)
        return parsed.failures(status: 0, stdout: output.joined(separator: "\n") + "\n", stderr: "",
                               substitute: { $0 }, normalize: { $0 })
    }

    @Test func checkFindsLinesInOrder() throws {
        #expect(try failures("# CHECK: layout {\n# CHECK: wafer 1:").isEmpty)
        #expect(try failures("# CHECK: wafer 1:\n# CHECK: layout {").count == 1)
        #expect(try failures("# CHECK: wafer 2:").count == 1)
    }

    @Test func checkNextAndEmptyWantTheVeryNextLine() throws {
        #expect(try failures("# CHECK: layout {\n# CHECK-NEXT: wafer 0: 1x1\n# CHECK-EMPTY:\n# CHECK-NEXT: wafer 1:").isEmpty)
        #expect(try failures("# CHECK: layout {\n# CHECK-NEXT: wafer 1:").count == 1)
        #expect(try failures("# CHECK: wafer 0:\n# CHECK-EMPTY:\n# CHECK-EMPTY:").count == 1)
    }

    @Test func checkNotForbidsBetweenMatches() throws {
        #expect(try failures("# CHECK: layout {\n# CHECK-NOT: wafer 1\n# CHECK: wafer 0").isEmpty)
        #expect(try failures("# CHECK: layout {\n# CHECK-NOT: wafer 0\n# CHECK: wafer 1").count == 1)
        // A trailing CHECK-NOT covers the rest of the output.
        #expect(try failures("# CHECK: wafer 0\n# CHECK-NOT: 2x2").count == 1)
    }

    @Test func regexPartsMatchVariableText() throws {
        #expect(try failures("# CHECK: wafer {{[0-9]+}}: {{[0-9]}}x{{[0-9]}} slots").isEmpty)
        #expect(try failures("# CHECK: wafer {{[a-z]+}}:").count == 1)
    }

    @Test func diagnosticsAreMatchedWholeInOrderAndNoneExtra() throws {
        let stderr = "m.yaml:3:5: error: unknown key 'x'\nm.yaml:2:1: note: did you mean 'y'?\nm.yaml:9:1: error: second\n"
        func run(_ text: String, status: Int32 = 1) throws -> [String] {
            try TextCase.parse("# RUN: wafermap ir x\n" + text)
                .failures(status: status, stdout: "", stderr: stderr, substitute: { $0 }, normalize: { $0 })
        }
        #expect(try run("# ERROR: m.yaml:3:5: unknown key 'x'\n# ERROR: m.yaml:9:1: second").isEmpty)
        #expect(try run("# ERROR: m.yaml:3:5: unknown key 'x'\n# ERROR: m.yaml:9:1: second\n# NOTE: m.yaml:2:1: did you mean 'y'?").isEmpty)
        // A wrong column, a missing second error, and a success where an error was expected.
        #expect(try run("# ERROR: m.yaml:3:6: unknown key 'x'\n# ERROR: m.yaml:9:1: second").count == 1)
        #expect(try run("# ERROR: m.yaml:3:5: unknown key 'x'").count == 1)
        #expect(try run("# ERROR: m.yaml:3:5: unknown key 'x'\n# ERROR: m.yaml:9:1: second", status: 0).count == 1)
        #expect(Diagnostics.parse("wafermap: error: --wafers must be 'auto'")?.text == "wafermap: --wafers must be 'auto'")
        #expect(Diagnostics.parse("note: passes: a, b")?.severity == "note")
        #expect(Diagnostics.parse("  layout {") == nil)
    }

    @Test func exactBlocksCompareAndUpdate() throws {
        let text = "# RUN: wafermap ir x\n# EXPECT-STDOUT:\n# | a\n# |\n# | c\nversion: 1\n"
        let parsed = try TextCase.parse(text)
        #expect(parsed.blocks.first?.lines == ["a", "", "c"])
        #expect(parsed.failures(status: 0, stdout: "a\n\nc\n", stderr: "", substitute: { $0 }, normalize: { $0 }).isEmpty)
        #expect(parsed.failures(status: 0, stdout: "a\n\nd\n", stderr: "", substitute: { $0 }, normalize: { $0 }).count == 1)
        let updated = parsed.updated(original: text, stdout: "a\nb\n", stderr: "", normalize: { $0 })
        #expect(updated == "# RUN: wafermap ir x\n# EXPECT-STDOUT:\n# | a\n# | b\nversion: 1\n")
    }

    @Test func splitFilesAndQuotedWords() throws {
        let parsed = try TextCase.parse("# RUN: wafermap check %t/p.json\n#--- p.json\n{\"a\": 1}\n#--- sub/q.json\n[]\n")
        #expect(parsed.splitFiles.map(\.name) == ["p.json", "sub/q.json"])
        #expect(parsed.splitFiles.first?.contents == "{\"a\": 1}\n")
        #expect(TextCase.words("wafermap count 'a b.yaml' --precision \"x,y\"") == ["wafermap", "count", "a b.yaml", "--precision", "x,y"])
        #expect(throws: CaseError.self) { try TextCase.parse("# CHECK: x\n") }
    }
}
