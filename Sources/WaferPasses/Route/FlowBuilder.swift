import WaferIR
import WaferSupport
import WaferTarget

/// Derives every transfer of one decode step from the placed IR: the line classes each used slot
/// needs, the bundles between slots and to the wafer edges, and the flows in execution order.
///
/// - Each op's allreduces (`DecodeTraffic`) bind to its slot's row or column class, or to the
///   class of its expert cells.
/// - Consecutive units in different stacking groups of a wafer hand the activation vector over a
///   bundle, and the receiving slot fans it out along its rows (a row allreduce).
/// - Consecutive units on different wafers leave through an edge bundle, cross the system link,
///   and enter through an edge bundle; so do expert dispatches to expert slices on another wafer
///   and their combined results coming back.
/// - KV-cache appends move nothing: the qkv allreduce leaves k and v on every PE of their
///   columns, and the row that owns the new position stores them; KV reads are local to the PEs
///   that hold the cache (docs/routing-and-schedule.md).
/// O(units x ops + slots).
struct FlowBuilder {
    struct SlotClasses {
        var rows: Int
        var columns: Int
        /// The cell-column class of each distinct cell geometry on the slot.
        var cells: [ExpertCells: Int] = [:]
        /// The row and column classes of each compact region on the slot.
        var regions: [RegionShape: (rows: Int, columns: Int)] = [:]

        /// The (rows, columns) classes a unit's dense ops reduce on: its region's, or the slot's.
        func dense(_ unit: UnitTiling) -> (rows: Int, columns: Int) {
            unit.region.flatMap { regions[$0] } ?? (rows, columns)
        }
    }

    struct Key: Hashable { var wafer: Int; var slot: Int }
    struct EdgeKey: Hashable { var wafer: Int; var slot: Int; var east: Bool; var inbound: Bool }

    let graph: Graph
    let layout: Layout
    let target: Target
    let contextTokens: Int
    let batch: Int
    var classes: [LineClass] = []
    var bundles: [RouteBundle] = []
    var flows: [Flow] = []
    var slotClasses: [Key: SlotClasses] = [:]
    private var edgeBundles: [EdgeKey: Int] = [:]
    private var handoffBundles: [String: Int] = [:]

    init(graph: Graph, layout: Layout, target: Target, contextTokens: Int, batch: Int) {
        self.graph = graph; self.layout = layout; self.target = target
        self.contextTokens = contextTokens; self.batch = batch
    }

    func tiling(_ wafer: Int) -> WaferTiling? { layout.wafers.first { $0.wafer == wafer } }

    func slot(of unit: UnitTiling) -> Int? {
        guard let tiling = tiling(unit.wafer), let slots = tiling.groupSlot, slots.indices.contains(unit.group) else { return nil }
        return slots[unit.group]
    }

    /// Units in execution order: by first op, a layer's own unit before its remote expert slices.
    static func executionOrder(_ layout: Layout) -> [Int] { layout.executionOrder }

