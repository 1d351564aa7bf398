import WaferIR
import WaferSupport
import WaferYAML

/// YAML node tree -> `ModelSpec`, checking every key, type and range with a located error.
/// docs/model-format.md documents each key. Errors in separate layer entries are all reported.
public enum ModelDecoder {
    public static func decode(_ root: YAMLNode, file: String) throws(DiagnosticError) -> ModelSpec {
        var map = try MappingReader(root, context: "the model")
        var diagnostics = DiagnosticCollector()

        let versionNode = try map.required("version")
        let version = try versionNode.integer("'version'", in: 0...Int.max)
        if version != ModelLimits.formatVersion {
            throw .error(ModelFailure.version, "unsupported model format version \(version); this WaferMap reads version \(ModelLimits.formatVersion)", at: versionNode.location)
        }
        let nameNode = try map.required("name")
        let name = try nameNode.name("'name'")
        if name.isEmpty || name.count > 200 || name.contains(where: { $0.isNewline || $0 == "\"" }) {
            throw .error(ModelFailure.name, "'name' must be 1 to 200 characters with no quotes or line breaks", at: nameNode.location)
        }
        let description = try map.optional("description").map { node throws(DiagnosticError) in try node.string("'description'") }
        let source = try map.optional("source").map { node throws(DiagnosticError) in try node.string("'source'") }
        let vocab = try map.required("vocab_size").integer("'vocab_size'", in: 1...ModelLimits.vocab)
        let hidden = try map.required("hidden_size").integer("'hidden_size'", in: 1...ModelLimits.hidden)

        var activation = ElementType.bf16
        if let node = map.optional("activation_precision") {
            let format = try FormatDecoder.decode(node, what: "'activation_precision'")
            guard format.element.isPlainFloat else {
                throw .error(ModelFailure.activationPrecision, "'activation_precision' must be fp32, bf16 or fp16, found \(format)", at: node.location)
            }
            activation = format.element
        }
        var matrixDefault = NumberFormat.bf16
        if let node = map.optional("precision") {
            matrixDefault = try FormatDecoder.decode(node, what: "'precision'")
        }
        var overrides: [TensorRole: NumberFormat] = [:]
        if let node = map.optional("precision_overrides") {
            var roles = try MappingReader(node, context: "'precision_overrides'")
            for role in TensorRole.allCases {
                if let value = roles.optional(role.rawValue) {
                    let format = try FormatDecoder.decode(value, what: "the \(role.rawValue) precision")
                    if role.isVector && !format.element.isPlainFloat {
                        throw .error(ModelFailure.quantizedVector, "\(role.rawValue) vectors are never quantized: use fp32, bf16 or fp16", at: value.location)
                    }
                    overrides[role] = format
                }
            }
            try roles.finish()
        }
        var unmapped: [UnmappedModule] = []
        if let node = map.optional("unmapped_modules") {
            unmapped = try decodeUnmapped(node)
        }
        let layersNode = try map.required("layers")
        try map.finish()

        let entries = try layersNode.list("'layers'")
        if entries.isEmpty { throw .error(ModelFailure.emptyLayers, "'layers' is empty", at: layersNode.location) }
        var items: [LayerItem] = []
        for entry in entries {
            if let item = diagnostics.attempt({ () throws(DiagnosticError) in try decodeItem(entry, hidden: hidden, depth: 0) }) {
                items.append(item)
            }
        }
        try diagnostics.check()

        return ModelSpec(file: file, version: version, name: name, description: description, source: source,
                         vocab: vocab, hidden: hidden, activation: activation,
                         precision: PrecisionPolicy(matrixDefault: matrixDefault, roleOverrides: overrides),
                         items: items, location: root.location, layersLocation: layersNode.location,
                         unmappedModules: unmapped)
    }

    /// `unmapped_modules: [{name, description, parameters, bytes}]`: parts of the checkpoint
    /// counted beside the model and never mapped. Names are unique. O(entries).
    static func decodeUnmapped(_ node: YAMLNode) throws(DiagnosticError) -> [UnmappedModule] {
        var modules: [UnmappedModule] = []
        for entry in try node.list("'unmapped_modules'") {
            var map = try MappingReader(entry, context: "an unmapped module")
            let nameNode = try map.required("name")
            let name = try nameNode.string("the module's 'name'")
            let valid = name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" }
            if name.isEmpty || name.count > 100 || !valid {
                throw .error(ModelFailure.moduleName, "module names use letters, digits and '_', at most 100 characters; found '\(name)'", at: nameNode.location)
            }
            if modules.contains(where: { $0.name == name }) {
                throw .error(ModelFailure.duplicateModule, "two unmapped modules are named '\(name)'", at: nameNode.location)
            }
            let description = try map.optional("description")?.string("the module's 'description'") ?? ""
            let parameters = try map.required("parameters").integer("the module's 'parameters'", in: 0...ModelLimits.totalParameters)
            let bytes = try map.required("bytes").integer("the module's 'bytes'", in: 0...Int.max / 2)
            try map.finish()
            modules.append(UnmappedModule(name: name, description: description, parameters: parameters, bytes: bytes))
        }
        return modules
    }

