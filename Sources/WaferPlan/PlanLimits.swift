/// Bounds on what a plan file may hold, so that a hostile or corrupted plan is rejected with a
/// located error before the reader, `PlanCheck` or the executor computes or allocates anything
/// from it. Real plans sit far inside them: a Kimi K2 plan on 32 WSE-3 wafers has integers
/// below 2^31 except its byte, PE and cycle totals (largest 1.1 x 10^12 < 2^41), depth 6 and a
/// 762 x 1172 fabric. docs/fuzzing.md lists them with the other input limits.
public enum PlanLimits {
    /// Largest plan file read (bytes): 256 MiB. A Kimi K2 plan with a 0.1% clustered defect
    /// map is 15 MB; reading holds the bytes and their decoding, so a file this size stays
    /// within 2 GiB (at 1 GiB, a plan padded with spaces took 2.1 GB).
    public static let maxFileBytes = 1 << 28
    /// Values in one plan: 2^24 = 16,777,216. Kimi K2's plan above holds 2,348,606; decoding
    /// costs about 50 bytes per value, whatever its text (25 million one-letter strings took
    /// 1.3 GB), so the count, not the bytes, bounds the memory.
    public static let maxValues = 1 << 24
    /// Hops of all exception routes together: 2^26 = 67,108,864 (Kimi K2 with a 0.1% clustered
    /// map of holes takes 3.4 million). Moves are run-length in the file (`E12` is twelve hops),
    /// so the bytes alone do not bound what the routes expand to in memory.
    public static let maxExceptionHops = 1 << 26
    /// Containers open at once (a plan nests 6 deep).
    public static let maxDepth = 32
    /// Magnitude of any integer field except the totals below, so that sums and pairwise
    /// products of them cannot overflow 64-bit integers.
    public static let maxInteger = Int(Int32.max)
    /// Fields that hold totals over a whole deployment (bytes, PEs, cycles), allowed up to
    /// `maxTotal`.
    public static let totalKeys: Set<String> = [
        "weight_bytes", "kv_cache_bytes", "sram_used_bytes", "sram_usable_bytes", "pes_used", "pes_usable",
        "cycles_per_token", "start_cycle", "end_cycle", "modeled_cycles", "max_link_load_wavelets", "load_wavelets",
        "penalty_cycles", "cycles",
    ]
    /// Magnitude of a total (2^53: exact in a Double, and far above 4,096 wafers' worth).
    public static let maxTotal = 1 << 53
    /// Magnitude of a non-integer number.
    public static let maxReal = 1e15
    /// Fabric width and height (PEs); a WSE-3 is 762 x 1172.
    public static let maxFabricSide = 4096
    /// Wafers in one plan (the partition's own limit).
    public static let maxWafers = 4096
    /// PEs of all the plan's wafers together (wafers x fabric width x height): the executor
    /// holds a few bytes per PE of every wafer, so this bounds its memory (2^26: 75 WSE-3
    /// wafers; the compiler's `TargetLimits.maxDeploymentPEs`, the same value).
    public static let maxTotalPEs = 1 << 26
    /// One tensor dimension, and all of a tensor's elements (a Kimi K2 expert stack holds
    /// 384 x 2,048 x 7,168 = 5.6 x 10^9 < 2^40).
    public static let maxDimension = 1 << 24
    public static let maxTensorElements = 1 << 40
    /// Elements of one tile (a PE holds 48 KB: at most 98,304 4-bit values), and of one strip of
    /// tiles (tile rows x the input width, or tile columns x the output height; Kimi K2's
    /// largest is 1.6 x 10^6).
    public static let maxTileElements = 1 << 20
    public static let maxStripElements = 1 << 26
    /// Context tokens and sequences (the compiler's own limits).
    public static let maxContextTokens = 1 << 30
    public static let maxBatch = 1 << 20
    /// Op attributes (sizes such as hidden, vocab, experts) that the executor's numeric check
    /// allocates vectors of.
    public static let maxAttribute = 1 << 24

