import WaferPlan
import WaferSupport

/// The panels of the wafer picture that draw slots: what each PE holds, and the SRAM fill.
extension WaferPictures {
    /// A holding region's rectangles in fabric coordinates: logical slot columns through the
    /// home offsets (spare columns inside a rectangle stay inside it). O(rectangles).
    static func fabricRects(_ w: PlanWafer, _ offsets: [Int], slot: Int, _ rects: [LogicalRect]) -> [(x: Int, y: Int, w: Int, h: Int)] {
        let y = slotRect(w, slot).y
        return rects.map { r in
            let x0 = fabricX(w, offsets, slot: slot, logical: r.x0, end: false), x1 = fabricX(w, offsets, slot: slot, logical: r.x1, end: true)
            return (x0, y + r.y0, max(1, x1 - x0), r.y1 - r.y0)
        }
    }

    /// The left panel: each slot's holding regions by kind (one `<g class="region">` per region
    /// with its tooltip, inside a `<g class="slot">` with the slot's), spare columns, overlay,
    /// detour routes (defined once, drawn again on the link-load panel), hand-off arrows, sealed
    /// and dead PEs. O(regions + spare columns x slots + overlay + route hops + dead PEs).
    static func holdingsPanel(_ plan: Plan, _ w: PlanWafer, _ drawings: [SlotDrawing], _ l: WaferLayout, exceptionPaths: String, data: Int, busiestGroup: Int?) -> String {
        let f = { (v: Double) in SVGPlot.number(v) }
        let line = f(0.8 / Double(l.s))
        let offsets = w.homeOffsets
        var classLoad: [Int: Int] = [:]
        // Per slot and axis (key 2 x slot for rows, 2 x slot + 1 for columns), folded classes on their hosts' lines.
        for c in plan.routing.classes where c.wafer == w.index && c.foldedInto == nil { classLoad[2 * c.slot + (c.axis == .rows ? 0 : 1), default: 0] += c.loadWavelets }
        var svg = "<g id=\"kinds\" transform=\"translate(\(l.panelX[0]) \(l.top)) scale(\(l.s))\">" + frame(plan.target)
        for d in drawings {
            let r = slotRect(w, d.slot)
            svg += "<g class=\"slot\"><title>\(escape(slotTip(w, d, load: classLoad, data: data)))</title>"
            if let regions = d.regions {
                for region in regions {
                    svg += "<g class=\"region\" fill=\"\(holdingColor(region, parts: d.parts, units: d.units))\"><title>\(escape(holdingTip(w, d, region, offsets: offsets, data: data)))</title>"
                    for q in fabricRects(w, offsets, slot: d.slot, region.rects) { svg += "<rect x=\"\(q.x)\" y=\"\(q.y)\" width=\"\(q.w)\" height=\"\(q.h)\"/>" }
                    svg += "</g>"
                }
            } else {
                svg += "<g class=\"region\" fill=\"\(kind(of: d.units).safeColor)\"><title>\(escape(slotTip(w, d, load: classLoad, data: data)))</title><rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\"/></g>"
            }
            if let cut = d.cut, !cut.boundaries.isEmpty {
                // The lines between holding regions, so regions of one colour stay apart.
                var path = ""
                for b in cut.boundaries {
                    let x0 = fabricX(w, offsets, slot: d.slot, logical: b.x0, end: true), x1 = fabricX(w, offsets, slot: d.slot, logical: b.x1, end: true)
                    path += b.x0 == b.x1 ? "M\(x0) \(r.y + b.y0)V\(r.y + b.y1)" : "M\(x0) \(r.y + b.y0)H\(x1)"
                }
                svg += "<path class=\"boundaries\" d=\"\(path)\" fill=\"none\" stroke=\"#333\" stroke-width=\"\(f(0.6 / Double(l.s)))\"/>"
            }
            svg += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"none\" stroke=\"#333\" stroke-width=\"\(line)\"/>"
            for o in w.spareOffsets {
                svg += "<rect x=\"\(r.x + o)\" y=\"\(r.y)\" width=\"1\" height=\"\(r.height)\" fill=\"\(spareColor)\"/>"
            }
            svg += "</g>\n"
        }
        if !exceptionPaths.isEmpty {
            // Drawn twice from one path: a white casing under the vermillion, so it reads on every kind.
            svg += "<defs><path id=\"detours\" d=\"\(exceptionPaths)\" fill=\"none\" stroke-linejoin=\"round\"/></defs>"
            svg += "<use xlink:href=\"#detours\" href=\"#detours\" stroke=\"#ffffff\" stroke-width=\"\(f(3.2 / Double(l.s)))\"/>"
            svg += "<use xlink:href=\"#detours\" href=\"#detours\" stroke=\"\(detourColor)\" stroke-width=\"\(f(1.6 / Double(l.s)))\"/>\n"
        }
        // The overlay after the detours: its patches carry routes, and must not hide under them.
        svg += "<g stroke=\"#000000\" stroke-width=\"\(f(0.3 / Double(l.s)))\">" + runs(w.overlayPes, width: l.fw, fill: overlayColor) + "</g>\n"
        for (a, b) in zip(w.groupSlots, w.groupSlots.dropFirst()) {
            let ra = slotRect(w, a), rb = slotRect(w, b)
            let from = (ra.x + ra.width / 2, ra.y + ra.height * 3 / 4), to = (rb.x + rb.width / 2, rb.y + rb.height * 3 / 4)
            svg += "<line x1=\"\(from.0)\" y1=\"\(from.1)\" x2=\"\(to.0)\" y2=\"\(to.1)\" stroke=\"\(handOffColor)\" stroke-width=\"\(f(2.5 / Double(l.s)))\" marker-end=\"url(#a)\"/>"
        }
        if let g = busiestGroup, g < w.groupSlots.count {
            let r = slotRect(w, w.groupSlots[g])
            svg += "<rect id=\"busiest-slot\" x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"none\" stroke=\"\(bottleneckColor)\" stroke-width=\"\(f(4 / Double(l.s)))\" stroke-dasharray=\"\(f(12 / Double(l.s))) \(f(6 / Double(l.s)))\"><title>the busiest slot of the slowest wafer: its phases run longest in the decode step</title></rect>"
        }
        let pad = l.s >= 3 ? 0 : 1
        svg += "\n" + runs(w.sealedPes, width: l.fw, fill: sealedColor, pad: pad) + "\n" + runs(w.deadPes, width: l.fw, fill: deadColor, pad: pad) + "\n</g>\n"
        return svg
    }

