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

    /// An exception's endpoints and what it carries.
    struct Carried: Sendable { var roles: Set<PlanRouteRole>; var valid: Bool }
    /// Which routes an exception stands in for: its wafer, owner and end PEs.
    struct RouteKey: Hashable, Sendable { var wafer: Int; var kind: PlanOwnerKind; var owner: Int; var from: Int; var to: Int }
    /// A class's stream exceptions leaving one PE.
    struct StreamKey: Hashable, Sendable { var wafer: Int; var owner: Int; var from: Int }

    public init(plan: Plan, fabrics: [WaferFabric], scope: Set<Int>? = nil) {
        let t = plan.target
        let width = t.fabricWidth
        let budget = plan.routing.colorBudget
        let exceptions = plan.routing.exceptions
        guard exceptions.isRectangular else { log.add(.plan, "routing: the exception lists have different lengths"); return }
        let fabricOf = Dictionary(fabrics.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })

        // Exception routes: validate each walk, index them by (owner, source, sink).
        // Keys are structs and messages are built only when a violation is logged: a Kimi K2
        // plan has ~136,000 exceptions and most PEs of a wafer are taken by some class.
        var carried: [RouteKey: Carried] = [:]
        var streamsFrom: [StreamKey: [Int]] = [:]
        var colorsTaken: [Int: [(pe: Int, mask: UInt64, exception: Int)]] = [:]
        @Sendable func exceptionName(_ k: Int) -> String {
            "exception route \(k) (\(exceptions.ownerKind[k]) \(exceptions.owner[k]), \(exceptions.role[k]))"
        }
        for k in 0..<exceptions.count {
            if let scope, !scope.contains(exceptions.wafer[k]) { continue }
            let e = exceptions[k]
            var name: String { exceptionName(k) }
            guard let fabric = fabricOf[e.wafer] else { log.add(.route, "\(name): wafer \(e.wafer) is not in the plan"); continue }
            guard let path = e.path(width: width, height: t.fabricHeight), path.count >= 2 else {
                log.add(.route, "\(name): its moves '\(e.moves)' leave the fabric or are not N, E, S, W"); continue
            }
            var valid = true
            for (a, b) in zip(path, path.dropFirst()) {
                let ax = Int(a) % width, ay = Int(a) / width, bx = Int(b) % width, by = Int(b) / width
                if !fabric.isLive(ax, ay) || !fabric.isLive(bx, by) {
                    let bad = fabric.isLive(ax, ay) ? Int(b) : Int(a)
                    log.add(.route, "\(name) on wafer \(e.wafer): passes \(fabric.isDead(pe: bad) ? "dead" : "sealed") PE \(pe(bad, width))")
                    valid = false; break
                }
                if !fabric.linkLive(ax, ay, bx, by) {
                    log.add(.route, "\(name) on wafer \(e.wafer): crosses the dead link between \(pe(Int(a), width)) and \(pe(Int(b), width))")
                    valid = false; break
                }
            }
            exceptionHops += path.count - 1
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
        let carriedRoutes = carried, streams = streamsFrom, taken = colorsTaken
        @Sendable func carries(_ wafer: Int, _ kind: PlanOwnerKind, _ owner: Int, _ from: Int, _ to: Int, _ role: PlanRouteRole) -> Bool {
            guard let c = carriedRoutes[RouteKey(wafer: wafer, kind: kind, owner: owner, from: from, to: to)] else { return false }
            return c.valid && c.roles.contains(role)
        }
        @Sendable func stream(toward wafer: Int, _ owner: Int, from: Int) -> Int? {
            (streams[StreamKey(wafer: wafer, owner: owner, from: from)] ?? []).first { carries(wafer, .lineClass, owner, from, $0, .stream) }
        }

        // Per wafer: colors of classes, bundles, the overlay and exceptions; class lines; lanes.
        let classesByWafer = Dictionary(grouping: plan.routing.classes, by: \.wafer)
        let bundlesByWafer = Dictionary(grouping: plan.routing.bundles, by: \.wafer)
        // Wafers replay independently, on all cores; their findings merge in wafer order, so
        // the report is the same as a sequential replay's.
        struct Part {
            var log = ViolationLog()
            var lostPartials: Set<Int> = [], missedBroadcasts: Set<Int> = [], lostLanes: Set<Int> = []
            var linesExpanded = 0, maxColorsPerPe = 0
        }
        let selected = fabrics.filter { scope?.contains($0.index) ?? true }
        let parts = parallelMap(selected.count) { index -> Part in
            let fabric = selected[index]
            var part = Part()
            var log: ViolationLog { get { part.log } set { part.log = newValue } }
            var lostPartials: Set<Int> { get { part.lostPartials } set { part.lostPartials = newValue } }
            var missedBroadcasts: Set<Int> { get { part.missedBroadcasts } set { part.missedBroadcasts = newValue } }
            var lostLanes: Set<Int> { get { part.lostLanes } set { part.lostLanes = newValue } }
            var linesExpanded: Int { get { part.linesExpanded } set { part.linesExpanded = newValue } }
            var maxColorsPerPe: Int { get { part.maxColorsPerPe } set { part.maxColorsPerPe = newValue } }
            let w = fabric.index
            var mask = [UInt64](repeating: 0, count: fabric.width * fabric.height)
            func take(_ pe: Int, _ bits: UInt64, _ owner: @autoclosure () -> String) {
                guard pe >= 0 && pe < mask.count else { return }
                if mask[pe] & bits != 0 {
                    log.add(.color, "wafer \(w) PE \(WaferExec.pe(pe, width)): \(owner()) takes a color another owner holds (colors \(colorList(mask[pe] & bits)))")
                }
                mask[pe] |= bits
            }
            var subs: [Int: [Int: Int?]] = [:]
            for c in classesByWafer[w] ?? [] where c.foldedInto == nil {
                guard c.columns.count == 2, c.rows.count == 2, c.columns[0] >= 0, c.columns[0] < c.columns[1], c.columns[1] <= fabric.homeOffsets.count,
                      c.rows[0] >= 0, c.rows[0] < c.rows[1], c.rows[1] <= fabric.wafer.slotHeight, c.segment > 0 else {
                    log.add(.route, "class \(c.id) on wafer \(w): its column or row range or segment does not fit slot \(c.slot)"); continue
                }
                if c.colors.contains(where: { $0 < 0 || $0 >= budget }) { log.add(.color, "class \(c.id) on wafer \(w): a color outside 0..<\(budget)") }
                let bits = colorBits(c.colors)
                let origin = fabric.slotOrigin(c.slot)
                let columns = c.columns[0]..<c.columns[1], rows = c.rows[0]..<c.rows[1]
                let xs = (origin.x + fabric.homeOffsets[columns.lowerBound])...(origin.x + fabric.homeOffsets[columns.upperBound - 1])
                let tree = c.mode == .tree
                if c.axis == .rows {
                    for row in rows {
                        let y = origin.y + row
                        for x in xs { take(y * fabric.width + x, bits, "class \(c.id)") }
                        guard fabric.rowTouched(y, xs) else { continue }
                        linesExpanded += 1
                        // Spare PEs of this slot row that hold a moved tile (the whole row's,
                        // whichever segment its dead home PE is in).
                        let subsKey = c.slot * fabric.height + y
                        if subs[subsKey] == nil { subs[subsKey] = fabric.substitutes(slot: c.slot, row: y) }
                        let holders = Set((subs[subsKey] ?? [:]).values.compactMap { $0 })
                        for start in stride(from: columns.lowerBound, to: columns.upperBound, by: c.segment) {
                            var members: [(x: Int, logical: Int)] = []
                            for column in start..<min(start + c.segment, columns.upperBound) {
                                if let h = fabric.holder(slot: c.slot, column: column, row: row, subs: &subs) { members.append((h.x, column)) }
                                else { lostPartials.insert(Self.key(c.id, row, column)); missedBroadcasts.insert(Self.key(c.id, row, column)) }
                            }
                            members.sort { $0.x < $1.x }
                            lazy var own = Set(members.map(\.x))
                            let structure = ReductionTree(length: members.count, tree: tree)
                            for i in 0..<max(0, members.count - 1) {
                                let a = members[i].x, b = members[i + 1].x
                                var clean = fabric.straightLive(a, y, b, y)
                                if clean {
                                    for x in (a + 1)..<max(a + 1, b) where !fabric.isSpare(offset: x - origin.x) || (holders.contains(x) && !own.contains(x)) { clean = false }
                                }
                                if clean { continue }
                                for forward in [true, false] {
                                    let (from, to) = forward ? (a, b) : (b, a)
                                    for role in structure.roles(crossing: i, forward: forward)
                                    where !carries(w, .lineClass, c.id, y * fabric.width + from, y * fabric.width + to, role) {
                                        log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), rows) row \(row): the \(role) hop from \(WaferExec.pe(y * fabric.width + from, width)) to \(WaferExec.pe(y * fabric.width + to, width)) meets a dead PE or link and no exception route carries it")
                                        for p in structure.cutOff(role: role, crossing: i) {
                                            let k = Self.key(c.id, row, members[p].logical)
                                            if role == .broadcast { missedBroadcasts.insert(k) } else { lostPartials.insert(k) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } else {
                    for column in columns {
                        let x = origin.x + fabric.homeOffsets[column]
                        for row in rows { take((origin.y + row) * fabric.width + x, bits, "class \(c.id)") }
                        guard fabric.columnTouched(x, (origin.y + rows.lowerBound)..<(origin.y + rows.upperBound)) else { continue }
                        linesExpanded += 1
                        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: c.segment) {
                            var members: [Int] = []   // logical rows with a live home PE
                            var leaves: [(row: Int, pe: Int)] = []
                            for row in start..<min(start + c.segment, rows.upperBound) {
                                let y = origin.y + row
                                if fabric.isLive(x, y) { members.append(row) }
                                else if let h = fabric.holder(slot: c.slot, column: column, row: row, subs: &subs) { leaves.append((row, y * fabric.width + h.x)) }
                                else { lostPartials.insert(Self.key(c.id, column, row)); missedBroadcasts.insert(Self.key(c.id, column, row)) }
                            }
                            let structure = ReductionTree(length: members.count, tree: tree)
                            let peOf = { (row: Int) in (origin.y + row) * fabric.width + x }
                            for i in 0..<max(0, members.count - 1) where !fabric.straightLive(x, origin.y + members[i], x, origin.y + members[i + 1]) {
                                for forward in [true, false] {
                                    let (from, to) = forward ? (members[i], members[i + 1]) : (members[i + 1], members[i])
                                    for role in structure.roles(crossing: i, forward: forward) where !carries(w, .lineClass, c.id, peOf(from), peOf(to), role) {
                                        log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), columns) column \(column): the \(role) hop from \(WaferExec.pe(peOf(from), width)) to \(WaferExec.pe(peOf(to), width)) meets a dead PE or link and no exception route carries it")
                                        for p in structure.cutOff(role: role, crossing: i) {
                                            let k = Self.key(c.id, column, members[p])
                                            if role == .broadcast { missedBroadcasts.insert(k) } else { lostPartials.insert(k) }
                                        }
                                    }
                                }
                            }
                            // A tile moved to a spare joins its segment through an exception route
                            // into a member (its partial sum) and one back (the result).
                            let memberPEs = Set(members.map(peOf))
                            for leaf in leaves {
                                let k = Self.key(c.id, column, leaf.row)
                                guard let at = stream(toward: w, c.id, from: leaf.pe), memberPEs.contains(at) else {
                                    log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), columns) column \(column): the tile of row \(leaf.row) sits on spare PE \(WaferExec.pe(leaf.pe, width)) and no exception route takes its partial sum into the line")
                                    lostPartials.insert(k); missedBroadcasts.insert(k); continue
                                }
                                let atRow = at / fabric.width - origin.y
                                if lostPartials.contains(Self.key(c.id, column, atRow)) { lostPartials.insert(k) }
                                if !carries(w, .lineClass, c.id, at, leaf.pe, .broadcast) || missedBroadcasts.contains(Self.key(c.id, column, atRow)) {
                                    if !carries(w, .lineClass, c.id, at, leaf.pe, .broadcast) {
                                        log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), columns) column \(column): no exception route brings the result back to the tile of row \(leaf.row) on spare PE \(WaferExec.pe(leaf.pe, width))")
                                    }
                                    missedBroadcasts.insert(k)
                                }
                            }
                        }
                    }
                }
            }
            for b in bundlesByWafer[w] ?? [] {
                if b.color < 0 || b.color >= budget { log.add(.color, "bundle \(b.id) on wafer \(w): color \(b.color) outside 0..<\(budget)") }
                let bits = colorBits([b.color])
                for lane in 0..<max(0, b.lanes) {
                    let path = b.lane(lane)
                    guard path.allSatisfy({ fabric.onFabric($0.x, $0.y) }) else {
                        log.add(.route, "bundle \(b.id) (\(b.label)) on wafer \(w): lane \(lane) leaves the fabric"); lostLanes.insert((b.id << 20) | lane); break
                    }
                    var i = 0
                    while i < path.count {
                        let p = path[i]
                        if fabric.isLive(p.x, p.y) { take(p.y * fabric.width + p.x, bits, "bundle \(b.id)") }
                        if i + 1 < path.count, fabric.isLive(p.x, p.y), !(fabric.isLive(path[i + 1].x, path[i + 1].y) && fabric.linkLive(p.x, p.y, path[i + 1].x, path[i + 1].y)) {
                            var j = i + 1
                            while j < path.count && !fabric.isLive(path[j].x, path[j].y) { j += 1 }
                            let from = p.y * fabric.width + p.x
                            // Past a dead sink the lane lands on the first live PE further on.
                            let landing = j < path.count ? path[j] : HandoffLanding.landing(path, onFabric: fabric.onFabric, isLive: { fabric.isLive($0, $1) })
                            if landing == nil || !carries(w, .bundle, b.id, from, (landing?.y ?? 0) * fabric.width + (landing?.x ?? 0), .lane) {
                                log.add(.route, "bundle \(b.id) (\(b.label)) on wafer \(w): lane \(lane) breaks after \(WaferExec.pe(from, width)) and no exception route carries it on")
                                lostLanes.insert((b.id << 20) | lane)
                            }
                            i = j; continue
                        }
                        i += 1
                    }
                }
            }
            let overlayBits = colorBits(fabric.wafer.overlayColors)
            for p in fabric.wafer.overlayPes { take(Int(p), overlayBits, "the overlay") }
            for (p, bits, k) in taken[w] ?? [] { take(p, bits, exceptionName(k)) }
            var most = 0
            for m in mask where m != 0 { most = max(most, m.nonzeroBitCount) }
            maxColorsPerPe = max(maxColorsPerPe, most)
            if most > budget { log.add(.color, "wafer \(w): a PE holds \(most) colors, over the budget of \(budget)") }
            if !fabric.wafer.unresolvedPes.isEmpty {
                log.add(.route, "wafer \(w): \(fabric.wafer.unresolvedPes.count) routes have no way through (first at \(WaferExec.pe(Int(fabric.wafer.unresolvedPes[0]), width)))")
            }
            return part
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
