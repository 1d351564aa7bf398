import Foundation
import Testing
import WaferExec
import WaferIR
import WaferMap
import WaferPasses
import WaferPlan
import WaferReport
import WaferTestSupport

/// Compact regions (docs/tiling-and-placement.md, "Compact regions"): a unit whose routed
/// experts fill its slot tiles its dense weights and KV cache over a full-width band. The tiny
/// model on WSE-3 takes them (its MoE layers sit on 53 x 73 slots; `wafermap ir
/// examples/models/tiny.yaml --print-ir-after=place`). Asserts: only units holding experts get a
/// region, inside their slot, one per slot; the group's whole-slot alternative is modelled slower; the
/// compiled schedule is no slower than with `tile.region-steps=0` (today's mapping, same model);
/// the plan records the regions, reads back, passes its own check and the executor's structural,
/// numeric and timing checks, and the executor's simulated decode agrees with the prediction.
@Suite struct CompactRegionTests {
    static func count(regionSteps: Int? = nil, context: Int = 8_192) throws -> CountReport {
        var request = CountRequest(modelPath: TestPaths.example("tiny"))
        request.deployment.contextTokens = context
        request.lastPass = "schedule"
        if let regionSteps { try request.passOptions.set("tile.region-steps", to: .integer(regionSteps)) }
        return try Driver.count(request)
    }

    @Test func moeUnitsTakeOneBandPerSlot() throws {
        let graph = try #require(try Self.count().results.first).graph
        let layout = try #require(graph.layout)
        let withRegion = layout.units.filter { $0.region != nil }
        #expect(!withRegion.isEmpty, "tiny's MoE layers should take compact regions on WSE-3")
        for unit in layout.units {
            let tiling = try #require(layout.wafers.first { $0.wafer == unit.wafer })
            guard let r = unit.region else { continue }
            let name: String = unit.name
            #expect(unit.cells != nil && unit.holdsBase, "\(name): a region without experts")
            let inside: Bool = r.width == tiling.slotWidth && r.height < tiling.slotHeight && r.row0 + r.height <= tiling.slotHeight
            #expect(inside, "\(name): region \(r) outside its slot")
            #expect(unit.wholeSlotModeledCycles != nil, "\(name): no whole-slot alternative recorded")
        }
        // One region per slot: the units of a group share it.
        for tiling in layout.wafers {
            for group in 0..<tiling.groupCount {
                let members: [UnitTiling] = layout.units.filter { $0.wafer == tiling.wafer && $0.group == group && $0.cells != nil }
                let regions: Set<RegionShape?> = Set(members.map(\.region))
                #expect(regions.count <= 1, "wafer \(tiling.wafer) group \(group): \(regions.count) regions")
                // The group's units together are modelled faster than on the whole slot.
                let withRegions = members.filter { $0.region != nil }
                let whole: Int = withRegions.reduce(0) { $0 + ($1.wholeSlotModeledCycles ?? 0) }
                let compact: Int = withRegions.reduce(0) { $0 + $1.modeledCycles }
                #expect(withRegions.isEmpty || compact < whole, "wafer \(tiling.wafer) group \(group): \(compact) cycles, whole slot \(whole)")
            }
        }
        try Verifier.verify(graph, after: "test")
    }

    @Test func noSlowerThanTheWholeSlotMapping() throws {
        let compact = try #require(try Self.count().results.first?.graph.schedule).cyclesPerToken
        let whole = try #require(try Self.count(regionSteps: 0).results.first?.graph)
        #expect(try #require(whole.layout).units.allSatisfy { $0.region == nil })
        let wholeCycles = try #require(whole.schedule).cyclesPerToken
        #expect(compact < wholeCycles, "compact \(compact) cycles per token, whole slot \(wholeCycles)")
    }

