import WaferPlan
import WaferSupport

/// What every PE of a slot holds, as the wafer picture draws it: each unit of the slot's
/// stacking group has up to two *parts*, its dense weights and KV cache (on its compact region,
/// `dense_region`, or on the whole slot) and its routed experts (on the union of its used expert
/// cells, `cells`), and the slot is cut into *holding regions*, maximal sets of PEs that hold the
/// same parts. Units of one group stack: every PE of the slot may hold tiles of each of them, so
/// a region's bytes per PE are the sum of its parts' (docs/plan-format.md, "Units and tensors").
extension WaferPictures {
    /// One part of a unit in its slot, in logical slot coordinates (column, row; end exclusive).
    struct SlotPart: Sendable, Equatable {
        /// The unit's index in its group's unit list.
        var unit: Int
        /// True for the routed-expert cells, false for the dense weights and KV cache.
        var experts: Bool
        var rects: [LogicalRect]
        var bytesPerPe: Int
    }

    /// A rectangle of logical slot coordinates, `[x0, x1) x [y0, y1)`.
    struct LogicalRect: Sendable, Equatable {
        var x0: Int, y0: Int, x1: Int, y1: Int
    }

    /// PEs of one slot that hold the same parts (indices into the slot's parts, ascending): its
    /// rectangles, in scan order, and its bytes per PE. Empty `parts`: PEs no unit uses.
    struct HoldingRegion: Sendable, Equatable {
        var parts: [Int]
        var rects: [LogicalRect]
        var bytesPerPe: Int
        var area: Int { rects.reduce(0) { $0 + ($1.x1 - $1.x0) * ($1.y1 - $1.y0) } }
        /// The largest rectangle (the first on a tie): where a label goes.
        var largest: LogicalRect? { rects.max { ($0.x1 - $0.x0) * ($0.y1 - $0.y0) < ($1.x1 - $1.x0) * ($1.y1 - $1.y0) } }
    }

    /// The most work (compressed cells times parts) `holdingRegions` takes on before it gives up
    /// and the slot is drawn as one region (a group stacking hundreds of units with their own
    /// bands and cells); it bounds the time and the memory of the parts' sets alike.
    static let maxHoldingWork = 2_000_000

    /// The parts of `units` (one stacking group) on a `width x height` logical slot: a unit's
    /// dense part on its compact region, or on the whole slot when it has dense or KV bytes and no
    /// region; its expert part on its used cells, `ceil(experts / experts_per_cell)` of them row by
    /// row from the slot's top left, as the executor places them: the full cell rows as one
    /// rectangle, the last partial row as another. O(units).
    static func parts(_ units: [PlanUnit], width: Int, height: Int) -> [SlotPart] {
        var out: [SlotPart] = []
        func clamp(_ r: LogicalRect) -> LogicalRect? {
            let c = LogicalRect(x0: max(0, r.x0), y0: max(0, r.y0), x1: min(width, r.x1), y1: min(height, r.y1))
            return c.x1 > c.x0 && c.y1 > c.y0 ? c : nil
        }
        for (k, u) in units.enumerated() {
            if u.denseBytesPerPe + u.kvBytesPerPe > 0 || (u.cells == nil && u.expertBytesPerPe == 0) {
                let r = u.denseRegion.map { LogicalRect(x0: 0, y0: $0.row0, x1: $0.width, y1: $0.row0 + $0.height) }
                    ?? LogicalRect(x0: 0, y0: 0, x1: width, y1: height)
                if let r = clamp(r) { out.append(SlotPart(unit: k, experts: false, rects: [r], bytesPerPe: u.denseBytesPerPe + u.kvBytesPerPe)) }
            }
            if let c = u.cells, u.experts.count == 2, u.experts[1] > u.experts[0], c.columns > 0, c.expertsPerCell > 0 {
                let used = (u.experts[1] - u.experts[0] + c.expertsPerCell - 1) / c.expertsPerCell
                let full = min(used / c.columns, c.rows), rest = used - full * c.columns
                var rects: [LogicalRect] = []
                if full > 0, let r = clamp(LogicalRect(x0: 0, y0: 0, x1: c.columns * c.cellWidth, y1: full * c.cellHeight)) { rects.append(r) }
                if rest > 0, full < c.rows, let r = clamp(LogicalRect(x0: 0, y0: full * c.cellHeight, x1: rest * c.cellWidth, y1: (full + 1) * c.cellHeight)) { rects.append(r) }
                if !rects.isEmpty { out.append(SlotPart(unit: k, experts: true, rects: rects, bytesPerPe: u.expertBytesPerPe)) }
            }
        }
        return out
    }

