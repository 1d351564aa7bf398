import WaferIR
import WaferSupport
import WaferTarget

/// The analytic decode-time model (docs/performance-model.md): the tile pass chooses region
/// shapes with it and the schedule pass times the routed plan with the same terms.
///
/// Per op, cycles = compute + reductions + elementwise work: compute is the largest per-PE tile's
/// MACs (one per weight value and sequence) at the target's sustained MACs per cycle, plus
/// attention over the cached tokens spread over the region; each reduction of a line of P PEs
/// uses WaferLLM's two-level tree (G ~ sqrt(P) groups of g = P / G):
/// `hop x (P + g/2) + relay x (g/2 + G/2) + 2 x ramp` cycles; elementwise work is one cycle per
/// element per operation on the PE's slice (`elementwiseCycles`). A decoder layer adds the
/// target's `layerOverheadCycles`. The sustained rates and overheads come from the target's
/// hardware facts and kernel profile (`Target.applying`; docs/performance-model.md).
public struct CostModel: Sendable {
    public let target: Target

    public init(target: Target) { self.target = target }

    /// Cycles of one reduction (or broadcast) along a line of `length` PEs, payload excluded. O(1).
    public func reduction(_ length: Int) -> Int {
        guard length > 1 else { return 0 }
        let groups = max(1, Int(Double(length).squareRoot().rounded()))
        let perGroup = Checked.ceilDiv(length, groups)
        return target.hopLatencyCycles * (length + perGroup / 2) + target.relayLatencyCycles * (perGroup / 2 + groups / 2)
            + 2 * target.rampLatencyCycles
    }

    /// Elementwise cycles of `op` per decode step on a `width x height` region: one cycle per
    /// element per operation on the PE's slice. Norms and residual adds: 3 operations (square,
    /// scale, multiply; or add) on `hidden / width` elements; attention: 4 (scale, max, exp, sum)
    /// on the PE's share of `kept tokens x heads` scores; MLPs and MoE: 5 (activation, gating,
    /// router) on the PE's share of the intermediate vector, plus one. The executor's timing
    /// simulation implements the same rule independently. O(1).
    public func elementwiseCycles(_ op: Op, width w: Int, height h: Int, context: Int, batch: Int, hidden: Int) -> Int {
        let area = max(w * h, 1), width = max(w, 1)
        let perSequence: Int
        switch op.kind {
        case let .norm(a): perSequence = 3 * Checked.ceilDiv(max(a.width, hidden), width)
        case .residualAdd: perSequence = 3 * Checked.ceilDiv(hidden, width)
        case let .attention(a):
            perSequence = 4 * Checked.ceilDiv(Checked.product([op.kind.kvTokensKept(context: context), a.heads]) ?? Int.max / 8, area)
        case let .mla(a): perSequence = 4 * Checked.ceilDiv(Checked.product([context, a.heads]) ?? Int.max / 8, area)
        case let .mlp(a): perSequence = 5 * (Checked.ceilDiv(a.intermediate, area) + 1)
        case let .moe(a):
            let inter = a.expertIntermediate * a.topK + a.sharedExperts * a.sharedIntermediate
            perSequence = 5 * (Checked.ceilDiv(inter, area) + 1)
        case .embedding, .lmHead: perSequence = 0
        }
        return perSequence * max(batch, 1)
    }

    /// Reductions an op does per decode step: along the region's rows (length = height) and
    /// along its columns (length = width). Fused products that share an input count once.
    public static func reductions(_ kind: OpKind) -> (alongRows: Int, alongColumns: Int) {
        switch kind {
        case .embedding, .residualAdd: return (0, 0)
        case .norm: return (1, 0)
        case .attention: return (4, 2)   // fused qkv, softmax max and sum, A.V; scores, o_proj
        case .mla: return (6, 2)         // q_a+kv_a, q_b, kv_b, softmax max and sum, A.V; scores, o_proj
        case .mlp: return (1, 1)         // gate+up; down
        case .moe: return (2, 1)         // router, shared gate+up; shared down (experts: on their cells)
        case .lmHead: return (1, 1)      // logits; argmax
        }
    }

    /// Per-PE cycles of `op`'s own weights (each tensor's largest tile: one MAC per weight value
    /// and sequence, at the sustained rate for the weight's stored element type, which for narrow
    /// types includes their dequantisation: `Target.applying`) plus its attention over `context`
    /// cached tokens spread over the `width x height` region, at the activation's rate. An
    /// embedding is a lookup: no MACs. O(weights).
    public func denseCycles(_ op: Op, activation: ElementType, width w: Int, height h: Int, context: Int, batch: Int) -> Int {
        if case .embedding = op.kind { return 0 }
        var cycles = 0
        for tensor in op.weights where !tensor.expertStacked && !tensor.role.isVector {
            let block = tileBlock(of: tensor, width: w, height: h)
            cycles &+= computeCycles(macsPerPE: block.rows * block.cols * batch, element: tensor.format.element)
        }
        let attention = Checked.ceilDiv(op.kind.attentionMACs(context: context) ?? 0, max(w * h, 1))
        return cycles &+ computeCycles(macsPerPE: attention * batch, element: activation)
    }

    /// Per-PE cycles of one routed expert of `op` on a `cellWidth x cellHeight` cell, each
    /// tensor at the rate for its stored element type. O(weights).
    public func expertCycles(_ op: Op, cellWidth: Int, cellHeight: Int, batch: Int) -> Int {
        var cycles = 0
        for tensor in op.weights where tensor.expertStacked && !tensor.role.isVector {
            let block = tileBlock(of: tensor, width: cellWidth, height: cellHeight)
            cycles &+= computeCycles(macsPerPE: block.rows * block.cols * batch, element: tensor.format.element)
        }
        return cycles
    }

    /// Cycles of the MAC work `macsPerPE` takes on one PE.
    public func computeCycles(macsPerPE: Int, element: ElementType) -> Int {
        target.computeCycles(macs: macsPerPE, element: element)
    }
}
