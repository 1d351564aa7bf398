import WaferSupport

/// Activation functions of MLPs and experts.
public enum Activation: String, Sendable, Hashable, CaseIterable {
    case silu
    case gelu
    case gelu_tanh
    case relu
    case relu2
    /// gpt-oss's clamped SwiGLU (alpha 1.702, limit 7).
    case swiglu_oai
}

public enum NormKind: String, Sendable, Hashable {
    case rmsnorm
    case layernorm
}

public struct EmbeddingAttributes: Hashable, Sendable {
    public var vocab: Int
    public var hidden: Int
    public init(vocab: Int, hidden: Int) { self.vocab = vocab; self.hidden = hidden }
}

public struct NormAttributes: Hashable, Sendable {
    public var kind: NormKind
    public var width: Int
    /// LayerNorm's additive bias (RMSNorm has none).
    public var bias: Bool
    public init(kind: NormKind, width: Int, bias: Bool) { self.kind = kind; self.width = width; self.bias = bias }
}

/// Multi-head or grouped-query attention. `headDim` need not equal hidden / heads (Qwen3).
public struct AttentionAttributes: Hashable, Sendable {
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var qkNorm: Bool
    public var qkvBias: Bool
    public var oBias: Bool
    public var sinks: Bool
    /// Tokens a sliding-window layer attends to (and keeps in its KV cache); nil = full attention.
    public var slidingWindow: Int?
    public init(heads: Int, kvHeads: Int, headDim: Int, qkNorm: Bool = false, qkvBias: Bool = false,
                oBias: Bool = false, sinks: Bool = false, slidingWindow: Int? = nil) {
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim; self.qkNorm = qkNorm
        self.qkvBias = qkvBias; self.oBias = oBias; self.sinks = sinks; self.slidingWindow = slidingWindow
    }
}

/// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2). The KV cache holds
/// `kvLoraRank + qkRopeHeadDim` values per token per layer.
public struct MLAAttributes: Hashable, Sendable {
    public var heads: Int
    /// Rank of the query down-projection; nil means a full `q_proj` (DeepSeek-V2-Lite style).
    public var qLoraRank: Int?
    public var kvLoraRank: Int
    public var qkNopeHeadDim: Int
    public var qkRopeHeadDim: Int
    public var vHeadDim: Int
    public init(heads: Int, qLoraRank: Int?, kvLoraRank: Int, qkNopeHeadDim: Int, qkRopeHeadDim: Int, vHeadDim: Int) {
        self.heads = heads; self.qLoraRank = qLoraRank; self.kvLoraRank = kvLoraRank
        self.qkNopeHeadDim = qkNopeHeadDim; self.qkRopeHeadDim = qkRopeHeadDim; self.vHeadDim = vHeadDim
    }
}

public struct MLPAttributes: Hashable, Sendable {
    public var intermediate: Int
    public var gated: Bool
    public var activation: Activation
    public var bias: Bool
    public init(intermediate: Int, gated: Bool = true, activation: Activation = .silu, bias: Bool = false) {
        self.intermediate = intermediate; self.gated = gated; self.activation = activation; self.bias = bias
    }
}

public struct MoEAttributes: Hashable, Sendable {
    public var experts: Int
    public var topK: Int
    public var expertIntermediate: Int
    public var sharedExperts: Int
    /// Intermediate size of one shared expert. The shared experts are stored fused, as one MLP
    /// of `sharedExperts * sharedIntermediate` (as DeepSeek-V3's reference code builds them).
    public var sharedIntermediate: Int
    public var gated: Bool
    public var activation: Activation
    /// A per-expert router bias (gpt-oss's router bias, DeepSeek-V3's e_score_correction_bias).
    public var routerBias: Bool
    /// Biases on every expert projection (gpt-oss).
    public var expertBias: Bool
    public init(experts: Int, topK: Int, expertIntermediate: Int, sharedExperts: Int = 0, sharedIntermediate: Int? = nil,
                gated: Bool = true, activation: Activation = .silu, routerBias: Bool = false, expertBias: Bool = false) {
        self.experts = experts; self.topK = topK; self.expertIntermediate = expertIntermediate
        self.sharedExperts = sharedExperts; self.sharedIntermediate = sharedIntermediate ?? expertIntermediate
        self.gated = gated; self.activation = activation; self.routerBias = routerBias; self.expertBias = expertBias
    }
}

