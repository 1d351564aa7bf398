import WaferIR
import WaferSupport
import WaferTarget

/// Assigns the model to wafers as pipeline stages, in model order.
///
/// Units are the embedding, each decoder layer and each op after the layer stack; a decoder
/// layer with routed experts may be split between its experts. Each unit costs its weight bytes
/// plus its KV cache (`OpKind.kvCacheBytes`) and does an expected amount of work per decode step
/// (weight MACs, attention over the cache, and `top_k / experts` of each expert).
///
/// Every packing below places a piece (a unit's base, some of its routed experts) on a wafer
/// only while the wafer's usable bytes hold it *and* its tiles still fit: `WaferFit` follows the
/// tile pass's own stacking on every slot grid it would try, padding included, so the tile pass
/// never finds a wafer it cannot tile and the pipeline runs once.
/// 1. **Fewest wafers.** Greedy next-fit in model order, filling each wafer to its usable bytes
///    (live program-area PEs x data bytes per PE, so defects shrink it) and its tiles. For
///    contiguous segments with fixed capacities this is optimal: by exchange, no partition can
///    end its k-th segment later than greedy does.
/// 2. **Spread.** At that count (or the user's fixed count), bisect the smallest fill (share of
///    each wafer's usable bytes) at which greedy still fits, so every wafer keeps about the same
///    headroom for finer slot grids and compact regions (`PartitionConfig.fillSteps`).
/// 3. **Balance.** At that count and fill, binary search the smallest cap on per-stage work for
///    which the same greedy, bounded by both bytes and work, still fits — the classic
///    linear-partition bottleneck problem. Experts are split across wafers only where a whole
///    layer does not fit under the caps, which keeps inter-wafer traffic to one activation
///    hand-off per boundary plus expert dispatch at split layers.
/// 4. **Level.** At that cap, re-cut so each wafer takes close to an equal share of the work.
/// Cost: O(units x (64 + 10)) greedy runs of O(units) fit checks each (64:
/// `PartitionConfig.bisectionSteps`, 10: `fillSteps`), each check O(slot grids).
public struct PartitionPass: Pass {
    public let name = "partition"
    public let summary = "assign layers (and experts) to wafers as balanced pipeline stages"
    /// The most wafers a plan may use (the defect-map format's limit too).
    public static let maxWafers = DefectMapIO.maxWafers

    /// The most wafers of `target` one plan may use: `maxWafers`, and no more than
    /// `TargetLimits.maxDeploymentPEs` PEs in all, so that compiling and checking stay within
    /// their memory budget (150 WSE-3 wafers; 4,096 of a 64 x 64 test fabric).
    public static func maxWafers(for target: Target) -> Int {
        min(maxWafers, max(1, TargetLimits.maxDeploymentPEs / max(target.fabricPEs, 1)))
    }

    public init() {}

    public func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        let target = try requireTarget(context)
        let deployment = context.deployment
        try deployment.slot?.checkFits(target)
        let shape = KVCacheShape(contextTokens: deployment.contextTokens, batch: deployment.batch, element: deployment.kvElement, sequences: deployment.sequences)
        let units = try Self.units(graph, shape: shape)
        var capacities = CapacityTable(target: target, defects: context.defects, slot: deployment.slot,
                                       pieces: TilePieces(graph: graph, units: units, target: target, context: context, kv: shape))

