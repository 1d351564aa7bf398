import Foundation
import Testing
@testable import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferTestSupport

/// Hostile config.json input (issue 20): patterns that backtrack, JSON that is not JSON, wrong
/// types, inputs past the reader's bounds, --precision lists, an incomplete vision_config.
/// One test per class of bug.
@Suite struct HostileConfigTests {
    // MARK: Regular expressions match in linear time

    /// `(.*)*Q` and `(a+)+$` take exponential time in a backtracking engine; the Thompson-NFA
    /// matcher answers for a 10,000-character name in one pass (the time is measured apart,
    /// not asserted: see the report of issue 20).
    @Test func catastrophicPatternsAnswerOnLongNames() throws {
        let long = String(repeating: "a", count: 10_000)
        let dotStar = try ModulePattern("(.*)*Q")
        #expect(!dotStar.matchesPrefix(long))
        #expect(dotStar.matchesPrefix(long + "Q"))
        let nested = try ModulePattern("(a+)+$")
        #expect(!nested.matchesPrefix(String(long.dropLast()) + "b"))
        #expect(nested.matchesPrefix(long))
        let alternation = try ModulePattern("((a|aa)*)*c")
        #expect(!alternation.matchesPrefix(long))
        // A pattern whose DFA has 2^13 states overflows the matcher's state cache: the plain
        // simulation takes over and answers the same as Swift's engine.
        var seed: UInt64 = 20
        let ab = String((0..<20_000).map { _ -> Character in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 63 == 0 ? "a" : "b"
        })
        let blowup = try ModulePattern("[ab]*a[ab]{12}c")
        let swift = try Regex("[ab]*a[ab]{12}c")
        for name in [ab, ab + "c", String(ab.prefix(5_000)) + "aabababababab" + "c"] {
            #expect(blowup.matchesPrefix(name) == ((try? swift.prefixMatch(in: name)) != nil))
        }
        #expect(blowup.matchesPrefix(String(ab.prefix(5_000)) + "aabababababab" + "c"))
        // Through the importer: the fixture's patterns are accepted and exclude nothing.
        var graph = try ModelLoader.load(path: TestPaths.fixture("hf-bad/catastrophic-regex/config.json"))
        _ = try PassManager(passes: PassRegistry.frontHalf).run(&graph)
        let fp8 = graph.ops.flatMap(\.weights).filter { $0.role == .experts }.map(\.format)
        #expect(!fp8.isEmpty && fp8.allSatisfy { $0.element == .fp8_e4m3 })
    }

    /// The matcher agrees with Swift `Regex.prefixMatch` (what the importer used before) on the
    /// patterns real configs carry and on the constructs of the subset.
    @Test func matcherAgreesWithSwiftRegexOnTheSubset() throws {
        let patterns = [
            "model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head",
            ".*self_attn.*", ".*shared_experts.*", #".*mlp\.(gate|up|gate_up|down)_proj.*"#,
            #".*layers\.3\.mlp\.experts.*"#, #".*experts\.5\..*"#, "^model$", "model$", "(?:lm|embed)_(head|tokens)",
            #"model\.layers\.[0-9]+\.mlp"#, #"model\.layers\.[^.]+\.self"#, #"\w+\.\d+"#, "a{2,3}b", "(ab)?model",
            "x|model.l", "[a-c_]+", "layers.1{2}", #"\S+_proj$"#, "mod(el)*?", "",
        ]
        let names = [
            "model.layers.0.self_attn.q_proj", "model.layers.12.mlp.router", "model.embed_tokens", "lm_head",
            "language_model.lm_head", "model.layers.3.mlp.experts.5.gate_proj", "model.layers.3.mlp.shared_experts.up_proj",
            "model", "modelx", "aab", "aaab", "ab", "layers.11", "x", "model.layers.7.mlp.gate_up_proj",
        ]
        for pattern in patterns {
            let ours = try ModulePattern(pattern)
            let swift = try Regex(pattern)
            for name in names {
                let expected = (try? swift.prefixMatch(in: name)) != nil
                #expect(ours.matchesPrefix(name) == expected, "'\(pattern)' on '\(name)'")
            }
        }
    }

