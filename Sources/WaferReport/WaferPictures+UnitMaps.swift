import WaferPlan
import WaferSupport

/// The unit maps under a wafer picture: for each unit with expert cells or a compact region, a
/// small map of its slot showing its dense band and every expert cell with the experts it holds,
/// so a reader sees which expert lies where even when several units stack on one slot (the
/// holding regions above show what each PE holds, not which expert).
extension WaferPictures {
    /// The most unit maps drawn per wafer, and the most cells drawn one by one per unit (a unit
    /// with more gets its cell grid as lines, one path, and its tooltips per cell row).
    static let maxUnitMaps = 12, maxCellsDrawn = 1_024

    /// The units of `units` worth a map (expert cells or a compact region), in order, at most
    /// `maxUnitMaps`. O(units).
    static func mappedUnits(_ units: [PlanUnit]) -> [PlanUnit] {
        Array(units.filter { u in u.denseRegion != nil || (u.cells != nil && u.experts.count == 2 && u.experts[1] > u.experts[0]) }.prefix(maxUnitMaps))
    }

    /// The size of one unit map: its scale (SVG units per PE, the longer side about 560 units and
    /// never larger than the main panels') and its width and height. O(1).
    static func unitMapSize(_ w: PlanWafer, panelScale s: Int) -> (scale: Double, width: Int, height: Int) {
        let pitch = w.slotWidth + w.spareColumns
        let scale = min(Double(s), 560 / Double(max(1, max(pitch, w.slotHeight))))
        return (scale, Int((Double(pitch) * scale).rounded(.up)), Int((Double(w.slotHeight) * scale).rounded(.up)))
    }

    /// Unit `u`'s map with its top left corner at (x0, y0): a two-line heading (its name; what its
    /// band and cells are), the slot frame, the dense band in its kind's colour and each used
    /// expert cell in the expert colour with a tooltip of its experts and PE rectangle and, when
    /// it fits, its first expert's number. O(cells drawn).
    static func unitMap(_ w: PlanWafer, _ u: PlanUnit, at x0: Int, _ y0: Int, size: (scale: Double, width: Int, height: Int), tick: Int) -> String {
        let f = { (v: Double) in Units.fixed(v, digits: 3) }
        let t = size.scale, mapTop = y0 + 2 * (tick + 4)
        let r = slotRect(w, u.slot)
        let offsets = w.homeOffsets
        func px(_ logical: Int) -> Int { offsets.isEmpty ? logical : logical < offsets.count ? offsets[max(0, logical)] : offsets[offsets.count - 1] + 1 + logical - offsets.count }
        var svg = "<g class=\"unit-map\">"
        var detail: [String] = []
        if let b = u.denseRegion { detail.append("band y \(r.y + b.row0)..\(r.y + b.row0 + b.height - 1)") }
        if let c = u.cells, u.experts.count == 2 { detail.append("experts \(u.experts[0])..\(u.experts[1] - 1) in \(c.columns) x \(c.rows) cells of \(c.cellWidth) x \(c.cellHeight) PEs\(w.spareColumns > 0 ? " (+ spare columns)" : "")") }
        svg += text(x0, y0 + tick + 2, u.name, size: tick, width: size.width, bold: true)
        svg += text(x0, y0 + 2 * tick + 6, detail.joined(separator: "; "), size: tick - 2, width: size.width, fill: "#333")
        svg += "<g transform=\"translate(\(x0) \(mapTop)) scale(\(Units.fixed(t, digits: 5)))\">"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(unusedColor)\" stroke=\"#333\" stroke-width=\"\(f(1 / t))\"/>"
        if let b = u.denseRegion {
            let x1 = px(b.width - 1) + 1
            svg += "<rect x=\"0\" y=\"\(b.row0)\" width=\"\(x1)\" height=\"\(b.height)\" fill=\"\(kind(of: [u]).safeColor)\" stroke=\"#333\" stroke-width=\"\(f(0.5 / t))\">"
            svg += "<title>\(escape(u.name)): dense weights and KV cache on PEs x \(r.x)..\(r.x + x1 - 1), y \(r.y + b.row0)..\(r.y + b.row0 + b.height - 1)</title></rect>"
        }
        var labels = ""
        if let c = u.cells, u.experts.count == 2, c.columns > 0, c.expertsPerCell > 0 {
            let used = (u.experts[1] - u.experts[0] + c.expertsPerCell - 1) / c.expertsPerCell
            let labelSize = 7.0, fits = Double(c.cellWidth) * t >= SVGPlot.textWidth(String(u.experts[1] - 1), fontSize: labelSize) + 2 && Double(c.cellHeight) * t >= labelSize + 2
            if used <= maxCellsDrawn {
                for cell in 0..<used {
                    let cx = (cell % c.columns) * c.cellWidth, cy = (cell / c.columns) * c.cellHeight
                    let first = u.experts[0] + cell * c.expertsPerCell, last = min(u.experts[1], first + c.expertsPerCell) - 1
                    let x = px(cx), xe = px(cx + c.cellWidth - 1) + 1
                    let which = first == last ? "expert \(first)" : "experts \(first)..\(last)"
                    svg += "<rect x=\"\(x)\" y=\"\(cy)\" width=\"\(xe - x)\" height=\"\(c.cellHeight)\" fill=\"\(Kind.experts.safeColor)\" stroke=\"#ffffff\" stroke-width=\"\(f(0.6 / t))\">"
                    svg += "<title>\(escape(u.name)) cell \(cell) (column \(cell % c.columns), row \(cell / c.columns)): \(which) on PEs x \(r.x + x)..\(r.x + xe - 1), y \(r.y + cy)..\(r.y + cy + c.cellHeight - 1)</title></rect>"
                    if fits {
                        labels += "<text x=\"\(x0 + Int((Double(x) * t).rounded(.up)) + 1)\" y=\"\(mapTop + Int(((Double(cy) + Double(c.cellHeight) / 2) * t + labelSize / 3).rounded()))\" font-size=\"7\">\(first)</text>"
                    }
                }
            } else {
                let rows = (used + c.columns - 1) / c.columns
                svg += "<rect x=\"0\" y=\"0\" width=\"\(px(c.columns * c.cellWidth - 1) + 1)\" height=\"\(rows * c.cellHeight)\" fill=\"\(Kind.experts.safeColor)\">"
                svg += "<title>\(escape(u.name)): \(used) cells, experts \(u.experts[0])..\(u.experts[1] - 1) row by row, \(c.columns) cells a row</title></rect>"
            }
        }
        svg += "</g>" + labels + "</g>\n"
        return svg
    }
}
