import WaferIR
import WaferSupport
import WaferTarget

/// Tiles every weight and KV cache onto the PEs of slots, wafer by wafer.
///
/// Each wafer's program rectangle is cut into a grid of equal slots (`slotWidth + spare`
/// physical columns by `slotHeight` rows). A *unit* (a decoder layer, a top-level op, or the
/// routed experts of a layer split across wafers) is tiled over one slot with the GEMV layout of
/// WaferLLM: each matrix's input dimension along one axis and its output along the other
/// (`TileOrientation`), so the input vector is broadcast along one axis and partial sums are
/// reduced along the other. Routed experts each get a cell of a grid inside the slot, so the
/// top-k experts of a token work in parallel on disjoint PEs. Consecutive units stack in one
/// slot (they run at different times) while their per-PE bytes fit: WaferLLM's layer sharing.
///
/// The grid is chosen per wafer by exhaustive search over `columns x rows` (1...16 each,
/// `TileConfig.maxGridSlots`) and the fewest spare columns (`TileConfig.spareColumns`) that leave enough usable slots around the defects, minimising the
/// modelled decode cycles of the wafer (`CostModel`) plus an estimate of hand-off hops. More,
/// smaller slots mean more compute per PE and shorter reductions; fewer, larger ones the reverse.
/// With `LayoutPins` (repair) a wafer is tiled on its pinned grid instead, O(units), unless the
/// defects leave fewer free usable slots than groups on dead ones: then it is searched again.
/// Cost: O(256 x spares x units x weights) per wafer.
public struct TilePass: Pass {
    public let name = "tile"
    public let summary = "choose each wafer's slot grid and tile every weight and KV cache onto slot PEs"

    public init() {}

