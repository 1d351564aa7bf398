import WaferPlan

/// Where a tensor's tiles live: its region (the slot, or one routed expert's cell) in logical
/// slot coordinates. Block (i, j) of the tiling sits on logical column `column0 + i`, row
/// `row0 + j` (docs/plan-format.md).
public struct TileRegion: Sendable {
    public var column0: Int
    public var row0: Int
    public var width: Int
    public var height: Int

    /// The region of `tensor` of `unit` (for a cell tensor, of routed expert `expert`); nil
    /// when the unit has no cell for that expert. O(1).
    public static func of(_ unit: PlanUnit, _ tensor: PlanTensor, expert: Int?, wafer: PlanWafer) -> TileRegion? {
        guard tensor.region == .cell else { return dense(unit, wafer: wafer) }
        guard let cells = unit.cells, let e = expert, unit.experts.count == 2, e >= unit.experts[0], e < unit.experts[1],
              cells.columns > 0, cells.expertsPerCell > 0 else { return nil }
        let index = (e - unit.experts[0]) / cells.expertsPerCell
        guard index < cells.columns * max(cells.rows, 0) else { return nil }
        return TileRegion(column0: (index % cells.columns) * cells.cellWidth, row0: (index / cells.columns) * cells.cellHeight,
                          width: cells.cellWidth, height: cells.cellHeight)
    }

    /// Where unit `u`'s dense tensors and KV cache lie: its compact region, or the whole slot. O(1).
    public static func dense(_ u: PlanUnit, wafer: PlanWafer) -> TileRegion {
        guard let r = u.denseRegion else { return TileRegion(column0: 0, row0: 0, width: wafer.slotWidth, height: wafer.slotHeight) }
        return TileRegion(column0: 0, row0: r.row0, width: r.width, height: r.height)
    }

    /// The (out, in) block a tile holds: rows and columns of the matrix. `in-rows`: tile (i, j)
    /// holds out rows [i * tr, ...) and in columns [j * tc, ...); `in-cols`: out rows
    /// [j * tr, ...) and in columns [i * tc, ...).
    public static func block(_ t: PlanTensor, column i: Int, row j: Int, out: Int, in inDim: Int) -> (rows: Range<Int>, cols: Range<Int>) {
        let (ri, ci) = t.orientation == .inCols ? (j, i) : (i, j)
        let r0 = min(ri * t.tileRows, out), c0 = min(ci * t.tileCols, inDim)
        return (r0..<min(r0 + t.tileRows, out), c0..<min(c0 + t.tileCols, inDim))
    }
}

