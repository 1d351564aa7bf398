import WaferIR
import WaferPlan
import WaferSupport

/// What a repair moved, measured by comparing the input plan with the repaired one.
public struct RepairDelta: Sendable, Encodable {
    /// Wafers whose dead PEs or links changed (the only ones the repair may change).
    public var touchedWafers: [Int]
    public var wafers: Int
    /// Defects the new map adds to (and removes from) the plan's wafers.
    public var newDeadPes: Int
    public var revivedPes: Int
    public var newDeadLinks: Int
    public var revivedLinks: Int
    /// Live PEs the new defects seal off (the compiler treats them as dead), net.
    public var sealedPesBefore: Int
    public var sealedPesAfter: Int
    /// Wafers whose slot grid had to change (a group's slot died and no usable slot was free):
    /// every tile position on them moved.
    public var wafersRetiled: [Int]
    /// Stacking groups moved to another slot of a kept grid.
    public var groupsMoved: [GroupMove]
    /// Tile positions (a PE's worth of every unit stacked on its slot) now on another PE: those
    /// of moved groups, and those whose spare substitute changed in a kept slot.
    public var tilePositionsMoved: Int
    /// Tile positions on the touched wafers, and on the whole plan.
    public var tilePositionsOnTouchedWafers: Int
    public var tilePositionsTotal: Int
    /// Bytes of weights and KV cache that change PE (per position: its group's bytes per PE).
    public var bytesMoved: Int
    public var bytesTotal: Int
    /// Exception routes on the touched wafers before and after; of those after, how many are
    /// identical to one before (same path and colors), and how many are new.
    public var exceptionsBefore: Int
    public var exceptionsAfter: Int
    public var exceptionsKept: Int
    public var exceptionsNew: Int
    public var exceptionsTotal: Int
    /// Line classes and bundles of the touched wafers that changed (mode, colors, penalty, or new).
    public var classesChanged: Int
    public var bundlesChanged: Int
    public var cyclesPerTokenBefore: Int
    public var cyclesPerTokenAfter: Int
    public var tokensPerSBefore: Double
    public var tokensPerSAfter: Double

    public struct GroupMove: Sendable, Encodable {
        public var wafer: Int
        public var group: Int
        public var fromSlot: Int
        public var toSlot: Int
        public var units: [String]
    }

