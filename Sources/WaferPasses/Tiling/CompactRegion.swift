import Foundation
import WaferIR
import WaferSupport
import WaferTarget

/// Compact regions (docs/tiling-and-placement.md, "Compact regions"): a unit whose routed experts
/// fill its slot tiles its dense weights and KV cache (attention, router, shared expert, norms)
/// over a rectangle sized to their work instead of over the whole slot, so their reductions run
/// along short lines. The experts keep their cells over the whole slot; the dense part shares
/// those PEs memory-wise (a token runs them one after the other), and before the experts the
/// activation is broadcast from the region to the cells ("dispatch to cells").
///
/// The region is chosen by exhaustive search over a geometric ladder of sizes per axis
/// (`TileConfig.regionSteps`), minimising the modelled cycles of the dense part with every
/// allreduce's line latency and payload (`DecodeTraffic`, the flows the route pass builds) plus
/// the dispatch, under the PE's byte budget, once the grid search (on the whole-slot model) has
/// chosen the wafer's grid (`TilePass.withCompactRegions`). A group keeps the whole slot unless a band
/// saves cycles. O(2 x steps x units x (ops x weights + expert-cell search)) per wafer.
extension TilePass {
    /// Units that may get a compact region: a layer's own unit holding routed experts.
    static func wantsCompactRegion(_ unit: Unit) -> Bool { unit.base && unit.expertOp != nil && !unit.experts.isEmpty }

    /// `steps` sizes from `length` down to `length / 64` in equal ratios, rounded, distinct,
    /// descending (the first is `length`). O(steps).
    public static func regionLadder(_ length: Int, steps: Int) -> [Int] {
        guard steps > 1, length > 1 else { return [max(length, 1)] }
        let ratio = pow(1.0 / 64, 1.0 / Double(steps - 1))
        var sizes: [Int] = []
        var size = Double(length)
        for _ in 0..<steps {
            let s = max(1, Int(size.rounded()))
            if sizes.last != s { sizes.append(s) }
            size *= ratio
        }
        return sizes
    }

    /// The dense part of `unit` on a `w x h` region as the schedule times it: compute,
    /// elementwise work, every allreduce of its ops (`DecodeTraffic`, without the experts' own)
    /// with its line latency and its payload through the reduce and the broadcast, and the layer
    /// overhead. With `chainColumns` (a region's own column lines, which compete with the slot's
    /// and the cells' classes for colors and become chains first when the palette runs short:
    /// `WaferRouter`), column reductions are costed as chains, `hop x P + relay x P/2`, so a region is
    /// chosen only when it wins even then. O(ops x weights).
    static func denseFlowCycles(_ unit: Unit, graph: Graph, width w: Int, height h: Int, model: CostModel, kv: KVCacheShape,
                                chainColumns: Bool = false) -> Int {
        let target = model.target
        var cycles = 0
        for opIndex in unit.ops {
            let op = graph.ops[opIndex]
            cycles += model.denseCycles(op, activation: graph.activation, width: w, height: h, context: kv.contextTokens, batch: kv.batch)
            cycles += model.elementwiseCycles(op, width: w, height: h, context: kv.contextTokens, batch: kv.batch, hidden: graph.hidden)
            for item in DecodeTraffic.allreduces(op, width: w, height: h, cells: nil, contextTokens: kv.contextTokens) {
                let wavelets = DecodeTraffic.wavelets(item.elements, bits: graph.activation.bits, batch: kv.batch, waveletBits: target.waveletBits)
                let line = item.axis == .rows ? model.reduction(w)
                    : chainColumns ? target.hopLatencyCycles * h + target.relayLatencyCycles * (h / 2) + 2 * target.rampLatencyCycles : model.reduction(h)
                cycles += line + 2 * wavelets
            }
        }
        if graph.ops[unit.ops.lowerBound].layer != nil { cycles += target.layerOverheadCycles }
        return cycles
    }

    /// Cycles of the broadcast that brings the activation from a `region` to the expert cells of
    /// a `w x h` slot: along the slot's columns when the region is shorter than the slot, along
    /// its rows when it is narrower (`DecodeTraffic.dispatchItems`). O(1).
    static func dispatchCycles(region: RegionShape, width w: Int, height h: Int, cells: ExpertCells, hidden: Int, graph: Graph,
                               model: CostModel, batch: Int) -> Int {
        DecodeTraffic.dispatchItems(region: region, width: w, height: h, cells: cells, hidden: hidden).reduce(0) { sum, item in
            let wavelets = DecodeTraffic.wavelets(item.elements, bits: graph.activation.bits, batch: batch, waveletBits: model.target.waveletBits)
            return sum + model.reduction(item.axis == .rows ? w : h) + 2 * wavelets
        }
    }

