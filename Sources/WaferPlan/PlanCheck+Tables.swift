/// The plan check's cross-references, tiles and summary (docs/plan-format.md, "Reading and
/// checking"): every index a record holds names a record that exists, every route takes at least
/// one hop, every tile fits a PE's data SRAM, defect lists name PEs and links of the fabric, and
/// the summary restates the body. O(units x tensors + classes + bundles + flows + phases +
/// exceptions + defects).
extension PlanCheck {
    /// Bits per stored element of a plan tensor's `format` (`bf16`, `int4[group=32,scale=bf16]`:
    /// the element before any `[...]`); nil for an element the format does not define.
    public static func elementBits(_ format: String) -> Int? {
        switch format.split(separator: "[", maxSplits: 1).first.map(String.init) ?? format {
        case "fp32": return 32
        case "bf16", "fp16": return 16
        case "fp8_e4m3", "fp8_e5m2", "int8": return 8
        case "int4", "mxfp4": return 4
        default: return nil
        }
    }

    static func referenceProblems(_ plan: Plan, fail: (String) -> Void) {
        let classIDs = Set(plan.routing.classes.map(\.id)), bundleIDs = Set(plan.routing.bundles.map(\.id))
        let flowIDs = Set(plan.routing.flows.map(\.id)), wafers = Set(plan.wafers.map(\.index))
        let units = plan.units.indices
        let waferByIndex = Dictionary(plan.wafers.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        for c in plan.routing.classes {
            if !wafers.contains(c.wafer) { fail("class \(c.id): no such wafer \(c.wafer)") }
            if let w = waferByIndex[c.wafer], c.columns.count == 2, c.rows.count == 2,
               c.columns[0] > c.columns[1] || c.rows[0] > c.rows[1] || c.columns[1] > w.slotWidth || c.rows[1] > w.slotHeight {
                fail("class \(c.id): columns \(c.columns) x rows \(c.rows) do not fit the \(w.slotWidth) x \(w.slotHeight) slot")
            }
            if let into = c.foldedInto, !classIDs.contains(into) { fail("class \(c.id): folded into no such class \(into)") }
        }
        for b in plan.routing.bundles where !wafers.contains(b.wafer) { fail("bundle \(b.id): no such wafer \(b.wafer)") }
        let e = plan.routing.exceptions
        for k in 0..<(e.isRectangular ? e.count : 0) {
            let known = e.ownerKind[k] == .lineClass ? classIDs.contains(e.owner[k]) : bundleIDs.contains(e.owner[k])
            if !known { fail("exception \(k): no such \(e.ownerKind[k] == .lineClass ? "line class" : "bundle") \(e.owner[k]) owns it") }
            if e.moves[k].isEmpty { fail("exception \(k): no moves (a route takes at least one hop)") }
        }
        for f in plan.routing.flows {
            if !units.contains(f.unit) { fail("flow \(f.id): no such unit \(f.unit)") }
            if let c = f.lineClass, !classIDs.contains(c) { fail("flow \(f.id): no such line class \(c)") }
            for b in f.bundles where !bundleIDs.contains(b) { fail("flow \(f.id): no such bundle \(b)") }
        }
        for (i, p) in plan.schedule.phases.enumerated() {
            if !units.contains(p.unit) { fail("schedule: phase \(i) runs on no such unit \(p.unit)") }
            if let f = p.flow, !flowIDs.contains(f) { fail("schedule: phase \(i) waits on no such flow \(f)") }
        }
        // A tied head reads its weight's tiles in place: same wafer, same slot.
        var holders: [String: PlanUnit] = [:]
        for u in plan.units { for t in u.tensors where holders["\(t.op).\(t.name)"] == nil { holders["\(t.op).\(t.name)"] = u } }
        for u in plan.units {
            for tied in u.ops.compactMap(\.tiedWeight) {
                guard let holder = holders[tied] else { fail("unit \(u.name): its tied head reads \(tied), which no unit holds"); continue }
                if holder.wafer != u.wafer || holder.slot != u.slot {
                    fail("unit \(u.name): its tied head reads \(tied) on wafer \(holder.wafer) slot \(holder.slot), not on its own slot (wafer \(u.wafer) slot \(u.slot))")
                }
            }
        }
        if !plan.units.isEmpty && !units.contains(plan.schedule.slowestUnit) {
            fail("schedule: the slowest unit is no such unit \(plan.schedule.slowestUnit)")
        }
    }

    static func tileProblems(_ plan: Plan, fail: (String) -> Void) {
        let data = plan.target.dataBytesPerPe
        for u in plan.units {
            for t in u.tensors {
                guard let bits = elementBits(t.format) else { fail("unit \(u.name): tensor \(t.op).\(t.name) has an element format the plan format does not define (\(t.format.prefix(40)))"); continue }
                let tileBytes = (t.tileRows * t.tileCols * bits + 7) / 8   // within 2^20 x 32 bits: no overflow
                if tileBytes > data || t.bytesPerPe > data {
                    fail("unit \(u.name): a \(t.tileRows) x \(t.tileCols) tile of \(t.op).\(t.name) takes \(max(tileBytes, t.bytesPerPe)) B, more than the \(data) B of SRAM a PE has for data")
                } else if t.bytesPerPe < tileBytes {
                    fail("unit \(u.name): \(t.op).\(t.name) declares \(t.bytesPerPe) B per PE, its \(t.tileRows) x \(t.tileCols) tile takes \(tileBytes) B")
                }
            }
        }
    }

    static func defectListProblems(_ w: PlanWafer, width: Int, height: Int, fail: (String) -> Void) {
        let pes = width * height
        for (name, list) in [("dead PE", w.deadPes), ("sealed PE", w.sealedPes), ("overlay PE", w.overlayPes), ("unresolved PE", w.unresolvedPes)] {
            if let bad = list.first(where: { $0 < 0 || Int($0) >= pes }) { fail("wafer \(w.index): \(name) \(bad) is off the \(width) x \(height) fabric") }
        }
        for link in w.deadLinks {
            let pe = Int(link) / 2
            let off = link < 0 || pe >= pes || (link % 2 == 0 && pe % width == width - 1) || (link % 2 == 1 && pe / width == height - 1)
            if off { fail("wafer \(w.index): dead link \(link) is off the \(width) x \(height) fabric"); break }
        }
        if zip(w.deadLinks, w.deadLinks.dropFirst()).contains(where: { $0 >= $1 }) { fail("wafer \(w.index): dead links are not sorted and unique") }
    }

    static func summaryProblems(_ plan: Plan, fail: (String) -> Void) {
        let s = plan.summary
        let overlay = plan.routing.exceptions.overlay.filter { $0 }.count
        if s.overlayRoutes != overlay { fail("summary: \(s.overlayRoutes) overlay routes, the exceptions list \(overlay)") }
        let colors = plan.wafers.map(\.maxColorsPerPe).max() ?? 0
        if s.maxColorsPerPe != colors { fail("summary: at most \(s.maxColorsPerPe) colors per PE, the wafers say \(colors)") }
        if s.wafersLowerBound > s.wafers || s.wafersLowerBound < 0 { fail("summary: a lower bound of \(s.wafersLowerBound) wafers for a plan of \(s.wafers)") }
        if s.pesUsed > s.pesUsable || s.sramUsedBytes > s.sramUsableBytes { fail("summary: more PEs or SRAM used than usable") }
    }
}