public struct LMHeadAttributes: Hashable, Sendable {
    public var vocab: Int
    public var hidden: Int
    /// Tied heads reuse the embedding matrix and own no weight.
    public var tied: Bool
    public var bias: Bool
    public init(vocab: Int, hidden: Int, tied: Bool, bias: Bool = false) {
        self.vocab = vocab; self.hidden = hidden; self.tied = tied; self.bias = bias
    }
}

/// What an op computes. Each case carries the attributes that fix its weight shapes.
public enum OpKind: Hashable, Sendable {
    case embedding(EmbeddingAttributes)
    case norm(NormAttributes)
    case attention(AttentionAttributes)
    case mla(MLAAttributes)
    case mlp(MLPAttributes)
    case moe(MoEAttributes)
    /// `stream + update`, the residual connection of a pre-norm block. No weights.
    case residualAdd
    case lmHead(LMHeadAttributes)

    /// The op's mnemonic in the textual IR and its row in per-kind reports.
    public var mnemonic: String {
        switch self {
        case .embedding: return "embedding"
        case let .norm(a): return a.kind.rawValue
        case .attention: return "attention"
        case .mla: return "mla"
        case .mlp: return "mlp"
        case .moe: return "moe"
        case .residualAdd: return "add"
        case .lmHead: return "lm_head"
        }
    }

    /// Mixers read the normalised stream and add their output back to the residual stream.
    public var isMixer: Bool {
        switch self {
        case .attention, .mla, .mlp, .moe: return true
        default: return false
        }
    }
}

/// The shape and role of one weight an op of some kind owns.
public struct WeightSpec: Hashable, Sendable {
    public var name: String
    public var shape: [Int]
    public var role: TensorRole
    public var expertStacked: Bool
    init(_ name: String, _ shape: [Int], _ role: TensorRole, stacked: Bool = false) {
        self.name = name; self.shape = shape; self.role = role; self.expertStacked = stacked
    }
}

