import Testing
import WaferSupport
import WaferYAML

/// Hostile YAML (issue 20): long lists and mappings, tags, control characters.
@Suite struct HostileYAMLTests {
    func parse(_ text: String, limits: YAMLLimits = .default) throws(DiagnosticError) -> YAMLNode {
        try YAMLReader.parse(bytes: Array(text.utf8), file: "t.yaml", limits: limits)
    }

    func firstError(_ text: String) -> Diagnostic? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    /// Tree building is linear: a 300,000-item list and a 100,000-key mapping (the shape of a
    /// dense defect map) are read in seconds. Before, every item copied the list so far: the
    /// list alone would have taken ~4.5 x 10^10 node copies.
    @Test func longListsAndMappingsAreReadInLinearTime() throws {
        let items = 300_000, keys = 100_000
        var text = "list: ["
        text += (0..<items).map { "[\($0 % 762), \($0 / 762)]" }.joined(separator: ", ")
        text += "]\nmap:\n"
        for key in 0..<keys { text += "  k\(key): \(key)\n" }
        let clock = ContinuousClock()
        let start = clock.now
        let root = try parse(text, limits: YAMLLimits(maxFileBytes: 64 << 20, maxNodes: 2_000_000))
        let elapsed = clock.now - start
        var map = try MappingReader(root, context: "root")
        let list = try map.required("list").list("list")
        #expect(list.count == items)
        #expect(try list[items - 1].list("pair")[1].integer("y", in: 0...1_000) == (items - 1) / 762)
        guard case let .mapping(pairs) = try map.required("map").kind else {
            Issue.record("expected a mapping")
            return
        }
        #expect(pairs.count == keys)
        #expect(pairs.last?.key.scalarText == "k\(keys - 1)")
        #expect(elapsed < .seconds(30), "took \(elapsed)")
        // The hash-set duplicate check still finds a duplicate far down a long mapping, at the second one.
        let duplicate = firstError("m:\n" + (0..<5_000).map { "  k\($0): 1\n" }.joined() + "  k17: 2\n")
        #expect(duplicate?.message == "duplicate key 'k17'")
        #expect(duplicate?.location?.line == 5_002)
        #expect(duplicate?.notes.first?.location?.line == 19)
    }

    /// Every explicit tag is refused where it is written, core-schema ones included, on
    /// scalars, lists and mappings.
    @Test(arguments: [
        ("a: !!str 12\n", "!!str", 1, 4),
        ("a: !!int \"12\"\n", "!!int", 1, 4),
        ("a: !!binary aGVsbG8=\n", "!!binary", 1, 4),
        ("a: !foo bar\n", "!foo", 1, 4),
        ("a:\n  b: !!seq [1, 2]\n", "!!seq", 2, 6),
        ("a: !!map {b: 1}\n", "!!map", 1, 4),
        ("--- !!map\na: 1\n", "!!map", 1, 5),
        ("a: ! plain\n", "!", 1, 4),
    ])
    func tagsAreRefusedAtTheTag(_ text: String, _ tag: String, _ line: Int, _ column: Int) {
        let error = firstError(text)
        #expect(error?.message == "YAML tag '\(tag)' is not supported; WaferMap files are plain YAML without tags (write the value untagged)")
        #expect(error?.location == SourceLocation(file: "t.yaml", line: line, column: column))
    }

    /// Control characters reach no name: names refuse all of them, other text all but tab and
    /// newline; the error is at the value.
    @Test func controlCharactersAreRefusedInNamesAndText() throws {
        let root = try parse("name: \"a\\0b\"\nlabel: \"x\\ty\"\ndescription: \"one\\ntwo\\tthree\"\nescape: \"\\e[31mred\"\nc1: \"\\x85\"\n")
        var map = try MappingReader(root, context: "root")
        func failure(_ body: () throws(DiagnosticError) -> String) -> Diagnostic? {
            do {
                _ = try body()
                return nil
            } catch {
                return error.diagnostics.first
            }
        }
        let name = try map.required("name")
        let nul = failure { () throws(DiagnosticError) in try name.name("'name'") }
        #expect(nul?.message == "'name' contains the control character U+0000; text may not hold control characters")
        #expect(nul?.location == SourceLocation(file: "t.yaml", line: 1, column: 7))
        #expect(failure { () throws(DiagnosticError) in try name.string("'name'") } != nil)
        let label = try map.required("label")
        #expect(failure { () throws(DiagnosticError) in try label.name("'label'") }?.message == "'label' contains the control character U+0009; names may not hold control characters")
        let description = try map.required("description")
        #expect(try description.string("'description'") == "one\ntwo\tthree")
        let escape = try map.required("escape")
        #expect(failure { () throws(DiagnosticError) in try escape.string("'escape'") }?.message.contains("U+001B") == true)
        let c1 = try map.required("c1")
        #expect(failure { () throws(DiagnosticError) in try c1.string("'c1'") }?.message.contains("U+0085") == true)
    }

    /// Found by the second attack: a right-to-left override in a model name printed raw.
    @Test func bidirectionalOverridesAreRefusedInNames() throws {
        let root = try parse("name: \"evil\u{202E}txt.exe\"\n")
        guard case let .mapping(pairs) = root.kind, let node = pairs.first?.value else { Issue.record("not a mapping"); return }
        do throws(DiagnosticError) {
            _ = try node.name("'name'")
            Issue.record("a right-to-left override was accepted in a name")
        } catch {
            #expect(error.description.contains("U+202E"), "\(error.description)")
        }
    }
}
