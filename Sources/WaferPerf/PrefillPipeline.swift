import WaferIR
import WaferPasses
import WaferSupport
import WaferTarget

/// Prefill of a prompt streamed through the decode mapping's regions in chunks
/// (docs/performance-model.md, "Time to first token"). A region is a slot (wafer, slot) of the
/// decode mapping, in execution order; while region k works on chunk c, region k+1 works on
/// chunk c-1. Each chunk pays every transfer's latency and every layer's overhead again.
public struct PrefillPipeline: Sendable {
    /// The chunk counts tried: the estimate keeps the one that minimises the time (C = 1 is the
    /// serial figure, so the pipelined one never exceeds it). Powers of two bound the work to
    /// 511 chunk evaluations per estimate whatever the prompt.
    public static let chunkCounts = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    public var serialCycles: Int
    public var pipelinedCycles: Int
    public var chunks: Int
    public var chunkTokens: Int

    /// Makespan of chunks through regions in order (a flow shop): a region takes chunks in order,
    /// one at a time; a chunk enters region k+1 once region k has finished it; buffers between
    /// regions are unbounded. `cycles[k][c]` is region k's time on chunk c. With equal chunk
    /// times this is the standard fill-and-drain formula: sum over regions of one chunk's time
    /// + (C - 1) x the slowest region's chunk time. O(regions x chunks).
    public static func fillAndDrain(_ cycles: [[Int]]) -> Int {
        var finish: [Int] = []
        for region in cycles {
            var done = 0
            for (c, t) in region.enumerated() {
                done = sat(max(done, finish.indices.contains(c) ? finish[c] : 0), t)
                if finish.indices.contains(c) { finish[c] = done } else { finish.append(done) }
            }
        }
        return finish.last ?? 0
    }

    /// Tokens 1...m each attend to min(t, kept) earlier-or-same tokens.
    static func causalPairs(_ m: Int, kept: Int) -> Int {
        m <= kept ? m * (m + 1) / 2 : kept * (kept + 1) / 2 + (m - kept) * kept
    }

    static func sat(_ a: Int, _ b: Int) -> Int { Checked.add(a, b) ?? Int.max / 4 }

    init(graph: Graph, schedule: Schedule, layout: Layout, routing: Routing, target: Target, prompt: Int,
         region: (Int) -> String) {
        let l = max(prompt, 1)
        let regions = Self.regionOrder(schedule: schedule, layout: layout, region: region)
        var serial = 0, best = Int.max, bestChunks = 1
        for chunks in Self.chunkCounts where chunks <= l {
            let size = Checked.ceilDiv(l, chunks)
            let count = Checked.ceilDiv(l, size)
            let spans = (0..<count).map { c in (start: c * size, tokens: min(size, l - c * size)) }
            let cycles = Self.chunkCycles(graph: graph, schedule: schedule, layout: layout, routing: routing, target: target, chunks: spans,
                                          kvContext: l, regions: regions)
            let total = Self.fillAndDrain(cycles)
            if chunks == 1 { serial = total }
            if total < best { best = total; bestChunks = count }
        }
        serialCycles = serial
        pipelinedCycles = min(best, serial)
        chunks = bestChunks
        chunkTokens = Checked.ceilDiv(l, bestChunks)
    }

    /// The regions in execution order: first appearance of a unit in the schedule, then any unit
    /// left; `unitRegion[u]` is unit u's region index. O(phases + units).
    static func regionOrder(schedule: Schedule, layout: Layout, region: (Int) -> String) -> (count: Int, unitRegion: [Int]) {
        var order: [String: Int] = [:]
        var unitRegion = [Int](repeating: 0, count: layout.units.count)
        for u in schedule.phases.map(\.unit) + Array(layout.units.indices) where layout.units.indices.contains(u) {
            let name = region(u)
            let index = order[name] ?? order.count
            order[name] = index
            unitRegion[u] = index
        }
        return (max(order.count, 1), unitRegion)
    }