extension OpKind {
    /// The weights an op of this kind owns, in checkpoint order, for a model of width `hidden`.
    ///
    /// The single definition of every op's weight layout: the front end builds tensors from it
    /// and the verifier checks tensors against it. Returns nil when a dimension product overflows.
    /// O(number of weights).
    public func weightSpecs(hidden: Int) -> [WeightSpec]? {
        func m(_ a: Int, _ b: Int) -> Int? { Checked.mul(a, b) }
        switch self {
        case let .embedding(a):
            return [WeightSpec("weight", [a.vocab, a.hidden], .embedding)]
        case let .norm(a):
            var specs = [WeightSpec("weight", [a.width], .norm)]
            if a.bias { specs.append(WeightSpec("bias", [a.width], .bias)) }
            return specs
        case let .attention(a):
            guard let q = m(a.heads, a.headDim), let kv = m(a.kvHeads, a.headDim) else { return nil }
            var specs = [
                WeightSpec("q_proj.weight", [q, hidden], .attention),
                WeightSpec("k_proj.weight", [kv, hidden], .attention),
                WeightSpec("v_proj.weight", [kv, hidden], .attention),
                WeightSpec("o_proj.weight", [hidden, q], .attention),
            ]
            if a.qkvBias {
                specs.insert(WeightSpec("q_proj.bias", [q], .bias), at: 1)
                specs.insert(WeightSpec("k_proj.bias", [kv], .bias), at: 3)
                specs.insert(WeightSpec("v_proj.bias", [kv], .bias), at: 5)
            }
            if a.oBias { specs.append(WeightSpec("o_proj.bias", [hidden], .bias)) }
            if a.qkNorm {
                specs.append(WeightSpec("q_norm.weight", [a.headDim], .norm))
                specs.append(WeightSpec("k_norm.weight", [a.headDim], .norm))
            }
            if a.sinks { specs.append(WeightSpec("sinks", [a.heads], .sink)) }
            return specs
        case let .mla(a):
            guard let qkHead = Checked.add(a.qkNopeHeadDim, a.qkRopeHeadDim),
                  let kvHead = Checked.add(a.qkNopeHeadDim, a.vHeadDim),
                  let kvA = Checked.add(a.kvLoraRank, a.qkRopeHeadDim),
                  let qOut = m(a.heads, qkHead),
                  let kvOut = m(a.heads, kvHead),
                  let oIn = m(a.heads, a.vHeadDim) else { return nil }
            var specs: [WeightSpec] = []
            if let rank = a.qLoraRank {
                specs.append(WeightSpec("q_a_proj.weight", [rank, hidden], .attention))
                specs.append(WeightSpec("q_a_layernorm.weight", [rank], .norm))
                specs.append(WeightSpec("q_b_proj.weight", [qOut, rank], .attention))
            } else {
                specs.append(WeightSpec("q_proj.weight", [qOut, hidden], .attention))
            }
            specs.append(WeightSpec("kv_a_proj_with_mqa.weight", [kvA, hidden], .attention))
            specs.append(WeightSpec("kv_a_layernorm.weight", [a.kvLoraRank], .norm))
            specs.append(WeightSpec("kv_b_proj.weight", [kvOut, a.kvLoraRank], .attention))
            specs.append(WeightSpec("o_proj.weight", [hidden, oIn], .attention))
            return specs
        case let .mlp(a):
            return Self.mlpSpecs(prefix: "", intermediate: a.intermediate, hidden: hidden, gated: a.gated,
                                 bias: a.bias, role: .mlp, experts: nil)
        case let .moe(a):
            var specs = [WeightSpec("gate.weight", [a.experts, hidden], .router)]
            if a.routerBias { specs.append(WeightSpec("gate.bias", [a.experts], .bias)) }
            specs += Self.mlpSpecs(prefix: "experts.", intermediate: a.expertIntermediate, hidden: hidden,
                                   gated: a.gated, bias: a.expertBias, role: .experts, experts: a.experts)
            if a.sharedExperts > 0 {
                guard let width = m(a.sharedExperts, a.sharedIntermediate) else { return nil }
                specs += Self.mlpSpecs(prefix: "shared_experts.", intermediate: width, hidden: hidden,
                                       gated: a.gated, bias: a.expertBias, role: .shared_experts, experts: nil)
            }
            return specs
        case .residualAdd:
            return []
        case let .lmHead(a):
            var specs: [WeightSpec] = []
            if !a.tied { specs.append(WeightSpec("weight", [a.vocab, a.hidden], .lm_head)) }
            if a.bias { specs.append(WeightSpec("bias", [a.vocab], .bias)) }
            return specs
        }
    }

    private static func mlpSpecs(prefix: String, intermediate: Int, hidden: Int, gated: Bool, bias: Bool,
                                 role: TensorRole, experts: Int?) -> [WeightSpec] {
        func shape(_ dims: [Int]) -> [Int] { experts.map { [$0] + dims } ?? dims }
        let stacked = experts != nil
        var specs: [WeightSpec] = []
        if gated {
            specs.append(WeightSpec(prefix + "gate_proj.weight", shape([intermediate, hidden]), role, stacked: stacked))
            if bias { specs.append(WeightSpec(prefix + "gate_proj.bias", shape([intermediate]), .bias, stacked: stacked)) }
        }
        specs.append(WeightSpec(prefix + "up_proj.weight", shape([intermediate, hidden]), role, stacked: stacked))
        if bias { specs.append(WeightSpec(prefix + "up_proj.bias", shape([intermediate]), .bias, stacked: stacked)) }
        specs.append(WeightSpec(prefix + "down_proj.weight", shape([hidden, intermediate]), role, stacked: stacked))
        if bias { specs.append(WeightSpec(prefix + "down_proj.bias", shape([hidden]), .bias, stacked: stacked)) }
        return specs
    }
}
