/// A placement plan: everything an executor needs to run a compiled model without the compiler
/// (docs/plan-format.md; JSON Schema in docs/plan.schema.json). Versioned and self-describing:
/// it names its format version, the compiler that wrote it, fingerprints of its inputs, and the
/// full target description it assumes. Regular structure stays symbolic (a slot's tiling is a
/// rule, a line class one record); only what defects break is listed, so a Kimi K2 plan is a
/// few megabytes, never a row per PE.
///
/// JSON keys are the property names in snake_case (`bytesPerPe` -> `bytes_per_pe`), with the
/// unit in the name; PE ids are `y * fabric_width + x`.
public struct Plan: Codable, Sendable, Equatable {
    /// `format` of every plan.
    public static let formatName = "wafermap-plan"
    /// The version this build writes and the only one it reads.
    public static let formatVersion = 4

    public var format: String
    public var formatVersion: Int
    public var compilerVersion: String
    public var inputs: PlanInputs
    public var target: PlanTarget
    public var summary: PlanSummary
    public var wafers: [PlanWafer]
    public var units: [PlanUnit]
    public var routing: PlanRouting
    public var schedule: PlanSchedule

    public init(compilerVersion: String, inputs: PlanInputs, target: PlanTarget, summary: PlanSummary, wafers: [PlanWafer],
                units: [PlanUnit], routing: PlanRouting, schedule: PlanSchedule) {
        format = Self.formatName; formatVersion = Self.formatVersion; self.compilerVersion = compilerVersion
        self.inputs = inputs; self.target = target; self.summary = summary; self.wafers = wafers; self.units = units
        self.routing = routing; self.schedule = schedule
    }
}

/// What the plan was compiled from. The digests are SHA-256 (hex): of the model file's bytes,
/// of the target description as written in `target` (its canonical JSON), and of the defect
/// lists as written in `wafers` (dead PEs, dead links; canonical JSON).
public struct PlanInputs: Codable, Sendable, Equatable {
    public var modelName: String
    public var modelPath: String
    public var modelSha256: String
    public var targetSha256: String
    public var defectsSha256: String
    /// `none`, the defect file, or the generator's parameters.
    public var defects: String
    public var seed: UInt64
    public var contextTokens: Int
    public var batch: Int
    /// KV caches placed when more than `batch` (`--sequences`); absent when equal to it, so
    /// plans that place one micro-batch's caches read and write as before.
    public var sequences: Int?
    public var kvElement: String
    /// `auto` or the number asked for.
    public var wafersRequested: String
    /// The storage precision policy the weights were sized at.
    public var precision: String

    public init(modelName: String, modelPath: String, modelSha256: String, targetSha256: String, defectsSha256: String, defects: String,
                seed: UInt64, contextTokens: Int, batch: Int, kvElement: String, wafersRequested: String, precision: String) {
        self.modelName = modelName; self.modelPath = modelPath; self.modelSha256 = modelSha256; self.targetSha256 = targetSha256
        self.defectsSha256 = defectsSha256; self.defects = defects; self.seed = seed; self.contextTokens = contextTokens
        self.batch = batch; self.kvElement = kvElement; self.wafersRequested = wafersRequested; self.precision = precision
    }

    /// The KV caches the plan placed: `sequences` when recorded, else `batch`.
    public var residentSequences: Int { max(sequences ?? batch, batch, 1) }
}

