import WaferPlan
import WaferSupport

/// `RouteReplay` on one wafer: marks the colors of classes, bundles, the overlay and exception
/// routes per PE (one flat array), expands the class lines a defect touches member by member,
/// and follows each bundle lane past dead PEs. O(PEs the wafer's classes span + touched line
/// members + lane PEs).
struct WaferRouteReplay {
    let fabric: WaferFabric
    let exceptions: ExceptionIndex
    let budget: Int
    /// The fabric's width (PE ids are `y * width + x`).
    let width: Int
    var w: Int { fabric.index }
    private(set) var findings = RouteReplay.Findings()
    private var mask: [UInt64]
    /// Spare substitutions per (slot, row), computed on first use.
    private var subs: [Int: [Int: Int?]] = [:]

    init(fabric: WaferFabric, plan: Plan, exceptions: ExceptionIndex) {
        self.fabric = fabric
        self.exceptions = exceptions
        budget = plan.routing.colorBudget
        width = plan.target.fabricWidth
        mask = [UInt64](repeating: 0, count: fabric.width * fabric.height)
    }

    /// Gives PE `pe` the colors `bits`; a color another owner holds there is a violation.
    private mutating func take(_ pe: Int, _ bits: UInt64, _ owner: @autoclosure () -> String) {
        guard pe >= 0 && pe < mask.count else { return }
        if mask[pe] & bits != 0 {
            findings.log.add(.color, "wafer \(w) PE \(WaferExec.pe(pe, width)): \(owner()) takes a color another owner holds (colors \(colorList(mask[pe] & bits)))")
        }
        mask[pe] |= bits
    }

    /// Marks a line class's colors and replays its lines a defect touches.
    mutating func replayClass(_ c: PlanClass) {
        guard c.columns.count == 2, c.rows.count == 2, c.columns[0] >= 0, c.columns[0] < c.columns[1], c.columns[1] <= fabric.homeOffsets.count,
              c.rows[0] >= 0, c.rows[0] < c.rows[1], c.rows[1] <= fabric.wafer.slotHeight, c.segment > 0 else {
            findings.log.add(.route, "class \(c.id) on wafer \(w): its column or row range or segment does not fit slot \(c.slot)"); return
        }
        if c.colors.contains(where: { $0 < 0 || $0 >= budget }) { findings.log.add(.color, "class \(c.id) on wafer \(w): a color outside 0..<\(budget)") }
        if c.axis == .rows { replayRows(c) } else { replayColumns(c) }
    }

