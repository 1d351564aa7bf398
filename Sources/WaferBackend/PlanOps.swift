import WaferIR
import WaferPlan

/// IR op -> `PlanOp`: the hyper-parameters an executor needs to run the op, as named integers
/// (docs/plan-format.md, "Ops"). O(1) per op.
enum PlanOps {
    static func planOp(_ op: Op) -> PlanOp {
        func flag(_ b: Bool) -> Int { b ? 1 : 0 }
        var attributes: [String: Int] = [:]
        var activation: PlanActivation?
        switch op.kind {
        case let .embedding(a):
            attributes = ["vocab": a.vocab, "hidden": a.hidden]
        case let .norm(a):
            attributes = ["width": a.width, "bias": flag(a.bias)]
        case let .attention(a):
            attributes = ["heads": a.heads, "kv_heads": a.kvHeads, "head_dim": a.headDim, "qk_norm": flag(a.qkNorm), "qkv_bias": flag(a.qkvBias),
                          "o_bias": flag(a.oBias), "sinks": flag(a.sinks), "sliding_window": a.slidingWindow ?? 0]
        case let .mla(a):
            attributes = ["heads": a.heads, "q_lora_rank": a.qLoraRank ?? 0, "kv_lora_rank": a.kvLoraRank, "qk_nope_head_dim": a.qkNopeHeadDim,
                          "qk_rope_head_dim": a.qkRopeHeadDim, "v_head_dim": a.vHeadDim]
        case let .mlp(a):
            attributes = ["intermediate": a.intermediate, "gated": flag(a.gated), "bias": flag(a.bias)]
            activation = PlanActivation(a.activation)
        case let .moe(a):
            attributes = ["experts": a.experts, "top_k": a.topK, "expert_intermediate": a.expertIntermediate, "shared_experts": a.sharedExperts,
                          "shared_intermediate": a.sharedIntermediate, "gated": flag(a.gated), "router_bias": flag(a.routerBias),
                          "expert_bias": flag(a.expertBias)]
            activation = PlanActivation(a.activation)
        case .residualAdd:
            attributes = [:]
        case let .lmHead(a):
            attributes = ["vocab": a.vocab, "hidden": a.hidden, "tied": flag(a.tied), "bias": flag(a.bias)]
        }
        return PlanOp(name: op.name, kind: PlanOpKind(op.kind), layer: op.layer ?? -1, attributes: attributes, activation: activation,
                      tiedWeight: op.tiedWeight)
    }
}
