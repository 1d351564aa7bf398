import Foundation
import WaferPlan
import WaferSupport

/// SVG pictures of a plan, drawn from the plan alone (so `wafermap render PLAN` needs nothing
/// else): one per wafer and an overview of all wafers in pipeline order.
///
/// A wafer picture (`wafer(_:_:)`, WaferPictures+Wafer.swift) is three panels at one SVG unit
/// per PE (762 x 1172 each for WSE-3): what each PE holds (holding regions, +Holdings.swift),
/// the SRAM fill per holding region (viridis), the link load per PE block (plasma, +LinkLoad.swift);
/// then a legend of exactly what is drawn and a map of each unit with expert cells or a compact
/// band (+UnitMaps.swift). Aggregated, never a shape per PE, so a WSE-3 wafer of Kimi K2 at 128K
/// context with a 0.1% clustered map of holes stays near 0.5 MB (docs/cli.md, "Pictures").
/// Writing them is the driver's (`Driver.render`, `Driver.compile`): all or nothing, after the
/// plan's check.
public enum WaferPictures {
    /// File name -> SVG text, in a fixed order: `wafer-00.svg`, ..., `overview.svg`.
    public static func render(_ plan: Plan) -> [(name: String, svg: String)] {
        var files: [(String, String)] = []
        let digits = max(2, String(max(plan.wafers.count - 1, 0)).count)
        // Each wafer's busy time, fill and busiest slot, once for every picture that names the slowest.
        let figures = waferFigures(plan)
        let slowest = bottleneck(busy: figures.map(\.busyCycles))
        for w in plan.wafers {
            let index = String(w.index)
            let limiting = slowest == w.index ? figures[w.index] : nil
            files.append(("wafer-\(String(repeating: "0", count: max(0, digits - index.count)) + index).svg", wafer(plan, w, limiting: limiting)))
        }
        files.append(("time-split.svg", TimeSplitPlot.svg(plan)))
        files.append(("overview.svg", overview(plan, figures)))
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

    /// What a wafer holds in a few words: `embed + layers 0-1`, `layers 59-60 + head`, `layers
    /// 4, 6-7` (runs of consecutive layers joined; a gap is never drawn over). O(units log units).
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
        let sorted = Array(Set(layers)).sorted()
        var ranges: [String] = []
        var k = 0
        while k < sorted.count {
            var e = k
            while e + 1 < sorted.count && sorted[e + 1] == sorted[e] + 1 { e += 1 }
            ranges.append(e == k ? "\(sorted[k])" : "\(sorted[k])-\(sorted[e])")
            k = e + 1
        }
        if !sorted.isEmpty { words.append((sorted.count == 1 ? "layer " : "layers ") + ranges.joined(separator: ", ")) }
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

    /// Colours of the wafer picture beyond the kinds (none a kind's colour): dead PEs black,
    /// sealed PEs dark grey, overlay patches yellow, detour routes vermillion (Okabe-Ito), spare
    /// columns light grey (one PE wide; lighter than the halo's grey, darker than unused white).
    static let deadColor = "#000000", sealedColor = "#666666", overlayColor = "#F0E442", detourColor = "#D55E00"
    static let spareColor = "#d0d0d0", handOffColor = "#333333"

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

    /// The labels, drawn last so nothing covers them: in the left panel, each holding region
    /// whose largest rectangle is at least 1% of its slot gets what it holds there, as large as fits (up to 28
    /// units, cut with an ellipsis at 9); in the fill panel, the same place gets its fill in
    /// percent. O(regions).
    static func labels(_ drawings: [SlotDrawing], _ w: PlanWafer, _ l: WaferLayout, data: Int) -> String {
        let offsets = w.homeOffsets
        var svg = "<g id=\"labels\" fill=\"#000\">"
        for d in drawings {
            let r = slotRect(w, d.slot)
            let placed: [(rect: (x: Int, y: Int, w: Int, h: Int), text: String, bytes: Int)]
            if let regions = d.regions {
                // Regions under 1% of the slot stay unlabelled (their tooltips say what they hold).
                placed = regions.compactMap { region in
                    guard let big = region.largest, 100 * (big.x1 - big.x0) * (big.y1 - big.y0) >= w.slotWidth * w.slotHeight,
                          let q = fabricRects(w, offsets, slot: d.slot, [big]).first else { return nil }
                    return (q, holdingLabel(region, parts: d.parts, units: d.units), region.bytesPerPe)
                }
            } else {
                placed = [((r.x, r.y, r.width, r.height), short(d.units), d.group < w.groupBytesPerPe.count ? w.groupBytesPerPe[d.group] : 0)]
            }
            for p in placed {
                let rw = p.rect.w * l.s - 4, rh = p.rect.h * l.s
                // One line, or one per ` + ` part when that lets the label be larger (at most 4).
                let parts = p.text.components(separatedBy: " + ")
                let one = fittedSize([p.text], width: rw, height: rh)
                let many = parts.count > 1 && parts.count <= 4 ? fittedSize(parts, width: rw, height: rh) : 0
                let lines = many > one ? parts : [p.text], size = max(one, many)
                guard size >= 8 else { continue }
                let texts = lines.map { fit($0, width: Double(rw), size: Double(size)) }
                guard texts.allSatisfy({ $0.count >= 3 }) else { continue }
                let lineHeight = size * 6 / 5
                let firstY = l.top + p.rect.y * l.s + rh / 2 - (lines.count - 1) * lineHeight / 2 + size / 3
                for (k, label) in texts.enumerated() {
                    let x = l.panelX[0] + p.rect.x * l.s + (p.rect.w * l.s - Int(textWidth(label, size: Double(size)).rounded(.up))) / 2
                    svg += "<text x=\"\(x)\" y=\"\(firstY + k * lineHeight)\" font-size=\"\(size)\" paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.8\">\(escape(label))</text>"
                }
                let v = percent(Double(p.bytes) / Double(data))
                let pct = fit(v, width: Double(rw), size: Double(size))
                if pct == v {
                    let px = l.panelX[1] + p.rect.x * l.s + (p.rect.w * l.s - Int(textWidth(pct, size: Double(size)).rounded(.up))) / 2
                    svg += "<text x=\"\(px)\" y=\"\(l.top + p.rect.y * l.s + rh / 2 + size / 3)\" font-size=\"\(size)\" paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.8\">\(pct)</text>"
                }
            }
        }
        svg += "</g>\n"
        return svg
    }

    /// The largest font size (at most 28) at which `lines` fit a `width x height` box, stacked
    /// at 1.2 line heights with a font size of margin; below 9 when they only fit cut. O(lines).
    static func fittedSize(_ lines: [String], width: Int, height: Int) -> Int {
        var size = min(28, height / (3 * max(1, lines.count)))
        while size > 9 && lines.contains(where: { textWidth($0, size: Double(size)) > Double(width) }) { size -= 1 }
        return size
    }

    /// Under the panels: the scale bar, the fill's colour scale (0-100% of the data bytes per
    /// PE), the link load's (1 to the wafer's busiest link) and the colors' (0 to the budget).
    /// O(1).
    static func scales(_ l: WaferLayout, load: LinkLoadMap, colors: ColorMap, data: Int, top: Int) -> String {
        let ui = l.tick
        var svg = "<g id=\"scale-bar\"><rect x=\"\(l.panelX[0])\" y=\"\(top)\" width=\"\(l.step * l.s)\" height=\"5\" fill=\"#000000\"/>"
        svg += text(l.panelX[0] + l.step * l.s + 6, top + 7, "\(l.step) PEs", size: ui, width: max(60, l.pw - l.step * l.s)) + "</g>\n"
        let barW = min(l.pw, 24 * ui)
        let bars: [(id: String, x: Int, caption: String, ticks: [(Double, String)])] = [
            ("viridis", l.panelX[1], "bytes per PE (weights + KV) / \(Units.grouped(data)) data bytes per PE",
             [0, 25, 50, 75, 100].map { (Double($0) / 100, "\($0)%") }),
            ("plasma", l.panelX[2], load.maxWavelets > 0 ? "wavelets per decode step over a link (both ways; none: white)" : "no link carries a wavelet",
             load.maxWavelets > 0 ? [(0, "1"), (0.5, Units.grouped(load.maxWavelets / 2)), (1, Units.grouped(load.maxWavelets))] : []),
            ("cividis", l.panelX[3], "colors a PE holds, of the \(colors.budget) the program may use (most: \(colors.maxColors))",
             [(0, "0"), (0.5, "\(max(1, max(colors.budget, colors.maxColors)) / 2)"), (1, "\(max(1, max(colors.budget, colors.maxColors)))")])
        ]
        svg += "<g id=\"colour-scales\">"
        for b in bars {
            svg += text(b.x, top + ui, b.caption, size: ui, width: l.pw + 20)
            guard !b.ticks.isEmpty else { continue }
            svg += "<rect x=\"\(b.x)\" y=\"\(top + ui + 6)\" width=\"\(barW)\" height=\"12\" fill=\"url(#\(b.id))\" stroke=\"#333\" stroke-width=\"0.5\"/>"
            for (v, label) in b.ticks {
                let x = b.x + Int(Double(barW) * v)
                svg += "<line x1=\"\(x)\" y1=\"\(top + ui + 18)\" x2=\"\(x)\" y2=\"\(top + ui + 22)\" stroke=\"#333\"/>"
                svg += text(max(b.x, x - Int(textWidth(label, size: Double(ui)) / 2)), top + 2 * ui + 22, label, size: ui, width: 8 * ui)
            }
        }
        svg += "</g>\n"
        return svg
    }

    /// The wafer picture's legend: a swatch per key (`WH`, `LINE` and `CIRCLE` in a key's mark
    /// are its place). O(keys).
    static func waferLegend(_ keys: [(mark: String, name: String)], legendTop: Int, inner: Int, perLine: Int, entryW: Int, ui: Int, row: Int) -> String {
        var svg = "<g id=\"legend\">"
        svg += text(16, legendTop + ui, "Legend (hover a region for what it holds and its bytes per PE, a slot's outline for its units)", size: ui + 1, width: inner, bold: true)
        for (k, key) in keys.enumerated() {
            let x = 16 + (k % perLine) * entryW, y = legendTop + 10 + ui + (k / perLine) * row
            svg += key.mark.replacingOccurrences(of: "WH", with: "x=\"\(x)\" y=\"\(y)\" width=\"16\" height=\"16\"")
                .replacingOccurrences(of: "LINE", with: "x1=\"\(x)\" y1=\"\(y + 8)\" x2=\"\(x + 16)\" y2=\"\(y + 8)\"")
                .replacingOccurrences(of: "CIRCLE", with: "cx=\"\(x + 8)\" cy=\"\(y + 8)\" r=\"7\"")
            svg += text(x + 22, y + 14, key.name, size: ui, width: entryW - 28)
        }
        svg += "</g>\n"
        return svg
    }
}
