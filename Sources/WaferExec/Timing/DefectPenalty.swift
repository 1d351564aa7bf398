import WaferPlan

/// What the defects of a plan add to its allreduces and hand-offs, re-derived by the executor
/// from the exception routes alone (docs/executor.md, "Timing simulation"). Every route stands
/// for regular hops the defects broke; what it costs on top of them:
///
/// - **Extra hops.** A class route replaces one regular hop between neighbouring line members
///   (or, for a tile moved to a spare, the one hop its home had to the line), so its extra hops
///   are its hops minus one, however far its ends are apart. A lane route replaces the lane's
///   own straight run between its ends: its extra hops are its hops minus their distance.
/// - **Relays.** One per color change; a leader, broadcast or lane transfer relays onto the
///   detour and back (two more); on an overlay every hop is a relay.
/// - **Each transfer a route carries pays it**: a route shared by a stream and a leader hop is
///   crossed once in the reduce and once more in the leader chain.
/// - **Per line segment** (the allreduce's own structure): the streams of different groups run in
///   parallel (the worst group counts), leader hops run one after another (they add), the
///   broadcast's halves either side of the root run in parallel (the worse counts). Overlay
///   transfers of one owner on one connected overlay patch run in the same phase and queue at
///   its forwarding processors: their sum counts once for every line using the patch.
/// - The worst segment of a class sets every allreduce on it; the worst lane sets a bundle's.
///
/// O(exception hops); only overlay routes are expanded to their PEs.
struct DefectPenalty {
    /// Line class id -> cycles its worst line segment adds.
    private(set) var classCycles: [Int: Int] = [:]
    /// Bundle id -> cycles its worst lane adds.
    private(set) var bundleCycles: [Int: Int] = [:]

    private struct Line { var stream: [Int: Int] = [:]; var leader = 0; var low = 0; var high = 0; var overlay: Set<Int> = [] }
    private struct Key: Hashable { var bundle: Bool; var owner: Int; var line: Int; var segment: Int }
    /// One owner's transfers on one connected overlay patch.
    private struct PatchKey: Hashable { var bundle: Bool; var owner: Int; var patch: Int }

    init(plan: Plan) {
        let ex = plan.routing.exceptions
        guard ex.isRectangular, ex.count > 0 else { return }
        let t = plan.target
        let hop = max(t.hopLatencyCycles, 0), relay = max(t.relayLatencyCycles, 0)
        let width = max(t.fabricWidth, 1)
        let classes = Dictionary(plan.routing.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let wafers = Dictionary(plan.wafers.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let patch = Self.patches(ex, width: width)
        var lines: [Key: Line] = [:]
        var overlaySum: [PatchKey: Int] = [:]
        var rolesOf: [String: [PlanRouteRole]] = [:]   // per `carries` text: a plan uses a handful
        for k in 0..<ex.count {
            let bundle = ex.ownerKind[k] != .lineClass
            let hops = ex.moves[k].utf8.count
            let (x0, y0) = (Int(ex.start[k]) % width, Int(ex.start[k]) / width)
            let (x1, y1) = Self.end(x: x0, y: y0, moves: ex.moves[k])
            let baseline = bundle ? abs(x1 - x0) + abs(y1 - y0) : 1
            let relays = ex.overlay[k] ? hops : max(0, ex.colors[k].count - 1)
            let own = max(0, hops - baseline) * hop + relays * relay
            let carried: [PlanRouteRole]
            if let known = rolesOf[ex.carries[k]] { carried = known } else {
                carried = ex.carries[k].split(separator: ",").compactMap { PlanRouteRole(rawValue: String($0)) }
                rolesOf[ex.carries[k]] = carried
            }
            let roles = carried.isEmpty ? [ex.role[k]] : carried
            var segment = 0, tree = ReductionTree(length: 1, tree: false)
            if !bundle, let c = classes[ex.owner[k]], let w = wafers[ex.wafer[k]] {
                let pitch = max(w.slotWidth + w.spareColumns, 1), columns = max(w.gridColumns, 1)
                let origin = (x: w.originX + (c.slot % columns) * pitch, y: w.originY + (c.slot / columns) * w.slotHeight)
                let seg = max(c.segment, 1)
                segment = c.axis == .columns ? max(0, y0 - origin.y - (c.rows.first ?? 0)) / seg
                    : max(0, (x0 - origin.x) * max(w.slotWidth, 1) / pitch - (c.columns.first ?? 0)) / seg
                tree = ReductionTree(length: seg, tree: c.mode == .tree)
            }
            let key = Key(bundle: bundle, owner: ex.owner[k], line: ex.line[k], segment: segment)
            var entry = lines[key] ?? Line()
            for role in roles {
                let cycles = own + (role == .stream ? 0 : 2 * relay)
                if ex.overlay[k] {
                    let id = patch[k]
                    overlaySum[PatchKey(bundle: bundle, owner: ex.owner[k], patch: id), default: 0] += cycles
                    entry.overlay.insert(id)
                } else if bundle {
                    entry.leader += cycles
                } else {
                    switch role {
                    case .stream, .lane: entry.stream[tree.group(of: ex.position[k]), default: 0] += cycles
                    case .leader: entry.leader += cycles
                    case .broadcast: if ex.position[k] < tree.root { entry.low += cycles } else { entry.high += cycles }
                    }
                }
            }
            lines[key] = entry
        }
        for (key, l) in lines {
            let overlay = l.overlay.reduce(0) { $0 + (overlaySum[PatchKey(bundle: key.bundle, owner: key.owner, patch: $1)] ?? 0) }
            let cycles = (l.stream.values.max() ?? 0) + l.leader + max(l.low, l.high) + overlay
            if key.bundle { bundleCycles[key.owner] = max(bundleCycles[key.owner] ?? 0, cycles) } else { classCycles[key.owner] = max(classCycles[key.owner] ?? 0, cycles) }
        }
    }

    /// Where a route from (x, y) taking `moves` ends, without listing its PEs. O(hops).
    static func end(x: Int, y: Int, moves: String) -> (x: Int, y: Int) {
        var x = x, y = y
        for m in moves.utf8 {
            switch m { case 78: y -= 1; case 83: y += 1; case 69: x += 1; default: x -= 1 }
        }
        return (x, y)
    }

    /// The PE ids a route visits, its start first. O(hops).
    static func path(start: Int, moves: String, width: Int) -> [Int] {
        var x = start % width, y = start / width
        var pes = [start]
        for m in moves.utf8 {
            switch m { case 78: y -= 1; case 83: y += 1; case 69: x += 1; default: x -= 1 }
            pes.append(y * width + x)
        }
        return pes
    }

    /// A patch id per overlay route: routes of one wafer whose PEs touch (the same PE or
    /// neighbours) are on one connected patch. -1 for routes off the overlay. O(overlay hops).
    static func patches(_ ex: PlanExceptions, width: Int) -> [Int] {
        var parent = Array(0..<ex.count)
        func find(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        var owner: [Int: [Int: Int]] = [:]
        for k in 0..<ex.count where ex.overlay[k] {
            for pe in path(start: Int(ex.start[k]), moves: ex.moves[k], width: width) {
                for n in [pe, pe - 1, pe + 1, pe - width, pe + width] {
                    if let o = owner[ex.wafer[k]]?[n] { parent[find(o)] = find(k) }
                }
                owner[ex.wafer[k], default: [:]][pe] = k
            }
        }
        return (0..<ex.count).map { ex.overlay[$0] ? find($0) : -1 }
    }
}