/// The target the plan assumes, in full (docs/target-format.md has the meaning of each field).
public struct PlanTarget: Codable, Sendable, Equatable {
    public var name: String
    public var fabricWidth: Int
    public var fabricHeight: Int
    public var haloWest: Int
    public var haloEast: Int
    public var haloNorth: Int
    public var haloSouth: Int
    public var sramBytesPerPe: Int
    public var runtimeReserveBytesPerPe: Int
    public var bufferBytesPerPe: Int
    /// Sustained MACs per cycle per PE by element type (`bf16`: 1.2; may be fractional).
    public var macsPerCycle: [String: Double]
    public var routableColors: Int
    public var reservedColors: Int
    public var clockMhz: Double
    public var hopLatencyCycles: Int
    public var rampLatencyCycles: Int
    public var relayLatencyCycles: Int
    /// Fixed cycles per decoder layer per decode step (task switches, synchronisation).
    public var layerOverheadCycles: Int
    public var waveletBits: Int
    public var waferLinkGbps: Double
    public var waferLinkLatencyNs: Double
    /// Fraction (0...1) of a reduction's streamed payload hidden under its product
    /// (docs/routing-and-schedule.md, "Overlap"). An optional key, written only when non-zero:
    /// a plan without it (every plan before the key existed) reads as 0, strictly phased.
    public var reductionOverlap: Double?
    /// The kernel profile whose sustained figures these are (docs/performance-model.md, "Hardware
    /// facts and kernel profiles"); optional, absent for a target that gives its figures directly.
    public var kernels: String?

    public init(name: String, fabricWidth: Int, fabricHeight: Int, haloWest: Int, haloEast: Int, haloNorth: Int, haloSouth: Int,
                sramBytesPerPe: Int, runtimeReserveBytesPerPe: Int, bufferBytesPerPe: Int, macsPerCycle: [String: Double],
                routableColors: Int, reservedColors: Int, clockMhz: Double, hopLatencyCycles: Int, rampLatencyCycles: Int,
                relayLatencyCycles: Int, layerOverheadCycles: Int, waveletBits: Int, waferLinkGbps: Double, waferLinkLatencyNs: Double,
                reductionOverlap: Double? = nil, kernels: String? = nil) {
        self.name = name; self.fabricWidth = fabricWidth; self.fabricHeight = fabricHeight; self.haloWest = haloWest
        self.haloEast = haloEast; self.haloNorth = haloNorth; self.haloSouth = haloSouth; self.sramBytesPerPe = sramBytesPerPe
        self.runtimeReserveBytesPerPe = runtimeReserveBytesPerPe; self.bufferBytesPerPe = bufferBytesPerPe
        self.macsPerCycle = macsPerCycle; self.routableColors = routableColors; self.reservedColors = reservedColors
        self.clockMhz = clockMhz; self.hopLatencyCycles = hopLatencyCycles; self.rampLatencyCycles = rampLatencyCycles
        self.relayLatencyCycles = relayLatencyCycles; self.layerOverheadCycles = layerOverheadCycles; self.waveletBits = waveletBits; self.waferLinkGbps = waferLinkGbps
        self.waferLinkLatencyNs = waferLinkLatencyNs
        self.reductionOverlap = reductionOverlap.flatMap { $0 == 0 ? nil : $0 }
        self.kernels = kernels
    }

    /// The reduction overlap in force: the key's value, 0 when absent. O(1).
    public var overlapFraction: Double { reductionOverlap ?? 0 }

    /// Bytes per PE for weights and KV cache.
    public var dataBytesPerPe: Int { sramBytesPerPe - runtimeReserveBytesPerPe - bufferBytesPerPe }
}

/// The figures a person reads first, as the compiler predicted them.
public struct PlanSummary: Codable, Sendable, Equatable {
    public var wafers: Int
    public var wafersLowerBound: Int
    public var weightBytes: Int
    public var kvCacheBytes: Int
    public var pesUsed: Int
    public var pesUsable: Int
    public var sramUsedBytes: Int
    public var sramUsableBytes: Int
    /// Predicted decode speed per user at batch 1, and the cycles one token takes.
    public var tokensPerS: Double
    public var cyclesPerToken: Int
    public var maxColorsPerPe: Int
    public var exceptionRoutes: Int
    public var overlayRoutes: Int
    public var unresolvedRoutes: Int

