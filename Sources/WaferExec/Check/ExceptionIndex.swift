import WaferPlan
import WaferSupport

/// A plan's exception routes, validated and indexed for `RouteReplay`: which routes exist by
/// (wafer, owner, source, sink) and what they carry, the stream routes leaving each PE of a
/// class, and the colors each route takes per PE. Each route must be a walk over live PEs and
/// links whose hops keep a color both ends hold (an overlay route stays on the overlay).
/// Keys are structs and messages are built only when a violation is logged: a Kimi K2 plan has
/// ~136,000 exceptions and most PEs of a wafer are taken by some class.
/// O(exception hops).
struct ExceptionIndex: Sendable {
    /// An exception's endpoints and what it carries.
    struct Carried: Sendable { var roles: Set<PlanRouteRole>; var valid: Bool }
    /// Which routes an exception stands in for: its wafer, owner and end PEs.
    struct RouteKey: Hashable, Sendable { var wafer: Int; var kind: PlanOwnerKind; var owner: Int; var from: Int; var to: Int }
    /// A class's stream exceptions leaving one PE.
    struct StreamKey: Hashable, Sendable { var wafer: Int; var owner: Int; var from: Int }

    private(set) var carried: [RouteKey: Carried] = [:]
    private(set) var streamsFrom: [StreamKey: [Int]] = [:]
    /// Per wafer: each route's PEs with the colors it holds there.
    private(set) var colorsTaken: [Int: [(pe: Int, mask: UInt64, exception: Int)]] = [:]
    private(set) var hops = 0
    let exceptions: PlanExceptions

    init(plan: Plan, fabricOf: [Int: WaferFabric], scope: Set<Int>?, log: inout ViolationLog) {
        exceptions = plan.routing.exceptions
        let width = plan.target.fabricWidth
        for k in 0..<exceptions.count {
            if let scope, !scope.contains(exceptions.wafer[k]) { continue }
            add(k, fabricOf: fabricOf, plan: plan, width: width, log: &log)
        }
    }

    /// Route `k`'s name in messages.
    func name(_ k: Int) -> String {
        "exception route \(k) (\(exceptions.ownerKind[k]) \(exceptions.owner[k]), \(exceptions.role[k]))"
    }

    /// Validates exception route `k` and indexes it (an invalid route is indexed as invalid).
    private mutating func add(_ k: Int, fabricOf: [Int: WaferFabric], plan: Plan, width: Int, log: inout ViolationLog) {
        let e = exceptions[k]
        var name: String { self.name(k) }
        guard let fabric = fabricOf[e.wafer] else { log.add(.route, "\(name): wafer \(e.wafer) is not in the plan"); return }
        guard let path = e.path(width: width, height: plan.target.fabricHeight), path.count >= 2 else {
            log.add(.route, "\(name): its moves '\(e.moves)' leave the fabric or are not N, E, S, W"); return
        }
        var valid = Self.walkIsLive(path, fabric: fabric, width: width, name: name, wafer: e.wafer, log: &log)
        hops += path.count - 1
        let budget = plan.routing.colorBudget
        if e.overlay {
            let overlay = Set(fabric.wafer.overlayPes)
            if let off = path.first(where: { !overlay.contains($0) }) {
                log.add(.route, "\(name) on wafer \(e.wafer): an overlay route leaves the overlay at \(pe(Int(off), width))"); valid = false
            }
        } else if e.colors.isEmpty {
            log.add(.route, "\(name) on wafer \(e.wafer): has no color (an unresolved route)"); valid = false
        } else if e.colors.count != e.runStarts.count || e.runStarts.first != 0 || !zip(e.runStarts, e.runStarts.dropFirst()).allSatisfy({ $0 < $1 })
                    || (e.runStarts.last ?? 0) >= path.count || e.colors.contains(where: { $0 < 0 || $0 >= budget }) {
            log.add(.color, "\(name) on wafer \(e.wafer): its color runs are malformed"); valid = false
        } else {
            var previous: UInt64 = 0
            for i in path.indices {
                let mask = e.colorMask(at: i, pathCount: path.count)
                if i > 0 && previous & mask == 0 {
                    log.add(.color, "\(name) on wafer \(e.wafer): hop \(i) into \(pe(Int(path[i]), width)) keeps no color both ends hold"); valid = false
                }
                previous = mask
                colorsTaken[e.wafer, default: []].append((Int(path[i]), mask, k))
            }
        }
        let roles = Set(e.carries + [e.role])
        let key = RouteKey(wafer: e.wafer, kind: e.ownerKind, owner: e.owner, from: Int(path[0]), to: Int(path[path.count - 1]))
        var entry = carried[key] ?? Carried(roles: [], valid: true)
        entry.roles.formUnion(roles)
        entry.valid = entry.valid && valid
        carried[key] = entry
        if roles.contains(.stream) && e.ownerKind == .lineClass { streamsFrom[StreamKey(wafer: e.wafer, owner: e.owner, from: Int(path[0])), default: []].append(Int(path[path.count - 1])) }
    }

    /// Whether every PE and link of `path` is live; logs the first that is not.
    private static func walkIsLive(_ path: [Int32], fabric: WaferFabric, width: Int, name: @autoclosure () -> String, wafer: Int, log: inout ViolationLog) -> Bool {
        for (a, b) in zip(path, path.dropFirst()) {
            let ax = Int(a) % width, ay = Int(a) / width, bx = Int(b) % width, by = Int(b) / width
            if !fabric.isLive(ax, ay) || !fabric.isLive(bx, by) {
                let bad = fabric.isLive(ax, ay) ? Int(b) : Int(a)
                log.add(.route, "\(name()) on wafer \(wafer): passes \(fabric.isDead(pe: bad) ? "dead" : "sealed") PE \(pe(bad, width))")
                return false
            }
            if !fabric.linkLive(ax, ay, bx, by) {
                log.add(.route, "\(name()) on wafer \(wafer): crosses the dead link between \(pe(Int(a), width)) and \(pe(Int(b), width))")
                return false
            }
        }
        return true
    }

    /// Whether a valid exception route of (`kind`, `owner`) from `from` to `to` on `wafer`
    /// carries `role`.
    func carries(_ wafer: Int, _ kind: PlanOwnerKind, _ owner: Int, _ from: Int, _ to: Int, _ role: PlanRouteRole) -> Bool {
        guard let c = carried[RouteKey(wafer: wafer, kind: kind, owner: owner, from: from, to: to)] else { return false }
        return c.valid && c.roles.contains(role)
    }

    /// Where a valid stream route of class `owner` leaving PE `from` on `wafer` arrives.
    func stream(toward wafer: Int, _ owner: Int, from: Int) -> Int? {
        (streamsFrom[StreamKey(wafer: wafer, owner: owner, from: from)] ?? []).first { carries(wafer, .lineClass, owner, from, $0, .stream) }
    }
}