    /// The middle panel: each holding region's bytes per PE over the data bytes per PE in
    /// viridis (a slot too stacked to cut: its group's bytes per PE), dead PEs black.
    /// O(regions + dead PEs).
    static func fillPanel(_ plan: Plan, _ w: PlanWafer, _ drawings: [SlotDrawing], _ l: WaferLayout, data: Int) -> String {
        let offsets = w.homeOffsets
        var svg = "<g id=\"fill\" transform=\"translate(\(l.panelX[1]) \(l.top)) scale(\(l.s))\">" + frame(plan.target)
        for d in drawings {
            let r = slotRect(w, d.slot)
            if let regions = d.regions {
                for region in regions {
                    let v = Double(region.bytesPerPe) / Double(data)
                    svg += "<g class=\"fill\" fill=\"\(viridis(v))\"><title>\(Units.grouped(region.bytesPerPe)) bytes per PE: \(percent(v, digits: 2)) of \(Units.grouped(data)) data bytes per PE</title>"
                    for q in fabricRects(w, offsets, slot: d.slot, region.rects) { svg += "<rect x=\"\(q.x)\" y=\"\(q.y)\" width=\"\(q.w)\" height=\"\(q.h)\"/>" }
                    svg += "</g>"
                }
            } else {
                let bytes = d.group < w.groupBytesPerPe.count ? w.groupBytesPerPe[d.group] : 0
                svg += "<g class=\"fill\" fill=\"\(viridis(Double(bytes) / Double(data)))\"><title>\(Units.grouped(bytes)) bytes per PE (the group's)</title><rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\"/></g>"
            }
            svg += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"\(SVGPlot.number(0.8 / Double(l.s)))\"/>\n"
        }
        svg += runs(w.deadPes, width: l.fw, fill: deadColor, pad: l.s >= 3 ? 0 : 1) + "\n</g>\n"
        return svg
    }

