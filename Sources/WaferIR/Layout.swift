import WaferSupport

/// How a matrix is laid over a region (after WaferLLM's GEMV mapping): `rowsIn` puts the input
/// dimension along the region's rows and the output along its columns, so the input vector is
/// broadcast along each row... and partial sums are reduced along each column; `columnsIn` is
/// the transpose (o_proj, down_proj), so a layer ends in the layout it began with.
public enum TileOrientation: String, Hashable, Sendable {
    case rowsIn = "in-rows"
    case columnsIn = "in-cols"

    /// The orientation a weight of this name takes.
    public static func of(_ tensorName: String) -> TileOrientation {
        tensorName.hasPrefix("o_proj") || tensorName.hasSuffix("down_proj.weight") || tensorName.hasSuffix("down_proj.bias") ? .columnsIn : .rowsIn
    }
}

/// The per-PE block of `tensor` tiled over a `width x height` region, as (rows, cols): padded up,
/// so the tiles cover the tensor. A stacked expert tensor tiles one expert's slice; a vector is
/// one row, split along the region's rows and replicated along its columns. O(1), no allocation.
@inlinable
public func tileBlock(of tensor: Tensor, width: Int, height: Int) -> (rows: Int, cols: Int) {
    let rank = tensor.shape.count - (tensor.expertStacked ? 1 : 0)
    let w = max(width, 1), h = max(height, 1)
    if rank <= 1 { return (1, Checked.ceilDiv(tensor.shape[tensor.shape.count - 1], h)) }
    let out = tensor.shape[tensor.shape.count - 2], input = tensor.shape[tensor.shape.count - 1]
    switch TileOrientation.of(tensor.name) {
    case .rowsIn: return (Checked.ceilDiv(out, w), Checked.ceilDiv(input, h))
    case .columnsIn: return (Checked.ceilDiv(out, h), Checked.ceilDiv(input, w))
    }
}

/// Bytes one PE holds of `tensor` tiled over a `width x height` region (scales included).
@inlinable
public func tileBytes(of tensor: Tensor, width: Int, height: Int) -> Int {
    let block = tileBlock(of: tensor, width: width, height: height)
    return tensor.format.storage(rows: block.rows, cols: block.cols)?.totalBytes ?? Int.max / 4
}

/// A grid of expert cells inside a slot: each routed expert of a unit gets one cell (several
/// stack in a cell when there are more experts than cells).
public struct ExpertCells: Hashable, Sendable {
    public var columns: Int
    public var rows: Int
    public var cellWidth: Int
    public var cellHeight: Int
    public var expertsPerCell: Int
    public init(columns: Int, rows: Int, cellWidth: Int, cellHeight: Int, expertsPerCell: Int) {
        self.columns = columns; self.rows = rows; self.cellWidth = cellWidth; self.cellHeight = cellHeight
        self.expertsPerCell = expertsPerCell
    }
    public var cells: Int { columns * rows }
}

/// A rectangle of logical tiles inside a slot, starting at logical row `row0` of the slot's
/// first logical column: where a unit's dense weights and KV cache lie when they do not spread
/// over the whole slot. A region at the top-left overlaps the unit's expert cells (the PEs hold
/// both); a full-width band below the cells (`row0` at or past the cells' last row) is disjoint
/// from them (docs/tiling-and-placement.md, "Compact regions").
public struct RegionShape: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public var row0: Int
    public init(width: Int, height: Int, row0: Int = 0) { self.width = width; self.height = height; self.row0 = row0 }
    public var description: String { row0 == 0 ? "\(width)x\(height)" : "\(width)x\(height) at row \(row0)" }
}

/// One unit (a decoder layer or a top-level op) tiled on a slot of its wafer.
public struct UnitTiling: Hashable, Sendable {
    /// `layer 5`, `embed_tokens`, `lm_head`.
    public var name: String
    public var ops: Range<Int>
    public var wafer: Int
    /// The stacking group on its wafer: units of one group share a slot's PEs memory-wise and
    /// run at different times.
    public var group: Int
    /// The MoE op whose routed experts this wafer holds, and which of them.
    public var expertOp: Int?
    public var experts: Range<Int>
    public var cells: ExpertCells?
    /// Largest per-PE bytes of the unit's dense weights, routed experts and KV cache.
    public var denseBytesPerPE: Int
    public var expertBytesPerPE: Int
    public var kvBytesPerPE: Int
    /// Modelled cycles for one decode step of this unit (docs/tiling-and-placement.md).
    public var modeledCycles: Int
    /// Longest reduction the unit does, in PEs along one line.
    public var longestReduction: Int
    /// False for a slice of routed experts placed away from its layer's wafer.
    public var holdsBase: Bool
    /// The compact region the unit's dense weights and KV cache tile over, in logical tiles from
    /// the slot's top-left tile (docs/tiling-and-placement.md, "Compact regions"); nil when they
    /// spread over the whole slot. Only units whose routed experts fill the slot get one.
    public var region: RegionShape?
    /// With a compact region: the modelled cycles of the same unit with its dense part spread
    /// over the whole slot, the alternative the tile pass rejected (shown in the IR dump).
    public var wholeSlotModeledCycles: Int?

