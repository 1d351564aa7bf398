import WaferIR
import WaferSupport
import WaferTarget

/// Orders the per-PE compute and the flows of one decode step into timed phases.
///
/// At batch 1 a token visits the units one after another, and within a unit each op computes
/// and then allreduces, so the phases form one chain: each starts when the previous ends, except
/// that op X's first reduction starts H_X = floor(overlap x min(C_X, S_X)) cycles before X's
/// compute phase ends (its partial sums stream while the product runs; docs/routing-and-schedule.md,
/// "Overlap"; H_X = 0 at the default overlap 0), and that a layer's remote expert slices run
/// beside its local experts: after its router allreduce, its remaining steps and each slice's
/// chain are branches placed by list scheduling (a step starts when the step before it ends and
/// its line class or bundles are free, the readiest step first), and its elementwise work starts
/// when every branch has ended ("Remote experts in parallel"). Times:
/// - compute: the largest per-PE tile's MACs (one per weight value and sequence, attention over
///   the cache spread over the slot, the experts of a token on their own cells) at the target's
///   MACs per cycle;
/// - an allreduce over lines of P positions: `hop x (P + g/2) + relay x (g/2 + G/2)` for a tree,
///   `hop x P + relay x P/2` for a chain, plus two ramp crossings, plus the payload streamed through the reduce and the
///   broadcast (one wavelet per cycle per link), plus the worst line's exception penalty, plus
///   the payload again where detours share links with a neighbouring line (contention);
/// - a bundle: its longest lane in hops, the lane's payload, two ramp crossings, its exceptions;
/// - a system link: the target's one-way latency plus the bytes at the link rate;
/// - elementwise work: one cycle per element per operation on the PE's slice (`CostModel`), and
///   the target's fixed overhead per decoder layer (`layer_overhead_cycles`, fitted).
/// O(units x ops + flows x slices per layer).
public struct SchedulePass: Pass {
    public let name = "schedule"
    public let summary = "order compute and flows of a decode step into timed phases; predict cycles and tokens/s per user"

    public init() {}

