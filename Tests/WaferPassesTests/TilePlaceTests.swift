import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// Tiling and placement invariants, checked independently of the verifier by enumerating every
/// tile position of every used slot (small targets only: 64 x 64 PEs at most).
@Suite struct TilePlaceTests {
    func place(_ model: String, target: String = "small64", defects: WaferDefects = .none, seed: UInt64 = 1,
               context: Int = 256) throws -> (Graph, Target) {
        let t = try BuiltinTargets.resolve(target)
        let map = DefectMap(targetName: t.name, fabricWidth: t.fabricWidth, fabricHeight: t.fabricHeight, wafers: [defects])
        var graph = try ModelLoader.load(path: TestPaths.example(model))
        let context = PassContext(target: t, defects: .map(map), deployment: DeploymentOptions(contextTokens: context, seed: seed))
        _ = try PassManager(passes: PassRegistry.all).run(&graph, context: context)
        return (graph, t)
    }

    /// Every tile position of every used slot maps to a distinct live PE inside the program
    /// rectangle; per-PE bytes fit; every op is tiled once.
    func checkPhysical(_ graph: Graph, _ target: Target, _ defects: WaferDefects) throws {
        let layout = try #require(graph.layout)
        for tiling in layout.wafers {
            let slots = try #require(tiling.groupSlot)
            var occupied = Set<Int>()
            for (group, slot) in slots.enumerated() {
                #expect(tiling.groupBytesPerPE[group] <= target.dataBytesPerPE)
                let rect = tiling.rect(ofSlot: slot)
                for row in 0..<tiling.slotHeight {
                    let y = rect.y + row
                    let deadInRow = (rect.x..<(rect.x + rect.width)).filter { defects.isDead(pe: Int32(y * target.fabricWidth + $0)) }
                    for column in 0..<tiling.slotWidth {
                        let x = try #require(tiling.physicalColumn(slot: slot, logicalColumn: column, deadColumnsInRow: deadInRow))
                        #expect(target.inProgramArea(x: x, y: y), "tile at (\(x), \(y)) is in the halo")
                        #expect(!defects.isDead(pe: Int32(y * target.fabricWidth + x)), "tile on dead PE (\(x), \(y))")
                        #expect(occupied.insert(y * target.fabricWidth + x).inserted, "two slots share PE (\(x), \(y))")
                    }
                }
            }
        }
        var tiledOps = Array(repeating: 0, count: graph.ops.count)
        for unit in layout.units where !unit.name.contains(" experts ") {
            for op in unit.ops { tiledOps[op] += 1 }
        }
        #expect(tiledOps.allSatisfy { $0 == 1 })
        try Verifier.verify(graph, after: "test")
    }

    @Test(arguments: ["small32", "small64"])
    func tinyOnSmallFabrics(_ target: String) throws {
        let (graph, t) = try place("tiny", target: target)
        try checkPhysical(graph, t, .none)
    }

    @Test func tileBytesByHand() throws {
        let (graph, _) = try place("tiny")
        let layout = try #require(graph.layout)
        let tiling = layout.wafers[0]
        let w = tiling.slotWidth, h = tiling.slotHeight
        // Layer 0: rmsnorm [64]; attention q [64,64], k/v [32,64], o [64,64] (transposed), q/k norms [16];
        // post norm [64]; mlp gate/up [128,64], down [64,128] (transposed). bf16, 2 bytes a value.
        func m(_ out: Int, _ input: Int) -> Int { Checked.ceilDiv(out, w) * Checked.ceilDiv(input, h) * 2 }
        func mT(_ out: Int, _ input: Int) -> Int { Checked.ceilDiv(out, h) * Checked.ceilDiv(input, w) * 2 }
        func v(_ n: Int) -> Int { Checked.ceilDiv(n, h) * 2 }
        let expected = v(64) + m(64, 64) + 2 * m(32, 64) + mT(64, 64) + 2 * v(16) + v(64) + 2 * m(128, 64) + mT(64, 128)
        let unit = try #require(layout.units.first { $0.name == "layer 0" })
        #expect(unit.denseBytesPerPE == expected)
        // KV: 2 kv heads x 16 x 2 (K and V) = 64 values per token, 256 tokens; sequence along rows.
        #expect(unit.kvBytesPerPE == Checked.ceilDiv(256, h) * Checked.ceilDiv(64, w) * 2)
    }

    @Test func deterministicForASeed() throws {
        let a = try place("tiny", seed: 7).0
        let b = try place("tiny", seed: 7).0
        #expect(a.layout == b.layout)
    }

    @Test func placementMeetsOrBeatsTheSnakeStartAndRespectsTheBound() throws {
        let (graph, _) = try place("tiny")
        for tiling in try #require(graph.layout).wafers {
            let hops = try #require(tiling.handoffHops), bound = try #require(tiling.handoffLowerBound)
            #expect(hops >= bound)
        }
    }

    // MARK: - Adversarial defect maps (small64: program area x 4..60, y 1..62)

    func defects(_ points: [(Int, Int)]) -> WaferDefects {
        WaferDefects(deadPEs: points.map { Int32($0.1 * 64 + $0.0) })
    }

    @Test func aDeadColumn() throws {
        let dead = defects((0..<64).map { (30, $0) })
        let (graph, t) = try place("tiny", defects: dead)
        try checkPhysical(graph, t, dead)
        // Either the slots shift their rows past the column, or no used slot spans it.
        let tiling = try #require(graph.layout).wafers[0]
        let spans = (tiling.groupSlot ?? []).contains { slot in
            let r = tiling.rect(ofSlot: slot)
            return r.x <= 30 && 30 < r.x + r.width
        }
        #expect(tiling.spareColumns >= 1 || !spans)
    }

    @Test func aDefectOnEveryRegionBoundary() throws {
        // Dead PEs on a lattice every 8 columns and rows: whatever grid the tiler picks, its slot
        // edges meet defects.
        var points: [(Int, Int)] = []
        for x in stride(from: 4, to: 61, by: 8) { for y in stride(from: 1, to: 63, by: 8) { points.append((x, y)) } }
        let dead = defects(points)
        let (graph, t) = try place("tiny", defects: dead)
        try checkPhysical(graph, t, dead)
    }

    @Test func aClusterLargerThanARegion() throws {
        // A 24 x 24 dead block, larger than any slot the tiny model needs.
        var points: [(Int, Int)] = []
        for x in 20..<44 { for y in 20..<44 { points.append((x, y)) } }
        let dead = defects(points)
        let (graph, t) = try place("tiny", defects: dead)
        try checkPhysical(graph, t, dead)
    }

    @Test func aWaferTooDamagedToTileSaysSo() throws {
        // Every other row dead: no slot of useful height survives.
        var points: [(Int, Int)] = []
        for y in stride(from: 1, to: 63, by: 2) { for x in 0..<64 { points.append((x, y)) } }
        #expect(throws: DiagnosticError.self) { _ = try place("tiny", defects: defects(points)) }
    }
}
