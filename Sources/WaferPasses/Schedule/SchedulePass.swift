import WaferIR
import WaferSupport
import WaferTarget

/// Orders the per-PE compute and the flows of one decode step into timed phases.
///
/// At batch 1 a token visits the units one after another, and within a unit each op computes
/// and then allreduces, so the phases form one chain: each starts when the previous ends, except
/// that op X's first reduction starts H_X = floor(overlap x min(C_X, S_X)) cycles before X's
/// compute phase ends (its partial sums stream while the product runs; docs/routing-and-schedule.md,
/// "Overlap"; H_X = 0 at the default overlap 0). Times:
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
/// O(units x ops + flows).
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
        var clock = 0
        // Overlap (docs/routing-and-schedule.md, "Overlap"): after op X's compute phase, X's
        // first reduction starts `lead` = H_X cycles before that phase ends.
        var lead = 0, leadOp: Int?
        // Resources (a line class, or a transfer's first bundle) carry one phase at a time:
        // `free` holds the end of each one's latest phase.
        var free: [String: Int] = [:]
        func add(_ unit: Int, _ kind: PhaseKind, _ label: String, _ flow: Int?, _ cycles: Int, on resource: String? = nil) {
            // A flow keeps its phase even when it takes no time (an allreduce over a one-PE
            // segment, as on a one-column program area): the plan lists every flow in the
            // schedule, once. Zero-cycle compute and elementwise steps are left out.
            guard cycles > 0 || flow != nil else { return }
            var early = 0
            if kind == .fabric, let f = flow, let op = routing.flows[f].op, op == leadOp { early = lead }
            lead = 0; leadOp = nil
            let start = max(clock - early, resource.flatMap { free[$0] } ?? Int.min)
            phases.append(Phase(unit: unit, kind: kind, label: label, flow: flow, start: start, end: start + cycles))
            clock = start + cycles
            if let resource { free[resource] = clock }
        }
        // Remote experts in parallel (docs/routing-and-schedule.md): a layer's expert slices on
        // other units fork when its router allreduce ends and join before its elementwise work.
        var fork = ForkJoin()
        func finishBase() {
            guard let base = fork.base else { return }
            clock = max(clock, fork.joinAt)
            fork = ForkJoin()
            let unit = layout.units[base]
            guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }) else { return }
            var elementwise = 0
            for opIndex in unit.ops {
                elementwise += model.elementwiseCycles(graph.ops[opIndex], width: tiling.slotWidth, height: tiling.slotHeight,
                                                       context: deployment.contextTokens, batch: deployment.batch, hidden: graph.hidden)
            }
            add(base, .elementwise, "norms, activations, softmax, residuals", nil, elementwise)
            if graph.ops[unit.ops.lowerBound].layer != nil {
                add(base, .elementwise, "layer overhead (task switches, sync)", nil, target.layerOverheadCycles)
            }
        }
        for index in FlowBuilder.executionOrder(layout) {
            let unit = layout.units[index]
            guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }) else { continue }
            if unit.holdsBase { finishBase() } else if fork.base != nil { clock = fork.forkAt ?? clock }
            lead = 0; leadOp = nil
            var pending = Array(unit.ops)
            let streamed = Self.streamedCycles(byUnit[index] ?? [], routing: routing)
            func computeThrough(_ op: Int?) {
                while let next = pending.first, op.map({ next <= $0 }) ?? true {
                    pending.removeFirst()
                    let cycles = Self.computeCycles(graph.ops[next], index: next, unit: unit, tiling: tiling, graph: graph, model: model,
                                                    deployment: deployment)
                    add(index, .compute, graph.ops[next].name, nil, cycles)
                    if cycles > 0 {
                        lead = Self.hiddenCycles(compute: cycles, streamed: streamed[next] ?? 0, overlap: target.reductionOverlap)
                        leadOp = next
                    }
                }
            }
            for flow in byUnit[index] ?? [] {
                if let op = flow.op { computeThrough(op) }
                switch flow.kind {
                case .allreduce:
                    guard let c = flow.lineClass else { continue }
                    let own = routing.classes[c]
                    let on = "class \(own.foldedInto ?? c)"
                    if let host = own.foldedInto {
                        add(index, .fabric, "\(flow.label) allreduce (on the slot's columns, \(own.bands) bands)", flow.id,
                            Self.allreduceCycles(routing.classes[host], payload: flow.payloadWavelets * own.bands, target: target), on: on)
                    } else {
                        add(index, .fabric, "\(flow.label) allreduce", flow.id, Self.allreduceCycles(own, payload: flow.payloadWavelets, target: target), on: on)
                    }
                    if unit.holdsBase && flow.label == "router" && fork.forkAt == nil { fork.forkAt = clock }
                case .handoff:
                    let on = "bundle \(flow.bundles.first ?? -1)"
                    for b in flow.bundles { add(index, .fabric, "hand-off \(flow.label)", flow.id, Self.bundleCycles(routing.bundles[b], payload: flow.payloadWavelets, target: target), on: on) }
                case .waferLink:
                    let on = "bundle \(flow.bundles.first ?? -1)"
                    if let out = flow.bundles.first {
                        add(index, .fabric, "to the edge: \(flow.label)", flow.id, Self.bundleCycles(routing.bundles[out], payload: flow.payloadWavelets, target: target), on: on)
                    }
                    let bytes = graph.hidden * graph.activation.bits / 8 * deployment.batch
                    add(index, .link, "system link: \(flow.label)", flow.id, Self.linkCycles(bytes: bytes, target: target), on: on)
                    if flow.bundles.count > 1 {
                        add(index, .fabric, "from the edge: \(flow.label)", flow.id, Self.bundleCycles(routing.bundles[flow.bundles[1]], payload: flow.payloadWavelets, target: target), on: on)
                    }
                }
            }
            computeThrough(nil)
            if unit.holdsBase {
                fork = ForkJoin(base: index, forkAt: fork.forkAt, joinAt: clock)
            } else {
                fork.joinAt = max(fork.joinAt, clock)
            }
        }
        finishBase()
        graph.schedule = Schedule(phases: phases, clockMHz: target.clockMHz, constants: Self.constants(target))
    }

    /// The open fork of the latest layer unit: its index, when its router allreduce ended (its
    /// remote expert slices start then; nil: the layer has none yet, a slice then starts when the
    /// layer's local chain ends) and the latest end of its local chain and its slices' chains.
    struct ForkJoin {
        var base: Int?
        var forkAt: Int?
        var joinAt = 0
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

    /// Cycles of one allreduce of `payload` wavelets per line on class `c`. O(1).
    static func allreduceCycles(_ c: LineClass, payload: Int, target: Target) -> Int {
        guard c.segment > 1 else { return 0 }
        let s = LineStructure(length: c.segment, mode: c.mode)
        let contention = c.exceptions > 0 ? payload : 0
        return target.hopLatencyCycles * s.criticalHops + target.relayLatencyCycles * s.criticalRelays + 2 * target.rampLatencyCycles
            + 2 * payload + c.penaltyCycles + contention
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
            cycles += model.denseCycles(op, activation: graph.activation, width: tiling.slotWidth, height: tiling.slotHeight,
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
