import WaferPlan
import WaferSupport

/// The wafer picture (`wafer-NN.svg`): three panels side by side at one scale, each with axes in
/// PE coordinates, then a legend and the unit maps.
extension WaferPictures {
    /// Where the parts of a wafer picture go, in SVG units. O(1) to build.
    struct WaferLayout {
        /// SVG units per PE, the fabric's size, each panel's left edge, their top and size.
        var s: Int, fw: Int, fh: Int
        var panelX: [Int], top: Int, pw: Int, ph: Int
        var width: Int, inner: Int, tick: Int, step: Int
        var axisBottom: Int

        init(fabricWidth fw: Int, fabricHeight fh: Int) {
            self.fw = fw; self.fh = fh
            // One unit per PE, whole multiples for small fabrics; tick labels 14 units where
            // the picture is shown shrunk (a WSE-3 wafer), 10 on small fabrics.
            s = max(1, 400 / max(1, max(fw, fh)))
            pw = fw * s; ph = fh * s
            tick = max(fw, fh) > 400 ? 14 : 10
            let left = 16 + 5 * tick, gap = 30 + 5 * tick
            top = 84
            let pitch = pw + gap
            panelX = (0..<4).map { left + $0 * pitch }
            width = max(panelX[3] + pw + 24, 720)
            inner = width - 2 * 16
            step = Int(SVGPlot.niceStep(Double(max(fw, fh)), count: 12))
            axisBottom = top + ph + 16 + 2 * tick
        }
    }

    /// One slot's drawing data: its group's units, parts and holding regions (nil when the slot
    /// has too many stacked sub-regions to cut, then it is drawn as one region).
    struct SlotDrawing {
        var group: Int, slot: Int
        var units: [PlanUnit]
        var parts: [SlotPart]
        var regions: [HoldingRegion]? { cut?.regions }
        var cut: HoldingCut?
    }

