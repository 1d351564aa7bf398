import WaferPlan
import WaferSupport

/// One wafer's exception routes, validated and indexed for `WaferRouteReplay`: which routes exist
/// by (owner, source, sink) and what they carry, the stream routes leaving each PE of a class,
/// and which routes take colors. Each route must be a walk over live PEs and links whose hops
/// keep a color both ends hold (an overlay route stays on the overlay).
///
/// Built per wafer inside the replay's `parallelMap`, so wafers index on all cores and the index
/// lives only while its wafer replays. Flat: carried roles are a bit set per key (no `Set` per
/// route), the keys are reserved up front, and the colors a route takes per PE are not stored
/// but recomputed from its moves when the wafer's colors are marked (`WaferRouteReplay`): a Kimi K2
/// plan has ~136,000 exceptions and 3.4 million hops. Messages are built only when a violation
/// is logged, each with its route's index, so the caller can log them in route order.
/// O(the wafer's exception hops).
struct ExceptionIndex {
    /// What the routes with one key carry (bit `1 << role index`), and whether all are valid.
    struct Carried { var roles: UInt8; var valid: Bool }
    /// Which routes an exception stands in for: its owner and end PEs (the wafer is the index's).
    struct RouteKey: Hashable { var kind: PlanOwnerKind; var owner: Int; var from: Int; var to: Int }
    /// A class's stream exceptions leaving one PE.
    struct StreamKey: Hashable { var owner: Int; var from: Int }

    let wafer: Int
    let exceptions: PlanExceptions
    private(set) var carried: [RouteKey: Carried] = [:]
    /// The first stream route's sink per key, and any further sinks in route order (rare: one
    /// array per key would be ~66,000 allocations on Kimi K2).
    private(set) var streamsFrom: [StreamKey: Int] = [:]
    private(set) var moreStreamsFrom: [StreamKey: [Int]] = [:]
    /// Role bits per `carries` text (a plan uses a handful of combinations).
    private var roleBitsOf: [String: UInt8] = [:]
    /// Routes whose colors are well formed, in route order: what `markColors` marks.
    private(set) var colored: [Int] = []
    /// The hops indexed and the violations found, each with the index of the route it concerns.
    private(set) var report = Report()
    struct Report: Sendable {
        var hops = 0
        var findings: [(route: Int, category: Violation.Category, message: String)] = []
    }

    /// Indexes routes `routes` (all on wafer `fabric.index`). O(their hops).
    init(plan: Plan, fabric: WaferFabric, routes: [Int]) {
        wafer = fabric.index
        exceptions = plan.routing.exceptions
        carried.reserveCapacity(routes.count)
        colored.reserveCapacity(routes.count)
        let overlay = Set(fabric.wafer.overlayPes)
        for k in routes { add(k, fabric: fabric, overlay: overlay, plan: plan) }
    }

    /// Route `k`'s name in messages.
    static func name(_ e: PlanExceptions, _ k: Int) -> String {
        "exception route \(k) (\(e.ownerKind[k]) \(e.owner[k]), \(e.role[k]))"
    }

    /// Bit of a role in `Carried.roles`.
    static func bit(_ role: PlanRouteRole) -> UInt8 {
        switch role { case .stream: 1; case .leader: 2; case .broadcast: 4; case .lane: 8 }
    }

    private mutating func log(_ k: Int, _ category: Violation.Category, _ message: String) { report.findings.append((k, category, message)) }

