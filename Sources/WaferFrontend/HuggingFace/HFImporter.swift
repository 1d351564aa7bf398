import Foundation
import WaferIR
import WaferSupport
import WaferYAML

/// A model description derived from a Hugging Face `config.json`, with the provenance the
/// YAML writer turns into comments.
public struct ImportedModel: Sendable {
    public var spec: ModelSpec
    /// Header comment lines: where the file came from, the architecture, how it is stored.
    public var header: [String]
    /// Model-format key -> the config field(s) its value came from (`heads` -> `num_attention_heads`).
    public var fieldSources: [String: String]
    /// One note per top-level item of `spec.items` (nil for the embedding, norm and head).
    public var itemNotes: [String?]
    /// What was read but could not be counted (a vision tower the config describes too little
    /// to size), as located warnings; callers print them. The header says the same.
    public var warnings: [Diagnostic] = []
}

/// Reads a Hugging Face `config.json` into a `ModelSpec` — the same thing a hand-written
/// model file decodes to — so `stats`, `count` and `compile` take either.
///
/// Architectures: see `HFFamily`. For each decoder layer the importer decides the attention
/// (grouped-query or latent, sliding window, biases, sinks) and the feed-forward (dense or
/// MoE, by `first_k_dense_replace`/`moe_layer_freq`, `decoder_sparse_step`/`mlp_only_layers`),
/// folds equal layers into repeat blocks, and turns `quantization_config` into per-role
/// storage formats that reproduce the checkpoint's bytes exactly. Multi-token-prediction
/// layers and vision towers are counted into `unmapped_modules`, never into the model.
///
/// Nothing is guessed: a field the architecture needs and the config lacks is an error that
/// names the field and points into the file. O(layers x weights), plus one regular-expression
/// match per expert and pattern when a compressed-tensors ignore list has to be applied.
public enum HFImporter {
    public struct Options: Sendable {
        /// The model's name; default: the config's directory name.
        public var name: String?
        /// Leave a multimodal model's vision tower out entirely (default: counted as unmapped).
        public var textOnly: Bool

        public init(name: String? = nil, textOnly: Bool = false) {
            self.name = name
            self.textOnly = textOnly
        }
    }

    /// True when `path` names a Hugging Face configuration rather than a model file.
    public static func isConfig(path: String) -> Bool { path.lowercased().hasSuffix(".json") }

    public static func load(path: String, options: Options = Options(), limits: YAMLLimits = .default) throws(DiagnosticError) -> ImportedModel {
        let bytes: [UInt8]
        switch BoundedFile.read(path: path, maxBytes: limits.maxFileBytes) {
        case let .success(data): bytes = [UInt8](data)
        case .failure(.missing): throw .error(ConfigFailure.noSuchFile, "no such file", at: .startOf(path))
        case .failure(.directory): throw .error(ConfigFailure.isDirectory, "is a directory, expected a config.json file", at: .startOf(path))
        case let .failure(.tooLarge(size?)):
            throw .error(ConfigFailure.fileTooLarge, "file is \(Units.grouped(size)) bytes; the limit is \(Units.grouped(limits.maxFileBytes)) bytes", at: .startOf(path))
        case .failure(.tooLarge(nil)):
            throw .error(ConfigFailure.fileTooLarge, "file is larger than the limit of \(Units.grouped(limits.maxFileBytes)) bytes", at: .startOf(path))
        case let .failure(.unreadable(reason)): throw .error(ConfigFailure.unreadable, reason, at: .startOf(path))
        }
        var options = options
        if options.name == nil {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            options.name = stem == "config" && !directory.isEmpty && directory != "." && directory != "/" ? directory : stem
        }
        // The name reaches stdout, reports and plans: no control characters (a NUL, an escape
        // sequence), whether it came from --name or from the file's directory.
        if let name = options.name, name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control
            || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }) {
            throw .error(ConfigFailure.modelName, "the model name (from --name, or else the config's directory or file name) holds a control character or a bidirectional override; give a plain one with --name", at: .startOf(path))
        }
        return try importConfig(bytes: bytes, file: path, options: options, limits: limits)
    }

    public static func importConfig(bytes: [UInt8], file: String, options: Options = Options(),
                                    limits: YAMLLimits = .default) throws(DiagnosticError) -> ImportedModel {
        let root = try ConfigJSON.parse(bytes: bytes, file: file, limits: limits)
        var reader = HFConfigReader(top: try ConfigObject(root), file: file, options: options)
        return try reader.run()
    }
}

