import Testing
import WaferFrontend
import WaferIR
@testable import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// The colors of a routed plan, checked from the routing result alone: every color at every PE
/// has one owner (a line class, a bundle, one exception route, or the overlay), every hop of a
/// colored route keeps a color both its ends hold, and overlay routes stay on the overlay.
@Suite struct ColoringTests {
    /// Checks one routed graph; returns (overlay routes, unresolved routes).
    @discardableResult
    static func checkColors(_ graph: Graph, target: Target, context: PassContext) throws -> (overlay: Int, unresolved: Int) {
        let routing = try #require(graph.routing)
        let layout = try #require(graph.layout)
        let classWafer = Dictionary(uniqueKeysWithValues: routing.classes.map { ($0.id, $0.wafer) })
        let bundleWafer = Dictionary(uniqueKeysWithValues: routing.bundles.map { ($0.id, $0.wafer) })
        var overlayRoutes = 0
        for tiling in layout.wafers {
            let defects = try #require(context.effectiveDefects(forWafer: tiling.wafer))
            let grid = FabricGrid(target: target, defects: defects)
            let router = WaferRouter(target: target, tiling: tiling, grid: grid, budget: routing.colorBudget)
            let summary = try #require(routing.wafers.first { $0.wafer == tiling.wafer })
            var used = [UInt64](repeating: 0, count: grid.width * grid.height)
            var conflicts = 0
            func take(_ pe: Int, _ mask: UInt64) {
                if used[pe] & mask != 0 { conflicts += 1 }
                used[pe] |= mask
            }
            func bits(_ colors: [Int]) -> UInt64 { colors.reduce(0) { $0 | (UInt64(1) << UInt64($1)) } }
            for c in routing.classes where c.wafer == tiling.wafer && c.foldedInto == nil {
                let (xs, ys) = router.span(c)
                let r = tiling.rect(ofSlot: c.slot)
                for y in ys {
                    if c.axis == .rows {
                        for x in xs { take(y * grid.width + x, bits(c.colors)) }
                    } else {
                        for column in c.columns { take(y * grid.width + r.x + router.homeOffsets[column], bits(c.colors)) }
                    }
                }
            }
            for b in routing.bundles where b.wafer == tiling.wafer {
                for lane in 0..<b.lanes {
                    for p in WaferRouter.lanePath(b, lane: lane) where grid.isLive(p.x, p.y) { take(p.y * grid.width + p.x, bits([b.color])) }
                }
            }
            let overlay = Set(summary.overlayPEs)
            for pe in summary.overlayPEs { take(Int(pe), bits(summary.overlayColors)) }
            #expect(conflicts == 0, "wafer \(tiling.wafer): classes, bundles and the overlay share a color at \(conflicts) PEs")
            conflicts = 0
            var badHops = 0
            for e in routing.exceptions where (e.role == .lane ? bundleWafer[e.owner] : classWafer[e.owner]) == tiling.wafer {
                for (a, b) in zip(e.path, e.path.dropFirst()) {
                    let ax = Int(a) % grid.width, ay = Int(a) / grid.width, bx = Int(b) % grid.width, by = Int(b) / grid.width
                    if abs(ax - bx) + abs(ay - by) != 1 || !grid.isLive(ax, ay) || !grid.isLive(bx, by) || !grid.linkLive(ax, ay, bx, by) { badHops += 1 }
                }
                if e.overlay {
                    overlayRoutes += 1
                    #expect(e.path.allSatisfy { overlay.contains($0) })
                    continue
                }
                guard !e.colors.isEmpty else { continue }
                let runs = Array(zip(e.runStarts, e.colors)).map { (start: $0.0, color: $0.1) }
                var previous: UInt64 = 0
                for i in e.path.indices {
                    let mask = ColorAllocator.colors(at: i, pathCount: e.path.count, runs: runs)
                    take(Int(e.path[i]), mask)
                    if i > 0 && previous & mask == 0 { badHops += 1 }
                    previous = mask
                }
            }
            #expect(conflicts == 0, "wafer \(tiling.wafer): exception routes take a color someone else holds at \(conflicts) PEs")
            #expect(badHops == 0, "wafer \(tiling.wafer): \(badHops) hops are not live mesh links or keep no common color")
        }
        return (overlayRoutes, routing.unresolved)
    }

    @Test func clusteredDefectsOnAWholeWaferRouteCompletely() throws {
        // Llama-3.1-8B on WSE-3 with a 0.1% clustered map: the routes no color can carry go over
        // the overlay, and no route is left without a way through.
        let target = try BuiltinTargets.resolve("wse3")
        let generator = DefectGenerator(target: target, rate: 0.001, clustering: .init(), seed: 1)
        var graph = try ModelLoader.load(path: TestPaths.example("llama-3.1-8b"))
        let context = PassContext(target: target, defects: .generated(generator), deployment: DeploymentOptions(seed: 1))
        _ = try PassManager(passes: PassRegistry.all).run(&graph, context: context)
        let (overlay, unresolved) = try Self.checkColors(graph, target: target, context: context)
        #expect(unresolved == 0)
        #expect(overlay > 0)
        // Overlay hops are relays: they cost time the schedule counts.
        #expect((graph.routing?.classes.map(\.penaltyCycles).max() ?? 0) > 0)
    }

    @Test(arguments: [0.01, 0.03])
    func denseClusteredDefectsKeepColorsExclusive(_ rate: Double) throws {
        let target = try BuiltinTargets.resolve("small64")
        for seed in UInt64(1)...3 {
            let generator = DefectGenerator(target: target, rate: rate, clustering: .init(), seed: seed)
            var graph = try ModelLoader.load(path: TestPaths.example("tiny"))
            let context = PassContext(target: target, defects: .generated(generator), deployment: DeploymentOptions(contextTokens: 64, seed: seed))
            do {
                _ = try PassManager(passes: PassRegistry.all).run(&graph, context: context)
            } catch {
                #expect(!error.diagnostics.isEmpty)
                continue
            }
            try Self.checkColors(graph, target: target, context: context)
        }
    }
}