    public init(name: String, ops: Range<Int>, wafer: Int, group: Int, expertOp: Int?, experts: Range<Int>, cells: ExpertCells?,
                denseBytesPerPE: Int, expertBytesPerPE: Int, kvBytesPerPE: Int, modeledCycles: Int, longestReduction: Int,
                holdsBase: Bool = true, region: RegionShape? = nil) {
        self.name = name; self.ops = ops; self.wafer = wafer; self.group = group; self.expertOp = expertOp
        self.experts = experts; self.cells = cells; self.denseBytesPerPE = denseBytesPerPE
        self.expertBytesPerPE = expertBytesPerPE; self.kvBytesPerPE = kvBytesPerPE
        self.modeledCycles = modeledCycles; self.longestReduction = longestReduction; self.holdsBase = holdsBase
        self.region = region
    }

    /// The `width x height` logical tiles the unit's dense weights and KV cache spread over on a
    /// slot of `tiling`: its compact region, or the whole slot. O(1).
    public func denseShape(on tiling: WaferTiling) -> RegionShape {
        region ?? RegionShape(width: tiling.slotWidth, height: tiling.slotHeight)
    }

    /// The most bytes one PE holds of this unit: dense, expert and KV shares add up on the PEs
    /// they share; a region disjoint from the expert cells holds only its own.
    public var bytesPerPE: Int {
        regionIsDisjoint ? max(denseBytesPerPE + kvBytesPerPE, expertBytesPerPE) : denseBytesPerPE + expertBytesPerPE + kvBytesPerPE
    }

    /// Whether the compact region lies below every expert cell (a band that shares no PE with them).
    public var regionIsDisjoint: Bool {
        guard let r = region, let c = cells else { return false }
        return r.row0 >= c.rows * c.cellHeight
    }
}

/// A physical rectangle of PEs on a wafer, in fabric coordinates.
public struct PERect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) { self.x = x; self.y = y; self.width = width; self.height = height }
    public var description: String { "x \(x)..\(x + width - 1), y \(y)..\(y + height - 1)" }
    public var centerX: Int { x + width / 2 }
    public var centerY: Int { y + height / 2 }
}

/// A wafer's slot grid: slots across and down, each `slotWidth x slotHeight` logical tiles on
/// `slotWidth + spareColumns` physical columns. What a repair pins and compares of a tiling.
public struct SlotGrid: Hashable, Sendable {
    public var columns: Int
    public var rows: Int
    public var slotWidth: Int
    public var slotHeight: Int
    public var spareColumns: Int
    public init(columns: Int, rows: Int, slotWidth: Int, slotHeight: Int, spareColumns: Int) {
        self.columns = columns; self.rows = rows; self.slotWidth = slotWidth; self.slotHeight = slotHeight; self.spareColumns = spareColumns
    }
}

/// The slot grid of one wafer and what occupies it.
public struct WaferTiling: Hashable, Sendable {
    public var wafer: Int
    public var gridColumns: Int
    public var gridRows: Int
    /// Logical tiles per slot: each slot has `slotWidth x slotHeight` tile positions...
    public var slotWidth: Int
    public var slotHeight: Int
    /// ...on `slotWidth + spareColumns` physical columns, so a row may skip up to that many dead PEs.
    public var spareColumns: Int
    /// Fabric coordinates of the grid's top-left PE (the program rectangle's corner).
    public var originX: Int
    public var originY: Int
    /// Slots whose every row has at most `spareColumns` dead PEs (row-major, `gridColumns x gridRows`).
    public var usableSlots: [Bool]
    /// Stacking groups in pipeline order; `groupSlot[g]` is the slot the placement pass chose
    /// (nil before placement).
    public var groupCount: Int
    public var groupSlot: [Int]?
    /// Bytes per PE of each group (sum over its units), for the quality report.
    public var groupBytesPerPE: [Int]
    /// The program rectangle's size, so checks need no target.
    public var programWidth: Int
    public var programHeight: Int
    /// Manhattan hops between the centres of consecutive groups' slots, and a lower bound
    /// (`(groups - 1) x` the smallest slot pitch), once placed.
    public var handoffHops: Int?
    public var handoffLowerBound: Int?

    public init(wafer: Int, gridColumns: Int, gridRows: Int, slotWidth: Int, slotHeight: Int, spareColumns: Int,
                originX: Int, originY: Int, programWidth: Int, programHeight: Int, usableSlots: [Bool], groupCount: Int,
                groupBytesPerPE: [Int]) {
        self.wafer = wafer; self.gridColumns = gridColumns; self.gridRows = gridRows; self.slotWidth = slotWidth
        self.slotHeight = slotHeight; self.spareColumns = spareColumns; self.originX = originX; self.originY = originY
        self.programWidth = programWidth; self.programHeight = programHeight
        self.usableSlots = usableSlots; self.groupCount = groupCount; self.groupSlot = nil; self.groupBytesPerPE = groupBytesPerPE
    }