/// The work of one import. Fields are read from `text` (the config itself, or its
/// `text_config` for multimodal wrappers).
struct HFConfigReader {
    let top: ConfigObject
    var text: ConfigObject
    let file: String
    let options: Options
    typealias Options = HFImporter.Options
    var family = HFFamily.llama
    var sources: [String: String] = [:]
    var header: [String] = []

    init(top: ConfigObject, file: String, options: Options) {
        self.top = top
        self.text = top
        self.file = file
        self.options = options
    }

    mutating func run() throws(DiagnosticError) -> ImportedModel {
        let modelType = try top.string("model_type", why: "it names the architecture")
        guard let family = HFFamily(rawValue: modelType) else {
            var notes: [Diagnostic] = []
            if let s = Suggest.closest(to: modelType, in: HFFamily.allCases.map(\.rawValue)) {
                notes.append(.note("did you mean '\(s)'?", at: top.location(of: "model_type")))
            }
            notes.append(.note("supported model_type values: \(HFFamily.supportedList)"))
            throw .error(ConfigFailure.architecture, "unsupported architecture: model_type '\(modelType)'", at: top.location(of: "model_type"), notes: notes)
        }
        self.family = family
        if family == .kimiK25 {
            guard let inner = try top.object("text_config") else {
                throw top.missing("text_config", "kimi_k25 keeps its language model there")
            }
            let innerType = try inner.string("model_type", why: "it names the language model's architecture")
            guard innerType == "kimi_k2" || innerType == "deepseek_v3" else {
                throw .error(ConfigFailure.architecture, "kimi_k25's text_config.model_type must be kimi_k2 or deepseek_v3, found '\(innerType)'",
                             at: inner.location(of: "model_type"))
            }
            text = inner
        }
        let architectures = (try top.optionalStrings("architectures") ?? []).map(\.0)
        header.append("Architecture: model_type '\(modelType)'" + (architectures.isEmpty ? "" : " (\(architectures.joined(separator: ", ")))")
                      + (family == .kimiK25 ? "; the language model is read from text_config." : "."))

        let vocab = try text.int("vocab_size", in: 1...ModelLimits.vocab, why: "the embedding and head need it")
        let hidden = try text.int("hidden_size", in: 1...ModelLimits.hidden, why: "every projection needs it")
        let layerCount = try text.int("num_hidden_layers", in: 1...ModelLimits.decoderLayers, why: "the number of decoder layers")
        sources["vocab_size"] = "vocab_size"
        sources["hidden_size"] = "hidden_size"

        let dtype = try readDtype()
        let tied = try readTied()

        var layers: [HFLayer] = []
        let attention = try attentionPlan(hidden: hidden, layers: layerCount)
        let feedForward = try feedForwardPlan(hidden: hidden, layers: layerCount)
        for index in 0..<layerCount {
            let (mixer, mixerReason) = attention(index)
            let (ffn, ffnReason) = feedForward(index)
            layers.append(HFLayer(ops: [.norm(.rmsnorm, bias: false), mixer, .norm(.rmsnorm, bias: false), ffn],
                                  reason: [mixerReason, ffnReason].filter { !$0.isEmpty }.joined(separator: ", ")))
        }
        let folded = HFLayerFolding.fold(layers, location: text.location)
        let at = text.location
        var items: [LayerItem] = [.op(OpSpec(kind: .embedding, name: nil, precision: nil, location: at))]
        var notes: [String?] = [nil]
        for entry in folded {
            items.append(entry.item)
            notes.append(entry.note)
        }
        items.append(.op(OpSpec(kind: .norm(.rmsnorm, bias: false), name: nil, precision: nil, location: at)))
        items.append(.op(OpSpec(kind: .lmHead(tied: tied, bias: false), name: nil, precision: nil, location: top.location(of: "tie_word_embeddings"))))
        notes.append(contentsOf: [nil, nil])

        let name = sanitizedName(options.name ?? "imported-model")
        var spec = ModelSpec(file: file, version: ModelLimits.formatVersion, name: name,
                             description: "Imported from \(file) (model_type \(modelType)) by wafermap import.",
                             source: file, vocab: vocab, hidden: hidden, activation: dtype.element,
                             precision: PrecisionPolicy(matrixDefault: dtype), items: items,
                             location: top.location, layersLocation: text.location)

        let quantization = try readQuantization()
        // Lowered once: the storage decisions and the MTP count both read its ops and shapes.
        let graph = try Lowering.lower(spec)
        let storage = try HFStorage.assign(spec: &spec, graph: graph, family: family, dtype: dtype, quantization: quantization, at: text.location)
        header.append(storage)
        var warnings: [Diagnostic] = []
        spec.unmappedModules = try HFUnmapped.modules(reader: self, spec: spec, graph: graph, quantization: quantization, warnings: &warnings)
        for module in spec.unmappedModules {
            header.append("Not mapped, counted under unmapped_modules: \(module.name), \(Units.grouped(module.parameters)) parameters.")
        }
        for warning in warnings {
            header.append("Warning: \(warning.message).")
        }
        return ImportedModel(spec: spec, header: header, fieldSources: sources, itemNotes: notes, warnings: warnings)
    }