    /// The scan-time limits: nesting depth, and numbers in range (integers that fit their field
    /// class, reals finite and below `maxReal`; `seed` is any 64-bit unsigned integer).
    public static let scan = JSONLocator.Limits(maxDepth: maxDepth, acceptedDigits: 9, maxValues: maxValues) { key, text in
        let isInteger = !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        if key == "seed" {
            return isInteger && UInt64(text) != nil ? nil : "'seed' must be an integer from 0 to 2^64 - 1"
        }
        if isInteger {
            let limit = key.map { totalKeys.contains($0) } == true ? maxTotal : maxInteger
            guard let value = Int(text), value.magnitude <= UInt(limit) else {
                return "the integer \(text.prefix(40)) is out of range for '\(key ?? "?")' (magnitude at most \(limit))"
            }
            return nil
        }
        guard let value = Double(text), value.isFinite, value.magnitude <= maxReal else {
            return "the number \(text.prefix(40)) is out of range for '\(key ?? "?")' (magnitude at most 10^15)"
        }
        return nil
    }

    /// The first field of a decoded plan outside the structural limits: why, and its path (for
    /// the reader's located error). nil when within them. O(wafers + units x tensors + classes
    /// + bundles).
    public static func violation(_ plan: Plan) -> (message: String, path: [JSONLocator.Step])? {
        targetViolation(plan) ?? layoutViolation(plan) ?? routingViolation(plan)
    }

    /// The deployment inputs, the target's figures and the color budget. O(MAC rates).
    static func targetViolation(_ plan: Plan) -> (message: String, path: [JSONLocator.Step])? {
        let t = plan.target
        if plan.inputs.contextTokens < 1 || plan.inputs.contextTokens > maxContextTokens {
            return ("context_tokens must be between 1 and \(maxContextTokens)", [.key("inputs"), .key("context_tokens")])
        }
        if plan.inputs.batch < 1 || plan.inputs.batch > maxBatch {
            return ("batch must be between 1 and \(maxBatch)", [.key("inputs"), .key("batch")])
        }
        if let n = plan.inputs.sequences, n < plan.inputs.batch || n > maxBatch {
            return ("sequences must be between batch (\(plan.inputs.batch)) and \(maxBatch)", [.key("inputs"), .key("sequences")])
        }
        for (key, value) in [("fabric_width", t.fabricWidth), ("fabric_height", t.fabricHeight)] where value < 1 || value > maxFabricSide {
            return ("\(key) must be between 1 and \(maxFabricSide) PEs", [.key("target"), .key(key)])
        }
        for (key, value) in [("halo_west", t.haloWest), ("halo_east", t.haloEast), ("halo_north", t.haloNorth), ("halo_south", t.haloSouth)]
        where value < 0 || value > maxFabricSide {
            return ("\(key) must be between 0 and \(maxFabricSide) PEs", [.key("target"), .key(key)])
        }
        // The program area (what the halo leaves) has at least one PE each way.
        if t.haloWest + t.haloEast >= t.fabricWidth {
            return ("halo_west + halo_east must leave at least one column of the \(t.fabricWidth)-PE-wide fabric", [.key("target"), .key("halo_east")])
        }
        if t.haloNorth + t.haloSouth >= t.fabricHeight {
            return ("halo_north + halo_south must leave at least one row of the \(t.fabricHeight)-PE-high fabric", [.key("target"), .key("halo_south")])
        }
        for (key, value) in [("routable_colors", t.routableColors), ("reserved_colors", t.reservedColors)] where value < 0 || value > 64 {
            return ("\(key) must be between 0 and 64", [.key("target"), .key(key)])
        }
        for (key, value) in [("clock_mhz", t.clockMhz), ("wafer_link_gbps", t.waferLinkGbps)] where !(value > 0 && value <= 1e6) {
            return ("\(key) must be positive and at most 10^6", [.key("target"), .key(key)])
        }
        if !(t.waferLinkLatencyNs >= 0 && t.waferLinkLatencyNs <= 1e9) {
            return ("wafer_link_latency_ns must be between 0 and 10^9", [.key("target"), .key("wafer_link_latency_ns")])
        }
        if let r = t.reductionOverlap, !(r >= 0 && r <= 1) {
            return ("reduction_overlap must be between 0 and 1", [.key("target"), .key("reduction_overlap")])
        }
        let latencies = [("hop_latency_cycles", t.hopLatencyCycles), ("ramp_latency_cycles", t.rampLatencyCycles), ("relay_latency_cycles", t.relayLatencyCycles)]
        for (key, value) in latencies where value < 0 || value > 1 << 16 {
            return ("\(key) must be between 0 and 65536", [.key("target"), .key(key)])
        }
        if t.waveletBits < 1 || t.waveletBits > 1024 {
            return ("wavelet_bits must be between 1 and 1024", [.key("target"), .key("wavelet_bits")])
        }
        for (name, rate) in t.macsPerCycle.sorted(by: { $0.key < $1.key }) where !(rate > 0) {
            return ("macs_per_cycle must be positive", [.key("target"), .key("macs_per_cycle"), .key(name)])
        }
        if plan.routing.colorBudget < 0 || plan.routing.colorBudget > 64 {
            return ("color_budget must be between 0 and 64", [.key("routing"), .key("color_budget")])
        }
        return nil
    }

