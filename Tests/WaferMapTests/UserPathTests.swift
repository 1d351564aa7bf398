import Foundation
import Testing
import WaferTestSupport

/// What users hit on the way (issue 20): each test runs the built CLI end to end.
@Suite struct UserPathTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: - ir, pass names

    @Test func helpIRNamesEveryPassThroughTheLast() throws {
        let passes = try CLI.run(["passes", "--format", "json"])
        #expect(passes.status == 0)
        let names = try #require(try Self.json(passes.stdout)["passes"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(names.count >= 6)
        let last = try #require(names.last)
        let help = try CLI.run(["help", "ir"])
        #expect(help.status == 0)
        // The abstract wraps; compare it with the line breaks and indentation folded.
        let folded = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(folded.contains("(front end, \(names.joined(separator: ", ")))"), "\(help.stdout)")
        #expect(folded.contains("\(last))."))
    }

    @Test func printIRAfterTheLastPassPrintsTheIROnce() throws {
        let out = try CLI.run(["ir", "examples/models/tiny.yaml", "--print-ir-after=schedule", "--print-ir-after=route"])
        #expect(out.status == 0)
        // The final IR is on stdout once; the dump after `route` stays on stderr; none after `schedule`.
        #expect(out.stdout.components(separatedBy: "schedule {").count == 2, "\(out.stdout.prefix(400))")
        #expect(!out.stdout.contains("IR Dump"))
        #expect(out.stderr.contains("IR Dump After route"))
        #expect(!out.stderr.contains("IR Dump After schedule"))
        // With --stop-after the last pass is that one.
        let stopped = try CLI.run(["ir", "examples/models/tiny.yaml", "--stop-after=partition", "--print-ir-after-all"])
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("IR Dump After assign-precision"))
        #expect(!stopped.stderr.contains("IR Dump After partition"))
        #expect(stopped.stdout.contains("partition = 1 wafer of wse3 "))
    }

    @Test(arguments: [["ir", "examples/models/tiny.yaml", "--print-ir-after=schedul"],
                      ["count", "examples/models/tiny.yaml", "--print-ir-before=partiton"],
                      ["stats", "examples/models/tiny.yaml", "--print-ir-after=asign-precision"],
                      ["place", "examples/models/tiny.yaml", "--stop-after=rute"]])
    func unknownPassNamesAreUsageErrors(_ arguments: [String]) throws {
        let out = try CLI.run(arguments)
        #expect(out.status == 64, "\(out.stderr)")
        #expect(out.stderr.contains("unknown pass"))
        #expect(out.stderr.contains("did you mean '"))
        #expect(out.stdout.isEmpty)
    }

    // MARK: - Mistyped commands

    @Test func mistypedCommandsGetADidYouMean() throws {
        let out = try CLI.run(["compil", "x"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("error: unknown command 'compil'"))
        #expect(out.stderr.contains("did you mean 'compile'?"))
        let nested = try CLI.run(["defects", "genrate", "--wafers", "1"])
        #expect(nested.status == 64)
        #expect(nested.stderr.contains("unknown command 'genrate' for 'wafermap defects'"))
        #expect(nested.stderr.contains("did you mean 'generate'?"))
        // Far from every command: no guess, the list instead.
        let far = try CLI.run(["zzzzzz"])
        #expect(far.status == 64)
        #expect(!far.stderr.contains("did you mean"))
        #expect(far.stderr.contains("commands of 'wafermap': compile,"))
        let help = try CLI.run(["help", "compil"])
        #expect(help.status == 64 && help.stderr.contains("did you mean 'compile'?"))
        // Real commands, help and options still reach the parser.
        #expect(try CLI.run(["help", "defects", "generate"]).status == 0)
        #expect(try CLI.run(["help", "count"]).status == 0)
        #expect(try CLI.run(["--version"]).status == 0)
    }

    // MARK: - --format json everywhere figures are printed

    @Test func commandsThatPrintFiguresTakeFormatJSON() throws {
        let place = try CLI.run(["place", "examples/models/tiny.yaml", "--target", "small64", "--format", "json"])
        #expect(place.status == 0)
        #expect(((try Self.json(place.stdout)["performance"] as? [String: Any])?["cycles_per_token"] as? Int ?? 0) > 0)
        let sweep = try CLI.run(["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "0", "--format", "json"])
        #expect(sweep.status == 0)
        #expect(((try Self.json(sweep.stdout)["rows"] as? [[String: Any]])?.first?["tokens_per_s"] as? Double ?? 0) > 0)
        // calibrate compiles a dozen published mappings (slow in a debug build): its flag only.
        for command in ["calibrate", "passes", "count", "stats", "place", "sweep"] {
            let help = try CLI.run(["help", command])
            #expect(help.stdout.contains("--format <format>"), "\(command)")
        }
    }

    @Test func passesListsAsJSON() throws {
        let table = try CLI.run(["passes"])
        let out = try CLI.run(["passes", "--format", "json"])
        #expect(out.status == 0)
        let rows = try #require(try Self.json(out.stdout)["passes"] as? [[String: Any]])
        #expect(rows.map { $0["position"] as? Int } == Array(1...rows.count).map(Optional.some))
        for row in rows {
            let name = try #require(row["name"] as? String)
            #expect(table.stdout.contains(name + " "))
        }
        #expect(try CLI.run(["passes", "--format", "yaml"]).status == 64)
    }

    // MARK: - count --perf

    @Test func countPerfJSONCarriesThePerformanceFigures() throws {
        let text = try CLI.run(["count", "examples/models/tiny.yaml", "--perf"])
        let out = try CLI.run(["count", "examples/models/tiny.yaml", "--perf", "--format", "json"])
        #expect(out.status == 0 && text.status == 0)
        let json = try Self.json(out.stdout)
        let p = try #require(json["performance"] as? [String: Any])
        let cycles = try #require(p["cycles_per_token"] as? Int)
        let tokens = try #require(p["tokens_per_s_per_user"] as? Double)
        #expect(cycles > 0 && tokens > 0)
        #expect(p["batch"] as? Int == 1)
        // The same figures the text prints.
        #expect(text.stdout.contains("\(String(format: "%.1f", tokens)) tokens/s per user at batch 1"))
        #expect(text.stdout.contains("per token   \(String(format: "%.1f", try #require(p["microseconds_per_token"] as? Double))) us"))
        let split = try #require(p["time_split"] as? [String: Any])
        let parts = ["compute_cycles", "on_wafer_cycles", "wafer_to_wafer_cycles"].compactMap { split[$0] as? Int }
        let overlapped = try #require(split["overlapped_cycles"] as? Int), parallel = try #require(split["parallel_cycles"] as? Int)
        #expect(parts.count == 3 && parts.reduce(0, +) - overlapped - parallel == cycles)
        let first = try #require(p["first_token"] as? [String: Any])
        #expect(first["prompt_tokens"] as? Int == 8192)
        let low = String(format: "%.1f", try #require(first["milliseconds"] as? Double))
        let high = String(format: "%.1f", try #require(first["serial_milliseconds"] as? Double))
        #expect(text.stdout.contains("first token \(low)-\(high) ms"))
        #expect((first["milliseconds"] as? Double ?? .infinity) <= (first["serial_milliseconds"] as? Double ?? 0))
        #expect((first["chunks"] as? Int ?? 0) >= 1 && (first["chunk_tokens"] as? Int ?? 0) >= 1)
        let pipeline = try #require(p["pipeline"] as? [String: Any])
        #expect((pipeline["sequences_in_flight"] as? Int ?? 0) >= 1 && (pipeline["aggregate_tokens_per_s"] as? Double ?? 0) > 0)
        #expect((p["decoder_layers_alone"] as? [String: Any])?["decoder_layers"] as? Int == 3)
        // by_precision repeats it; without --perf there is none.
        #expect(((json["by_precision"] as? [[String: Any]])?.first?["performance"] as? [String: Any])?["cycles_per_token"] as? Int == cycles)
        let plain = try Self.json(try CLI.run(["count", "examples/models/tiny.yaml", "--format", "json"]).stdout)
        #expect(plain["performance"] == nil)
    }

    @Test func countPerfWithSeveralPrecisionsTimesEachOne() throws {
        let text = try CLI.run(["count", "examples/models/tiny.yaml", "--precision", "bf16,fp8", "--perf"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("tokens/s per user"))
        #expect(text.stdout.contains("precision   bf16\n"))
        #expect(text.stdout.contains("precision   fp8_e4m3\n"))
        #expect(text.stdout.components(separatedBy: "\nfirst token ").count == 3)
        let out = try CLI.run(["count", "examples/models/tiny.yaml", "--precision", "bf16,fp8", "--perf", "--format", "json"])
        let rows = try #require(try Self.json(out.stdout)["by_precision"] as? [[String: Any]])
        #expect(rows.count == 2)
        for row in rows { #expect(((row["performance"] as? [String: Any])?["cycles_per_token"] as? Int ?? 0) > 0) }
        // Without --perf the precision table stays as it was.
        let plain = try CLI.run(["count", "examples/models/tiny.yaml", "--precision", "bf16,fp8"])
        #expect(!plain.stdout.contains("tokens/s"))
    }

    @Test func theBatchPrintedIsTheBatchGiven() throws {
        let text = try CLI.run(["count", "examples/models/tiny.yaml", "--perf", "--batch", "4"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("tokens/s per user at batch 4"))
        #expect(!text.stdout.contains("batch 1"))
        let json = try Self.json(try CLI.run(["count", "examples/models/tiny.yaml", "--perf", "--batch", "4", "--format", "json"]).stdout)
        #expect((json["performance"] as? [String: Any])?["batch"] as? Int == 4)
        let place = try CLI.run(["place", "examples/models/tiny.yaml", "--batch", "4", "--format", "json"])
        #expect(place.status == 0)
        #expect((try Self.json(place.stdout)["routing"] as? [String: Any])?["batch"] as? Int == 4)
        let ir = try CLI.run(["ir", "examples/models/tiny.yaml", "--batch", "4"])
        #expect(ir.stdout.contains("schedule {  // batch 4: ") && ir.stdout.contains("every phase in sequence (batch 4)"))
        #expect(!ir.stdout.contains("batch 1"))
        let placeText = try CLI.run(["place", "examples/models/tiny.yaml", "--batch", "3"])
        #expect(placeText.stdout.contains("at batch 3") && !placeText.stdout.contains("batch 1"))
    }

    // MARK: - Plurals and decimals

    @Test func oneIsSingularAndRatesShowNoBinaryNoise() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let map = directory.appendingPathComponent("d.yaml").path
        // The default link rate is 0.0012 / 10 = 0.00011999999999999999 in binary.
        let generate = try CLI.run(["defects", "generate", "--target", "small64", "--wafers", "1", "--rate", "0.0012", "-o", map])
        #expect(generate.status == 0)
        #expect(generate.stdout.contains(": 1 wafer of small64, "))
        let yaml = try String(contentsOfFile: map, encoding: .utf8)
        #expect(!yaml.contains("99999"))
        #expect(yaml.contains("# 1 wafer of small64"))
        let check = try CLI.run(["defects", "check", map, "--target", "small64"])
        #expect(check.stdout.contains("valid for small64, 1 wafer, "))
        let count = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small64", "--defect-rate", "0.0012", "--perf"])
        #expect(count.status == 0)
        #expect(count.stdout.contains("rate 0.0012 per PE"))
        #expect(count.stdout.contains("1 layer x attention"))
        #expect(count.stdout.contains("1 sequence in flight"))
        #expect(count.stdout.contains("(1 region, "))
        for wrong in ["1 wafers", "1 layers", "1 sequences", "1 regions", " 1 dead links", " 1 dead PEs"] {
            #expect(!(generate.stdout + yaml + check.stdout + count.stdout).contains(wrong), "\(wrong)")
        }
    }

    // MARK: - count --wafers N: what is needed

    /// Eight dense layers (hidden 256) whose bytes fit two small32 wafers at a 10,752-token
    /// context, but whose tiles need three: the partition alone says 2, `--wafers auto` 3.
    static let stack = """
        version: 1
        name: stack
        vocab_size: 512
        hidden_size: 256
        precision: bf16
        layers:
          - kind: embedding
          - repeat: 8
            layers:
              - kind: rmsnorm
              - kind: attention
                heads: 4
                kv_heads: 2
                head_dim: 64
              - kind: rmsnorm
              - kind: mlp
                intermediate_size: 512
          - kind: rmsnorm
          - kind: lm_head
            tied: false
        """

    @Test func tooFewWafersSaysWhatAutoNeeds() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("stack.yaml").path
        try Self.stack.write(toFile: model, atomically: true, encoding: .utf8)
        let flags = ["--target", "small32", "--context", "10752"]
        let auto = try Self.json(try CLI.run(["count", model, "--format", "json"] + flags).stdout)
        let bytesOnly = try Self.json(try CLI.run(["count", model, "--format", "json", "--stop-after", "partition"] + flags).stdout)
        // The premise: tile padding costs this model a wafer, and the partition alone knows it
        // (it packs where the tiles fit) although the bytes would fit two.
        #expect(auto["wafers"] as? Int == 3)
        #expect(bytesOnly["wafers"] as? Int == 3 && bytesOnly["lower_bound_wafers"] as? Int == 2)
        for given in [1, 2] {
            let out = try CLI.run(["count", model, "--wafers", "\(given)"] + flags)
            #expect(out.status == 1)
            #expect(out.stderr.contains("stack needs 3 small32 wafers at context 10752 x batch 1 (lower bound 2), but --wafers \(given) was given"), "\(out.stderr)")
            #expect(out.stdout.isEmpty)
        }
        #expect(try CLI.run(["count", model, "--wafers", "3"] + flags).status == 0)
        // A defect map of one wafer limits the system the same way.
        let map = directory.appendingPathComponent("one.yaml").path
        #expect(try CLI.run(["defects", "generate", "--target", "small32", "--wafers", "1", "--rate", "0.001", "-o", map]).status == 0)
        let limited = try CLI.run(["count", model, "--defects", map] + flags)
        #expect(limited.status == 1)
        #expect(limited.stderr.contains("stack needs 3 small32 wafers at context 10752 x batch 1 (lower bound 2), but the defect map describes 1 wafer"), "\(limited.stderr)")
    }

    @Test func tooFewWafersOnKimiK2() throws {
        let out = try CLI.run(["count", "examples/models/kimi-k2.yaml", "--wafers", "10"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("kimi-k2 needs 32 wse3 wafers at context 8192 x batch 1"), "\(out.stderr)")
    }

    // MARK: - Pictures

    @Test func theOneWaferOverviewFitsItsTitle() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = try CLI.run(["render", TestPaths.fixture("plans/tiny-wse3.plan.json"), "--svg", directory.path])
        #expect(out.status == 0, "\(out.stderr)")
        let svg = try String(contentsOf: directory.appendingPathComponent("overview.svg"), encoding: .utf8)
        #expect(svg.contains("tiny on 1 x wse3"))
        let viewBox = try #require(svg.firstMatch(of: #/viewBox="0 0 (\d+) (\d+)"/#))
        let width = try #require(Int(viewBox.output.1))
        let title = try #require(svg.firstMatch(of: #/<text x="(\d+)" y="\d+" font-size="(\d+)"[^>]*>([^<]*)</text>/#))
        let x = try #require(Double(title.output.1)), size = try #require(Double(title.output.2))
        let text = String(title.output.3)
        #expect(text.hasPrefix("tiny on 1 x wse3: ") && text.hasSuffix(" of weights"))
        // The title's estimated width (0.6 font sizes per character) ends inside the viewBox.
        #expect(x + Double(text.count) * size * 0.6 <= Double(width), "title \(text.count) characters at \(size), viewBox width \(width)")
    }

    // MARK: - repair with an unrelated defect map

    @Test func repairRefusesToReviveDeadPEsUnlessAskedTo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let compile = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "--context", "64",
                                   "--defect-rate", "0.01", "--seed", "3", "-o", path("a.plan.json")])
        #expect(compile.status == 0, "\(compile.stderr)")
        // The seed once: the generated defects' description leaves it to the deployment line.
        #expect(compile.stdout.contains("defects: generated: uniform rate 0.01 per PE; seed 3\n"), "\(compile.stdout)")
        let plan = try Self.json(try String(contentsOfFile: path("a.plan.json"), encoding: .utf8))
        let planDead = Set(try #require((plan["wafers"] as? [[String: Any]])?.first?["dead_pes"] as? [Int]))
        #expect(planDead.count > 5)
        // A map drawn with another seed: new defects, and none of the plan's own.
        #expect(try CLI.run(["defects", "generate", "--target", "small64", "--wafers", "1", "--rate", "0.01", "--seed", "9", "-o", path("other.yaml")]).status == 0)

        let refused = try CLI.run(["repair", path("a.plan.json"), "--defects", path("other.yaml"), "-o", path("b.plan.json")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(path("other.yaml")):1:1: error: "), "\(refused.stderr)")
        #expect(refused.stderr.contains("dead in the plan are live in this defect map, on 1 wafer; refusing to revive them"))
        #expect(refused.stderr.contains("note: wafer 0: "))
        #expect(refused.stderr.contains("first ("))
        #expect(refused.stderr.contains("--add-defects") && refused.stderr.contains("--allow-revive"))
        #expect(!FileManager.default.fileExists(atPath: path("b.plan.json")))

        // --add-defects: the plan's own defects plus the map's; nothing revives.
        let added = try CLI.run(["repair", path("a.plan.json"), "--add-defects", path("other.yaml"), "-o", path("b.plan.json"), "--format", "json"])
        #expect(added.status == 0, "\(added.stderr)")
        let delta = try #require(try Self.json(added.stdout)["delta"] as? [String: Any])
        #expect(delta["revived_pes"] as? Int == 0 && delta["revived_links"] as? Int == 0)
        #expect((delta["new_dead_pes"] as? Int ?? 0) > 0)
        let repaired = try Self.json(try String(contentsOfFile: path("b.plan.json"), encoding: .utf8))
        let nowDead = Set(try #require((repaired["wafers"] as? [[String: Any]])?.first?["dead_pes"] as? [Int]))
        #expect(nowDead.isSuperset(of: planDead) && nowDead.count == planDead.count + (delta["new_dead_pes"] as? Int ?? -1))

        // --allow-revive: the map is taken as the wafers now are.
        let revived = try CLI.run(["repair", path("a.plan.json"), "--defects", path("other.yaml"), "--allow-revive", "-o", path("c.plan.json"), "--format", "json"])
        #expect(revived.status == 0, "\(revived.stderr)")
        let revivedDelta = try #require(try Self.json(revived.stdout)["delta"] as? [String: Any])
        #expect((revivedDelta["revived_pes"] as? Int ?? 0) > 0)

        // One of --defects and --add-defects, and --allow-revive only with --defects.
        #expect(try CLI.run(["repair", path("a.plan.json"), "-o", path("d.plan.json")]).status == 64)
        #expect(try CLI.run(["repair", path("a.plan.json"), "--defects", path("other.yaml"), "--add-defects", path("other.yaml"), "-o", path("d.plan.json")]).status == 64)
        #expect(try CLI.run(["repair", path("a.plan.json"), "--add-defects", path("other.yaml"), "--allow-revive", "-o", path("d.plan.json")]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: path("d.plan.json")))
    }
}
