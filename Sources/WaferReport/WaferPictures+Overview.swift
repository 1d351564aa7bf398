import Foundation
import WaferPlan
import WaferSupport

extension WaferPictures.Kind {
    /// The kind's colour in the overview: the Okabe-Ito palette, told apart under the common
    /// colour-vision deficiencies.
    var safeColor: String {
        switch self {
        case .embedding: return "#0072B2"
        case .dense: return "#009E73"
        case .moe: return "#E69F00"
        case .experts: return "#56B4E9"
        case .head: return "#CC79A7"
        }
    }
}

extension WaferPictures {
    /// One wafer's figures in the overview, all read from the plan.
    struct WaferFigures: Sendable {
        /// Cycles of the decode step during which some phase of one of the wafer's units runs
        /// (the union of their `[start_cycle, end_cycle)`, so phases streaming under one another
        /// or running beside each other count once), and that over the plan's cycles per token.
        var busyCycles: Int
        var share: Double
        /// SRAM fill, computed as the summary's is (`PlacementQuality`): used bytes are each
        /// stacking group's bytes per PE (`group_bytes_per_pe`, its largest unit's weights and KV
        /// cache) times its slot's logical PEs (`slot_width x slot_height`); usable bytes are the
        /// wafer's live program PEs (the rectangle inside the halo less its dead and sealed PEs)
        /// times the target's data bytes per PE (SRAM less runtime reserve and buffers).
        var usedBytes: Int
        var usableBytes: Int
        var fill: Double
        var dead: Int
        var sealed: Int
        /// The stacking group busiest in the step (the most busy cycles, lowest group on a tie),
        /// and its busy cycles; nil when none of the wafer's units has a phase.
        var busiestGroup: Int?
        var busiestCycles: Int
    }