    /// One wafer as four panels at one scale (one SVG unit per PE, whole multiples for small
    /// fabrics), each with axes in PE coordinates:
    /// - *what each PE holds*: every used slot (a `<g class="slot">` with a `<title>` of its
    ///   exact contents) cut into holding regions (`holdingRegions`: PEs holding the same units'
    ///   dense bands and expert cells), each a `<g class="region">` with a `<title>` of what it
    ///   holds and its bytes per PE, coloured by kind (Okabe-Ito); spare columns at their true
    ///   offsets, overlay patches, detour routes, hand-off arrows, sealed and dead PEs; labels
    ///   last, so nothing covers them;
    /// - *SRAM fill*: each holding region's bytes per PE over the target's data bytes per PE in
    ///   viridis, with its colour scale under the panel;
    /// - *link load*: the busiest link of each 8 x 8 PE block (WSE-3) in wavelets per decode step
    ///   (`linkLoad`, as the route pass counts `max_link_load_wavelets`) in plasma, with its scale, the spare-row bypass windows outlined and the busiest link ringed;
    /// - *routing colors per PE*: the fullest PE of each block's colors out of the budget
    ///   (`colorUse`, as the executor's route replay marks them) in cividis, with its scale.
    /// `limiting`: this wafer's figures when it is the slowest (the overview's bottleneck), to
    /// name it and outline its busiest slot. Below: a scale bar, a legend of exactly what is drawn, and a map of each unit with expert
    /// cells or a compact region (`unitMap`). Aggregated, never a shape per PE. O(fabric PEs +
    /// slots x holding cells + units + cells drawn + dead PEs + route hops).
    static func wafer(_ plan: Plan, _ w: PlanWafer, limiting: WaferFigures?) -> String {
        let t = plan.target
        let l = WaferLayout(fabricWidth: t.fabricWidth, fabricHeight: t.fabricHeight)
        let units = plan.units.filter { $0.wafer == w.index }
        let drawings: [SlotDrawing] = w.groupSlots.enumerated().map { g, slot in
            let mine = units.filter { $0.group == g }
            let parts = parts(mine, width: w.slotWidth, height: w.slotHeight)
            return SlotDrawing(group: g, slot: slot, units: mine, parts: parts, cut: holdingRegions(parts, width: w.slotWidth, height: w.slotHeight))
        }
        let data = max(1, t.dataBytesPerPe)
        let load = linkLoad(plan, w)
        let colors = colorUse(plan, w)
        let exceptionPaths = detourPath(plan, w)
        let maps = mappedUnits(units)
        let mapSize = unitMapSize(w, panelScale: l.s)

        // The legend's keys: exactly what is drawn.
        var colours: [String: String] = [:]
        for d in drawings {
            guard let regions = d.regions else { colours[kind(of: d.units).safeColor] = wafersKindName(kind(of: d.units)); continue }
            for r in regions {
                let c = holdingColor(r, parts: d.parts, units: d.units)
                if c == unusedColor { colours[c] = "unused PEs of a slot"; continue }
                let dense = densest(r, parts: d.parts)
                colours[c] = dense.map { wafersKindName(kind(of: [d.units[d.parts[$0].unit]])) } ?? wafersKindName(.experts)
            }
        }
        if !maps.isEmpty { for u in maps where u.denseRegion != nil { colours[kind(of: [u]).safeColor] = wafersKindName(kind(of: [u])) }; if maps.contains(where: { $0.cells != nil }) { colours[Kind.experts.safeColor] = wafersKindName(.experts) } }
        let order = Kind.allCases.map(\.safeColor) + [unusedColor]
        var keys: [(mark: String, name: String)] = order.compactMap { c in colours[c].map { ("<rect WH fill=\"\(c)\" stroke=\"#333\" stroke-width=\"0.5\"/>", $0) } }
        keys.append(("<rect WH fill=\"\(haloColor)\"/>", "I/O halo"))
        let spares = w.spareColumns > 0 && !drawings.isEmpty
        if spares { keys.append(("<rect WH fill=\"\(spareColor)\"/>", "spare column")) }
        if !w.overlayPes.isEmpty { keys.append(("<rect WH fill=\"\(overlayColor)\" stroke=\"#000000\"/>", "overlay patch")) }
        if !exceptionPaths.isEmpty { keys.append(("<line LINE stroke=\"\(detourColor)\" stroke-width=\"3\"/>", "detour route")) }
        if drawings.count > 1 { keys.append(("<line LINE stroke=\"\(handOffColor)\" stroke-width=\"3\"/>", "hand-off order")) }
        if !w.sealedPes.isEmpty { keys.append(("<rect WH fill=\"\(sealedColor)\"/>", "sealed PE")) }
        if !w.deadPes.isEmpty { keys.append(("<rect WH fill=\"\(deadColor)\"/>", "dead PE")) }
        let bypasses = bypassWindows(w, width: l.fw, height: l.fh, scale: l.s)
        if !bypasses.isEmpty { keys.append(("<rect WH fill=\"none\" stroke=\"\(bypassColor)\" stroke-width=\"2\"/>", "spare-row bypass window")) }
        let rings = hottestRings(load, scale: l.s)
        if !rings.isEmpty { keys.append(("<circle CIRCLE fill=\"none\" stroke=\"#000000\" stroke-width=\"2\"/>", "busiest link")) }
        if limiting?.busiestGroup != nil { keys.append(("<rect WH fill=\"none\" stroke=\"\(bottleneckColor)\" stroke-width=\"3\" stroke-dasharray=\"6 3\"/>", "busiest slot of the slowest wafer")) }

        let ui = l.tick + 2, row = l.tick + 12
        let entryW = 22 * ui, perLine = max(1, l.inner / entryW)
        let scalesTop = l.axisBottom + 10
        let legendTop = scalesTop + 3 * ui + 30
        let keyLines = (keys.count + perLine - 1) / perLine
        let mapsTop = legendTop + 10 + ui + keyLines * row + 16
        let mapW = max(mapSize.width, 18 * l.tick), mapH = 2 * (l.tick + 4) + mapSize.height
        let mapsPerLine = max(1, l.inner / (mapW + 24))
        let mapLines = maps.isEmpty ? 0 : (maps.count + mapsPerLine - 1) / mapsPerLine
        let height = mapsTop + (maps.isEmpty ? 0 : ui + 12 + mapLines * (mapH + 20))

        let title = "\(plan.inputs.modelName) on \(t.name): wafer \(w.index) of \(plan.wafers.count)"
        let holding = holds(units)
        let sub = "\(holding.isEmpty ? "nothing placed" : holding); \(w.groupSlots.count) of \(w.gridColumns * w.gridRows) slots; \(Units.grouped(w.deadPes.count)) dead, \(Units.grouped(w.sealedPes.count)) sealed PEs\(w.redundancy.map { " (\(Units.grouped($0.absorbed)) of \(Units.grouped($0.physicalDeadPes)) physical dead PEs absorbed by spare rows)" } ?? ""); \(w.maxColorsPerPe) of \(plan.routing.colorBudget) colors/PE max; busiest link \(Units.grouped(w.maxLinkLoadWavelets)) wavelets per decode step\(limiting.map { "; the slowest wafer: it limits the speed, busy \(percent($0.share)) of each token" } ?? "")"
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 \(l.width) \(height)\" width=\"\(l.width)\" height=\"\(height)\" font-family=\"sans-serif\">\n"
        svg += "<title>\(escape(title)): \(escape(sub))</title>\n"
        svg += waferDefs()
        svg += "<rect x=\"0\" y=\"0\" width=\"\(l.width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        svg += text(16, 26, title, size: 20, width: l.inner, bold: true) + "\n"
        svg += text(16, 50, sub, size: 14, width: l.inner, fill: "#333") + "\n"
        let headings = ["what each PE holds (hover for contents)", "SRAM fill: bytes per PE / data bytes per PE", "link load: busiest link per \(load.block) x \(load.block) PEs",
                        "routing colors per PE (of \(colors.budget)): fullest per \(colors.blocks.block) x \(colors.blocks.block)"]
        for (k, h) in headings.enumerated() { svg += text(l.panelX[k], l.top - 10, h, size: l.tick + 2, width: l.pw + 20, bold: true) + "\n" }

        svg += holdingsPanel(plan, w, drawings, l, exceptionPaths: exceptionPaths, data: data, busiestGroup: limiting?.busiestGroup)
        svg += fillPanel(plan, w, drawings, l, data: data)
        svg += "<g id=\"link-load\" transform=\"translate(\(l.panelX[2]) \(l.top)) scale(\(l.s))\">" + frame(t) + loadRects(load, width: l.fw, height: l.fh)
        if !exceptionPaths.isEmpty {
            svg += "<use xlink:href=\"#detours\" href=\"#detours\" stroke=\"#ffffff\" stroke-width=\"\(SVGPlot.number(2.6 / Double(l.s)))\" fill=\"none\"/>"
            svg += "<use xlink:href=\"#detours\" href=\"#detours\" stroke=\"\(detourColor)\" stroke-width=\"\(SVGPlot.number(1.2 / Double(l.s)))\" fill=\"none\"/>"
        }
        svg += bypasses + rings
        svg += runs(w.deadPes, width: l.fw, fill: deadColor, pad: l.s >= 3 ? 0 : 1) + "\n</g>\n"
        svg += "<g id=\"colors\" transform=\"translate(\(l.panelX[3]) \(l.top)) scale(\(l.s))\">" + frame(t) + colorRects(colors, width: l.fw, height: l.fh)
        svg += runs(w.deadPes, width: l.fw, fill: deadColor, pad: l.s >= 3 ? 0 : 1) + "\n</g>\n"
        svg += axes(panelX: l.panelX, top: l.top, pw: l.pw, ph: l.ph, fw: l.fw, fh: l.fh, s: l.s, step: l.step, tick: l.tick)
        svg += scales(l, load: load, colors: colors, data: data, top: scalesTop)
        svg += labels(drawings, w, l, data: data)
        svg += waferLegend(keys, legendTop: legendTop, inner: l.inner, perLine: perLine, entryW: entryW, ui: ui, row: row)
        if !maps.isEmpty {
            svg += "<g id=\"unit-maps\">" + text(16, mapsTop + ui, "Units with expert cells or a compact band (hover a cell for its experts)\(units.count > maps.count && mappedUnits(units).count == maxUnitMaps ? ", the first \(maxUnitMaps)" : "")", size: ui + 1, width: l.inner, bold: true)
            for (k, u) in maps.enumerated() {
                svg += unitMap(w, u, at: 16 + (k % mapsPerLine) * (mapW + 24), mapsTop + ui + 12 + (k / mapsPerLine) * (mapH + 20), size: mapSize, tick: l.tick)
            }
            svg += "</g>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// A kind's name in the wafer picture's legend, where a layer's colour marks its dense band.
    static func wafersKindName(_ k: Kind) -> String {
        switch k {
        case .embedding: return "embedding"
        case .dense: return "dense layer (weights, KV cache)"
        case .moe: return "MoE layer's dense band and KV"
        case .experts: return "routed expert cells"
        case .head: return "head"
        }
    }

    /// The hand-off marker and the colour scales (viridis, plasma) every wafer picture defines.
    static func waferDefs() -> String {
        var svg = "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"5\" markerHeight=\"5\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"\(handOffColor)\"/></marker>"
        for (id, stops, colour) in [("viridis", viridisStops.count, viridis), ("plasma", plasmaStops.count, plasma), ("cividis", cividisStops.count, cividis)] as [(String, Int, (Double) -> String)] {
            svg += "<linearGradient id=\"\(id)\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">"
            for k in 0..<stops {
                let v = Double(k) / Double(stops - 1)
                svg += "<stop offset=\"\(Units.fixed(v, digits: 2))\" stop-color=\"\(colour(v))\"/>"
            }
            svg += "</linearGradient>"
        }
        return svg + "</defs>\n"
    }

    /// The fabric behind a panel: the I/O halo in grey around the white program area.
    static func frame(_ t: PlanTarget) -> String {
        let fw = t.fabricWidth, fh = t.fabricHeight
        return "<rect x=\"0\" y=\"0\" width=\"\(fw)\" height=\"\(fh)\" fill=\"\(haloColor)\"/><rect x=\"\(t.haloWest)\" y=\"\(t.haloNorth)\" width=\"\(fw - t.haloWest - t.haloEast)\" height=\"\(fh - t.haloNorth - t.haloSouth)\" fill=\"#ffffff\"/>\n"
    }

    /// Logical slot column -> fabric x of its PE in slot `slot` (`end`: one past the column
    /// before, for a rectangle's right edge). O(1).
    static func fabricX(_ w: PlanWafer, _ offsets: [Int], slot: Int, logical: Int, end: Bool) -> Int {
        let x = slotRect(w, slot).x
        guard !offsets.isEmpty else { return x + logical }
        if end { return x + (logical <= 0 ? 0 : offsets[min(logical, offsets.count) - 1] + 1) }
        return x + offsets[min(max(logical, 0), offsets.count - 1)]
    }
}
