import Foundation
import WaferIR
import WaferSupport
import WaferTarget

/// The quality of a tiling and placement, in numbers (as VPR and nextpnr report after each stage).
public struct PlacementQuality: Sendable, Encodable {
    public struct WaferRow: Sendable, Encodable {
        public var wafer: Int
        public var grid: String
        public var slot: String
        public var spareColumns: Int
        public var usableSlots: Int
        public var groups: Int
        public var handoffHops: Int
        public var handoffLowerBound: Int
        public var pesUsed: Int
        public var pesUsable: Int
        public var sramBytesUsed: Int
        public var sramBytesUsable: Int
    }
    public struct UnitRow: Sendable, Encodable {
        public var unit: String
        public var wafer: Int
        public var group: Int
        public var slot: Int?
        public var region: String
        public var regionShape: String
        public var bytesPerPe: Int
        public var denseBytesPerPe: Int
        public var expertBytesPerPe: Int
        public var kvBytesPerPe: Int
        public var expertCells: String?
        public var longestReduction: Int
        public var modeledCycles: Int
    }
    public var model: String
    public var target: String
    public var seed: UInt64?
    public var pesUsed: Int
    public var pesUsable: Int
    public var sramBytesUsed: Int
    public var sramBytesUsable: Int
    public var handoffHops: Int
    public var handoffLowerBound: Int
    public var longestReduction: Int
    public var longestReductionUnit: String
    public var wafers: [WaferRow]
    public var units: [UnitRow]
    /// Routing and decode-latency figures, once the route and schedule passes have run.
    public var routing: RoutingQuality?
    /// The performance estimate (time split, layers alone, first token, pipeline), once scheduled.
    public var performance: PerformanceEstimate?

