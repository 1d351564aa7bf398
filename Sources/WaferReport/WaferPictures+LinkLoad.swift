import WaferPlan
import WaferSupport

/// The link load of one wafer, from the plan alone, as the route pass counts it for
/// `max_link_load_wavelets` (`WaferRouter.maxLinkLoad`): every link carries, per decode step,
/// the load of each line class whose lines run over it (a row class on the east links of every
/// PE of its span, a column class on the south links of its home columns; a folded class's load
/// times its cell bands on its host's lines), of each hand-off bundle lane over it and of each
/// exception route over it (its owner's load). Both directions of a link are summed.
extension WaferPictures {
    /// The loads as block maxima (a PE's load being the larger of its east and south links'):
    /// `most` is the most wavelets per decode step over any one link of the wafer.
    typealias LinkLoadMap = BlockMaxima

    /// The block side for a `width x height` fabric (`BlockMaxima`): about 160 blocks along the longer side, so
    /// a WSE-3 wafer is 8 x 8 PE blocks (96 x 147 of them). O(1).
    static func loadBlock(width: Int, height: Int) -> Int { max(1, (max(width, height) + 159) / 160) }

    /// Wafer `w`'s link loads. Rows and columns of line classes go through difference arrays, so
    /// the cost is O(fabric PEs + classes x (rows + columns) + bundle lane hops + exception hops);
    /// two `Int32` arrays of the fabric's size live while it runs (never an object per PE).
    static func linkLoad(_ plan: Plan, _ w: PlanWafer) -> LinkLoadMap {
        let fw = max(1, plan.target.fabricWidth), fh = max(1, plan.target.fabricHeight)
        var east = [Int32](repeating: 0, count: fw * fh), south = [Int32](repeating: 0, count: fw * fh)
        // East: per row, a difference array over x; south: per column, over y.
        var rowDiff = [Int32](repeating: 0, count: (fw + 1) * fh), columnDiff = [Int32](repeating: 0, count: (fh + 1) * fw)
        let offsets = w.homeOffsets
        var byId: [Int: PlanClass] = [:]
        for c in plan.routing.classes where c.wafer == w.index { byId[c.id] = c }
        func clampLoad(_ v: Int) -> Int32 { Int32(clamping: v) }
        for c0 in plan.routing.classes where c0.wafer == w.index {
            var c = c0, load = c0.loadWavelets
            if let host = c0.foldedInto, let h = byId[host] {
                let range = c0.axis == .rows ? c0.columns : c0.rows
                let length = range.count == 2 ? max(range[1] - range[0], 0) : 0
                load = c0.loadWavelets * max(1, (length + max(c0.segment, 1) - 1) / max(c0.segment, 1))
                c = h
            }
            guard c.columns.count == 2, c.rows.count == 2, c.columns[1] > c.columns[0], c.rows[1] > c.rows[0], !offsets.isEmpty else { continue }
            let r = slotRect(w, c.slot)
            let y0 = max(0, r.y + c.rows[0]), y1 = min(fh, r.y + c.rows[1])
            let firstColumn = min(max(c.columns[0], 0), offsets.count - 1), endColumn = min(c.columns[1], offsets.count)
            if c.axis == .rows {
                let x0 = max(0, r.x + offsets[firstColumn]), x1 = min(fw - 1, r.x + offsets[endColumn - 1])
                // The links between the span's PEs: east of x0 up to, not including, east of x1.
                guard x1 > x0 else { continue }
                for y in y0..<max(y0, y1) { rowDiff[y * (fw + 1) + x0] &+= clampLoad(load); rowDiff[y * (fw + 1) + x1] &-= clampLoad(load) }
            } else {
                guard y1 - 1 > y0 else { continue }
                for column in firstColumn..<max(firstColumn, endColumn) {
                    let x = r.x + offsets[column]
                    guard x >= 0 && x < fw else { continue }
                    columnDiff[x * (fh + 1) + y0] &+= clampLoad(load); columnDiff[x * (fh + 1) + y1 - 1] &-= clampLoad(load)
                }
            }
        }
        for y in 0..<fh {
            var run: Int32 = 0
            for x in 0..<fw { run &+= rowDiff[y * (fw + 1) + x]; east[y * fw + x] = run }
        }
        for x in 0..<fw {
            var run: Int32 = 0
            for y in 0..<fh { run &+= columnDiff[x * (fh + 1) + y]; south[y * fw + x] = run }
        }
        rowDiff = []; columnDiff = []
        func add(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int, _ load: Int) {
            guard ax >= 0, ay >= 0, bx >= 0, by >= 0, ax < fw, bx < fw, ay < fh, by < fh, abs(ax - bx) + abs(ay - by) == 1 else { return }
            if ay == by { east[ay * fw + min(ax, bx)] &+= clampLoad(load) } else { south[min(ay, by) * fw + ax] &+= clampLoad(load) }
        }
        for b in plan.routing.bundles where b.wafer == w.index {
            for lane in 0..<max(0, b.lanes) {
                let path = b.lane(lane)
                for (p, q) in zip(path, path.dropFirst()) { add(p.x, p.y, q.x, q.y, b.loadWavelets) }
            }
        }
        let exceptions = plan.routing.exceptions
        if exceptions.isRectangular {
            var bundleLoad: [Int: Int] = [:]
            for b in plan.routing.bundles where b.wafer == w.index { bundleLoad[b.id] = b.loadWavelets }
            for k in 0..<exceptions.count where exceptions.wafer[k] == w.index {
                let e = exceptions[k]
                let load = e.ownerKind == .bundle ? bundleLoad[e.owner] ?? 0 : byId[e.owner]?.loadWavelets ?? 0
                guard load > 0, let path = e.path(width: fw, height: fh) else { continue }
                for (p, q) in zip(path, path.dropFirst()) { add(Int(p) % fw, Int(p) / fw, Int(q) % fw, Int(q) / fw, load) }
            }
        }
        for i in east.indices where south[i] > east[i] { east[i] = south[i] }
        return BlockMaxima(east, width: fw, height: fh)
    }