    func sanitizedName(_ raw: String) -> String {
        let cleaned = String(raw.filter { !$0.isNewline && $0 != "\"" }.prefix(200))
        return cleaned.isEmpty ? "imported-model" : cleaned
    }

    // MARK: Storage type and tying

    mutating func readDtype() throws(DiagnosticError) -> NumberFormat {
        for object in [text, top] {
            for key in ["torch_dtype", "dtype"] where object.has(key) {
                let value = try object.string(key, why: "")
                let format: NumberFormat
                switch value {
                case "bfloat16": format = .bf16
                case "float16": format = .fp16
                case "float32": format = .fp32
                default:
                    throw .error(ConfigFailure.dtype, "unsupported \(key) '\(value)': WaferMap reads bfloat16, float16 and float32", at: object.location(of: key))
                }
                sources["activation_precision"] = "\(object.path)\(key) \(value)"
                return format
            }
        }
        if family == .gptOss {
            // gpt-oss's config carries no dtype; its model card: every tensor but the MXFP4 experts is bf16.
            sources["activation_precision"] = "gpt-oss model card: non-MXFP4 tensors in bf16 (the config has no torch_dtype)"
            return .bf16
        }
        throw text.missing("torch_dtype", "the storage type of unquantized weights; 'dtype' in newer configs")
    }

    mutating func readTied() throws(DiagnosticError) -> Bool {
        // A multimodal wrapper's own flag describes its checkpoint (Kimi K2.5 ships a separate
        // lm_head with text_config silent or at the library default).
        for object in family == .kimiK25 ? [top, text] : [text] {
            if let value = try object.optionalBool("tie_word_embeddings") {
                sources["tied"] = "\(object.path)tie_word_embeddings"
                return value
            }
        }
        sources["tied"] = "tie_word_embeddings absent: \(family.rawValue)'s config class defaults to false"
        return false
    }

    // MARK: Attention

    func activation() throws(DiagnosticError) -> Activation {
        if family == .gptOss { return .swiglu_oai }
        guard let name = try text.optionalString("hidden_act") else { return .silu }
        switch name {
        case "silu", "swish": return .silu
        case "gelu": return .gelu
        case "gelu_pytorch_tanh", "gelu_new", "gelu_tanh": return .gelu_tanh
        case "relu": return .relu
        case "relu2": return .relu2
        default:
            throw .error(ConfigFailure.activation, "unsupported hidden_act '\(name)'", at: text.location(of: "hidden_act"),
                         notes: [.note("WaferMap reads silu, gelu, gelu_pytorch_tanh, relu and relu2")])
        }
    }

