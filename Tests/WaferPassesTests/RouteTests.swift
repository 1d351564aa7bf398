import Testing
import WaferFrontend
import WaferIR
@testable import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// Routing, colors and the schedule on small fabrics with hand-checkable answers.
@Suite struct RouteTests {
    /// A one-slot wafer tiling of `width x height` tile positions (plus spares) at the program
    /// rectangle's corner of small32.
    func tiling(width: Int, height: Int, spare: Int = 0) throws -> (Target, WaferTiling) {
        let target = try BuiltinTargets.resolve("small32")
        var t = WaferTiling(wafer: 0, gridColumns: 1, gridRows: 1, slotWidth: width, slotHeight: height, spareColumns: spare,
                            originX: target.halo.west, originY: target.halo.north, programWidth: target.programWidth,
                            programHeight: target.programHeight, usableSlots: [true], groupCount: 1, groupBytesPerPE: [0])
        t.groupSlot = [0]
        return (target, t)
    }

    func lineClass(_ id: Int, axis: LineAxis, width: Int, height: Int) -> LineClass {
        let segment = axis == .rows ? width : height
        return LineClass(id: id, wafer: 0, slot: 0, scope: "slot", axis: axis, columns: 0..<width, rows: 0..<height, segment: segment,
                         mode: .tree, groups: LineStructure(length: segment, mode: .tree).groups, colors: [])
    }

    @Test func aFourByFourBroadcastNeedsNoExceptions() throws {
        let (target, t) = try tiling(width: 4, height: 4)
        var classes = [lineClass(0, axis: .rows, width: 4, height: 4)]
        var bundles: [RouteBundle] = []
        let router = WaferRouter(target: target, tiling: t, grid: FabricGrid(target: target, defects: .none), budget: 21)
        let outcome = try router.route(classes: &classes, bundles: &bundles)
        #expect(outcome.exceptions.isEmpty)
        #expect(classes[0].colors == [0, 1, 2, 3, 4])
        // 16 PEs carry the class's 5 colors; the other 32 x 32 - 16 PEs none.
        #expect(outcome.summary.colorHistogram[5] == 16)
        #expect(outcome.summary.colorHistogram[0] == 32 * 32 - 16)
        #expect(outcome.summary.maxColorsPerPE == 5)
        // Four positions: G = 2 groups of 2 with middles 1 and 3, root 1. The broadcast crosses
        // every link of the line, away from the root, so every PE receives the result.
        let s = LineStructure(length: 4, mode: .tree)
        #expect(s.middles == [1, 3] && s.root == 1)
        for i in 0..<3 {
            let b = try #require(s.transfers(crossing: i).first { $0.role == .broadcast })
            #expect(abs(b.source - s.root) < abs(b.sink - s.root))
        }
        // hop x (P + g/2) + relay x (g/2 + G/2) + 2 x payload = 1 x 5 + 22 x 2 + 2 x 3 = 55 cycles.
        #expect(SchedulePass.allreduceCycles(classes[0], payload: 3, target: target) == 55)
    }

