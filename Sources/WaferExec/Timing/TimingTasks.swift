import WaferPlan

/// The tasks of one decode step for `TimingSimulation` (its doc comment gives the model): per
/// unit in plan order, the transfers that bring its input, its compute, its allreduces and
/// its elementwise work, each with its duration, the tasks it waits for and the resource
/// (line class or bundle) it holds. O(units x (ops + flows) + exception routes).
struct TimingTasks {
    /// A task; `lead`: it may start that many cycles before its latest dependency ends (a
    /// reduction streaming under the product before it; docs/routing-and-schedule.md, "Overlap");
    /// `receiving`: a second resource it holds (a wafer link's receiving edge bundle).
    struct Pending {
        var unit: Int; var label: String; var kind: String; var duration: Int; var deps: [Int]; var resource: String?; var lead = 0
        var receiving: String? = nil
    }
    private(set) var tasks: [Pending] = []
    /// Per unit, the cycles its reductions run under its compute (the first reduction's lead).
    private(set) var hiddenByUnit: [Int: Int] = [:]
    /// Units holding a decoder layer (their own tasks are the decoder layers' cycles).
    private(set) var decoderUnits = Set<Int>()

    private let plan: Plan
    private let hop: Int, relay: Int, ramp: Int
    private let classes: [Int: PlanClass]
    private let bundles: [Int: PlanBundle]
    /// What the defects add to each class's allreduces and each bundle's lanes.
    private let penalty: DefectPenalty
    /// Classes some exception route of which leaves their lines (their payload meets a
    /// neighbouring line's on the detour's links).
    private let detoured: Set<Int>
    private let batch: Int
    private let hiddenWidth: Int

