import Foundation
import Testing
import WaferBackend
import WaferExec
import WaferIR
import WaferMap
import WaferPasses
import WaferPerf
import WaferPlan
import WaferTarget
import WaferSupport
import WaferTestSupport

/// Reduction overlap (docs/routing-and-schedule.md, "Overlap"): a model is mapped once (through
/// `route`), then the schedule is re-run with the target's `reductionOverlap` at 0, 0.5 and 1, the
/// plan built in memory and the executor's timing simulation run on it. Asserts: overlap 0 gives
/// exactly the cycles of the plain pipeline; more overlap never gives more cycles (compiler and
/// executor); the estimate's split minus the overlapped and parallel cycles sums to the cycles per token; the
/// plan records the overlap (only when non-zero) and passes its own check and the executor's
/// schedule check; the compiler's estimate and the executor's simulation agree within 1%.
/// Tiny and Llama 3.1 8B, with and without a 0.1% clustered defect map; every example model
/// with `WAFERMAP_OVERLAP_ZOO=1` (slow in a debug build: not finished after 13 minutes on a shared
/// 2-core machine; docs/routing-and-schedule.md, "Overlap", has the release-build figures).
@Suite struct OverlapAgreementTests {
    static let overlaps = [0.0, 0.5, 1.0]
    /// The agreement this suite holds the two models to (the product allows 10%).
    static let tolerance = 0.01

    struct Figures {
        var overlap: Double
        var predicted: Int
        var simulated: Int
        var overlapped: Int
        var ratio: Double { predicted > 0 ? Double(predicted) / Double(max(simulated, 1)) : 0 }
    }

    /// The model mapped once, then scheduled, planned and simulated at each overlap. Returns the
    /// plain pipeline's cycles (the schedule `Driver.count` made, overlap 0) and the figures.
    static func run(_ model: String, defects: DefectRequest) throws -> (plain: Int, figures: [Figures]) {
        var count = CountRequest(modelPath: TestPaths.root.appendingPathComponent(model).path)
        count.defects = defects
        count.kernels = "waferllm-wse2"   // a profile with overlap 0: the plain compile is today's phased schedule
        let report = try Driver.count(count)
        let result = try #require(report.results.first)
        let plain = try #require(result.graph.schedule).cyclesPerToken
        let bytes = try Data(contentsOf: URL(fileURLWithPath: count.modelPath))
        var figures: [Figures] = []
        for r in overlaps {
            var target = report.target
            target.reductionOverlap = r
            var graph = result.graph
            try SchedulePass().run(&graph, context: PassContext(target: target, deployment: report.deployment))
            let schedule = try #require(graph.schedule)
            let estimate = try #require(PerformanceEstimate(graph: graph, target: target))
            let parts = estimate.computeCycles + estimate.elementwiseCycles + estimate.allreduceCycles + estimate.handoffCycles + estimate.waferLinkCycles
            #expect(parts - estimate.overlappedCycles - estimate.parallelCycles == estimate.cyclesPerToken, "\(model) at overlap \(r): the split does not sum")
            #expect(schedule.cyclesPerToken == schedule.phases.map(\.end).max(), "\(model): cycles per token is not the makespan")
            let plan = try PlanBuilder.build(graph: graph, target: target, context: report.context,
                                             provenance: .init(modelPath: count.modelPath, modelBytes: bytes, defects: report.defectSummary,
                                                               wafersRequested: "auto", precision: graph.precision.description))
            #expect(plan.target.reductionOverlap == (r == 0 ? nil : r))
            // The key is written only when non-zero and reads back; the executor gets the plan as a file would give it.
            let data = try PlanIO.encode(plan)
            #expect(String(decoding: data, as: UTF8.self).contains("\"reduction_overlap\"") == (r != 0))
            #expect(try PlanIO.decode(data, file: "overlap.plan.json") == plan)
            #expect(PlanCheck.problems(plan) == [], "\(model) at overlap \(r)")
            var log = ViolationLog(limit: 8)
            ScheduleCheck.run(plan, log: &log)
            #expect(log.isEmpty, "\(model) at overlap \(r): \(log.items)")
            let simulation = TimingSimulation(plan: plan)
            figures.append(Figures(overlap: r, predicted: schedule.cyclesPerToken, simulated: simulation.cyclesPerToken,
                                   overlapped: schedule.overlappedCycles))
            print("overlap-agreement: \(model) defects \(report.defectSummary) overlap \(r): predicted \(schedule.cyclesPerToken) cycles "
                  + "(\(String(format: "%.1f", schedule.tokensPerSecond)) tokens/s), simulated \(simulation.cyclesPerToken) "
                  + "(\(String(format: "%.1f", simulation.tokensPerS)) tokens/s), simulated/predicted tokens/s \(String(format: "%.4f", figures.last!.ratio)), "
                  + "overlapped \(schedule.overlappedCycles) / \(simulation.overlappedCycles)")
        }
        return (plain, figures)
    }