    @Test func aReductionRoutesAroundOneDeadPE() throws {
        let (target, t) = try tiling(width: 4, height: 4, spare: 1)
        let rect = t.rect(ofSlot: 0)
        // Kill the home PE of logical column 1 in tile row 2: its tile moves to the spare column.
        let deadX = rect.x + t.columnOffset(logicalColumn: 1), deadY = rect.y + 2
        let dead = Int32(deadY * target.fabricWidth + deadX)
        let defects = WaferDefects(deadPEs: [dead])
        let spare = try #require(t.physicalColumn(slot: 0, logicalColumn: 1, deadColumnsInRow: [deadX]))
        #expect(spare != deadX && t.isSpare(offset: spare - rect.x))
        var classes = [lineClass(0, axis: .columns, width: 4, height: 4), lineClass(1, axis: .rows, width: 4, height: 4)]
        var bundles: [RouteBundle] = []
        let grid = FabricGrid(target: target, defects: defects)
        let outcome = try WaferRouter(target: target, tiling: t, grid: grid, budget: 21).route(classes: &classes, bundles: &bundles)
        #expect(!outcome.exceptions.isEmpty)
        let substitute = Int32(deadY * target.fabricWidth + spare)
        // The column's transfers reach the substitute tile; no route touches the dead PE; every
        // step is between mesh neighbours on the fabric.
        #expect(outcome.exceptions.contains { $0.path.first == substitute || $0.path.last == substitute })
        for e in outcome.exceptions {
            #expect(!e.path.contains(dead))
            for (a, b) in zip(e.path, e.path.dropFirst()) {
                let (ax, ay) = (Int(a) % target.fabricWidth, Int(a) / target.fabricWidth)
                let (bx, by) = (Int(b) % target.fabricWidth, Int(b) / target.fabricWidth)
                #expect(abs(ax - bx) + abs(ay - by) == 1)
                #expect(grid.isLive(bx, by))
            }
            #expect(e.colors.allSatisfy { $0 < 21 })
        }
        #expect(classes[0].penaltyCycles > 0)
    }

    @Test func aColorBudgetOfTwoForcesARelay() {
        // Color 0 is taken on PEs 0-3, color 1 on PEs 5-7: no one color carries the route, so it
        // relays once, at PE 4, which receives on color 1 and re-sends on color 0.
        var colors = ColorAllocator(budget: 2, pes: 8)
        for pe in 0..<4 { colors.mark(pe, colors: 1) }
        for pe in 5..<8 { colors.mark(pe, colors: 2) }
        let runs = colors.assign([0, 1, 2, 3, 4, 5, 6, 7].map(Int32.init))
        #expect(runs?.map(\.color) == [1, 0])
        #expect(runs?.map(\.start) == [0, 4])
        #expect(colors.colorsUsed(4) == 2)
        // Both colors are now taken everywhere: another route finds none.
        #expect(colors.assign([2, 3]) == nil)
    }

    @Test func aColorableSearchRelaysWhereNeighboursShareNoColor() throws {
        // Row 5 from x = 5 to 8; every other PE has no free color. (5,5) has only color 0 free,
        // the rest only color 1: each PE has a free color, but the first link has none in common.
        let target = try BuiltinTargets.resolve("small32")
        let grid = FabricGrid(target: target, defects: .none)
        func pe(_ x: Int, _ y: Int) -> Int { y * grid.width + x }
        var free: [Int: UInt64] = [pe(5, 5): 0b01, pe(6, 5): 0b10, pe(7, 5): 0b10, pe(8, 5): 0b10]
        func search() -> (path: [Int32], runs: [(start: Int, color: Int)])? {
            grid.colorablePath(from: (5, 5), to: (8, 5), margin: 3, colorCount: 2, relayCost: 20) { free[$0] ?? 0 }
        }
        #expect(search() == nil)
        // With both colors free at (6,5), the route relays there: color 0 in, color 1 on.
        free[pe(6, 5)] = 0b11
        let found = try #require(search())
        #expect(found.path == [pe(5, 5), pe(6, 5), pe(7, 5), pe(8, 5)].map(Int32.init))
        #expect(found.runs.map(\.start) == [0, 1])
        #expect(found.runs.map(\.color) == [0, 1])
        // A detour on one color (below the row) beats a relay costing 20 hops.
        free[pe(6, 5)] = 0b10
        for x in 5...8 { free[pe(x, 6)] = 0b01 }
        free[pe(8, 5)] = 0b11
        let detour = try #require(search())
        #expect(detour.runs.map(\.color) == [0])
        #expect(detour.path == [pe(5, 5), pe(5, 6), pe(6, 6), pe(7, 6), pe(8, 6), pe(8, 5)].map(Int32.init))
        // Its colors fit the allocator: occupying them leaves no PE with a color twice.
        var colors = ColorAllocator(budget: 2, pes: grid.width * grid.height)
        colors.occupy(detour.path, runs: detour.runs)
        #expect(colors.colorsUsed(pe(8, 5)) == 1)
    }

