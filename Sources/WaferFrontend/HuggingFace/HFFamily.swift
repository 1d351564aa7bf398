/// The Hugging Face architectures the importer reads, keyed by `config.json`'s `model_type`.
///
/// Each family fixes what its config class leaves implicit: where biases sit, whether the
/// router is an `nn.Linear` (which quantization configs can then target), how modules are
/// named in the checkpoint (for ignore lists), and which fields it requires.
public enum HFFamily: String, CaseIterable, Sendable {
    case llama
    case mistral
    case mixtral
    case qwen2
    case qwen3
    case qwen3Moe = "qwen3_moe"
    case deepseekV3 = "deepseek_v3"
    case kimiK2 = "kimi_k2"
    case kimiK25 = "kimi_k25"
    case gptOss = "gpt_oss"
    case glm4Moe = "glm4_moe"

    /// DeepSeek-V3's layout: multi-head latent attention, a dense prefix, shared experts.
    var isDeepSeekStyle: Bool { self == .deepseekV3 || self == .kimiK2 || self == .kimiK25 }

    /// Families whose config class derives `head_dim` as `hidden_size / num_attention_heads`
    /// when the field is absent. The others carry the field (their config classes have a
    /// literal default that WaferMap does not assume).
    var derivesHeadDim: Bool {
        switch self {
        case .llama, .mistral, .mixtral, .qwen2: return true
        default: return false
        }
    }

    /// True when the MoE router is an `nn.Linear` in the Hugging Face implementation (Mixtral,
    /// Qwen3-MoE). DeepSeek-V3, Kimi, GLM-4.5 and gpt-oss keep the router weight as a bare
    /// parameter, which `targets: [Linear]` never reaches.
    var routerIsLinear: Bool { self == .mixtral || self == .qwen3Moe }

    /// The MoE block's module name inside a layer: `block_sparse_moe` for Mixtral, else `mlp`.
    var moeModule: String { self == .mixtral ? "block_sparse_moe" : "mlp" }

    /// The router's module name inside the MoE block.
    var routerModule: String { self == .gptOss ? "router" : "gate" }

    /// Per-expert projection names: Mixtral's w1 (gate), w3 (up), w2 (down).
    func expertProjection(_ projection: String) -> String {
        guard self == .mixtral else { return projection }
        switch projection {
        case "gate_proj": return "w1"
        case "up_proj": return "w3"
        default: return "w2"
        }
    }

    /// `model_type` values, for the "supported architectures" note.
    static var supportedList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