        let limit: Int?
        switch deployment.wafers {
        case .auto: limit = context.defects.waferLimit
        case let .exactly(n):
            if let mapLimit = context.defects.waferLimit, n > mapLimit {
                throw .error(PassFailure.wafersBeyondMap, "--wafers \(n) asks for more wafers than the defect map describes (\(mapLimit))", at: nil)
            }
            limit = n
        }
        guard let total = Checked.sum(units.map(\.bytes)) else {
            throw .error(PassFailure.overflow, "\(graph.name)'s weights and KV cache overflow 64-bit byte counts at context \(deployment.contextTokens) x batch \(deployment.batch)", at: nil)
        }
        let lowerBound = try capacities.lowerBound(total: total, file: graph.sourceFile)
        let most = Self.maxWafers(for: target)
        let why = most < Self.maxWafers ? " (\(Units.grouped(TargetLimits.maxDeploymentPEs)) PEs in all, what one compile holds in memory)" : ""
        if case let .exactly(n) = deployment.wafers, n > most {
            throw .error(PassFailure.waferLimit, "--wafers \(n): WaferMap plans at most \(most) \(target.name) wafers\(why)", at: nil)
        }
        guard lowerBound <= most else {
            throw .error(PassFailure.waferLimit, "\(graph.name) needs more than \(most) \(target.name) wafers at context \(deployment.contextTokens) x batch \(deployment.batch) (\(Units.grouped(total)) bytes); WaferMap plans at most \(most)\(why)", at: nil)
        }
        // The wafers the packing will most likely look at, their defects sealed on all cores.
        capacities.pieces.prepare(0..<min(most, lowerBound + max(2, lowerBound / 10)))
        if let pins = context.pins {
            let pinned = try Self.pinned(pins, units: units)
            try Self.apply(pinned, units: units, to: &graph, target: target, shape: shape, capacities: &capacities,
                           lowerBound: lowerBound, fixed: deployment.wafers != .auto)
            return
        }

        // 1. The fewest wafers, ignoring work.
        let unlimited = try Self.greedy(units, workCap: .infinity, capacities: &capacities, limit: most)
        guard let minimum = unlimited else {
            throw .error(PassFailure.waferLimit, "\(graph.name) needs more than \(most) \(target.name) wafers once layers are packed whole; WaferMap plans at most \(most)\(why)", at: nil)
        }
        let needed = minimum.count
        if let limit, needed > limit {
            let reason = deployment.wafers == .auto ? "the defect map describes \(limit) wafers" : "--wafers \(limit) was given"
            throw .error(PassFailure.tooFewWafers, "\(graph.name) needs \(needed) \(target.name) wafers at context \(deployment.contextTokens) x batch \(deployment.batch) (lower bound \(lowerBound)), but \(reason)", at: nil)
        }
        let count: Int
        if case let .exactly(n) = deployment.wafers { count = n } else { count = needed }