    /// Plasma (perceptually uniform, colour-blind safe) from its 1/7 point up, so no load looks
    /// like a dead PE's black and the busiest links are a saturated yellow, never near white;
    /// interpolated between seven of its stops.
    static let plasmaStops: [(Double, Double, Double)] = [(83, 2, 163), (139, 10, 165), (184, 50, 137), (219, 92, 104), (244, 136, 73), (254, 189, 42), (240, 249, 33)]
    static func plasma(_ v: Double) -> String { interpolate(plasmaStops, v) }

    /// Sky blue (Okabe-Ito): the spare-row bypass windows on the link-load panel, a colour plasma
    /// never takes.
    static let bypassColor = "#56B4E9"

    /// The spare-row bypasses of wafer `w` (`redundancy.row_windows`): each window of
    /// `row_window_columns` fabric columns and `block_rows` rows whose column boundaries add
    /// bypass hops to a row line crossing it, outlined in sky blue with a tooltip of its hops;
    /// empty without a windowed record. O(windows).
    static func bypassWindows(_ w: PlanWafer, width fw: Int, height fh: Int, scale s: Int) -> String {
        guard let r = w.redundancy, let windows = r.rowWindows, let columns = r.rowWindowColumns, let perBlock = r.rowWindowsPerBlock,
              let blockRows = r.blockRows, columns > 0, perBlock > 0, blockRows > 0, windows.contains(where: { $0 > 0 }) else { return "" }
        var svg = "<g id=\"bypasses\" fill=\"none\" stroke=\"\(bypassColor)\" stroke-width=\"\(SVGPlot.number(1.5 / Double(s)))\">"
        for (k, hops) in windows.enumerated() where hops > 0 {
            let x = (k % perBlock) * columns, y = (k / perBlock) * blockRows
            guard x < fw, y < fh else { continue }
            let width = min(columns, fw - x), height = min(blockRows, fh - y)
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\"><title>PEs x \(x)..\(x + width - 1), y \(y)..\(y + height - 1): the spare rows' bypasses add \(hops) hop\(hops == 1 ? "" : "s") to a row line crossing these columns (of \(Units.grouped(r.absorbed)) physical dead PEs absorbed on the wafer)</title></rect>"
        }
        return svg + "</g>\n"
    }

    /// Colour levels of the link-load map: 0 (no load, not drawn) and 1...`loadLevels`.
    static let loadLevels = 16

    /// The level of `v` wavelets against the wafer's maximum: 0 for no load, else 1...16. O(1).
    static func loadLevel(_ v: Int32, max most: Int) -> Int {
        guard v > 0, most > 0 else { return 0 }
        return min(loadLevels, 1 + Int(Double(v) / Double(most) * Double(loadLevels - 1) + 0.5))
    }

