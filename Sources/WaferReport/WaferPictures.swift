import Foundation
import WaferPlan
import WaferSupport

/// SVG pictures of a plan, drawn from the plan alone (so `wafermap render PLAN` needs nothing
/// else): one per wafer and an overview of all wafers in pipeline order.
///
/// A wafer picture (`wafer(_:_:)`) is two panels at one SVG unit per PE (762 x 1172 each for
/// WSE-3): the regions by kind with their tooltips, spares, overlay, detours, dead and sealed
/// PEs and labels, and the SRAM fill per region in viridis; axes in PE coordinates, a scale bar
/// and a legend of exactly what is drawn. Aggregated, never a rectangle per PE: a rectangle per
/// region and per run of PEs, one path for all detours, so a WSE-3 wafer of Kimi K2 with a 0.1%
/// clustered map is under 300 KB. O(slots + units + dead PEs + exception hops) per wafer.
/// Writing them is the driver's (`Driver.render`, `Driver.compile`): all or nothing, after the
/// plan's check.
public enum WaferPictures {
    /// File name -> SVG text, in a fixed order: `wafer-00.svg`, ..., `overview.svg`.
    public static func render(_ plan: Plan) -> [(name: String, svg: String)] {
        var files: [(String, String)] = []
        let digits = max(2, String(max(plan.wafers.count - 1, 0)).count)
        for w in plan.wafers {
            let index = String(w.index)
            files.append(("wafer-\(String(repeating: "0", count: max(0, digits - index.count)) + index).svg", wafer(plan, w)))
        }
        files.append(("time-split.svg", TimeSplitPlot.svg(plan)))
        files.append(("overview.svg", overview(plan)))
        return files
    }

    /// The kind of a slot's contents, for its colour (`safeColor`).
    enum Kind: String, CaseIterable {
        case embedding, dense = "dense layer", moe = "MoE layer", experts = "expert slice", head
    }

    static func kind(of units: [PlanUnit]) -> Kind {
        guard let first = units.first else { return .dense }
        if first.name.hasPrefix("embed") { return .embedding }
        if units.allSatisfy({ $0.name.hasPrefix("lm_head") || $0.name.hasPrefix("norm") }) { return .head }
        if units.allSatisfy({ $0.tensors.allSatisfy { $0.region == .cell } && $0.experts[1] > $0.experts[0] }) { return .experts }
        if units.contains(where: { $0.experts.count == 2 && $0.experts[1] > $0.experts[0] }) { return .moe }
        return .dense
    }

    /// A short label for a slot's units: `layer 3`, `layers 3..5`, `layer 7 experts 0..71`.
    static func label(_ units: [PlanUnit]) -> String {
        guard let first = units.first else { return "" }
        if units.count == 1 { return first.name + (first.experts[1] > first.experts[0] && !first.name.contains("experts") ? " (experts \(first.experts[0])..\(first.experts[1] - 1))" : "") }
        return "\(first.name) .. \(units[units.count - 1].name)"
    }

