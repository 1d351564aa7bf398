import WaferPlan
import WaferSupport

/// Event-driven simulation of one decode step (batch as planned) over the plan's flows and
/// per-PE compute, independent of the compiler's schedule:
///
/// - **Tasks.** Per unit, in order: the transfers that bring its input (hand-off bundles,
///   wafer links), its compute (the largest per-PE MAC count of its tiles, plus its share of
///   attention over the cached tokens, at the target's MACs per cycle for the element type;
///   quantized formats at the fp16 rate), each allreduce flow, and its elementwise work (norms,
///   activations, softmax over the PE's cached tokens, residual adds: one cycle per element per
///   operation on the PE's slice) plus the target's fixed overhead per decoder layer.
/// - **Dependencies.** A task waits for the task that produces its input: by default the one
///   before it in the unit; a MoE's `shared gate+up` waits for what the `router` waits for, so
///   the shared expert overlaps the routed ones (they use different lines).
/// - **Kinds.** `compute`, `fabric` (allreduces), `handoff` (on-wafer transfers between slots,
///   to and from the wafer edge, and the fan-out that follows them), `wafer-link`, `elementwise`.
/// - **Resources.** A line class (its links), a bundle, a wafer link carry one transfer at a
///   time: a task that needs a busy resource waits (link contention).
/// - **Allreduce time** on a line of P PEs with G groups of g (the plan's tree): streams toward
///   the group middles (g/2 hops, each a receive-add-send relay), the leader chain (G/2 relays,
///   P/2 hops), the broadcast back (P/2 hops), the payload streamed once per phase, plus, for
///   the worst line of the class, the detour hops and relays of its exception routes (re-counted
///   from their paths; an overlay hop is a relay).
///
/// Reports cycles per token, tokens/s, and the critical path (the chain of tasks that fixed the
/// end time). O(tasks log tasks + exception routes).
public struct TimingSimulation: Sendable {
    public struct Task: Sendable, Codable, Equatable {
        public var unit: Int
        public var label: String
        public var kind: String
        public var start: Int
        public var end: Int
    }
    public var cyclesPerToken = 0
    public var tokensPerS = 0.0
    public var cyclesByKind: [String: Int] = [:]
    public var criticalPath: [Task] = []
    public var taskCount = 0
    /// Cycles of the decoder layers' own tasks (compute, allreduces, elementwise work and
    /// overhead), transfers into them excluded: what WaferLLM times (one layer x layers).
    public var decoderLayerCycles = 0
    public var decoderLayers = 0

