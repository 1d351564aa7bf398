import WaferPlan
import WaferSupport

/// The routing colors each PE holds, from the plan alone, marked as the executor's route replay
/// marks them (`WaferRouteReplay`): a row class's colors on every PE of its span, a column
/// class's on its home columns, a folded class none (it runs on its host's), a bundle's color on
/// the live PEs of its lanes, the overlay's colors on its PEs, an exception route's colors on the
/// PEs of its path where it holds them (`PlanException.colorMask`). Where a PE holds all the
/// program's colors (`routing.color_budget`), no further route can pass: the router's
/// congestion, as VPR's routing-utilisation view shows it.
extension WaferPictures {
    /// The colors as block maxima (each block the PE of it holding the most), and the budget.
    struct ColorMap: Sendable, Equatable {
        var blocks: BlockMaxima
        var budget: Int
        /// The most colors any PE of the wafer holds.
        var maxColors: Int { blocks.most }
        var values: [Int32] { blocks.values }
    }

    /// Wafer `w`'s colors per PE. One `UInt64` mask per fabric PE lives while it runs (a flat
    /// array, never an object per PE). O(fabric PEs + class spans + lane hops + exception hops).
    static func colorUse(_ plan: Plan, _ w: PlanWafer) -> ColorMap {
        let fw = max(1, plan.target.fabricWidth), fh = max(1, plan.target.fabricHeight)
        var mask = [UInt64](repeating: 0, count: fw * fh)
        var dead = [Bool](repeating: false, count: fw * fh)
        for pe in w.deadPes + w.sealedPes where pe >= 0 && Int(pe) < dead.count { dead[Int(pe)] = true }
        func bits(_ colors: [Int]) -> UInt64 { colors.reduce(0) { $1 >= 0 && $1 < 64 ? $0 | (UInt64(1) << UInt64($1)) : $0 } }
        let offsets = w.homeOffsets
        for c in plan.routing.classes where c.wafer == w.index && c.foldedInto == nil && !c.colors.isEmpty {
            guard c.columns.count == 2, c.rows.count == 2, c.columns[0] >= 0, c.columns[1] <= offsets.count, c.columns[1] > c.columns[0], c.rows[1] > c.rows[0] else { continue }
            let r = slotRect(w, c.slot), b = bits(c.colors)
            let ys = max(0, r.y + c.rows[0])..<min(fh, r.y + c.rows[1])
            if c.axis == .rows {
                let x0 = max(0, r.x + offsets[c.columns[0]]), x1 = min(fw - 1, r.x + offsets[c.columns[1] - 1])
                for y in ys { for x in x0...max(x0, x1) { mask[y * fw + x] |= b } }
            } else {
                for column in c.columns[0]..<c.columns[1] {
                    let x = r.x + offsets[column]
                    guard x >= 0 && x < fw else { continue }
                    for y in ys { mask[y * fw + x] |= b }
                }
            }
        }
        for b in plan.routing.bundles where b.wafer == w.index && b.color >= 0 && b.color < 64 {
            let bit = UInt64(1) << UInt64(b.color)
            for lane in 0..<max(0, b.lanes) {
                for p in b.lane(lane) where p.x >= 0 && p.y >= 0 && p.x < fw && p.y < fh && !dead[p.y * fw + p.x] { mask[p.y * fw + p.x] |= bit }
            }
        }
        let overlay = bits(w.overlayColors)
        for pe in w.overlayPes where pe >= 0 && Int(pe) < mask.count { mask[Int(pe)] |= overlay }
        let exceptions = plan.routing.exceptions
        if exceptions.isRectangular {
            for k in 0..<exceptions.count where exceptions.wafer[k] == w.index {
                let e = exceptions[k]
                guard let path = e.path(width: fw, height: fh) else { continue }
                for (i, pe) in path.enumerated() { mask[Int(pe)] |= e.colorMask(at: i, pathCount: path.count) }
            }
        }
        return ColorMap(blocks: BlockMaxima(mask.map { Int32($0.nonzeroBitCount) }, width: fw, height: fh), budget: plan.routing.colorBudget)
    }

    /// Cividis (designed for colour-vision deficiency, perceptually uniform), dark blue to
    /// yellow, interpolated between six of its stops.
    static let cividisStops: [(Double, Double, Double)] = [(0, 34, 78), (49, 68, 107), (102, 105, 112), (149, 143, 120), (203, 186, 105), (254, 232, 56)]
    static func cividis(_ v: Double) -> String { interpolate(cividisStops, v) }

    /// The map as SVG: a level per color count 1...budget in cividis (the budget itself, a full
    /// PE, the yellow end), each level's tooltip its count. O(blocks).
    static func colorRects(_ m: ColorMap, width fw: Int, height fh: Int) -> String {
        let top = max(1, max(m.budget, m.maxColors)), b = m.blocks
        return levelRects(b.values, columns: b.columns, rows: b.rows, block: b.block, width: fw, height: fh, levels: top, className: "colors",
                          level: { Int($0) },
                          fill: { cividis(Double($0) / Double(top)) },
                          tip: { "blocks of \(b.block) x \(b.block) PEs whose fullest PE holds \($0) of the \(m.budget) routing colors\($0 >= m.budget ? ": full, no further route can pass" : "")" })
    }
}