    /// `cycles[k][c]`: region k's time on chunk c, the tokens at positions start+1 ... start+tokens
    /// with `kvContext` tokens kept at most (every transfer's and every unit's chunk cost).
    /// The input of `fillAndDrain`. O(chunks x (phases + units x ops)).
    static func chunkCycles(graph: Graph, schedule: Schedule, layout: Layout, routing: Routing, target: Target,
                            chunks: [(start: Int, tokens: Int)], kvContext l: Int, regions: (count: Int, unitRegion: [Int])) -> [[Int]] {
        var cycles = [[Int]](repeating: [Int](repeating: 0, count: chunks.count), count: regions.count)
        for (c, chunk) in chunks.enumerated() {
            for (i, phase) in schedule.phases.enumerated() where phase.kind != .compute && phase.kind != .elementwise {
                let r = layout.units.indices.contains(phase.unit) ? regions.unitRegion[phase.unit] : 0
                // A reduction streaming under its product hides n x its decode figure (product and payload scale with n).
                let hidden = schedule.hiddenCycles.indices.contains(i) ? Checked.product([schedule.hiddenCycles[i], chunk.tokens]) ?? 0 : 0
                let t = Self.transferCycles(phase, graph: graph, routing: routing, target: target, tokens: chunk.tokens)
                cycles[r][c] = Self.sat(cycles[r][c], max(t - hidden, 0))
            }
            for (u, unit) in layout.units.enumerated() {
                let t = Self.unitCycles(unit, graph: graph, layout: layout, target: target, start: chunk.start, tokens: chunk.tokens, prompt: l)
                cycles[regions.unitRegion[u]][c] = Self.sat(cycles[regions.unitRegion[u]][c], t)
            }
        }
        return cycles
    }

    /// One transfer's cycles for a chunk of `tokens`: latency once plus the payload per token;
    /// a system link sends the chunk's vectors. Phases with no flow cost their decode cycles.
    static func transferCycles(_ phase: Phase, graph: Graph, routing: Routing, target: Target, tokens n: Int) -> Int {
        guard let flow = phase.flow.flatMap({ routing.flows.indices.contains($0) ? routing.flows[$0] : nil }) else { return phase.cycles }
        if phase.kind == .link {
            let bytes = Checked.product([graph.hidden, graph.activation.bits / 8, n]) ?? Int.max / 4
            return SchedulePass.linkCycles(bytes: bytes, target: target)
        }
        let perToken = flow.kind == .allreduce ? 2 * flow.payloadWavelets : flow.payloadWavelets
        return sat(phase.cycles, Checked.product([max(n - 1, 0), perToken]) ?? Int.max / 4)
    }

    /// One unit's compute for the chunk of `tokens` at positions start+1 ... start+tokens: weight
    /// MACs x tokens; the chunk's own causal attention pairs (exact, so later chunks cost more);
    /// its share of routed-expert pairs; elementwise work x tokens; the layer overhead.
    static func unitCycles(_ unit: UnitTiling, graph: Graph, layout: Layout, target: Target, start: Int, tokens n: Int, prompt l: Int) -> Int {
        guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }) else { return 0 }
        let model = CostModel(target: target)
        let shape = unit.denseShape(on: tiling)
        let (w, h) = (shape.width, shape.height)
        var cycles = 0
        for index in unit.ops where graph.ops.indices.contains(index) {
            let op = graph.ops[index]
            if unit.holdsBase {
                cycles &+= (Checked.product([model.denseCycles(op, activation: graph.activation, width: w, height: h, context: 0, batch: 1), n]) ?? Int.max / 4)
                let kept = op.kind.kvTokensKept(context: l)
                let pairs = causalPairs(start + n, kept: kept) - causalPairs(start, kept: kept)
                let attention = Checked.product([op.kind.attentionMACs(context: 1) ?? 0, pairs]) ?? Int.max / 4
                cycles &+= target.computeCycles(macs: Checked.ceilDiv(attention, max(w * h, 1)), element: graph.activation)
                cycles &+= (Checked.product([model.elementwiseCycles(op, width: w, height: h, context: start + n, batch: 1, hidden: graph.hidden), n]) ?? Int.max / 4)
            }
            if unit.expertOp == index, let cells = unit.cells, case let .moe(a) = op.kind, a.experts > 0 {
                let pairs = Checked.ceilDiv(n * a.topK * unit.experts.count, a.experts)
                let perCell = Checked.ceilDiv(pairs, max(cells.cells, 1)) * max(cells.expertsPerCell, 1)
                cycles &+= model.expertCycles(op, cellWidth: cells.cellWidth, cellHeight: cells.cellHeight, batch: 1) * max(perCell, 1)
            }
        }
        if unit.holdsBase, graph.ops.indices.contains(unit.ops.lowerBound), graph.ops[unit.ops.lowerBound].layer != nil {
            cycles &+= target.layerOverheadCycles
        }
        return cycles
    }
}