    /// A slot's tooltip: slot, PE rectangle, kind, bytes per PE, line-class load, units.
    static func slotTip(_ w: PlanWafer, _ d: SlotDrawing, load: [Int: Int], data: Int) -> String {
        let r = slotRect(w, d.slot)
        let bytes = d.group < w.groupBytesPerPe.count ? w.groupBytesPerPe[d.group] : 0
        var out = "slot \(d.slot) (group \(d.group)): \(kind(of: d.units).rawValue); PEs x \(r.x)..\(r.x + r.width - 1), y \(r.y)..\(r.y + r.height - 1) (\(w.slotWidth) x \(w.slotHeight)"
        out += w.spareColumns > 0 ? " + \(w.spareColumns) spare columns)" : ")"
        out += "\nholds: \(short(d.units))"
        out += "\nSRAM: the tiler reserves \(Units.grouped(bytes)) of \(Units.grouped(data)) data bytes per PE for the group (\(percent(Double(bytes) / Double(data), digits: 2)); its units' fullest PEs summed)"
        if let fullest = d.regions?.map(\.bytesPerPe).max() { out += "; the fullest PE holds \(Units.grouped(fullest)) (\(percent(Double(fullest) / Double(data), digits: 2)))" }
        let rows = load[2 * d.slot] ?? 0, columns = load[2 * d.slot + 1] ?? 0
        out += "\nline classes: row classes \(Units.grouped(rows)), column classes \(Units.grouped(columns)) wavelets per decode step summed; a link carries those whose lines cross it (the link-load panel)"
        if d.regions == nil { out += "\n(\(d.units.count) units with \(d.parts.count) bands and cell blocks: too many to cut into regions; drawn whole)" }
        out += "\nunits (\(d.units.count)):"
        for u in d.units {
            out += "\n  \(u.name)"
            if u.experts.count == 2, u.experts[1] > u.experts[0] { out += ", experts \(u.experts[0])..\(u.experts[1] - 1)" }
            out += ": \(Units.grouped(u.peakBytesPerPe)) bytes per PE at its fullest"
        }
        return out
    }

    /// A holding region's tooltip: its PEs, bytes per PE, and each part it holds.
    static func holdingTip(_ w: PlanWafer, _ d: SlotDrawing, _ region: HoldingRegion, offsets: [Int], data: Int) -> String {
        let rects = fabricRects(w, offsets, slot: d.slot, region.rects)
        guard let big = rects.max(by: { $0.w * $0.h < $1.w * $1.h }) else { return "" }
        var out = "slot \(d.slot), PEs x \(big.x)..\(big.x + big.w - 1), y \(big.y)..\(big.y + big.h - 1)"
        if rects.count > 1 { out += " and \(rects.count - 1) more rectangle\(rects.count == 2 ? "" : "s")" }
        out += " (\(Units.grouped(region.area)) PEs): \(Units.grouped(region.bytesPerPe)) of \(Units.grouped(data)) data bytes per PE (\(percent(Double(region.bytesPerPe) / Double(data), digits: 2)))"
        out += "\nholds: " + holdingLabel(region, parts: d.parts, units: d.units)
        for p in region.parts { out += "\n  " + partWords(d.parts[p], d.units[d.parts[p].unit]) }
        return out
    }
}