    /// The slot cut into holding regions: the parts' edges split the slot into a grid of
    /// compressed cells (coordinate compression), each cell takes the set of parts covering it,
    /// and cells with the same set form a region, drawn as horizontal runs merged with identical
    /// runs of the rows below. Regions are in scan order of their first cell. nil when cells
    /// times parts would pass `maxHoldingWork`. O(parts x cells), cells <= (4 x parts + 2)^2.
    static func holdingRegions(_ parts: [SlotPart], width: Int, height: Int) -> HoldingCut? {
        var xs = Set([0, width]), ys = Set([0, height])
        for p in parts { for r in p.rects { xs.formUnion([r.x0, r.x1]); ys.formUnion([r.y0, r.y1]) } }
        let sx = xs.sorted(), sy = ys.sorted()
        let nx = sx.count - 1, ny = sy.count - 1
        guard nx > 0, ny > 0, nx * ny * max(1, parts.count) <= maxHoldingWork else { return nil }
        var xIndex: [Int: Int] = [:], yIndex: [Int: Int] = [:]
        for (i, x) in sx.enumerated() { xIndex[x] = i }
        for (j, y) in sy.enumerated() { yIndex[y] = j }
        var cover = [[Int]](repeating: [], count: nx * ny)
        for (k, p) in parts.enumerated() {
            for r in p.rects {
                guard let i0 = xIndex[r.x0], let i1 = xIndex[r.x1], let j0 = yIndex[r.y0], let j1 = yIndex[r.y1] else { continue }
                for j in j0..<j1 { for i in i0..<i1 where cover[j * nx + i].last != k { cover[j * nx + i].append(k) } }
            }
        }
        var regionOf: [[Int]: Int] = [:], regions: [HoldingRegion] = []
        var cellRegion = [Int](repeating: 0, count: nx * ny)
        // Runs of the previous compressed row, keyed by (first column, end column, region).
        var open: [[Int]: Int] = [:]
        for j in 0..<ny {
            var next: [[Int]: Int] = [:]
            var i = 0
            while i < nx {
                let set = cover[j * nx + i]
                var e = i + 1
                while e < nx && cover[j * nx + e] == set { e += 1 }
                let region: Int
                if let found = regionOf[set] { region = found } else {
                    region = regions.count
                    regionOf[set] = region
                    regions.append(HoldingRegion(parts: set, rects: [], bytesPerPe: set.reduce(0) { $0 + parts[$1].bytesPerPe }))
                }
                for c in i..<e { cellRegion[j * nx + c] = region }
                let key = [i, e, region]
                if let rect = open[key] {
                    regions[region].rects[rect].y1 = sy[j + 1]
                    next[key] = rect
                } else {
                    regions[region].rects.append(LogicalRect(x0: sx[i], y0: sy[j], x1: sx[e], y1: sy[j + 1]))
                    next[key] = regions[region].rects.count - 1
                }
                i = e
            }
            open = next
        }
        return HoldingCut(regions: regions, boundaries: boundaries(cellRegion, sx: sx, sy: sy))
    }

    /// A slot cut into holding regions, and the lines between regions (each a `LogicalRect` of
    /// zero width or height: vertical at `x0 == x1`, horizontal at `y0 == y1`).
    struct HoldingCut: Sendable, Equatable {
        var regions: [HoldingRegion]
        var boundaries: [LogicalRect]
    }

    /// The edges between compressed cells of different regions, collinear neighbours merged.
    /// O(cells).
    static func boundaries(_ region: [Int], sx: [Int], sy: [Int]) -> [LogicalRect] {
        let nx = sx.count - 1, ny = sy.count - 1
        var out: [LogicalRect] = []
        for i in 1..<max(1, nx) {
            var j = 0
            while j < ny {
                guard region[j * nx + i - 1] != region[j * nx + i] else { j += 1; continue }
                var e = j + 1
                while e < ny && region[e * nx + i - 1] != region[e * nx + i] { e += 1 }
                out.append(LogicalRect(x0: sx[i], y0: sy[j], x1: sx[i], y1: sy[e]))
                j = e
            }
        }
        for j in 1..<max(1, ny) {
            var i = 0
            while i < nx {
                guard region[(j - 1) * nx + i] != region[j * nx + i] else { i += 1; continue }
                var e = i + 1
                while e < nx && region[(j - 1) * nx + e] != region[j * nx + e] { e += 1 }
                out.append(LogicalRect(x0: sx[i], y0: sy[j], x1: sx[e], y1: sy[j]))
                i = e
            }
        }
        return out
    }

