import Testing
import WaferFrontend
import WaferIR
@testable import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// The partition's tile fit: the byte figure it packs by is the tile pass's, its stacking follows
/// the tile pass's rule, and the wafers it fills tile in one pipeline run.
@Suite struct TileFitTests {
    /// `TilePass.bytesPerPE` (what the fit packs by) equals the full evaluation's bytes, and the
    /// raw bytes over the slot's PEs never exceed it, for dense and MoE units, with and without
    /// experts kept beside the base, on several slots.
    @Test(arguments: ["kimi-k2", "llama-3.1-8b", "mixtral-8x7b"])
    func bytesPerPEEqualsTheEvaluation(_ model: String) throws {
        let graph = try ModelLoader.load(path: TestPaths.example(model))
        let target = try BuiltinTargets.resolve("wse3")
        let costModel = CostModel(target: target)
        let kv = KVCacheShape(contextTokens: 8192, batch: 1, element: .bf16)
        let config = TileConfig()
        let units = TilePass.units(graph).prefix(4)
        var checked = 0
        for unit in units {
            let experts: [Int] = unit.expertOp.map { op -> [Int] in
                guard case let .moe(a) = graph.ops[op].kind else { return [0] }
                return [0, 1, 7, a.experts / 3, a.experts]
            } ?? [0]
            for n in experts {
                for base in [true, false] where base || n > 0 {
                    var piece = unit
                    piece.base = base
                    piece.experts = 0..<n
                    if !base, let op = unit.expertOp { piece.ops = op..<(op + 1) }
                    for (w, h) in [(755, 1170), (377, 585), (251, 130), (47, 47)] {
                        let full = TilePass.evaluate(piece, graph: graph, width: w, height: h, model: costModel, kv: kv, config: config).bytes
                        #expect(TilePass.bytesPerPE(piece, graph: graph, width: w, height: h, kv: kv, config: config) == full, "\(piece.name) n=\(n) on \(w)x\(h)")
                        // The raw bytes over the slot's PEs bound it from below (the prefilters' premise).
                        #expect((TilePass.rawBytes(piece, graph: graph, kv: kv) + w * h - 1) / (w * h) <= full, "\(piece.name) n=\(n) on \(w)x\(h)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked >= 16)
    }

    /// Next-fit on one geometry: pieces join the open group while it holds them; a piece that
    /// needs a group beyond the usable slots retires the geometry, one bigger than a slot
    /// retires the grid's wider spare counts too; growing the last piece re-stacks it.
    @Test func stackingFollowsTheTilePassRule() {
        let geometries = [WaferFit.Geometry(width: 10, height: 10, usable: 2, grid: 0, size: 0),
                          WaferFit.Geometry(width: 9, height: 10, usable: 3, grid: 0, size: 1),
                          WaferFit.Geometry(width: 5, height: 5, usable: 8, grid: 1, size: 2)]
        var fit = WaferFit(geometries: geometries, budget: 100)
        func bytes(_ a: Int, _ b: Int, _ c: Int) -> (WaferFit.Geometry) -> Int { { [a, b, c][$0.size] } }
        do { let added = fit.add(bytes(60, 60, 90)); #expect(added == true) }
        do { let added = fit.add(bytes(30, 30, 20)); #expect(added == true) }  // joins group 0 on 0 and 1 (90 of 100), opens group 1 on 2
        func settled(_ g: Int) -> (Int, Int) {
            let s = fit.settle(fit.stacks[g], last: fit.stacks[g].last ?? 0)
            return (s.groups, s.open)
        }
        #expect(settled(0) == (1, 90) && settled(1) == (1, 90) && settled(2) == (2, 20))
        // 50 more: a second group on geometries 0 and 1; geometry 2's piece is over a slot,
        // which is its grid's only geometry.
        #expect(fit.canAdd(bytes(50, 50, 101)))
        do { let added = fit.add(bytes(50, 50, 101)); #expect(added == true) }
        #expect(fit.status == [.live, .live, .out])
        // A third group: over geometry 0's two usable slots, within geometry 1's three.
        do { let added = fit.add(bytes(70, 70, 1)); #expect(added == true) }
        #expect(fit.status == [.tooManyGroups, .live, .out])
        // Growing the last piece past a slot on geometry 0 retires the grid's wider spare count
        // (geometry 1) too, as the tile pass stops at a spare count where a unit does not fit.
        #expect(!fit.canGrowLast(bytes(101, 90, 1)))
        #expect(fit.canGrowLast(bytes(90, 90, 1)))
        do { let added = fit.add(bytes(200, 200, 200)); #expect(added == false) }
        #expect(fit.status == [.tooManyGroups, .live, .out])  // a refused piece changes nothing
    }

    /// Models whose bytes-only partition did not tile (Kimi K2.5 and Qwen2.5-72B needed 11
    /// re-partitions before the fit) tile in one run through `tile`, with the bytes spread.
    @Test(arguments: ["kimi-k2.5", "qwen2.5-72b", "glm-4.5"])
    func partitionedWafersTileInOneRun(_ model: String) throws {
        var graph = try ModelLoader.load(path: TestPaths.example(model))
        let context = PassContext(target: try BuiltinTargets.resolve("wse3"))
        _ = try PassManager(passes: try PassRegistry.pipeline(through: "tile")).run(&graph, context: context)
        let partition = try #require(graph.partition)
        let layout = try #require(graph.layout)
        #expect(layout.wafers.count == partition.stages.count)
        #expect(partition.fillLimit < 1 && partition.fillLimit > 0.5)
        #expect(layout.wafers.allSatisfy { $0.groupBytesPerPE.allSatisfy { $0 <= 38_912 } })
    }
}