    public init(plan: Plan) {
        let t = plan.target
        let hop = max(t.hopLatencyCycles, 0), relay = max(t.relayLatencyCycles, 0), ramp = max(t.rampLatencyCycles, 0)
        let classes = Dictionary(plan.routing.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let bundles = Dictionary(plan.routing.bundles.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // Worst detour per class line, from the exception paths.
        var detour: [Int: [Int: Int]] = [:]
        let ex = plan.routing.exceptions
        if ex.isRectangular {
            for k in 0..<ex.count where ex.ownerKind[k] == .lineClass {
                let width = max(t.fabricWidth, 1)
                let s = Int(ex.start[k])
                var x = s % width, y = s / width
                for m in ex.moves[k].utf8 { switch m { case 78: y -= 1; case 83: y += 1; case 69: x += 1; default: x -= 1 } }
                let direct = abs(x - s % width) + abs(y - s / width)
                let hops = ex.moves[k].utf8.count
                let relays = ex.overlay[k] ? hops : max(0, ex.colors[k].count - 1) + (ex.role[k] == .stream ? 0 : 2)
                detour[ex.owner[k], default: [:]][ex.line[k], default: 0] += (hops - direct) * hop + relays * relay
            }
        }
        func lineCycles(_ c: PlanClass, payload: Int) -> Int {
            let p = max(c.segment, 1)
            let groups = c.mode == .tree ? max(1, Int(Double(p).squareRoot().rounded())) : 1
            let g = (p + groups - 1) / groups
            let reduce = (g / 2) * (hop + relay) + (groups / 2) * relay + (p / 2) * hop
            let broadcast = (p / 2) * hop
            let worst = (detour[c.id] ?? [:]).values.max() ?? 0
            return p > 1 ? 2 * ramp + reduce + broadcast + 2 * payload + worst : 2 * ramp + payload
        }
        func macs(_ format: String) -> Double {
            let element = format.split(separator: "[").first.map(String.init) ?? format
            return max(t.macsPerCycle[element] ?? t.macsPerCycle["fp16"] ?? 1, 1e-6)
        }
        func cycles(macs count: Int, _ format: String) -> Int {
            let c = (Double(count) / macs(format)).rounded(.up)
            return c < 1e15 ? max(Int(c), 0) : Int(1e15)
        }
        let batch = max(plan.inputs.batch, 1)
        let hiddenWidth = plan.units.lazy.flatMap(\.ops).first { $0.kind == .embedding }?["hidden"] ?? 1

        // Tasks.
        struct Pending { var unit: Int; var label: String; var kind: String; var duration: Int; var deps: [Int]; var resource: String? }
        var tasks: [Pending] = []
        var decoderUnits = Set<Int>()
        let flowsByUnit = Dictionary(grouping: plan.routing.flows, by: \.unit)
        var lastOfUnit = -1
        for (ui, u) in plan.units.enumerated() {
            var previous = lastOfUnit
            let flows = flowsByUnit[ui] ?? []
            for f in flows where f.kind != .allreduce && !f.label.hasPrefix("combine") {
                let d: Int
                if f.kind == .waferLink {
                    let bits = Double(f.payloadWavelets * max(t.waveletBits, 1) * ((f.bundles.first.flatMap { bundles[$0]?.lanes }) ?? 1))
                    let cycles = (t.waferLinkLatencyNs * 1e-9 + bits / max(t.waferLinkGbps * 1e9, 1)) * t.clockMhz * 1e6
                    d = Int(min(max(cycles, 0), 1e15)) + f.bundles.compactMap { bundles[$0]?.hops }.reduce(0, +) * hop
                } else {
                    d = f.bundles.compactMap { bundles[$0]?.hops }.max().map { $0 * hop + 2 * ramp + f.payloadWavelets } ?? 0
                }
                tasks.append(Pending(unit: ui, label: f.label, kind: f.kind == .waferLink ? "wafer-link" : "handoff", duration: d,
                                     deps: previous >= 0 ? [previous] : [], resource: "bundle \(f.bundles.first ?? -1)"))
                previous = tasks.count - 1
            }
            // Compute: the largest per-PE MAC count (slot tiles, plus one expert tile on a cell PE).
            var slotCycles = 0, cellCycles = 0
            for tensor in u.tensors where tensor.orientation != .vector && !u.ops.contains(where: { $0.name == tensor.op && $0.kind == .embedding }) {
                let c = cycles(macs: tensor.tileRows * tensor.tileCols * batch, tensor.format)
                if tensor.region == .cell { cellCycles += c } else { slotCycles += c }
            }
            let fabricArea = plan.wafers.first { $0.index == u.wafer }.map { max($0.slotWidth * $0.slotHeight, 1) } ?? 1
            let slotWidth = plan.wafers.first { $0.index == u.wafer }.map { max($0.slotWidth, 1) } ?? 1
            var attention = 0, elementwise = 0
            let tokens = plan.inputs.contextTokens * batch
            for op in u.ops {
                switch op.kind {
                case .attention:
                    let kept = op["sliding_window"] > 0 ? min(op["sliding_window"], plan.inputs.contextTokens) * batch : tokens
                    attention += (kept * op["heads"] * op["head_dim"] * 2 + fabricArea - 1) / fabricArea
                    elementwise += 4 * ((kept * op["heads"] + fabricArea - 1) / fabricArea)
                case .mla:
                    attention += (tokens * op["heads"] * (op["kv_lora_rank"] * 2 + op["qk_rope_head_dim"]) + fabricArea - 1) / fabricArea
                    elementwise += 4 * ((tokens * op["heads"] + fabricArea - 1) / fabricArea)
                case .rmsnorm, .layernorm, .add:
                    // The PE's slice of the vector: square, scale, multiply (or add).
                    elementwise += 3 * ((max(op["width"], hiddenWidth) + slotWidth - 1) / slotWidth)
                case .mlp, .moe: elementwise += 5 * ((op["intermediate"] + op["expert_intermediate"] * op["top_k"] + op["shared_experts"] * op["shared_intermediate"] + fabricArea - 1) / max(fabricArea, 1) + 1)
                default: break
                }
            }
            let computeCycles = slotCycles + cellCycles + cycles(macs: attention, "bf16")
            if computeCycles > 0 {
                tasks.append(Pending(unit: ui, label: "compute \(u.name)", kind: "compute", duration: computeCycles, deps: previous >= 0 ? [previous] : [], resource: nil))
                previous = tasks.count - 1
            }
            var routerDeps: [Int]?
            for f in flows where f.kind == .allreduce || f.label.hasPrefix("combine") {
                var deps = previous >= 0 ? [previous] : []
                if f.label == "router" { routerDeps = deps }
                if f.label == "shared gate+up", let r = routerDeps { deps = r }
                let d: Int
                let resource: String
                if let cid = f.lineClass, let c0 = classes[cid] {
                    let c = c0.foldedInto.flatMap { classes[$0] } ?? c0
                    d = lineCycles(c, payload: f.payloadWavelets)
                    resource = "class \(c.id)"
                } else {
                    let b = f.bundles.compactMap { bundles[$0] }
                    d = f.kind == .waferLink ? Int(t.waferLinkLatencyNs * 1e-9 * t.clockMhz * 1e6) + f.payloadWavelets : (b.map(\.hops).max() ?? 0) * hop + f.payloadWavelets
                    resource = "bundle \(f.bundles.first ?? -1)"
                }
                let kind = f.kind == .waferLink ? "wafer-link" : (f.kind == .allreduce && f.label != "fan-out" ? "fabric" : "handoff")
                tasks.append(Pending(unit: ui, label: f.label, kind: kind, duration: d, deps: deps, resource: resource))
                if f.label != "shared gate+up" || routerDeps == nil { previous = tasks.count - 1 } else { previous = max(previous, tasks.count - 1) }
            }
            let decoderLayer = u.ops.contains { $0.layer >= 0 && $0.kind != .moe }
            if decoderLayer { decoderUnits.insert(ui); elementwise += max(t.layerOverheadCycles, 0) }
            if elementwise > 0 {
                let after = tasks.indices.filter { tasks[$0].unit == ui }
                tasks.append(Pending(unit: ui, label: "elementwise \(u.name)", kind: "elementwise", duration: elementwise, deps: after.isEmpty ? (previous >= 0 ? [previous] : []) : after, resource: nil))
                previous = tasks.count - 1
            }
            lastOfUnit = previous
        }

        // Event loop: a task starts when its dependencies have finished and its resource is free
        // (ready tasks claim resources in task order). Ends are processed in time order.
        var start = [Int](repeating: -1, count: tasks.count), end = [Int](repeating: -1, count: tasks.count)
        var cause = [Int](repeating: -1, count: tasks.count)
        var free: [String: (at: Int, by: Int)] = [:]
        var remaining = tasks.map { $0.deps.count }
        var dependents = [[Int]](repeating: [], count: tasks.count)
        for (i, task) in tasks.enumerated() { for d in task.deps { dependents[d].append(i) } }
        var ready = tasks.indices.filter { remaining[$0] == 0 }
        var heap = MinHeap()
        var readyAt = [Int](repeating: 0, count: tasks.count), readyBy = [Int](repeating: -1, count: tasks.count)
        while !ready.isEmpty || !heap.isEmpty {
            for i in ready.sorted() {
                var s = readyAt[i], by = readyBy[i]
                if let r = tasks[i].resource, let f = free[r], f.at > s { s = f.at; by = f.by }
                start[i] = s; end[i] = s + tasks[i].duration; cause[i] = by
                if let r = tasks[i].resource { free[r] = (end[i], i) }
                heap.push(Double(end[i]), i)
            }
            ready = []
            guard let (at, i) = heap.pop() else { break }
            let time = Int(at)
            for j in dependents[i] {
                remaining[j] -= 1
                if time >= readyAt[j] { readyAt[j] = time; readyBy[j] = i }
                if remaining[j] == 0 { ready.append(j) }
            }
        }
        taskCount = tasks.count
        guard let last = end.indices.max(by: { (end[$0], $0) < (end[$1], $1) }) else { return }
        cyclesPerToken = max(end[last], 0)
        tokensPerS = cyclesPerToken > 0 ? t.clockMhz * 1e6 / Double(cyclesPerToken) : 0
        for (i, task) in tasks.enumerated() {
            cyclesByKind[task.kind, default: 0] += end[i] - start[i]
            if decoderUnits.contains(task.unit), task.kind != "handoff", task.kind != "wafer-link" { decoderLayerCycles += end[i] - start[i] }
        }
        decoderLayers = decoderUnits.count
        var path: [Task] = []
        var i = last
        while i >= 0 && path.count < tasks.count {
            path.append(Task(unit: tasks[i].unit, label: tasks[i].label, kind: tasks[i].kind, start: start[i], end: end[i]))
            i = cause[i]
        }
        criticalPath = path.reversed()
    }
}
