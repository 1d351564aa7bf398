import WaferSupport

/// The plan's own consistency checks, from the plan alone (no compiler state): what `compile`
/// runs on the plan it wrote and `wafermap check-plan` on any plan. They check what an executor
/// relies on: the target's figures are coherent; every used slot lies in the program area;
/// every tile has a live PE (no row of a slot has more dead home PEs than live spares); every
/// unit fits its PEs' memory; every color is within the budget and a slot's classes do not
/// share one; every exception route is a walk over live PEs and links whose hops keep a color
/// both ends hold, no two routes hold a color at one PE, and overlay routes stay on the
/// overlay; the schedule's phases tile the decode step; the summary agrees with the details.
/// (The executor of issue 7 replays the routes and the schedule in full.)
/// O(dead PEs + units x tensors + classes + exception hops + phases, plus the fabric's PEs for each
/// wafer with exception routes: two flat arrays, one wafer at a time).
public enum PlanCheck {
    /// Every problem found (empty for a consistent plan).
    public static func problems(_ plan: Plan) -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { if problems.count < 50 { problems.append(message) } }
        let t = plan.target
        let width = t.fabricWidth, height = t.fabricHeight
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            return ["target: fabric \(width) x \(height) PEs is not a fabric this check can hold"]
        }
        guard t.haloWest >= 0, t.haloEast >= 0, t.haloNorth >= 0, t.haloSouth >= 0,
              t.haloWest + t.haloEast < width, t.haloNorth + t.haloSouth < height else {
            return ["target: the halo leaves no program area on the \(width) x \(height) fabric"]
        }
        let programX = t.haloWest..<(width - t.haloEast), programY = t.haloNorth..<(height - t.haloSouth)
        if t.dataBytesPerPe <= 0 { fail("target: no SRAM left for data after the runtime reserve and buffers") }
        let budget = t.routableColors - t.reservedColors
        if budget <= 0 || budget > 64 { fail("target: \(budget) program colors (routable minus reserved) is not between 1 and 64") }
        if plan.routing.colorBudget != budget { fail("routing: color budget \(plan.routing.colorBudget) differs from the target's \(budget)") }

        let (waferIndex, deadSets) = waferProblems(plan, programX: programX, programY: programY, budget: budget, fail: fail)
        unitProblems(plan, waferIndex: waferIndex, fail: fail)
        colorProblems(plan, budget: budget, fail: fail)
        exceptionProblems(plan, waferIndex: waferIndex, deadSets: deadSets, budget: budget, fail: fail)
        referenceProblems(plan, fail: fail)
        tileProblems(plan, fail: fail)
        summaryProblems(plan, fail: fail)
        scheduleProblems(plan, fail: fail)
        return problems
    }

    /// Wafers: slot grids in the program area, defects on the fabric, a live PE for every tile.
    /// Returns each wafer's position in `plan.wafers` and its dead and sealed PEs, by index.
    static func waferProblems(_ plan: Plan, programX: Range<Int>, programY: Range<Int>, budget: Int,
                              fail: (String) -> Void) -> (waferIndex: [Int: Int], deadSets: [Int: Set<Int32>]) {
        let width = plan.target.fabricWidth, height = plan.target.fabricHeight
        var waferIndex: [Int: Int] = [:]
        var deadSets: [Int: Set<Int32>] = [:]
        for (i, w) in plan.wafers.enumerated() {
            if w.index != i { fail("wafers[\(i)]: index \(w.index), expected \(i)") }
            waferIndex[w.index] = i
            let pitch = w.slotWidth + w.spareColumns
            if w.gridColumns < 1 || w.gridRows < 1 || w.slotWidth < 1 || w.slotHeight < 1 || w.spareColumns < 0 {
                fail("wafer \(w.index): empty slot grid"); continue
            }
            if w.originX < programX.lowerBound || w.originY < programY.lowerBound || w.originX + w.gridColumns * pitch > programX.upperBound
                || w.originY + w.gridRows * w.slotHeight > programY.upperBound {
                fail("wafer \(w.index): the slot grid leaves the program area")
            }
            for list in [w.deadPes, w.sealedPes, w.overlayPes] where zip(list, list.dropFirst()).contains(where: { $0 >= $1 }) {
                fail("wafer \(w.index): a PE list is not sorted and unique")
            }
            defectListProblems(w, width: width, height: height, fail: fail)
            let dead = Set(w.deadPes).union(w.sealedPes)
            deadSets[w.index] = dead
            if Set(w.groupSlots).count != w.groupSlots.count || w.groupSlots.contains(where: { $0 < 0 || $0 >= w.gridColumns * w.gridRows }) {
                fail("wafer \(w.index): group slots are not distinct slots of the grid")
            }
            // Rows of used slots: dead home PEs against live spares.
            let spares = (0..<w.spareColumns).map { ((2 * $0 + 1) * pitch) / (2 * w.spareColumns) }
            let spareSet = Set(spares)
            var perRow: [Int: (home: Int, deadSpares: Int)] = [:]
            let used = Set(w.groupSlots)
            for pe in dead {
                let x = Int(pe) % width, y = Int(pe) / width
                guard x >= w.originX, y >= w.originY else { continue }
                let column = (x - w.originX) / pitch, row = (y - w.originY) / w.slotHeight
                guard column < w.gridColumns, row < w.gridRows, used.contains(row * w.gridColumns + column) else { continue }
                let key = (row * w.gridColumns + column) * height + y
                var entry = perRow[key] ?? (0, 0)
                if spareSet.contains((x - w.originX) % pitch) { entry.deadSpares += 1 } else { entry.home += 1 }
                perRow[key] = entry
            }
            for (key, entry) in perRow.sorted(by: { $0.key < $1.key }) where entry.home > w.spareColumns - entry.deadSpares {
                fail("wafer \(w.index): row \(key % height) of slot \(key / height) has \(entry.home) dead tile positions but \(w.spareColumns - entry.deadSpares) live spares")
            }
            if !w.overlayPes.isEmpty && (w.overlayColors.count != 2 || w.overlayColors.contains { $0 < 0 || $0 >= budget }) {
                fail("wafer \(w.index): the overlay needs two colors within the budget")
            }
        }
        return (waferIndex, deadSets)
    }

    /// Units: on their group's slot, within the memory of their PEs.
    static func unitProblems(_ plan: Plan, waferIndex: [Int: Int], fail: (String) -> Void) {
        let t = plan.target
        for u in plan.units {
            guard let wi = waferIndex[u.wafer] else { fail("unit \(u.name): wafer \(u.wafer) is not in the plan"); continue }
            let w = plan.wafers[wi]
            if !w.groupSlots.indices.contains(u.group) || w.groupSlots[u.group] != u.slot { fail("unit \(u.name): slot \(u.slot) is not its group's") }
            let bytes = u.peakBytesPerPe
            if bytes > t.dataBytesPerPe { fail("unit \(u.name): \(bytes) B per PE exceed the \(t.dataBytesPerPe) B for data") }
            if w.groupBytesPerPe.indices.contains(u.group), bytes > w.groupBytesPerPe[u.group] {
                fail("unit \(u.name): \(bytes) B per PE exceed its group's \(w.groupBytesPerPe[u.group]) B")
            }
            let tileBytes = u.tensors.reduce(0) { $0 + $1.bytesPerPe }
            if tileBytes > u.denseBytesPerPe + u.expertBytesPerPe { fail("unit \(u.name): its tensors' tiles take \(tileBytes) B per PE, more than the \(u.denseBytesPerPe + u.expertBytesPerPe) B budgeted") }
            if let cells = u.cells, cells.columns * cells.cellWidth > w.slotWidth || cells.rows * cells.cellHeight > w.slotHeight {
                fail("unit \(u.name): its expert cells do not fit the slot")
            }
            if let r = u.denseRegion, r.width < 1 || r.height < 1 || r.row0 < 0 || r.width > w.slotWidth || r.row0 + r.height > w.slotHeight {
                fail("unit \(u.name): its region \(r.width) x \(r.height) from row \(r.row0) does not fit the \(w.slotWidth) x \(w.slotHeight) slot")
            }
        }
    }

    /// Line classes and bundles: colors within the budget, a slot's classes on distinct colors.
    static func colorProblems(_ plan: Plan, budget: Int, fail: (String) -> Void) {
        var slotColors: [String: Set<Int>] = [:]
        for c in plan.routing.classes where c.foldedInto == nil {
            if c.colors.contains(where: { $0 < 0 || $0 >= budget }) { fail("class \(c.id): a color outside 0..<\(budget)") }
            let key = "\(c.wafer)/\(c.slot)"
            if !slotColors[key, default: []].isDisjoint(with: c.colors) { fail("class \(c.id): shares a color with another class of slot \(c.slot) on wafer \(c.wafer)") }
            slotColors[key, default: []].formUnion(c.colors)
        }
        for b in plan.routing.bundles where b.color < 0 || b.color >= budget { fail("bundle \(b.id): color \(b.color) outside 0..<\(budget)") }
    }

    /// Exception routes: live walks, colors held by one route per PE, overlay routes on the
    /// overlay. One wafer at a time on flat per-PE arrays (a byte of state and a color mask
    /// per PE, allocated once and reused: only the PEs a wafer set are cleared after it), so
    /// each hop costs two loads, not hash lookups, and a wafer costs its defects and hops, not
    /// its fabric.
    static func exceptionProblems(_ plan: Plan, waferIndex: [Int: Int], deadSets: [Int: Set<Int32>], budget: Int, fail: (String) -> Void) {
        let width = plan.target.fabricWidth, height = plan.target.fabricHeight
        let pes = width * height
        let exceptions = plan.routing.exceptions
        if !exceptions.isRectangular { fail("routing: the exception lists have different lengths") }
        var byWafer: [Int: [Int]] = [:]
        for k in 0..<(exceptions.isRectangular ? exceptions.count : 0) {
            if waferIndex[exceptions.wafer[k]] == nil || deadSets[exceptions.wafer[k]] == nil {
                fail("exception \(k): wafer \(exceptions.wafer[k]) is not in the plan"); continue
            }
            byWafer[exceptions.wafer[k], default: []].append(k)
        }
        // Bits of `state`: 1 dead or sealed, 2 overlay, 4 east link dead, 8 south link dead.
        var state = [UInt8](), held = [UInt64](), touched: [Int] = []
        for w in plan.wafers {
            guard let list = byWafer[w.index], !list.isEmpty else { continue }
            if state.isEmpty { state = [UInt8](repeating: 0, count: pes); held = [UInt64](repeating: 0, count: pes) }
            for pe in touched { state[pe] = 0; held[pe] = 0 }
            touched.removeAll(keepingCapacity: true)
            for pe in w.deadPes + w.sealedPes where pe >= 0 && Int(pe) < pes { state[Int(pe)] |= 1; touched.append(Int(pe)) }
            let overlayBits = w.overlayColors.reduce(UInt64(0)) { $0 | (UInt64(1) << UInt64(max(0, min(63, $1)))) }
            for pe in w.overlayPes where pe >= 0 && Int(pe) < pes { state[Int(pe)] |= 2; held[Int(pe)] = overlayBits; touched.append(Int(pe)) }
            for link in w.deadLinks where link >= 0 && Int(link) / 2 < pes { state[Int(link) / 2] |= link % 2 == 0 ? 4 : 8; touched.append(Int(link) / 2) }
            for k in list { routeProblems(exceptions, k, width: width, height: height, budget: budget, state: state, held: &held, touched: &touched, fail: fail) }
        }
    }

    /// Exception route `k` on one wafer's `state` (see `exceptionProblems`); marks its colors in
    /// `held` and lists the PEs it marks in `touched`. O(hops + runs).
    static func routeProblems(_ exceptions: PlanExceptions, _ k: Int, width: Int, height: Int, budget: Int, state: [UInt8], held: inout [UInt64],
                              touched: inout [Int], fail: (String) -> Void) {
        guard let path = PlanException.path(start: exceptions.start[k], moves: exceptions.moves[k], width: width, height: height) else {
            fail("exception \(k): its moves leave the fabric or are not N, E, S, W"); return
        }
        for (a, b) in zip(path, path.dropFirst()) {
            let horizontal = b == a + 1 || b == a - 1
            if horizontal && Int(min(a, b)) / width != Int(max(a, b)) / width { fail("exception \(k): wraps around a fabric row") }
            if state[Int(min(a, b))] & (horizontal ? 4 : 8) != 0 { fail("exception \(k): crosses a dead link") }
        }
        if path.contains(where: { state[Int($0)] & 1 != 0 }) { fail("exception \(k): passes a dead or sealed PE") }
        if exceptions.overlay[k] {
            if !path.allSatisfy({ state[Int($0)] & 2 != 0 }) { fail("exception \(k): an overlay route leaves the overlay") }
            return
        }
        let colors = exceptions.colors[k], starts = exceptions.runStarts[k]
        if colors.isEmpty { return }  // unresolved: counted below
        guard colors.count == starts.count, starts.first == 0, zip(starts, starts.dropFirst()).allSatisfy({ $0 < $1 }),
              (starts.last ?? 0) < path.count, colors.allSatisfy({ $0 >= 0 && $0 < budget }) else {
            fail("exception \(k): its color runs are malformed"); return
        }
        // Run r holds its color from starts[r] through the next run's start (a relay PE holds
        // both): the masks of `PlanException.colorMask`, in one sweep.
        var previous: UInt64 = 0, r = 0
        for i in path.indices {
            while r + 1 < starts.count && starts[r + 1] <= i { r += 1 }
            var mask = UInt64(1) << UInt64(colors[r])
            if r > 0 && starts[r] == i { mask |= UInt64(1) << UInt64(colors[r - 1]) }
            if i > 0 && previous & mask == 0 { fail("exception \(k): hop \(i) keeps no color both ends hold") }
            previous = mask
            let pe = Int(path[i])
            if held[pe] & mask != 0 { fail("exception \(k): takes a color another route or the overlay holds at PE \(pe)") }
            held[pe] |= mask
            touched.append(pe)
        }
    }

    /// Schedule: phases in chains over the decode step (`PlanScheduleChains`: the layer chain and
    /// its remote expert slices beside it; a reduction may start under the compute phase before
    /// it, by at most the target's overlap of that phase: `overlapAllowed`); the summary agrees.
    static func scheduleProblems(_ plan: Plan, fail: (String) -> Void) {
        let s = plan.schedule
        let chains = PlanScheduleChains(plan)
        var latest = 0
        let ends = Set(s.phases.map(\.endCycle))
        for (i, p) in s.phases.enumerated() {
            if let expected = chains.misplacedStart(plan, phase: i, ends: ends) ?? (p.endCycle < p.startCycle ? p.startCycle : nil) {
                fail("schedule: phase \(i) runs \(p.startCycle)..<\(p.endCycle), expected to start at \(expected)"); break
            }
            latest = max(latest, p.endCycle)
        }
        if latest != s.cyclesPerToken { fail("schedule: the phases end at cycle \(latest), not at \(s.cyclesPerToken) cycles per token") }
        if s.cyclesPerToken > 0, abs(s.tokensPerS - s.clockMhz * 1e6 / Double(s.cyclesPerToken)) > 1e-6 * s.tokensPerS {
            fail("schedule: \(s.tokensPerS) tokens/s is not the clock over the cycles per token")
        }
        let sum = plan.summary
        if sum.wafers != plan.wafers.count { fail("summary: \(sum.wafers) wafers, the plan has \(plan.wafers.count)") }
        if sum.cyclesPerToken != s.cyclesPerToken || sum.tokensPerS != s.tokensPerS { fail("summary: the timings differ from the schedule's") }
        if sum.exceptionRoutes != plan.routing.exceptions.count { fail("summary: \(sum.exceptionRoutes) exception routes, the plan lists \(plan.routing.exceptions.count)") }
        let unresolved = plan.wafers.reduce(0) { $0 + $1.unresolvedPes.count }
        if sum.unresolvedRoutes != unresolved { fail("summary: \(sum.unresolvedRoutes) unresolved routes, the wafers list \(unresolved)") }
        if unresolved > 0 { fail("routing: \(unresolved) routes have no way through (see each wafer's unresolved_pes): the plan is not executable there") }
    }
}

extension PlanCheck {
    /// Whether `phase` may start `early` cycles before `previous` ends: a reduction (fabric phase
    /// with a flow) under the compute phase before it, by at most floor(overlap x its cycles)
    /// (docs/routing-and-schedule.md, "Overlap"). O(1).
    public static func overlapAllowed(_ plan: Plan, previous: PlanPhase, phase: PlanPhase, early: Int) -> Bool {
        let r = min(max(plan.target.overlapFraction, 0), 1)
        let cycles = previous.endCycle - previous.startCycle
        return early > 0 && previous.kind == .compute && phase.kind == .fabric && phase.flow != nil
            && early <= Int((r * Double(max(cycles, 0))).rounded(.down))
    }
}
