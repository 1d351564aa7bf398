import WaferPlan
import WaferSupport

/// Replays every route of a plan on the simulated wafers: the lines of every line class (with
/// the tiles that moved to spare PEs), the bundle lanes, the exception routes and the overlay.
/// Every hop that meets a dead PE or link must be carried by an exception route from the same
/// source to the same sink for the same transfer; each exception route must be a walk over
/// live PEs and links whose hops keep a color both ends hold; every color at every PE has one
/// owner and the colors per PE stay within the budget.
///
/// Only lines a defect touches are expanded member by member (the compiler emits exceptions for
/// exactly those); untouched lines are regular by construction. Colors are marked per PE in one
/// flat array per wafer. With a `scope`, only the wafers it lists are replayed (their
/// exception routes, lines, lanes and colors); the others are taken as checked.
/// O(PEs the classes span + touched line members + exception hops).
public struct RouteReplay: Sendable {
    /// Which transfers fail: (class, line, logical member) keys of partial sums that never reach
    /// their line's root, and of members that never receive the result.
    public var lostPartials: Set<Int> = []
    public var missedBroadcasts: Set<Int> = []
    /// (bundle, lane) keys of hand-off lanes that never arrive.
    public var lostLanes: Set<Int> = []
    public var log = ViolationLog()
    public var linesExpanded = 0
    public var exceptionHops = 0
    public var maxColorsPerPe = 0

    public static func key(_ cls: Int, _ line: Int, _ member: Int) -> Int { (cls << 40) | (line << 20) | member }

    /// What one wafer's replay found; wafers replay independently and merge in wafer order.
    struct Findings: Sendable {
        var log = ViolationLog()
        var lostPartials: Set<Int> = [], missedBroadcasts: Set<Int> = [], lostLanes: Set<Int> = []
        var linesExpanded = 0, maxColorsPerPe = 0
    }

    /// Validates and indexes the exception routes, then replays each wafer's lines, lanes and
    /// colors on all cores (`WaferRouteReplay`); the findings merge in wafer order, so the report
    /// is the same as a sequential replay's.
    public init(plan: Plan, fabrics: [WaferFabric], scope: Set<Int>? = nil) {
        guard plan.routing.exceptions.isRectangular else { log.add(.plan, "routing: the exception lists have different lengths"); return }
        let fabricOf = Dictionary(fabrics.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let ex = plan.routing.exceptions
        // Each wafer's routes, in route order; a route naming a wafer the plan lacks is logged.
        var routesOf: [Int: [Int]] = [:]
        var routeFindings: [(route: Int, category: Violation.Category, message: String)] = []
        for k in 0..<ex.count {
            let w = ex.wafer[k]
            if let scope, !scope.contains(w) { continue }
            guard fabricOf[w] != nil else { routeFindings.append((k, .route, "\(ExceptionIndex.name(ex, k)): wafer \(w) is not in the plan")); continue }
            routesOf[w, default: []].append(k)
        }
        let routesByWafer = routesOf
        let classesByWafer = Dictionary(grouping: plan.routing.classes, by: \.wafer)
        let bundlesByWafer = Dictionary(grouping: plan.routing.bundles, by: \.wafer)
        let selected = fabrics.filter { scope?.contains($0.index) ?? true }
        // The first fabric of each wafer index reports its routes' findings (a plan listing a
        // wafer twice replays it twice, its routes once).
        let owner = Dictionary(selected.indices.map { (selected[$0].index, $0) }, uniquingKeysWith: { a, _ in a })
        let parts = parallelMap(selected.count) { i -> (Findings, ExceptionIndex.Report) in
            let w = selected[i].index
            let index = ExceptionIndex(plan: plan, fabric: fabricOf[w] ?? selected[i], routes: routesByWafer[w] ?? [])
            var replay = WaferRouteReplay(fabric: selected[i], plan: plan, exceptions: index)
            for c in classesByWafer[w] ?? [] where c.foldedInto == nil { replay.replayClass(c) }
            for b in bundlesByWafer[w] ?? [] { replay.replayBundle(b) }
            replay.finishColors()
            return (replay.findings, owner[w] == i ? index.report : ExceptionIndex.Report())
        }
        // Route findings in route order (what a sequential pass over the routes logs), then each
        // wafer's replay in wafer order.
        var ordered = routeFindings
        for (_, report) in parts { ordered += report.findings; exceptionHops += report.hops }
        let sequence = ordered.indices.sorted { (ordered[$0].route, $0) < (ordered[$1].route, $1) }
        for i in sequence { log.add(ordered[i].category, ordered[i].message) }
        for (part, _) in parts {
            log.merge(part.log)
            lostPartials.formUnion(part.lostPartials)
            missedBroadcasts.formUnion(part.missedBroadcasts)
            lostLanes.formUnion(part.lostLanes)
            linesExpanded += part.linesExpanded
            maxColorsPerPe = max(maxColorsPerPe, part.maxColorsPerPe)
        }
    }
}

func colorBits(_ colors: [Int]) -> UInt64 { colors.reduce(UInt64(0)) { $1 >= 0 && $1 < 64 ? $0 | (UInt64(1) << UInt64($1)) : $0 } }
func colorList(_ bits: UInt64) -> String { (0..<64).filter { bits & (UInt64(1) << UInt64($0)) != 0 }.map(String.init).joined(separator: ",") }