    static func assertRule(_ model: String, defects: DefectRequest) throws {
        let (plain, figures) = try run(model, defects: defects)
        let zero = try #require(figures.first)
        #expect(zero.predicted == plain, "\(model): overlap 0 must give today's cycles")
        #expect(zero.overlapped == 0)
        for (a, b) in zip(figures, figures.dropFirst()) {
            #expect(b.predicted <= a.predicted, "\(model): overlap \(b.overlap) predicts more cycles than \(a.overlap)")
            #expect(b.simulated <= a.simulated, "\(model): overlap \(b.overlap) simulates more cycles than \(a.overlap)")
        }
        // The products and reductions of a decoder layer overlap for real: full overlap saves cycles.
        #expect(figures.last!.predicted < plain && figures.last!.overlapped > 0, "\(model): overlap 1 hides nothing")
        for f in figures {
            #expect(abs(f.ratio - 1) <= tolerance, "\(model) at overlap \(f.overlap): simulated / predicted = \(f.ratio)")
        }
    }

    static let clustered = DefectRequest.generate(rate: 0.001, seed: 1, clustered: true)

    @Test func tinyOverlapIsMonotoneAndAgrees() throws {
        try Self.assertRule("examples/models/tiny.yaml", defects: .none)
        try Self.assertRule("examples/models/tiny.yaml", defects: Self.clustered)
    }

    @Test func llama8BOverlapIsMonotoneAndAgrees() throws {
        try Self.assertRule("examples/models/llama-3.1-8b.yaml", defects: .none)
        try Self.assertRule("examples/models/llama-3.1-8b.yaml", defects: Self.clustered)
    }

    /// H_X = floor(r x min(C_X, S_X)), clamped: nothing at 0, never more than either term.
    @Test func hiddenCyclesFollowTheRule() {
        #expect(SchedulePass.hiddenCycles(compute: 1000, streamed: 300, overlap: 0) == 0)
        #expect(SchedulePass.hiddenCycles(compute: 1000, streamed: 300, overlap: 0.5) == 150)
        #expect(SchedulePass.hiddenCycles(compute: 101, streamed: 300, overlap: 0.5) == 50)
        #expect(SchedulePass.hiddenCycles(compute: 1000, streamed: 300, overlap: 1) == 300)
        #expect(SchedulePass.hiddenCycles(compute: 1000, streamed: 300, overlap: 7) == 300)
        #expect(SchedulePass.hiddenCycles(compute: 1000, streamed: 300, overlap: .nan) == 0)
    }

    /// A plan without `reduction_overlap` reads as 0; a value outside 0...1 is refused.
    @Test func planKeyIsOptionalAndChecked() throws {
        var target = try BuiltinTargets.resolve("wse3", kernels: "waferllm-wse2")
        #expect(target.reductionOverlap == 0)
        // The plan names the kernel profile its sustained figures came from.
        #expect(PlanBuilder.target(target).kernels == "waferllm-wse2")
        #expect(PlanBuilder.target(try BuiltinTargets.resolve("wse3")).kernels == "production-wse3")
        #expect(PlanBuilder.target(target).reductionOverlap == nil && PlanBuilder.target(target).overlapFraction == 0)
        target.reductionOverlap = 0.25
        #expect(PlanBuilder.target(target).reductionOverlap == 0.25)
        #expect(throws: DiagnosticError.self) {
            _ = try Target(figuresFrom: "test", name: "t", description: "", fabricWidth: 64, fabricHeight: 64, halo: Halo(west: 0, east: 0, north: 0, south: 0),
                           sramBytesPerPE: 48 * 1024, runtimeReserveBytesPerPE: 1024, bufferBytesPerPE: 1024, macsPerCycle: [.fp16: 1],
                           routableColors: 24, reservedColors: 3, clockMHz: 1000, hopLatencyCycles: 1, rampLatencyCycles: 1, relayLatencyCycles: 1,
                           layerOverheadCycles: 0, waveletBits: 32, waferLinkGbps: 100, waferLinkLatencyNs: 100, reductionOverlap: 1.5)
        }
    }

    /// Every example model at overlap 0 / 0.5 / 1, with and without the clustered map (opt-in: slow).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["WAFERMAP_OVERLAP_ZOO"] == "1"), arguments: CompileEveryModelTests.examples)
    func everyExampleOverlapAgrees(_ model: String) throws {
        try Self.assertRule(model, defects: .none)
        try Self.assertRule(model, defects: Self.clustered)
    }
}