    @Test func aClassNeedsMoreColorsThanTheBudget() throws {
        let (target, t) = try tiling(width: 4, height: 4)
        var classes = [lineClass(0, axis: .rows, width: 4, height: 4)]
        var bundles: [RouteBundle] = []
        let router = WaferRouter(target: target, tiling: t, grid: FabricGrid(target: target, defects: .none), budget: 2)
        #expect(throws: DiagnosticError.self) { try router.route(classes: &classes, bundles: &bundles) }
        // With 3 colors the tree becomes a chain (two stream colors and a broadcast color).
        let chain = WaferRouter(target: target, tiling: t, grid: FabricGrid(target: target, defects: .none), budget: 3)
        _ = try chain.route(classes: &classes, bundles: &bundles)
        #expect(classes[0].mode == .chain && classes[0].colors == [0, 1, 2])
    }

    @Test func aCyclicDependencyIsFound() {
        var graph = DependencyGraph()
        let a = graph.node("a"), b = graph.node("b"), c = graph.node("c"), d = graph.node("d")
        graph.edge(a, b); graph.edge(b, c); graph.edge(c, a); graph.edge(c, d)
        let cycle = graph.findCycle()
        #expect(cycle?.first == cycle?.last)
        #expect(Set(cycle ?? []) == ["a", "b", "c"])
        var acyclic = DependencyGraph()
        acyclic.edge(acyclic.node("a"), acyclic.node("b"))
        acyclic.edge(acyclic.node("b"), acyclic.node("c"))
        #expect(acyclic.findCycle() == nil)
    }

    @Test func anExceptionThatFeedsAnEarlierStageDeadlocks() {
        func outcome(_ ranks: (Int, Int)) -> WaferRouter.Outcome {
            let t = WaferRouter.Transfer(owner: 0, line: 0, segment: 0, position: 0, role: .stream, ranks: ranks)
            let r = WaferRouter.Request(bundle: false, source: (0, 0), sink: (1, 0), baseline: 1, transfers: [t, WaferRouter.Transfer(owner: 0, line: 0, segment: 0, position: 1, role: .stream, ranks: (1, 4))])
            return WaferRouter.Outcome(exceptions: [], requests: [r], summary: WaferRoutingSummary(wafer: 0))
        }
        var forward = DependencyGraph()
        RoutePass.addDependencies(outcome((2, 3)), firstException: 0, to: &forward)
        #expect(forward.findCycle() == nil)
        var backward = DependencyGraph()
        RoutePass.addDependencies(outcome((3, 2)), firstException: 0, to: &backward)
        let cycle = backward.findCycle()
        #expect(cycle != nil)
        #expect(cycle?.contains { $0.hasPrefix("exception 0") } == true)
    }

