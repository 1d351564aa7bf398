import Foundation
import Testing
import WaferExec
import WaferMap
import WaferPlan
import WaferTestSupport

/// The executor against real compiled plans of the tiny model (GQA with q/k norms, MLA, a
/// sliding window, MoE with a shared expert, a tied head) on small fabrics, and against
/// deliberately broken copies of them.
@Suite struct ExecutorTests {
    /// Compiles tiny on small64 with the given defects into a temporary plan and reads it.
    static func compile(_ extra: [String] = [], context: Int = 64) throws -> Plan {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.plan.json").path
        let out = try CLI.run(["compile", TestPaths.example("tiny"), "--target", "small64", "--context", "\(context)", "-o", path] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        return try PlanIO.read(path: path)
    }

    static func numeric(_ plan: Plan, faults: [Int: [Int32]] = [:]) -> Executor.Report {
        var options = Executor.Options()
        options.numeric = true
        options.timing = true
        options.faults = faults
        return Executor.run(plan, options: options)
    }

    @Test func theExecutorImportsNoPass() throws {
        // The package graph: WaferExec depends on the plan format, support code and
        // swift-collections' Heap only.
        let manifest = try String(contentsOfFile: TestPaths.root.appendingPathComponent("Package.swift").path, encoding: .utf8)
        let line = try #require(manifest.split(separator: "\n").first { $0.contains("name: \"WaferExec\"") })
        #expect(line.contains("dependencies: [\"WaferPlan\", \"WaferSupport\", .product(name: \"HeapModule\", package: \"swift-collections\")]"), "\(line)")
        // And its sources import nothing else.
        let dir = TestPaths.root.appendingPathComponent("Sources/WaferExec")
        let files = try #require(FileManager.default.enumerator(atPath: dir.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 8)
        for file in files {
            let text = try String(contentsOfFile: dir.appendingPathComponent(file).path, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                #expect(["import Foundation", "import HeapModule", "import WaferPlan", "import WaferSupport"].contains(String(line)), "\(file): \(line)")
            }
        }
    }

    @Test(arguments: [nil, 1, 2, 3] as [UInt64?])
    func compiledPlansRunAndAgreeWithTheReference(_ seed: UInt64?) throws {
        let extra = seed.map { ["--defect-rate", "0.02", "--clustered", "--seed", "\($0)"] } ?? []
        let plan = try Self.compile(extra)
        let report = Self.numeric(plan)
        #expect(report.violations.isEmpty, "\(report.violations.items)")
        let numeric = try #require(report.numeric)
        #expect(numeric.passed && numeric.comparedValues == 4 * 512 && numeric.relativeError < 1e-5)
        let timing = try #require(report.timing)
        #expect(timing.cyclesPerToken > 0 && timing.criticalPath.last?.end == timing.cyclesPerToken)
        if seed != nil { #expect(report.linesExpanded > 0) }
        // The simulation and the compiler's estimate agree within 10%, with defects or without
        // (docs/performance-model.md, "Estimate and simulation"; 0.2% on these plans).
        #expect(abs(Double(timing.cyclesPerToken) / Double(plan.summary.cyclesPerToken) - 1) < 0.10, "\(timing.cyclesPerToken) vs \(plan.summary.cyclesPerToken)")
    }

    @Test func aTileHeldTwiceIsCaught() throws {
        var plan = try Self.compile()
        let layer = try #require(plan.units.firstIndex { $0.ops.contains { $0.kind == .moe } })
        plan.units.insert(plan.units[layer], at: layer + 1)
        let report = Self.numeric(plan)
        #expect(report.violations.items.contains { $0.category == .placement && $0.message.contains("held by 2 units") })
        #expect(report.numeric?.passed == false)   // the copy's experts add twice
    }

    @Test func aReductionTreeMissingAPEIsCaught() throws {
        var plan = try Self.compile()
        let c = try #require(plan.routing.classes.firstIndex { $0.axis == .columns && $0.scope == "slot" })
        plan.routing.classes[c].rows[1] -= 1
        let report = Self.numeric(plan)
        #expect(report.violations.items.contains { $0.category == .numeric && $0.message.contains("does not reach the tile") && $0.message.contains("row \(plan.routing.classes[c].rows[1])") })
        #expect(report.numeric?.passed == false)
    }

    @Test func aSwappedSliceIsCaught() throws {
        // qkv and o_proj exchange their line classes: partial sums add along the wrong axis.
        var plan = try Self.compile()
        let qkv = try #require(plan.routing.flows.firstIndex { $0.label == "qkv" })
        let o = try #require(plan.routing.flows.firstIndex { $0.label == "o_proj" && $0.unit == plan.routing.flows[qkv].unit })
        (plan.routing.flows[qkv].lineClass, plan.routing.flows[o].lineClass) = (plan.routing.flows[o].lineClass, plan.routing.flows[qkv].lineClass)
        let report = Self.numeric(plan)
        #expect(report.violations.items.contains { $0.category == .numeric && $0.message.contains("(qkv,") && $0.message.contains("must add along columns") })
        #expect(report.numeric?.passed == false)
    }

    @Test func aMissingExceptionRouteIsCaught() throws {
        var plan = try Self.compile(["--defect-rate", "0.02", "--clustered", "--seed", "2"])
        #expect(plan.routing.exceptions.count > 0)
        plan.routing.exceptions = PlanExceptions((1..<plan.routing.exceptions.count).map { plan.routing.exceptions[$0] })
        let report = Self.numeric(plan)
        #expect(report.violations.items.contains { $0.category == .route && $0.message.contains("no exception route carries it") })
    }

    @Test func injectedFaultsNameWhatTheyBreak() throws {
        let plan = try Self.compile()
        let w = plan.wafers[0]
        let x = w.originX + 3, y = w.originY + 2
        let report = Self.numeric(plan, faults: [0: [Int32(y * plan.target.fabricWidth + x)]])
        #expect(report.injectedFaults == 1)
        #expect(report.violations.items.contains { $0.category == .placement && $0.message.contains("dead PE (\(x), \(y))") })
        #expect(report.violations.items.contains { $0.category == .route && $0.message.contains("meets a dead PE") })
        #expect(report.numeric?.passed == false)
        // A fault on a PE the plan does not use breaks nothing.
        let idle = Self.numeric(plan, faults: [0: [Int32((plan.target.fabricHeight - 1) * plan.target.fabricWidth + plan.target.fabricWidth / 2)]])
        #expect(idle.violations.isEmpty && idle.numeric?.passed == true)
        // A fault rate kills a reproducible set.
        #expect(Executor.faults(rate: 0.01, seed: 4, plan: plan) == Executor.faults(rate: 0.01, seed: 4, plan: plan))
        #expect((Executor.faults(rate: 0.01, seed: 4, plan: plan)[0]?.count ?? 0) > 10)
    }

    @Test func theCheckCommandReportsAndFails() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.plan.json").path
        #expect(try CLI.run(["compile", TestPaths.example("tiny"), "--target", "small64", "--context", "64", "-o", path]).status == 0)
        let ok = try CLI.run(["check", path, "--numeric", "--timing"])
        #expect(ok.status == 0 && ok.stdout.contains("agrees") && ok.stdout.contains("simulated") && ok.stdout.contains("PASS"), "\(ok.stdout)\(ok.stderr)")
        let json = try CLI.run(["check", path, "--timing", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["passed"] as? Bool == true && (object["timing"] as? [String: Any])?["simulated_cycles_per_token"] != nil)
        let killed = try CLI.run(["check", path, "--numeric", "--kill-pe", "0:8,3"])
        #expect(killed.status == 1 && killed.stdout.contains("FAIL") && killed.stdout.contains("(8, 3)"))
        let bad = try CLI.run(["check", path, "--kill-pe", "0:8"])
        #expect(bad.status != 0 && bad.stderr.contains("WAFER:X,Y"))
        let off = try CLI.run(["check", path, "--kill-pe", "0:900,3"])
        #expect(off.status != 0 && off.stderr.contains("off the"))
    }
}