    mutating func build() throws(DiagnosticError) {
        // Classes for every used slot, wafer by wafer, group by group.
        for tiling in layout.wafers {
            guard let slots = tiling.groupSlot else { throw .error(PassFailure.invariant, "internal: the route pass needs a placed layout", at: nil) }
            for (group, slot) in slots.enumerated() {
                let key = Key(wafer: tiling.wafer, slot: slot)
                let w = tiling.slotWidth, h = tiling.slotHeight
                let rows = addClass(tiling, slot: slot, scope: "slot", axis: .rows, columns: 0..<w, rows: 0..<h, segment: w)
                let columns = addClass(tiling, slot: slot, scope: "slot", axis: .columns, columns: 0..<w, rows: 0..<h, segment: h)
                var entry = SlotClasses(rows: rows, columns: columns)
                for unit in layout.units where unit.wafer == tiling.wafer && unit.group == group {
                    if let r = unit.region, entry.regions[r] == nil {
                        // A region as wide (tall) as the slot reduces along the slot's own row
                        // (column) lines: the same routes, so no class or colors of its own.
                        let span = (0..<min(w, r.width), r.row0..<min(h, r.row0 + r.height))
                        let rowClass = span.0.count == w ? rows
                            : addClass(tiling, slot: slot, scope: "region \(r)", axis: .rows, columns: span.0, rows: span.1, segment: span.0.count)
                        let columnClass = span.1.count == h ? columns
                            : addClass(tiling, slot: slot, scope: "region \(r)", axis: .columns, columns: span.0, rows: span.1, segment: span.1.count)
                        entry.regions[r] = (rowClass, columnClass)
                    }
                    guard let cells = unit.cells, entry.cells[cells] == nil else { continue }
                    let span = (0..<min(w, cells.columns * cells.cellWidth), 0..<min(h, cells.rows * cells.cellHeight))
                    let c = addClass(tiling, slot: slot, scope: "cells \(cells.cellWidth)x\(cells.cellHeight)", axis: .columns,
                                     columns: span.0, rows: span.1, segment: cells.cellHeight)
                    entry.cells[cells] = c
                }
                slotClasses[key] = entry
            }
        }
        // Flows in execution order.
        var previous: UnitTiling?
        for index in Self.executionOrder(layout) {
            let unit = layout.units[index]
            guard let slot = slot(of: unit), let here = slotClasses[Key(wafer: unit.wafer, slot: slot)] else {
                throw .error(PassFailure.invariant, "internal: unit \(unit.name) has no placed slot", at: nil)
            }
            if unit.holdsBase {
                if let prev = previous, let prevSlot = self.slot(of: prev) {
                    arrive(at: index, unit: unit, slot: slot, classes: here, from: prev, fromSlot: prevSlot, label: "\(prev.name) -> \(unit.name)")
                }
                previous = unit
            } else if let base = previous, let baseSlot = self.slot(of: base) {
                arrive(at: index, unit: unit, slot: slot, classes: here, from: base, fromSlot: baseSlot, label: "dispatch \(base.name) -> wafer \(unit.wafer)")
            }
            let w = layout.wafers.first { $0.wafer == unit.wafer }
            let (slotWidth, slotHeight) = (w?.slotWidth ?? 1, w?.slotHeight ?? 1)
            let dense = here.dense(unit)
            for opIndex in unit.ops {
                let op = graph.ops[opIndex]
                // Dense payloads split over the region; the experts' over the slot's cells.
                let shape = unit.region ?? RegionShape(width: slotWidth, height: slotHeight)
                var items = DecodeTraffic.allreduces(op, width: shape.width, height: shape.height, cells: unit.cells, contextTokens: contextTokens)
                if !unit.holdsBase {
                    items = items.filter(Self.isExpert)
                } else if let region = unit.region, let cells = unit.cells, let first = items.firstIndex(where: Self.isExpert) {
                    items.insert(contentsOf: DecodeTraffic.dispatchItems(region: region, width: slotWidth, height: slotHeight, cells: cells,
                                                                         hidden: op.hiddenWidth), at: first)
                }
                for item in items {
                    let slotWide = Self.isExpert(item) || item.label.hasPrefix("dispatch")
                    var classID = item.axis == .rows ? (slotWide ? here.rows : dense.rows) : (slotWide ? here.columns : dense.columns)
                    if item.onCells, let cells = unit.cells, let cellClass = here.cells[cells] { classID = cellClass }
                    addFlow(unit: index, op: opIndex, kind: .allreduce, label: item.label, lineClass: classID, bundles: [],
                            elements: item.elements)
                }
            }
            if !unit.holdsBase, let base = previous, let baseSlot = self.slot(of: base),
               let baseClasses = slotClasses[Key(wafer: base.wafer, slot: baseSlot)] {
                // The combined expert outputs return to the layer's own slot.
                arrive(at: index, unit: base, slot: baseSlot, classes: baseClasses, from: unit, fromSlot: slot,
                       label: "combine wafer \(unit.wafer) -> \(base.name)")
            }
        }
        // Loads: every flow crosses each link of its lines twice (reduce, then broadcast back).
        for flow in flows {
            if let c = flow.lineClass { classes[c].loadWavelets += 2 * flow.payloadWavelets }
            for b in flow.bundles { bundles[b].loadWavelets += flow.payloadWavelets }
        }
    }

