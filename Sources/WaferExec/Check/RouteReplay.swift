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
        let index = ExceptionIndex(plan: plan, fabricOf: fabricOf, scope: scope, log: &log)
        exceptionHops += index.hops
        let classesByWafer = Dictionary(grouping: plan.routing.classes, by: \.wafer)
        let bundlesByWafer = Dictionary(grouping: plan.routing.bundles, by: \.wafer)
        let selected = fabrics.filter { scope?.contains($0.index) ?? true }
        let parts = parallelMap(selected.count) { i -> Findings in
            var replay = WaferRouteReplay(fabric: selected[i], plan: plan, exceptions: index)
            for c in classesByWafer[replay.w] ?? [] where c.foldedInto == nil { replay.replayClass(c) }
            for b in bundlesByWafer[replay.w] ?? [] { replay.replayBundle(b) }
            replay.finishColors()
            return replay.findings
        }
        for part in parts {
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