    public init(wafers: Int, wafersLowerBound: Int, weightBytes: Int, kvCacheBytes: Int, pesUsed: Int, pesUsable: Int,
                sramUsedBytes: Int, sramUsableBytes: Int, tokensPerS: Double, cyclesPerToken: Int, maxColorsPerPe: Int,
                exceptionRoutes: Int, overlayRoutes: Int, unresolvedRoutes: Int) {
        self.wafers = wafers; self.wafersLowerBound = wafersLowerBound; self.weightBytes = weightBytes; self.kvCacheBytes = kvCacheBytes
        self.pesUsed = pesUsed; self.pesUsable = pesUsable; self.sramUsedBytes = sramUsedBytes; self.sramUsableBytes = sramUsableBytes
        self.tokensPerS = tokensPerS; self.cyclesPerToken = cyclesPerToken; self.maxColorsPerPe = maxColorsPerPe
        self.exceptionRoutes = exceptionRoutes; self.overlayRoutes = overlayRoutes; self.unresolvedRoutes = unresolvedRoutes
    }
}

/// One wafer: its slot grid (the tiling rule's parameters), its defects, and its overlay.
///
/// Slot `s` covers columns `origin_x + (s % grid_columns) * (slot_width + spare_columns)` on,
/// `slot_width + spare_columns` wide, and rows `origin_y + (s / grid_columns) * slot_height` on.
/// Spare column `k` of a slot sits at offset `((2k + 1) * W) / (2 * spare_columns)` with
/// `W = slot_width + spare_columns`; logical column `c` is the `c`-th non-spare offset. A tile
/// whose home PE is dead (in `dead_pes` or `sealed_pes`) moves to the nearest free live spare of
/// its row, dead home PEs taken left to right, ties to the left.
public struct PlanWafer: Codable, Sendable, Equatable {
    public var index: Int
    public var gridColumns: Int
    public var gridRows: Int
    public var slotWidth: Int
    public var slotHeight: Int
    public var spareColumns: Int
    public var originX: Int
    public var originY: Int
    /// Slot of each stacking group, in group order.
    public var groupSlots: [Int]
    /// Per-PE bytes each group's units need (weights + KV cache, the largest unit's).
    public var groupBytesPerPe: [Int]
    /// Dead PEs of the defect map, and live PEs the compiler treats as dead because defects
    /// seal them off (pockets, bays, dead ends). Sorted PE ids.
    public var deadPes: [Int32]
    public var sealedPes: [Int32]
    /// Dead links: `2 * pe` for the link east of `pe`, `2 * pe + 1` for the link south of it.
    public var deadLinks: [Int32]
    /// Colors the line classes take on every slot of this wafer.
    public var paletteColors: Int
    public var maxColorsPerPe: Int
    public var maxLinkLoadWavelets: Int
    /// The overlay's PEs and its colors [color an even (x + y) PE sends on, color an odd one
    /// sends on]; empty without an overlay.
    public var overlayPes: [Int32]
    public var overlayColors: [Int]
    /// One PE per route left without a way through (empty for an executable plan).
    public var unresolvedPes: [Int32]
    /// What the hardware's spare rows made of the wafer's physical defects; absent when the
    /// defects were given in logical coordinates (docs/redundancy.md).
    public var redundancy: PlanRedundancy?

    public init(index: Int, gridColumns: Int, gridRows: Int, slotWidth: Int, slotHeight: Int, spareColumns: Int, originX: Int, originY: Int,
                groupSlots: [Int], groupBytesPerPe: [Int], deadPes: [Int32], sealedPes: [Int32], deadLinks: [Int32], paletteColors: Int,
                maxColorsPerPe: Int, maxLinkLoadWavelets: Int, overlayPes: [Int32], overlayColors: [Int], unresolvedPes: [Int32],
                redundancy: PlanRedundancy? = nil) {
        self.index = index; self.gridColumns = gridColumns; self.gridRows = gridRows; self.slotWidth = slotWidth
        self.slotHeight = slotHeight; self.spareColumns = spareColumns; self.originX = originX; self.originY = originY
        self.groupSlots = groupSlots; self.groupBytesPerPe = groupBytesPerPe; self.deadPes = deadPes; self.sealedPes = sealedPes
        self.deadLinks = deadLinks; self.paletteColors = paletteColors; self.maxColorsPerPe = maxColorsPerPe
        self.maxLinkLoadWavelets = maxLinkLoadWavelets; self.overlayPes = overlayPes; self.overlayColors = overlayColors
        self.unresolvedPes = unresolvedPes
        self.redundancy = redundancy
    }
}

