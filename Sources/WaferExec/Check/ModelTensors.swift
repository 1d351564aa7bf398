import WaferPlan

/// The weights each op of a plan must have, derived by the executor from the op's
/// hyper-parameters alone (Hugging Face checkpoint names and shapes; expert-stacked tensors
/// lead with the expert count). Written independently of the front end's tables.
public enum ModelTensors {
    public struct Expected: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var stacked: Bool
    }

    /// The tensors of `op`, for a model `hidden` wide. O(1).
    public static func expected(_ op: PlanOp, hidden: Int) -> [Expected] {
        func t(_ n: String, _ s: [Int], stacked: Bool = false) -> Expected { Expected(name: n, shape: s, stacked: stacked) }
        func mlp(_ prefix: String, _ inter: Int, experts: Int?) -> [Expected] {
            let stacked = experts != nil
            func s(_ dims: [Int]) -> [Int] { experts.map { [$0] + dims } ?? dims }
            var out: [Expected] = []
            if op["gated"] == 1 {
                out.append(t(prefix + "gate_proj.weight", s([inter, hidden]), stacked: stacked))
                if op["expert_bias"] == 1 || (experts == nil && op["bias"] == 1) { out.append(t(prefix + "gate_proj.bias", s([inter]), stacked: stacked)) }
            }
            out.append(t(prefix + "up_proj.weight", s([inter, hidden]), stacked: stacked))
            if op["expert_bias"] == 1 || (experts == nil && op["bias"] == 1) { out.append(t(prefix + "up_proj.bias", s([inter]), stacked: stacked)) }
            out.append(t(prefix + "down_proj.weight", s([hidden, inter]), stacked: stacked))
            if op["expert_bias"] == 1 || (experts == nil && op["bias"] == 1) { out.append(t(prefix + "down_proj.bias", s([hidden]), stacked: stacked)) }
            return out
        }
        switch op.kind {
        case .embedding: return [t("weight", [op["vocab"], op["hidden"]])]
        case .rmsnorm, .layernorm:
            return [t("weight", [op["width"]])] + (op["bias"] == 1 ? [t("bias", [op["width"]])] : [])
        case .attention:
            let q = op["heads"] * op["head_dim"], kv = op["kv_heads"] * op["head_dim"]
            var out = [t("q_proj.weight", [q, hidden]), t("k_proj.weight", [kv, hidden]), t("v_proj.weight", [kv, hidden]), t("o_proj.weight", [hidden, q])]
            if op["qkv_bias"] == 1 { out += [t("q_proj.bias", [q]), t("k_proj.bias", [kv]), t("v_proj.bias", [kv])] }
            if op["o_bias"] == 1 { out.append(t("o_proj.bias", [hidden])) }
            if op["qk_norm"] == 1 { out += [t("q_norm.weight", [op["head_dim"]]), t("k_norm.weight", [op["head_dim"]])] }
            if op["sinks"] == 1 { out.append(t("sinks", [op["heads"]])) }
            return out
        case .mla:
            let h = op["heads"], nope = op["qk_nope_head_dim"], rope = op["qk_rope_head_dim"], v = op["v_head_dim"], rank = op["kv_lora_rank"]
            var out: [Expected] = []
            if op["q_lora_rank"] > 0 {
                out += [t("q_a_proj.weight", [op["q_lora_rank"], hidden]), t("q_a_layernorm.weight", [op["q_lora_rank"]]),
                        t("q_b_proj.weight", [h * (nope + rope), op["q_lora_rank"]])]
            } else {
                out.append(t("q_proj.weight", [h * (nope + rope), hidden]))
            }
            return out + [t("kv_a_proj_with_mqa.weight", [rank + rope, hidden]), t("kv_a_layernorm.weight", [rank]),
                          t("kv_b_proj.weight", [h * (nope + v), rank]), t("o_proj.weight", [hidden, h * v])]
        case .mlp: return mlp("", op["intermediate"], experts: nil)
        case .moe:
            var out = [t("gate.weight", [op["experts"], hidden])]
            if op["router_bias"] == 1 { out.append(t("gate.bias", [op["experts"]])) }
            out += mlp("experts.", op["expert_intermediate"], experts: op["experts"])
            if op["shared_experts"] > 0 {
                // Shared-expert biases follow expert_bias, as the checkpoints store them.
                out += mlp("shared_experts.", op["shared_experts"] * op["shared_intermediate"], experts: nil)
            }
            return out
        case .lmHead:
            return (op["tied"] == 1 ? [] : [t("weight", [op["vocab"], op["hidden"]])]) + (op["bias"] == 1 ? [t("bias", [op["vocab"]])] : [])
        default: return []
        }
    }

    /// Bits per stored element of a format such as `bf16` or `fp8_e4m3[block=128x128,scale=fp32]`
    /// (the element only; block scales are extra). Nil for a format the executor does not know.
    public static func elementBits(_ format: String) -> Int? {
        let element = format.split(separator: "[").first.map(String.init) ?? format
        switch element {
        case "fp32": return 32
        case "bf16", "fp16": return 16
        case "fp8_e4m3", "fp8_e5m2", "int8", "fp8": return 8
        case "int4", "mxfp4", "nvfp4", "fp4": return 4
        default: return nil
        }
    }
}