    /// A routed experts' allreduce (on their cells, or across the slot that holds the cells).
    static func isExpert(_ item: TrafficItem) -> Bool {
        item.onCells || item.label.hasPrefix("experts") || item.label.hasPrefix("combine")
    }

    /// The transfers that bring the activation vector to `unit` on `slot` from `from` on `fromSlot`.
    private mutating func arrive(at index: Int, unit: UnitTiling, slot: Int, classes here: SlotClasses, from: UnitTiling,
                                 fromSlot: Int, label: String) {
        let hidden = graph.hidden
        if from.wafer != unit.wafer {
            let out = edgeBundle(wafer: from.wafer, slot: fromSlot, east: unit.wafer > from.wafer, inbound: false)
            let into = edgeBundle(wafer: unit.wafer, slot: slot, east: unit.wafer < from.wafer, inbound: true)
            let lanes = min(bundles[out].lanes, bundles[into].lanes)
            addFlow(unit: index, op: nil, kind: .waferLink, label: label, lineClass: nil, bundles: [out, into],
                    elements: Checked.ceilDiv(hidden, max(lanes, 1)))
        } else if from.group != unit.group {
            let b = handoffBundle(wafer: unit.wafer, from: fromSlot, to: slot)
            addFlow(unit: index, op: nil, kind: .handoff, label: label, lineClass: nil, bundles: [b],
                    elements: Checked.ceilDiv(hidden, max(bundles[b].lanes, 1)))
        } else {
            return
        }
        // The vector lands on the unit's dense region (its compact region, or the slot).
        let height = unit.region?.height ?? tiling(unit.wafer)?.slotHeight ?? 1
        let rows = unit.holdsBase ? here.dense(unit).rows : here.rows
        addFlow(unit: index, op: nil, kind: .allreduce, label: "fan-out", lineClass: rows, bundles: [],
                elements: Checked.ceilDiv(hidden, max(height, 1)))
    }

    private mutating func addClass(_ tiling: WaferTiling, slot: Int, scope: String, axis: LineAxis, columns: Range<Int>,
                                   rows: Range<Int>, segment: Int) -> Int {
        let structure = LineStructure(length: segment, mode: .tree)
        classes.append(LineClass(id: classes.count, wafer: tiling.wafer, slot: slot, scope: scope, axis: axis, columns: columns,
                                 rows: rows, segment: max(segment, 1), mode: .tree, groups: structure.groups, colors: []))
        return classes.count - 1
    }

    private mutating func addFlow(unit: Int, op: Int?, kind: FlowKind, label: String, lineClass: Int?, bundles: [Int], elements: Int) {
        let wavelets = DecodeTraffic.wavelets(elements, bits: graph.activation.bits, batch: batch, waveletBits: target.waveletBits)
        flows.append(Flow(id: flows.count, unit: unit, op: op, kind: kind, label: label, lineClass: lineClass, bundles: bundles,
                          payloadWavelets: max(wavelets, 1)))
    }

    /// Lanes of a slot: one per tile row, at most one per tile column (then every `step` rows).
    private func laneShape(_ tiling: WaferTiling) -> (lanes: Int, step: Int) {
        let step = Checked.ceilDiv(tiling.slotHeight, max(1, min(tiling.slotHeight, tiling.slotWidth)))
        return (max(1, Checked.ceilDiv(tiling.slotHeight, max(step, 1))), max(step, 1))
    }