    @Test func regionLadderDescendsToOneSixtyFourth() {
        let sizes = TilePass.regionLadder(1_170, steps: 13)
        #expect(sizes.first == 1_170)
        #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 > $1 })
        #expect((sizes.last ?? 0) >= 1_170 / 64 && (sizes.last ?? 0) <= 1_170 / 64 + 1)
        #expect(TilePass.regionLadder(1, steps: 13) == [1])
        #expect(TilePass.regionLadder(500, steps: 0) == [500])
    }

    @Test func thePlanCarriesRegionsAndTheExecutorAgrees() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-region-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.plan.json").path
        let out = try CLI.run(["compile", TestPaths.example("tiny"), "--context", "1024", "-o", path])
        #expect(out.status == 0, "\(out.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"dense_region\":{\""), "the plan records no region")
        let plan = try PlanIO.read(path: path)
        #expect(plan.units.contains { $0.denseRegion != nil })
        #expect(PlanCheck.problems(plan) == [])
        let schemaData = try Data(contentsOf: TestPaths.root.appendingPathComponent("docs/plan.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        #expect(JSONSchemaValidator(schema: schema).errors(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) == [])
        var options = Executor.Options()
        (options.numeric, options.timing) = (true, true)
        let report = Executor.run(plan, options: options)
        #expect(report.passed, "\(report.violations.items) \(report.numeric.map { "\($0)" } ?? "")")
        let simulated = try #require(report.timing).cyclesPerToken
        let ratio = Double(plan.schedule.cyclesPerToken) / Double(max(simulated, 1))
        #expect(abs(ratio - 1) < 0.10, "predicted \(plan.schedule.cyclesPerToken) cycles, simulated \(simulated)")
        // A region outside its slot is refused by the plan's own check.
        var bad = plan
        let i = try #require(bad.units.firstIndex { $0.denseRegion != nil })
        bad.units[i].denseRegion?.row0 = 10_000
        #expect(PlanCheck.problems(bad).contains { $0.contains("region") })
    }
}

/// `sweep`'s note on what extra wafers buy: the best mapping per wafer count, the change per user
/// and in aggregate, and the reason the time split gives.
@Suite struct WaferGainNoteTests {
    static func point(_ wafers: Int, _ tokensPerS: Double, aggregate: Double, mapping: String = "1x7 slots of 755x167",
                      allreduce: Double = 55, mac: Double = 15) -> WaferGainNote.Point {
        .init(wafers: wafers, tokensPerS: tokensPerS, aggregateTokensPerS: aggregate, mapping: mapping, allreducePercent: allreduce, macPercent: mac)
    }

    @Test func flatSpeedSaysWhy() {
        let text = WaferGainNote.text([Self.point(5, 1059.2, aggregate: 11_650), Self.point(6, 1065.7, aggregate: 25_577),
                                       Self.point(6, 900, aggregate: 1), Self.point(8, 1064.8, aggregate: 40_068)])
        #expect(text.contains("5 -> 8 wafers: at best +0.6% tokens/s per user (at 6; 5: 1059.2, 6: 1065.7, 8: 1064.8)"), "\(text)")
        #expect(text.contains("+243.9% aggregate tokens/s at 8"), "\(text)")
        #expect(text.contains("55% of a token spent in allreduces") && text.contains("15% in MACs"), "\(text)")
    }

    @Test func gainSaysMACsFall() {
        let text = WaferGainNote.text([Self.point(32, 400, aggregate: 10_000, mac: 32), Self.point(48, 480, aggregate: 14_000, mac: 25)])
        // MACs: 32% of 2,500 us = 800 us at 400 tokens/s, 25% of 2,083 us = 521 us at 480.
        #expect(text.contains("at best +20.0% tokens/s per user (at 48") && text.contains("MACs 800 -> 521 us"), "\(text)")
    }

    @Test func oneCountSaysNothing() {
        #expect(WaferGainNote.text([Self.point(5, 1059.2, aggregate: 11_650)]).isEmpty)
    }
}