    public func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        let target = try requireTarget(context)
        let partition = try require(graph.partition, from: "partition")
        try context.deployment.slot?.checkFits(target)
        let units = Self.units(graph)
        let model = CostModel(target: target)
        var memo = Memo(graph: graph, config: context.options.tile)
        var waferTilings: [WaferTiling] = []
        var unitTilings: [UnitTiling] = []
        // The wafers' effective defects (sealed pockets: tens of ms a wafer with defects) on all
        // cores first; the context caches them for the loop below and the later passes.
        let stages = partition.stages
        _ = parallelMap(stages.count) { context.effectiveDefects(forWafer: stages[$0].wafer) != nil }
        for stage in stages {
            let defects = context.effectiveDefects(forWafer: stage.wafer) ?? .none
            let here = units.filter { $0.wafer == stage.wafer }
            if let pins = context.pins {
                guard let pin = pins.wafer(stage.wafer) else { throw .error(PassFailure.tilePins, "the pinned layout has no slot grid for wafer \(stage.wafer)", at: nil) }
                let (tiling, tiled) = try Self.tilePinned(pin, units: here, graph: graph, target: target, model: model, defects: defects,
                                                          kv: partition.kvCache, memo: &memo)
                // Keep the grid while every group whose slot died can move to a free usable
                // slot; otherwise search this wafer's grid again (its groups are placed afresh).
                let slots = Set(pin.groupSlots)
                let broken = pin.groupSlots.filter { !tiling.usableSlots[$0] }.count
                let free = tiling.usableSlots.indices.filter { tiling.usableSlots[$0] && !slots.contains($0) }.count
                if broken <= free {
                    waferTilings.append(tiling)
                    unitTilings += tiled
                    continue
                }
            }
            let (tiling, tiled) = try Self.tileWafer(stage.wafer, units: here, graph: graph, target: target, model: model,
                                                     defects: defects, kv: partition.kvCache, fixedSlot: context.deployment.slot, memo: &memo)
            waferTilings.append(tiling)
            unitTilings += tiled
        }
        graph.layout = Layout(wafers: waferTilings, units: unitTilings, dataBytesPerPE: target.dataBytesPerPE)
    }

    /// A piece of the model tiled as one: a layer or top-level op on its base wafer, or the
    /// routed experts of a layer on another wafer.
    struct Unit {
        var name: String
        var ops: Range<Int>
        var wafer: Int
        var base: Bool
        var expertOp: Int?
        var experts: Range<Int>
    }

    static func units(_ graph: Graph) -> [Unit] {
        var result: [Unit] = []
        let ops = graph.ops
        for range in graph.unitRanges() {
            let index = range.lowerBound, end = range.upperBound
            let wafer = ops[index].placement?.wafer ?? 0
            let name = ops[index].layer.map { "layer \($0)" } ?? ops[index].name
            var unit = Unit(name: name, ops: index..<end, wafer: wafer, base: true, expertOp: nil, experts: 0..<0)
            var remote: [Unit] = []
            for opIndex in index..<end {
                guard case .moe = ops[opIndex].kind, let slices = ops[opIndex].placement?.expertSlices else { continue }
                for slice in slices {
                    if slice.wafer == wafer {
                        unit.expertOp = opIndex
                        unit.experts = unit.experts.isEmpty ? slice.range : unit.experts.lowerBound..<slice.range.upperBound
                    } else {
                        remote.append(Unit(name: "\(name) experts \(slice.first)..\(slice.first + slice.count - 1)",
                                           ops: opIndex..<(opIndex + 1), wafer: slice.wafer, base: false,
                                           expertOp: opIndex, experts: slice.range))
                    }
                }
                if unit.expertOp == nil { unit.expertOp = opIndex }
            }
            result.append(unit)
            result += remote
        }
        return result
    }

    /// One unit evaluated on a `width x height` slot.
    struct Evaluation {
        var dense: Int
        var experts: Int
        var kv: Int
        var cells: ExpertCells?
        var cycles: Int
        var longest: Int
        /// The compact region of the dense weights and KV cache; nil for the whole slot.
        var region: RegionShape? = nil
        /// With a region: the unit's modelled cycles on the whole slot.
        var wholeSlotCycles: Int? = nil
        /// The routed experts' share of `cycles` (their cells' MACs and reductions).
        var expertCycles = 0
        /// The region lies below every cell (a band whose PEs hold no expert tiles).
        var disjoint: Bool {
            guard let r = region, let c = cells else { return false }
            return r.row0 >= c.rows * c.cellHeight
        }
        var bytes: Int { disjoint ? max(dense + kv, experts) : dense + experts + kv }
    }

    /// `evaluate(...).bytes` without the cycles: the dense weights and KV cache of `unit` on the
    /// whole `w x h` slot plus its routed experts on their fewest-bytes cell grid. What the
    /// partition's tile fit (`WaferFit`) packs by; equal to the full evaluation's bytes (a test
    /// checks it). O(ops x weights + band x expert weights).
    static func bytesPerPE(_ unit: Unit, graph: Graph, width w: Int, height h: Int, kv: KVCacheShape, config: TileConfig) -> Int {
        var bytes = 0
        if unit.base {
            for opIndex in unit.ops {
                let b = denseBytes(graph.ops[opIndex], width: w, height: h, kv: kv)
                bytes += b.dense + b.kv
            }
        }
        guard let moe = unit.expertOp, !unit.experts.isEmpty else { return bytes }
        let stacked = graph.ops[moe].weights.filter(\.expertStacked)
        let grids = expertCellGrids(unit.experts.count, width: w, height: h, config: config)
        return bytes + (grids.map { cellBytes(stacked, $0, width: w, height: h) }.min() ?? Int.max / 8)
    }

    /// Per-PE bytes of one op's dense weights (every tensor not stacked per expert) and of its
    /// KV cache on a `w x h` region: the padding rule both evaluations share. O(weights).
    static func denseBytes(_ op: Op, width w: Int, height h: Int, kv: KVCacheShape) -> (dense: Int, kv: Int) {
        var dense = 0, kvBytes = 0
        for tensor in op.weights where !tensor.expertStacked { dense += tileBytes(of: tensor, width: w, height: h) }
        let values = op.kind.kvValuesPerToken()
        if values > 0 {
            let tokens = op.kind.kvTokensKept(context: kv.contextTokens)
            kvBytes = Checked.ceilDiv(tokens, h) * Checked.ceilDiv(values, w) * kv.sequences * (kv.element.bits / 8)
        }
        return (dense, kvBytes)
    }

    /// Per-PE bytes of the expert-stacked tensors on one cell grid of a `w x h` slot: a cell's
    /// tiles times the experts stacked per cell. O(stacked tensors).
    static func cellBytes(_ stacked: [Tensor], _ grid: (columns: Int, rows: Int, depth: Int), width w: Int, height h: Int) -> Int {
        stacked.reduce(0) { $0 + tileBytes(of: $1, width: w / grid.columns, height: h / grid.rows) } * grid.depth
    }

    /// The expert cell grids both evaluations search for `n` experts on a `w x h` slot:
    /// columns over `config`'s aspect band, rows to hold them, experts per cell. O(band).
    static func expertCellGrids(_ n: Int, width w: Int, height h: Int, config: TileConfig) -> [(columns: Int, rows: Int, depth: Int)] {
        let aspect = (Double(n) * Double(w) / Double(h)).squareRoot()
        let lowColumns = max(1, Int(aspect * config.expertAspectLow)), highColumns = min(w, max(1, Int(aspect * config.expertAspectHigh) + 1), n)
        guard lowColumns <= highColumns else { return [] }
        return (lowColumns...highColumns).compactMap { columns in
            let rows = min(h, Checked.ceilDiv(n, columns))
            guard w / columns >= 1, h / rows >= 1 else { return nil }
            return (columns, rows, Checked.ceilDiv(n, columns * rows))
        }
    }

    /// The dense weights and KV cache of `unit` on a `w x h` region: per-PE bytes, modelled cycles
    /// (compute, elementwise work, `CostModel.reductions` counts, the layer overhead) and the longest
    /// reduction. O(ops x weights).
    static func denseEvaluation(_ unit: Unit, graph: Graph, width w: Int, height h: Int, model: CostModel,
                                kv: KVCacheShape) -> (dense: Int, kv: Int, cycles: Int, longest: Int) {
        var dense = 0, kvBytes = 0, cycles = 0, longest = 0
        guard unit.base else { return (0, 0, 0, 0) }
        let batch = kv.batch
        for opIndex in unit.ops {
            let op = graph.ops[opIndex]
            let bytes = denseBytes(op, width: w, height: h, kv: kv)
            dense += bytes.dense
            kvBytes += bytes.kv
            cycles += model.denseCycles(op, activation: graph.activation, width: w, height: h, context: kv.contextTokens, batch: batch)
            cycles += model.elementwiseCycles(op, width: w, height: h, context: kv.contextTokens, batch: batch, hidden: graph.hidden)
            let r = CostModel.reductions(op.kind)
            cycles += r.alongRows * model.reduction(h) + r.alongColumns * model.reduction(w)
            if r.alongRows > 0 { longest = max(longest, h) }
            if r.alongColumns > 0 { longest = max(longest, w) }
        }
        if graph.ops[unit.ops.lowerBound].layer != nil { cycles += model.target.layerOverheadCycles }
        return (dense, kvBytes, cycles, longest)
    }

    /// `unit` on a `w x h` slot: its per-PE bytes and modelled cycles; routed experts take the
    /// cell grid (columns searched over `config`'s aspect band) with the fewest bytes, then
    /// cycles; the dense weights spread over the whole slot. O(ops x weights + band x expert weights).
    static func evaluate(_ unit: Unit, graph: Graph, width w: Int, height h: Int, model: CostModel, kv: KVCacheShape,
                         config: TileConfig = TileConfig()) -> Evaluation {
        let d = denseEvaluation(unit, graph: graph, width: w, height: h, model: model, kv: kv)
        let e = expertEvaluation(unit, graph: graph, width: w, height: h, model: model, batch: kv.batch, config: config)
        return Evaluation(dense: d.dense, experts: e.bytes, kv: d.kv, cells: e.cells, cycles: d.cycles + e.cycles,
                          longest: max(d.longest, e.longest), expertCycles: e.cycles)
    }

    /// The routed experts of `unit` on the cells of a `w x h` slot: bytes per PE, cycles, cells
    /// and the longest cell reduction (zeros without experts; `Int.max / 8` bytes when no cell
    /// grid fits). O(band x expert weights).
    static func expertEvaluation(_ unit: Unit, graph: Graph, width w: Int, height h: Int, model: CostModel, batch: Int,
                                 config: TileConfig) -> (bytes: Int, cycles: Int, cells: ExpertCells?, longest: Int) {
        guard let moe = unit.expertOp, !unit.experts.isEmpty else { return (0, 0, nil, 0) }
        let op = graph.ops[moe]
        let stacked = op.weights.filter(\.expertStacked)
        var best: (bytes: Int, cycles: Int, cells: ExpertCells)?
        for grid in expertCellGrids(unit.experts.count, width: w, height: h, config: config) {
            let cw = w / grid.columns, ch = h / grid.rows
            let bytes = cellBytes(stacked, grid, width: w, height: h)
            let c = model.expertCycles(op, cellWidth: cw, cellHeight: ch, batch: batch) + 2 * model.reduction(ch) + model.reduction(cw)
            let better = best.map { bytes < $0.bytes || (bytes == $0.bytes && c < $0.cycles) } ?? true
            if better {
                best = (bytes, c, ExpertCells(columns: grid.columns, rows: grid.rows, cellWidth: cw, cellHeight: ch, expertsPerCell: grid.depth))
            }
        }
        guard let best else { return (Int.max / 8, 0, nil, 0) }
        return (best.bytes, best.cycles, best.cells, max(best.cells.cellWidth, best.cells.cellHeight))
    }

    /// Evaluations keyed by what determines them: the unit's ops (by content, not position),
    /// whether it holds the base, its expert count, and the slot size. Wafers of one model repeat
    /// the same layers, so most evaluations are found here.
    struct Memo {
        struct Key: Hashable { var signature: Int; var base: Bool; var experts: Int; var width: Int; var height: Int }
        let graph: Graph
        /// The tile knobs: the expert-cell aspect band every evaluation uses (one per memo, so
        /// its entries stay valid) and the grid search's bounds.
        let config: TileConfig
        var signatures: [[Op]: Int] = [:]
        var values: [Key: Evaluation] = [:]
        struct RegionKey: Hashable { var unit: Key; var placement: RegionPlacement; var rows: Int }
        var regions: [RegionKey: (evaluation: Evaluation, cost: Int)?] = [:]
        var wholeDecodes: [Key: Int] = [:]

        /// `TilePass.regionVariant`, memoised like the evaluations.
        mutating func region(_ unit: Unit, signature: Int, width: Int, height: Int, placement: RegionPlacement, rows: Int, model: CostModel,
                             kv: KVCacheShape) -> (evaluation: Evaluation, cost: Int)? {
            let key = RegionKey(unit: Key(signature: signature, base: unit.base, experts: unit.experts.count, width: width, height: height),
                                placement: placement, rows: rows)
            if let hit = regions[key] { return hit }
            let whole = (evaluate(unit, signature: signature, width: width, height: height, model: model, kv: kv),
                         wholeDecode(unit, signature: signature, width: width, height: height, model: model, kv: kv))
            return Self.cached(&regions, key) {
                TilePass.regionVariant(unit, graph: graph, width: width, height: height, placement: placement, rows: rows, whole: whole,
                                       model: model, kv: kv, config: config, budget: model.target.dataBytesPerPE)
            }
        }

        /// `TilePass.wholeSlotDecode` on the whole slot's evaluation, memoised.
        mutating func wholeDecode(_ unit: Unit, signature: Int, width: Int, height: Int, model: CostModel, kv: KVCacheShape) -> Int {
            let key = Key(signature: signature, base: unit.base, experts: unit.experts.count, width: width, height: height)
            if let hit = wholeDecodes[key] { return hit }
            let expertCycles = evaluate(unit, signature: signature, width: width, height: height, model: model, kv: kv).expertCycles
            return Self.cached(&wholeDecodes, key) {
                TilePass.wholeSlotDecode(unit, graph: graph, width: width, height: height, expertCycles: expertCycles, model: model, kv: kv)
            }
        }

        /// The value `table` holds for `key`, made and stored on a miss. O(1) amortised plus `make`.
        static func cached<K: Hashable, V>(_ table: inout [K: V], _ key: K, _ make: () -> V) -> V {
            if let hit = table[key] { return hit }
            let value = make()
            table[key] = value
            return value
        }

        init(graph: Graph, config: TileConfig = TileConfig()) { self.graph = graph; self.config = config }

        mutating func signature(_ unit: Unit) -> Int {
            let ops = graph.ops[unit.ops].map { op -> Op in
                var copy = op
                copy.name = ""; copy.layer = nil; copy.inputs = []; copy.result = ValueID(0)
                copy.placement = nil; copy.location = nil; copy.tiedWeight = nil
                return copy
            }
            if let id = signatures[ops] { return id }
            let id = signatures.count
            signatures[ops] = id
            return id
        }

        mutating func evaluate(_ unit: Unit, signature: Int, width: Int, height: Int, model: CostModel, kv: KVCacheShape) -> Evaluation {
            let key = Key(signature: signature, base: unit.base, experts: unit.experts.count, width: width, height: height)
            return Self.cached(&values, key) { TilePass.evaluate(unit, graph: graph, width: width, height: height, model: model, kv: kv, config: config) }
        }
    }

    static func tileWafer(_ wafer: Int, units: [Unit], graph: Graph, target: Target, model: CostModel, defects: WaferDefects,
                          kv: KVCacheShape, fixedSlot: SlotShape? = nil, memo: inout Memo,
                          prefilter: Bool = true) throws(DiagnosticError) -> (WaferTiling, [UnitTiling]) {
        let config = memo.config  // the grid search's knobs (`TileConfig`)
        let signatures = units.map { memo.signature($0) }
        let owners = tiedWeightOwners(units, graph: graph)
        // A slot whose PEs cannot hold the largest unit's raw bytes even without padding makes
        // `stack` fail at that unit: skipped without evaluating (exact; without the prefilter
        // when nothing fits, so the error names the true need).
        let largestRaw = prefilter ? units.map { rawBytes($0, graph: graph, kv: kv) }.max() ?? 0 : 0
        let programWidth = target.programWidth, programHeight = target.programHeight
        let budget = target.dataBytesPerPE
        let dead = programDead(defects, target: target)
        var best: (cost: Int, tiling: WaferTiling, units: [UnitTiling])?
        var smallestNeed = Int.max
        // With a fixed slot shape there is one grid per spare-column count: as many slots as fit.
        let grids: [(Int, Int)] = fixedSlot == nil
            ? (1...min(config.maxGridSlots, programHeight)).flatMap { r in (1...min(config.maxGridSlots, programWidth)).map { ($0, r) } } : [(0, 0)]
        for (searchedColumns, searchedRows) in grids {
            do {
                for spare in config.spareColumns {
                    var (gridColumns, gridRows) = (searchedColumns, searchedRows)
                    var w = (programWidth - gridColumns * spare) / max(gridColumns, 1)
                    var h = programHeight / max(gridRows, 1)
                    if let fixed = fixedSlot {
                        (gridColumns, gridRows) = fixed.grid(programWidth: programWidth, programHeight: programHeight, spare: spare)
                        (w, h) = (fixed.width, fixed.height)
                        guard gridColumns >= 1, gridRows >= 1 else { break }
                    }
                    guard w >= 1, h >= 1 else { break }
                    let usable = usableSlots(dead, columns: gridColumns, rows: gridRows, width: w, height: h, spare: spare)
                    let usableCount = usable.filter { $0 }.count
                    guard usableCount > 0 else { continue }
                    if Checked.ceilDiv(largestRaw, w * h) > budget { break }  // as `stack` would below
                    guard let stacked = stack(units, signatures: signatures, wafer: wafer, width: w, height: h, model: model, kv: kv,
                                              budget: budget, memo: &memo, smallestNeed: &smallestNeed, owners: owners) else { break }  // more spare columns only make slots narrower
                    let (groups, tiled, cycles) = (stacked.groups, stacked.units, stacked.cycles)
                    if groups.count > usableCount { continue }
                    let pitch = min(w + spare, h)
                    let cost = cycles + max(0, groups.count - 1) * pitch * target.hopLatencyCycles
                    if best.map({ cost < $0.cost }) ?? true {
                        let tiling = WaferTiling(wafer: wafer, gridColumns: gridColumns, gridRows: gridRows, slotWidth: w, slotHeight: h,
                                                 spareColumns: spare, originX: target.halo.west, originY: target.halo.north,
                                                 programWidth: programWidth, programHeight: programHeight, usableSlots: usable, groupCount: groups.count, groupBytesPerPE: groups)
                        best = (cost, tiling, tiled)
                    }
                    break  // the fewest spare columns that work for this grid
                }
            }
        }
        guard let best else {
            if prefilter {
                return try tileWafer(wafer, units: units, graph: graph, target: target, model: model, defects: defects, kv: kv,
                                     fixedSlot: fixedSlot, memo: &memo, prefilter: false)
            }
            let need = smallestNeed == Int.max ? "more usable slots than the defects leave" : "\(Units.grouped(smallestNeed)) bytes per PE at best"
            throw DiagnosticError(Diagnostic(.error, PassFailure.tileCapacity, "wafer \(wafer)'s share of the model does not tile: it needs \(need), and a PE offers \(Units.grouped(budget)) bytes for weights and KV cache", at: nil,
                                             notes: [.note("the partition places a piece only where its wafer still tiles (WaferFit), so this means a pinned layout (repair) or defects the partition did not see")]))
        }
        // Compact regions refine the chosen grid's groups: the grid is the whole-slot mapping's,
        // so the search stays as cheap as before them.
        let refined = withCompactRegions((best.tiling.groupBytesPerPE, best.units, 0), units, signatures: signatures, wafer: wafer,
                                         width: best.tiling.slotWidth, height: best.tiling.slotHeight, model: model, kv: kv, budget: budget, memo: &memo)
        var tiling = best.tiling
        tiling.groupBytesPerPE = refined.groups
        return (tiling, refined.units)
    }

    /// Stacks `units` in order on `width x height` slots: a unit joins the last group while the
    /// group's per-PE bytes fit `budget`, else opens a new one. A tied head joins the group of
    /// the unit holding the weight it reads (it multiplies that weight's tiles where they lie, so
    /// it must share their slot), or fails this geometry when that group has no room. Nil when a
    /// unit does not fit (`smallestNeed` keeps the least such unit needed). O(units + ops),
    /// evaluations memoised.
    static func stack(_ units: [Unit], signatures: [Int], wafer: Int, width w: Int, height h: Int, model: CostModel, kv: KVCacheShape,
                      budget: Int, memo: inout Memo, smallestNeed: inout Int, owners: [Int: Int]? = nil) -> Stacking? {
        var groups: [Int] = []
        var tiled: [UnitTiling] = []
        var cycles = 0
        let owners = owners ?? tiedWeightOwners(units, graph: memo.graph)
        for (unitIndex, unit) in units.enumerated() {
            let e = memo.evaluate(unit, signature: signatures[unitIndex], width: w, height: h, model: model, kv: kv)
            if e.bytes > budget { smallestNeed = min(smallestNeed, e.bytes); return nil }
            let group: Int
            if let owner = owners[unitIndex], owner < tiled.count {
                group = tiled[owner].group
                guard groups[group] + e.bytes <= budget else { smallestNeed = min(smallestNeed, groups[group] + e.bytes); return nil }
                groups[group] += e.bytes
            } else if let last = groups.last, last + e.bytes <= budget {
                groups[groups.count - 1] += e.bytes
                group = groups.count - 1
            } else {
                groups.append(e.bytes)
                group = groups.count - 1
            }
            cycles += e.cycles
            tiled.append(unitTiling(unit, e, wafer: wafer, group: group))
        }
        return (groups, tiled, cycles)
    }

    /// A stacking of units on `w x h` slots.
    typealias Stacking = (groups: [Int], units: [UnitTiling], cycles: Int)

    /// `stacked` (from `stack`: every dense part on the whole slot) with compact regions where
    /// they pay: per group the one region (placement and height, searched over
    /// `TileConfig.regionSteps` heights) for all the group's units that hold experts, the one
    /// that saves them the most flow-level cycles in total while the group's bytes fit: one region
    /// per slot keeps the slot's line classes, and so its colors, to one more class
    /// (docs/tiling-and-placement.md, "Compact regions"). A group where no region saves cycles
    /// keeps the whole slot; the groups stay the stacking's, so compact regions never cost a
    /// slot. `stacked` unchanged with `regionSteps` 0. O(groups x 2 x steps x units in the group).
    static func withCompactRegions(_ stacked: Stacking, _ units: [Unit], signatures: [Int], wafer: Int, width w: Int, height h: Int,
                                   model: CostModel, kv: KVCacheShape, budget: Int, memo: inout Memo) -> Stacking {
        var s = stacked
        guard memo.config.regionSteps > 0 else { return s }
        for group in s.groups.indices {
            let members = s.units.indices.filter { s.units[$0].group == group && wantsCompactRegion(units[$0]) }
            guard !members.isEmpty else { continue }
            // The whole slot's flow-level cost of each member, priced like the regions' (`regionVariant`).
            let wholeCost = Dictionary(uniqueKeysWithValues: members.map { i in
                (i, memo.wholeDecode(units[i], signature: signatures[i], width: w, height: h, model: model, kv: kv)
                    + prefillPenalty(units[i], graph: memo.graph, width: w, height: h, model: model, config: memo.config))
            })
            var best: (gain: Int, choices: [Int: Evaluation])?
            for placement in RegionPlacement.allCases {
                for rows in regionLadder(h, steps: memo.config.regionSteps) where rows < h {
                    // All the group's qualifying units or none: a unit left on the whole slot
                    // would keep cells of another geometry, one more class short of colors.
                    var bytes = s.groups[group], gain = 0, choices: [Int: Evaluation] = [:]
                    for i in members {
                        guard let v = memo.region(units[i], signature: signatures[i], width: w, height: h, placement: placement, rows: rows,
                                                  model: model, kv: kv) else { break }
                        bytes += v.evaluation.bytes - s.units[i].bytesPerPE
                        gain += (wholeCost[i] ?? 0) - v.cost
                        choices[i] = v.evaluation
                    }
                    if choices.count == members.count, bytes <= budget, gain > (best?.gain ?? 0) { best = (gain, choices) }
                }
            }
            guard let best else { continue }
            for (i, e) in best.choices {
                s.groups[group] += e.bytes - s.units[i].bytesPerPE
                s.cycles += e.cycles - s.units[i].modeledCycles
                s.units[i] = unitTiling(units[i], e, wafer: wafer, group: group)
            }
        }
        return s
    }

    /// The tiling record of `unit` evaluated as `e` in `group`.
    static func unitTiling(_ unit: Unit, _ e: Evaluation, wafer: Int, group: Int) -> UnitTiling {
        var tiling = UnitTiling(name: unit.name, ops: unit.ops, wafer: wafer, group: group, expertOp: unit.expertOp, experts: unit.experts,
                                cells: e.cells, denseBytesPerPE: e.dense, expertBytesPerPE: e.experts, kvBytesPerPE: e.kv,
                                modeledCycles: e.cycles, longestReduction: e.longest, holdsBase: unit.base, region: e.region)
        tiling.wholeSlotModeledCycles = e.wholeSlotCycles
        return tiling
    }

    /// The bytes `unit` holds before tiling (its weights, the routed experts it holds, its KV
    /// cache): no slot of fewer than `raw / budget` PEs can hold it, whatever the padding (tiles
    /// and expert cells cover their matrices). O(ops).
    static func rawBytes(_ unit: Unit, graph: Graph, kv: KVCacheShape) -> Int {
        var bytes = 0
        // As `denseEvaluation` and `expertEvaluation` count them: the base's tensors that are not
        // expert-stacked, and the experts of `expertOp` only.
        for opIndex in unit.ops where unit.base {
            let op = graph.ops[opIndex]
            for tensor in op.weights where !tensor.expertStacked { bytes += tensor.bytes }
            bytes += op.kind.kvCacheBytes(kv) ?? 0
        }
        if let moe = unit.expertOp, !unit.experts.isEmpty {
            bytes += unit.experts.count * graph.ops[moe].perExpert.bytes
        }
        return bytes
    }

    /// For each unit with a tied op, the index among `units` of the earlier unit holding the
    /// weight it is tied to (the partition keeps both on one wafer). O(units x ops).
    static func tiedWeightOwners(_ units: [Unit], graph: Graph) -> [Int: Int] {
        var owners: [Int: Int] = [:]
        for (index, unit) in units.enumerated() {
            guard let tied = graph.ops[unit.ops].lazy.compactMap(\.tiedWeight).first, let holder = graph.tensor(named: tied)?.op.name else { continue }
            if let owner = units[..<index].firstIndex(where: { graph.ops[$0.ops].contains { $0.name == holder } }) {
                owners[index] = owner
            }
        }
        return owners
    }

    /// Tiles a wafer on the slot grid `pin` fixes (`LayoutPins`): the same stacking as the search
    /// uses, on one geometry; the usable slots follow the current defects. Throws when the units
    /// no longer fit that grid or stack into a different number of groups. O(units).
    static func tilePinned(_ pin: LayoutPins.WaferPin, units: [Unit], graph: Graph, target: Target, model: CostModel,
                           defects: WaferDefects, kv: KVCacheShape, memo: inout Memo) throws(DiagnosticError) -> (WaferTiling, [UnitTiling]) {
        let programWidth = target.programWidth, programHeight = target.programHeight
        let (w, h, spare) = (pin.grid.slotWidth, pin.grid.slotHeight, pin.grid.spareColumns)
        guard pin.grid.columns >= 1, pin.grid.rows >= 1, w >= 1, h >= 1, spare >= 0,
              pin.grid.columns * (w + spare) <= programWidth, pin.grid.rows * h <= programHeight else {
            throw .error(PassFailure.tilePins, "wafer \(pin.wafer)'s pinned slot grid (\(pin.grid.columns) x \(pin.grid.rows) slots of \(w)+\(spare) x \(h)) does not fit the \(programWidth) x \(programHeight) program area", at: nil)
        }
        var smallestNeed = Int.max
        let signatures = units.map { memo.signature($0) }
        guard let whole = stack(units, signatures: signatures, wafer: pin.wafer, width: w, height: h, model: model, kv: kv,
                                budget: target.dataBytesPerPE, memo: &memo, smallestNeed: &smallestNeed) else {
            throw .error(PassFailure.tilePins, "wafer \(pin.wafer)'s units no longer fit its pinned \(w) x \(h) slots: one needs \(Units.grouped(smallestNeed)) bytes per PE of \(Units.grouped(target.dataBytesPerPE))", at: nil)
        }
        let stacked = withCompactRegions(whole, units, signatures: signatures, wafer: pin.wafer, width: w, height: h, model: model, kv: kv,
                                         budget: target.dataBytesPerPE, memo: &memo)
        guard stacked.groups.count == pin.groupSlots.count else {
            throw .error(PassFailure.tilePins, "wafer \(pin.wafer)'s units stack into \(stacked.groups.count) groups on its pinned slots, the pinned layout has \(pin.groupSlots.count)", at: nil)
        }
        let usable = usableSlots(programDead(defects, target: target), columns: pin.grid.columns, rows: pin.grid.rows, width: w, height: h, spare: spare)
        let tiling = WaferTiling(wafer: pin.wafer, gridColumns: pin.grid.columns, gridRows: pin.grid.rows, slotWidth: w, slotHeight: h,
                                 spareColumns: spare, originX: target.halo.west, originY: target.halo.north, programWidth: programWidth,
                                 programHeight: programHeight, usableSlots: usable, groupCount: stacked.groups.count, groupBytesPerPE: stacked.groups)
        return (tiling, stacked.units)
    }

    /// Dead PEs inside the program rectangle. O(D log D) for D dead PEs.
    static func programDead(_ defects: WaferDefects, target: Target) -> ProgramDead { ProgramDead(defects, target: target) }

    /// Which slots have at most `spare` dead PEs in every row: the dead PEs come sorted by row,
    /// then column, so those of one slot row are consecutive and counted in one pass, without a
    /// table. O(dead PEs + slots).
    static func usableSlots(_ dead: ProgramDead, columns: Int, rows: Int, width: Int, height: Int, spare: Int) -> [Bool] {
        var usable = Array(repeating: true, count: columns * rows)
        let points = dead.points, pitch = width + spare
        var i = 0
        while i < points.count {
            let (x, y) = points[i]
            let column = x / pitch, row = y / height
            var j = i + 1
            while j < points.count && points[j].y == y && points[j].x / pitch == column { j += 1 }
            if column < columns, row < rows, j - i > spare { usable[row * columns + column] = false }
            i = j
        }
        return usable
    }
}

/// The dead PEs inside a wafer's program rectangle, as (column, row) relative to its corner,
/// sorted by row, then column (duplicates kept), so that `TilePass.usableSlots` finds the dead
/// PEs of each slot row side by side. Made once per wafer for its whole grid search.
struct ProgramDead {
    let points: [(x: Int, y: Int)]

    /// O(D log D) for D dead PEs.
    init(_ defects: WaferDefects, target: Target) {
        points = defects.deadPEs.compactMap { index -> (x: Int, y: Int)? in
            let i = Int(index), x = i % target.fabricWidth, y = i / target.fabricWidth
            return target.inProgramArea(x: x, y: y) ? (x - target.halo.west, y - target.halo.north) : nil
        }.sorted { ($0.y, $0.x) < ($1.y, $1.x) }
    }
}