    /// Wafers' slot grids, units' expert cells, tensors' shapes and tiles, op attributes.
    /// O(wafers + units x tensors).
    static func layoutViolation(_ plan: Plan) -> (message: String, path: [JSONLocator.Step])? {
        typealias Step = JSONLocator.Step
        let t = plan.target
        if plan.wafers.count > maxWafers { return ("a plan holds at most \(maxWafers) wafers", [.key("wafers")]) }
        if plan.wafers.count * t.fabricWidth * t.fabricHeight > maxTotalPEs {   // <= 2^12 x 2^24: no overflow
            return ("\(plan.wafers.count) wafers of \(t.fabricWidth) x \(t.fabricHeight) PEs hold more than the \(maxTotalPEs) PEs a plan may hold", [.key("wafers")])
        }
        for (i, w) in plan.wafers.enumerated() {
            let fields = [("grid_columns", w.gridColumns), ("grid_rows", w.gridRows), ("slot_width", w.slotWidth), ("slot_height", w.slotHeight),
                          ("spare_columns", w.spareColumns), ("origin_x", w.originX), ("origin_y", w.originY)]
            for (key, value) in fields where value < 0 || value > maxFabricSide {
                return ("\(key) must be between 0 and \(maxFabricSide)", [.key("wafers"), .index(i), .key(key)])
            }
            if let r = w.redundancy, let problem = redundancyViolation(r) {
                return (problem.message, [.key("wafers"), .index(i), .key("redundancy"), .key(problem.key)])
            }
        }
        for (i, u) in plan.units.enumerated() {
            if let r = u.denseRegion {
                for (key, value) in [("width", r.width), ("height", r.height), ("row0", r.row0)] where value < 0 || value > maxFabricSide {
                    return ("\(key) must be between 0 and \(maxFabricSide)", [.key("units"), .index(i), .key("dense_region"), .key(key)])
                }
            }
            if let cells = u.cells {
                let fields = [("columns", cells.columns), ("rows", cells.rows), ("cell_width", cells.cellWidth), ("cell_height", cells.cellHeight),
                              ("experts_per_cell", cells.expertsPerCell)]
                for (key, value) in fields where value < 0 || value > maxFabricSide {
                    return ("\(key) must be between 0 and \(maxFabricSide)", [.key("units"), .index(i), .key("cells"), .key(key)])
                }
            }
            for (j, tensor) in u.tensors.enumerated() {
                let path: [Step] = [.key("units"), .index(i), .key("tensors"), .index(j)]
                let rank = planTensorRank(orientation: tensor.orientation, region: tensor.region)
                if tensor.shape.count != rank {
                    let kind = planTensorKind(orientation: tensor.orientation, region: tensor.region)
                    return ("a \(kind) tensor has \(rank) dimension\(rank == 1 ? "" : "s"), not \(tensor.shape.count)", path + [.key("shape")])
                }
                var elements = 1
                for (k, d) in tensor.shape.enumerated() {
                    guard d >= 1, d <= maxDimension else { return ("a dimension must be between 1 and \(maxDimension)", path + [.key("shape"), .index(k)]) }
                    elements *= d   // < 2^40 x 2^24: cannot overflow
                    if elements > maxTensorElements { return ("a tensor holds at most 2^40 elements", path + [.key("shape")]) }
                }
                for (key, value) in [("tile_rows", tensor.tileRows), ("tile_cols", tensor.tileCols)] where value < 1 || value > maxDimension {
                    return ("\(key) must be between 1 and \(maxDimension)", path + [.key(key)])
                }
                // A tile lives in one PE's SRAM; a strip of tiles across the other dimension is
                // what the numeric check multiplies per line.
                if tensor.tileRows * tensor.tileCols > maxTileElements {
                    return ("a tile holds at most \(maxTileElements) elements", path + [.key("tile_rows")])
                }
                if rank >= 2 {
                    let out = tensor.shape[rank - 2], inDim = tensor.shape[rank - 1]
                    if tensor.tileRows * inDim > maxStripElements || tensor.tileCols * out > maxStripElements {
                        return ("a row or column of tiles holds at most 2^26 elements", path + [.key("tile_rows")])
                    }
                }
            }
            for (j, op) in u.ops.enumerated() {
                for (key, value) in op.attributes.sorted(by: { $0.key < $1.key }) where value < 0 || value > maxAttribute {
                    return ("an op attribute must be between 0 and \(maxAttribute)", [.key("units"), .index(i), .key("ops"), .index(j), .key("attributes"), .key(key)])
                }
            }
        }
        return nil
    }