    /// Computes the report from a placed graph; `promptTokens` is the prompt the time to first
    /// token is for (default: the context). O(units + wafers + dead PEs).
    public init?(graph: Graph, target: Target, defects: DefectSource, promptTokens: Int? = nil) {
        guard let layout = graph.layout, let partition = graph.partition else { return nil }
        model = graph.name
        self.target = target.name
        seed = layout.seed
        var rows: [WaferRow] = []
        for tiling in layout.wafers {
            let stage = partition.stages.first { $0.wafer == tiling.wafer }
            let slots = tiling.groupSlot ?? []
            let used = slots.count * tiling.slotWidth * tiling.slotHeight
            let bytes = tiling.groupBytesPerPE.reduce(0) { $0 + $1 * tiling.slotWidth * tiling.slotHeight }
            let live = stage?.livePEs ?? target.programPEs
            rows.append(WaferRow(wafer: tiling.wafer, grid: "\(tiling.gridColumns)x\(tiling.gridRows)",
                                 slot: "\(tiling.slotWidth)x\(tiling.slotHeight)", spareColumns: tiling.spareColumns,
                                 usableSlots: tiling.usableSlots.filter { $0 }.count, groups: tiling.groupCount,
                                 handoffHops: tiling.handoffHops ?? 0, handoffLowerBound: tiling.handoffLowerBound ?? 0,
                                 pesUsed: used, pesUsable: live, sramBytesUsed: bytes, sramBytesUsable: live * target.dataBytesPerPE))
        }
        wafers = rows
        pesUsed = rows.reduce(0) { $0 + $1.pesUsed }
        pesUsable = rows.reduce(0) { $0 + $1.pesUsable }
        sramBytesUsed = rows.reduce(0) { $0 + $1.sramBytesUsed }
        sramBytesUsable = rows.reduce(0) { $0 + $1.sramBytesUsable }
        handoffHops = rows.reduce(0) { $0 + $1.handoffHops }
        handoffLowerBound = rows.reduce(0) { $0 + $1.handoffLowerBound }
        var unitRows: [UnitRow] = []
        var longest = 0, longestName = "-"
        for unit in layout.units {
            guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }) else { continue }
            let slot = tiling.groupSlot?[unit.group]
            let cells = unit.cells.map { "\(unit.experts.count) experts in \($0.columns)x\($0.rows) cells of \($0.cellWidth)x\($0.cellHeight)" + ($0.expertsPerCell > 1 ? " (\($0.expertsPerCell) per cell)" : "") }
            unitRows.append(UnitRow(unit: unit.name, wafer: unit.wafer, group: unit.group, slot: slot,
                                    region: slot.map { tiling.rect(ofSlot: $0).description } ?? "-",
                                    regionShape: unit.region.map { "\(tiling.slotWidth)x\(tiling.slotHeight), dense \($0)" } ?? "\(tiling.slotWidth)x\(tiling.slotHeight)", bytesPerPe: unit.bytesPerPE,
                                    denseBytesPerPe: unit.denseBytesPerPE, expertBytesPerPe: unit.expertBytesPerPE,
                                    kvBytesPerPe: unit.kvBytesPerPE, expertCells: cells, longestReduction: unit.longestReduction,
                                    modeledCycles: unit.modeledCycles))
            if unit.longestReduction > longest { longest = unit.longestReduction; longestName = unit.name }
        }
        units = unitRows
        longestReduction = longest
        longestReductionUnit = longestName
        routing = RoutingQuality(graph: graph)
        performance = PerformanceEstimate(graph: graph, target: target, promptTokens: promptTokens)
        _ = defects
    }

    static func percent(_ a: Int, _ b: Int) -> String { b > 0 ? Units.fixed(Double(a) / Double(b) * 100, digits: 1) + "%" : "-" }

    /// A few summary lines (also printed by `count`).
    public func summary() -> String {
        var out = ""
        out += "placement   PEs used \(Units.grouped(pesUsed)) of \(Units.grouped(pesUsable)) usable (\(Self.percent(pesUsed, pesUsable))); "
        out += "SRAM used \(Units.grouped(sramBytesUsed)) of \(Units.grouped(sramBytesUsable)) usable bytes (\(Self.percent(sramBytesUsed, sramBytesUsable)))\n"
        out += "            hand-off \(Units.grouped(handoffHops)) hops (lower bound \(Units.grouped(handoffLowerBound))); longest reduction \(longestReduction) PEs (\(longestReductionUnit)); seed \(seed.map(String.init) ?? "-")\n"
        if let routing { out += routing.summary() }
        if let performance { out += performance.summary() }
        return out
    }

    public func table() -> String {
        var out = "model       \(model) on \(target)\n" + summary() + "\n"
        var w = TextTable([("wafer", .right), ("grid", .right), ("slot", .right), ("spare", .right), ("usable", .right), ("groups", .right),
                           ("hand-off hops", .right), ("lower bound", .right), ("PEs used", .right), ("SRAM used", .right)])
        for r in wafers {
            w.add(["\(r.wafer)", r.grid, r.slot, "\(r.spareColumns)", "\(r.usableSlots)", "\(r.groups)", Units.grouped(r.handoffHops),
                   Units.grouped(r.handoffLowerBound), Self.percent(r.pesUsed, r.pesUsable), Self.percent(r.sramBytesUsed, r.sramBytesUsable)])
        }
        out += w.render(indent: "") + "\n"
        var u = TextTable([("unit", .left), ("wafer", .right), ("slot", .right), ("region", .left), ("B/PE", .right), ("dense", .right),
                           ("experts", .right), ("KV", .right), ("longest reduction", .right), ("expert cells", .left)])
        for r in units {
            u.add([r.unit, "\(r.wafer)", r.slot.map(String.init) ?? "-", "\(r.regionShape) at \(r.region)", Units.grouped(r.bytesPerPe),
                   Units.grouped(r.denseBytesPerPe), Units.grouped(r.expertBytesPerPe), Units.grouped(r.kvBytesPerPe),
                   "\(r.longestReduction)", r.expertCells ?? ""])
        }
        out += u.render(indent: "")
        if let routing {
            out += "\n" + routing.waferTable()
        }
        return out
    }

    public func json() -> String { JSONOutput.render(self) }
}
