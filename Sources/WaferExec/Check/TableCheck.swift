import WaferPlan

/// The executor's own pass over the plan's tables, before anything is replayed: every index a
/// record holds names a record that exists (exception owners, flows' units, classes and
/// bundles, folded classes, phases' units and flows), every exception route takes at least
/// one hop, every defect list names PEs and links of the fabric, every tile fits a PE's data
/// SRAM, and the summary restates what the body holds. Written from docs/plan-format.md apart
/// from `PlanCheck`, so that a bug in one is caught by the other. O(classes + bundles + flows
/// + exceptions + defects + units x tensors).
public enum TableCheck {
    public static func run(_ plan: Plan, log: inout ViolationLog) {
        references(plan, log: &log)
        tiedHeads(plan, log: &log)
        defects(plan, log: &log)
        tiles(plan, log: &log)
        summary(plan, log: &log)
    }

    static func references(_ plan: Plan, log: inout ViolationLog) {
        let r = plan.routing
        let classes = Set(r.classes.map(\.id)), bundles = Set(r.bundles.map(\.id)), wafers = Set(plan.wafers.map(\.index))
        for c in r.classes {
            if let into = c.foldedInto, !classes.contains(into) { log.add(.plan, "class \(c.id) is folded into class \(into): no such class") }
            if !wafers.contains(c.wafer) { log.add(.plan, "class \(c.id) lies on wafer \(c.wafer): no such wafer in the plan") }
        }
        for b in r.bundles where !wafers.contains(b.wafer) { log.add(.plan, "bundle \(b.id) lies on wafer \(b.wafer): no such wafer in the plan") }
        for f in r.flows where f.unit < 0 || f.unit >= plan.units.count {
            log.add(.plan, "flow \(f.id) (\(f.label)) belongs to unit \(f.unit): no such unit (the plan has \(plan.units.count))")
        }
        let e = r.exceptions
        guard e.isRectangular else { log.add(.plan, "the exception table's columns have different lengths"); return }
        for k in 0..<e.count {
            switch e.ownerKind[k] {
            case .lineClass where !classes.contains(e.owner[k]): log.add(.route, "exception route \(k) belongs to class \(e.owner[k]): no such class")
            case .bundle where !bundles.contains(e.owner[k]): log.add(.route, "exception route \(k) belongs to bundle \(e.owner[k]): no such bundle")
            default: break
            }
            if e.moves[k].isEmpty { log.add(.route, "exception route \(k) has no moves: a route takes at least one hop") }
        }
        if let f = plan.schedule.phases.lazy.compactMap(\.flow).first(where: { id in !r.flows.contains { $0.id == id } }) {
            log.add(.schedule, "a phase waits on flow \(f): no such flow")
        }
        if let p = plan.schedule.phases.first(where: { $0.unit < 0 || $0.unit >= plan.units.count }) {
            log.add(.schedule, "phase \(p.label) runs on unit \(p.unit): no such unit")
        }
    }

    /// A tied head multiplies the tiles of the weight it reads where they lie: that weight's
    /// unit must sit on the head's own wafer and slot (for every plan, not only those small
    /// enough for the full numeric check, whose sample leaves the head out).
    static func tiedHeads(_ plan: Plan, log: inout ViolationLog) {
        for u in plan.units {
            for op in u.ops {
                guard let tied = op.tiedWeight else { continue }
                let parts = tied.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2, let holder = plan.units.first(where: { $0.tensors.contains { $0.op == parts[0] && $0.name == parts[1] } }) else {
                    log.add(.placement, "unit \(u.name): the tied head reads \(tied), which no unit holds"); continue
                }
                if holder.wafer != u.wafer || holder.slot != u.slot {
                    log.add(.placement, "unit \(u.name) (wafer \(u.wafer) slot \(u.slot)): its tied head reads \(tied), held on wafer \(holder.wafer) slot \(holder.slot), not on its own slot")
                }
            }
        }
    }

    static func defects(_ plan: Plan, log: inout ViolationLog) {
        let width = plan.target.fabricWidth, height = plan.target.fabricHeight
        let budget = plan.routing.colorBudget
        for w in plan.wafers {
            if !w.overlayPes.isEmpty && (w.overlayColors.count != 2 || w.overlayColors.contains { $0 < 0 || $0 >= budget }) {
                log.add(.color, "wafer \(w.index): an overlay of \(w.overlayPes.count) PEs needs two colors within the \(budget)-color budget, the plan gives \(w.overlayColors)")
            }
            for (what, ids) in [("dead PE", w.deadPes), ("sealed PE", w.sealedPes), ("overlay PE", w.overlayPes), ("unresolved PE", w.unresolvedPes)] {
                for id in ids where id < 0 || Int(id) >= width * height {
                    log.add(.plan, "wafer \(w.index): \(what) \(id) is off the \(width) x \(height) fabric"); break
                }
            }
            for link in w.deadLinks {
                let origin = Int(link) >> 1, south = link & 1 == 1
                let x = origin % max(width, 1), y = origin / max(width, 1)
                if link < 0 || origin >= width * height || (!south && x + 1 >= width) || (south && y + 1 >= height) {
                    log.add(.plan, "wafer \(w.index): dead link \(link) (\(south ? "south" : "east") of \(WaferExec.pe(max(origin, 0), width))) is off the \(width) x \(height) fabric"); break
                }
            }
        }
    }

    static func tiles(_ plan: Plan, log: inout ViolationLog) {
        let t = plan.target
        let data = t.sramBytesPerPe - t.runtimeReserveBytesPerPe - t.bufferBytesPerPe
        for u in plan.units {
            for tensor in u.tensors {
                let bits = ModelTensors.elementBits(tensor.format) ?? 4   // unknown: the smallest element
                let bytes = (Double(tensor.tileRows) * Double(tensor.tileCols) * Double(bits) / 8).rounded(.up)
                if bytes > Double(data) || tensor.bytesPerPe > data {
                    log.add(.memory, "unit \(u.name): the \(tensor.tileRows) x \(tensor.tileCols) tile of \(tensor.op).\(tensor.name) needs \(max(bytes, Double(tensor.bytesPerPe))) B, a PE has \(data) B of SRAM for data")
                }
            }
        }
    }

    static func summary(_ plan: Plan, log: inout ViolationLog) {
        let s = plan.summary, e = plan.routing.exceptions
        var facts: [(String, Int, Int)] = [("wafers", s.wafers, plan.wafers.count), ("exception routes", s.exceptionRoutes, e.count),
                                           ("overlay routes", s.overlayRoutes, e.overlay.lazy.filter { $0 }.count),
                                           ("unresolved routes", s.unresolvedRoutes, plan.wafers.reduce(0) { $0 + $1.unresolvedPes.count }),
                                           ("cycles per token", s.cyclesPerToken, plan.schedule.cyclesPerToken),
                                           ("colors per PE at most", s.maxColorsPerPe, plan.wafers.map(\.maxColorsPerPe).max() ?? 0)]
        if s.tokensPerS != plan.schedule.tokensPerS, s.tokensPerS.isFinite, plan.schedule.tokensPerS.isFinite, max(abs(s.tokensPerS), abs(plan.schedule.tokensPerS)) < 1e15 { facts.append(("tokens/s (rounded)", Int(s.tokensPerS.rounded()), Int(plan.schedule.tokensPerS.rounded()))) }
        for (what, claimed, found) in facts where claimed != found || what.hasPrefix("tokens") {
            log.add(.plan, "summary: \(claimed) \(what), the plan's body holds \(found)")
        }
    }
}