    /// A class along rows: each touched row's members (home PEs, or the spares holding moved
    /// tiles) in segments; every hop that is not straight over live regular PEs needs an
    /// exception route for each role crossing it.
    private mutating func replayRows(_ c: PlanClass) {
        let bits = colorBits(c.colors)
        let origin = fabric.slotOrigin(c.slot)
        let columns = c.columns[0]..<c.columns[1], rows = c.rows[0]..<c.rows[1]
        let xs = (origin.x + fabric.homeOffsets[columns.lowerBound])...(origin.x + fabric.homeOffsets[columns.upperBound - 1])
        let tree = c.mode == .tree
        let marked = markSpans(xs: xs, ys: (origin.y + rows.lowerBound)..<(origin.y + rows.upperBound), bits: bits)
        for row in rows {
            let y = origin.y + row
            if !marked { for x in xs { take(y * fabric.width + x, bits, "class \(c.id)") } }
            guard fabric.rowTouched(y, xs) else { continue }
            findings.linesExpanded += 1
            // Spare PEs of this slot row that hold a moved tile (the whole row's,
            // whichever segment its dead home PE is in).
            let subsKey = c.slot * fabric.height + y
            if subs[subsKey] == nil { subs[subsKey] = fabric.substitutes(slot: c.slot, row: y) }
            let holders = (subs[subsKey] ?? [:]).values.compactMap { $0 }   // a few spares: a list, not a set
            for start in stride(from: columns.lowerBound, to: columns.upperBound, by: c.segment) {
                // A segment whose span holds no defect and no spare standing in for a tile is
                // regular: every home is a member and every hop straight (nothing to replay).
                let xa = origin.x + fabric.homeOffsets[start], xb = origin.x + fabric.homeOffsets[min(start + c.segment, columns.upperBound) - 1]
                if fabric.rowSpanClean(y, xa, xb) && !holders.contains(where: { $0 >= xa && $0 <= xb }) { continue }
                var members: [(x: Int, logical: Int)] = []
                for column in start..<min(start + c.segment, columns.upperBound) {
                    if let h = fabric.holder(slot: c.slot, column: column, row: row, subs: &subs) { members.append((h.x, column)) }
                    else { findings.lostPartials.insert(RouteReplay.key(c.id, row, column)); findings.missedBroadcasts.insert(RouteReplay.key(c.id, row, column)) }
                }
                members.sort { $0.x < $1.x }
                lazy var own = Set(members.map(\.x))
                lazy var structure = ReductionTree(length: members.count, tree: tree)   // needed only at a broken hop
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
                        where !exceptions.carries(.lineClass, c.id, y * fabric.width + from, y * fabric.width + to, role) {
                            findings.log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), rows) row \(row): the \(role) hop from \(WaferExec.pe(y * fabric.width + from, width)) to \(WaferExec.pe(y * fabric.width + to, width)) meets a dead PE or link and no exception route carries it")
                            for p in structure.cutOff(role: role, crossing: i) {
                                let k = RouteReplay.key(c.id, row, members[p].logical)
                                if role == .broadcast { findings.missedBroadcasts.insert(k) } else { findings.lostPartials.insert(k) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A class along columns: each touched column's live members in segments; tiles moved to a
    /// spare join their segment through an exception route into a member and one back.
    private mutating func replayColumns(_ c: PlanClass) {
        let bits = colorBits(c.colors)
        let origin = fabric.slotOrigin(c.slot)
        let columns = c.columns[0]..<c.columns[1], rows = c.rows[0]..<c.rows[1]
        let tree = c.mode == .tree
        let marked = markRows(columns: columns, rows: rows, origin: origin, bits: bits)
        for column in columns {
            let x = origin.x + fabric.homeOffsets[column]
            if !marked { for row in rows { take((origin.y + row) * fabric.width + x, bits, "class \(c.id)") } }
            guard fabric.columnTouched(x, (origin.y + rows.lowerBound)..<(origin.y + rows.upperBound)) else { continue }
            findings.linesExpanded += 1
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: c.segment) {
                // A segment with no defect in its span is regular: nothing to replay.
                if fabric.columnSpanClean(x, origin.y + start, origin.y + min(start + c.segment, rows.upperBound) - 1) { continue }
                var members: [Int] = []   // logical rows with a live home PE
                var leaves: [(row: Int, pe: Int)] = []
                for row in start..<min(start + c.segment, rows.upperBound) {
                    let y = origin.y + row
                    if fabric.isLive(x, y) { members.append(row) }
                    else if let h = fabric.holder(slot: c.slot, column: column, row: row, subs: &subs) { leaves.append((row, y * fabric.width + h.x)) }
                    else { findings.lostPartials.insert(RouteReplay.key(c.id, column, row)); findings.missedBroadcasts.insert(RouteReplay.key(c.id, column, row)) }
                }
                lazy var structure = ReductionTree(length: members.count, tree: tree)   // needed only at a broken hop
                let fabricWidth = fabric.width
                let peOf = { (row: Int) in (origin.y + row) * fabricWidth + x }
                for i in 0..<max(0, members.count - 1) where !fabric.straightLive(x, origin.y + members[i], x, origin.y + members[i + 1]) {
                    for forward in [true, false] {
                        let (from, to) = forward ? (members[i], members[i + 1]) : (members[i + 1], members[i])
                        for role in structure.roles(crossing: i, forward: forward) where !exceptions.carries(.lineClass, c.id, peOf(from), peOf(to), role) {
                            findings.log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), columns) column \(column): the \(role) hop from \(WaferExec.pe(peOf(from), width)) to \(WaferExec.pe(peOf(to), width)) meets a dead PE or link and no exception route carries it")
                            for p in structure.cutOff(role: role, crossing: i) {
                                let k = RouteReplay.key(c.id, column, members[p])
                                if role == .broadcast { findings.missedBroadcasts.insert(k) } else { findings.lostPartials.insert(k) }
                            }
                        }
                    }
                }
                if !leaves.isEmpty { joinLeaves(leaves, of: c, column: column, x: x, members: members, originY: origin.y) }
            }
        }
    }

    /// Gives a row class's PEs (columns `xs` of rows `ys`) the colors `bits` when no other owner
    /// holds them there; false (and nothing marked) otherwise, and the caller takes them one by
    /// one, logging each clash in the order it always has. O(|xs| x |ys|).
    private mutating func markSpans(xs: ClosedRange<Int>, ys: Range<Int>, bits: UInt64) -> Bool {
        let width = fabric.width
        guard xs.lowerBound >= 0, xs.upperBound < width, ys.lowerBound >= 0, ys.upperBound <= fabric.height else { return false }
        let lo = xs.lowerBound, count = xs.count
        return mask.withUnsafeMutableBufferPointer { m in
            Self.markRowByRow(m, rows: ys, bits: bits) { y, body in for i in 0..<count { body(y * width + lo + i) } }
        }
    }

    /// Gives a column class's home PEs (`columns x rows` from `origin`) the colors `bits`, row by
    /// row as the mask lies in memory, when no other owner holds them there; false (and nothing
    /// marked) otherwise, and the caller takes them column by column, logging each clash in the
    /// order it always has. O(columns x rows).
    private mutating func markRows(columns: Range<Int>, rows: Range<Int>, origin: (x: Int, y: Int), bits: UInt64) -> Bool {
        let width = fabric.width, offsets = fabric.homeOffsets, count = mask.count
        guard columns.lowerBound >= 0, columns.upperBound <= offsets.count, !columns.isEmpty, origin.x + offsets[columns.lowerBound] >= 0,
              origin.x + offsets[columns.upperBound - 1] < width, origin.y + rows.lowerBound >= 0, (origin.y + rows.upperBound) * width <= count else { return false }
        return mask.withUnsafeMutableBufferPointer { m in
            Self.markRowByRow(m, rows: rows, bits: bits) { row, body in
                let base = (origin.y + row) * width + origin.x
                for column in columns { body(base + offsets[column]) }
            }
        }
    }

    /// One pass, a row at a time while it is in cache: checks a row's PEs (`pes(row, visit)` visits
    /// them, all within `m`), then marks them. At the first clash the rows already marked are
    /// unmarked (none of them held `bits`, so clearing restores them) and it returns false.
    private static func markRowByRow(_ m: UnsafeMutableBufferPointer<UInt64>, rows: Range<Int>, bits: UInt64,
                                     _ pes: (Int, (Int) -> Void) -> Void) -> Bool {
        for row in rows {
            var clash: UInt64 = 0
            pes(row) { clash |= m[$0] & bits }
            if clash != 0 {
                for done in rows.lowerBound..<row { pes(done) { m[$0] &= ~bits } }
                return false
            }
            pes(row) { m[$0] |= bits }
        }
        return true
    }

    /// A tile moved to a spare joins its segment through an exception route into a member (its
    /// partial sum) and one back (the result). `members`: the segment's logical rows with a live
    /// home PE in fabric column `x`, ascending (a PE is a member when it lies in column `x` on
    /// one of them: a binary search, not a set built per segment).
    private mutating func joinLeaves(_ leaves: [(row: Int, pe: Int)], of c: PlanClass, column: Int, x: Int, members: [Int], originY: Int) {
        func isMember(_ pe: Int) -> Bool {
            guard pe >= 0, pe % fabric.width == x else { return false }
            let row = pe / fabric.width - originY
            var lo = 0, hi = members.count
            while lo < hi { let mid = (lo + hi) / 2; if members[mid] < row { lo = mid + 1 } else { hi = mid } }
            return lo < members.count && members[lo] == row
        }
        for leaf in leaves {
            let k = RouteReplay.key(c.id, column, leaf.row)
            guard let at = exceptions.stream(c.id, from: leaf.pe), isMember(at) else {
                findings.log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), columns) column \(column): the tile of row \(leaf.row) sits on spare PE \(WaferExec.pe(leaf.pe, width)) and no exception route takes its partial sum into the line")
                findings.lostPartials.insert(k); findings.missedBroadcasts.insert(k); continue
            }
            let atRow = at / fabric.width - originY
            if findings.lostPartials.contains(RouteReplay.key(c.id, column, atRow)) { findings.lostPartials.insert(k) }
            if !exceptions.carries(.lineClass, c.id, at, leaf.pe, .broadcast) || findings.missedBroadcasts.contains(RouteReplay.key(c.id, column, atRow)) {
                if !exceptions.carries(.lineClass, c.id, at, leaf.pe, .broadcast) {
                    findings.log.add(.route, "class \(c.id) (wafer \(w), slot \(c.slot), columns) column \(column): no exception route brings the result back to the tile of row \(leaf.row) on spare PE \(WaferExec.pe(leaf.pe, width))")
                }
                findings.missedBroadcasts.insert(k)
            }
        }
    }

    /// Marks a bundle's color on its lanes' live PEs; a lane that breaks must be carried on by
    /// an exception route to its next live PE, or past a dead sink to its landing
    /// (`HandoffLanding`).
    mutating func replayBundle(_ b: PlanBundle) {
        if b.color < 0 || b.color >= budget { findings.log.add(.color, "bundle \(b.id) on wafer \(w): color \(b.color) outside 0..<\(budget)") }
        let bits = colorBits([b.color])
        for lane in 0..<max(0, b.lanes) {
            let path = b.lane(lane)
            guard path.allSatisfy({ fabric.onFabric($0.x, $0.y) }) else {
                findings.log.add(.route, "bundle \(b.id) (\(b.label)) on wafer \(w): lane \(lane) leaves the fabric"); findings.lostLanes.insert((b.id << 20) | lane); break
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
                    if landing == nil || !exceptions.carries(.bundle, b.id, from, (landing?.y ?? 0) * fabric.width + (landing?.x ?? 0), .lane) {
                        findings.log.add(.route, "bundle \(b.id) (\(b.label)) on wafer \(w): lane \(lane) breaks after \(WaferExec.pe(from, width)) and no exception route carries it on")
                        findings.lostLanes.insert((b.id << 20) | lane)
                    }
                    i = j; continue
                }
                i += 1
            }
        }
    }

    /// Gives every PE of every exception route with well-formed colors the colors it holds
    /// there, in route order, walking its moves (the index decoded each to a path on the fabric,
    /// so every move stays on it). No closure per hop: a Kimi K2 plan has 3.4 million.
    /// O(the wafer's exception hops).
    private mutating func markExceptionColors() {
        let ex = exceptions.exceptions, width = fabric.width
        for k in exceptions.colored {
            let colors = ex.colors[k], starts = ex.runStarts[k], moves = ex.moves[k].utf8
            var pe = Int(ex.start[k]), run = 0, hop = 0
            var next = moves.makeIterator()
            while true {
                let bits = ExceptionIndex.mask(colors: colors, starts: starts, hop: hop, run: &run)
                if pe >= 0 && pe < mask.count {
                    if mask[pe] & bits != 0 {
                        findings.log.add(.color, "wafer \(w) PE \(WaferExec.pe(pe, width)): \(ExceptionIndex.name(ex, k)) takes a color another owner holds (colors \(colorList(mask[pe] & bits)))")
                    }
                    mask[pe] |= bits
                }
                guard let move = next.next() else { break }
                switch move {
                case UInt8(ascii: "N"): pe -= width
                case UInt8(ascii: "S"): pe += width
                case UInt8(ascii: "E"): pe += 1
                default: pe -= 1
                }
                hop += 1
            }
        }
    }

    /// Marks the overlay's and the exception routes' colors, then checks the colors per PE
    /// against the budget and reports routes left without a way through.
    mutating func finishColors() {
        let overlayBits = colorBits(fabric.wafer.overlayColors)
        for p in fabric.wafer.overlayPes { take(Int(p), overlayBits, "the overlay") }
        markExceptionColors()
        var most = 0
        for m in mask where m != 0 { most = max(most, m.nonzeroBitCount) }
        findings.maxColorsPerPe = max(findings.maxColorsPerPe, most)
        if most > budget { findings.log.add(.color, "wafer \(w): a PE holds \(most) colors, over the budget of \(budget)") }
        if !fabric.wafer.unresolvedPes.isEmpty {
            findings.log.add(.route, "wafer \(w): \(fabric.wafer.unresolvedPes.count) routes have no way through (first at \(WaferExec.pe(Int(fabric.wafer.unresolvedPes[0]), width)))")
        }
    }
}
