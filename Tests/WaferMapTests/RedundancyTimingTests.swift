import Foundation
import Testing
import WaferBackend
import WaferExec
import WaferMap
import WaferIR
import WaferPasses
import WaferPlan
import WaferSupport
import WaferTarget
import WaferTestSupport

/// Defects the spare rows absorb cost their bypass hops, in the compiler's schedule and in the
/// executor's timing simulation alike (docs/redundancy.md), and the plan records each wafer's repair.
@Suite struct RedundancyTimingTests {
    struct Run { var predicted: Int; var simulated: Int; var plan: Plan }

    static func run(_ model: String, target: String = "wse3", defects: DefectRequest, repair: RepairMode? = nil) throws -> Run {
        var count = CountRequest(modelPath: TestPaths.root.appendingPathComponent(model).path)
        count.target = target
        count.defects = defects
        count.repair = repair
        let report = try Driver.count(count)
        let result = try #require(report.results.first)
        let graph = result.graph
        let bytes = try Data(contentsOf: URL(fileURLWithPath: count.modelPath))
        let plan = try PlanBuilder.build(graph: graph, target: report.target, context: report.context,
                                         provenance: .init(modelPath: count.modelPath, modelBytes: bytes, defects: report.defectSummary,
                                                           wafersRequested: "auto", precision: graph.precision.description))
        // The executor gets the plan as a file gives it.
        let back = try PlanIO.decode(try PlanIO.encode(plan), file: "r.plan.json")
        #expect(back == plan)
        #expect(PlanCheck.problems(back) == [])
        let simulated = TimingSimulation(plan: back).cyclesPerToken
        let predicted = try #require(graph.schedule).cyclesPerToken
        print("redundancy-timing: \(model) on \(target), \(report.defectSummary): predicted \(predicted) cycles, simulated \(simulated)")
        return Run(predicted: predicted, simulated: simulated, plan: back)
    }

    /// Llama 3.1 8B on WSE-3 at 0.5% clustered physical defects: every one absorbed or nearly,
    /// bypass hops on every wafer, both timings pay them and agree within 10%.
    @Test func absorbedDefectsCostBypassHopsInBothTimings() throws {
        let model = "examples/models/llama-3.1-8b.yaml"
        let clean = try Self.run(model, defects: .none)
        let repaired = try Self.run(model, defects: .generate(rate: 0.005, seed: 3, clustered: true))
        let wafer = try #require(repaired.plan.wafers.first)
        let r = try #require(wafer.redundancy, "the plan records the repair")
        #expect(r.physicalDeadPes > 1000 && r.absorbed + r.holes == r.physicalDeadPes && r.holes == wafer.deadPes.count)
        #expect(r.bypassHopsRows > 0 && r.bypassHopsColumns > 0)
        #expect(repaired.predicted > clean.predicted && repaired.simulated > clean.simulated, "bypass hops cost cycles")
        let ratio = Double(repaired.simulated) / Double(repaired.predicted)
        #expect(abs(ratio - 1) <= 0.10, "simulated / predicted = \(ratio)")
        #expect(clean.plan.wafers.allSatisfy { $0.redundancy == nil })
    }

    /// The small test target with spare rows: tiny maps at 2% physical defects, and the plan
    /// written without a redundancy key when the repair is off.
    @Test func smallTargetWithSpareRows() throws {
        let target = TestPaths.fixture("targets/small64r.yaml")
        let repaired = try Self.run("examples/models/tiny.yaml", target: target, defects: .generate(rate: 0.02, seed: 2, clustered: false))
        #expect(repaired.plan.wafers.allSatisfy { $0.redundancy != nil })
        let ratio = Double(repaired.simulated) / Double(max(repaired.predicted, 1))
        #expect(abs(ratio - 1) <= 0.10, "simulated / predicted = \(ratio)")
        let none = try Self.run("examples/models/tiny.yaml", target: target, defects: .generate(rate: 0.02, seed: 2, clustered: false), repair: RepairMode.none)
        #expect(none.plan.wafers.allSatisfy { $0.redundancy == nil })
        let text = String(decoding: try PlanIO.encode(none.plan), as: UTF8.self)
        #expect(!text.contains("\"redundancy\""))
    }

    /// A tampered redundancy record is refused at its field.
    @Test func planRedundancyIsReadWithBounds() throws {
        let run = try Self.run("examples/models/tiny.yaml", target: TestPaths.fixture("targets/small64r.yaml"), defects: .generate(rate: 0.02, seed: 2, clustered: false))
        var text = String(decoding: try PlanIO.encode(run.plan), as: UTF8.self)
        let r = try #require(run.plan.wafers.first?.redundancy)
        text = text.replacingOccurrences(of: "\"absorbed\":\(r.absorbed),", with: "\"absorbed\":\(r.absorbed + 1),")
        do {
            _ = try PlanIO.decode(Data(text.utf8), file: "t.plan.json")
            Issue.record("accepted absorbed + holes != physical_dead_pes")
        } catch {
            let d = try #require(error.diagnostics.first)
            #expect(d.message.hasPrefix("wafers[0].redundancy.holes: absorbed"), "\(d.message)")
            #expect(d.location?.line == 1 && (d.location?.column ?? 0) > 1)
        }
    }

    /// A row line pays the bypasses of the blocks and column windows its slot spans, not the
    /// whole wafer's: compiler (`RowBypassProfile`) and executor (`RowBypass`) compute the same
    /// figure for every used slot's rows from their own data, and a slot narrower than the wafer
    /// pays at most the wafer's figure (Llama 3.1 8B: two slot columns of 377 PEs).
    @Test func rowLinesPayTheWindowsTheirSlotSpans() throws {
        let run = try Self.run("examples/models/llama-3.1-8b.yaml", defects: .generate(rate: 0.001, seed: 1, clustered: true))
        var compared = 0, narrower = 0
        for w in run.plan.wafers {
            let r = try #require(w.redundancy)
            #expect(r.rowWindows != nil && r.rowWindowsPerBlock != nil)
            for slot in Set(w.groupSlots) {
                let rows = 0..<w.slotHeight
                let executor = RowBypass.hops(r, wafer: w, slot: slot, rows: rows)
                let profile = RowBypassProfile(windows: r.rowWindows ?? [], windowColumns: r.rowWindowColumns ?? 0, windowsPerBlock: r.rowWindowsPerBlock ?? 0,
                                               blockRows: r.blockRows ?? 0, linkHops: r.rowLinkHops ?? 0, wholeWafer: r.bypassHopsRows)
                let x0 = w.originX + (slot % w.gridColumns) * (w.slotWidth + w.spareColumns), y0 = w.originY + (slot / w.gridColumns) * w.slotHeight
                let compiler = profile.hops(columns: x0..<(x0 + w.slotWidth + w.spareColumns), rows: y0..<(y0 + w.slotHeight))
                #expect(executor == compiler, "slot \(slot): executor \(executor), compiler \(compiler)")
                #expect(executor <= r.bypassHopsRows)
                if executor < r.bypassHopsRows { narrower += 1 }
                compared += 1
            }
        }
        #expect(compared > 0 && narrower > 0, "no slot pays less than the whole wafer's row figure")
        #expect(abs(Double(run.predicted) / Double(max(run.simulated, 1)) - 1) < 0.02)
    }
}
