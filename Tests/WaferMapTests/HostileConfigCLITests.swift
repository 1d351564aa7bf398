import Foundation
import Testing
import WaferTestSupport

/// The command line on hostile or unusual config.json input (issue 20): located errors and exit
/// status 1 for non-JSON, no hang on backtracking patterns, `--precision` lists holding
/// canonical text, and warnings that suggest only flags the printing command has.
@Suite struct HostileConfigCLITests {
    /// Every config.json syntax error names file:line:column of the offending byte, exits 1 and
    /// prints nothing on standard output.
    @Test(arguments: [
        ("hf-bad/trailing-comma.json", ":5:39: error: trailing comma"),
        ("hf-bad/yaml-alias.json", ":3:18: error: YAML anchors ('&name') are not JSON"),
        ("hf-bad/single-quotes.json", ":3:18: error: single-quoted strings are not JSON"),
    ])
    func nonJSONConfigsFailAtTheOffendingByte(_ fixture: String, _ expected: String) throws {
        for command in ["stats", "import", "count"] {
            let out = try CLI.run([command, "Tests/Fixtures/\(fixture)"])
            #expect(out.status == 1, "\(command)")
            #expect(out.stdout.isEmpty, "\(command)")
            #expect(out.stderr.hasPrefix("Tests/Fixtures/\(fixture)\(expected)"), "\(command): \(out.stderr)")
        }
    }

    /// Patterns that backtrack exponentially in a backtracking engine import and count.
    @Test func backtrackingPatternsDoNotHang() throws {
        let out = try CLI.run(["stats", "Tests/Fixtures/hf-bad/catastrophic-regex/config.json", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(stats["total_params"] as? Int == 3_781_272)
    }

    /// The documented canonical-text example, alone and in a list, gives one row per format.
    @Test func precisionListsKeepCanonicalTextWhole() throws {
        let model = "Tests/Fixtures/hf/llama-3.1-8b/config.json"
        let one = try CLI.run(["count", model, "--precision", "fp8_e4m3[block=128x128,scale=fp32]", "--format", "json"])
        #expect(one.status == 0, "\(one.stderr)")
        let single = try #require(try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        #expect(single["precision"] as? String == "fp8_e4m3[block=128x128,scale=fp32]")
        let list = try CLI.run(["count", model, "--precision", "bf16,fp8_e4m3[block=128x128,scale=fp32],int4", "--format", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        let several = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let rows = try #require(several["by_precision"] as? [[String: Any]])
        #expect(rows.compactMap { $0["precision"] as? String } == ["bf16", "fp8_e4m3[block=128x128,scale=fp32]", "int4[group=32,scale=bf16]"])
        let empty = try CLI.run(["count", model, "--precision", "bf16,,int4"])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("--precision: empty item in the list 'bf16,,int4'"))
    }

    /// An incomplete vision_config: `stats` counts the text model and warns without suggesting
    /// a flag it lacks; `import`, which has --text-only, names it. Each suggested flag exists in
    /// the command's help.
    @Test func incompleteVisionConfigWarnsWithFlagsTheCommandHas() throws {
        let config = "Tests/Fixtures/hf-bad/kimi-k2.5-vision-incomplete/config.json"
        let warning = "\(config):111:20: warning: the vision tower is not counted: vision_config lacks 'vision_config.vt_hidden_size'"
        let stats = try CLI.run(["stats", config, "--format", "json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stderr.hasPrefix(warning), "\(stats.stderr)")
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(counts["total_params"] as? Int == 1_026_408_232_448)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("kimi.yaml").path
        let imported = try CLI.run(["import", config, "-o", output])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.hasPrefix(warning))
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("# Warning: the vision tower is not counted"))
        for (command, out) in [("stats", stats), ("import", imported)] {
            let help = try CLI.run([command, "--help"]).stdout
            let flags = out.stderr.split(separator: " ").filter { $0.hasPrefix("--") }.map { String($0.prefix { $0 != "," && $0 != ")" }) }
            for flag in flags { #expect(help.contains(flag), "\(command) suggests \(flag), which it does not have") }
            #expect(flags.contains("--text-only") == (command == "import"))
        }
    }
}