    /// A region's label: `layer 3`, `layers 26-27 + layer 25 experts 112..383`, `layer 25
    /// experts 112..383 + layer 26 experts 0..383` (each expert range while there are at most
    /// three), `experts of layers 25-28`, or `unused` for PEs no unit holds.
    static func holdingLabel(_ region: HoldingRegion, parts: [SlotPart], units: [PlanUnit]) -> String {
        let dense = region.parts.filter { !parts[$0].experts }.map { units[parts[$0].unit] }
        let experts = region.parts.filter { parts[$0].experts }.map { units[parts[$0].unit] }
        func expertWords(_ us: [PlanUnit]) -> String {
            guard us.count <= 3, us.allSatisfy({ $0.experts.count == 2 }) else { return "experts of " + holds(us) }
            return us.map { "\(holds([$0])) experts \($0.experts[0])..\($0.experts[1] - 1)" }.joined(separator: " + ")
        }
        if dense.isEmpty { return experts.isEmpty ? "unused" : expertWords(experts) }
        return holds(dense) + (experts.isEmpty ? "" : " + " + expertWords(experts))
    }

    /// The colour a holding region is drawn in: the kind of the unit whose dense part holds the
    /// most bytes per PE there (the first on a tie), else the expert colour, else white (unused).
    static func holdingColor(_ region: HoldingRegion, parts: [SlotPart], units: [PlanUnit]) -> String {
        if let d = densest(region, parts: parts) { return kind(of: [units[parts[d].unit]]).safeColor }
        return region.parts.isEmpty ? unusedColor : Kind.experts.safeColor
    }

    /// The region's dense part with the most bytes per PE (the first on a tie), if any. O(parts).
    static func densest(_ region: HoldingRegion, parts: [SlotPart]) -> Int? {
        var best: Int?
        for p in region.parts where !parts[p].experts && best.map({ parts[p].bytesPerPe > parts[$0].bytesPerPe }) ?? true { best = p }
        return best
    }

    /// White: PEs of a used slot that no unit holds anything on.
    static let unusedColor = "#ffffff"

    /// A part in words for a tooltip: the ops of a dense part with its bytes, or an expert part's
    /// range, cell grid and bytes.
    static func partWords(_ p: SlotPart, _ u: PlanUnit) -> String {
        if p.experts, let c = u.cells, u.experts.count == 2 {
            let perCell = c.expertsPerCell == 1 ? "1 per cell" : "\(c.expertsPerCell) per cell"
            return "\(u.name): routed experts \(u.experts[0])..\(u.experts[1] - 1) in \(c.columns) x \(c.rows) cells of \(c.cellWidth) x \(c.cellHeight) PEs, \(perCell), row by row: \(Units.grouped(p.bytesPerPe)) bytes per PE"
        }
        var ops: [String] = []
        for t in u.tensors where t.region == .slot {
            let parts = t.op.split(separator: ".")
            // `layers.26.self_attn` -> `self_attn`; `embed_tokens` stays.
            let op = parts.count >= 3 && parts[0] == "layers" ? parts[2...].joined(separator: ".") : t.op
            if ops.last != op && !ops.contains(op) { ops.append(op) }
        }
        let place = u.denseRegion.map { "band of \($0.width) x \($0.height) PEs from row \($0.row0)" } ?? "whole slot"
        let kv = u.kvBytesPerPe > 0 ? " + \(Units.grouped(u.kvBytesPerPe)) KV cache" : ""
        return "\(u.name): dense weights\(u.kvBytesPerPe > 0 ? " and KV cache" : "") on its \(place) (\(ops.isEmpty ? "no tensors" : ops.joined(separator: ", "))): \(Units.grouped(u.denseBytesPerPe))\(kv) bytes per PE"
    }
}