    /// Compares the plans. O(units + exception routes + dead PEs of the touched wafers x spares).
    public init(original old: Plan, repaired new: Plan, touched: [Int]) {
        touchedWafers = touched
        wafers = new.wafers.count
        let touchedSet = Set(touched)
        var added = 0, revived = 0, addedLinks = 0, revivedLinks = 0, sealedBefore = 0, sealedAfter = 0
        var moves: [GroupMove] = []
        var retiled: [Int] = []
        var positionsMoved = 0, positionsTouched = 0, positionsTotal = 0, moved = 0, total = 0
        for (a, b) in zip(old.wafers, new.wafers) {
            let positions = b.slotWidth * b.slotHeight
            positionsTotal += positions * b.groupSlots.count
            total += b.groupBytesPerPe.reduce(0, +) * positions
            guard touchedSet.contains(a.index) else { continue }
            positionsTouched += positions * b.groupSlots.count
            let (pa, pb) = (Set(a.deadPes), Set(b.deadPes))
            added += pb.subtracting(pa).count
            revived += pa.subtracting(pb).count
            let (la, lb) = (Set(a.deadLinks), Set(b.deadLinks))
            addedLinks += lb.subtracting(la).count
            revivedLinks += la.subtracting(lb).count
            sealedBefore += a.sealedPes.count
            sealedAfter += b.sealedPes.count
            if (a.gridColumns, a.gridRows, a.slotWidth, a.slotHeight, a.spareColumns) != (b.gridColumns, b.gridRows, b.slotWidth, b.slotHeight, b.spareColumns) {
                retiled.append(a.index)
                positionsMoved += positions * b.groupSlots.count
                moved += b.groupBytesPerPe.reduce(0, +) * positions
                continue
            }
            let tiling = Self.tiling(b)
            let deadBefore = Self.rows(a, fabricWidth: old.target.fabricWidth), deadAfter = Self.rows(b, fabricWidth: new.target.fabricWidth)
            for (g, (from, to)) in zip(a.groupSlots, b.groupSlots).enumerated() {
                let bytes = g < b.groupBytesPerPe.count ? b.groupBytesPerPe[g] : 0
                if from != to {
                    moves.append(GroupMove(wafer: a.index, group: g, fromSlot: from, toSlot: to,
                                           units: new.units.filter { $0.wafer == a.index && $0.group == g }.map(\.name)))
                    positionsMoved += positions
                    moved += positions * bytes
                    continue
                }
                let rect = tiling.rect(ofSlot: to)
                for y in rect.y..<(rect.y + rect.height) {
                    let before = (deadBefore[y] ?? []).filter { $0 >= rect.x && $0 < rect.x + rect.width }
                    let after = (deadAfter[y] ?? []).filter { $0 >= rect.x && $0 < rect.x + rect.width }
                    guard before != after else { continue }
                    let subsBefore = Dictionary(tiling.substitutes(slot: to, deadColumnsInRow: before).map { ($0.home, $0.spare) }, uniquingKeysWith: { a, _ in a })
                    let subsAfter = Dictionary(tiling.substitutes(slot: to, deadColumnsInRow: after).map { ($0.home, $0.spare) }, uniquingKeysWith: { a, _ in a })
                    for home in Set(subsBefore.keys).union(subsAfter.keys) {
                        let was = subsBefore[home].map { $0 ?? -1 } ?? home, now = subsAfter[home].map { $0 ?? -1 } ?? home
                        if was != now { positionsMoved += 1; moved += bytes }
                    }
                }
            }
        }
        newDeadPes = added; revivedPes = revived; newDeadLinks = addedLinks; self.revivedLinks = revivedLinks
        sealedPesBefore = sealedBefore; sealedPesAfter = sealedAfter
        groupsMoved = moves
        wafersRetiled = retiled
        tilePositionsMoved = positionsMoved; tilePositionsOnTouchedWafers = positionsTouched; tilePositionsTotal = positionsTotal
        bytesMoved = moved; bytesTotal = total

        let (relOld, relNew) = (WaferRelative(old), WaferRelative(new))
        func keys(_ r: WaferRelative) -> [String] {
            touched.flatMap { w in
                r.exceptions(w).map { e in
                    "\(e.wafer)|\(e.ownerKind)|\(e.owner)|\(e.role)|\(e.carries)|\(e.line)|\(e.position)|\(e.start)|\(e.moves)|\(e.colors)|\(e.runStarts)|\(e.overlay)"
                }
            }
        }
        let before = keys(relOld), after = keys(relNew)
        var pool: [String: Int] = [:]
        for k in before { pool[k, default: 0] += 1 }
        var kept = 0
        for k in after where (pool[k] ?? 0) > 0 { pool[k, default: 0] -= 1; kept += 1 }
        exceptionsBefore = before.count; exceptionsAfter = after.count; exceptionsKept = kept; exceptionsNew = after.count - kept
        exceptionsTotal = new.routing.exceptions.count
        func changed<T: Equatable>(_ a: [T], _ b: [T]) -> Int { b.indices.filter { $0 >= a.count || a[$0] != b[$0] }.count }
        classesChanged = touched.reduce(0) { $0 + changed(relOld.classes($1), relNew.classes($1)) }
        bundlesChanged = touched.reduce(0) { $0 + changed(relOld.bundles($1), relNew.bundles($1)) }
        cyclesPerTokenBefore = old.schedule.cyclesPerToken; cyclesPerTokenAfter = new.schedule.cyclesPerToken
        tokensPerSBefore = old.schedule.tokensPerS; tokensPerSAfter = new.schedule.tokensPerS
    }

    /// The tiling rule of a plan wafer (for its spare substitutions).
    static func tiling(_ w: PlanWafer) -> WaferTiling {
        var t = WaferTiling(wafer: w.index, gridColumns: w.gridColumns, gridRows: w.gridRows, slotWidth: w.slotWidth, slotHeight: w.slotHeight,
                            spareColumns: w.spareColumns, originX: w.originX, originY: w.originY, programWidth: 0, programHeight: 0,
                            usableSlots: [], groupCount: w.groupSlots.count, groupBytesPerPE: w.groupBytesPerPe)
        t.groupSlot = w.groupSlots
        return t
    }

    /// Dead and sealed PEs (what the tiling rule avoids) by row: sorted fabric columns.
    static func rows(_ w: PlanWafer, fabricWidth: Int) -> [Int: [Int]] {
        var rows: [Int: [Int]] = [:]
        for pe in w.deadPes + w.sealedPes { rows[Int(pe) / fabricWidth, default: []].append(Int(pe) % fabricWidth) }
        for key in rows.keys { rows[key]?.sort() }
        return rows
    }
}
