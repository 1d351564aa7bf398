import Foundation
import Testing
import WaferTestSupport

@Suite struct CountCLITests {
    @Test func kimiAtFP8With128KContext() throws {
        let out = try CLI.run(["count", "examples/models/kimi-k2.yaml", "--context", "131072", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        // 31 wafers hold the bytes, but tiles pad them: the partition needs headroom and one more wafer.
        #expect(json["wafers"] as? Int == 32)
        #expect(json["lower_bound_wafers"] as? Int == 31)
        #expect(json["kv_bytes"] as? Int == 9_210_691_584)
        let fill = try #require(json["fill_limit"] as? Double)
        #expect(fill < 1.0 && fill >= 0.8)
        let perWafer = try #require(json["per_wafer"] as? [[String: Any]])
        #expect(perWafer.count == 32)
        #expect(perWafer.compactMap { $0["weight_bytes"] as? Int }.reduce(0, +) == 1_029_173_249_888)
    }

    @Test func precisionSweep() throws {
        let out = try CLI.run(["count", "examples/models/llama-3.1-70b.yaml", "--precision", "bf16,fp8,int4"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("precision"))
        #expect(out.stdout.contains("int4[group=32,scale=bf16]"))
        let bad = try CLI.run(["count", "examples/models/llama-3.1-70b.yaml", "--precision", "fp7"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("unknown precision 'fp7'"))
    }

    @Test func tooFewWafersExitsOne() throws {
        let out = try CLI.run(["count", "examples/models/kimi-k2.yaml", "--wafers", "10"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("needs 32 wse3 wafers"))
    }

    @Test func generatedDefectsAreReproducibleAndCheckable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("a.yaml").path, b = directory.appendingPathComponent("b.yaml").path
        let c = directory.appendingPathComponent("c.yaml").path
        let args = ["defects", "generate", "--target", "wse3", "--wafers", "3", "--rate", "0.001", "--clustered"]
        #expect(try CLI.run(args + ["--seed", "4", "-o", a]).status == 0)
        #expect(try CLI.run(args + ["--seed", "4", "-o", b]).status == 0)
        #expect(try CLI.run(args + ["--seed", "5", "-o", c]).status == 0)
        let textA = try String(contentsOfFile: a, encoding: .utf8)
        #expect(textA == (try String(contentsOfFile: b, encoding: .utf8)))
        #expect(textA != (try String(contentsOfFile: c, encoding: .utf8)))
        let check = try CLI.run(["defects", "check", a])
        #expect(check.status == 0)
        #expect(check.stdout.contains("valid for wse3, 3 wafers"))
        let count = try CLI.run(["count", "examples/models/llama-3.1-8b.yaml", "--defects", a])
        #expect(count.status == 0)
        let wrongTarget = try CLI.run(["count", "examples/models/llama-3.1-70b.yaml", "--defects", a, "--target", "wse2"])
        #expect(wrongTarget.status == 1)
        // Three header comment lines come first, so `target:` is on line 5.
        #expect(wrongTarget.stderr.contains("\(a):5:9: error: this defect map is for target 'wse3', but the target is 'wse2'"))
        let tooMany = try CLI.run(["count", "examples/models/kimi-k2.yaml", "--defects", a])
        #expect(tooMany.status == 1)
        #expect(tooMany.stderr.contains("the defect map describes 3 wafers"))
    }

    @Test func irShowsThePartition() throws {
        let out = try CLI.run(["ir", "examples/models/mixtral-8x7b.yaml", "--wafers", "3", "--print-ir-after=partition"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("partition = 3 wafers of wse3"))
        #expect(out.stdout.contains(" @w2"))
        #expect(out.stderr.contains("IR Dump After partition"))
    }

    @Test func targetsList() throws {
        let out = try CLI.run(["targets"])
        #expect(out.stdout.contains("wse3     762x1172      755x1170"))
        let one = try CLI.run(["targets", "wse2"])
        #expect(one.stdout.contains("width: 757"))
    }
}

@Suite struct PlaceCLITests {
    @Test func qualityReport() throws {
        let out = try CLI.run(["place", "examples/models/llama-3.1-8b.yaml", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let used = try #require(json["pes_used"] as? Int), usable = try #require(json["pes_usable"] as? Int)
        #expect(used > 0 && used <= usable)
        let hops = try #require(json["handoff_hops"] as? Int), bound = try #require(json["handoff_lower_bound"] as? Int)
        #expect(hops >= bound)
        let units = try #require(json["units"] as? [[String: Any]])
        #expect(units.count == 35)  // embedding, 32 layers, final norm, lm_head
        #expect(units.allSatisfy { ($0["bytes_per_pe"] as? Int ?? .max) <= 38_912 })
        // Routing and the schedule: colors within the budget, a histogram over every PE, a speed.
        let routing = try #require(json["routing"] as? [String: Any])
        let budget = try #require(routing["color_budget"] as? Int), maxColors = try #require(routing["max_colors_per_pe"] as? Int)
        #expect(budget == 21 && maxColors > 0 && maxColors <= budget)
        #expect((routing["unresolved_routes"] as? Int) == 0)
        #expect((routing["overlay_routes"] as? Int) == 0 && (routing["overlay_pes"] as? Int) == 0)  // no defects
        let tokensPerS = try #require(routing["tokens_per_s"] as? Double)
        let cycles = try #require(routing["cycles_per_token"] as? Int)
        #expect(abs(tokensPerS - 1.1e9 / Double(cycles)) < 1e-6 * tokensPerS)
        let parts = ["compute_cycles", "fabric_cycles", "wafer_link_cycles", "elementwise_cycles"].compactMap { routing[$0] as? Int }
        let overlapped = try #require(routing["overlapped_cycles"] as? Int), parallel = try #require(routing["parallel_cycles"] as? Int)
        #expect(parts.reduce(0, +) - overlapped - parallel == cycles)
        let perWafer = try #require(routing["wafers"] as? [[String: Any]])
        let histogram = try #require(perWafer.first?["colors_per_pe_histogram"] as? [Int])
        #expect(histogram.reduce(0, +) == 762 * 1172)
    }

    @Test func countPerfPredictsDecodeSpeed() throws {
        let plain = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small32"])
        #expect(plain.status == 0 && !plain.stdout.contains("tokens/s"))
        let perf = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small32", "--perf"])
        #expect(perf.status == 0)
        #expect(perf.stdout.contains("tokens/s per user at batch 1"))
        #expect(perf.stdout.contains("routing     max "))
        let stop = try CLI.run(["ir", "examples/models/tiny.yaml", "--target", "small32", "--stop-after=place"])
        #expect(stop.status == 0 && stop.stdout.contains("layout {") && !stop.stdout.contains("routing {"))
        let bad = try CLI.run(["ir", "examples/models/tiny.yaml", "--stop-after=rout"])
        #expect(bad.status == 64 && bad.stderr.contains("did you mean 'route'?"))  // a usage error, like an unknown flag
    }

    @Test func placeIsDeterministicAndShowsRegions() throws {
        let args = ["ir", "examples/models/mixtral-8x7b.yaml", "--defect-rate", "0.002", "--clustered", "--seed", "5", "--print-ir-after=tile", "--stop-after=place"]
        let a = try CLI.run(args), b = try CLI.run(args)
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stderr == b.stderr)
        // The IR after the last pass (place) is on stdout; `ir` does not repeat it on stderr.
        #expect(a.stderr.contains("IR Dump After tile") && !a.stderr.contains("IR Dump After place"))
        #expect(a.stdout.contains("layout {"))
        #expect(a.stdout.contains("@ slot"))
        // One line per region and unit, not per PE: a 33-unit model prints well under 100 layout lines.
        let layoutLines = a.stdout.split(separator: "\n").drop { !$0.contains("layout {") }.prefix { $0 != "  }" }
        #expect(layoutLines.count < 100)
    }

    @Test func benchPrintsStepsAndMemory() throws {
        let out = try CLI.run(["bench", "examples/models/tiny.yaml", "--format", "json"])
        #expect(out.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        let steps = try #require(rows.first?["steps"] as? [[String: Any]])
        let names = steps.compactMap { $0["step"] as? String }
        // Every stage the issue names: parse, each pass, plan write, structural check, numeric sample.
        for name in ["front end (parse, lower, verify)", "assign-precision", "partition", "tile", "place", "route", "schedule",
                     "emit plan", "write plan", "read plan back", "check plan", "structural check", "numeric check", "timing simulation"] {
            #expect(names.contains(name), "\(name) missing from \(names)")
        }
        #expect(steps.allSatisfy { ($0["peak_rss_mib"] as? Double ?? 0) > 0 })
        #expect((rows.first?["plan_bytes"] as? Int ?? 0) > 1000 && rows.first?["executor_passed"] as? Bool == true)
        // The plan went to a temporary directory, not the working directory.
        #expect(!FileManager.default.fileExists(atPath: "tiny.plan.json") && !FileManager.default.fileExists(atPath: "bench.plan.json"))
        let passesOnly = try CLI.run(["bench", "examples/models/tiny.yaml", "--passes-only", "--format", "json"])
        let only = try #require(try JSONSerialization.jsonObject(with: Data(passesOnly.stdout.utf8)) as? [[String: Any]])
        #expect((only.first?["steps"] as? [[String: Any]])?.contains { $0["step"] as? String == "write plan" } == false)
    }
}
