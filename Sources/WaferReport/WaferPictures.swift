import Foundation
import WaferPlan
import WaferSupport

/// SVG pictures of a plan, drawn from the plan alone (so `wafermap render PLAN` needs nothing
/// else): one per wafer and an overview of all wafers in pipeline order.
///
/// A wafer picture is one SVG unit per PE (762 x 1172 for WSE-3): the I/O halo in grey, each used
/// slot filled by the kind of its units (embedding, dense layer, MoE layer, expert slice, head)
/// and labelled where the label fits, a congestion overlay (darker where the slot's line classes
/// load each link more), the defect exception routes as thin lines, overlay patches, and dead and
/// sealed PEs as runs of red and orange cells. Aggregated, never a rectangle per PE: slots are
/// one rectangle each, defects one rectangle per horizontal run, so a WSE-3 wafer with a 0.1%
/// clustered map is a few hundred kilobytes. O(slots + dead PEs + exception hops) per wafer.
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
        files.append(("overview.svg", overview(plan)))
        return files
    }

    /// The kind of a slot's contents, for its colour.
    enum Kind: String, CaseIterable {
        case embedding, dense = "dense layer", moe = "MoE layer", experts = "expert slice", head
        var color: String {
            switch self {
            case .embedding: return "#7fb3d5"
            case .dense: return "#82c99b"
            case .moe: return "#f5b971"
            case .experts: return "#f7dc6f"
            case .head: return "#c39bd3"
            }
        }
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

    static func wafer(_ plan: Plan, _ w: PlanWafer) -> String {
        let t = plan.target
        let width = t.fabricWidth, height = t.fabricHeight
        let units = plan.units.filter { $0.wafer == w.index }
        let legendHeight = 90
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height + legendHeight)\" width=\"\(width)\" height=\"\(height + legendHeight)\" font-family=\"sans-serif\">\n"
        svg += "<title>\(escape(plan.inputs.modelName)) on \(escape(t.name)): wafer \(w.index)</title>\n"
        // Fabric and halo.
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#bdbdbd\"/>"
        svg += "<rect x=\"\(t.haloWest)\" y=\"\(t.haloNorth)\" width=\"\(width - t.haloWest - t.haloEast)\" height=\"\(height - t.haloNorth - t.haloSouth)\" fill=\"#ffffff\"/>\n"
        // Slots by kind; the line classes' load per link is the same on every PE of a slot and
        // goes in the slot's tooltip.
        var load: [Int: Int] = [:]
        for c in plan.routing.classes where c.wafer == w.index && c.foldedInto == nil { load[c.slot, default: 0] += c.loadWavelets }
        for (group, slot) in w.groupSlots.enumerated() {
            let mine = units.filter { $0.group == group }
            let r = slotRect(w, slot)
            let k = kind(of: mine)
            svg += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(k.color)\" stroke=\"#555\" stroke-width=\"1\"><title>\(escape(label(mine))): \(Units.grouped(load[slot] ?? 0)) wavelets per link per token on its line classes</title></rect>"
            let text = label(mine)
            let size = min(Double(r.height) / 4, Double(r.width) / Double(max(6, text.count)) * 1.7)
            if size >= 6 {
                svg += "<text x=\"\(r.x + r.width / 2)\" y=\"\(r.y + r.height / 2)\" font-size=\"\(Units.fixed(size, digits: 1))\" text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"#1b2631\" fill-opacity=\"0.8\">\(escape(text))</text>"
            }
            svg += "\n"
        }
        // The pipeline order: an arrow from each group's slot to the next one's.
        var order = "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"#333\"/></marker></defs>"
        for (a, b) in zip(w.groupSlots, w.groupSlots.dropFirst()) {
            let ra = slotRect(w, a), rb = slotRect(w, b)
            let from = (ra.x + ra.width / 2, ra.y + ra.height / 2 + ra.height / 6), to = (rb.x + rb.width / 2, rb.y + rb.height / 2 + rb.height / 6)
            order += "<line x1=\"\(from.0)\" y1=\"\(from.1)\" x2=\"\(to.0)\" y2=\"\(to.1)\" stroke=\"#333\" stroke-width=\"3\" stroke-opacity=\"0.7\" marker-end=\"url(#a)\"/>"
        }
        // Congestion: detour hops per 8 x 8 PE bin (the part of the link load that varies), as a
        // heat overlay scaled to the wafer's busiest bin.
        let bin = 8, binsX = (width + bin - 1) / bin
        var hops: [Int: Int] = [:]
        let exceptionList = plan.routing.exceptions
        if exceptionList.isRectangular {
            for k in 0..<exceptionList.count where exceptionList.wafer[k] == w.index {
                guard let path = exceptionList[k].path(width: width, height: height) else { continue }
                for pe in path { hops[(Int(pe) / width / bin) * binsX + (Int(pe) % width) / bin, default: 0] += 1 }
            }
        }
        let busiest = max(1, hops.values.max() ?? 1)
        for (b, n) in hops.sorted(by: { $0.key < $1.key }) {
            svg += "<rect x=\"\((b % binsX) * bin)\" y=\"\((b / binsX) * bin)\" width=\"\(bin)\" height=\"\(bin)\" fill=\"#b03a2e\" fill-opacity=\"\(Units.fixed(0.15 + 0.6 * Double(n) / Double(busiest), digits: 2))\"/>"
        }
        svg += "\n"
        // Exception routes (defect detours) and the overlay.
        var paths = ""
        let exceptions = plan.routing.exceptions
        if exceptions.isRectangular {
            for k in 0..<exceptions.count where exceptions.wafer[k] == w.index {
                guard let path = exceptions[k].path(width: width, height: height), path.count > 1 else { continue }
                paths += "M\(Int(path[0]) % width) \(Int(path[0]) / width)"
                for pe in path.dropFirst() { paths += "L\(Int(pe) % width) \(Int(pe) / width)" }
            }
        }
        if !paths.isEmpty { svg += "<path d=\"\(paths)\" fill=\"none\" stroke=\"#1f618d\" stroke-width=\"0.6\" stroke-opacity=\"0.8\"/>\n" }
        svg += runs(w.overlayPes, width: width, fill: "#8e44ad") + "\n"
        svg += order + "\n"
        // Defects: dead PEs red, sealed PEs orange.
        svg += runs(w.sealedPes, width: width, fill: "#f39c12", pad: 1) + "\n"
        svg += runs(w.deadPes, width: width, fill: "#e74c3c", pad: 1) + "\n"
        // Legend.
        let y0 = height + 8
        svg += "<text x=\"8\" y=\"\(y0 + 14)\" font-size=\"14\" fill=\"#000\">\(escape(plan.inputs.modelName)), wafer \(w.index) of \(plan.wafers.count): \(w.groupSlots.count)/\(w.gridColumns * w.gridRows) slots, \(Units.grouped(w.deadPes.count)) dead + \(Units.grouped(w.sealedPes.count)) sealed PEs, \(w.maxColorsPerPe) colors/PE max</text>\n"
        var x = 8
        for k in Kind.allCases {
            svg += "<rect x=\"\(x)\" y=\"\(y0 + 28)\" width=\"14\" height=\"14\" fill=\"\(k.color)\" stroke=\"#555\"/><text x=\"\(x + 18)\" y=\"\(y0 + 40)\" font-size=\"12\">\(k.rawValue)</text>"
            x += 28 + k.rawValue.count * 7
        }
        svg += "\n"
        let keys: [(String, String)] = [("#bdbdbd", "I/O halo"), ("#e74c3c", "dead PE"), ("#f39c12", "sealed PE"), ("#1f618d", "detour route"), ("#8e44ad", "overlay"), ("#b03a2e", "detours per 8x8 PEs"), ("#333", "hand-off order")]
        x = 8
        for (color, name) in keys {
            svg += "<rect x=\"\(x)\" y=\"\(y0 + 52)\" width=\"14\" height=\"14\" fill=\"\(color)\"/><text x=\"\(x + 18)\" y=\"\(y0 + 64)\" font-size=\"12\">\(name)</text>"
            x += 28 + name.count * 7
        }
        svg += "\n</svg>\n"
        return svg
    }
}