    mutating func attentionPlan(hidden: Int, layers: Int) throws(DiagnosticError) -> (Int) -> (OpSpec.Kind, String) {
        let heads = try text.int("num_attention_heads", in: 1...ModelLimits.heads, why: "the attention needs it")
        sources["heads"] = "num_attention_heads"
        if family.isDeepSeekStyle {
            if try text.optionalBool("attention_bias") == true {
                throw .error(ConfigFailure.unsupported, "latent attention with biases (attention_bias: true) is not supported", at: text.location(of: "attention_bias"))
            }
            let qLora = try text.optionalInt("q_lora_rank", in: 1...ModelLimits.loraRank)
            let why = "multi-head latent attention needs it"
            let mla = MLAAttributes(
                heads: heads, qLoraRank: qLora,
                kvLoraRank: try text.int("kv_lora_rank", in: 1...ModelLimits.loraRank, why: why),
                qkNopeHeadDim: try text.int("qk_nope_head_dim", in: 0...ModelLimits.headDim, why: why),
                qkRopeHeadDim: try text.int("qk_rope_head_dim", in: 1...ModelLimits.headDim, why: why),
                vHeadDim: try text.int("v_head_dim", in: 1...ModelLimits.headDim, why: why))
            if mla.qkRopeHeadDim % 2 != 0 {
                throw .error(ConfigFailure.headShape, "qk_rope_head_dim (\(mla.qkRopeHeadDim)) must be even", at: text.location(of: "qk_rope_head_dim"))
            }
            for key in ["kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"] { sources[key] = key }
            sources["q_lora_rank"] = qLora == nil ? "q_lora_rank null: q_proj reads the hidden state directly" : "q_lora_rank"
            return { _ in (.mla(mla), "") }
        }
        let kvHeads = try text.optionalInt("num_key_value_heads", in: 1...ModelLimits.heads) ?? heads
        sources["kv_heads"] = text.has("num_key_value_heads") ? "num_key_value_heads" : "num_key_value_heads absent: equals num_attention_heads"
        if kvHeads > heads || heads % kvHeads != 0 {
            throw .error(ConfigFailure.headShape, "num_attention_heads (\(heads)) must be a multiple of num_key_value_heads (\(kvHeads))",
                         at: text.location(of: "num_key_value_heads"))
        }
        var headDim: Int
        if let given = try text.optionalInt("head_dim", in: 1...ModelLimits.headDim) {
            headDim = given
            sources["head_dim"] = given * heads == hidden ? "head_dim" : "head_dim (heads x head_dim = \(given * heads), not hidden_size \(hidden))"
        } else if family.derivesHeadDim {
            guard hidden % heads == 0 else {
                throw .error(ConfigFailure.headShape, "hidden_size (\(hidden)) is not divisible by num_attention_heads (\(heads)) and head_dim is absent",
                             at: text.location(of: "num_attention_heads"))
            }
            headDim = hidden / heads
            sources["head_dim"] = "head_dim absent: hidden_size / num_attention_heads"
        } else {
            throw text.missing("head_dim", "\(family.rawValue) attention needs it; its config class has no derived default")
        }
        let biasFlag = try text.optionalBool("attention_bias")
        var qkvBias = false, oBias = false
        switch family {
        case .llama, .qwen3, .qwen3Moe:
            qkvBias = biasFlag ?? false; oBias = qkvBias
        case .gptOss:
            qkvBias = biasFlag ?? true; oBias = qkvBias
        case .qwen2:
            qkvBias = true
        case .glm4Moe:
            qkvBias = biasFlag ?? false
        default:
            break
        }
        if qkvBias { sources["qkv_bias"] = family == .qwen2 ? "Qwen2 always has q/k/v biases" : "attention_bias" }
        if oBias { sources["o_bias"] = "attention_bias" }
        var qkNorm = family == .qwen3 || family == .qwen3Moe
        if family == .glm4Moe { qkNorm = try text.optionalBool("use_qk_norm") ?? false }
        if qkNorm { sources["qk_norm"] = family == .glm4Moe ? "use_qk_norm" : "Qwen3 always has q_norm/k_norm" }
        let sinks = family == .gptOss
        if sinks { sources["sinks"] = "gpt-oss: one attention sink per head" }
        let windows = try slidingWindows(layers: layers)
        let base = AttentionAttributes(heads: heads, kvHeads: kvHeads, headDim: headDim, qkNorm: qkNorm,
                                       qkvBias: qkvBias, oBias: oBias, sinks: sinks, slidingWindow: nil)
        return { index in
            var attributes = base
            attributes.slidingWindow = windows.windows[index]
            return (.attention(attributes), windows.windows[index] != nil ? "sliding-window attention" : windows.anySliding ? "full attention" : "")
        }
    }

