import Foundation
import Testing
import WaferBackend
import WaferExec
import WaferIR
import WaferMap
import WaferPasses
import WaferPerf
import WaferPlan
import WaferReport
import WaferSupport
import WaferTestSupport

/// Remote experts in parallel (docs/routing-and-schedule.md): a layer's expert slices on other
/// wafers start when the layer's router allreduce ends and the layer's elementwise work waits for
/// max(local chain, every slice). Checked on the compiler's schedule, on the split, on the plan
/// checks (which refuse a slice starting before the router), and against the executor's timing
/// simulation, on two models that spill experts: the moe-spill fixture on small32 (two slices
/// per layer, local experts too) and tiny on small32 with three wafers packed full
/// (`partition.fill-steps=0`: one slice, no local experts; with its bytes spread over three wafers
/// tiny spills no expert).
@Suite struct RemoteExpertsTests {
    static let spill = "Tests/Fixtures/models/moe-spill.yaml"

    static func mapped(_ model: String, wafers: Int? = nil) throws -> (report: CountReport, graph: Graph) {
        var count = CountRequest(modelPath: TestPaths.root.appendingPathComponent(model).path)
        count.target = "small32"
        if let wafers {
            count.deployment.wafers = .exactly(wafers)
            count.passOptions.partition.fillSteps = 0
        }
        let report = try Driver.count(count)
        return (report, try #require(report.results.first).graph)
    }

    static func plan(_ report: CountReport, _ graph: Graph, model: String) throws -> Plan {
        let path = TestPaths.root.appendingPathComponent(model).path
        return try PlanBuilder.build(graph: graph, target: report.target, context: report.context,
                                     provenance: .init(modelPath: path, modelBytes: try Data(contentsOf: URL(fileURLWithPath: path)),
                                                       defects: report.defectSummary, wafersRequested: "auto", precision: graph.precision.description))
    }

    /// Per layer with slices: its router's end, its local chain's end (before its elementwise
    /// work), its first elementwise start, and each slice's first start and last end.
    struct Fork { var router: Int; var localEnd: Int; var join: Int; var slices: [(start: Int, end: Int)] }

    static func forks(_ graph: Graph) throws -> [Fork] {
        let schedule = try #require(graph.schedule), layout = try #require(graph.layout), routing = try #require(graph.routing)
        var out: [Fork] = []
        for (b, base) in layout.units.enumerated() where base.holdsBase {
            let slices = layout.units.indices.filter { s in
                !layout.units[s].holdsBase && layout.units[s].expertOp.map { base.ops.contains($0) } ?? false
            }
            guard !slices.isEmpty else { continue }
            let mine = schedule.phases.filter { $0.unit == b }
            let router = try #require(mine.first { $0.flow.map { routing.flows[$0].label } == "router" })
            let local = mine.filter { $0.kind != .elementwise }
            let join = try #require(mine.first { $0.kind == .elementwise })
            let spans: [(start: Int, end: Int)] = slices.map { s in
                let phases = schedule.phases.filter { $0.unit == s }
                return (start: phases.map { $0.start }.min() ?? 0, end: phases.map { $0.end }.max() ?? 0)
            }
            out.append(Fork(router: router.end, localEnd: local.map { $0.end }.max() ?? 0, join: join.start, slices: spans))
        }
        return out
    }

    @Test func slicesForkAtTheRouterAndJoinBeforeTheElementwiseWork() throws {
        let (_, graph) = try Self.mapped(Self.spill)
        let forks = try Self.forks(graph)
        #expect(forks.count == 2, "the fixture spills both layers' experts")
        for f in forks {
            #expect(f.slices.count == 2)
            // The first slice starts when the router ends, the others no earlier.
            let starts: [Int] = f.slices.map { $0.start }, ends: [Int] = f.slices.map { $0.end }
            #expect(starts.min() == f.router)
            #expect(starts.allSatisfy { $0 >= f.router })
            // The first slice runs beside the local experts: it starts before the local chain ends
            // (the second waits for the first's dispatch on the layer's outgoing edge bundle).
            #expect((starts.min() ?? .max) < f.localEnd)
            #expect(f.join == max(f.localEnd, ends.max() ?? 0))
        }
        // At least one slice outlasts its layer's local chain here: it is the critical path.
        #expect(forks.contains { f in f.slices.contains { $0.end > f.localEnd } })
    }

    @Test func theSplitSumsWithTheParallelCycles() throws {
        for (model, wafers) in [(Self.spill, nil), ("examples/models/tiny.yaml", 3)] as [(String, Int?)] {
            let (report, graph) = try Self.mapped(model, wafers: wafers)
            let schedule = try #require(graph.schedule)
            let estimate = try #require(PerformanceEstimate(graph: graph, target: report.target))
            let work: Int = estimate.computeCycles + estimate.elementwiseCycles
            let parts: Int = work + estimate.allreduceCycles + estimate.handoffCycles + estimate.waferLinkCycles
            #expect(estimate.parallelCycles > 0, "\(model)")
            #expect(parts - estimate.overlappedCycles - estimate.parallelCycles == estimate.cyclesPerToken, "\(model)")
            #expect(schedule.cyclesPerToken == schedule.phases.map(\.end).max())
            // The serial chain would take every phase's cycles less the streamed ones.
            let phaseCycles: Int = schedule.phases.reduce(0) { $0 + $1.cycles }
            #expect(schedule.cyclesPerToken < phaseCycles - schedule.overlappedCycles)
            // The re-timed schedule (performance range, production fit) keeps the rule.
            #expect(SchedulePass.retimed(graph, on: report.target)?.schedule?.cyclesPerToken == schedule.cyclesPerToken)
        }
    }

    @Test func theExecutorAgreesAndTheChecksHold() throws {
        for (model, wafers) in [(Self.spill, nil), ("examples/models/tiny.yaml", 3)] as [(String, Int?)] {
            let (report, graph) = try Self.mapped(model, wafers: wafers)
            let plan = try Self.plan(report, graph, model: model)
            #expect(PlanCheck.problems(plan) == [], "\(model)")
            var log = ViolationLog(limit: 8)
            ScheduleCheck.run(plan, log: &log)
            #expect(log.isEmpty, "\(model): \(log.items)")
            let simulation = TimingSimulation(plan: plan)
            let predicted = try #require(graph.schedule).cyclesPerToken
            let ratio = Double(predicted) / Double(max(simulation.cyclesPerToken, 1))
            #expect(abs(ratio - 1) <= 0.01, "\(model): predicted \(predicted), simulated \(simulation.cyclesPerToken)")
            #expect(simulation.parallelCycles > 0, "\(model): the simulation runs the slices beside their layer")
            let kinds: Int = simulation.cyclesByKind.values.reduce(0, +)
            #expect(kinds - simulation.overlappedCycles - simulation.parallelCycles == simulation.cyclesPerToken)
        }
    }

    /// `count --perf`: the text's `parallel` line and the JSON's `parallel_cycles` are the same
    /// figure, and the JSON split sums.
    @Test func countPerfPrintsTheParallelCycles() throws {
        let args = ["count", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--pass-option", "partition.fill-steps=0", "--perf"]
        let text = try CLI.run(args), out = try CLI.run(args + ["--format", "json"])
        #expect(text.status == 0 && out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let p = try #require(json["performance"] as? [String: Any])
        let split = try #require(p["time_split"] as? [String: Any])
        let cycles = try #require(p["cycles_per_token"] as? Int)
        let parts = ["compute_cycles", "on_wafer_cycles", "wafer_to_wafer_cycles"].compactMap { split[$0] as? Int }
        let overlapped = try #require(split["overlapped_cycles"] as? Int), parallel = try #require(split["parallel_cycles"] as? Int)
        #expect(parallel > 0 && parts.count == 3 && parts.reduce(0, +) - overlapped - parallel == cycles)
        let us = String(format: "%.1f", Double(parallel) / (try #require(p["clock_mhz"] as? Double)))
        #expect(text.stdout.contains("parallel -\(us) us"), "\(text.stdout)")
    }

    /// `check --timing --format json`: the simulation's kinds less its overlapped and parallel
    /// cycles are its cycles per token, and the slices run beside their layer.
    @Test func checkTimingReportsTheParallelCycles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remote-experts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("tiny3.plan.json").path
        let compile = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--pass-option", "partition.fill-steps=0", "-o", plan])
        #expect(compile.status == 0, "\(compile.stderr)")
        let out = try CLI.run(["check", plan, "--timing", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let timing = try #require(json["timing"] as? [String: Any])
        let kinds = try #require(timing["cycles_by_kind"] as? [String: Int]).values.reduce(0, +)
        let overlapped = try #require(timing["overlapped_cycles"] as? Int), parallel = try #require(timing["parallel_cycles"] as? Int)
        #expect(parallel > 0 && kinds - overlapped - parallel == (timing["simulated_cycles_per_token"] as? Int))
    }

    @Test func aSliceStartingBeforeItsRouterIsRefused() throws {
        let (report, graph) = try Self.mapped(Self.spill)
        var plan = try Self.plan(report, graph, model: Self.spill)
        let phases = plan.schedule.phases
        let router = try #require(plan.routing.flows.first { $0.label == "router" }).id
        let routerPhase = try #require(phases.firstIndex { $0.flow == router })
        let slice = try #require(phases.indices.first { $0 > routerPhase && PlanScheduleChains.isExpertSlice(plan.units[phases[$0].unit]) })
        plan.schedule.phases[slice].startCycle -= 1
        plan.schedule.phases[slice].endCycle -= 1
        #expect(!PlanCheck.problems(plan).isEmpty)
        var log = ViolationLog(limit: 8)
        ScheduleCheck.run(plan, log: &log)
        #expect(!log.isEmpty)
    }
}
