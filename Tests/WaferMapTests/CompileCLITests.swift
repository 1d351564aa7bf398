import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WaferPlan
import WaferSupport
import WaferTestSupport

/// `wafermap compile` and `check-plan` end to end: the plan round-trips, is byte-identical for
/// identical inputs, matches docs/plan.schema.json, and truncated or tampered plans are
/// rejected with errors that name the file, line and column.
@Suite struct CompileCLITests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-compile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func schemaErrors(_ path: String) throws -> [String] {
        let schemaData = try Data(contentsOf: TestPaths.root.appendingPathComponent("docs/plan.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        return JSONSchemaValidator(schema: schema).errors(plan)
    }

    @Test func compileWritesACheckedPlanAndReport() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("llama.plan.json").path, report = dir.appendingPathComponent("report.json").path
        // --repair none: this is about software avoidance (detours, overlays) of logical defects.
        let out = try CLI.run(["compile", "examples/models/llama-3.1-8b.yaml", "--defect-rate", "0.001", "--clustered", "--repair", "none", "-o", plan, "--report", report])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("checked, consistent"))
        #expect(out.stdout.contains("tokens/s per user"))
        // Round trip: read, re-encode, same bytes.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: plan))
        let decoded = try PlanIO.read(path: plan)
        #expect(try PlanIO.encode(decoded) == bytes)
        #expect(decoded.summary.wafers == 1 && decoded.summary.unresolvedRoutes == 0)
        #expect(decoded.summary.overlayRoutes > 0 && decoded.routing.exceptions.count == decoded.summary.exceptionRoutes)
        #expect(decoded.inputs.modelSha256 == SHA256.hex([UInt8](try Data(contentsOf: TestPaths.root.appendingPathComponent("examples/models/llama-3.1-8b.yaml")))))
        #expect(PlanCheck.problems(decoded).isEmpty)
        #expect(try schemaErrors(plan) == [])
        // The schema is not vacuous: an unknown key and a wrong type break it.
        let broken = dir.appendingPathComponent("broken.json").path
        try String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"format_version\":4", with: "\"format_version\":4,\"surprise\":true")
            .replacingOccurrences(of: "\"batch\":1", with: "\"batch\":\"one\"").write(toFile: broken, atomically: true, encoding: .utf8)
        let errors = try schemaErrors(broken)
        #expect(errors.contains { $0.contains("surprise") } && errors.contains { $0.contains("batch") })
        // With spare rows the plan records each wafer's repair, and the schema admits it.
        let spare = dir.appendingPathComponent("spare.plan.json").path
        let repaired = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "Tests/Fixtures/targets/small64r.yaml", "--defect-rate", "0.02", "-o", spare])
        #expect(repaired.status == 0 && repaired.stdout.contains("repair      spare rows:"), "\(repaired.stderr)")
        #expect(try PlanIO.read(path: spare).wafers.allSatisfy { $0.redundancy != nil })
        #expect(try schemaErrors(spare) == [])
        // The report: nextpnr-style keys with units.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect((json["wafers"] as? Int) == 1)
        #expect((json["weight_bytes"] as? Int) == decoded.summary.weightBytes)
        // JSONSerialization may round the last digit differently from the plan decoder.
        #expect((json["tokens_per_s"] as? Double).map { abs($0 / decoded.summary.tokensPerS - 1) < 1e-12 } == true)
        #expect((json["max_colors_per_pe"] as? Int).map { $0 > 0 && $0 <= 21 } == true)
        let check = try #require(json["check"] as? [String: Any])
        #expect((check["passed"] as? Bool) == true)
        let executor = try #require(json["executor"] as? [String: Any])
        #expect((executor["passed"] as? Bool) == true && (executor["violation_counts"] as? [String: Int])?.isEmpty == true)
        #expect(((executor["numeric"] as? [String: Any])?["passed"] as? Bool) == true)
        #expect((executor["simulated_tokens_per_s"] as? Double).map { $0 > 0 } == true)
        let utilization = try #require(json["utilization"] as? [[String: Any]])
        let pes = try #require(utilization.first?["pes"] as? [String: Int])
        #expect(pes["used"].map { $0 > 0 && $0 <= pes["available"] ?? 0 } == true)
        #expect((json["stages"] as? [[String: Any]])?.contains { ($0["stage"] as? String) == "check plan" } == true)
    }

    @Test func identicalInputsGiveIdenticalPlans() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var plans: [Data] = []
        for name in ["a", "b"] {
            let path = dir.appendingPathComponent("\(name).plan.json").path
            let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "--defect-rate", "0.01", "--clustered", "--seed", "3", "-o", path])
            #expect(out.status == 0, "\(out.stderr)")
            plans.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(plans[0] == plans[1])
        #expect(!plans[0].isEmpty)
    }

    /// Per-wafer routing and checks run on `--threads` threads; the plan must not depend on how
    /// many: three wafers with clustered holes, compiled on one thread and on two.
    @Test func planBytesDoNotDependOnTheThreadCount() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var plans: [Data] = []
        for threads in ["1", "2"] {
            let path = dir.appendingPathComponent("t\(threads).plan.json").path
            let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--defect-rate", "0.005",
                                   "--clustered", "--seed", "2", "--threads", threads, "-o", path])
            #expect(out.status == 0, "\(out.stderr)")
            plans.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(!plans[0].isEmpty && plans[0] == plans[1])
        let decoded = try PlanIO.read(path: dir.appendingPathComponent("t2.plan.json").path)
        #expect(decoded.summary.wafers == 3 && decoded.summary.exceptionRoutes > 0)
        let bad = try CLI.run(["compile", "examples/models/tiny.yaml", "--threads", "0", "-o", dir.appendingPathComponent("bad.json").path])
        #expect(bad.status == 1 && bad.stderr.contains("--threads must be between 1 and 256"))
    }

    @Test func truncatedAndTamperedPlansAreRejected() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.plan.json").path
        #expect(try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "--defect-rate", "0.01", "-o", path]).status == 0)
        #expect(try CLI.run(["check-plan", path]).status == 0)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        func rejected(_ name: String, _ content: String) throws -> String {
            let bad = dir.appendingPathComponent(name).path
            try content.write(toFile: bad, atomically: true, encoding: .utf8)
            let out = try CLI.run(["check-plan", bad])
            #expect(out.status == 1, "\(name) was accepted")
            return out.stderr
        }
        // Truncated: the error names the end of the file.
        let truncated = try rejected("truncated.json", String(text.prefix(text.count / 2)))
        #expect(truncated.contains("truncated.json:1:") && truncated.contains("truncated"))
        // A newer format version: a clear message, not a field error.
        let newer = try rejected("v5.json", text.replacingOccurrences(of: "\"format_version\":4", with: "\"format_version\":5"))
        #expect(newer.contains("format version 5") && newer.contains("reads version 4"))
        // Not a plan at all.
        #expect(try rejected("other.json", "{\"format\":\"something-else\"}").contains("not a WaferMap plan"))
        // A field of the wrong type: its path, line and column.
        let wrongType = try rejected("type.json", text.replacingOccurrences(of: "\"slot_width\":", with: "\"slot_width\":\"wide\",\"x_slot_width\":"))
        #expect(wrongType.contains("slot_width: expected an integer"))
        #expect(wrongType.contains("type.json:1:"))
        // A plan whose numbers no longer add up: the check names the problem.
        let plan = try PlanIO.read(path: path)
        var tampered = plan
        tampered.schedule.phases[0].endCycle += 1
        let tamperedText = String(decoding: try PlanIO.encode(tampered), as: UTF8.self)
        #expect(try rejected("phases.json", tamperedText).contains("schedule: phase"))
        var bigger = plan
        bigger.units[0].denseBytesPerPe = plan.target.dataBytesPerPe + 1
        #expect(try rejected("memory.json", String(decoding: try PlanIO.encode(bigger), as: UTF8.self)).contains("exceed"))
    }

    @Test func anUnwritablePlanPathFailsCleanly() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("missing/dir/x.plan.json").path
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "-o", path])
        #expect(out.status == 1)
        // Refused before the passes run: no summary, no plan.
        #expect(out.stderr.contains("-o \(path): the directory") && out.stderr.contains("does not exist"), "\(out.stderr)")
        #expect(!out.stdout.contains("compiled"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func picturesAreWellFormedAggregatedAndReproducible() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("l.plan.json").path
        let svg = dir.appendingPathComponent("svg").path, again = dir.appendingPathComponent("again").path
        let out = try CLI.run(["compile", "examples/models/llama-3.1-8b.yaml", "--defect-rate", "0.001", "--clustered", "-o", plan, "--svg", svg])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try CLI.run(["render", plan, "--svg", again]).status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: svg).sorted()
        #expect(names == ["overview.svg", "time-split.svg", "wafer-00.svg"])
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: svg).appendingPathComponent(name))
            // `render` from the plan draws the same picture as `compile --svg`.
            #expect(try Data(contentsOf: URL(fileURLWithPath: again).appendingPathComponent(name)) == data)
            #expect(XMLParser(data: data).parse(), "\(name) is not well-formed XML")
            let text = String(decoding: data, as: UTF8.self)
            let rects = text.components(separatedBy: "<rect").count - 1
            // Aggregated: far fewer shapes than the wafer's 893,064 PEs, and light enough to open.
            #expect(rects < 20_000 && data.count < 3_000_000, "\(name): \(rects) rectangles, \(data.count) bytes")
        }
        let wafer = String(decoding: try Data(contentsOf: URL(fileURLWithPath: svg).appendingPathComponent("wafer-00.svg")), as: UTF8.self)
        #expect(wafer.contains("embed_tokens") && wafer.contains("fill=\"#000000\""))  // a tooltip, dead PEs drawn
    }
}