    /// The sliding window of each layer: `layer_types` when the config lists them, else the
    /// family's rule (Mistral: `sliding_window` everywhere; Qwen: `use_sliding_window` from
    /// `max_window_layers` on).
    mutating func slidingWindows(layers: Int) throws(DiagnosticError) -> (windows: [Int?], anySliding: Bool) {
        let window = try text.optionalInt("sliding_window", in: 1...ModelLimits.slidingWindow)
        if let types = try text.optionalStrings("layer_types") {
            guard types.count == layers else {
                throw .error(ConfigFailure.layerTypes, "layer_types lists \(types.count) layers but num_hidden_layers is \(layers)", at: text.location(of: "layer_types"))
            }
            var result: [Int?] = []
            for (kind, location) in types {
                switch kind {
                case "full_attention": result.append(nil)
                case "sliding_attention":
                    guard let window else { throw text.missing("sliding_window", "layer_types has sliding_attention layers") }
                    result.append(window)
                default:
                    throw .error(ConfigFailure.layerTypes, "unsupported layer type '\(kind)': WaferMap reads full_attention and sliding_attention", at: location)
                }
            }
            sources["sliding_window"] = "layer_types and sliding_window"
            return (result, result.contains { $0 != nil })
        }
        switch family {
        case .mistral, .mixtral:
            if window != nil { sources["sliding_window"] = "sliding_window (every layer)" }
            return (Array(repeating: window, count: layers), window != nil)
        case .qwen2, .qwen3, .qwen3Moe:
            guard try text.optionalBool("use_sliding_window") == true, let window else { return (Array(repeating: nil, count: layers), false) }
            let from = try text.optionalInt("max_window_layers", in: 0...ModelLimits.decoderLayers) ?? 0
            sources["sliding_window"] = "use_sliding_window, from layer max_window_layers = \(from) on"
            return ((0..<layers).map { $0 >= from ? window : nil }, from < layers)
        case .gptOss:
            throw text.missing("layer_types", "gpt-oss alternates sliding and full attention layers by it")
        default:
            return (Array(repeating: nil, count: layers), false)
        }
    }

    // MARK: Feed-forward

    mutating func topK(experts: Int) throws(DiagnosticError) -> Int {
        let a = try text.optionalInt("num_experts_per_tok", in: 1...ModelLimits.experts)
        let b = try text.optionalInt("experts_per_token", in: 1...ModelLimits.experts)
        if let a, let b, a != b {
            throw .error(ConfigFailure.experts, "num_experts_per_tok (\(a)) and experts_per_token (\(b)) disagree", at: text.location(of: "experts_per_token"))
        }
        guard let k = a ?? b else { throw text.missing("num_experts_per_tok", "the router picks that many experts per token") }
        sources["top_k"] = a != nil ? "num_experts_per_tok" : "experts_per_token"
        if k > experts {
            throw .error(ConfigFailure.experts, "num_experts_per_tok (\(k)) exceeds the number of experts (\(experts))", at: text.location(of: a != nil ? "num_experts_per_tok" : "experts_per_token"))
        }
        return k
    }

    /// Routed experts, experts per token and each expert's size, from the family's field names.
    mutating func expertShape(count: String, size: String) throws(DiagnosticError) -> (experts: Int, topK: Int, size: Int) {
        let experts = try text.int(count, in: 1...ModelLimits.experts, why: "the MoE layers need it")
        sources["experts"] = count
        let k = try topK(experts: experts)
        let expertSize = try text.int(size, in: 1...ModelLimits.intermediate, why: "the size of each expert")
        sources["expert_intermediate_size"] = size == "intermediate_size" ? "intermediate_size (each expert)" : size
        return (experts, k, expertSize)
    }