    /// Schedule phase kinds, exception route roles, line classes and bundles. O(classes +
    /// bundles + exception routes).
    static func routingViolation(_ plan: Plan) -> (message: String, path: [JSONLocator.Step])? {
        let t = plan.target
        for (key, _) in plan.schedule.cyclesByKind.sorted(by: { $0.key < $1.key }) where PlanPhaseKind(rawValue: key) == nil {
            return (PlanPhaseKind.unknown(key), [.key("schedule"), .key("cycles_by_kind"), .key(key)])
        }
        var known: Set<String> = []   // carries texts already checked (a plan uses a handful)
        for (k, list) in plan.routing.exceptions.carries.enumerated() where !known.contains(list) {
            for word in list.split(separator: ",", omittingEmptySubsequences: false) where PlanRouteRole(rawValue: String(word)) == nil {
                return (PlanRouteRole.unknown(String(word)), [.key("routing"), .key("exceptions"), .index(k)])
            }
            known.insert(list)
        }
        for (i, c) in plan.routing.classes.enumerated() {
            for (key, list) in [("columns", c.columns), ("rows", c.rows)] where list.contains(where: { $0 < 0 || $0 > maxFabricSide }) {
                return ("\(key) must lie between 0 and \(maxFabricSide)", [.key("routing"), .key("classes"), .index(i), .key(key)])
            }
            for (key, list) in [("columns", c.columns), ("rows", c.rows)] where list.count != 2 || list[0] > list[1] {
                return ("\(key) is a range [first, end) with first <= end", [.key("routing"), .key("classes"), .index(i), .key(key)])
            }
            if c.segment < 1 || c.segment > maxFabricSide {
                return ("segment must be between 1 and \(maxFabricSide)", [.key("routing"), .key("classes"), .index(i), .key("segment")])
            }
        }
        for (i, b) in plan.routing.bundles.enumerated() {
            let fields = [("lanes", b.lanes), ("source_row", b.sourceRow), ("sink_row", b.sinkRow), ("first_column", b.firstColumn),
                          ("sink_column", b.sinkColumn ?? 0), ("row_step", abs(b.rowStep)), ("column_step", abs(b.columnStep))]
            for (key, value) in fields where value < 0 || value > maxFabricSide {
                return ("\(key) must be between \(key.hasSuffix("step") ? "-\(maxFabricSide)" : "0") and \(maxFabricSide)", [.key("routing"), .key("bundles"), .index(i), .key(key)])
            }
            if b.skipColumns.count > maxFabricSide {
                return ("skip_columns lists at most \(maxFabricSide) columns", [.key("routing"), .key("bundles"), .index(i), .key("skip_columns")])
            }
            // Lane ends move linearly with the lane index: the first and last lanes bound them all.
            for lane in Set([0, max(0, b.lanes - 1)]) where b.lanes > 0 {
                let s = b.source(lane: lane), cornerY = b.sinkRow + b.rowStep * lane, endX = b.sinkColumn ?? s.x
                if s.x < 0 || s.x >= t.fabricWidth || s.y < 0 || s.y >= t.fabricHeight || cornerY < 0 || cornerY >= t.fabricHeight || endX >= t.fabricWidth {
                    return ("lane \(lane) leaves the \(t.fabricWidth) x \(t.fabricHeight) fabric", [.key("routing"), .key("bundles"), .index(i)])
                }
            }
        }
        return nil
    }