        // 2. Spread the bytes at that count: the smallest fill at which packing still fits it,
        //    so every wafer keeps about the same headroom, which the tile pass spends on finer
        //    grids and compact regions.
        var best = minimum
        if let spread = try Self.spreadBytes(units, workCap: .infinity, count: count, capacities: &capacities,
                                             steps: context.options.partition.fillSteps) {
            best = spread
        }
        // 3. Balance work at that count and fill.
        var low = units.map(\.largestPieceWork).max() ?? 0
        var high = units.reduce(0.0) { $0 + $1.work }
        if high > 0 {
            if let fit = try Self.greedy(units, workCap: high, capacities: &capacities, limit: count) { best = fit }
            let config = context.options.partition
            for _ in 0..<config.bisectionSteps where high - low > high * config.bisectionTolerance {
                let middle = (low + high) / 2
                if let fit = try Self.greedy(units, workCap: middle, capacities: &capacities, limit: count) {
                    best = fit
                    high = middle
                } else {
                    low = middle
                }
            }
        }
        // 4. Level: at the same bottleneck, give every wafer close to an equal share of work.
        if high > 0, let leveled = try Self.level(units, workCap: high, count: best.count, capacities: &capacities,
                                                  stepDivisor: context.options.partition.levelStepDivisor) {
            best = leveled
        }
        try Self.apply(best, units: units, to: &graph, target: target, shape: shape, capacities: &capacities,
                       lowerBound: lowerBound, fixed: deployment.wafers != .auto)
    }

    // MARK: - Units

    /// A piece of the model that moves to a wafer whole, except its routed experts.
    struct Unit {
        var name: String
        var ops: Range<Int>
        /// Weights outside routed experts plus the KV cache.
        var baseBytes: Int
        var baseWork: Double
        /// The op whose routed experts may be split, their count and per-expert cost.
        var moeOp: Int?
        var experts: Int
        var expertBytes: Int
        var expertWork: Double

        var bytes: Int { baseBytes + experts * expertBytes }
        var work: Double { baseWork + Double(experts) * expertWork }
        var largestPieceWork: Double { max(baseWork, expertWork) }
    }

    static func units(_ graph: Graph, shape: KVCacheShape) throws(DiagnosticError) -> [Unit] {
        func overflow(_ op: Op) -> DiagnosticError {
            .error(PassFailure.overflow, "the weights and KV cache of the unit holding '\(op.name)' overflow 64-bit integers", at: op.location)
        }
        var units: [Unit] = []
        let ops = graph.ops
        for range in graph.unitRanges() {
            let index = range.lowerBound, end = range.upperBound
            var unit = Unit(name: ops[index].layer.map { "layer \($0)" } ?? ops[index].name, ops: index..<end,
                            baseBytes: 0, baseWork: 0, moeOp: nil, experts: 0, expertBytes: 0, expertWork: 0)
            for opIndex in index..<end {
                let op = ops[opIndex]
                guard let kv = op.kind.kvCacheBytes(shape), let attention = op.kind.attentionMACs(context: shape.contextTokens) else {
                    throw .error(PassFailure.overflow, "the KV cache of '\(op.name)' overflows 64-bit integers", at: op.location)
                }
                let batch = Double(shape.batch)
                if case let .moe(a) = op.kind, unit.moeOp == nil {
                    let perExpert = op.perExpert
                    unit.moeOp = opIndex
                    unit.experts = a.experts
                    unit.expertBytes = perExpert.bytes
                    unit.expertWork = Double(perExpert.parameters) * Double(a.topK) / Double(a.experts) * batch
                    guard let base = Checked.sum([unit.baseBytes, op.nonExpert.bytes, kv]) else { throw overflow(op) }
                    unit.baseBytes = base
                } else {
                    guard let base = Checked.sum([unit.baseBytes, kv] + op.weights.map(\.bytes)) else { throw overflow(op) }
                    unit.baseBytes = base
                    if case .moe(let a) = op.kind {
                        unit.baseWork += Double(op.perExpert.parameters) * Double(a.topK) * batch
                    }
                }
                unit.baseWork += (Double(op.denseMACsPerToken) + Double(attention)) * batch
            }
            units.append(unit)
        }
        return units
    }

    // MARK: - Greedy packing

    /// One wafer's contents during packing.
    struct Bin {
        var wafer: Int
        var bytes = 0
        var work = 0.0
        var isEmpty = true
    }

    /// Where each unit went: the wafer of its base and its expert slices.
    struct Assignment {
        var count: Int
        var baseWafer: [Int]
        var slices: [[ExpertSlice]]
    }

    /// Packs units in order under both caps and, with `capacities.pieces`, only where the pieces
    /// still tile (`WaferFit`); nil when more than `limit` wafers would be needed. Throws when a
    /// single piece exceeds or does not tile on an empty wafer. O(units + expert splits x log experts) fit checks.
    static func greedy(_ units: [Unit], workCap: Double, capacities: inout CapacityTable, limit: Int?) throws(DiagnosticError) -> Assignment? {
        var bin = Bin(wafer: 0)
        var fit = capacities.pieces.fit(forWafer: 0)
        var baseWafer: [Int] = []
        var slices: [[ExpertSlice]] = []
        baseWafer.reserveCapacity(units.count)
        let slack = 1e-9 * max(workCap.isFinite ? workCap : 0, 1)

        func fits(_ bytes: Int, _ work: Double, _ bin: Bin, _ capacity: Int) -> Bool {
            bin.bytes + bytes <= capacity && bin.work + work <= workCap + slack
        }
        for (u, unit) in units.enumerated() {
            var capacity = try capacities.capacity(bin.wafer)
            func tooBig(_ wafer: Int, _ capacity: Int) -> DiagnosticError {
                .error(PassFailure.unitTooLarge, "\(unit.name) needs \(Units.grouped(unit.baseBytes)) bytes without its experts, more than wafer \(wafer)'s usable \(Units.grouped(capacity)) bytes; WaferMap does not split a layer's dense weights across wafers", at: nil)
            }
            if !fits(unit.baseBytes, unit.baseWork, bin, capacity) || !capacities.pieces.placeBase(u, on: &fit) {
                if bin.isEmpty {
                    if unit.baseBytes > capacity { throw tooBig(bin.wafer, capacity) }
                    if unit.baseWork <= workCap + slack { throw capacities.doesNotTile(unit.name, wafer: bin.wafer) }
                    return nil
                }
                bin = Bin(wafer: bin.wafer + 1)
                if let limit, bin.wafer >= limit { return nil }
                capacity = try capacities.capacity(bin.wafer)
                fit = capacities.pieces.fit(forWafer: bin.wafer)
                if !fits(unit.baseBytes, unit.baseWork, bin, capacity) || !capacities.pieces.placeBase(u, on: &fit) {
                    if unit.baseBytes > capacity { throw tooBig(bin.wafer, capacity) }
                    if unit.baseWork <= workCap + slack { throw capacities.doesNotTile(unit.name, wafer: bin.wafer) }
                    return nil
                }
            }
            bin.bytes += unit.baseBytes
            bin.work += unit.baseWork
            bin.isEmpty = false
            baseWafer.append(bin.wafer)
            var unitSlices: [ExpertSlice] = []
            var next = 0
            while next < unit.experts {
                let remaining = unit.experts - next
                var n = remaining
                if unit.expertBytes > 0 { n = min(n, max(0, capacity - bin.bytes) / unit.expertBytes) }
                if unit.expertWork > 0 {
                    let room = ((workCap + slack - bin.work) / unit.expertWork).rounded(.down)
                    n = min(n, room.isFinite ? Int(max(0, min(room, Double(remaining)))) : remaining)
                }
                // One slice per wafer: after a slice, the wafer is full for this unit.
                let local = bin.wafer == baseWafer[u]
                n = bin.wafer == unitSlices.last?.wafer ? 0 : capacities.pieces.mostExperts(u, upTo: n, local: local, on: fit)
                if n == 0 {
                    if bin.isEmpty {
                        if unit.expertBytes > capacity {
                            throw .error(PassFailure.unitTooLarge, "one expert of \(unit.name) needs \(Units.grouped(unit.expertBytes)) bytes, more than wafer \(bin.wafer)'s usable \(Units.grouped(capacity)) bytes", at: nil)
                        }
                        if unit.expertWork <= workCap + slack { throw capacities.doesNotTile("one expert of \(unit.name)", wafer: bin.wafer) }
                        return nil
                    }
                    bin = Bin(wafer: bin.wafer + 1)
                    if let limit, bin.wafer >= limit { return nil }
                    capacity = try capacities.capacity(bin.wafer)
                    fit = capacities.pieces.fit(forWafer: bin.wafer)
                    continue
                }
                capacities.pieces.placeExperts(u, n, local: local, on: &fit)
                unitSlices.append(ExpertSlice(wafer: bin.wafer, first: next, count: n))
                bin.bytes += n * unit.expertBytes
                bin.work += Double(n) * unit.expertWork
                bin.isEmpty = false
                next += n
            }
            slices.append(unitSlices)
        }
        return Assignment(count: bin.wafer + 1, baseWafer: baseWafer, slices: slices)
    }

    // MARK: - Spreading bytes

    /// Bisects the fill limit (the share of each wafer's usable bytes packing may fill) down to
    /// the smallest at which greedy packing under `workCap` still fits `count` wafers, `steps`
    /// halvings between the bytes' average share and the current limit, and leaves that limit
    /// in `capacities` for leveling. Nil (the limit unchanged) when no lower one fits.
    /// O(steps) greedy runs.
    static func spreadBytes(_ units: [Unit], workCap: Double, count: Int, capacities: inout CapacityTable,
                            steps: Int) throws(DiagnosticError) -> Assignment? {
        guard count > 1, steps > 0 else { return nil }
        var usable = 0
        for wafer in 0..<count { usable += try capacities.usable(wafer) }
        let total = units.reduce(0) { $0 + $1.bytes }
        var high = capacities.fillLimit, low = min(high, Double(total) / Double(max(usable, 1)))
        var best: Assignment?
        for _ in 0..<steps {
            let middle = (low + high) / 2
            capacities.fillLimit = middle
            // Below the fill the model needs, a piece may not fit an empty wafer: infeasible, not an error.
            if let fit = (try? greedy(units, workCap: workCap, capacities: &capacities, limit: count)) ?? nil {
                best = fit
                high = middle
            } else {
                low = middle
            }
        }
        capacities.fillLimit = high
        return best
    }

    // MARK: - Leveling

    /// A position in the unit sequence: before unit `unit`'s base (`expert == nil`) or after its
    /// base and its first `expert` experts.
    struct Position: Equatable {
        var unit: Int
        var expert: Int?
    }

    /// Packs units from `start` onto wafers `firstWafer...` under both caps, greedily; returns how
    /// many wafers that takes, or nil when a piece fits no empty wafer. Counts bytes only, not
    /// tiles: it guides leveling, which places every piece through the tile fit and gives up
    /// (the greedy cut stands) if the rest then does not fit. O(units).
    static func wafersNeeded(_ units: [Unit], from start: Position, firstWafer: Int, workCap: Double,
                             capacities: inout CapacityTable) throws(DiagnosticError) -> Int? {
        var wafer = firstWafer, bytes = 0, work = 0.0, empty = true
        let slack = 1e-9 * max(workCap, 1)
        func room(_ capacity: Int) -> (Int, Double) { (capacity - bytes, workCap + slack - work) }
        for u in start.unit..<units.count {
            let unit = units[u]
            var placedExperts = 0
            if u == start.unit, let e = start.expert { placedExperts = e } else {
                var capacity = try capacities.capacity(wafer)
                if bytes + unit.baseBytes > capacity || work + unit.baseWork > workCap + slack {
                    if empty { return nil }
                    wafer += 1; bytes = 0; work = 0; empty = true
                    capacity = try capacities.capacity(wafer)
                    if unit.baseBytes > capacity || unit.baseWork > workCap + slack { return nil }
                }
                bytes += unit.baseBytes; work += unit.baseWork; empty = false
            }
            while placedExperts < unit.experts {
                let (byteRoom, workRoom) = room(try capacities.capacity(wafer))
                var n = unit.experts - placedExperts
                if unit.expertBytes > 0 { n = min(n, max(0, byteRoom) / unit.expertBytes) }
                if unit.expertWork > 0 { n = min(n, Int(max(0, (workRoom / unit.expertWork).rounded(.down)))) }
                if n == 0 {
                    if empty { return nil }
                    wafer += 1; bytes = 0; work = 0; empty = true
                    continue
                }
                placedExperts += n; bytes += n * unit.expertBytes; work += Double(n) * unit.expertWork; empty = false
            }
        }
        return wafer - firstWafer + 1
    }

    /// Re-cuts a feasible partition so each wafer takes about the remaining work divided by the
    /// remaining wafers, never exceeding `workCap` or a wafer's capacity, and only where the rest
    /// still fits on the wafers left. Returns nil when no such cut exists (the greedy result then
    /// stands). Where the rest would not fit, a wafer takes more experts in steps of
    /// `1 / stepDivisor` of its remaining room (`PartitionConfig.levelStepDivisor`). Pieces go
    /// only where the wafer still tiles (`WaferFit`).
    /// O(wafers x units) feasibility checks of O(units) each.
    static func level(_ units: [Unit], workCap: Double, count: Int, capacities: inout CapacityTable,
                      stepDivisor: Int = PartitionConfig().levelStepDivisor) throws(DiagnosticError) -> Assignment? {
        guard count > 1 else { return nil }
        var baseWafer = Array(repeating: 0, count: units.count)
        var slices = Array(repeating: [ExpertSlice](), count: units.count)
        var position = Position(unit: 0, expert: nil)
        var remaining = units.reduce(0.0) { $0 + $1.work }
        let slack = 1e-9 * max(workCap, 1)
        for wafer in 0..<count {
            let capacity = try capacities.capacity(wafer)
            let share = remaining / Double(count - wafer)
            var bytes = 0, work = 0.0
            var fit = capacities.pieces.fit(forWafer: wafer), baseHere: Int?
            let last = wafer == count - 1
            // Take pieces while they fit and tile; stop at the share unless the rest would not fit.
            while position.unit < units.count {
                let unit = units[position.unit]
                if position.expert == nil {
                    var placed = fit
                    let fits = bytes + unit.baseBytes <= capacity && work + unit.baseWork <= workCap + slack
                        && capacities.pieces.placeBase(position.unit, on: &placed)
                    if !fits { break }
                    let overShare = work + unit.baseWork > share && work > 0
                    if overShare && !last {
                        if let n = try wafersNeeded(units, from: position, firstWafer: wafer + 1, workCap: workCap, capacities: &capacities),
                           n <= count - wafer - 1 {
                            // Stop before this base if that lands closer to the share.
                            if abs(work - share) <= abs(work + unit.baseWork - share) { break }
                        }
                    }
                    bytes += unit.baseBytes; work += unit.baseWork
                    fit = placed
                    baseHere = position.unit
                    baseWafer[position.unit] = wafer
                    position.expert = unit.experts > 0 ? 0 : nil
                    if unit.experts == 0 { position.unit += 1 }
                    continue
                }
                // Experts of the current unit: how many fit, and how many reach the share.
                let done = position.expert ?? 0
                var n = unit.experts - done
                if unit.expertBytes > 0 { n = min(n, max(0, capacity - bytes) / unit.expertBytes) }
                if unit.expertWork > 0 { n = min(n, Int(max(0, ((workCap + slack - work) / unit.expertWork).rounded(.down)))) }
                let local = baseHere == position.unit
                n = capacities.pieces.mostExperts(position.unit, upTo: n, local: local, on: fit)
                if !last && unit.expertWork > 0 {
                    let toShare = Int(max(0, ((share - work) / unit.expertWork).rounded()))
                    var take = min(n, toShare)
                    // Take more only if the rest would not fit otherwise.
                    while take < n {
                        let next = Position(unit: position.unit, expert: done + take)
                        if let needed = try wafersNeeded(units, from: next, firstWafer: wafer + 1, workCap: workCap, capacities: &capacities),
                           needed <= count - wafer - 1 { break }
                        take = min(n, take + max(1, (n - take) / stepDivisor))
                    }
                    n = take
                }
                if n > 0 {
                    capacities.pieces.placeExperts(position.unit, n, local: local, on: &fit)
                    slices[position.unit].append(ExpertSlice(wafer: wafer, first: done, count: n))
                    bytes += n * unit.expertBytes; work += Double(n) * unit.expertWork
                }
                if done + n == unit.experts {
                    position = Position(unit: position.unit + 1, expert: nil)
                } else {
                    position.expert = done + n
                    break
                }
            }
            remaining -= work
        }
        guard position.unit >= units.count else { return nil }
        return Assignment(count: count, baseWafer: baseWafer, slices: slices)
    }

    // MARK: - Pinned

    /// The assignment `pins` fix, checked against the model's units: the same units in the same
    /// order, expert slices that cover each unit's experts in order, wafers in range. A unit's
    /// bytes are not checked against a wafer's capacity here: the tile pass finds out whether
    /// its slots still hold them. O(units + slices).
    static func pinned(_ pins: LayoutPins, units: [Unit]) throws(DiagnosticError) -> Assignment {
        guard pins.units.count == units.count else {
            throw .error(PassFailure.partitionPins, "the pinned layout has \(pins.units.count) units, the model has \(units.count)", at: nil)
        }
        let count = pins.wafers.count
        guard count >= 1, count <= maxWafers else { throw .error(PassFailure.partitionPins, "the pinned layout has \(count) wafers", at: nil) }
        var baseWafer: [Int] = []
        var slices: [[ExpertSlice]] = []
        for (pin, unit) in zip(pins.units, units) {
            guard pin.name == unit.name else {
                throw .error(PassFailure.partitionPins, "the pinned layout's unit '\(pin.name)' is '\(unit.name)' in the model", at: nil)
            }
            guard (0..<count).contains(pin.wafer) else { throw .error(PassFailure.partitionPins, "\(unit.name) is pinned to wafer \(pin.wafer) of \(count)", at: nil) }
            var next = 0
            for slice in pin.expertSlices {
                guard slice.first == next, slice.count > 0, (0..<count).contains(slice.wafer) else {
                    throw .error(PassFailure.partitionPins, "\(unit.name)'s pinned expert slices do not cover its \(unit.experts) experts in order", at: nil)
                }
                next += slice.count
            }
            guard next == unit.experts else {
                throw .error(PassFailure.partitionPins, "\(unit.name)'s pinned expert slices cover \(next) of its \(unit.experts) experts", at: nil)
            }
            baseWafer.append(pin.wafer)
            slices.append(pin.expertSlices)
        }
        return Assignment(count: count, baseWafer: baseWafer, slices: slices)
    }

    // MARK: - Writing the result into the IR

    static func apply(_ assignment: Assignment, units: [Unit], to graph: inout Graph, target: Target, shape: KVCacheShape,
                      capacities: inout CapacityTable, lowerBound: Int, fixed: Bool) throws(DiagnosticError) {
        var stages: [Stage] = []
        for wafer in 0..<assignment.count {
            let live = try capacities.livePEs(wafer)
            stages.append(Stage(wafer: wafer, livePEs: live, deadPEs: target.programPEs - live,
                                usableBytes: live * target.dataBytesPerPE,
                                reserveBytes: live * target.runtimeReserveBytesPerPE,
                                bufferBytes: live * target.bufferBytesPerPE,
                                sramBytes: live * target.sramBytesPerPE))
        }
        let activationBytes = graph.hidden * (graph.activation.bits / 8) * shape.batch
        let waferOf = Self.tiedHeadsHome(assignment.baseWafer, units: units, graph: graph)
        for (unitIndex, unit) in units.enumerated() {
            let wafer = waferOf[unitIndex]
            for opIndex in unit.ops {
                graph.ops[opIndex].placement = OpPlacement(wafer: wafer)
                let op = graph.ops[opIndex]
                let kv = op.kind.kvCacheBytes(shape) ?? 0
                let bytes = opIndex == unit.moeOp ? op.nonExpert.bytes : op.weights.reduce(0) { $0 + $1.bytes }
                stages[wafer].weightBytes += bytes
                stages[wafer].kvBytes += kv
            }
            stages[wafer].macsPerStep += Int(unit.baseWork.rounded())
            if let moe = unit.moeOp {
                graph.ops[moe].placement?.expertSlices = assignment.slices[unitIndex]
                for slice in assignment.slices[unitIndex] {
                    stages[slice.wafer].weightBytes += slice.count * unit.expertBytes
                    stages[slice.wafer].macsPerStep += Int((Double(slice.count) * unit.expertWork).rounded())
                    if slice.wafer != wafer {
                        // The token goes to the experts' wafer and a partial sum comes back.
                        stages[wafer].outgoingBytesPerStep += activationBytes
                        stages[slice.wafer].outgoingBytesPerStep += activationBytes
                    }
                }
            }
        }
        try Self.checkTiedWeights(graph)
        for index in stages.indices.dropLast() {
            stages[index].outgoingBytesPerStep += activationBytes
        }
        // A tied head moved back to its weight's wafer: the last stage sends it the hidden state.
        if let last = stages.indices.last, last > 0, zip(waferOf, assignment.baseWafer).contains(where: { $0 != $1 }) {
            stages[last].outgoingBytesPerStep += activationBytes
        }
        graph.partition = Partition(targetName: target.name, kvCache: shape, stages: stages,
                                    lowerBoundWafers: lowerBound, waferCountFixed: fixed, fillLimit: capacities.fillLimit)
    }
}