/// A wafer's spare-row repair as the plan records it (docs/plan-format.md, docs/redundancy.md):
/// physical dead PEs, those the spares absorbed, the logical holes left, and the extra hops
/// (upper bounds) any row line and any column line pays to the hardware's bypasses.
public struct PlanRedundancy: Codable, Sendable, Equatable {
    public var physicalDeadPes: Int
    public var absorbed: Int
    public var holes: Int
    public var bypassHopsRows: Int
    public var bypassHopsColumns: Int
    /// The row figure by where a line runs (docs/redundancy.md, "Where a line runs"): per block of
    /// `block_rows` logical rows and window of `row_window_columns` fabric columns
    /// (`row_windows_per_block` a block), the bypass hops of the column boundaries in it,
    /// block-major; `row_link_hops` any row line may add. Absent: every row line pays
    /// `bypass_hops_rows`.
    public var rowWindows: [Int]?
    public var rowWindowColumns: Int?
    public var rowWindowsPerBlock: Int?
    public var blockRows: Int?
    public var rowLinkHops: Int?
    public init(physicalDeadPes: Int, absorbed: Int, holes: Int, bypassHopsRows: Int, bypassHopsColumns: Int) {
        self.physicalDeadPes = physicalDeadPes; self.absorbed = absorbed; self.holes = holes
        self.bypassHopsRows = bypassHopsRows; self.bypassHopsColumns = bypassHopsColumns
    }
}

extension PlanWafer {
    /// The offsets of the spare columns in a slot, ascending: spare column `k` of a slot
    /// `W = slot_width + spare_columns` wide sits at `((2k + 1) * W) / (2 * spare_columns)`
    /// (docs/plan-format.md, "Slots"). O(spare columns).
    public var spareOffsets: [Int] {
        let pitch = slotWidth + spareColumns
        return (0..<max(spareColumns, 0)).map { ((2 * $0 + 1) * pitch) / (2 * max(spareColumns, 1)) }
    }

    /// Logical column -> offset in its slot: logical column `c` is the `c`-th offset that is not
    /// a spare. O(slot width + spare columns).
    public var homeOffsets: [Int] {
        let spare = Set(spareOffsets)
        return (0..<max(slotWidth + spareColumns, 0)).filter { !spare.contains($0) }
    }
}

/// An expert-cell grid inside a slot: each routed expert gets a `cell_width x cell_height` cell.
public struct PlanCells: Codable, Sendable, Equatable {
    public var columns: Int
    public var rows: Int
    public var cellWidth: Int
    public var cellHeight: Int
    public var expertsPerCell: Int
    public init(columns: Int, rows: Int, cellWidth: Int, cellHeight: Int, expertsPerCell: Int) {
        self.columns = columns; self.rows = rows; self.cellWidth = cellWidth; self.cellHeight = cellHeight; self.expertsPerCell = expertsPerCell
    }
}

/// A unit's compact region: `width x height` logical tiles from logical row `row0`, column 0.
public struct PlanDenseRegion: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var row0: Int
    public init(width: Int, height: Int, row0: Int) { self.width = width; self.height = height; self.row0 = row0 }
}

extension PlanUnit {
    /// The most bytes a PE holds of this unit: dense, expert and KV shares add up, except that a
    /// region lying below every expert cell shares no PE with them. O(1).
    public var peakBytesPerPe: Int {
        if let r = denseRegion, let c = cells, r.row0 >= c.rows * c.cellHeight {
            return max(denseBytesPerPe + kvBytesPerPe, expertBytesPerPe)
        }
        return denseBytesPerPe + expertBytesPerPe + kvBytesPerPe
    }
}