    private func spareColumns(_ tiling: WaferTiling, slot: Int) -> [Int] {
        let r = tiling.rect(ofSlot: slot)
        return (0..<tiling.spareColumns).map { r.x + tiling.spareOffset($0) }
    }

    /// A bundle between a slot and the wafer's east or west edge (system I/O).
    private mutating func edgeBundle(wafer: Int, slot: Int, east: Bool, inbound: Bool) -> Int {
        let key = EdgeKey(wafer: wafer, slot: slot, east: east, inbound: inbound)
        if let id = edgeBundles[key] { return id }
        guard let tiling = tiling(wafer) else { return 0 }
        let r = tiling.rect(ofSlot: slot)
        let shape = laneShape(tiling)
        let nearColumn = r.x + tiling.columnOffset(logicalColumn: east ? tiling.slotWidth - 1 : 0)
        let edgeColumn = east ? target.fabricWidth - 1 : 0
        let name = east ? "east edge" : "west edge"
        var bundle = RouteBundle(id: bundles.count, wafer: wafer,
                                 label: inbound ? "\(name) -> slot \(slot)" : "slot \(slot) -> \(name)",
                                 lanes: shape.lanes, sourceRow: r.y, sinkRow: r.y, rowStep: shape.step,
                                 firstColumn: inbound ? edgeColumn : nearColumn, columnStep: 0,
                                 sinkColumn: inbound ? nearColumn : edgeColumn, sinkSlot: inbound ? slot : nil)
        bundle.hops = abs(edgeColumn - nearColumn)
        bundles.append(bundle)
        edgeBundles[key] = bundle.id
        return bundle.id
    }

    /// A bundle from one slot to another on the same wafer. Lanes run vertically in staggered
    /// columns of the source slot, then horizontally to the sink slot's near edge; the stagger
    /// order keeps the lanes disjoint (docs/routing-and-schedule.md derives it).
    mutating func handoffBundle(wafer: Int, from a: Int, to b: Int) -> Int {
        let key = "\(wafer):\(a)->\(b)"
        if let id = handoffBundles[key] { return id }
        guard let tiling = tiling(wafer) else { return 0 }
        let ra = tiling.rect(ofSlot: a), rb = tiling.rect(ofSlot: b)
        let shape = laneShape(tiling)
        let home = { (slotRect: PERect, column: Int) in slotRect.x + tiling.columnOffset(logicalColumn: column) }
        let w = tiling.slotWidth
        var first: Int, step: Int, sink: Int?
        if ra.y == rb.y {
            // Same grid row: straight horizontal lanes from the facing edges.
            first = rb.x > ra.x ? home(ra, w - 1) : home(ra, 0)
            step = 0
            sink = rb.x > ra.x ? home(rb, 0) : home(rb, w - 1)
        } else if ra.x == rb.x {
            // Same grid column: straight vertical lanes, one per column.
            first = home(ra, 0); step = 1; sink = nil
        } else {
            let east = rb.x > ra.x, down = rb.y > ra.y
            let increasing = (down && !east) || (!down && east)
            first = increasing ? home(ra, 0) : home(ra, shape.lanes - 1)
            step = increasing ? 1 : -1
            sink = east ? home(rb, 0) : home(rb, w - 1)
        }
        var bundle = RouteBundle(id: bundles.count, wafer: wafer, label: "slot \(a) -> slot \(b)", lanes: shape.lanes,
                                 sourceRow: ra.y, sinkRow: rb.y, rowStep: shape.step, firstColumn: first, columnStep: step,
                                 sinkColumn: sink, sinkSlot: b)
        bundle.skipColumns = spareColumns(tiling, slot: a)
        var longest = 0
        for lane in [0, shape.lanes - 1] {
            let s = bundle.source(lane: lane), t = bundle.sink(lane: lane)
            longest = max(longest, abs(s.x - t.x) + abs(s.y - t.y))
        }
        bundle.hops = longest
        bundles.append(bundle)
        handoffBundles[key] = bundle.id
        return bundle.id
    }
}