    init(plan: Plan) {
        let t = plan.target
        self.plan = plan
        hop = max(t.hopLatencyCycles, 0); relay = max(t.relayLatencyCycles, 0); ramp = max(t.rampLatencyCycles, 0)
        classes = Dictionary(plan.routing.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        bundles = Dictionary(plan.routing.bundles.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        penalty = DefectPenalty(plan: plan)
        let ex = plan.routing.exceptions
        detoured = ex.isRectangular ? Set((0..<ex.count).filter { ex.ownerKind[$0] == .lineClass }.map { ex.owner[$0] }) : []
        batch = max(plan.inputs.batch, 1)
        hiddenWidth = plan.units.lazy.flatMap(\.ops).first { $0.kind == .embedding }?["hidden"] ?? 1
        let flowsByUnit = Dictionary(grouping: plan.routing.flows, by: \.unit)
        var lastOfUnit = -1
        var ui = 0
        while ui < plan.units.count {
            let u = plan.units[ui]
            // Remote experts in parallel (docs/routing-and-schedule.md): the expert slices listed
            // right after a layer's unit start when its router allreduce ends, and its
            // elementwise work waits for them.
            var next = ui + 1
            while next < plan.units.count, PlanScheduleChains.isExpertSlice(plan.units[next]), !PlanScheduleChains.isExpertSlice(u),
                  let moe = plan.units[next].ops.first?.name, u.ops.contains(where: { $0.name == moe && $0.kind == .moe }) { next += 1 }
            let body = addBody(unit: ui, u, flows: flowsByUnit[ui] ?? [], after: lastOfUnit)
            var joins: [Int] = []
            for slice in (ui + 1)..<next {
                let s = plan.units[slice]
                let sliceBody = addBody(unit: slice, s, flows: flowsByUnit[slice] ?? [], after: body.router ?? body.last)
                joins.append(addElementwise(unit: slice, s, cycles: sliceBody.elementwise, after: sliceBody.last, joining: []))
            }
            lastOfUnit = addElementwise(unit: ui, u, cycles: body.elementwise, after: body.last, joining: joins.filter { $0 >= 0 })
            ui = next
        }
    }

    /// Adds unit `ui`'s tasks but its elementwise work after task `previous` (-1 for none);
    /// returns its last task, its `router` allreduce (nil: none) and its elementwise cycles.
    private mutating func addBody(unit ui: Int, _ u: PlanUnit, flows: [PlanFlow], after lastOfUnit: Int) -> (last: Int, router: Int?, elementwise: Int) {
        var previous = addInputTransfers(unit: ui, flows: flows, after: lastOfUnit)
        let (computeCycles, elementwiseOps) = work(u)
        var elementwise = elementwiseOps
        if computeCycles > 0 {
            tasks.append(Pending(unit: ui, label: "compute \(u.name)", kind: "compute", duration: computeCycles, deps: previous >= 0 ? [previous] : [], resource: nil))
            previous = tasks.count - 1
        }
        let hidden = computeCycles > 0 ? hiddenCycles(u, flows: flows) : 0
        if hidden > 0 { hiddenByUnit[ui] = hidden }
        let firstCollective = tasks.count
        previous = addCollectives(unit: ui, flows: flows, after: previous, lead: hidden)
        let router = (firstCollective..<tasks.count).first { tasks[$0].label == "router" }
        let decoderLayer = u.ops.contains { $0.layer >= 0 && $0.kind != .moe }
        if decoderLayer { decoderUnits.insert(ui); elementwise += max(plan.target.layerOverheadCycles, 0) }
        return (previous, router, elementwise)
    }

    /// Unit `ui`'s elementwise work: after every task of the unit and the tasks in `joining`
    /// (its expert slices' last tasks). Returns the last task (or `previous` when none is added).
    private mutating func addElementwise(unit ui: Int, _ u: PlanUnit, cycles elementwise: Int, after previous: Int, joining: [Int]) -> Int {
        if elementwise > 0 {
            let after = tasks.indices.filter { tasks[$0].unit == ui } + joining
            tasks.append(Pending(unit: ui, label: "elementwise \(u.name)", kind: "elementwise", duration: elementwise, deps: after.isEmpty ? (previous >= 0 ? [previous] : []) : after, resource: nil))
            return tasks.count - 1
        }
        guard !joining.isEmpty else { return previous }
        // Nothing to do but the join: a zero-length task waits for every branch.
        tasks.append(Pending(unit: ui, label: "join \(u.name)", kind: "elementwise", duration: 0, deps: (previous >= 0 ? [previous] : []) + joining, resource: nil))
        return tasks.count - 1
    }

    /// The hand-offs and wafer links that bring unit `ui`'s input, in flow order. Returns the
    /// last task added (or `previous`).
    private mutating func addInputTransfers(unit ui: Int, flows: [PlanFlow], after start: Int) -> Int {
        let t = plan.target
        var previous = start
        for f in flows where f.kind != .allreduce && !f.label.hasPrefix("combine") {
            let d: Int
            if f.kind == .waferLink {
                let bits = Double(f.payloadWavelets * max(t.waveletBits, 1) * ((f.bundles.first.flatMap { bundles[$0]?.lanes }) ?? 1))
                let cycles = (t.waferLinkLatencyNs * 1e-9 + bits / max(t.waferLinkGbps * 1e9, 1)) * t.clockMhz * 1e6
                d = Int(min(max(cycles, 0), 1e15)) + f.bundles.compactMap { bundles[$0]?.hops }.reduce(0, +) * hop
                    + f.bundles.map { penalty.bundleCycles[$0] ?? 0 }.reduce(0, +)
            } else {
                d = f.bundles.compactMap { b in bundles[b].map { $0.hops * hop + (penalty.bundleCycles[b] ?? 0) } }.max().map { $0 + 2 * ramp + f.payloadWavelets } ?? 0
            }
            tasks.append(Pending(unit: ui, label: f.label, kind: f.kind == .waferLink ? "wafer-link" : "handoff", duration: d,
                                 deps: previous >= 0 ? [previous] : [], resource: "bundle \(f.bundles.first ?? -1)",
                                 receiving: f.kind == .waferLink && f.bundles.count > 1 ? "bundle \(f.bundles[1])" : nil))
            previous = tasks.count - 1
        }
        return previous
    }

    /// Unit `u`'s compute cycles (the largest per-PE MAC count: slot tiles, plus one expert
    /// tile on a cell PE, plus attention over the cached tokens) and its elementwise cycles.
    private func work(_ u: PlanUnit) -> (compute: Int, elementwise: Int) {
        var slotCycles = 0, cellCycles = 0
        for tensor in u.tensors where tensor.orientation != .vector && !u.ops.contains(where: { $0.name == tensor.op && $0.kind == .embedding }) {
            let c = cycles(macs: tensor.tileRows * tensor.tileCols * batch, tensor.format)
            if tensor.region == .cell { cellCycles += c } else { slotCycles += c }
        }
        let region = plan.wafers.first { $0.index == u.wafer }.map { TileRegion.dense(u, wafer: $0) }
        let fabricArea = region.map { max($0.width * $0.height, 1) } ?? 1
        let slotWidth = region.map { max($0.width, 1) } ?? 1
        var attention = 0, elementwise = 0
        let tokens = plan.inputs.contextTokens * batch
        for op in u.ops {
            attention += attentionMACs(op, unit: u)
            switch op.kind {
            case .attention:
                let kept = op["sliding_window"] > 0 ? min(op["sliding_window"], plan.inputs.contextTokens) * batch : tokens
                elementwise += 4 * ((kept * op["heads"] + fabricArea - 1) / fabricArea)
            case .mla:
                elementwise += 4 * ((tokens * op["heads"] + fabricArea - 1) / fabricArea)
            case .rmsnorm, .layernorm, .add:
                // The PE's slice of the vector: square, scale, multiply (or add).
                elementwise += 3 * ((max(op["width"], hiddenWidth) + slotWidth - 1) / slotWidth)
            case .mlp, .moe: elementwise += 5 * ((op["intermediate"] + op["expert_intermediate"] * op["top_k"] + op["shared_experts"] * op["shared_intermediate"] + fabricArea - 1) / max(fabricArea, 1) + 1)
            default: break
            }
        }
        return (slotCycles + cellCycles + cycles(macs: attention, "bf16"), elementwise)
    }

    /// Unit `ui`'s allreduces and combines; a MoE's `shared gate+up` waits for what the
    /// `router` waits for (and takes its lead). The first starts `lead` cycles before the task
    /// before it (the unit's compute) ends. Returns the last task added (or `previous`).
    private mutating func addCollectives(unit ui: Int, flows: [PlanFlow], after start: Int, lead: Int) -> Int {
        let t = plan.target
        var previous = start
        var routerDeps: [Int]?, routerLead = 0, first = true
        for f in flows where f.kind == .allreduce || f.label.hasPrefix("combine") {
            var deps = previous >= 0 ? [previous] : []
            var early = first ? lead : 0
            first = false
            if f.label == "router" { routerDeps = deps; routerLead = early }
            if f.label == "shared gate+up", let r = routerDeps { deps = r; early = routerLead }
            let d: Int
            let resource: String
            if let (c, bands) = lineClass(f) {
                // A folded class rides its host's lines with one partial per band of its segments.
                d = lineCycles(c, payload: f.payloadWavelets * bands)
                resource = "class \(c.id)"
            } else {
                let b = f.bundles.compactMap { bundles[$0] }
                d = f.kind == .waferLink ? Int(t.waferLinkLatencyNs * 1e-9 * t.clockMhz * 1e6) + f.payloadWavelets : (b.map(\.hops).max() ?? 0) * hop + f.payloadWavelets
                resource = "bundle \(f.bundles.first ?? -1)"
            }
            let kind = f.kind == .waferLink ? "wafer-link" : (f.kind == .allreduce && f.label != "fan-out" ? "fabric" : "handoff")
            tasks.append(Pending(unit: ui, label: f.label, kind: kind, duration: d, deps: deps, resource: resource, lead: early,
                                 receiving: f.kind == .waferLink && f.bundles.count > 1 ? "bundle \(f.bundles[1])" : nil))
            if f.label != "shared gate+up" || routerDeps == nil { previous = tasks.count - 1 } else { previous = max(previous, tasks.count - 1) }
        }
        return previous
    }

    /// The op kinds whose product each product reduction reduces (docs/routing-and-schedule.md,
    /// "Overlap"; the labels are the plan's flow labels, docs/plan-format.md).
    static let productReductions: [String: Set<PlanOpKind>] = [
        "qkv": [.attention], "q_a+kv_a": [.mla], "q_b": [.mla], "kv_b (absorbed)": [.mla], "scores": [.attention, .mla],
        "attention x V": [.attention, .mla], "o_proj": [.attention, .mla], "gate+up": [.mlp], "up": [.mlp], "down": [.mlp],
        "router": [.moe], "shared gate+up": [.moe], "shared down": [.moe], "experts gate+up": [.moe],
        "experts down + combine": [.moe], "logits": [.lmHead],
    ]

    /// The cycles unit `u`'s reductions run under its compute: the sum over its ops X of
    /// H_X = floor(overlap x min(C_X, S_X)), C_X the compute of X's tiles and attention, S_X the
    /// payload (2 x payload x bands) X's product reductions stream on lines longer than one PE.
    /// A reduction belongs to the first op of its kind at or after the previous reduction's op.
    /// O(flows x ops + tensors).
    private func hiddenCycles(_ u: PlanUnit, flows: [PlanFlow]) -> Int {
        let r = plan.target.overlapFraction
        guard r.isFinite, r > 0, !u.ops.isEmpty else { return 0 }
        var streamed = [Int](repeating: 0, count: u.ops.count)
        var at = 0
        for f in flows where f.kind == .allreduce {
            guard let kinds = Self.productReductions[f.label], let (c, bands) = lineClass(f), c.segment > 1 else { continue }
            guard let x = (at..<u.ops.count).first(where: { kinds.contains(u.ops[$0].kind) })
                ?? (0..<at).first(where: { kinds.contains(u.ops[$0].kind) }) else { continue }
            at = x
            streamed[x] += 2 * f.payloadWavelets * bands
        }
        var hidden = 0
        for (x, op) in u.ops.enumerated() where streamed[x] > 0 {
            var compute = cycles(macs: attentionMACs(op, unit: u), "bf16")
            for tensor in u.tensors where tensor.op == op.name && tensor.orientation != .vector {
                compute += cycles(macs: tensor.tileRows * tensor.tileCols * batch, tensor.format)
            }
            hidden += Int((min(max(r, 0), 1) * Double(min(compute, streamed[x]))).rounded(.down))
        }
        return hidden
    }

    /// The line class flow `f` runs on (its host's when folded) and the partials per line (one per
    /// band of the folded class's segments). O(1).
    private func lineClass(_ f: PlanFlow) -> (PlanClass, Int)? {
        guard let cid = f.lineClass, let c0 = classes[cid] else { return nil }
        let c = c0.foldedInto.flatMap { classes[$0] } ?? c0
        let range = c0.axis == .rows ? c0.columns : c0.rows
        let length = range.count == 2 ? max(range[1] - range[0], 0) : 0
        return (c, c.id == c0.id ? 1 : max(1, (length + max(c0.segment, 1) - 1) / max(c0.segment, 1)))
    }

    /// An allreduce on a line of class `c` (tree or chain), plus what its worst line segment's
    /// exception routes add (`DefectPenalty`), plus the payload once more when its detours
    /// leave the lines (they share links with a neighbouring line carrying the same payload).
    private func lineCycles(_ c: PlanClass, payload: Int) -> Int {
        let p = max(c.segment, 1)
        let groups = c.mode == .tree ? max(1, Int(Double(p).squareRoot().rounded())) : 1
        let g = (p + groups - 1) / groups
        let reduce = (g / 2) * (hop + relay) + (groups / 2) * relay + (p / 2) * hop
        let broadcast = (p / 2) * hop
        let worst = (penalty.classCycles[c.id] ?? 0) + (detoured.contains(c.id) ? payload : 0)
        return p > 1 ? 2 * ramp + reduce + broadcast + 2 * payload + worst + 2 * hop * bypassHops(c) : 2 * ramp + payload
    }

    /// The hops the hardware's spare-row bypasses add to a line of class `c` (its wafer's
    /// `redundancy` record, the row or column figure by its axis; 0 without one), crossed by the
    /// reduce and by the broadcast (docs/redundancy.md). O(wafers).
    private func bypassHops(_ c: PlanClass) -> Int {
        guard let w = plan.wafers.first(where: { $0.index == c.wafer }), let r = w.redundancy else { return 0 }
        guard c.axis == .rows else { return max(0, r.bypassHopsColumns) }
        return max(0, RowBypass.hops(r, wafer: w, slot: c.slot, rows: c.rows.count == 2 ? c.rows[0]..<max(c.rows[0], c.rows[1]) : 0..<0))
    }


    /// Per-PE MACs of `op`'s attention over the cached tokens on unit `u`'s slot (0 for other ops). O(1).
    private func attentionMACs(_ op: PlanOp, unit u: PlanUnit) -> Int {
        let fabricArea = plan.wafers.first { $0.index == u.wafer }.map { w in TileRegion.dense(u, wafer: w) }.map { max($0.width * $0.height, 1) } ?? 1
        let tokens = plan.inputs.contextTokens * batch
        switch op.kind {
        case .attention:
            let kept = op["sliding_window"] > 0 ? min(op["sliding_window"], plan.inputs.contextTokens) * batch : tokens
            return (kept * op["heads"] * op["head_dim"] * 2 + fabricArea - 1) / fabricArea
        case .mla: return (tokens * op["heads"] * (op["kv_lora_rank"] * 2 + op["qk_rope_head_dim"]) + fabricArea - 1) / fabricArea
        default: return 0
        }
    }

    /// The target's MACs per cycle for `format`'s element type (quantized formats at fp16's).
    private func macs(_ format: String) -> Double {
        let element = format.split(separator: "[").first.map(String.init) ?? format
        return max(plan.target.macsPerCycle[element] ?? plan.target.macsPerCycle["fp16"] ?? 1, 1e-6)
    }

    private func cycles(macs count: Int, _ format: String) -> Int {
        let c = (Double(count) / macs(format)).rounded(.up)
        return c < 1e15 ? max(Int(c), 0) : Int(1e15)
    }
}
