import WaferSupport

/// How many tokens and sequences a KV cache holds, and in which element type.
///
/// `batch` is the micro-batch: the sequences one decode pass carries through a region together
/// (what the cost model times). `sequences` is how many KV caches the plan places: the users a
/// replica serves at once, at least `batch`; several micro-batches of them take turns in the
/// pipeline (docs/performance-model.md, "Batching").
public struct KVCacheShape: Sendable, Hashable {
    public var contextTokens: Int
    public var batch: Int
    public var element: ElementType
    /// KV caches placed (resident sequences); never below `batch`.
    public var sequences: Int
    public init(contextTokens: Int, batch: Int, element: ElementType, sequences: Int? = nil) {
        self.contextTokens = contextTokens; self.batch = batch; self.element = element
        self.sequences = max(sequences ?? batch, batch)
    }
}

extension OpKind {
    /// Values one token adds to this op's KV cache, and how many tokens the cache keeps.
    ///
    /// - multi-head / grouped-query attention: `2 * kv_heads * head_dim` (K and V) per token;
    ///   a sliding-window layer keeps only `min(context, window)` tokens;
    /// - multi-head latent attention: the compressed latent plus the shared RoPE key,
    ///   `kv_lora_rank + qk_rope_head_dim` per token (DeepSeek-V2 section 2.1);
    /// - every other op: none.
    public func kvValuesPerToken() -> Int {
        switch self {
        case let .attention(a): return 2 * a.kvHeads * a.headDim
        case let .mla(a): return a.kvLoraRank + a.qkRopeHeadDim
        default: return 0
        }
    }

    /// Tokens the cache keeps for a context of `context` tokens.
    public func kvTokensKept(context: Int) -> Int {
        if case let .attention(a) = self, let window = a.slidingWindow { return min(context, window) }
        return context
    }

    /// Exact KV-cache bytes of this op for `shape`, or nil on overflow. O(1).
    public func kvCacheBytes(_ shape: KVCacheShape) -> Int? {
        let values = kvValuesPerToken()
        guard values > 0 else { return 0 }
        return Checked.product([values, kvTokensKept(context: shape.contextTokens), shape.sequences, shape.element.bits / 8])
    }

    /// Multiply-accumulates one decode step does in attention over the cache, per sequence:
    /// scores and the weighted sum of values. GQA: `2 * heads * head_dim * tokens`. MLA with the
    /// weight-absorbed decode of DeepSeek-V2: `heads * (2 * kv_lora_rank + qk_rope_head_dim) * tokens`.
    public func attentionMACs(context: Int) -> Int? {
        let tokens = kvTokensKept(context: context)
        switch self {
        case let .attention(a): return Checked.product([2, a.heads, a.headDim, tokens])
        case let .mla(a): return Checked.product([a.heads, 2 * a.kvLoraRank + a.qkRopeHeadDim, tokens])
        default: return 0
        }
    }
}

extension Op {
    /// Parameters of one routed expert (all stacked expert tensors divided by the expert count),
    /// and their bytes; (0, 0) for ops without routed experts.
    public var perExpert: (parameters: Int, bytes: Int) {
        var parameters = 0, bytes = 0
        for tensor in weights where tensor.expertStacked {
            let experts = max(tensor.shape.first ?? 1, 1)
            parameters += tensor.parameterCount / experts
            bytes += tensor.bytes / experts
        }
        return (parameters, bytes)
    }

    /// Parameters and bytes of everything except the routed experts.
    public var nonExpert: (parameters: Int, bytes: Int) {
        var parameters = 0, bytes = 0
        for tensor in weights where !tensor.expertStacked {
            parameters += tensor.parameterCount
            bytes += tensor.bytes
        }
        return (parameters, bytes)
    }

    /// Weight MACs one token costs outside the routed experts: one per matrix parameter
    /// (vectors are elementwise work, not MACs); an embedding is a lookup, no MACs.
    public var denseMACsPerToken: Int {
        if case .embedding = kind { return 0 }
        return weights.filter { !$0.expertStacked && !$0.role.isVector }.reduce(0) { $0 + $1.parameterCount }
    }
}