/// Usable bytes per wafer, computed on first use from the defect source. O(dead PEs) per wafer.
struct CapacityTable {
    let target: Target
    let defects: DefectSource
    /// Share of the usable bytes packing may fill (the lower bound always uses all of them).
    var fillLimit: Double
    private var live: [Int] = []

    /// A fixed slot shape (`DeploymentOptions.slot`): only the PEs of the slots that fit count.
    let slot: SlotShape?
    /// The pieces as the tile pass sees them: packing places a piece only where the wafer still
    /// tiles (`WaferFit`).
    let pieces: TilePieces

    init(target: Target, defects: DefectSource, fillLimit: Double = 1.0, slot: SlotShape? = nil, pieces: TilePieces) {
        self.target = target
        self.defects = defects
        self.fillLimit = min(max(fillLimit, 0.01), 1.0)
        self.slot = slot
        self.pieces = pieces
    }

    /// Live program-area PEs of `wafer`. Wafers beyond a defect map count as defect-free: they
    /// only serve to say how many wafers a model would need; the pass never places on them.
    /// With a fixed slot shape, the live PEs scale by the share of the program area its slots
    /// cover.
    mutating func livePEs(_ wafer: Int) throws(DiagnosticError) -> Int {
        while live.count <= wafer {
            let waferDefects = defects.defects(forWafer: live.count) ?? .none
            var count = target.programPEs - waferDefects.deadPEsInProgramArea(of: target)
            if let slot {
                let grid = slot.grid(programWidth: target.programWidth, programHeight: target.programHeight)
                let covered = min(grid.columns * grid.rows * slot.width * slot.height, target.programPEs)
                count = Int(Double(count) * Double(covered) / Double(max(target.programPEs, 1)))
            }
            live.append(count)
        }
        return live[wafer]
    }