    func routeTiny(target: String = "small64", rate: Double, seed: UInt64) throws -> (Graph, Target, DefectSource) {
        let t = try BuiltinTargets.resolve(target)
        let source = DefectSource.generated(DefectGenerator(target: t, rate: rate, clustering: .init(), seed: seed))
        var graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        let context = PassContext(target: t, defects: source, deployment: DeploymentOptions(contextTokens: 256, seed: seed))
        _ = try PassManager(passes: PassRegistry.all).run(&graph, context: context)
        return (graph, t, source)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyRouteAvoidsDefectsAndColorsNeverClash(_ seed: UInt64) throws {
        let (graph, target, source) = try routeTiny(rate: 0.01, seed: seed)
        let routing = try #require(graph.routing)
        let context = PassContext(target: target, defects: source)
        let defects = try #require(context.effectiveDefects(forWafer: 0))
        let grid = FabricGrid(target: target, defects: defects)
        var colorsAt: [Int32: Set<Int>] = [:]
        for e in routing.exceptions where !e.colors.isEmpty {
            for (k, start) in e.runStarts.enumerated() {
                let end = k + 1 < e.runStarts.count ? e.runStarts[k + 1] + 1 : e.path.count
                for pe in e.path[start..<end] {
                    #expect(colorsAt[pe, default: []].insert(e.colors[k]).inserted, "two exceptions share color \(e.colors[k]) at PE \(pe)")
                }
            }
            for pe in e.path { #expect(grid.isLive(Int(pe) % target.fabricWidth, Int(pe) / target.fabricWidth)) }
            for (a, b) in zip(e.path, e.path.dropFirst()) {
                #expect(grid.linkLive(Int(a) % target.fabricWidth, Int(a) / target.fabricWidth, Int(b) % target.fabricWidth, Int(b) / target.fabricWidth))
            }
        }
        #expect(routing.maxColorsPerPE <= routing.colorBudget)
        #expect(routing.wafers.allSatisfy { $0.colorHistogram.reduce(0, +) == target.fabricPEs })
    }

    @Test func theScheduleIsOneChainOfPhases() throws {
        let (graph, target, _) = try routeTiny(target: "small32", rate: 0, seed: 1)
        let schedule = try #require(graph.schedule)
        #expect(!schedule.phases.isEmpty)
        for (a, b) in zip(schedule.phases, schedule.phases.dropFirst()) { #expect(a.end == b.start) }
        #expect(schedule.phases.first?.start == 0)
        #expect(schedule.cyclesPerToken == schedule.cyclesByKind.values.reduce(0, +))
        #expect(abs(schedule.tokensPerSecond - target.clockMHz * 1e6 / Double(schedule.cyclesPerToken)) < 1e-6)
        // Three decoder layers: each has a layer-overhead phase of the target's fitted constant,
        // and the elementwise work on top is positive (norms, softmax, activations).
        let overheads = schedule.phases.filter { $0.label.hasPrefix("layer overhead") }
        #expect(overheads.count == 3)
        #expect(overheads.allSatisfy { $0.cycles == target.layerOverheadCycles })
        #expect(target.layerOverheadCycles > 0)
        #expect((schedule.cyclesByKind[.elementwise] ?? 0) > 3 * target.layerOverheadCycles)
        // Every allreduce flow of the routing appears as a phase.
        let routing = try #require(graph.routing)
        let timed = Set(schedule.phases.compactMap(\.flow))
        #expect(routing.flows.filter { $0.kind == .allreduce }.allSatisfy { timed.contains($0.id) })
    }

    @Test func routingIsDeterministic() throws {
        let a = try routeTiny(rate: 0.01, seed: 5).0
        let b = try routeTiny(rate: 0.01, seed: 5).0
        #expect(a.routing == b.routing)
        #expect(a.schedule == b.schedule)
        #expect(IRPrinter().print(a) == IRPrinter().print(b))
    }

    @Test func routeNeedsAPlacedLayout() throws {
        var graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        let context = PassContext(target: try BuiltinTargets.resolve("small32"))
        #expect(throws: DiagnosticError.self) { try RoutePass().run(&graph, context: context) }
    }
}

/// Bundles: the staggered lanes of every hand-off never share a PE, whichever way the next slot lies.
@Suite struct BundleTests {
    @Test func handOffLanesAreDisjoint() throws {
        let target = try BuiltinTargets.resolve("wse3")
        var graph = try ModelLoader.load(path: TestPaths.example("llama-3.1-8b"))
        _ = try PassManager(passes: PassRegistry.all).run(&graph, context: PassContext(target: target))
        let routing = try #require(graph.routing)
        let handoffs = routing.bundles.filter { $0.label.hasPrefix("slot") && $0.label.contains("-> slot") }
        #expect(handoffs.count >= 4)
        var directions = Set<String>()
        for bundle in handoffs {
            var seen = Set<Int>()
            for lane in 0..<bundle.lanes {
                for p in WaferRouter.lanePath(bundle, lane: lane) {
                    #expect(target.fabricWidth > p.x && p.x >= 0 && target.fabricHeight > p.y && p.y >= 0)
                    #expect(seen.insert(p.y * target.fabricWidth + p.x).inserted, "\(bundle.label): lanes meet at (\(p.x), \(p.y))")
                }
            }
            let s = bundle.source(lane: 0), t = bundle.sink(lane: 0)
            directions.insert("\(t.y > s.y ? "down" : t.y < s.y ? "up" : "level") \(t.x > s.x ? "east" : t.x < s.x ? "west" : "same")")
        }
        // The snake placement of 9 groups on a 2x7 grid hands off sideways and vertically.
        #expect(directions.count >= 2)
    }
}

extension BundleTests {
    /// From the centre slot of a 3x3 grid to every other slot, the diagonal ones included: the
    /// stagger order keeps the lanes disjoint.
    @Test func lanesToEveryNeighbourAreDisjoint() throws {
        let target = try BuiltinTargets.resolve("small64")
        var tiling = WaferTiling(wafer: 0, gridColumns: 3, gridRows: 3, slotWidth: 16, slotHeight: 12, spareColumns: 2,
                                 originX: target.halo.west, originY: target.halo.north, programWidth: target.programWidth,
                                 programHeight: target.programHeight, usableSlots: Array(repeating: true, count: 9),
                                 groupCount: 9, groupBytesPerPE: Array(repeating: 0, count: 9))
        tiling.groupSlot = Array(0..<9)
        let graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        var builder = FlowBuilder(graph: graph, layout: Layout(wafers: [tiling], units: [], dataBytesPerPE: 1),
                                  target: target, contextTokens: 16, batch: 1)
        for to in [0, 1, 2, 3, 5, 6, 7, 8] {
            let bundle = builder.bundles[builder.handoffBundle(wafer: 0, from: 4, to: to)]
            var seen = Set<Int>()
            for lane in 0..<bundle.lanes {
                let path = WaferRouter.lanePath(bundle, lane: lane)
                for p in path { #expect(seen.insert(p.y * target.fabricWidth + p.x).inserted, "slot 4 -> \(to): lanes meet at (\(p.x), \(p.y))") }
                // Each lane starts on a home column of the source slot (a PE that holds the vector).
                let s = bundle.source(lane: lane), r = tiling.rect(ofSlot: 4)
                #expect(s.x >= r.x && s.x < r.x + r.width && !tiling.isSpare(offset: s.x - r.x))
                // ... and ends in the sink slot's rows.
                let t = bundle.sink(lane: lane), rb = tiling.rect(ofSlot: to)
                #expect(t.y >= rb.y && t.y < rb.y + rb.height)
            }
        }
    }
}

/// Hostile defect maps: dense uniform and clustered defects on a small fabric never crash the
/// router; the pipeline either routes (every resolved route on live PEs) or fails with a diagnostic.
@Suite struct DenseDefectTests {
    @Test(arguments: [0.02, 0.05, 0.12])
    func denseDefectsRouteOrFailCleanly(_ rate: Double) throws {
        let target = try BuiltinTargets.resolve("small64")
        for seed in UInt64(1)...4 {
            for clustered in [false, true] {
                let generator = DefectGenerator(target: target, rate: rate, clustering: clustered ? .init() : nil, seed: seed)
                var graph = try ModelLoader.load(path: TestPaths.example("tiny"))
                let context = PassContext(target: target, defects: .generated(generator), deployment: DeploymentOptions(contextTokens: 64, seed: seed))
                do {
                    _ = try PassManager(passes: PassRegistry.all).run(&graph, context: context)
                } catch {
                    #expect(!error.diagnostics.isEmpty)
                    continue
                }
                let routing = try #require(graph.routing)
                let defects = try #require(context.effectiveDefects(forWafer: 0))
                for e in routing.exceptions where !e.colors.isEmpty {
                    #expect(e.path.allSatisfy { !defects.isDead(pe: $0) })
                }
                #expect(graph.schedule.map { $0.cyclesPerToken > 0 } == true)
            }
        }
    }
}