    /// Where a compact region sits: a full-width band at the top of the slot overlapping the
    /// expert cells (its PEs hold both), or a full-width band of the bottom rows disjoint from
    /// them (the cells shrink to the rows above).
    enum RegionPlacement: Hashable, CaseIterable { case overlapping, below }

    /// `unit` on a `w x h` slot with its dense part on a full-width band of `dh` rows placed as
    /// `placement`: its evaluation (cycles as the grid search counts them: `denseEvaluation`, the
    /// experts' cells and the dispatch) and its flow-level cost (`denseFlowCycles` + dispatch +
    /// cells), or nil when the unit does not qualify or does not fit `budget` alone.
    /// O(ops x weights + expert-cell search).
    static func regionVariant(_ unit: Unit, graph: Graph, width w: Int, height h: Int, placement: RegionPlacement, rows dh: Int,
                              whole: (evaluation: Evaluation, decode: Int), model: CostModel, kv: KVCacheShape, config: TileConfig,
                              budget: Int) -> (evaluation: Evaluation, cost: Int)? {
        guard config.regionSteps > 0, wantsCompactRegion(unit), dh >= 1, dh < h else { return nil }
        let cellRows = placement == .below ? h - dh : h
        let experts = expertEvaluation(unit, graph: graph, width: w, height: cellRows, model: model, batch: kv.batch, config: config)
        guard let cells = experts.cells else { return nil }
        let d = denseEvaluation(unit, graph: graph, width: w, height: dh, model: model, kv: kv)
        let region = RegionShape(width: w, height: dh, row0: placement == .below ? h - dh : 0)
        let hidden = graph.ops[unit.ops].first.map(\.hiddenWidth) ?? graph.hidden
        let dispatch = dispatchCycles(region: region, width: w, height: h, cells: cells, hidden: hidden, graph: graph, model: model, batch: kv.batch)
        let decode = denseFlowCycles(unit, graph: graph, width: w, height: dh, model: model, kv: kv, chainColumns: true) + experts.cycles + dispatch
        let cost = decode + prefillPenalty(unit, graph: graph, width: w, height: dh, model: model, config: config)
        // The grid search compares the whole-slot model's cycles; a region changes them by what
        // the flow-level model says it saves.
        let saved = whole.decode - decode
        let evaluation = Evaluation(dense: d.dense, experts: experts.bytes, kv: d.kv, cells: cells, cycles: whole.evaluation.cycles - saved,
                                    longest: max(d.longest, experts.longest, h), region: region, wholeSlotCycles: whole.evaluation.cycles,
                                    expertCycles: experts.cycles)
        return evaluation.bytes <= budget ? (evaluation, cost) : nil
    }

    /// The flow-level decode cycles of `unit` with its dense part on the whole `w x h` slot, whose
    /// experts took `expertCycles` on the whole slot's cells, for comparing with
    /// `regionVariant`'s. O(ops x weights).
    static func wholeSlotDecode(_ unit: Unit, graph: Graph, width w: Int, height h: Int, expertCycles: Int, model: CostModel, kv: KVCacheShape) -> Int {
        denseFlowCycles(unit, graph: graph, width: w, height: h, model: model, kv: kv) + expertCycles
    }

    /// `TileConfig.regionPrefillWeight` x the cycles of the unit's dense weight MACs for one
    /// prompt token on a `w x h` region (`CostModel.denseCycles` without attention): what a region
    /// adds to prefill, counted against what it saves in decode. O(ops x weights).
    static func prefillPenalty(_ unit: Unit, graph: Graph, width w: Int, height h: Int, model: CostModel, config: TileConfig) -> Int {
        guard config.regionPrefillWeight > 0 else { return 0 }
        let perToken = unit.ops.reduce(0) { $0 + model.denseCycles(graph.ops[$1], activation: graph.activation, width: w, height: h, context: 0, batch: 1) }
        let weighted = (config.regionPrefillWeight * Double(perToken)).rounded()
        return weighted < 1e15 ? Int(weighted) : Int(1e15)
    }
}