    /// Bytes packing may place on `wafer`: usable bytes times the fill limit.
    mutating func capacity(_ wafer: Int) throws(DiagnosticError) -> Int {
        let usable = try usable(wafer)
        return fillLimit >= 1 ? usable : Int((Double(usable) * fillLimit).rounded(.down))
    }

    /// Live PEs times data bytes per PE. Target limits keep it below 2^41; checked all the same.
    mutating func usable(_ wafer: Int) throws(DiagnosticError) -> Int {
        guard let bytes = Checked.mul(try livePEs(wafer), target.dataBytesPerPE) else {
            throw .error(PassFailure.overflow, "wafer \(wafer)'s usable bytes overflow 64-bit integers", at: nil)
        }
        return bytes
    }

    /// The error for a piece that does not tile on an empty wafer: on no slot grid the tile pass
    /// tries do its per-PE bytes, padding included, fit a PE's budget.
    func doesNotTile(_ piece: String, wafer: Int) -> DiagnosticError {
        .error(PassFailure.tileCapacity, "\(piece) does not tile on wafer \(wafer) even alone: on no slot grid do its per-PE bytes, padding included, fit the \(Units.grouped(target.dataBytesPerPE)) bytes a PE offers for weights and KV cache", at: nil)
    }

    /// The smallest k whose first k capacities sum to at least `total`.
    /// Stops counting past `PartitionPass.maxWafers` (returning a larger number), so a hostile
    /// model cannot make it allocate a table of millions of wafers.
    mutating func lowerBound(total: Int, file: String) throws(DiagnosticError) -> Int {
        var sum = 0, k = 0
        while sum < total {
            if k > PartitionPass.maxWafers { return k }
            let c = try usable(k)
            guard c > 0 else { throw .error(PassFailure.noUsablePEs, "wafer \(k) has no usable PEs", at: nil) }
            // Saturates: a total past Int.max is more than any model needs.
            sum = Checked.add(sum, c) ?? Int.max
            k += 1
        }
        return max(k, 1)
    }
}

