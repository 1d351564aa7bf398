import Testing
@testable import WaferPasses
import WaferSupport
import WaferTarget

/// The router's search machinery on random small fabrics: the open heap pops in `OpenEntry`'s
/// order, and the costless flood `colorableReachable` says yes exactly when the (PE, colour)
/// search can reach its goal.
@Suite struct RouterSearchTests {
    @Test func theHeapPopsInEntryOrder() {
        var rng = SeededRNG(seed: 5)
        let heap = OpenHeap(capacity: 16)
        var entries: [OpenEntry] = []
        for round in 0..<3 {
            heap.removeAll()
            entries.removeAll()
            for _ in 0..<(500 + round * 300) {
                // Few distinct priorities and nodes: many ties and exact duplicates.
                let e = OpenEntry(priority: Double(Int.random(in: 0..<40, using: &rng)) * 0.5, node: Int.random(in: 0..<200, using: &rng))
                entries.append(e)
                heap.insert(e, payload: UInt32(e.node * 3))
            }
            var popped: [Int] = []
            while let top = heap.popMin() {
                #expect(top.payload == UInt32(top.node * 3))
                popped.append(top.node)
            }
            #expect(popped == entries.sorted().map(\.node))
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func theFloodAgreesWithTheColourSearch(_ seed: UInt64) throws {
        let target = try BuiltinTargets.resolve("small32")
        var rng = SeededRNG(seed: seed)
        let n = target.fabricWidth * target.fabricHeight
        let dead = (0..<(n / 12)).map { _ in Int32(Int.random(in: 0..<n, using: &rng)) }
        let grid = FabricGrid(target: target, defects: WaferDefects(deadPEs: Array(Set(dead)).sorted()))
        // Sparse free colours: some neighbours share none, so some windows cannot connect.
        let colors = 6
        let free = (0..<n).map { _ in UInt64.random(in: 0..<64, using: &rng) & UInt64.random(in: 0..<64, using: &rng) }
        var verdicts = (reached: 0, unreached: 0)
        for _ in 0..<150 {
            let source = (x: Int.random(in: 0..<target.fabricWidth, using: &rng), y: Int.random(in: 0..<target.fabricHeight, using: &rng))
            let sink = (x: min(target.fabricWidth - 1, source.x + Int.random(in: 0..<6, using: &rng)),
                        y: min(target.fabricHeight - 1, source.y + Int.random(in: 0..<6, using: &rng)))
            for margin in [0, 2, 5] {
                let reachable = grid.colorableReachable(from: source, to: sink, margin: margin, colorCount: colors) { free[$0] }
                let found = grid.colorablePath(from: source, to: sink, margin: margin, colorCount: colors, relayCost: 3) { free[$0] }
                // The search rejects a path that visits a PE twice, so it may miss a reachable goal; never the reverse.
                if found != nil { #expect(reachable) }
                if !reachable { #expect(found == nil) }
                if reachable { verdicts.reached += 1 } else { verdicts.unreached += 1 }
            }
        }
        #expect(verdicts.reached > 20 && verdicts.unreached > 20)
    }
}