    /// The map as SVG in PE coordinates: one `<g>` per colour level with a `<title>` naming its
    /// load range (`levelRects`). O(blocks).
    static func loadRects(_ m: LinkLoadMap, width fw: Int, height fh: Int) -> String {
        let step = Double(m.maxWavelets) / Double(loadLevels - 1)
        return levelRects(m.values, columns: m.columns, rows: m.rows, block: m.block, width: fw, height: fh, levels: loadLevels, className: "load",
                          level: { loadLevel($0, max: m.maxWavelets) },
                          fill: { plasma(Double($0 - 1) / Double(loadLevels - 1)) },
                          tip: { level in
                              let low = level == 1 ? 1 : Int((Double(level - 1) - 0.5) * step) + 1
                              let high = min(m.maxWavelets, Int((Double(level - 1) + 0.5) * step))
                              return "blocks of \(m.block) x \(m.block) PEs whose busiest link carries \(Units.grouped(low))-\(Units.grouped(high)) wavelets per decode step"
                          })
    }

    /// Block values drawn as one `<g class="CLASS">` per level 1...`levels` (level 0 is not
    /// drawn: the panel's frame shows through, program PEs white, the I/O halo grey), each with
    /// a `<title>` and its blocks as rectangles: horizontal runs of a level merged, and merged
    /// with identical runs of the rows below. O(blocks).
    static func levelRects(_ values: [Int32], columns: Int, rows: Int, block: Int, width fw: Int, height fh: Int, levels: Int, className: String,
                           level: (Int32) -> Int, fill: (Int) -> String, tip: (Int) -> String) -> String {
        var byLevel = [[(x: Int, y: Int, w: Int, h: Int)]](repeating: [], count: levels + 1)
        var open: [[Int]: Int] = [:]
        for j in 0..<rows {
            var next: [[Int]: Int] = [:]
            var i = 0
            while i < columns {
                let lv = min(levels, max(0, level(values[j * columns + i])))
                var e = i + 1
                while e < columns && min(levels, max(0, level(values[j * columns + e]))) == lv { e += 1 }
                let key = [i, e, lv]
                let y0 = j * block, y1 = min(fh, (j + 1) * block)
                if let o = open[key] {
                    byLevel[lv][o].h = y1 - byLevel[lv][o].y
                    next[key] = o
                } else {
                    let x0 = i * block, x1 = min(fw, e * block)
                    byLevel[lv].append((x0, y0, x1 - x0, y1 - y0))
                    next[key] = byLevel[lv].count - 1
                }
                i = e
            }
            open = next
        }
        var svg = ""
        for lv in byLevel.indices where lv > 0 && !byLevel[lv].isEmpty {
            svg += "<g class=\"\(className)\" fill=\"\(fill(lv))\"><title>\(escape(tip(lv)))</title>"
            for r in byLevel[lv] { svg += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.w)\" height=\"\(r.h)\"/>" }
            svg += "</g>\n"
        }
        return svg
    }

    /// Rings around the blocks holding the busiest link, with its load in their tooltip, when
    /// there are at most `maxRings` of them (when more, the busiest links are everywhere and the
    /// colour says so). O(rings).
    static func hottestRings(_ m: LinkLoadMap, scale s: Int) -> String {
        guard m.maxWavelets > 0, !m.hottest.isEmpty, m.hottest.count <= maxRings else { return "" }
        var svg = "<g id=\"busiest\" fill=\"none\">"
        for b in m.hottest {
            let cx = (b % m.columns) * m.block + m.block / 2, cy = (b / m.columns) * m.block + m.block / 2
            let r = SVGPlot.number(Double(max(6 * m.block, 12)) / Double(s))
            svg += "<g><title>busiest link: \(Units.grouped(m.maxWavelets)) wavelets per decode step, in the \(m.block) x \(m.block) PEs from (\((b % m.columns) * m.block), \((b / m.columns) * m.block))</title>"
            svg += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(r)\" stroke=\"#ffffff\" stroke-width=\"\(SVGPlot.number(4 / Double(s)))\"/><circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(r)\" stroke=\"#000000\" stroke-width=\"\(SVGPlot.number(2 / Double(s)))\"/></g>"
        }
        return svg + "</g>\n"
    }

    /// The most rings `hottestRings` draws.
    static let maxRings = 8
}
