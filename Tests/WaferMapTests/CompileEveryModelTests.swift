import Foundation
import Testing
import WaferExec
import WaferMap
import WaferPasses
import WaferPlan
import WaferTestSupport

/// The whole-zoo tier: every example model (examples/models/*.yaml; the synthetic stress models
/// under examples/models/synthetic are left to `wafermap bench`) and every Hugging Face config
/// fixture (Tests/Fixtures/hf/*/config.json) compiles for WSE-3 (default context, no defects)
/// in process, into a plan written to a temporary directory that reads back equal, passes the
/// plan's own check, and passes the executor's structural check, its numeric check (sampled
/// for large models) and its timing simulation. Each model is its own test case, found from the
/// folders, so a new example or fixture is covered without touching this file. Each case
/// prints one line: model, wafers, predicted and simulated tokens/s and their ratio.
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

    @Test(arguments: examples + configs)
    func compilesToACheckedPlanThatRuns(_ model: String) throws {
        if let issue = Self.knownIssues[model] {
            withKnownIssue(Comment(rawValue: issue)) { try Self.compileAndRun(model) }
        } else {
            try Self.compileAndRun(model)
        }
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

        var options = Executor.Options()
        options.numeric = true
        options.timing = true
        options.largeModelSample = 2
        let report = Executor.run(plan, options: options)
        #expect(report.violations.isEmpty, "\(model): \(report.violations.items.prefix(5))")
        let numeric = try #require(report.numeric, "\(model): the numeric check did not run")
        #expect(numeric.passed && numeric.comparedValues > 0, "\(model): \(numeric)")
        let timing = try #require(report.timing, "\(model): the timing simulation did not run")
        #expect(timing.cyclesPerToken > 0 && timing.tokensPerS > 0 && plan.summary.tokensPerS > 0)

        let ratio = timing.tokensPerS / plan.summary.tokensPerS
        print("compile-every-model: \(model): \(plan.wafers.count) wafers, predicted \(String(format: "%.1f", plan.summary.tokensPerS)) tokens/s, "
              + "simulated \(String(format: "%.1f", timing.tokensPerS)) tokens/s, ratio \(String(format: "%.3f", ratio)) "
              + "(numeric \(numeric.mode), \(String(format: "%.1f", (clock.now - start).seconds)) s)")
    }
}
