import WaferIR
import WaferSupport
import WaferTarget

/// The partition's pieces as the tile pass sees them: a unit's base (its dense weights and KV
/// cache, plus the routed experts kept on its wafer) and a slice of its routed experts on another
/// wafer, each evaluated per PE on a slot geometry by `TilePass.bytesPerPE` (the tile pass's
/// padding rules, without its cycle model) into tables shared by every packing the partition
/// tries, and each wafer's `WaferFit` over the geometries its defects leave. A slot too small for
/// a piece's raw bytes (raw bytes / slot PEs over a PE's budget) is rejected without evaluating.
/// Cost: at most one evaluation per piece, expert count and slot size; O(grids x spares x dead
/// PEs) per distinct wafer.
final class TilePieces {
    private let graph: Graph
    private let config: TileConfig
    private let kv: KVCacheShape
    /// Raw bytes of each unit's base (weights outside routed experts, KV cache) and of one expert.
    private let rawBase: [Int], rawExpert: [Int]
    private let budget: Int
    private let target: Target
    private let context: PassContext
    private let bases: [TilePass.Unit]
    private let remotes: [TilePass.Unit?]
    /// The tied head (a unit whose op reads another unit's weight) and that unit, by index.
    let tiedHead: (head: Int, owner: Int)?
    private var fits: [Int: WaferFit] = [:]
    private var defectFree: WaferFit?
    /// The wafers whose fits `prepare` derived.
    private var prepared = 0..<0
    /// Slot sizes met so far, each with its index in the byte tables.
    private var sizes: [Size: Int] = [:]
    private var sizeList: [Size] = []
    /// Per-PE bytes of each piece and expert count, per slot size index (-1: not evaluated yet).
    private var tables: [PieceKey: ByteTable] = [:]

    struct Size: Hashable { var width: Int; var height: Int }
    struct PieceKey: Hashable { var unit: Int; var remote: Bool; var experts: Int }
    /// One piece's per-PE bytes by slot size index, filled on first use.
    final class ByteTable { var bytes: [Int] = [] }

    init(graph: Graph, units: [PartitionPass.Unit], target: Target, context: PassContext, kv: KVCacheShape) {
        self.graph = graph
        config = context.options.tile
        self.kv = kv
        rawExpert = units.map(\.expertBytes)
        budget = target.dataBytesPerPE
        self.target = target
        self.context = context
        bases = units.map { TilePass.Unit(name: $0.name, ops: $0.ops, wafer: 0, base: true, expertOp: $0.moeOp, experts: 0..<0) }
        remotes = units.map { unit in
            unit.moeOp.map { TilePass.Unit(name: unit.name, ops: $0..<($0 + 1), wafer: 0, base: false, expertOp: $0, experts: 0..<0) }
        }
        // Counted as the evaluation counts them (`TilePass.rawBytes`), so the prefilter below is a true lower bound.
        rawBase = bases.map { TilePass.rawBytes($0, graph: graph, kv: kv) }
        let waferOf = PartitionPass.tiedHeadsHome(Array(units.indices), units: units, graph: graph)
        tiedHead = waferOf.indices.first { waferOf[$0] != $0 }.map { (head: $0, owner: waferOf[$0]) }
    }

    /// Per-PE bytes of unit `u`'s base with `experts` routed experts kept beside it, per slot
    /// geometry (a table lookup once evaluated). O(1) amortised.
    func base(_ u: Int, experts: Int) -> (WaferFit.Geometry) -> Int {
        var unit = bases[u]
        unit.experts = 0..<experts
        return bytes(PieceKey(unit: u, remote: false, experts: experts), unit, raw: rawBase[u] + experts * rawExpert[u])
    }

    /// Per-PE bytes of a slice of `experts` of unit `u`'s routed experts on a wafer without its
    /// base, per slot geometry. O(1) amortised.
    func remote(_ u: Int, experts: Int) -> (WaferFit.Geometry) -> Int {
        guard var unit = remotes[u] else { return { _ in 0 } }
        unit.experts = 0..<experts
        return bytes(PieceKey(unit: u, remote: true, experts: experts), unit, raw: experts * rawExpert[u])
    }

    /// The byte lookup of one piece (`raw` bytes before padding): its table, evaluated on a miss;
    /// over the budget without evaluating where the raw bytes alone are.
    private func bytes(_ key: PieceKey, _ unit: TilePass.Unit, raw: Int) -> (WaferFit.Geometry) -> Int {
        let table: ByteTable
        if let hit = tables[key] { table = hit } else { table = ByteTable(); tables[key] = table }
        return { [self] g in
            if table.bytes.count <= g.size { table.bytes += Array(repeating: -1, count: sizeList.count - table.bytes.count) }
            let known = table.bytes[g.size]
            if known >= 0 { return known }
            let pes = g.width * g.height
            let value = (raw + pes - 1) / pes > budget ? budget + 1
                : TilePass.bytesPerPE(unit, graph: graph, width: g.width, height: g.height, kv: kv, config: config)
            table.bytes[g.size] = value
            return value
        }
    }

