import WaferIR
import WaferSupport

/// One allreduce an op performs per decode step, before it is bound to a line class.
struct TrafficItem {
    var label: String
    /// `rows`: along the region's rows (summing over columns); `columns`: along its columns.
    var axis: LineAxis
    /// On the slot, or on the expert cells.
    var onCells: Bool
    /// Elements each line carries (per sequence).
    var elements: Int
}

/// The allreduces of one decode step, per op kind, on a `width x height` region with expert
/// cells `cells` (after WaferLLM's layer mapping: 7 allreduces along y and 3 along x per dense
/// decoder layer; calibration notes). Every payload is the per-line share of a vector:
/// an output split over the lines that carry it. Pure function of the op and the region. O(1).
enum DecodeTraffic {
    static func allreduces(_ op: Op, width w: Int, height h: Int, cells: ExpertCells?, contextTokens: Int) -> [TrafficItem] {
        func c(_ n: Int, _ d: Int) -> Int { max(1, Checked.ceilDiv(max(n, 1), max(d, 1))) }
        switch op.kind {
        case let .embedding(a):
            // The token's vocabulary slice sits in one column; its row multicast is an allreduce
            // with zeros from the other columns.
            return [TrafficItem(label: "lookup", axis: .rows, onCells: false, elements: c(a.hidden, h))]
        case .norm:
            return [TrafficItem(label: "sum of squares", axis: .columns, onCells: false, elements: 1)]
        case let .attention(a):
            let tokens = op.kind.kvTokensKept(context: contextTokens)
            let qkv = (a.heads + 2 * a.kvHeads) * a.headDim
            return [
                TrafficItem(label: "qkv", axis: .columns, onCells: false, elements: c(qkv, w)),
                TrafficItem(label: "scores", axis: .rows, onCells: false, elements: c(tokens, h) * c(a.heads, w)),
                TrafficItem(label: "softmax max", axis: .columns, onCells: false, elements: c(a.heads, w)),
                TrafficItem(label: "softmax sum", axis: .columns, onCells: false, elements: c(a.heads, w)),
                TrafficItem(label: "attention x V", axis: .columns, onCells: false, elements: c(a.heads * a.headDim, w)),
                TrafficItem(label: "o_proj", axis: .rows, onCells: false, elements: c(op.hiddenWidth, h)),
            ]
        case let .mla(a):
            let tokens = contextTokens
            let down = (a.qLoraRank ?? 0) + a.kvLoraRank + a.qkRopeHeadDim
            return [
                TrafficItem(label: "q_a+kv_a", axis: .columns, onCells: false, elements: c(down, w)),
                TrafficItem(label: "q_b", axis: .columns, onCells: false, elements: c(a.heads * (a.qkNopeHeadDim + a.qkRopeHeadDim), w)),
                TrafficItem(label: "kv_b (absorbed)", axis: .columns, onCells: false, elements: c(a.heads * a.kvLoraRank, w)),
                TrafficItem(label: "scores", axis: .rows, onCells: false, elements: c(tokens, h) * c(a.heads, w)),
                TrafficItem(label: "softmax max", axis: .columns, onCells: false, elements: c(a.heads, w)),
                TrafficItem(label: "softmax sum", axis: .columns, onCells: false, elements: c(a.heads, w)),
                TrafficItem(label: "attention x V", axis: .columns, onCells: false, elements: c(a.heads * a.vHeadDim, w)),
                TrafficItem(label: "o_proj", axis: .rows, onCells: false, elements: c(op.hiddenWidth, h)),
            ]
        case let .mlp(a):
            return [
                TrafficItem(label: a.gated ? "gate+up" : "up", axis: .columns, onCells: false, elements: c(a.intermediate * (a.gated ? 2 : 1), w)),
                TrafficItem(label: "down", axis: .rows, onCells: false, elements: c(op.hiddenWidth, h)),
            ]
        case let .moe(a):
            var items = [TrafficItem(label: "router", axis: .columns, onCells: false, elements: c(a.experts, w))]
            if a.sharedExperts > 0 {
                let inter = a.sharedExperts * a.sharedIntermediate * (a.gated ? 2 : 1)
                items.append(TrafficItem(label: "shared gate+up", axis: .columns, onCells: false, elements: c(inter, w)))
                items.append(TrafficItem(label: "shared down", axis: .rows, onCells: false, elements: c(op.hiddenWidth, h)))
            }
            items += expertItems(a, hidden: op.hiddenWidth, cells: cells, width: w, height: h)
            return items
        case let .lmHead(a):
            return [
                TrafficItem(label: "logits", axis: .columns, onCells: false, elements: c(a.vocab, w)),
                TrafficItem(label: "argmax", axis: .rows, onCells: false, elements: 2),
            ]
        case .residualAdd:
            return []
        }
    }