    /// Manhattan distance between the centres of two slots. O(1).
    public func distance(_ a: Int, _ b: Int) -> Int {
        let ra = rect(ofSlot: a), rb = rect(ofSlot: b)
        return abs(ra.centerX - rb.centerX) + abs(ra.centerY - rb.centerY)
    }

    /// Total hand-off hops of an assignment of groups to slots.
    public func handoff(_ slots: [Int]) -> Int {
        zip(slots, slots.dropFirst()).reduce(0) { $0 + distance($1.0, $1.1) }
    }

    /// Physical column offset (within a slot) of spare column `k`: the spares are spread evenly
    /// across the slot, centred in equal bands, so a dead PE's substitute is never more than
    /// about `slotWidth / spareColumns` columns away (distributed redundancy). O(1).
    public func spareOffset(_ k: Int) -> Int {
        let s = spareColumns, width = slotWidth + spareColumns
        return ((2 * k + 1) * width) / (2 * s)
    }

    /// Physical column offset of logical column `column` in a slot: the logical columns fill the
    /// non-spare columns from the left. O(spare columns).
    public func columnOffset(logicalColumn column: Int) -> Int {
        var x = column
        for k in 0..<spareColumns {
            if spareOffset(k) <= x { x += 1 } else { break }
        }
        return x
    }

    /// Whether physical offset `offset` of a slot is a spare column. O(spare columns).
    public func isSpare(offset: Int) -> Bool {
        (0..<spareColumns).contains { spareOffset($0) == offset }
    }

    /// The fabric column holding logical column `column` of a row of slot `slot`, given the
    /// row's dead fabric columns (sorted). A tile whose home PE is live stays there; the tiles of
    /// dead home PEs move to live spare PEs of the same row, each dead PE (left to right) taking
    /// the nearest free live spare (ties to the left). Returns nil when the row has more dead home
    /// PEs than live spares. O(spare columns x dead PEs in the row).
    public func physicalColumn(slot: Int, logicalColumn column: Int, deadColumnsInRow: [Int]) -> Int? {
        let r = rect(ofSlot: slot)
        let home = r.x + columnOffset(logicalColumn: column)
        let dead = deadColumnsInRow.filter { $0 >= r.x && $0 < r.x + r.width }
        guard dead.contains(home) else { return home }
        return substitutes(slot: slot, deadColumnsInRow: dead).first { $0.home == home }?.spare
    }

    /// Every substitution of a row: (home fabric column of a dead tile position, fabric column of
    /// the live spare PE that holds its tile instead; nil when no spare is left).
    public func substitutes(slot: Int, deadColumnsInRow: [Int]) -> [(home: Int, spare: Int?)] {
        let r = rect(ofSlot: slot)
        let dead = Set(deadColumnsInRow)
        var free = (0..<spareColumns).map { r.x + spareOffset($0) }.filter { !dead.contains($0) }
        var result: [(home: Int, spare: Int?)] = []
        for x in deadColumnsInRow.sorted() where x >= r.x && x < r.x + r.width && !isSpare(offset: x - r.x) {
            var best: Int?
            for (i, s) in free.enumerated() where best.map({ abs(s - x) < abs(free[$0] - x) }) ?? true { best = i }
            if let best {
                result.append((x, free[best]))
                free.remove(at: best)
            } else {
                result.append((x, nil))
            }
        }
        return result
    }

    public var slotCount: Int { gridColumns * gridRows }

    /// The physical rectangle of slot `index` (spare columns included).
    public func rect(ofSlot index: Int) -> PERect {
        PERect(x: originX + (index % gridColumns) * (slotWidth + spareColumns), y: originY + (index / gridColumns) * slotHeight,
               width: slotWidth + spareColumns, height: slotHeight)
    }
}

/// The tiling and placement of the whole model.
public struct Layout: Hashable, Sendable {
    public var wafers: [WaferTiling]
    public var units: [UnitTiling]
    /// Per-PE bytes available to weights and KV cache (the target's data bytes per PE).
    public var dataBytesPerPE: Int
    /// Seed of the placement optimiser.
    public var seed: UInt64?
    public init(wafers: [WaferTiling], units: [UnitTiling], dataBytesPerPE: Int) {
        self.wafers = wafers; self.units = units; self.dataBytesPerPE = dataBytesPerPE
    }
}

extension WaferTiling {
    /// The tiling's slot grid, without its origin, defects or occupants. O(1).
    public var grid: SlotGrid {
        SlotGrid(columns: gridColumns, rows: gridRows, slotWidth: slotWidth, slotHeight: slotHeight, spareColumns: spareColumns)
    }
}
