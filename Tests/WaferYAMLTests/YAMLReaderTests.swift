import Testing
import WaferSupport
import WaferTestSupport
import WaferYAML

@Suite struct YAMLReaderTests {
    func parse(_ text: String, limits: YAMLLimits = .default) throws(DiagnosticError) -> YAMLNode {
        try YAMLReader.parse(bytes: Array(text.utf8), file: "t.yaml", limits: limits)
    }

    func firstError(_ text: String, limits: YAMLLimits = .default) -> Diagnostic? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    @Test func everyNodeKeepsItsLineAndColumn() throws {
        let root = try parse("a: 1\nb:\n  c: [x, y]\n")
        var map = try MappingReader(root, context: "root")
        let b = try map.required("b")
        var inner = try MappingReader(b, context: "b")
        let c = try inner.required("c")
        #expect(c.location == SourceLocation(file: "t.yaml", line: 3, column: 6))
        let items = try c.list("c")
        #expect(items.map(\.location.column) == [7, 10])
        _ = map.optional("a")
        try map.finish()
    }

    @Test func aliasesAndMergeKeys() throws {
        let root = try parse("""
        base: &b {x: 1, y: 2}
        derived:
          <<: *b
          y: 3
        """)
        var map = try MappingReader(root, context: "root")
        _ = map.optional("base")
        var derived = try MappingReader(try map.required("derived"), context: "derived")
        #expect(try derived.required("x").integer("x", in: 0...9) == 1)
        #expect(try derived.required("y").integer("y", in: 0...9) == 3)
        #expect(derived.keys.sorted() == ["x", "y"])
    }

    @Test func billionLaughsIsRejectedNotExpanded() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        let error = firstError(text)
        #expect(error?.message.contains("aliases are not expanded") == true)
        #expect(error?.location?.line == 6)
    }

    @Test func depthIsLimited() {
        var limits = YAMLLimits()
        limits.maxDepth = 5
        #expect(firstError("a: [[[[[[1]]]]]]", limits: limits)?.message == "nesting deeper than 5 levels")
        #expect(firstError("a: [[[1]]]", limits: limits) == nil)
    }

    @Test func sizeIsLimited() {
        var limits = YAMLLimits()
        limits.maxFileBytes = 10
        #expect(firstError("a: 12345678901", limits: limits)?.message.contains("larger than the limit") == true)
    }

    @Test func invalidUTF8IsLocated() {
        let bytes: [UInt8] = Array("a: 1\nb: x".utf8) + [0xC3, 0x28]
        do {
            _ = try YAMLReader.parse(bytes: bytes, file: "u.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.location == SourceLocation(file: "u.yaml", line: 2, column: 5))
        }
    }

    @Test func duplicateKeysNameTheFirst() {
        let error = firstError("a: 1\nb: 2\na: 3\n")
        #expect(error?.message == "duplicate key 'a'")
        #expect(error?.location?.line == 3)
        #expect(error?.notes.first?.location?.line == 1)
    }

    @Test func scalarTyping() throws {
        let root = try parse("n: 163_840\nf: 1.5\nq: \"7\"\nneg: -3\nt: true\nbig: 99999999999999999999\n")
        var map = try MappingReader(root, context: "root")
        #expect(try map.required("n").integer("n", in: 0...Int.max) == 163_840)
        #expect(throws: DiagnosticError.self) { try map.required("f").integer("f", in: 0...10) }
        #expect(throws: DiagnosticError.self) { try map.required("q").integer("q", in: 0...10) }
        #expect(throws: DiagnosticError.self) { try map.required("neg").integer("neg", in: 1...10) }
        #expect(try map.required("t").bool("t") == true)
        #expect(throws: DiagnosticError.self) { try map.required("big").integer("big", in: 0...Int.max) }
    }

    @Test func unknownKeysSuggestTheNearest() throws {
        let root = try parse("heads: 1\nkv_haeds: 2\n")
        var map = try MappingReader(root, context: "layer")
        _ = map.optional("heads")
        _ = map.optional("kv_heads")
        do {
            try map.finish()
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.message == "unknown key 'kv_haeds' in layer")
            #expect(error.diagnostics.first?.notes.first?.message == "did you mean 'kv_heads'?")
        }
    }

    @Test func emptyAndMultiDocumentStreams() {
        #expect(firstError("")?.message.contains("empty document") == true)
        #expect(firstError("# nothing\n")?.message.contains("empty document") == true)
        #expect(firstError("a: 1\n---\nb: 2\n")?.message.contains("second YAML document") == true)
    }

    @Test func missingFileIsAnError() {
        do {
            _ = try YAMLReader.load(path: TestPaths.fixture("does-not-exist.yaml"), displayName: "nope.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "nope.yaml:1:1: error: no such file")
        }
    }
}
