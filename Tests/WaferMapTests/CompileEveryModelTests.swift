import Foundation
import Testing
import WaferExec
import WaferFrontend
import WaferIR
import WaferMap
import WaferPasses
import WaferPlan
import WaferReport
import WaferTestSupport

/// The whole-zoo tier: every example model (examples/models/*.yaml; the synthetic stress models
/// under examples/models/synthetic are left to `wafermap bench`) and every Hugging Face config
/// fixture (Tests/Fixtures/hf/*/config.json) compiles for WSE-3 (default context, no defects)
/// in process, into a plan written to a temporary directory that reads back equal, passes the
/// plan's own check, and passes the executor's structural check, its numeric check (sampled
/// for large models) and its timing simulation. Each model is its own test case, found from the
/// folders, so a new example or fixture is covered without touching this file. Each compiled
/// case prints one line: model, wafers, predicted and simulated tokens/s and their ratio.
///
/// Time (debug build, this project's 2-core machine, 2026-12-03): the suite takes 174 s of CPU
/// (5.8 min wall while other builds shared the cores); the longest single compiles are
/// Llama-3.1-405B (38 s CPU) and Kimi K2 (32 s CPU), where route and the executor's structural
/// check dominate. No example is skipped. A config that imports to exactly the IR of the
/// example of the same name (compared op by op, weights and formats included) is not compiled
/// a second time: the pipeline after the front end is deterministic and never reads the file,
/// so its plan is the example's, which that example's case compiles and checks; the case says
/// so in the log. Compiling them too would double the tier's time; `WAFERMAP_COMPILE_CONFIGS=1`
/// does it. A config with no such example (a new fixture, or one that imports differently) is
/// compiled.
@Suite struct CompileEveryModelTests {
    /// The example models, as paths relative to the package root, sorted.
    static let examples: [String] = files(in: "examples/models") { $0.hasSuffix(".yaml") }

    /// The Hugging Face config fixtures, as paths relative to the package root, sorted.
    static let configs: [String] = {
        let root = TestPaths.root.appendingPathComponent("Tests/Fixtures/hf")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map { "Tests/Fixtures/hf/\($0)/config.json" }
            .filter { FileManager.default.fileExists(atPath: TestPaths.root.appendingPathComponent($0).path) }
    }()

    /// Regular files directly in `folder` (not its subfolders) whose names pass `keep`.
    static func files(in folder: String, _ keep: (String) -> Bool) -> [String] {
        let dir = TestPaths.root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().filter { name in
            var isDirectory: ObjCBool = false
            return keep(name) && FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }.map { "\(folder)/\($0)" }
    }

    /// Models that fail today for a reason outside this tier, with the failure; each such case
    /// runs under `withKnownIssue`, so the failure stays visible and the case reports when it
    /// starts passing. Empty when every model compiles.
    static let knownIssues: [String: String] = [:]

    @Test func theModelListsComeFromTheFolders() {
        #expect(Self.examples.count >= 14, "\(Self.examples)")
        #expect(Self.configs.count >= 14, "\(Self.configs)")
        for name in ["kimi-k2", "gpt-oss-120b", "tiny", "llama-3.1-405b"] {
            #expect(Self.examples.contains("examples/models/\(name).yaml"), "\(name) is not among \(Self.examples)")
        }
        for name in ["kimi-k2", "gpt-oss-120b", "deepseek-v3"] {
            #expect(Self.configs.contains("Tests/Fixtures/hf/\(name)/config.json"), "\(name) is not among \(Self.configs)")
        }
        // The synthetic stress models stay out: they are bench inputs, not examples.
        #expect(!Self.examples.contains { $0.contains("synthetic") })
        #expect(Self.knownIssues.keys.allSatisfy { (Self.examples + Self.configs).contains($0) })
    }

    /// True when the config cases compile even when they import to an example's IR.
    static var compileEveryConfig: Bool { ProcessInfo.processInfo.environment["WAFERMAP_COMPILE_CONFIGS"] == "1" }

    @Test(arguments: examples + configs)
    func compilesToACheckedPlanThatRuns(_ model: String) throws {
        if let issue = Self.knownIssues[model] {
            withKnownIssue(Comment(rawValue: issue)) { try Self.check(model) }
        } else {
            try Self.check(model)
        }
    }

