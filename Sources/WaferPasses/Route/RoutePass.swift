import Foundation
import WaferIR
import WaferSupport
import WaferTarget

/// Routes every transfer of a decode step over each wafer's mesh and assigns the colors.
///
/// The regular part stays symbolic: a *line class* is a family of parallel line allreduces over a
/// slot (or over its expert cells) that every flow of that kind shares, and a *bundle* is a set
/// of parallel lanes given by a rule. Only the exceptions that defects and substituted tiles
/// cause are stored hop by hop (`RouteException`). `FlowBuilder` derives the flows,
/// `WaferRouter` colors and routes each wafer (palette, bundles, exceptions by PathFinder), and a
/// channel-dependency check proves the result deadlock-free or fails with the cycle it found.
/// Cost: O(wafers x PEs) for the per-wafer color and load maps, plus the exceptions' searches.
public struct RoutePass: Pass {
    public let name = "route"
    public let summary = "route every transfer of a decode step on the mesh, allocate colors, route around defects, check deadlock freedom"

    public init() {}

    public func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        let target = try requireTarget(context)
        let layout = try require(graph.layout.flatMap { $0.wafers.allSatisfy { $0.groupSlot != nil } ? $0 : nil }, from: "place")
        var builder = FlowBuilder(graph: graph, layout: layout, target: target, contextTokens: context.deployment.contextTokens,
                                  batch: context.deployment.batch)
        try builder.build()
        var routing = Routing(colorBudget: min(target.routableColors - target.reservedColors, 64), fabricWidth: target.fabricWidth)
        var classes = builder.classes, bundles = builder.bundles
        // Wafers route independently: in parallel, each on its own copy of the class and bundle
        // tables, merged back in wafer order (deterministic), each with its part of the
        // channel-dependency count (`DependencyCounts`).
        let wafers = layout.wafers
        let budget = routing.colorBudget
        let (baseClasses, baseBundles) = (classes, bundles)
        typealias WaferResult = Result<(WaferRouter.Outcome, [LineClass], [RouteBundle], DependencyCounts), DiagnosticError>
        let results = parallelMap(wafers.count) { index -> WaferResult in
            let tiling = wafers[index]
            guard let defects = context.effectiveDefects(forWafer: tiling.wafer) else {
                return .failure(.error(PassFailure.routeNoDefects, "the defect map has no entry for wafer \(tiling.wafer)", at: nil))
            }
            if let kept = context.pins?.keptRouting[tiling.wafer] {
                do throws(DiagnosticError) {
                    let (classPart, bundlePart, exceptions) = try Self.adopt(kept, wafer: tiling.wafer, classes: baseClasses, bundles: baseBundles)
                    return .success((WaferRouter.Outcome(exceptions: exceptions, requests: [], summary: kept.summary), classPart, bundlePart, DependencyCounts()))
                } catch {
                    return .failure(error)
                }
            }
            let grid = FabricGrid(target: target, defects: defects)
            let router = WaferRouter(target: target, tiling: tiling, grid: grid, budget: budget,
                                     config: context.options.route, colorConfig: context.options.color)
            var myClasses = baseClasses, myBundles = baseBundles
            do throws(DiagnosticError) {
                let outcome = try router.route(classes: &myClasses, bundles: &myBundles)
                return .success((outcome, myClasses.filter { $0.wafer == tiling.wafer }, myBundles.filter { $0.wafer == tiling.wafer },
                                 DependencyCounts(outcome)))
            } catch {
                return .failure(error)
            }
        }
        var counts = DependencyCounts()
        var outcomes: [WaferRouter.Outcome] = []
        for result in results {
            switch result {
            case let .success((outcome, classPart, bundlePart, waferCounts)):
                for c in classPart { classes[c.id] = c }
                for b in bundlePart { bundles[b.id] = b }
                counts.add(waferCounts)
                outcomes.append(outcome)
                routing.exceptions += outcome.exceptions
                routing.wafers.append(Self.summary(outcome.summary, repair: context.defects.repair(forWafer: outcome.summary.wafer)))
            case let .failure(error):
                throw error
            }
        }
        if !counts.acyclic {
            // A cycle: build the labelled graph (as the counts assume) and report the cycle it finds.
            var dependencies = DependencyGraph(), first = 0
            for outcome in outcomes {
                Self.addDependencies(outcome, firstException: first, to: &dependencies)
                first += outcome.exceptions.count
            }
            if let cycle = dependencies.findCycle() {
                throw DiagnosticError(Diagnostic(.error, PassFailure.routeDeadlock, "the routing can deadlock: its channel-dependency graph has a cycle", at: nil,
                                                 notes: [.note("cycle: \(cycle.joined(separator: " -> "))")]))
            }
            counts = DependencyCounts(nodes: dependencies.labels.count, edges: dependencies.edgeCount)
        }
        routing.classes = classes
        routing.bundles = bundles
        routing.flows = builder.flows
        routing.dependencyNodes = counts.nodes
        routing.dependencyEdges = counts.edges
        graph.routing = routing
    }

    /// A wafer's routing summary with the hardware repair's bypass figures, when the defect map
    /// has a repair for it. O(repair windows).
    static func summary(_ routed: WaferRoutingSummary, repair: RepairSummary?) -> WaferRoutingSummary {
        var summary = routed
        if let repair {
            (summary.bypassHopsRows, summary.bypassHopsColumns) = (repair.bypassHopsRows, repair.bypassHopsColumns)
            if !repair.rowWindows.isEmpty {
                summary.rowBypass = RowBypassProfile(windows: repair.rowWindows, windowColumns: repair.rowWindowColumns,
                                                     windowsPerBlock: repair.rowWindowsPerBlock, blockRows: repair.blockRows,
                                                     linkHops: repair.rowLinkHops, wholeWafer: repair.bypassHopsRows)
            }
        }
        return summary
    }

    /// A kept wafer's classes, bundles and exception routes (`LayoutPins.keptRouting`), checked
    /// against the classes and bundles the flow builder derived from the layout: the same ones in
    /// the same order with the same geometry, else the kept routing belongs to another layout.
    /// They take the flow builder's ids (a re-tiled wafer before this one can shift them), and
    /// the references to them (a folded class's host, an exception's owner) follow. Modes,
    /// colors, loads and penalties come from the kept routing; a bundle's sink slot (not
    /// recorded in plans) from the flow builder. Kept exception routes are not re-entered in the
    /// deadlock check: it is per wafer, and the run that routed them checked them.
    /// O(classes + bundles + exceptions).
    static func adopt(_ kept: LayoutPins.KeptRouting, wafer: Int, classes: [LineClass], bundles: [RouteBundle]) throws(DiagnosticError)
        -> ([LineClass], [RouteBundle], [RouteException]) {
        let fresh = classes.filter { $0.wafer == wafer }
        guard fresh.count == kept.classes.count else {
            throw .error(PassFailure.routeKept, "wafer \(wafer)'s kept routing has \(kept.classes.count) line classes, its layout \(fresh.count)", at: nil)
        }
        var classID: [Int: Int] = [:]
        for (f, k) in zip(fresh, kept.classes) {
            guard f.slot == k.slot, f.scope == k.scope, f.axis == k.axis, f.columns == k.columns, f.rows == k.rows, f.segment == k.segment else {
                throw .error(PassFailure.routeKept, "wafer \(wafer)'s kept line class \(k.id) does not match the class \(f.id) its layout gives", at: nil)
            }
            classID[k.id] = f.id
        }
        let freshBundles = bundles.filter { $0.wafer == wafer }
        guard freshBundles.count == kept.bundles.count else {
            throw .error(PassFailure.routeKept, "wafer \(wafer)'s kept routing has \(kept.bundles.count) bundles, its layout \(freshBundles.count)", at: nil)
        }
        var bundleID: [Int: Int] = [:]
        var adoptedBundles: [RouteBundle] = []
        for (f, k) in zip(freshBundles, kept.bundles) {
            guard f.label == k.label, f.lanes == k.lanes, f.sourceRow == k.sourceRow, f.sinkRow == k.sinkRow, f.rowStep == k.rowStep,
                  f.firstColumn == k.firstColumn, f.columnStep == k.columnStep, f.sinkColumn == k.sinkColumn else {
                throw .error(PassFailure.routeKept, "wafer \(wafer)'s kept bundle \(k.id) (\(k.label)) does not match the bundle \(f.id) its layout gives", at: nil)
            }
            bundleID[k.id] = f.id
            var b = k
            b.id = f.id
            b.sinkSlot = f.sinkSlot
            adoptedBundles.append(b)
        }
        var adoptedClasses: [LineClass] = []
        for k in kept.classes {
            var c = k
            c.id = classID[k.id] ?? k.id
            if let host = k.foldedInto {
                guard let mapped = classID[host] else { throw .error(PassFailure.routeKept, "wafer \(wafer)'s kept line class \(k.id) folds into class \(host) of another wafer", at: nil) }
                c.foldedInto = mapped
            }
            adoptedClasses.append(c)
        }
        var exceptions: [RouteException] = []
        for e in kept.exceptions {
            var r = e
            let table = e.role == .lane ? bundleID : classID
            guard let owner = table[e.owner] else {
                throw .error(PassFailure.routeKept, "wafer \(wafer)'s kept exception route belongs to \(e.role == .lane ? "bundle" : "class") \(e.owner), not one of this wafer", at: nil)
            }
            r.owner = owner
            r.sharedBy = e.sharedBy.map { table[$0] ?? $0 }
            exceptions.append(r)
        }
        return (adoptedClasses, adoptedBundles, exceptions)
    }

    /// Adds one wafer's exceptions to the channel-dependency graph. The regular routes of a line
    /// segment are a monotone pipeline of stages (streams rise toward their middle, leader hops
    /// toward the root, the broadcast away from it: `LineStructure.rank`), so they enter as a
    /// chain of anchors ordered by rank; each exception is a node between the anchors of the
    /// stages it connects. Distinct exceptions never share a channel (they never share a color at
    /// a PE), and the phases of a decode step do not overlap, so a cycle can only come from an
    /// exception that feeds a stage no later than its own.
    static func addDependencies(_ outcome: WaferRouter.Outcome, firstException: Int, to graph: inout DependencyGraph) {
        var anchors: [String: Set<Int>] = [:]
        let wafer = outcome.summary.wafer
        for request in outcome.requests {
            for t in request.transfers { anchors[segmentLabel(t, bundle: request.bundle, wafer: wafer), default: []].formUnion([t.ranks.0, t.ranks.1]) }
        }
        for (segment, ranks) in anchors.sorted(by: { $0.key < $1.key }) {
            let ordered = ranks.sorted()
            for (a, b) in zip(ordered, ordered.dropFirst()) {
                graph.edge(graph.node("\(segment) stage \(a)"), graph.node("\(segment) stage \(b)"))
            }
        }
        for (index, request) in outcome.requests.enumerated() {
            // Transfers that share a path run in different phases: one node each.
            for t in request.transfers {
                let segment = segmentLabel(t, bundle: request.bundle, wafer: wafer)
                let node = graph.node("exception \(firstException + index) \(t.role.rawValue) of \(segment) (\(request.source.x),\(request.source.y) -> \(request.sink.x),\(request.sink.y))")
                graph.edge(graph.node("\(segment) stage \(t.ranks.0)"), node)
                graph.edge(node, graph.node("\(segment) stage \(t.ranks.1)"))
            }
        }
    }

    static func segmentLabel(_ t: WaferRouter.Transfer, bundle: Bool, wafer: Int) -> String {
        bundle ? "wafer \(wafer) bundle \(t.owner) lane \(t.line)" : "wafer \(wafer) class \(t.owner) line \(t.line) segment \(t.segment)"
    }
}