    static func decodeItem(_ node: YAMLNode, hidden: Int, depth: Int) throws(DiagnosticError) -> LayerItem {
        let probe = try MappingReader(node, context: "a layer entry")
        if probe.has("repeat") {
            var map = probe
            let count = try map.required("repeat").integer("'repeat'", in: 1...ModelLimits.repeatCount)
            let layersNode = try map.required("layers")
            try map.finish()
            let entries = try layersNode.list("the repeated 'layers'")
            if entries.isEmpty { throw .error(ModelFailure.emptyLayers, "a repeat block needs at least one layer", at: layersNode.location) }
            var items: [LayerItem] = []
            var diagnostics = DiagnosticCollector()
            for entry in entries {
                if let item = diagnostics.attempt({ () throws(DiagnosticError) in try decodeItem(entry, hidden: hidden, depth: depth + 1) }) {
                    items.append(item)
                }
            }
            try diagnostics.check()
            let opCount = items.filter { if case .op = $0 { return true } else { return false } }.count
            if opCount != 0 && opCount != items.count {
                throw .error(ModelFailure.mixedRepeat, "a repeat block holds either ops (one decoder layer) or repeat blocks, not both", at: layersNode.location)
            }
            return .repeatBlock(RepeatSpec(count: count, items: items, location: node.location))
        }
        guard probe.has("kind") else {
            throw .error(ModelFailure.layerEntry, "a layer entry needs 'kind' (an op) or 'repeat' (a block)", at: node.location)
        }
        return .op(try decodeOp(node, hidden: hidden))
    }

    static let kinds = ["embedding", "rmsnorm", "layernorm", "attention", "mla", "mlp", "moe", "lm_head"]