    /// The length of the union of half-open intervals. O(n log n).
    static func covered(_ intervals: [(start: Int, end: Int)]) -> Int {
        var total = 0, reach = Int.min
        for i in intervals.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) where i.end > max(i.start, reach) {
            total += i.end - max(i.start, reach)
            reach = i.end
        }
        return total
    }

    /// Each wafer's figures, in wafer order. O(phases log phases + units + dead PEs).
    static func waferFigures(_ plan: Plan) -> [WaferFigures] {
        let t = plan.target
        var byWafer: [Int: [(start: Int, end: Int)]] = [:]
        var byGroup: [Int: [Int: [(start: Int, end: Int)]]] = [:]
        for p in plan.schedule.phases where plan.units.indices.contains(p.unit) && p.endCycle > p.startCycle {
            let u = plan.units[p.unit]
            byWafer[u.wafer, default: []].append((p.startCycle, p.endCycle))
            byGroup[u.wafer, default: [:]][u.group, default: []].append((p.startCycle, p.endCycle))
        }
        let x0 = t.haloWest, x1 = t.fabricWidth - t.haloEast, y0 = t.haloNorth, y1 = t.fabricHeight - t.haloSouth
        let program = max(0, x1 - x0) * max(0, y1 - y0)
        func inProgram(_ pe: Int32) -> Bool {
            let x = Int(pe) % max(1, t.fabricWidth), y = Int(pe) / max(1, t.fabricWidth)
            return x >= x0 && x < x1 && y >= y0 && y < y1
        }
        let perToken = plan.schedule.cyclesPerToken
        return plan.wafers.map { w in
            let lost = w.deadPes.lazy.filter(inProgram).count + w.sealedPes.lazy.filter(inProgram).count
            let used = w.groupBytesPerPe.reduce(0) { $0 + $1 * w.slotWidth * w.slotHeight }
            let usable = max(0, program - lost) * max(0, t.dataBytesPerPe)
            let busy = covered(byWafer[w.index] ?? [])
            var busiest: Int?, busiestCycles = 0
            for (g, intervals) in (byGroup[w.index] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let c = covered(intervals)
                if c > busiestCycles { busiest = g; busiestCycles = c }
            }
            return WaferFigures(busyCycles: busy, share: perToken > 0 ? Double(busy) / Double(perToken) : 0,
                                usedBytes: used, usableBytes: usable, fill: usable > 0 ? Double(used) / Double(usable) : 0,
                                dead: w.deadPes.count, sealed: w.sealedPes.count, busiestGroup: busiest, busiestCycles: busiestCycles)
        }
    }

    /// The wafer with the most busy cycles per decode step (the lowest index on a tie): the one
    /// that limits the speed, for the overview, the wafer pictures and the time split; nil when
    /// no wafer is busy. O(wafers).
    static func bottleneck(busy: [Int]) -> Int? {
        var best: Int?
        for (i, b) in busy.enumerated() where b > 0 && best.map({ b > busy[$0] }) ?? true { best = i }
        return best
    }

    /// Viridis (perceptually uniform, colour-blind safe) at `v` in 0...1, interpolated between
    /// five of its stops.
    static let viridisStops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    static func viridis(_ v: Double) -> String { interpolate(viridisStops, v) }

    /// The colour at `v` in 0...1 (clamped; not finite: 0) along `stops`, evenly spaced, linear
    /// in RGB between neighbours: how every sequential map of the pictures is sampled. O(1).
    static func interpolate(_ stops: [(Double, Double, Double)], _ v: Double) -> String {
        guard stops.count > 1 else { return stops.first.map { hex($0.0, $0.1, $0.2) } ?? "#000000" }
        let x = min(1, max(0, v.isFinite ? v : 0)) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2), f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        return hex(a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let digits = Array("0123456789abcdef")
        return "#" + [r, g, b].map { c -> String in
            let n = Int(min(255, max(0, c)).rounded())
            return String([digits[n / 16], digits[n % 16]])
        }.joined()
    }

    /// Width of text estimated at 0.6 font sizes per character (generous for sans-serif).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }

    /// `text` cut to fit `width` at `size` (0.6 font sizes per character), ending in an ellipsis
    /// when cut; the tooltips carry the full text.
    static func fit(_ text: String, width: Double, size: Double) -> String {
        let most = Int((width / (size * 0.6)).rounded(.down))
        if text.count <= most { return text }
        return most < 1 ? "" : String(text.prefix(most - 1)) + "…"
    }

    /// A `<text>` at (x, y), start-anchored, with the text cut to `width`.
    static func text(_ x: Int, _ y: Int, _ s: String, size: Int, width: Int, fill: String = "#000", bold: Bool = false) -> String {
        "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\"\(bold ? " font-weight=\"bold\"" : "") fill=\"\(fill)\">\(escape(fit(s, width: Double(width), size: Double(size))))</text>"
    }

    /// A slot's contents in a few words: `embed + layers 0-2`, `layer 25 experts 0..95`.
    static func short(_ units: [PlanUnit]) -> String {
        var s = holds(units)
        if units.count == 1, units[0].experts.count == 2, units[0].experts[1] > units[0].experts[0] { s += " experts \(units[0].experts[0])..\(units[0].experts[1] - 1)" }
        return s.isEmpty ? label(units) : s
    }

    static func percent(_ v: Double, digits: Int = 1) -> String { Units.fixed(v * 100, digits: digits) + "%" }

    // Layout of the overview, in SVG user units (fixed: nothing scales with the text).
    static let cellWidth = 236, cellHeight = 232, gapX = 28, gapY = 20, margin = 24
    static let tileBox = 96, legendEntryWidth = 340, minimumWidth = 3 * 340 + 2 * 24
    /// The bottleneck's outline colour (Okabe-Ito vermillion, no kind's colour).
    static let bottleneckColor = "#D55E00"
    static let haloColor = "#999999", timeColor = "#444444", trackColor = "#e6e6e6"

    /// Every wafer as a card in pipeline order (left to right, row by row, 8 a row): a small
    /// tile of its slots by kind; its share of the time per token as a bar scaled to the slowest
    /// wafer; its SRAM fill as a viridis bar; its dead (and sealed) PEs; what it holds. The
    /// slowest wafer is outlined, labelled, and its busiest slot outlined. The title carries the
    /// deployment (model, target, context, batch, defects, precision, predicted tokens/s per
    /// user), a legend explains every colour and a scale bar the fill. Fixed cells and font sizes,
    /// labels cut with an ellipsis: no text overlaps another or leaves the canvas.
    /// `figures` are `waferFigures(plan)`, computed once for all pictures. O(wafers + slots +
    /// phases log phases).
    static func overview(_ plan: Plan, _ figures: [WaferFigures]) -> String {
        let t = plan.target
        let slowest = bottleneck(busy: figures.map(\.busyCycles))
        let maxShare = figures.map(\.share).max() ?? 0
        let splits = TimeSplitPlot.splits(plan)
        let n = plan.wafers.count
        let perRow = min(8, max(1, n)), rows = max(1, (n + perRow - 1) / perRow)
        let gridW = perRow * cellWidth + (perRow - 1) * gapX
        let width = max(gridW + 2 * margin, minimumWidth)
        let inner = width - 2 * margin
        // The deployment line, wrapped once at a space when too long, then cut.
        let i = plan.inputs
        var deployment = "context \(Units.grouped(i.contextTokens)) tokens, batch \(i.batch)"
        if let s = i.sequences, s != i.batch { deployment += " (\(s) sequences)" }
        deployment += ", precision \(i.precision), KV \(i.kvElement), defects: \(i.defects)"
        var deploymentLines = [deployment]
        let most = Int(Double(inner) / (13 * 0.6))
        if deployment.count > most, let space = deployment.prefix(most).lastIndex(of: " ") {
            deploymentLines = [String(deployment[..<space]), String(deployment[deployment.index(after: space)...])]
        }
        let gridTop = 58 + 20 * deploymentLines.count
        let legendTop = gridTop + rows * cellHeight + (rows - 1) * gapY + 28
        let perLine = max(1, inner / legendEntryWidth)

        // The legend's keys: every colour the picture uses.
        let kinds = Set(plan.wafers.flatMap { w in w.groupSlots.indices.map { g in kind(of: plan.units.filter { $0.wafer == w.index && $0.group == g }) } })
        var keys: [(color: String, outline: Bool, name: String)] = Kind.allCases.filter(kinds.contains).map { ($0.safeColor, false, $0.rawValue) }
        keys.append((haloColor, false, "I/O halo (no program PEs)"))
        if maxShare > 0 { keys.append((timeColor, false, "busy share of each token (wafers overlap)")) }
        if slowest != nil { keys.append((bottleneckColor, true, "slowest wafer and its busiest slot")) }
        let keyLines = (keys.count + perLine - 1) / perLine
        let scaleTop = legendTop + 24 + keyLines * 22 + 6
        let height = scaleTop + 98

        // Title: the deployment.
        let title = "\(i.modelName) on \(n) x \(t.name): \(Units.fixed(plan.summary.tokensPerS, digits: 1)) tokens/s per user predicted, \(Units.bytes(plan.summary.weightBytes)) of weights"
        let slowestNote = slowest.map { "slowest: wafer \($0), \(percent(figures[$0].share)) of each token" } ?? "no schedule"

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\">\n"
        svg += "<title>\(escape(title)); \(escape(deployment)); \(escape(slowestNote))</title>\n"
        svg += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"#333\"/></marker>"
        svg += "<linearGradient id=\"viridis\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">"
        for k in viridisStops.indices {
            let v = Double(k) / Double(viridisStops.count - 1)
            svg += "<stop offset=\"\(Units.fixed(v, digits: 2))\" stop-color=\"\(viridis(v))\"/>"
        }
        svg += "</linearGradient></defs>\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        svg += text(margin, 30, title, size: 18, width: inner, bold: true) + "\n"
        for (k, line) in deploymentLines.enumerated() { svg += text(margin, 54 + 18 * k, line, size: 13, width: inner, fill: "#333") + "\n" }

        // The cards.
        let scale = min(Double(tileBox) / Double(max(1, t.fabricWidth)), Double(tileBox + 34) / Double(max(1, t.fabricHeight)))
        let tileW = Int((Double(t.fabricWidth) * scale).rounded(.down))
        for k in plan.wafers.indices {
            let x0 = margin + (k % perRow) * (cellWidth + gapX), y0 = gridTop + (k / perRow) * (cellHeight + gapY)
            svg += card(plan, k, figures[k], slowest: slowest == k, maxShare: maxShare, scale: scale, tileW: tileW, splits: splits, at: x0, y0)
            // The hand-off to the next wafer in the same row.
            if k + 1 < n && (k + 1) % perRow != 0 {
                let ay = y0 + 30 + tileBox / 2
                svg += "<line x1=\"\(x0 + cellWidth + 3)\" y1=\"\(ay)\" x2=\"\(x0 + cellWidth + gapX - 3)\" y2=\"\(ay)\" stroke=\"#333\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n"
            }
        }

        // The legend.
        svg += legend(keys, top: legendTop, scaleTop: scaleTop, inner: inner, perLine: perLine)
        svg += "</svg>\n"
        return svg
    }

    /// Wafer `k`'s card, its top left corner at (x0, y0). O(its units + slots).
    static func card(_ plan: Plan, _ k: Int, _ f: WaferFigures, slowest isSlowest: Bool, maxShare: Double, scale: Double, tileW: Int, splits: [TimeSplitPlot.Split], at x0: Int, _ y0: Int) -> String {
        let t = plan.target, w = plan.wafers[k], n = plan.wafers.count
        var svg = ""
        let units = plan.units.filter { $0.wafer == w.index }
        let groups = w.groupSlots.indices.map { g in units.filter { $0.group == g } }
        let holding = holds(units)
        var tip = "wafer \(w.index) of \(n) (pipeline stage \(k + 1)): \(holding.isEmpty ? "nothing" : holding)"
        tip += "\ntime per token: \(Units.grouped(f.busyCycles)) of \(Units.grouped(plan.schedule.cyclesPerToken)) cycles busy (\(percent(f.share, digits: 2)))"
        tip += "\nSRAM: \(Units.gigabytes(f.usedBytes, digits: 3)) of \(Units.gigabytes(f.usableBytes, digits: 3)) usable (\(percent(f.fill, digits: 2)))"
        tip += "\ndefects: \(Units.grouped(f.dead)) dead PEs, \(Units.grouped(f.sealed)) sealed"
        if let r = w.redundancy { tip += "; \(Units.grouped(r.physicalDeadPes)) physical dead PEs, \(Units.grouped(r.absorbed)) absorbed by spare rows, \(Units.grouped(r.holes)) holes left" }
        tip += "\nslots: \(w.groupSlots.count) used of \(w.gridColumns * w.gridRows)"
        if let g = f.busiestGroup { tip += "\nbusiest slot: \(label(groups[g])) (\(Units.grouped(f.busiestCycles)) cycles)" }
        let split = k < splits.count ? splits[k] : nil
        if let split, split.busy > 0 {
            tip += "\nbusy time by kind (each counted where no kind before it runs): " + TimeSplitPlot.kinds.indices.map {
                "\(TimeSplitPlot.kinds[$0].name) \(Units.grouped(split.shown[$0])) cycles (\(percent(Double(split.shown[$0]) / Double(split.busy))))"
            }.joined(separator: ", ")
        }
        for (g, mine) in groups.enumerated() { tip += "\n  slot \(w.groupSlots[g]): \(label(mine))" }
        svg += "<g id=\"wafer-\(w.index)\" class=\"wafer\(isSlowest ? " bottleneck" : "")\"><title>\(escape(tip))</title>"
        svg += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(cellWidth)\" height=\"\(cellHeight)\" rx=\"6\" fill=\"#f7f7f7\" stroke=\"\(isSlowest ? bottleneckColor : "#cccccc")\" stroke-width=\"\(isSlowest ? 4 : 1)\"/>"
        svg += text(x0 + 10, y0 + 20, "wafer \(w.index)", size: 13, width: cellWidth - 20, bold: true)
        // The tile: halo, program rectangle, slots by kind.
        let tx = x0 + 10 + (tileBox - tileW) / 2, ty = y0 + 30
        let line = Units.fixed(0.8 / scale, digits: 1)
        svg += "<g transform=\"translate(\(tx) \(ty)) scale(\(Units.fixed(scale, digits: 5)))\">"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(t.fabricWidth)\" height=\"\(t.fabricHeight)\" fill=\"\(haloColor)\"/>"
        svg += "<rect x=\"\(t.haloWest)\" y=\"\(t.haloNorth)\" width=\"\(t.fabricWidth - t.haloWest - t.haloEast)\" height=\"\(t.fabricHeight - t.haloNorth - t.haloSouth)\" fill=\"#ffffff\"/>"
        for (g, slot) in w.groupSlots.enumerated() {
            let r = slotRect(w, slot)
            svg += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(kind(of: groups[g]).safeColor)\" stroke=\"#333\" stroke-width=\"\(line)\"><title>\(escape(label(groups[g])))</title></rect>"
        }
        if isSlowest, let g = f.busiestGroup {
            let r = slotRect(w, w.groupSlots[g])
            svg += "<rect class=\"busiest\" x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"none\" stroke=\"\(bottleneckColor)\" stroke-width=\"\(Units.fixed(3 / scale, digits: 1))\"/>"
        }
        svg += "</g>"
        // The figures, right of the tile.
        let fx = x0 + 10 + tileBox + 12, fw = cellWidth - (fx - x0) - 10
        svg += text(fx, y0 + 44, "time \(percent(f.share))", size: 11, width: fw)
        svg += "<rect x=\"\(fx)\" y=\"\(y0 + 50)\" width=\"\(fw)\" height=\"10\" fill=\"\(trackColor)\"/>"
        let timeBar = maxShare > 0 ? Int((Double(fw) * f.share / maxShare).rounded()) : 0
        if timeBar > 0 { svg += "<rect x=\"\(fx)\" y=\"\(y0 + 50)\" width=\"\(timeBar)\" height=\"10\" fill=\"\(timeColor)\"/>" }
        svg += text(fx, y0 + 84, "SRAM fill \(percent(f.fill))", size: 11, width: fw)
        svg += "<rect x=\"\(fx)\" y=\"\(y0 + 90)\" width=\"\(fw)\" height=\"10\" fill=\"\(trackColor)\"/>"
        let fillBar = Int((Double(fw) * min(1, max(0, f.fill))).rounded())
        if fillBar > 0 { svg += "<rect x=\"\(fx)\" y=\"\(y0 + 90)\" width=\"\(fillBar)\" height=\"10\" fill=\"\(viridis(f.fill))\"/>" }
        svg += text(fx, y0 + 124, "\(Units.grouped(f.dead)) dead PEs", size: 12, width: fw)
        if let r = w.redundancy {
            svg += text(fx, y0 + 140, "\(Units.grouped(r.absorbed)) spared", size: 11, width: fw, fill: "#555")
        } else {
            svg += text(fx, y0 + 140, "\(Units.grouped(f.sealed)) sealed", size: 11, width: fw, fill: "#555")
        }
        svg += text(fx, y0 + 156, "\(w.groupSlots.count) of \(w.gridColumns * w.gridRows) slots", size: 11, width: fw, fill: "#555")
        // What it holds and, on the slowest wafer, why it is outlined.
        svg += text(x0 + 10, y0 + 184, holding.isEmpty ? "nothing placed" : holding, size: 12, width: cellWidth - 20)
        if isSlowest {
            svg += text(x0 + 10, y0 + 204, "slowest: \(percent(f.share)) of each token", size: 12, width: cellWidth - 20, fill: bottleneckColor, bold: true)
            // Why: the kind that takes most of its busy time.
            if let split, split.busy > 0, let top = split.shown.indices.max(by: { split.shown[$0] < split.shown[$1] }) {
                let names = ["compute", "elementwise work", "on-wafer communication", "wafer-to-wafer links"]
                svg += text(x0 + 10, y0 + 222, "why: \(names[top]) \(percent(Double(split.shown[top]) / Double(split.busy), digits: 0))", size: 11, width: cellWidth - 20, fill: "#333")
            }
        }
        svg += "</g>\n"
        return svg
    }

    /// The legend: a swatch per key, wrapped `perLine` a line, the fill's scale bar and notes.
    static func legend(_ keys: [(color: String, outline: Bool, name: String)], top legendTop: Int, scaleTop: Int, inner: Int, perLine: Int) -> String {
        var svg = ""
        svg += "<g id=\"legend\">"
        svg += text(margin, legendTop + 14, "Legend: wafers in pipeline order, left to right, row by row (arrows: hand-off); hover for exact figures", size: 13, width: inner, bold: true)
        for (k, key) in keys.enumerated() {
            let x = margin + (k % perLine) * legendEntryWidth, y = legendTop + 24 + (k / perLine) * 22
            svg += key.outline
                ? "<rect x=\"\(x + 1)\" y=\"\(y + 1)\" width=\"14\" height=\"14\" fill=\"none\" stroke=\"\(key.color)\" stroke-width=\"3\"/>"
                : "<rect x=\"\(x)\" y=\"\(y)\" width=\"16\" height=\"16\" fill=\"\(key.color)\" stroke=\"#333\" stroke-width=\"0.5\"/>"
            svg += text(x + 22, y + 13, key.name, size: 12, width: legendEntryWidth - 30)
        }
        let barW = 240
        svg += text(margin, scaleTop + 14, "SRAM fill: used bytes (each slot's bytes per PE x its PEs) over usable (live program PEs x data bytes per PE)", size: 12, width: inner)
        svg += "<rect x=\"\(margin)\" y=\"\(scaleTop + 22)\" width=\"\(barW)\" height=\"14\" fill=\"url(#viridis)\" stroke=\"#333\" stroke-width=\"0.5\"/>"
        for (k, v) in [0, 25, 50, 75, 100].enumerated() {
            let x = margin + barW * k / 4
            svg += "<line x1=\"\(x)\" y1=\"\(scaleTop + 36)\" x2=\"\(x)\" y2=\"\(scaleTop + 41)\" stroke=\"#333\"/>"
            let label = "\(v)%"
            svg += text(max(margin, x - Int(textWidth(label, size: 11) / 2)), scaleTop + 54, label, size: 11, width: 40)
        }
        svg += text(margin, scaleTop + 74, "time: the cycles of one decode step in which a wafer's units are busy, over the cycles per token", size: 11, width: inner, fill: "#555")
        svg += text(margin, scaleTop + 90, "dead PEs: the holes left after repair (I/O halo included); sealed: live PEs cut off by defects; spared: physical dead PEs the spare rows absorbed", size: 11, width: inner, fill: "#555")
        svg += "</g>\n"
        return svg
    }
}