    /// Outside the subset or its bounds: a located error at the entry, naming what is refused.
    @Test(arguments: [
        (#"(a)\\1"#, "backreferences are not supported"),
        ("(?=a)b", "lookahead is not supported"),
        ("(?<!a)b", "lookbehind is not supported"),
        ("a{1000}", "counted repetition above {32}"),
        ("((a{32}){32}){32}", "compiles to more than 20000 instructions"),
        ("a++", "possessive quantifiers"),
        ("(?i)lm_head", "inline flags"),
        ("[[:alpha:]]", "nested classes and POSIX classes"),
        (#"[\\d-z]"#, "a range cannot start at a class escape"),
        ("(unclosed", "'(' is not closed"),
        (String(repeating: "a", count: 1_001), "the limit is 1000"),
    ])
    func patternsOutsideTheSubsetAreRefusedAtTheirEntry(_ pattern: String, _ why: String) throws {
        let json = deepseekJSON("""
        "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128],
          "modules_to_not_convert": ["lm_head", "\(pattern)"]},
        """)
        let message = try #require(importError(json))
        // The entry sits on line 2 after `"modules_to_not_convert": ["lm_head", `.
        #expect(message.contains("config.json:2:41: error: regular expression"), "\(message)")
        #expect(message.contains(why), "\(message)")
        let ignore = deepseekJSON("""
        "quantization_config": {"quant_method": "compressed-tensors", "config_groups": {"g": {"targets": ["Linear"], "weights":
          {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 32}}}, "ignore": ["re:\(pattern)"]},
        """)
        #expect(importError(ignore)?.contains(why) == true)
    }

    // MARK: Syntax errors name the offending byte

    @Test(arguments: [
        // (text, location and message start)
        ("{\n  \"model_type\": \"llama\",\n  \"vocab_size\": 32000\n  \"hidden_size\": 4096\n}", "4:3: error: expected ',' or '}' after a member"),
        ("{\n  \"a\": [1, 2 3]\n}", "2:14: error: expected ',' or ']' after an element"),
        ("{\"a\": \"é\", \"b\": 01}", "1:17: error: malformed number: JSON numbers have no leading zeros"),
        ("{\"a\": \"tab\there\"}", "1:11: error: control character U+0009"),
        ("{\"a\": \"\\x41\"}", "1:8: error: '\\x' is not a JSON escape"),
        ("{\"a\": \"\\uD800\"}", "1:8: error: \\uD800 is half of a surrogate pair"),
        ("{\n  \"a\": {\"b\": 1}\n", "3:1: error: unexpected end of file: the object opened at 1:1 is not closed"),
        ("{\"a\": 1} {\"b\": 2}", "1:10: error: text after the end of the JSON object"),
        ("{\"a\": \"unterminated}", "1:21: error: unexpected end of file: the string starting at 1:7"),
        ("\n\n  [1, 2]", "3:3: error: expected a JSON object starting with '{', found '['"),
        ("{\"a\": \"\u{FF}\"}", "1:8: error: invalid UTF-8"),
    ])
    func syntaxErrorsNameTheOffendingByte(_ text: String, _ expected: String) throws {
        var bytes = Array(text.utf8)
        if text.contains("\u{FF}") {
            // A lone 0xFF byte, which no String literal holds: replace the encoded U+00FF.
            bytes = Array(text.replacingOccurrences(of: "\u{FF}", with: "#").utf8).map { $0 == UInt8(ascii: "#") ? 0xFF : $0 }
        }
        do {
            _ = try HFImporter.importConfig(bytes: bytes, file: "config.json")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix("config.json:" + expected), "\(error.description)")
        }
    }

    // MARK: Strict JSON

    /// Each thing YAML's flow syntax (the old reader) accepts and RFC 8259 does not.
    @Test(arguments: [
        (#"{"model_type": "llama", "vocab_size": 32000,}"#, "1:44: error: trailing comma: JSON allows no ',' before '}'"),
        (#"{"architectures": ["A", "B",], "x": 1}"#, "1:28: error: trailing comma: JSON allows no ',' before ']'"),
        (#"{"model_type": 'llama'}"#, "1:16: error: single-quoted strings are not JSON"),
        (#"{'model_type': "llama"}"#, "1:2: error: single-quoted strings are not JSON"),
        ("{\"a\": 1, // the width\n \"b\": 2}", "1:10: error: comments are not JSON"),
        ("{\"a\": 1 /* c */}", "1:9: error: comments are not JSON"),
        ("{\"a\": 1,\n # yaml comment\n \"b\": 2}", "2:2: error: comments are not JSON"),
        (#"{"a": &x 1, "b": *x}"#, "1:7: error: YAML anchors ('&name') are not JSON"),
        (#"{"a": 1, "b": *x}"#, "1:15: error: YAML aliases ('*name') are not JSON"),
        (#"{"a": !!int "1"}"#, "1:7: error: YAML tags ('!tag') are not JSON"),
        (#"{model_type: "llama"}"#, "1:2: error: object keys are double-quoted strings"),
        (#"{"rope_theta": NaN}"#, "1:16: error: 'NaN' is not a JSON number"),
        (#"{"rope_theta": Infinity}"#, "1:16: error: 'Infinity' is not a JSON number"),
        (#"{"rope_theta": -Infinity}"#, "1:16: error: '-Infinity' is not a JSON number"),
        (#"{"tie_word_embeddings": True}"#, "1:25: error: 'True' is not JSON: the literals are true, false and null"),
        ("{\"hidden_size\": 4096,\n \"hidden_size\": 8192}", "2:2: error: duplicate key 'hidden_size'"),
        (#"{"a": +1}"#, "1:7: error: malformed number"),
        (#"{"a": .5}"#, "1:7: error: malformed number"),
        (#"{"a": 1.}"#, "1:7: error: malformed number: a digit must follow the decimal point"),
        (#"{"a": 0x1F}"#, "1:7: error: '0x1F' is not JSON"),
        ("\u{FEFF}{\"a\": 1}", "1:1: error: the file starts with a byte-order mark"),
        ("{\"a\": 1}\n---\n{\"b\": 2}", "2:1: error: text after the end of the JSON object"),
    ])
    func nonJSONIsRefusedWhereItStarts(_ text: String, _ expected: String) throws {
        do {
            _ = try HFImporter.importConfig(bytes: Array(text.utf8), file: "config.json")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix("config.json:" + expected), "\(error.description)")
        }
    }

    /// A value of the wrong JSON type is a type error at the value, in JSON's words.
    @Test func wrongTypesAreTypeErrorsAtTheValue() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "llama", "vocab_size": 32000, "hidden_size": "4096"}"#, "config.json:1:61: error: expected an integer for 'hidden_size', found the quoted string '4096'"),
            (#"{"model_type": "llama", "vocab_size": 32000, "hidden_size": [4096]}"#, "config.json:1:61: error: expected an integer for 'hidden_size', found an array"),
            (#"{"model_type": "llama", "vocab_size": true}"#, "config.json:1:39: error: expected an integer for 'vocab_size', found true"),
            (#"{"model_type": 7}"#, "config.json:1:16: error: expected a string for 'model_type', found the number 7"),
            (#"{"model_type": "kimi_k25", "text_config": ["kimi_k2"]}"#, "config.json:1:43: error: expected a JSON object for 'text_config', found an array"),
            (#"{"model_type": "llama", "architectures": {"a": 1}}"#, "config.json:1:42: error: expected an array for 'architectures', found an object"),
        ]
        for (json, expected) in cases {
            let message = try #require(importError(json))
            #expect(message.hasPrefix(expected), "\(message)")
        }
        // Trusted fixtures still read, and the fixtures' files with these changes do not.
        let text = try String(contentsOfFile: TestPaths.fixture("hf/llama-3.1-8b/config.json"), encoding: .utf8)
        #expect(importError(text) == nil)
        let quoted = try #require(importError(text.replacingOccurrences(of: "\"hidden_size\": 4096", with: "\"hidden_size\": \"4096\"")))
        #expect(quoted.contains("expected an integer for 'hidden_size', found the quoted string '4096'"))
        #expect(!quoted.contains(":1:1:"))
    }

    /// Past the bounds (nesting, values, string bytes, file bytes): refused where first exceeded.
    @Test func inputsPastTheBoundsAreRefusedWhereTheyExceed() throws {
        let deep = "{\"a\": " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"
        let deepError = try #require(importError(deep))
        #expect(deepError.hasPrefix("config.json:1:70: error: nested deeper than 64 levels"), "\(deepError)")
        let many = "{\"a\": [" + Array(repeating: "0", count: 1_000_001).joined(separator: ",") + "]}"
        #expect(importError(many)?.contains("more than 1,000,000 JSON values") == true)
        let long = "{\"a\": \"" + String(repeating: "x", count: (1 << 20) + 2) + "\"}"
        #expect(importError(long)?.hasPrefix("config.json:1:7: error: string longer than the limit of 1,048,576 bytes") == true)
        do {
            _ = try HFImporter.importConfig(bytes: Array("{\"a\": 12345}".utf8), file: "config.json",
                                            limits: .init(maxFileBytes: 8))
            Issue.record("a file over the byte limit was read")
        } catch {
            #expect(error.description.contains("larger than the limit of 8 bytes"))
        }
    }

    // MARK: --precision lists

    @Test func precisionListsSplitOnlyOutsideBrackets() throws {
        #expect(FormatDecoder.splitList("fp8_e4m3[block=128x128,scale=fp32]") == ["fp8_e4m3[block=128x128,scale=fp32]"])
        #expect(FormatDecoder.splitList("bf16,fp8_e4m3[block=128x128,scale=fp32],int4") == ["bf16", "fp8_e4m3[block=128x128,scale=fp32]", "int4"])
        #expect(FormatDecoder.splitList("bf16,,int4") == ["bf16", "", "int4"])
        #expect(FormatDecoder.splitList("int4[group=32,scale=bf16") == ["int4[group=32,scale=bf16"])
        let formats = FormatDecoder.splitList("bf16,fp8_e4m3[block=128x128,scale=fp32],int4").compactMap(FormatDecoder.parse)
        #expect(formats.map(\.description) == ["bf16", "fp8_e4m3[block=128x128,scale=fp32]", "int4[group=32,scale=bf16]"])
    }

    // MARK: Multimodal configs that cannot be sized in full

    @Test func incompleteVisionConfigCountsTheTextModelWithAWarning() throws {
        let imported = try HFImporter.load(path: TestPaths.fixture("hf-bad/kimi-k2.5-vision-incomplete/config.json"))
        #expect(imported.spec.unmappedModules.isEmpty)
        let warning = try #require(imported.warnings.first)
        #expect(imported.warnings.count == 1)
        #expect(warning.severity == .warning)
        #expect(warning.message.contains("the vision tower is not counted: vision_config lacks 'vision_config.vt_hidden_size'"))
        #expect(!warning.message.contains("--"))  // no flag: each command adds notes for its own flags
        #expect(imported.header.contains { $0.hasPrefix("Warning: the vision tower is not counted") })
        #expect(try ModelLoader.build(imported.spec).statistics().totalParameters == 1_026_408_232_448)
        // A field present with a wrong value is still an error at it.
        let text = try String(contentsOfFile: TestPaths.fixture("hf/kimi-k2.5/config.json"), encoding: .utf8)
        let wrong = text.replacingOccurrences(of: "\"vt_hidden_size\": 1152", with: "\"vt_hidden_size\": \"wide\"")
        #expect(wrong != text)
        #expect(importError(wrong)?.contains("expected an integer for 'vision_config.vt_hidden_size'") == true)
    }
}