    static func decodeOp(_ node: YAMLNode, hidden: Int) throws(DiagnosticError) -> OpSpec {
        var map = try MappingReader(node, context: "a layer")
        let kindNode = try map.required("kind")
        let keyword = try kindNode.string("'kind'")
        map.context = "layer '\(keyword)'"
        var name: String?
        if let nameNode = map.optional("name") {
            let text = try nameNode.string("'name'")
            let allowed = text.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "." }
            if text.isEmpty || !allowed || text.hasPrefix(".") || text.hasSuffix(".") || text.count > 100 {
                throw .error(ModelFailure.opName, "op names use letters, digits, '_' and inner '.', at most 100 characters; found '\(text)'", at: nameNode.location)
            }
            name = text
        }
        var precision: NumberFormat?
        if let precisionNode = map.optional("precision") {
            precision = try FormatDecoder.decode(precisionNode, what: "the layer's 'precision'")
        }
        let kind = try decodeKind(keyword, kindNode: kindNode, map: &map, node: node, hidden: hidden)
        if precision != nil, case .norm = kind {
            throw .error(ModelFailure.quantizedVector, "norm vectors are never quantized; set 'precision_overrides: {norm: ...}' at the model level instead",
                         at: map.keyLocation("precision") ?? node.location)
        }
        try map.finish()
        return OpSpec(kind: kind, name: name, precision: precision, location: node.location)
    }

    /// The op kind `keyword` names, with its attributes read from `map` (each checked against
    /// `ModelLimits` and the others: heads against KV heads, top-k against experts). O(keys).
    static func decodeKind(_ keyword: String, kindNode: YAMLNode, map: inout MappingReader, node: YAMLNode,
                           hidden: Int) throws(DiagnosticError) -> OpSpec.Kind {
        switch keyword {
        case "embedding":
            return .embedding
        case "rmsnorm":
            return .norm(.rmsnorm, bias: false)
        case "layernorm":
            return .norm(.layernorm, bias: try map.flag("bias", true))
        case "attention":
            let heads = try map.int("heads", 1...ModelLimits.heads)
            let kvNode = map.optional("kv_heads")
            let kvHeads = try kvNode?.integer("'kv_heads'", in: 1...ModelLimits.heads) ?? heads
            if kvHeads > heads {
                throw .error(ModelFailure.headShape, "kv_heads (\(kvHeads)) cannot exceed heads (\(heads))", at: kvNode?.location ?? node.location)
            }
            if heads % kvHeads != 0 {
                throw .error(ModelFailure.headShape, "heads (\(heads)) must be a multiple of kv_heads (\(kvHeads)) for grouped-query attention", at: kvNode?.location ?? node.location)
            }
            var headDim = try map.optInt("head_dim", 1...ModelLimits.headDim)
            if headDim == nil {
                guard hidden % heads == 0 else {
                    throw .error(ModelFailure.headShape, "hidden_size (\(hidden)) is not divisible by heads (\(heads)); give 'head_dim' explicitly", at: map.keyLocation("heads") ?? node.location)
                }
                headDim = hidden / heads
            }
            let window = try map.optInt("sliding_window", 1...ModelLimits.slidingWindow)
            return .attention(AttentionAttributes(
                heads: heads, kvHeads: kvHeads, headDim: headDim ?? 1,
                qkNorm: try map.flag("qk_norm", false), qkvBias: try map.flag("qkv_bias", false),
                oBias: try map.flag("o_bias", false), sinks: try map.flag("sinks", false), slidingWindow: window))
        case "mla":
            let heads = try map.int("heads", 1...ModelLimits.heads)
            let qLora = try map.optInt("q_lora_rank", 1...ModelLimits.loraRank)
            let kvLora = try map.int("kv_lora_rank", 1...ModelLimits.loraRank)
            let nope = try map.int("qk_nope_head_dim", 0...ModelLimits.headDim)
            let ropeNode = try map.required("qk_rope_head_dim")
            let rope = try ropeNode.integer("'qk_rope_head_dim'", in: 1...ModelLimits.headDim)
            if rope % 2 != 0 {
                throw .error(ModelFailure.ropeOdd, "qk_rope_head_dim (\(rope)) must be even: rotary embeddings rotate pairs of values", at: ropeNode.location)
            }
            let v = try map.int("v_head_dim", 1...ModelLimits.headDim)
            return .mla(MLAAttributes(heads: heads, qLoraRank: qLora, kvLoraRank: kvLora, qkNopeHeadDim: nope,
                                      qkRopeHeadDim: rope, vHeadDim: v))
        case "mlp":
            return .mlp(MLPAttributes(intermediate: try map.int("intermediate_size", 1...ModelLimits.intermediate),
                                      gated: try map.flag("gated", true), activation: try map.activation(),
                                      bias: try map.flag("bias", false)))
        case "moe":
            let expertsNode = try map.required("experts")
            let experts = try expertsNode.integer("'experts'", in: 1...ModelLimits.experts)
            let topKNode = try map.required("top_k")
            let topK = try topKNode.integer("'top_k'", in: 1...ModelLimits.experts)
            if topK > experts {
                throw .error(ModelFailure.topK, "top_k (\(topK)) is larger than the number of experts (\(experts))", at: topKNode.location,
                             notes: [.note("experts declared here", at: expertsNode.location)])
            }
            let intermediate = try map.int("expert_intermediate_size", 1...ModelLimits.intermediate)
            let shared = try map.optInt("shared_experts", 0...ModelLimits.experts) ?? 0
            let sharedNode = map.optional("shared_intermediate_size")
            let sharedIntermediate = try sharedNode?.integer("'shared_intermediate_size'", in: 1...ModelLimits.intermediate)
            if let sharedNode, shared == 0 {
                throw .error(ModelFailure.sharedExperts, "'shared_intermediate_size' given but 'shared_experts' is 0", at: sharedNode.location)
            }
            return .moe(MoEAttributes(experts: experts, topK: topK, expertIntermediate: intermediate,
                                      sharedExperts: shared, sharedIntermediate: sharedIntermediate,
                                      gated: try map.flag("gated", true), activation: try map.activation(),
                                      routerBias: try map.flag("router_bias", false), expertBias: try map.flag("expert_bias", false)))
        case "lm_head":
            return .lmHead(tied: try map.flag("tied", false), bias: try map.flag("bias", false))
        default:
            var notes: [Diagnostic] = []
            if let s = Suggest.closest(to: keyword, in: kinds) { notes.append(.note("did you mean '\(s)'?", at: kindNode.location)) }
            notes.append(.note("layer kinds: \(kinds.joined(separator: ", "))"))
            throw .error(ModelFailure.unknownKind, "unknown layer kind '\(keyword)'", at: kindNode.location, notes: notes)
        }
    }
}

/// The typed reads an op's keys use: an integer in a range (required or optional), a flag with
/// its default, an activation by name (with a did-you-mean).
fileprivate extension MappingReader {
    mutating func int(_ key: String, _ range: ClosedRange<Int>) throws(DiagnosticError) -> Int {
        try required(key).integer("'\(key)'", in: range)
    }
    mutating func optInt(_ key: String, _ range: ClosedRange<Int>) throws(DiagnosticError) -> Int? {
        guard let value = optional(key), !value.isNull else { return nil }
        return try value.integer("'\(key)'", in: range)
    }
    mutating func flag(_ key: String, _ fallback: Bool) throws(DiagnosticError) -> Bool {
        try optional(key)?.bool("'\(key)'") ?? fallback
    }
    mutating func activation() throws(DiagnosticError) -> Activation {
        guard let value = optional("activation") else { return .silu }
        let text = try value.string("'activation'")
        guard let parsed = Activation(rawValue: text) else {
            var notes: [Diagnostic] = []
            if let s = Suggest.closest(to: text, in: Activation.allCases.map(\.rawValue)) {
                notes.append(.note("did you mean '\(s)'?", at: value.location))
            }
            notes.append(.note("activations: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))"))
            throw .error(ModelFailure.unknownActivation, "unknown activation '\(text)'", at: value.location, notes: notes)
        }
        return parsed
    }
}