/// The placement and memory checks: every weight of every op the plan's units run is placed
/// exactly once (dense tensors by one unit, each routed expert by one unit) and its tiles cover
/// it; every tile has a live PE in the program area (its home, or a spare of its row); the
/// bytes each PE holds (tiles, KV cache share, buffers, runtime reserve) fit its SRAM. With a
/// `scope`, spare substitutions are checked on the wafers it lists only.
/// O(units x tensors + dead PEs of used slots).
public enum PlacementCheck {
    /// Returns whether every tensor of every unit belongs to an op and has the shape that op
    /// needs (the numeric check's precondition).
    @discardableResult
    public static func run(_ plan: Plan, fabrics: [WaferFabric], scope: Set<Int>? = nil, log: inout ViolationLog) -> Bool {
        let fabricOf = Dictionary(fabrics.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let shapesAgree = checkTensors(plan, fabricOf: fabricOf, log: &log)
        checkMemory(plan, fabricOf: fabricOf, log: &log)
        checkTileHomes(plan, fabrics: fabrics, scope: scope, log: &log)
        return shapesAgree
    }

    /// Every weight of every op is held exactly once (dense tensors by one unit, each routed
    /// expert by one unit), has its op's shape, and its tiles cover it and fit their declared
    /// bytes. Returns whether every tensor's shape agrees with its op.
    /// O(units x tensors + experts).
    static func checkTensors(_ plan: Plan, fabricOf: [Int: WaferFabric], log: inout ViolationLog) -> Bool {
        var shapesAgree = true
        let hidden = plan.units.lazy.flatMap(\.ops).first { $0.kind == .embedding }?["hidden"] ?? 0
        if hidden <= 0 { log.add(.plan, "the plan has no embedding op, so the model's width is unknown") }

        // Expected tensors from the ops; who holds them.
        var expected: [String: ModelTensors.Expected] = [:]
        var order: [String] = []
        var opNames = Set<String>()
        for u in plan.units {
            for op in u.ops where opNames.insert(op.name).inserted {
                for e in ModelTensors.expected(op, hidden: hidden) { expected["\(op.name).\(e.name)"] = e; order.append("\(op.name).\(e.name)") }
            }
        }
        var denseHolders: [String: [String]] = [:]
        var expertHolders: [String: [Int: [String]]] = [:]
        for u in plan.units {
            guard let fabric = fabricOf[u.wafer] else { log.add(.placement, "unit \(u.name): wafer \(u.wafer) is not in the plan"); continue }
            let w = fabric.wafer
            if !w.groupSlots.indices.contains(u.group) || w.groupSlots[u.group] != u.slot || u.slot < 0 || u.slot >= w.gridColumns * w.gridRows {
                log.add(.placement, "unit \(u.name) (wafer \(u.wafer)): slot \(u.slot) is not its group \(u.group)'s slot"); continue
            }
            for tensor in u.tensors {
                let full = "\(tensor.op).\(tensor.name)"
                guard let e = expected[full] else { log.add(.placement, "unit \(u.name): tensor \(full) belongs to no op of the model"); shapesAgree = false; continue }
                if e.shape != tensor.shape { log.add(.placement, "unit \(u.name): tensor \(full) has shape \(tensor.shape), its op needs \(e.shape)"); shapesAgree = false }
                let matrix = e.shape.count - (e.stacked ? 1 : 0) >= 2
                let out = e.shape[e.stacked ? 1 : 0], inDim = matrix ? e.shape[e.stacked ? 2 : 1] : 1
                if e.stacked {
                    guard u.experts.count == 2, u.experts[0] >= 0, u.experts[0] <= u.experts[1], u.experts[1] <= e.shape[0] else {
                        log.add(.placement, "unit \(u.name): expert range \(u.experts) is not within the \(e.shape[0]) experts of \(tensor.op)"); continue
                    }
                    for x in u.experts[0]..<u.experts[1] { expertHolders[full, default: [:]][x, default: []].append(u.name) }
                } else {
                    denseHolders[full, default: []].append(u.name)
                }
                // Coverage: the blocks of the region tile the matrix.
                guard let region = TileRegion.of(u, tensor, expert: e.stacked ? u.experts.first : nil, wafer: w) else {
                    if e.stacked && (u.experts.first ?? 0) < (u.experts.last ?? 0) { log.add(.placement, "unit \(u.name): tensor \(full) has no expert cells") }
                    continue
                }
                let (along, across) = tensor.orientation == .inCols ? (region.height, region.width) : (region.width, region.height)
                if tensor.orientation == .vector {
                    if tensor.tileCols * region.width < out && tensor.tileCols * region.height < out { log.add(.placement, "unit \(u.name): the tiles of \(full) cover \(tensor.tileCols) x \(region.width) of its \(out) values") }
                } else if tensor.tileRows * along < out || tensor.tileCols * across < inDim {
                    log.add(.placement, "unit \(u.name): the \(tensor.tileRows) x \(tensor.tileCols) tiles of \(full) on a \(region.width) x \(region.height) region cover \(min(out, tensor.tileRows * along)) x \(min(inDim, tensor.tileCols * across)) of its \(out) x \(inDim) values")
                }
                if let bits = ModelTensors.elementBits(tensor.format), matrix {
                    let need = (tensor.tileRows * tensor.tileCols * bits + 7) / 8
                    if tensor.bytesPerPe < need { log.add(.memory, "unit \(u.name): \(full) declares \(tensor.bytesPerPe) B per PE, its \(tensor.tileRows) x \(tensor.tileCols) \(tensor.format) tile takes \(need) B") }
                }
            }
        }
        for name in order {
            guard let e = expected[name] else { continue }
            if e.stacked {
                let holders = expertHolders[name] ?? [:]
                for x in 0..<e.shape[0] {
                    let h = holders[x] ?? []
                    if h.count != 1 { log.add(.placement, "\(name): expert \(x) is held \(h.isEmpty ? "by no unit" : "by \(h.count) units (\(h.joined(separator: ", ")))")") }
                }
            } else {
                let h = denseHolders[name] ?? []
                if h.count != 1 { log.add(.placement, "\(name): held \(h.isEmpty ? "by no unit" : "by \(h.count) units (\(h.joined(separator: ", ")))") (every weight must be placed exactly once)") }
            }
        }
        return shapesAgree
    }

    /// The bytes each PE of a group holds (its units' tiles and KV cache shares, buffers and the
    /// runtime reserve) fit its SRAM, and each unit declares at least the KV cache its attention
    /// keeps. O(units x ops).
    static func checkMemory(_ plan: Plan, fabricOf: [Int: WaferFabric], log: inout ViolationLog) {
        let t = plan.target
        // Every unit of a group adds its tiles and KV share on the group's PEs.
        let kvBits = ModelTensors.elementBits(plan.inputs.kvElement) ?? 16
        var perGroup: [String: Int] = [:]
        for u in plan.units {
            guard let fabric = fabricOf[u.wafer] else { continue }
            let w = fabric.wafer
            let tiles = u.tensors.reduce(0) { $0 + $1.bytesPerPe }
            let region = TileRegion.dense(u, wafer: w)
            let area = max(region.width * region.height, 1)
            var kv = 0
            for op in u.ops {
                let tokens = (op["sliding_window"] > 0 ? min(op["sliding_window"], plan.inputs.contextTokens) : plan.inputs.contextTokens) * plan.inputs.residentSequences
                let perToken: Int
                switch op.kind {
                case .attention: perToken = 2 * op["kv_heads"] * op["head_dim"]
                case .mla: perToken = op["kv_lora_rank"] + op["qk_rope_head_dim"]
                default: perToken = 0
                }
                // Saturating: a hostile plan's context and sizes must not overflow.
                let (bits, overflow) = tokens.multipliedReportingOverflow(by: perToken * kvBits)
                kv = overflow ? Int.max / 2 : min(Int.max / 2, kv + (bits / 8 + area - 1) / area)
            }
            if u.kvBytesPerPe < kv { log.add(.memory, "unit \(u.name): declares \(u.kvBytesPerPe) B of KV cache per PE, its attention keeps \(kv) B per PE") }
            // A region below every expert cell shares no PE with them: the larger side counts.
            if let c = u.cells, u.denseRegion.map({ $0.row0 >= c.rows * c.cellHeight }) == true {
                let cellTiles = u.tensors.filter { $0.region == .cell }.reduce(0) { $0 + $1.bytesPerPe }
                perGroup["\(u.wafer)/\(u.group)", default: 0] += max(tiles - cellTiles + max(kv, u.kvBytesPerPe), cellTiles)
            } else {
                perGroup["\(u.wafer)/\(u.group)", default: 0] += tiles + max(kv, u.kvBytesPerPe)
            }
        }
        for (key, bytes) in perGroup.sorted(by: { $0.key < $1.key }) {
            let total = bytes + t.bufferBytesPerPe + t.runtimeReserveBytesPerPe
            if total > t.sramBytesPerPe {
                log.add(.memory, "wafer \(key.split(separator: "/")[0]) group \(key.split(separator: "/")[1]): \(total) B per PE (tiles and KV \(bytes), buffers \(t.bufferBytesPerPe), reserve \(t.runtimeReserveBytesPerPe)) exceed the \(t.sramBytesPerPe) B of SRAM")
            }
        }
    }

    /// Every tile has a live PE in the program area: its home, or a spare of its row. With a
    /// `scope`, only the wafers it lists. O(dead PEs of used slots).
    static func checkTileHomes(_ plan: Plan, fabrics: [WaferFabric], scope: Set<Int>?, log: inout ViolationLog) {
        for fabric in fabrics where scope?.contains(fabric.index) ?? true {
            let w = fabric.wafer
            var subs: [Int: [Int: Int?]] = [:]
            for s in Set(w.groupSlots).sorted() {
                let o = fabric.slotOrigin(s)
                if !fabric.inProgram(o.x, o.y) || !fabric.inProgram(o.x + fabric.pitch - 1, o.y + w.slotHeight - 1) {
                    log.add(.placement, "wafer \(w.index) slot \(s): reaches into the I/O halo or off the fabric"); continue
                }
                for y in o.y..<(o.y + w.slotHeight) where fabric.deadByRow[y] != nil {
                    for (column, offset) in fabric.homeOffsets.enumerated() where !fabric.isLive(o.x + offset, y) {
                        if fabric.holder(slot: s, column: column, row: y - o.y, subs: &subs) == nil {
                            let units = plan.units.filter { $0.wafer == w.index && $0.slot == s }.map(\.name)
                            log.add(.placement, "wafer \(w.index) slot \(s): the tiles of logical column \(column), row \(y - o.y) (units \(units.joined(separator: ", "))) sit on \(fabric.isDead(pe: y * fabric.width + o.x + offset) ? "dead" : "sealed") PE \(pe(y * fabric.width + o.x + offset, fabric.width)) and no live spare is left in the row")
                        }
                    }
                }
            }
        }
    }
}