    public func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        let target = try requireTarget(context)
        let layout = try require(graph.layout, from: "route"), routing = try require(graph.routing, from: "route")
        let deployment = context.deployment
        let model = CostModel(target: target)
        var byUnit: [Int: [Flow]] = [:]
        for flow in routing.flows { byUnit[flow.unit, default: []].append(flow) }
        var phases: [Phase] = []
        // Resources (a line class, or a transfer's bundles) carry one step at a time: `free`
        // holds the end of each one's latest step.
        var free: [String: Int] = [:]
        /// Places `step` of `unit` once the step before it ends at `ready` (less its lead, and no
        /// earlier than its resources are free); returns its end.
        func place(_ unit: Int, _ step: Step, after ready: Int, into out: inout [Phase]) -> Int {
            var t = step.resources.reduce(ready - step.early) { max($0, free[$1] ?? $0) }
            for p in step.phases {
                out.append(Phase(unit: unit, kind: p.kind, label: p.label, flow: step.flow, start: t, end: t + p.cycles))
                t += p.cycles
            }
            for r in step.resources { free[r] = t }
            return t
        }
        func steps(_ index: Int) -> (body: [Step], tail: [Step]) {
            Self.steps(unit: index, flows: byUnit[index] ?? [], graph: graph, layout: layout, routing: routing, model: model,
                       target: target, deployment: deployment)
        }
        // Remote experts in parallel (docs/routing-and-schedule.md): after a layer's router
        // allreduce, its remaining steps and each of its expert slices on other units run as
        // branches (a step claims its resources in order of readiness), and its elementwise work
        // waits for all of them.
        let order = FlowBuilder.executionOrder(layout)
        var clock = 0, i = 0
        while i < order.count {
            let index = order[i]
            var j = i + 1
            if layout.units[index].holdsBase { while j < order.count && !layout.units[order[j]].holdsBase { j += 1 } }
            let (body, tail) = steps(index)
            let fork = order.count > i + 1 && j > i + 1 ? body.firstIndex(where: \.router).map { $0 + 1 } ?? body.count : body.count
            for step in body[..<fork] { clock = place(index, step, after: clock, into: &phases) }
            var branches = [(unit: index, steps: Array(body[fork...]), next: 0, ready: clock, out: [Phase]())]
            branches += order[(i + 1)..<j].map { (unit: $0, steps: steps($0).body, next: 0, ready: clock, out: [Phase]()) }
            while let k = branches.indices.filter({ branches[$0].next < branches[$0].steps.count }).min(by: { a, b in
                let ra = branches[a].ready - branches[a].steps[branches[a].next].early, rb = branches[b].ready - branches[b].steps[branches[b].next].early
                return (ra, a) < (rb, b)
            }) {
                let step = branches[k].steps[branches[k].next]
                branches[k].ready = place(branches[k].unit, step, after: branches[k].ready, into: &branches[k].out)
                branches[k].next += 1
            }
            for b in branches { phases += b.out; clock = max(clock, b.ready) }
            for step in tail { clock = place(index, step, after: clock, into: &phases) }
            i = j
        }
        graph.schedule = Schedule(phases: phases, clockMHz: target.clockMHz, constants: Self.constants(target))
    }

    /// One step of a unit's chain: a compute phase, a flow's phases, or elementwise work; `early`:
    /// it may start that many cycles before the step before it ends (H_X, "Overlap"); the line
    /// class or bundles it holds; `router`: a MoE's router allreduce (the fork of remote experts).
    struct Step {
        var phases: [(kind: PhaseKind, label: String, cycles: Int)]
        var flow: Int?
        var early = 0
        var resources: [String] = []
        var router = false
    }

    /// Unit `index`'s steps in chain order (its compute and flows; then, for a unit holding its
    /// layer's base, the elementwise work and layer overhead as `tail`), timed but not placed.
    /// O(ops + flows).
    static func steps(unit index: Int, flows: [Flow], graph: Graph, layout: Layout, routing: Routing, model: CostModel, target: Target,
                      deployment: DeploymentOptions) -> (body: [Step], tail: [Step]) {
        let unit = layout.units[index]
        guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }) else { return ([], []) }
        var body: [Step] = []
        // Overlap (docs/routing-and-schedule.md, "Overlap"): after op X's compute phase, X's
        // first reduction starts `lead` = H_X cycles before that phase ends.
        var lead = 0, leadOp: Int?
        func add(_ step: Step, op: Int? = nil) {
            var step = step
            if let op, op == leadOp, step.phases.first?.kind == .fabric { step.early = lead }
            lead = 0; leadOp = nil
            body.append(step)
        }
        var pending = Array(unit.ops)
        let streamed = Self.streamedCycles(flows, routing: routing)
        func computeThrough(_ op: Int?) {
            while let next = pending.first, op.map({ next <= $0 }) ?? true {
                pending.removeFirst()
                let cycles = Self.computeCycles(graph.ops[next], index: next, unit: unit, tiling: tiling, graph: graph, model: model,
                                                deployment: deployment)
                // Zero-cycle compute steps are left out.
                guard cycles > 0 else { continue }
                add(Step(phases: [(.compute, graph.ops[next].name, cycles)]))
                lead = Self.hiddenCycles(compute: cycles, streamed: streamed[next] ?? 0, overlap: target.reductionOverlap)
                leadOp = next
            }
        }
        // A flow keeps its phase even when it takes no time (an allreduce over a one-PE segment,
        // as on a one-column program area): the plan lists every flow in the schedule, once.
        for flow in flows {
            if let op = flow.op { computeThrough(op) }
            switch flow.kind {
            case .allreduce:
                guard let c = flow.lineClass else { continue }
                let own = routing.classes[c]
                let cycles = own.foldedInto.map { Self.allreduceCycles(routing.classes[$0], payload: flow.payloadWavelets * own.bands, target: target,
                                                                       bypass: Self.bypassHops(routing.classes[$0], routing: routing, layout: layout)) }
                    ?? Self.allreduceCycles(own, payload: flow.payloadWavelets, target: target, bypass: Self.bypassHops(own, routing: routing, layout: layout))
                let label = own.foldedInto == nil ? "\(flow.label) allreduce" : "\(flow.label) allreduce (on the slot's columns, \(own.bands) bands)"
                add(Step(phases: [(.fabric, label, cycles)], flow: flow.id, resources: ["class \(own.foldedInto ?? c)"],
                         router: unit.holdsBase && flow.label == "router"), op: flow.op)
            case .handoff:
                let phases = flow.bundles.map { b in (PhaseKind.fabric, "hand-off \(flow.label)", Self.bundleCycles(routing.bundles[b], payload: flow.payloadWavelets, target: target)) }
                add(Step(phases: phases, flow: flow.id, resources: ["bundle \(flow.bundles.first ?? -1)"]), op: flow.op)
            case .waferLink:
                // A wafer link holds its sending and its receiving edge bundle.
                var phases: [(kind: PhaseKind, label: String, cycles: Int)] = []
                if let out = flow.bundles.first {
                    phases.append((.fabric, "to the edge: \(flow.label)", Self.bundleCycles(routing.bundles[out], payload: flow.payloadWavelets, target: target)))
                }
                let bytes = graph.hidden * graph.activation.bits / 8 * deployment.batch
                phases.append((.link, "system link: \(flow.label)", Self.linkCycles(bytes: bytes, target: target)))
                if flow.bundles.count > 1 {
                    phases.append((.fabric, "from the edge: \(flow.label)", Self.bundleCycles(routing.bundles[flow.bundles[1]], payload: flow.payloadWavelets, target: target)))
                }
                add(Step(phases: phases, flow: flow.id, resources: flow.bundles.prefix(2).map { "bundle \($0)" }), op: flow.op)
            }
        }
        computeThrough(nil)
        guard unit.holdsBase else { return (body, []) }
        var tail: [Step] = []
        var elementwise = 0
        let shape = unit.denseShape(on: tiling)
        for opIndex in unit.ops {
            elementwise += model.elementwiseCycles(graph.ops[opIndex], width: shape.width, height: shape.height,
                                                   context: deployment.contextTokens, batch: deployment.batch, hidden: graph.hidden)
        }
        if elementwise > 0 { tail.append(Step(phases: [(.elementwise, "norms, activations, softmax, residuals", elementwise)])) }
        if graph.ops[unit.ops.lowerBound].layer != nil && target.layerOverheadCycles > 0 {
            tail.append(Step(phases: [(.elementwise, "layer overhead (task switches, sync)", target.layerOverheadCycles)]))
        }
        return (body, tail)
    }

    /// The product reductions (docs/routing-and-schedule.md, "Overlap"): allreduces whose input
    /// is the partial sums of a matrix-vector product or of attention over the cache.
    public static let productReductions: Set<String> = [
        "qkv", "q_a+kv_a", "q_b", "kv_b (absorbed)", "scores", "attention x V", "o_proj", "gate+up", "up", "down",
        "router", "shared gate+up", "shared down", "experts gate+up", "experts down + combine", "logits",
    ]

    /// Per op, S_X: the payload cycles its product reductions stream through the reduce and the
    /// broadcast (2 x payload x bands) on lines longer than one PE. O(flows).
    static func streamedCycles(_ flows: [Flow], routing: Routing) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for flow in flows where flow.kind == .allreduce && productReductions.contains(flow.label) {
            guard let op = flow.op, let c = flow.lineClass else { continue }
            let own = routing.classes[c]
            let host = own.foldedInto.map { routing.classes[$0] } ?? own
            guard host.segment > 1 else { continue }
            out[op, default: 0] += 2 * flow.payloadWavelets * (own.foldedInto == nil ? 1 : own.bands)
        }
        return out
    }

    /// H_X = floor(overlap x min(C_X, S_X)): the cycles of op X's reductions hidden under its
    /// product, for the overlap clamped to 0...1. O(1).
    public static func hiddenCycles(compute: Int, streamed: Int, overlap: Double) -> Int {
        let r = overlap.isFinite ? min(max(overlap, 0), 1) : 0
        return Int((r * Double(max(min(compute, streamed), 0))).rounded(.down))
    }

    /// `graph` (already routed) with its schedule re-timed on `target`, at the context and batch
    /// its partition was made for: how the performance range and the production fit try other
    /// constants on one mapping. Nil when the graph has no partition or the pass fails. O(schedule).
    public static func retimed(_ graph: Graph, on target: Target) -> Graph? {
        guard let partition = graph.partition else { return nil }
        var g = graph
        let deployment = DeploymentOptions(contextTokens: partition.kvCache.contextTokens, batch: partition.kvCache.batch)
        guard (try? SchedulePass().run(&g, context: PassContext(target: target, deployment: deployment))) != nil else { return nil }
        return g
    }

    /// Cycles of one allreduce of `payload` wavelets per line on class `c`; `bypass`: the extra
    /// hops the hardware's spare-row bypasses add to a line of its wafer, crossed by the reduce
    /// and again by the broadcast (docs/redundancy.md). O(1).
    static func allreduceCycles(_ c: LineClass, payload: Int, target: Target, bypass: Int = 0) -> Int {
        guard c.segment > 1 else { return 0 }
        let s = LineStructure(length: c.segment, mode: c.mode)
        let contention = c.exceptions > 0 ? payload : 0
        return target.hopLatencyCycles * (s.criticalHops + 2 * bypass) + target.relayLatencyCycles * s.criticalRelays + 2 * target.rampLatencyCycles
            + 2 * payload + c.penaltyCycles + contention
    }

    /// The bypass hops of class `c`'s wafer for its axis: the column figure for column lines;
    /// for row lines the row figure of the fabric columns and rows its slot spans
    /// (`RowBypassProfile.hops`). O(wafers + blocks x windows).
    static func bypassHops(_ c: LineClass, routing: Routing, layout: Layout) -> Int {
        guard let w = routing.wafers.first(where: { $0.wafer == c.wafer }) else { return 0 }
        guard c.axis == .rows else { return w.bypassHopsColumns }
        guard let profile = w.rowBypass, let tiling = layout.wafers.first(where: { $0.wafer == c.wafer }), c.slot >= 0, c.slot < tiling.slotCount else {
            return w.bypassHopsRows
        }
        let rect = tiling.rect(ofSlot: c.slot)
        return profile.hops(columns: rect.x..<(rect.x + rect.width), rows: (rect.y + c.rows.lowerBound)..<(rect.y + c.rows.upperBound))
    }

    static func bundleCycles(_ b: RouteBundle, payload: Int, target: Target) -> Int {
        target.hopLatencyCycles * b.hops + payload + 2 * target.rampLatencyCycles + b.penaltyCycles
    }

    /// One-way latency plus serialisation of `bytes` over one system link, in cycles.
    public static func linkCycles(bytes: Int, target: Target) -> Int {
        let nanoseconds = target.waferLinkLatencyNs + Double(bytes) * 8 / max(target.waferLinkGbps, 1e-9)
        let cycles = (nanoseconds * target.clockMHz / 1000).rounded(.up)
        return cycles.isFinite ? Int(min(max(cycles, 0), 1e15)) : Int(1e15)
    }

    /// Per-PE compute of `op` within `unit` (the largest tile decides; `CostModel`, the same
    /// model the tile pass chose the region with). O(weights).
    static func computeCycles(_ op: Op, index: Int, unit: UnitTiling, tiling: WaferTiling, graph: Graph, model: CostModel,
                              deployment: DeploymentOptions) -> Int {
        var cycles = 0
        if unit.holdsBase {
            let shape = unit.denseShape(on: tiling)
            cycles += model.denseCycles(op, activation: graph.activation, width: shape.width, height: shape.height,
                                        context: deployment.contextTokens, batch: deployment.batch)
        }
        if unit.expertOp == index, let cells = unit.cells {
            cycles += model.expertCycles(op, cellWidth: cells.cellWidth, cellHeight: cells.cellHeight, batch: deployment.batch)
        }
        return cycles
    }

    /// The constants the times come from, as `name = value (source)` lines.
    public static func constantLines(_ t: Target) -> [String] { constants(t) }

    static func constants(_ t: Target) -> [String] {
        let profile = t.kernels.map { "kernel profile \($0.name)" } ?? "target"
        var lines = [
            "hop latency = \(t.hopLatencyCycles) cycles per link (target latency.hop_cycles)",
            "relay latency = \(t.relayLatencyCycles) cycles per software relay stage (\(profile) relay_cycles)",
            "ramp latency = \(t.rampLatencyCycles) cycles router <-> PE (target latency.ramp_cycles)",
            "link bandwidth = 1 wavelet of \(t.waveletBits) bits per cycle per direction (target wavelet_bits)",
        ]
        if let h = t.hardware, let k = t.kernels {
            let bound = 1 / h.boundCyclesPerMAC(.fp16)
            lines.append("fp16 MACs = \(Units.fixed(t.macs(for: .fp16), digits: 2)) per cycle per PE, sustained in a GEMV: efficiency \(Units.fixed(k.matvecEfficiency.value, digits: 3)) (\(profile)) x bound \(Units.fixed(bound, digits: 2)) = min(SIMD \(Units.fixed(h.simdMacsPerCycle[.fp16] ?? 0, digits: 0)), SRAM \(Units.fixed(h.sramReadBytesPerCycle, digits: 0)) B/cycle / 2 B per weight) (target pe)")
            let narrow = [ElementType.fp8_e4m3, .int8, .int4, .mxfp4].map { "\($0.rawValue) \(Units.fixed(t.macs(for: $0), digits: 2))" }
            lines.append("narrow weights: MACs per cycle with dequantisation (\(profile) dequant_cycles_per_weight): \(narrow.joined(separator: ", "))")
        } else {
            lines.append("fp16 MACs = \(Units.fixed(t.macs(for: .fp16), digits: 2)) per cycle per PE, sustained in a GEMV (target pe.macs_per_cycle)")
        }
        lines += [
            "clock = \(Units.fixed(t.clockMHz, digits: 0)) MHz (target clock_mhz)",
            "system link = \(Units.fixed(t.waferLinkGbps, digits: 0)) Gb/s, \(Units.fixed(t.waferLinkLatencyNs, digits: 0)) ns one way (target wafer_link)",
            "layer overhead = \(t.layerOverheadCycles) cycles per decoder layer (\(profile) layer_overhead_cycles)",
            "elementwise = 1 cycle per element per operation on a PE's slice (norms 3, softmax 4, activations 5)",
        ]
        return lines
    }
}