    /// What a wafer holds in a few words: `embed + layers 0-1`, `layers 59-60 + head`.
    static func holds(_ units: [PlanUnit]) -> String {
        var layers: [Int] = []
        var embed = false, head = false
        for u in units {
            if u.name.hasPrefix("embed") { embed = true }
            if u.name.hasPrefix("lm_head") || u.name.hasPrefix("norm") { head = true }
            let parts = u.name.split(separator: " ")
            if parts.count >= 2, parts[0] == "layer", let n = Int(parts[1]) { layers.append(n) }
        }
        var words: [String] = []
        if embed { words.append("embed") }
        if let lo = layers.min(), let hi = layers.max() { words.append(lo == hi ? "layer \(lo)" : "layers \(lo)-\(hi)") }
        if head { words.append("head") }
        return words.joined(separator: " + ")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func slotRect(_ w: PlanWafer, _ slot: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let pitch = w.slotWidth + w.spareColumns
        return (w.originX + (slot % w.gridColumns) * pitch, w.originY + (slot / w.gridColumns) * w.slotHeight, pitch, w.slotHeight)
    }

    /// Horizontal runs of the PEs in `pes` (sorted ids) as SVG rectangles.
    static func runs(_ pes: [Int32], width: Int, fill: String, pad: Int = 0) -> String {
        var out = ""
        var i = 0
        while i < pes.count {
            var j = i
            while j + 1 < pes.count && pes[j + 1] == pes[j] + 1 && Int(pes[j + 1]) % width != 0 { j += 1 }
            out += "<rect x=\"\(Int(pes[i]) % width - pad)\" y=\"\(Int(pes[i]) / width - pad)\" width=\"\(j - i + 1 + 2 * pad)\" height=\"\(1 + 2 * pad)\" fill=\"\(fill)\"/>"
            i = j + 1
        }
        return out
    }

    // MARK: - The wafer picture

    /// Colours of the wafer picture beyond the kinds (Okabe-Ito, none a kind's colour): dead PEs
    /// black, sealed PEs dark grey, overlay patches yellow, detour routes vermillion, spare
    /// columns hatched in reddish purple (a hatch, never a solid fill, so no head slot is taken
    /// for one).
    static let deadColor = "#000000", sealedColor = "#666666", overlayColor = "#F0E442", detourColor = "#D55E00"
    static let spareColor = "#CC79A7", handOffColor = "#333333"

    /// A path's points with the interior points of straight runs dropped. O(points).
    static func corners(_ path: [Int32], width: Int) -> [(Int, Int)] {
        let points = path.map { (Int($0) % width, Int($0) / width) }
        guard points.count > 2 else { return points }
        var out = [points[0]]
        for k in 1..<(points.count - 1) {
            let a = out[out.count - 1], b = points[k], c = points[k + 1]
            if (b.0 - a.0) * (c.1 - b.1) != (b.1 - a.1) * (c.0 - b.0) { out.append(b) }
        }
        out.append(points[points.count - 1])
        return out
    }

    /// One wafer, two panels side by side at the same scale (one SVG unit per PE, more for small
    /// fabrics), each with axes in PE coordinates: left, the regions (one per used slot, a `<g>`
    /// with a `<title>` of its exact contents) coloured by kind with the overview's Okabe-Ito
    /// colours, hatched spare columns, overlay patches, the defect detour routes, hand-off
    /// arrows, dead and sealed PEs and, drawn last so nothing covers them, the labels of the
    /// regions big enough to hold one (cut with an ellipsis); right, each region's SRAM fill (its
    /// bytes per PE over the target's data bytes per PE) in viridis with a colour scale, dead PEs
    /// black. Below: a scale bar and a legend of exactly the colours drawn. Aggregated: a
    /// rectangle per region, per run of dead, sealed or overlay PEs, one path for all detours.
    /// O(slots + units + dead PEs + exception hops).
    static func wafer(_ plan: Plan, _ w: PlanWafer) -> String {
        let t = plan.target
        let fw = t.fabricWidth, fh = t.fabricHeight
        let units = plan.units.filter { $0.wafer == w.index }
        let groups = w.groupSlots.indices.map { g in units.filter { $0.group == g } }
        // Scale: one unit per PE, whole multiples for small fabrics.
        let s = max(1, 400 / max(1, max(fw, fh)))
        let pw = fw * s, ph = fh * s
        // Tick labels 10 units on small fabrics, 14 where the picture is shown shrunk.
        let tick = max(fw, fh) > 400 ? 14 : 10
        let left = 16 + 5 * tick, top = 84, gap = 30 + 5 * tick
        let panelX = [left, left + pw + gap]
        let width = max(panelX[1] + pw + 24, 720)
        let inner = width - 2 * 16
        let step = Int(SVGPlot.niceStep(Double(max(fw, fh)), count: 12))
        let axisBottom = top + ph + 16 + 2 * tick
        let f = { (v: Double) in SVGPlot.number(v) }

        // What is drawn, for the legend.
        let exceptionPaths = detourPath(plan, w)
        let kindsDrawn = Set(groups.map { kind(of: $0) })
        var keys: [(mark: String, name: String)] = Kind.allCases.filter(kindsDrawn.contains).map { ("<rect WH fill=\"\($0.safeColor)\" stroke=\"#333\" stroke-width=\"0.5\"/>", $0.rawValue) }
        keys.append(("<rect WH fill=\"\(haloColor)\"/>", "I/O halo"))
        let spares = w.spareColumns > 0 && !groups.isEmpty
        if spares { keys.append(("<rect WH fill=\"url(#spare)\" stroke=\"\(spareColor)\"/>", "spare columns")) }
        if !w.overlayPes.isEmpty { keys.append(("<rect WH fill=\"\(overlayColor)\" stroke=\"#000000\"/>", "overlay patch")) }
        if !exceptionPaths.isEmpty { keys.append(("<line LINE stroke=\"\(detourColor)\" stroke-width=\"3\"/>", "detour route")) }
        if groups.count > 1 { keys.append(("<line LINE stroke=\"\(handOffColor)\" stroke-width=\"3\"/>", "hand-off order")) }
        if !w.sealedPes.isEmpty { keys.append(("<rect WH fill=\"\(sealedColor)\"/>", "sealed PE")) }
        if !w.deadPes.isEmpty { keys.append(("<rect WH fill=\"\(deadColor)\"/>", "dead PE")) }
        let ui = tick + 2, row = tick + 12
        let entryW = 14 * ui, perLine = max(1, inner / entryW)
        let legendTop = axisBottom + 16 + 2 * tick
        let keyLines = (keys.count + perLine - 1) / perLine
        let scaleTop = legendTop + 10 + ui + keyLines * row + 4
        let height = scaleTop + 30 + 3 * ui

        let title = "\(plan.inputs.modelName) on \(t.name): wafer \(w.index) of \(plan.wafers.count)"
        let holding = holds(units)
        let sub = "\(holding.isEmpty ? "nothing placed" : holding); \(w.groupSlots.count) of \(w.gridColumns * w.gridRows) slots; \(Units.grouped(w.deadPes.count)) dead, \(Units.grouped(w.sealedPes.count)) sealed PEs\(w.redundancy.map { " (\(Units.grouped($0.absorbed)) of \(Units.grouped($0.physicalDeadPes)) physical dead PEs absorbed by spare rows)" } ?? ""); \(w.maxColorsPerPe) colors/PE max"
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\">\n"
        svg += "<title>\(escape(title)): \(escape(sub))</title>\n"
        svg += "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"5\" markerHeight=\"5\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"\(handOffColor)\"/></marker>"
        svg += "<pattern id=\"spare\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><rect width=\"3\" height=\"6\" fill=\"\(spareColor)\"/></pattern>"
        svg += "<linearGradient id=\"viridis\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">"
        for k in viridisStops.indices {
            let v = Double(k) / Double(viridisStops.count - 1)
            svg += "<stop offset=\"\(Units.fixed(v, digits: 2))\" stop-color=\"\(viridis(v))\"/>"
        }
        svg += "</linearGradient></defs>\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        svg += text(16, 26, title, size: 20, width: inner, bold: true) + "\n"
        svg += text(16, 50, sub, size: 14, width: inner, fill: "#333") + "\n"
        svg += text(panelX[0], top - 10, "regions by kind (hover for contents)", size: tick + 2, width: pw + gap - 8, bold: true) + "\n"
        svg += text(panelX[1], top - 10, "SRAM fill: bytes per PE / data bytes per PE", size: tick + 2, width: max(pw, width - panelX[1] - 8), bold: true) + "\n"

        // Per region: its rectangle, tooltip, label, fill.
        var load: [Int: Int] = [:]
        for c in plan.routing.classes where c.wafer == w.index && c.foldedInto == nil { load[c.slot, default: 0] += c.loadWavelets }
        let data = max(1, t.dataBytesPerPe)
        func tip(_ g: Int) -> String { regionTip(w, groups, g, load: load, data: data) }
        func frame() -> String {
            "<rect x=\"0\" y=\"0\" width=\"\(fw)\" height=\"\(fh)\" fill=\"\(haloColor)\"/><rect x=\"\(t.haloWest)\" y=\"\(t.haloNorth)\" width=\"\(fw - t.haloWest - t.haloEast)\" height=\"\(fh - t.haloNorth - t.haloSouth)\" fill=\"#ffffff\"/>\n"
        }
        let line = f(0.8 / Double(s))
        // A lone dead PE is widened by a PE each side at one unit per PE, so it shows.
        let pad = s >= 3 ? 0 : 1

        // Left panel: kinds.
        svg += "<g id=\"kinds\" transform=\"translate(\(panelX[0]) \(top)) scale(\(s))\">" + frame()
        for (g, slot) in w.groupSlots.enumerated() {
            let r = slotRect(w, slot)
            svg += "<g class=\"region\"><title>\(escape(tip(g)))</title><rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(kind(of: groups[g]).safeColor)\" stroke=\"#333\" stroke-width=\"\(line)\"/>"
            if spares { svg += "<rect x=\"\(r.x + w.slotWidth)\" y=\"\(r.y)\" width=\"\(w.spareColumns)\" height=\"\(r.height)\" fill=\"url(#spare)\" stroke=\"#333\" stroke-width=\"\(line)\"/>" }
            svg += "</g>\n"
        }
        svg += "<g stroke=\"#000000\" stroke-width=\"\(f(0.3 / Double(s)))\">" + runs(w.overlayPes, width: fw, fill: overlayColor) + "</g>\n"
        if !exceptionPaths.isEmpty {
            // Drawn twice from one path: a white casing under the vermillion, so it reads on every kind.
            svg += "<defs><path id=\"detours\" d=\"\(exceptionPaths)\" fill=\"none\" stroke-linejoin=\"round\"/></defs>"
            svg += "<use xlink:href=\"#detours\" href=\"#detours\" stroke=\"#ffffff\" stroke-width=\"\(f(3.2 / Double(s)))\"/>"
            svg += "<use xlink:href=\"#detours\" href=\"#detours\" stroke=\"\(detourColor)\" stroke-width=\"\(f(1.6 / Double(s)))\"/>\n"
        }
        for (a, b) in zip(w.groupSlots, w.groupSlots.dropFirst()) {
            let ra = slotRect(w, a), rb = slotRect(w, b)
            let from = (ra.x + ra.width / 2, ra.y + ra.height * 3 / 4), to = (rb.x + rb.width / 2, rb.y + rb.height * 3 / 4)
            svg += "<line x1=\"\(from.0)\" y1=\"\(from.1)\" x2=\"\(to.0)\" y2=\"\(to.1)\" stroke=\"\(handOffColor)\" stroke-width=\"\(f(2.5 / Double(s)))\" marker-end=\"url(#a)\"/>"
        }
        svg += "\n" + runs(w.sealedPes, width: fw, fill: sealedColor, pad: pad) + "\n" + runs(w.deadPes, width: fw, fill: deadColor, pad: pad) + "\n</g>\n"

        // Right panel: SRAM fill.
        svg += "<g id=\"fill\" transform=\"translate(\(panelX[1]) \(top)) scale(\(s))\">" + frame()
        for (g, slot) in w.groupSlots.enumerated() {
            let r = slotRect(w, slot)
            let v = Double(g < w.groupBytesPerPe.count ? w.groupBytesPerPe[g] : 0) / Double(data)
            svg += "<g class=\"region\"><title>\(escape(tip(g)))</title><rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(viridis(v))\" stroke=\"#ffffff\" stroke-width=\"\(line)\"/></g>\n"
        }
        svg += runs(w.deadPes, width: fw, fill: deadColor, pad: pad) + "\n</g>\n"

        svg += axes(panelX: panelX, top: top, pw: pw, ph: ph, fw: fw, fh: fh, s: s, step: step, tick: tick)
        // Scale bar: one tick step of PEs, under the left panel's axis label.
        let barY = axisBottom + 10
        svg += "<g id=\"scale-bar\"><rect x=\"\(panelX[0])\" y=\"\(barY)\" width=\"\(step * s)\" height=\"5\" fill=\"#000000\"/>"
        svg += text(panelX[0] + step * s + 6, barY + 7, "\(step) PEs", size: tick, width: max(60, pw - step * s)) + "</g>\n"

        // Labels last: nothing covers them.
        svg += labels(w, groups, panelX: panelX, top: top, s: s, data: data)

        svg += waferLegend(keys, legendTop: legendTop, scaleTop: scaleTop, inner: inner, perLine: perLine, entryW: entryW, ui: ui, row: row, data: data)
        svg += "</svg>\n"
        return svg
    }

    /// Every detour route of wafer `w` as one path's data, straight runs merged. O(hops).
    static func detourPath(_ plan: Plan, _ w: PlanWafer) -> String {
        let fw = plan.target.fabricWidth, fh = plan.target.fabricHeight
        var exceptionPaths = ""
        let exceptions = plan.routing.exceptions
        if exceptions.isRectangular {
            for k in 0..<exceptions.count where exceptions.wafer[k] == w.index {
                guard let path = exceptions[k].path(width: fw, height: fh), path.count > 1 else { continue }
                let c = corners(path, width: fw)
                exceptionPaths += "M\(c[0].0) \(c[0].1)" + c.dropFirst().map { "L\($0.0) \($0.1)" }.joined()
            }
        }
        return exceptionPaths
    }

    /// A region's tooltip: slot, PE rectangle, contents, bytes per PE, line-class load, units.
    static func regionTip(_ w: PlanWafer, _ groups: [[PlanUnit]], _ g: Int, load: [Int: Int], data: Int) -> String {
        let mine = groups[g], slot = w.groupSlots[g], r = slotRect(w, slot)
        let bytes = g < w.groupBytesPerPe.count ? w.groupBytesPerPe[g] : 0
        var out = "slot \(slot) (group \(g)): \(kind(of: mine).rawValue); PEs x \(r.x)..\(r.x + r.width - 1), y \(r.y)..\(r.y + r.height - 1) (\(w.slotWidth) x \(w.slotHeight)"
        out += w.spareColumns > 0 ? " + \(w.spareColumns) spare columns)" : ")"
        out += "\nholds: \(short(mine))"
        out += "\nSRAM: \(Units.grouped(bytes)) of \(Units.grouped(data)) data bytes per PE (\(percent(Double(bytes) / Double(data), digits: 2)))"
        out += "\nline classes: \(Units.grouped(load[slot] ?? 0)) wavelets per link per token"
        out += "\nunits (\(mine.count)):"
        for u in mine {
            out += "\n  \(u.name)"
            if u.experts.count == 2, u.experts[1] > u.experts[0] { out += ", experts \(u.experts[0])..\(u.experts[1] - 1)" }
            out += ": \(Units.grouped(u.denseBytesPerPe + u.expertBytesPerPe + u.kvBytesPerPe)) bytes per PE"
        }
        return out
    }

    /// Axes in PE coordinates under and left of each panel, ticks every `step` PEs.
    static func axes(panelX: [Int], top: Int, pw: Int, ph: Int, fw: Int, fh: Int, s: Int, step: Int, tick: Int) -> String {
        var svg = ""
        svg += "<g id=\"axes\" stroke=\"#333\" font-size=\"\(tick)\">"
        for px in panelX {
            svg += "<rect x=\"\(px)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#333\"/>"
            for v in stride(from: 0, through: fw, by: step) {
                let x = px + v * s
                svg += "<line x1=\"\(x)\" y1=\"\(top + ph)\" x2=\"\(x)\" y2=\"\(top + ph + 5)\"/>"
                let label = "\(v)"
                svg += "<text x=\"\(x - Int(textWidth(label, size: Double(tick)) / 2))\" y=\"\(top + ph + 7 + tick)\" font-size=\"\(tick)\" stroke=\"none\">\(label)</text>"
            }
            for v in stride(from: 0, through: fh, by: step) {
                let y = top + v * s
                svg += "<line x1=\"\(px - 5)\" y1=\"\(y)\" x2=\"\(px)\" y2=\"\(y)\"/>"
                let label = "\(v)"
                svg += "<text x=\"\(px - 7 - Int(textWidth(label, size: Double(tick)).rounded(.up)))\" y=\"\(y + tick / 2 - 1)\" font-size=\"\(tick)\" stroke=\"none\">\(label)</text>"
            }
            svg += "<text x=\"\(px + pw / 2 - Int(textWidth("x: PE column, y: PE row", size: Double(tick)) / 2))\" y=\"\(top + ph + 12 + 2 * tick)\" font-size=\"\(tick)\" stroke=\"none\">x: PE column, y: PE row</text>"
        }
        svg += "</g>\n"
        return svg
    }

    /// The labels of the regions big enough for one, in both panels: what each holds, and its
    /// fill in percent. As large as fits, cut with an ellipsis.
    static func labels(_ w: PlanWafer, _ groups: [[PlanUnit]], panelX: [Int], top: Int, s: Int, data: Int) -> String {
        var svg = ""
        svg += "<g id=\"labels\" fill=\"#000\">"
        for (g, slot) in w.groupSlots.enumerated() {
            let r = slotRect(w, slot)
            let rw = r.width * s - 4, rh = r.height * s
            let full = short(groups[g])
            // As large as fits (up to 28 units), then cut with an ellipsis at 9.
            var size = min(28, rh / 3)
            while size > 9 && textWidth(full, size: Double(size)) > Double(rw) { size -= 1 }
            guard size >= 8 else { continue }
            let label = fit(full, width: Double(rw), size: Double(size))
            guard label.count >= 3 else { continue }
            let x = panelX[0] + r.x * s + (r.width * s - Int(textWidth(label, size: Double(size)).rounded(.up))) / 2
            let y = top + r.y * s + rh / 2 + size / 3
            svg += "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\" paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.8\">\(escape(label))</text>"
            // The fill panel: the region's fill in percent.
            let v = Double(g < w.groupBytesPerPe.count ? w.groupBytesPerPe[g] : 0) / Double(data)
            let p = fit(percent(v), width: Double(rw), size: Double(size))
            if p.hasSuffix("%") {
                let px = panelX[1] + r.x * s + (r.width * s - Int(textWidth(p, size: Double(size)).rounded(.up))) / 2
                svg += "<text x=\"\(px)\" y=\"\(y)\" font-size=\"\(size)\" paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.8\">\(p)</text>"
            }
        }
        svg += "</g>\n"
        return svg
    }

    /// The wafer picture's legend: a swatch per key (`WH` and `LINE` in a key's mark are its
    /// place), then the fill's colour scale.
    static func waferLegend(_ keys: [(mark: String, name: String)], legendTop: Int, scaleTop: Int, inner: Int, perLine: Int, entryW: Int, ui: Int, row: Int, data: Int) -> String {
        var svg = ""
        svg += "<g id=\"legend\">"
        svg += text(16, legendTop + ui, "Legend (hover a region for its units, experts and bytes per PE)", size: ui + 1, width: inner, bold: true)
        for (k, key) in keys.enumerated() {
            let x = 16 + (k % perLine) * entryW, y = legendTop + 10 + ui + (k / perLine) * row
            svg += key.mark.replacingOccurrences(of: "WH", with: "x=\"\(x)\" y=\"\(y)\" width=\"16\" height=\"16\"")
                .replacingOccurrences(of: "LINE", with: "x1=\"\(x)\" y1=\"\(y + 8)\" x2=\"\(x + 16)\" y2=\"\(y + 8)\"")
            svg += text(x + 22, y + 14, key.name, size: ui, width: entryW - 28)
        }
        let barW = 20 * ui
        svg += text(16, scaleTop + ui, "SRAM fill per region: its bytes per PE (weights + KV cache) over \(Units.grouped(data)) data bytes per PE", size: ui, width: inner)
        svg += "<rect x=\"16\" y=\"\(scaleTop + ui + 8)\" width=\"\(barW)\" height=\"14\" fill=\"url(#viridis)\" stroke=\"#333\" stroke-width=\"0.5\"/>"
        for (k, v) in [0, 25, 50, 75, 100].enumerated() {
            let x = 16 + barW * k / 4
            svg += "<line x1=\"\(x)\" y1=\"\(scaleTop + ui + 22)\" x2=\"\(x)\" y2=\"\(scaleTop + ui + 27)\" stroke=\"#333\"/>"
            let label = "\(v)%"
            svg += text(max(16, x - Int(textWidth(label, size: Double(ui)) / 2)), scaleTop + 2 * ui + 28, label, size: ui, width: 4 * ui)
        }
        svg += "</g>\n"
        return svg
    }
}