    /// A wafer's `redundancy` record: counts 0 ... 2^24 (a wafer's PEs), bypass hops
    /// 0 ... `maxBypassHops`, and `absorbed + holes = physical_dead_pes`. O(1).
    static func redundancyViolation(_ r: PlanRedundancy) -> (message: String, key: String)? {
        let limit = maxFabricSide * maxFabricSide
        for (key, value) in [("physical_dead_pes", r.physicalDeadPes), ("absorbed", r.absorbed), ("holes", r.holes)] where value < 0 || value > limit {
            return ("\(key) must be between 0 and \(limit) (a wafer's PEs)", key)
        }
        for (key, value) in [("bypass_hops_rows", r.bypassHopsRows), ("bypass_hops_columns", r.bypassHopsColumns)] where value < 0 || value > maxBypassHops {
            return ("\(key) must be between 0 and \(maxBypassHops)", key)
        }
        for (key, value) in [("row_window_columns", r.rowWindowColumns), ("row_windows_per_block", r.rowWindowsPerBlock), ("block_rows", r.blockRows)] {
            if let value, value < 1 || value > maxFabricSide { return ("\(key) must be between 1 and \(maxFabricSide)", key) }
        }
        if let hops = r.rowLinkHops, hops < 0 || hops > maxBypassHops { return ("row_link_hops must be between 0 and \(maxBypassHops)", "row_link_hops") }
        if let windows = r.rowWindows {
            if windows.count > maxFabricSide * maxFabricSide { return ("row_windows has \(windows.count) entries, more than \(maxFabricSide * maxFabricSide)", "row_windows") }
            if windows.contains(where: { $0 < 0 || $0 > maxBypassHops }) { return ("row_windows entries must be between 0 and \(maxBypassHops)", "row_windows") }
            if let perBlock = r.rowWindowsPerBlock, perBlock > 0, windows.count % perBlock != 0 {
                return ("row_windows (\(windows.count) entries) must hold whole blocks of row_windows_per_block (\(perBlock))", "row_windows")
            }
        }
        if r.absorbed + r.holes != r.physicalDeadPes {
            return ("absorbed (\(r.absorbed)) plus holes (\(r.holes)) must equal physical_dead_pes (\(r.physicalDeadPes))", "holes")
        }
        return nil
    }

    /// Most bypass hops a plan records for a line: 2^24, so twice that times the plan's largest
    /// hop latency stays far below 2^63 cycles.
    public static let maxBypassHops = 1 << 24
}