    static func check(_ model: String) throws {
        if model.hasSuffix("config.json"), !compileEveryConfig, let example = try sameIRExample(config: model) {
            print("compile-every-model: \(model): imports to the IR of \(example), whose case compiles it (not compiled again)")
            return
        }
        try compileAndRun(model)
    }

    /// The example with the config's folder name when the config imports to exactly its IR
    /// (every op's name, kind, layer, inputs, weights with shapes, roles and formats, tied
    /// weight and precision; the precision policy; the unmapped modules' counts), else nil.
    static func sameIRExample(config: String) throws -> String? {
        let name = URL(fileURLWithPath: config).deletingLastPathComponent().lastPathComponent
        let example = "examples/models/\(name).yaml"
        guard examples.contains(example) else { return nil }
        func comparable(_ path: String) throws -> Graph {
            var graph = try ModelLoader.load(path: TestPaths.root.appendingPathComponent(path).path)
            graph.sourceFile = ""
            for i in graph.ops.indices { graph.ops[i].location = nil }
            graph.unmappedModules = graph.unmappedModules.map { UnmappedModule(name: $0.name, description: "", parameters: $0.parameters, bytes: $0.bytes) }
            return graph
        }
        let imported = try comparable(config), written = try comparable(example)
        #expect(!imported.ops.isEmpty)
        return imported == written ? example : nil
    }

    static func compileAndRun(_ model: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let planPath = dir.appendingPathComponent("model.plan.json").path
        let clock = ContinuousClock()
        let start = clock.now

        // wse3, default context, no defects: the request `wafermap compile MODEL` makes.
        var request = CompileRequest(count: CountRequest(modelPath: TestPaths.root.appendingPathComponent(model).path))
        request.planPath = planPath
        let result = try Driver.compile(request)
        #expect(result.plan.target.name == "wse3" && result.plan.inputs.contextTokens == 8192 && result.plan.wafers.allSatisfy { $0.deadPes.isEmpty })
        #expect(result.problems.isEmpty, "\(model): \(result.problems)")

        // The file as an executor would get it.
        let plan = try PlanIO.read(path: planPath)
        #expect(plan == result.plan, "\(model): the plan read back differs from the one built")
        #expect(PlanCheck.problems(plan) == [], "\(model)")
        #expect(plan.summary.wafers == plan.wafers.count && plan.summary.unresolvedRoutes == 0)

        // The executor: `Driver.compile` runs it (structural check, numeric check sampled on two
        // units above 50M parameters, timing simulation) on the plan it built, which is the plan
        // read back (above); running it again on the copy would double the tier's time.
        let report = result.execution
        #expect(report.stages.map(\.name) == ["fabric", "routes", "placement", "schedule", "numeric", "timing"])
        #expect(report.violations.isEmpty, "\(model): \(report.violations.items.prefix(5))")
        let numeric = try #require(report.numeric, "\(model): the numeric check did not run")
        #expect(numeric.passed && numeric.comparedValues > 0, "\(model): \(numeric)")
        let timing = try #require(report.timing, "\(model): the timing simulation did not run")
        #expect(timing.cyclesPerToken > 0 && timing.tokensPerS > 0 && plan.summary.tokensPerS > 0)

        // The pictures at this model's scale (Kimi K2: 32 WSE-3 wafers): every file bounded,
        // a wafer's under 2 MB (docs/cli.md, "Pictures").
        for (name, svg) in WaferPictures.render(plan) {
            #expect(svg.utf8.count < 2_000_000, "\(model): \(name) is \(svg.utf8.count) bytes")
        }

        let ratio = timing.tokensPerS / plan.summary.tokensPerS
        // The estimate and the simulation agree within 10% (docs/performance-model.md, "Estimate
        // and simulation": within 0.3% on every example).
        #expect(abs(ratio - 1) <= 0.10, "\(model): simulated / predicted = \(ratio)")
        print("compile-every-model: \(model): \(plan.wafers.count) wafer\(plan.wafers.count == 1 ? "" : "s"), predicted \(String(format: "%.1f", plan.summary.tokensPerS)) tokens/s, "
              + "simulated \(String(format: "%.1f", timing.tokensPerS)) tokens/s, ratio \(String(format: "%.3f", ratio)) "
              + "(numeric \(numeric.mode), \(String(format: "%.1f", (clock.now - start).seconds)) s)")
    }
}