    /// Validates exception route `k` and indexes it (an invalid route is indexed as invalid).
    /// O(its hops + runs).
    private mutating func add(_ k: Int, fabric: WaferFabric, overlay: Set<Int32>, plan: Plan) {
        let e = exceptions, width = fabric.width
        var name: String { Self.name(e, k) }
        guard let path = PlanException.path(start: e.start[k], moves: e.moves[k], width: width, height: fabric.height), path.count >= 2 else {
            log(k, .route, "\(name): its moves '\(e.moves[k])' leave the fabric or are not N, E, S, W"); return
        }
        var valid = walkIsLive(path, fabric: fabric, k: k)
        report.hops += path.count - 1
        let budget = plan.routing.colorBudget
        let colors = e.colors[k], starts = e.runStarts[k]
        if e.overlay[k] {
            if let off = path.first(where: { !overlay.contains($0) }) {
                log(k, .route, "\(name) on wafer \(wafer): an overlay route leaves the overlay at \(pe(Int(off), width))"); valid = false
            }
        } else if colors.isEmpty {
            log(k, .route, "\(name) on wafer \(wafer): has no color (an unresolved route)"); valid = false
        } else if colors.count != starts.count || starts.first != 0 || !zip(starts, starts.dropFirst()).allSatisfy({ $0 < $1 })
                    || (starts.last ?? 0) >= path.count || colors.contains(where: { $0 < 0 || $0 >= budget }) {
            log(k, .color, "\(name) on wafer \(wafer): its color runs are malformed"); valid = false
        } else {
            var previous: UInt64 = 0, run = 0
            for hop in 0..<path.count {
                let mask = Self.mask(colors: colors, starts: starts, hop: hop, run: &run)
                if hop > 0 && previous & mask == 0 {
                    log(k, .color, "\(name) on wafer \(wafer): hop \(hop) into \(pe(Int(path[hop]), width)) keeps no color both ends hold"); valid = false
                }
                previous = mask
            }
            colored.append(k)
        }
        var roles = Self.bit(e.role[k])
        if let bits = roleBitsOf[e.carries[k]] {
            roles |= bits
        } else {
            var bits: UInt8 = 0
            for word in e.carries[k].split(separator: ",") { if let r = PlanRouteRole(rawValue: String(word)) { bits |= Self.bit(r) } }
            roleBitsOf[e.carries[k]] = bits
            roles |= bits
        }
        let key = RouteKey(kind: e.ownerKind[k], owner: e.owner[k], from: Int(path[0]), to: Int(path[path.count - 1]))
        var entry = carried[key] ?? Carried(roles: 0, valid: true)
        entry.roles |= roles
        entry.valid = entry.valid && valid
        carried[key] = entry
        if roles & Self.bit(.stream) != 0 && e.ownerKind[k] == .lineClass {
            let key = StreamKey(owner: e.owner[k], from: Int(path[0])), sink = Int(path[path.count - 1])
            if streamsFrom[key] == nil { streamsFrom[key] = sink } else { moreStreamsFrom[key, default: []].append(sink) }
        }
    }

    /// The color mask a well-formed route holds at PE `hop` of its path, the hops asked in
    /// increasing order with `run` (start at 0) carried between calls: run `r` holds `colors[r]`
    /// from `starts[r]` through the next run's start (a relay PE holds both). `starts` must begin
    /// at 0 and increase. O(1) amortised per hop, the same masks as `PlanException.colorMask`
    /// without its O(runs) scan per PE.
    @inline(__always)
    static func mask(colors: [Int], starts: [Int], hop i: Int, run r: inout Int) -> UInt64 {
        while r + 1 < starts.count && starts[r + 1] <= i { r += 1 }
        var mask = UInt64(1) << UInt64(colors[r])
        if r > 0 && starts[r] == i { mask |= UInt64(1) << UInt64(colors[r - 1]) }
        return mask
    }

    /// Whether every PE and link of `path` is live; logs the first that is not.
    private mutating func walkIsLive(_ path: [Int32], fabric: WaferFabric, k: Int) -> Bool {
        let width = fabric.width
        for (a, b) in zip(path, path.dropFirst()) {
            let ax = Int(a) % width, ay = Int(a) / width, bx = Int(b) % width, by = Int(b) / width
            if !fabric.isLive(ax, ay) || !fabric.isLive(bx, by) {
                let bad = fabric.isLive(ax, ay) ? Int(b) : Int(a)
                log(k, .route, "\(Self.name(exceptions, k)) on wafer \(wafer): passes \(fabric.isDead(pe: bad) ? "dead" : "sealed") PE \(pe(bad, width))")
                return false
            }
            if !fabric.linkLive(ax, ay, bx, by) {
                log(k, .route, "\(Self.name(exceptions, k)) on wafer \(wafer): crosses the dead link between \(pe(Int(a), width)) and \(pe(Int(b), width))")
                return false
            }
        }
        return true
    }

    /// Whether a valid exception route of (`kind`, `owner`) from `from` to `to` carries `role`.
    func carries(_ kind: PlanOwnerKind, _ owner: Int, _ from: Int, _ to: Int, _ role: PlanRouteRole) -> Bool {
        guard let c = carried[RouteKey(kind: kind, owner: owner, from: from, to: to)] else { return false }
        return c.valid && c.roles & Self.bit(role) != 0
    }

    /// Where a valid stream route of class `owner` leaving PE `from` arrives.
    func stream(_ owner: Int, from: Int) -> Int? {
        let key = StreamKey(owner: owner, from: from)
        guard let first = streamsFrom[key] else { return nil }
        if carries(.lineClass, owner, from, first, .stream) { return first }
        return (moreStreamsFrom[key] ?? []).first { carries(.lineClass, owner, from, $0, .stream) }
    }
}