/// One tensor's tiling: every PE of its region holds a `tile_rows x tile_cols` block (padded).
/// `in-rows`: the input dimension runs along the region's rows (block = ceil(out / width) x
/// ceil(in / height)); `in-cols`: the transpose; `vector`: one row split along the rows.
public struct PlanTensor: Codable, Sendable, Equatable {
    public var op: String
    public var name: String
    public var shape: [Int]
    public var format: String
    public var orientation: PlanOrientation
    /// `slot` (the whole slot) or `cell` (each routed expert's cell).
    public var region: PlanRegion
    public var tileRows: Int
    public var tileCols: Int
    public var bytesPerPe: Int
    public init(op: String, name: String, shape: [Int], format: String, orientation: PlanOrientation, region: PlanRegion, tileRows: Int, tileCols: Int, bytesPerPe: Int) {
        self.op = op; self.name = name; self.shape = shape; self.format = format; self.orientation = orientation; self.region = region
        self.tileRows = tileRows; self.tileCols = tileCols; self.bytesPerPe = bytesPerPe
    }
}

/// A unit (a layer, the embedding, the head, or a slice of routed experts) on one slot.
public struct PlanUnit: Codable, Sendable, Equatable {
    public var name: String
    public var wafer: Int
    public var group: Int
    public var slot: Int
    /// The routed experts `[first, end)` this unit holds, and their cells.
    public var experts: [Int]
    public var cells: PlanCells?
    /// The compact region the unit's dense tensors and KV cache tile over (`region: slot`
    /// tensors), when not the whole slot: `width x height` logical tiles from logical row `row0`
    /// of the slot's first logical column (docs/plan-format.md, "Units and tensors").
    public var denseRegion: PlanDenseRegion?
    public var denseBytesPerPe: Int
    public var expertBytesPerPe: Int
    public var kvBytesPerPe: Int
    public var modeledCycles: Int
    /// What the unit computes, in order (a unit holding only a slice of routed experts lists
    /// the MoE op alone): enough for an executor to run the model without the model file.
    public var ops: [PlanOp]
    public var tensors: [PlanTensor]
    public init(name: String, wafer: Int, group: Int, slot: Int, experts: [Int], cells: PlanCells?, denseBytesPerPe: Int, expertBytesPerPe: Int,
                kvBytesPerPe: Int, modeledCycles: Int, ops: [PlanOp], tensors: [PlanTensor], denseRegion: PlanDenseRegion? = nil) {
        self.name = name; self.wafer = wafer; self.group = group; self.slot = slot; self.experts = experts; self.cells = cells
        self.denseRegion = denseRegion
        self.denseBytesPerPe = denseBytesPerPe; self.expertBytesPerPe = expertBytesPerPe; self.kvBytesPerPe = kvBytesPerPe
        self.modeledCycles = modeledCycles; self.ops = ops; self.tensors = tensors
    }
}

/// One op of a unit: its Hugging Face-style name, its kind (`embedding`, `rmsnorm`, `layernorm`,
/// `attention`, `mla`, `mlp`, `moe`, `add`, `lm_head`) and the integer hyper-parameters that fix
/// its math (docs/plan-format.md lists the keys per kind; flags are 0 or 1, an absent optional
/// size is 0). Pre-norm rule: a norm reads the current value, a mixer reads it and its output is
/// added to the residual stream (`add`), which becomes the current value.
public struct PlanOp: Codable, Sendable, Equatable {
    public var name: String
    public var kind: PlanOpKind
    /// The decoder layer, or -1 outside the layer stack.
    public var layer: Int
    public var attributes: [String: Int]
    /// The activation function of an MLP or MoE (`silu`, `gelu`, `gelu_tanh`, `relu`, `relu2`,
    /// `swiglu_oai`); nil otherwise.
    public var activation: PlanActivation?
    /// A tied head's weight: the full name of the tensor it reads (`embed_tokens.weight`).
    public var tiedWeight: String?
    public init(name: String, kind: PlanOpKind, layer: Int, attributes: [String: Int], activation: PlanActivation?, tiedWeight: String?) {
        self.name = name; self.kind = kind; self.layer = layer; self.attributes = attributes; self.activation = activation; self.tiedWeight = tiedWeight
    }

    /// An attribute, 0 when absent.
    public subscript(key: String) -> Int { attributes[key] ?? 0 }
}