    mutating func feedForwardPlan(hidden: Int, layers: Int) throws(DiagnosticError) -> (Int) -> (OpSpec.Kind, String) {
        let act = try activation()
        if act != .silu { sources["activation"] = family == .gptOss ? "gpt-oss's clamped SwiGLU" : "hidden_act" }
        func dense() throws(DiagnosticError) -> OpSpec.Kind {
            let size = try text.int("intermediate_size", in: 1...ModelLimits.intermediate, why: "the dense MLP layers need it")
            sources["intermediate_size"] = "intermediate_size"
            // Llama's `mlp_bias` puts biases on gate, up and down; the other families have none.
            let bias = family == .llama ? (try text.optionalBool("mlp_bias") ?? false) : false
            if bias { sources["bias"] = "mlp_bias" }
            return .mlp(MLPAttributes(intermediate: size, gated: true, activation: act, bias: bias))
        }
        switch family {
        case .llama, .mistral, .qwen2, .qwen3:
            let mlp = try dense()
            return { _ in (mlp, "") }
        case .mixtral, .gptOss:
            let (experts, k, size) = try expertShape(count: "num_local_experts", size: "intermediate_size")
            let gpt = family == .gptOss
            if gpt { sources["router_bias"] = "gpt-oss router bias"; sources["expert_bias"] = "gpt-oss expert biases" }
            let moe = OpSpec.Kind.moe(MoEAttributes(experts: experts, topK: k, expertIntermediate: size, activation: act,
                                                    routerBias: gpt, expertBias: gpt))
            return { _ in (moe, "") }
        case .qwen3Moe:
            let (experts, k, size) = try expertShape(count: "num_experts", size: "moe_intermediate_size")
            let step = try text.optionalInt("decoder_sparse_step", in: 1...ModelLimits.decoderLayers) ?? 1
            let mlpOnly = Set(try text.optionalInts("mlp_only_layers", in: 0...ModelLimits.decoderLayers) ?? [])
            let moe = OpSpec.Kind.moe(MoEAttributes(experts: experts, topK: k, expertIntermediate: size, activation: act))
            let isMoE = { (i: Int) in !mlpOnly.contains(i) && (i + 1) % step == 0 }
            let mlp: OpSpec.Kind? = (0..<layers).allSatisfy(isMoE) ? nil : try dense()
            return { i in isMoE(i) ? (moe, "MoE") : (mlp ?? moe, mlpOnly.contains(i) ? "dense MLP (mlp_only_layers)" : "dense MLP (decoder_sparse_step = \(step))") }
        case .deepseekV3, .kimiK2, .kimiK25, .glm4Moe:
            let (experts, k, size) = try expertShape(count: "n_routed_experts", size: "moe_intermediate_size")
            let shared = try text.optionalInt("n_shared_experts", in: 0...ModelLimits.experts) ?? 0
            if shared > 0 { sources["shared_experts"] = "n_shared_experts" }
            let firstDense = try text.optionalInt("first_k_dense_replace", in: 0...ModelLimits.decoderLayers) ?? 0
            let frequency = family == .glm4Moe ? 1 : (try text.optionalInt("moe_layer_freq", in: 1...ModelLimits.decoderLayers) ?? 1)
            var routerBias = true
            if family != .glm4Moe, let method = try text.optionalString("topk_method") {
                routerBias = method == "noaux_tc"
            }
            if routerBias { sources["router_bias"] = family == .glm4Moe ? "e_score_correction_bias (GLM-4.5 router)" : "e_score_correction_bias (topk_method noaux_tc)" }
            let moe = OpSpec.Kind.moe(MoEAttributes(experts: experts, topK: k, expertIntermediate: size, sharedExperts: shared,
                                                    activation: act, routerBias: routerBias))
            let isMoE = { (i: Int) in i >= firstDense && i % frequency == 0 }
            let mlp: OpSpec.Kind? = (0..<layers).allSatisfy(isMoE) ? nil : try dense()
            return { i in
                if isMoE(i) { return (moe, "MoE") }
                return (mlp ?? moe, i < firstDense ? "dense MLP (first_k_dense_replace = \(firstDense))" : "dense MLP (moe_layer_freq = \(frequency))")
            }
        }
    }

    // MARK: Quantization

    mutating func readQuantization() throws(DiagnosticError) -> HFQuantization? {
        for object in [text, top] {
            if let q = try object.object("quantization_config") {
                let scheme = try HFQuantization.read(q)
                header.append("\(q.path.dropLast()): \(scheme.summary).")
                return scheme
            }
        }
        return nil
    }
}