extension PartitionPass {
    /// Each unit's wafer, with a tied head moved to the wafer of the unit holding the weight it
    /// reads (it multiplies that weight's tiles where they lie; the last stage hands the hidden
    /// state back to the first over one more wafer link). A tied head has no weight of its own,
    /// so the move frees the last wafer's bias bytes only. O(units x ops).
    static func tiedHeadsHome(_ base: [Int], units: [Unit], graph: Graph) -> [Int] {
        var waferOf = base
        for (index, unit) in units.enumerated() {
            guard let tied = graph.ops[unit.ops].lazy.compactMap(\.tiedWeight).first, let holder = graph.tensor(named: tied)?.op.name else { continue }
            if let owner = units.firstIndex(where: { graph.ops[$0.ops].contains { $0.name == holder } }) {
                waferOf[index] = base[owner]
            }
        }
        return waferOf
    }

    /// A tied head reads the weight it is tied to where that weight lies, so both must be on one
    /// wafer; `tiedHeadsHome` puts it there, and this checks that it did (an invariant: a
    /// failure is a bug). O(ops^2) at worst, over the few tied ops.
    static func checkTiedWeights(_ graph: Graph) throws(DiagnosticError) {
        for op in graph.ops {
            guard let tied = op.tiedWeight, let wafer = op.placement?.wafer else { continue }
            guard let ownerWafer = graph.tensor(named: tied)?.op.placement?.wafer, ownerWafer != wafer else { continue }
            throw .error(PassFailure.invariant, "internal: the tied head '\(op.name)' runs on wafer \(wafer), but the weight it reads (\(tied)) is on wafer \(ownerWafer)",
                         at: op.location)
        }
    }
}