    /// Routed experts on their cells. gate+up reduce along each cell's columns and broadcast
    /// back (the cell-column class); `down` partial sums, scaled by the router weight of the
    /// cell's expert (zero for an expert not chosen), reduce along the slot's rows, which sums the
    /// experts of a band of cells too (the combine across cell columns); rows of different bands
    /// that hold the same output slice then add along the slot's columns (the combine across
    /// cell rows, only with more than one band). The routes serve every choice of experts.
    static func expertItems(_ a: MoEAttributes, hidden: Int, cells: ExpertCells?, width w: Int, height h: Int) -> [TrafficItem] {
        guard let cells else { return [] }
        func c(_ n: Int, _ d: Int) -> Int { max(1, Checked.ceilDiv(max(n, 1), max(d, 1))) }
        var items = [
            TrafficItem(label: "experts gate+up", axis: .columns, onCells: true, elements: c(a.expertIntermediate * (a.gated ? 2 : 1), cells.cellWidth)),
            TrafficItem(label: "experts down + combine", axis: .rows, onCells: false, elements: c(hidden, cells.cellHeight)),
        ]
        if cells.rows > 1 {
            items.append(TrafficItem(label: "combine across cell rows", axis: .columns, onCells: false, elements: c(hidden, cells.cellHeight)))
        }
        return items
    }

    /// The broadcast that brings the activation from a unit's compact `region` (anchored at the
    /// slot's top-left tile) to its expert cells over the `w x h` slot: down the slot's columns
    /// when the region is shorter than the slot, then along its rows when it is narrower; each
    /// line carries a cell row's slice of the hidden vector (docs/tiling-and-placement.md,
    /// "Compact regions"). Empty when the region is the slot. O(1).
    static func dispatchItems(region: RegionShape, width w: Int, height h: Int, cells: ExpertCells, hidden: Int) -> [TrafficItem] {
        let elements = max(1, Checked.ceilDiv(max(hidden, 1), max(cells.cellHeight, 1)))
        var items: [TrafficItem] = []
        if region.height < h { items.append(TrafficItem(label: "dispatch to cells", axis: .columns, onCells: false, elements: elements)) }
        if region.width < w { items.append(TrafficItem(label: "dispatch across cells", axis: .rows, onCells: false, elements: elements)) }
        return items
    }

    /// Wavelets that `elements` activation values take, for `batch` sequences.
    static func wavelets(_ elements: Int, bits: Int, batch: Int, waveletBits: Int) -> Int {
        Checked.ceilDiv(elements * bits * batch, max(waveletBits, 1))
    }
}

extension Op {
    /// The width of the activation vector the op reads and writes (hidden size).
    var hiddenWidth: Int {
        switch kind {
        case let .embedding(a): return a.hidden
        case let .norm(a): return a.width
        case let .lmHead(a): return a.hidden
        default:
            // Every matrix of these ops reads or writes the hidden vector: the input dimension
            // of the first matrix is it.
            return weights.first { !$0.role.isVector && !$0.expertStacked }?.shape.last
                ?? weights.first?.shape.last ?? 1
        }
    }
}