    /// An empty `WaferFit` for `wafer` (its effective defects; wafers beyond a map defect-free). O(1) when cached.
    func fit(forWafer wafer: Int) -> WaferFit {
        if fits[wafer] == nil { prepare(wafer..<(wafer + max(prepared.count, 1))) }
        return fits[wafer] ?? defectFreeFit()
    }

    /// Derives the geometries of `wafers` on all cores (each wafer's effective defects, then the
    /// slot grids they leave usable), in wafer order: the same fits whatever the thread count.
    /// O(wafers x (sealing + grids x spares x dead PEs)) work.
    func prepare(_ wafers: Range<Int>) {
        let (target, context, config) = (self.target, self.context, self.config)
        let lists = parallelMap(wafers.count) { i -> [WaferFit.Geometry]? in
            let dead = TilePass.programDead(context.effectiveDefects(forWafer: wafers.lowerBound + i) ?? .none, target: target)
            return dead.points.isEmpty ? nil : WaferFit.geometries(target: target, dead: dead, config: config, fixedSlot: context.deployment.slot)
        }
        for (i, list) in lists.enumerated() {
            fits[wafers.lowerBound + i] = list.map { WaferFit(geometries: sized($0), budget: budget) } ?? defectFreeFit()
        }
        prepared = prepared.lowerBound..<max(prepared.upperBound, wafers.upperBound)
    }

    /// The fit of a wafer without defects, shared by every such wafer. O(grids) once.
    private func defectFreeFit() -> WaferFit {
        if let defectFree { return defectFree }
        let clean = WaferFit.geometries(target: target, dead: TilePass.programDead(.none, target: target), config: config, fixedSlot: context.deployment.slot)
        let fit = WaferFit(geometries: sized(clean), budget: budget)
        defectFree = fit
        return fit
    }

    /// `geometries` with each slot size's table index. O(geometries).
    private func sized(_ geometries: [WaferFit.Geometry]) -> [WaferFit.Geometry] {
        var result = geometries
        for i in result.indices {
            let size = Size(width: result[i].width, height: result[i].height)
            if let known = sizes[size] { result[i].size = known } else {
                result[i].size = sizeList.count
                sizes[size] = sizeList.count
                sizeList.append(size)
            }
        }
        return result
    }

    /// Places unit `u`'s base (no experts yet) on `fit`, with the tied head's bytes reserved when
    /// `u` holds the weight a tied head reads; false, and `fit` unchanged, when it does not tile. O(geometries).
    func placeBase(_ u: Int, on fit: inout WaferFit) -> Bool {
        if let tied = tiedHead, tied.head == u { return true }  // stacked with its owner, reserved there
        var next = fit
        guard next.add(base(u, experts: 0)) else { return false }
        if let tied = tiedHead, tied.owner == u, !next.reserveHead(base(tied.head, experts: 0)) { return false }
        fit = next
        return true
    }

    /// The most of unit `u`'s routed experts, up to `most`, that `fit` still holds: kept beside
    /// the base it placed last (`local`) or as a new slice. Per-PE bytes grow with the expert
    /// count only roughly (the best cell grid changes with it: 57 experts may not fit where 60
    /// do), so a binary search finds a count that holds and a scan down from `most` the largest.
    /// O((log most + most - found) x geometries).
    func mostExperts(_ u: Int, upTo most: Int, local: Bool, on fit: WaferFit) -> Int {
        func holds(_ n: Int) -> Bool {
            if n == 0 { return true }
            return local ? fit.canGrowLast(base(u, experts: n)) : fit.canAdd(remote(u, experts: n))
        }
        if most <= 0 || holds(most) { return max(most, 0) }
        var low = 0, high = most  // holds(low), !holds(high)
        while high - low > 1 {
            let middle = (low + high) / 2
            if holds(middle) { low = middle } else { high = middle }
        }
        for n in stride(from: most - 1, to: low, by: -1) where holds(n) { return n }
        return low
    }

    /// Places `n` of unit `u`'s routed experts on `fit` (beside its base, `local`, or as a new
    /// slice). The caller chose `n` with `mostExperts`, so it holds. O(geometries).
    func placeExperts(_ u: Int, _ n: Int, local: Bool, on fit: inout WaferFit) {
        guard n > 0 else { return }
        if local { fit.growLast(base(u, experts: n)) } else { fit.add(remote(u, experts: n)) }
    }
}
