import Foundation
import WaferPlan

/// The decode step run as the plan distributes it. Every weight matrix is multiplied tile by
/// tile: each PE (found by the plan's tiling rule, spares included) multiplies its own block
/// in fp32 with the slice of the input its row or column holds; the partial sums then add along
/// the line class of the flow the plan names, and only the partials the route replay found to
/// reach their line's root count (a hop no route carries loses everything behind it). Routed
/// experts run on the cells of whichever units hold them, scaled by their router weight, and
/// combine along the planned rows. The KV cache is sharded over the slot's rows (token t on row
/// t mod height); each shard computes its partial softmax (max, sum, weighted values) and the
/// shards merge as the "softmax max / sum" and "attention x V" allreduces do. Hand-offs check
/// that a flow carries the activation between units on different slots or wafers.
/// O(parameters + context x width) per step.
public struct DistributedForward {
    let plan: Plan
    let fabrics: [Int: WaferFabric]
    let replay: RouteReplay
    let weights: WeightSource
    let hidden: Int
    var log: ViolationLog
    var cache: [String: [[Double]]] = [:]
    var subs: [Int: [Int: [Int: Int?]]] = [:]
    let flowsByUnit: [Int: [String: PlanFlow]]
    let classes: [Int: PlanClass]

    public init(plan: Plan, fabrics: [WaferFabric], replay: RouteReplay, weights: WeightSource, hidden: Int) {
        self.plan = plan; self.replay = replay; self.weights = weights; self.hidden = hidden
        self.fabrics = Dictionary(fabrics.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var flows: [Int: [String: PlanFlow]] = [:]
        for f in plan.routing.flows where flows[f.unit]?[f.label] == nil { flows[f.unit, default: [:]][f.label] = f }
        flowsByUnit = flows
        classes = Dictionary(plan.routing.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        log = ViolationLog(limit: 12)
    }

    public var violations: ViolationLog { log }

    /// The flow an op's tensor reduces on (the compiler's decode traffic names, docs/plan-format.md).
    public static func flowLabel(kind: PlanOpKind, tensor: String, gated: Bool) -> String? {
        switch (kind, tensor) {
        case (.embedding, _): return "lookup"
        case (.attention, "o_proj.weight"), (.mla, "o_proj.weight"): return "o_proj"
        case (.attention, _): return "qkv"
        case (.mla, "q_a_proj.weight"), (.mla, "kv_a_proj_with_mqa.weight"): return "q_a+kv_a"
        case (.mla, "q_b_proj.weight"), (.mla, "q_proj.weight"): return "q_b"
        case (.mla, "kv_b_proj.weight"): return "kv_b (absorbed)"
        case (.mlp, "down_proj.weight"): return "down"
        case (.mlp, _): return gated ? "gate+up" : "up"
        case (.moe, "gate.weight"): return "router"
        case (.moe, "shared_experts.down_proj.weight"): return "shared down"
        case (.moe, let t) where t.hasPrefix("shared_experts."): return "shared gate+up"
        case (.moe, "experts.down_proj.weight"): return "experts down + combine"
        case (.moe, let t) where t.hasPrefix("experts."): return "experts gate+up"
        case (.lmHead, _): return "logits"
        default: return nil
        }
    }

    /// `tensor` of unit `ui` times `x`, tile by tile, reduced along its flow's line class.
    /// `lines`: only these region-local output lines (nil: all). `scale` multiplies each
    /// partial (a routed expert's router weight). Returns nil when the tensor is not on the unit.
    public mutating func multiply(unit ui: Int, op: PlanOp, tensor name: String, expert: Int?, x: [Double], scale: Double = 1,
                                  lines: [Int]? = nil, flow override: PlanFlow? = nil, into result: inout [Double]) -> Bool {
        let u = plan.units[ui]
        guard let t = u.tensors.first(where: { $0.op == op.name && $0.name == name }), let fabric = fabrics[u.wafer] else {
            log.add(.numeric, "unit \(u.name): \(op.name).\(name) is not on this unit, so its product is missing"); return false
        }
        let stacked = t.region == .cell
        let out = t.shape.count > (stacked ? 1 : 0) ? t.shape[stacked ? 1 : 0] : 0
        let inDim = t.shape.count > (stacked ? 2 : 1) ? t.shape[stacked ? 2 : 1] : 1
        guard x.count >= inDim, result.count >= out else {
            log.add(.numeric, "unit \(u.name): \(op.name).\(name) is \(out) x \(inDim), its op passes \(x.count) inputs and takes \(result.count) outputs"); return false
        }
        guard let region = TileRegion.of(u, t, expert: expert, wafer: fabric.wafer) else {
            log.add(.numeric, "unit \(u.name): expert \(expert ?? -1) of \(op.name) has no cell"); return false
        }
        let label = name == "weight" && op.kind == .embedding ? "lookup" : Self.flowLabel(kind: op.kind, tensor: name, gated: op["gated"] == 1) ?? "?"
        guard let flow = override ?? flowsByUnit[ui]?[label], let c0 = flow.lineClass.flatMap({ classes[$0] }) else {
            log.add(.numeric, "unit \(u.name): no '\(label)' flow reduces the partial sums of \(op.name).\(name)"); return false
        }
        let c = c0.foldedInto.flatMap { classes[$0] } ?? c0
        let axis = t.orientation == .inCols ? PlanAxis.rows : PlanAxis.columns
        guard c.wafer == u.wafer, c.slot == u.slot, c.axis == axis, c.columns.count == 2, c.rows.count == 2, c.segment > 0 else {
            log.add(.numeric, "flow \(flow.id) (\(label), unit \(u.name)): line class \(c.id) runs along \(c.axis) of wafer \(c.wafer) slot \(c.slot), but the partial sums of \(op.name).\(name) (\(t.orientation)) must add along \(axis) of wafer \(u.wafer) slot \(u.slot)")
            return false
        }
        let lineRange = axis == .columns ? c.columns[0]..<c.columns[1] : c.rows[0]..<c.rows[1]
        let memberRange = axis == .columns ? c.rows[0]..<c.rows[1] : c.columns[0]..<c.columns[1]
        let lineCount = axis == .columns ? region.width : region.height
        let memberCount = axis == .columns ? region.height : region.width
        let ref = WeightSource.TensorRef(name: "\(op.name).\(name)", expert: expert ?? 0, kind: .matrix, inputs: inDim)
        var s = subs[u.wafer] ?? [:]
        defer { subs[u.wafer] = s }
        for l in lines ?? Array(0..<lineCount) {
            let line = (axis == .columns ? region.column0 : region.row0) + l
            let firstMember = axis == .columns ? region.row0 : region.column0
            for mIndex in 0..<memberCount {
                let member = firstMember + mIndex
                let (i, j) = axis == .columns ? (l, mIndex) : (mIndex, l)
                let block = TileRegion.block(t, column: i, row: j, out: out, in: inDim)
                if block.rows.isEmpty || block.cols.isEmpty { continue }
                guard fabric.holder(slot: u.slot, column: region.column0 + i, row: region.row0 + j, subs: &s) != nil else { continue }
                if !lineRange.contains(line) || !memberRange.contains(member) {
                    log.add(.numeric, "flow \(flow.id) (\(label), unit \(u.name)): line class \(c.id) does not reach the tile of \(op.name).\(name) at logical column \(region.column0 + i), row \(region.row0 + j); its partial sum is lost")
                    continue
                }
                if (member - memberRange.lowerBound) / c.segment != (firstMember - memberRange.lowerBound) / c.segment {
                    log.add(.numeric, "flow \(flow.id) (\(label), unit \(u.name)): line class \(c.id) cuts line \(line) into segments of \(c.segment), so the tile at member \(member) of \(op.name).\(name) never meets the partial sums of member \(firstMember)")
                    continue
                }
                if replay.lostPartials.contains(RouteReplay.key(c.id, line, member)) { continue }
                for r in block.rows {
                    var acc: Float = 0
                    for col in block.cols { acc += Float(weights.value(ref, row: r, column: col)) * Float(x[col]) }
                    result[r] += Double(acc) * scale
                }
            }
        }
        return true
    }

    mutating func product(_ ui: Int, _ op: PlanOp, _ name: String, out: Int, _ x: [Double], expert: Int? = nil) -> [Double] {
        var y = [Double](repeating: 0, count: out)
        _ = multiply(unit: ui, op: op, tensor: name, expert: expert, x: x, into: &y)
        return y
    }

    func vec(_ name: String, _ n: Int, norm: Bool = false, expert: Int = 0) -> [Double] {
        let ref = WeightSource.TensorRef(name: name, expert: expert, kind: norm ? .norm : .bias)
        return (0..<n).map { weights.value(ref, row: $0, column: 0) }
    }

    static func rms(_ x: [Double], _ w: [Double]) -> [Double] {
        var ss: Float = 0
        for v in x { ss += Float(v * v) }
        let k = 1 / (Double(ss) / Double(max(x.count, 1)) + ModelMath.rmsEpsilon).squareRoot()
        return x.indices.map { x[$0] * k * w[$0] }
    }

    /// Logits for `token` at `position`, or nil when the plan has no LM head. The units run in
    /// plan order; an op listed by several units (a MoE layer whose experts are split) runs
    /// once, with every unit's experts.
    public mutating func step(token: Int, position: Int) -> [Double]? {
        var h = [Double](repeating: 0, count: hidden), cur = h, pending = h
        var done = Set<String>()
        var previous: PlanUnit?
        for (ui, u) in plan.units.enumerated() {
            if Self.isExpertSlice(u) { continue }   // runs inside its layer's MoE
            if let p = previous, !arrives(ui, from: p) {
                h = [Double](repeating: 0, count: hidden); cur = h   // the activation never arrives
            }
            previous = u
            for op in u.ops where done.insert(op.name).inserted {
                switch op.kind {
                case .embedding:
                    var y = [Double](repeating: 0, count: hidden)
                    lookup(ui, op, token: token, into: &y)
                    h = y; cur = h
                case .rmsnorm: cur = Self.rms(cur, vec("\(op.name).weight", cur.count, norm: true))
                case .layernorm:
                    let mean = cur.reduce(0, +) / Double(cur.count)
                    let v = cur.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(cur.count)
                    let w = vec("\(op.name).weight", cur.count, norm: true)
                    let b = op["bias"] == 1 ? vec("\(op.name).bias", cur.count) : [Double](repeating: 0, count: cur.count)
                    cur = cur.indices.map { (cur[$0] - mean) / (v + ModelMath.layerNormEpsilon).squareRoot() * w[$0] + b[$0] }
                case .attention: pending = attention(ui, op, cur, position)
                case .mla: pending = mla(ui, op, cur, position)
                case .mlp: pending = mlp(ui, op, prefix: "", cur, inter: op["intermediate"], bias: op["bias"] == 1, expert: nil)
                case .moe: pending = moe(ui, op, cur)
                case .add: h = zip(h, pending).map { $0 + $1 }; cur = h
                case .lmHead:
                    var logits = [Double](repeating: 0, count: op["vocab"])
                    if op["tied"] == 1 {
                        let tied = op.tiedWeight ?? "embed_tokens.weight"
                        let parts = tied.split(separator: ".", maxSplits: 1).map(String.init)
                        guard parts.count == 2, let source = plan.units.firstIndex(where: { $0.tensors.contains { t in t.op == parts[0] && t.name == parts[1] } }),
                              let embed = plan.units[source].ops.first(where: { $0.name == parts[0] }) else {
                            log.add(.numeric, "unit \(u.name): the tied head reads \(tied), which no unit holds"); return logits
                        }
                        if plan.units[source].wafer != u.wafer || plan.units[source].slot != u.slot {
                            log.add(.numeric, "unit \(u.name): the tied head reads \(tied) on wafer \(plan.units[source].wafer) slot \(plan.units[source].slot), not on its own slot")
                        }
                        tiedLogits(ui, headOp: op, embedUnit: source, embedOp: embed, name: parts[1], cur, into: &logits)
                    } else {
                        _ = multiply(unit: ui, op: op, tensor: "weight", expert: nil, x: cur, into: &logits)
                    }
                    if op["bias"] == 1 { logits = zip(logits, vec("\(op.name).bias", logits.count)).map { $0 + $1 } }
                    return logits
                default: break
                }
            }
        }
        return nil
    }

    /// The token's row of the embedding sits in one logical column; each region row's PE there
    /// holds its slice of the hidden vector and the `lookup` allreduce along the rows brings it
    /// to every PE of the row.
    mutating func lookup(_ ui: Int, _ op: PlanOp, token: Int, into y: inout [Double]) {
        let u = plan.units[ui]
        guard let t = u.tensors.first(where: { $0.op == op.name && $0.name == "weight" }), let fabric = fabrics[u.wafer], t.tileRows > 0, t.tileCols > 0 else {
            log.add(.numeric, "unit \(u.name): the embedding table is not on this unit"); return
        }
        guard let flow = flowsByUnit[ui]?["lookup"], let c = flow.lineClass.flatMap({ classes[$0] }).map({ c in c.foldedInto.flatMap { classes[$0] } ?? c }),
              c.axis == .rows, c.columns.count == 2 else {
            log.add(.numeric, "unit \(u.name): no 'lookup' flow along the rows brings the embedding row to the slot"); return
        }
        let ref = WeightSource.TensorRef(name: "\(op.name).weight", kind: .matrix, inputs: hidden)
        let column = token / t.tileRows
        var s = subs[u.wafer] ?? [:]
        defer { subs[u.wafer] = s }
        for row in 0..<fabric.wafer.slotHeight {
            let cols = min(row * t.tileCols, hidden)..<min((row + 1) * t.tileCols, hidden)
            guard !cols.isEmpty, fabric.holder(slot: u.slot, column: column, row: row, subs: &s) != nil else { continue }
            if !(c.columns[0]..<c.columns[1]).contains(column) || replay.lostPartials.contains(RouteReplay.key(c.id, row, column)) { continue }
            for k in cols { y[k] = weights.value(ref, row: token, column: k) }
        }
    }

    mutating func tiedLogits(_ ui: Int, headOp: PlanOp, embedUnit: Int, embedOp: PlanOp, name: String, _ x: [Double], into logits: inout [Double]) {
        // The tied head multiplies the embedding's tiles where they are and reduces on its own
        // `logits` flow.
        guard let flow = flowsByUnit[ui]?["logits"] else {
            log.add(.numeric, "unit \(plan.units[ui].name): no 'logits' flow reduces the head's partial sums"); return
        }
        _ = multiply(unit: embedUnit, op: embedOp, tensor: name, expert: nil, x: x, flow: flow, into: &logits)
    }
}
