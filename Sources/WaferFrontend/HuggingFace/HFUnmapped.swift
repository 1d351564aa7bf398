import WaferIR
import WaferSupport

/// The parts of a checkpoint that are counted but not mapped: multi-token-prediction layers
/// and vision towers. Each becomes an `UnmappedModule` with exact parameters and bytes.
enum HFUnmapped {
    /// Sums tensors as they are built; any overflow is an error at `location`.
    struct Tally {
        var parameters = 0
        var bytes = 0
        let location: SourceLocation

        mutating func add(_ name: String, _ shape: [Int], role: TensorRole, format: NumberFormat) throws(DiagnosticError) {
            guard let tensor = Tensor(name: name, shape: shape, role: role, format: format),
                  let p = Checked.add(parameters, tensor.parameterCount), let b = Checked.add(bytes, tensor.bytes),
                  p <= ModelLimits.totalParameters else {
                throw .error(ConfigFailure.overflow, "the size of '\(name)' overflows", at: location)
            }
            parameters = p
            bytes = b
        }
    }

    /// The unmapped modules; a module the config describes too little to size is left out with
    /// a warning appended to `warnings` (the text model is still counted).
    static func modules(reader: HFConfigReader, spec: ModelSpec, graph: Graph, quantization: HFQuantization?,
                        warnings: inout [Diagnostic]) throws(DiagnosticError) -> [UnmappedModule] {
        var modules: [UnmappedModule] = []
        if let mtp = try multiTokenPrediction(reader: reader, spec: spec, graph: graph, quantization: quantization) { modules.append(mtp) }
        if let vision = try visionTower(reader: reader, spec: spec, warnings: &warnings) { modules.append(vision) }
        return modules
    }

    /// DeepSeek-V3's MTP module, as its checkpoint stores it (and GLM-4.5's, which copies it):
    /// per predicted token one more decoder layer shaped like the last one, `enorm` and `hnorm`
    /// (hidden each), `eh_proj [hidden, 2 x hidden]`, `shared_head.norm`, and the module's own
    /// copies of `embed_tokens` and `shared_head.head` (vocab x hidden each). For DeepSeek-V3
    /// that is 13,463,426,304 parameters, which with the main 671,026,419,200 gives the
    /// checkpoint's 684,489,845,504 ("685B").
    static func multiTokenPrediction(reader: HFConfigReader, spec: ModelSpec, graph: Graph, quantization: HFQuantization?) throws(DiagnosticError) -> UnmappedModule? {
        guard reader.family.isDeepSeekStyle || reader.family == .glm4Moe else { return nil }
        let text = reader.text
        guard let count = try text.optionalInt("num_nextn_predict_layers", in: 0...64), count > 0 else { return nil }
        let last = graph.layerCount - 1
        let h = spec.hidden, v = spec.vocab
        let policy = spec.precision
        var tally = Tally(location: text.location(of: "num_nextn_predict_layers"))
        for module in 0..<count {
            let index = graph.layerCount + module
            for op in graph.ops where op.layer == last {
                for tensor in op.weights {
                    try tally.add("mtp.\(module).\(tensor.name)", tensor.shape, role: tensor.role,
                                  format: policy.format(for: tensor.role, opOverride: nil))
                }
            }
            for norm in ["enorm", "hnorm", "shared_head.norm"] {
                try tally.add("mtp.\(module).\(norm)", [h], role: .norm, format: policy.format(for: .norm, opOverride: nil))
            }
            let ehFormat = quantization?.format(module: "model.layers.\(index).eh_proj", kind: .linear) ?? NumberFormat(spec.activation)
            try tally.add("mtp.\(module).eh_proj", [h, 2 * h], role: .mlp, format: ehFormat)
            try tally.add("mtp.\(module).embed_tokens", [v, h], role: .embedding, format: policy.format(for: .embedding, opOverride: nil))
            try tally.add("mtp.\(module).shared_head.head", [v, h], role: .lm_head, format: policy.format(for: .lm_head, opOverride: nil))
        }
        return UnmappedModule(
            name: "mtp",
            description: "multi-token prediction, num_nextn_predict_layers = \(count): per module one decoder layer like the last, "
                + "enorm, hnorm, eh_proj [\(h), \(2 * h)], shared_head.norm, and the checkpoint's own embed_tokens and shared_head.head copies",
            parameters: tally.parameters, bytes: tally.bytes)
    }

    /// Kimi K2.5's MoonViT vision tower and patch-merger projector, from `vision_config`:
    /// a `patch_size`^2 x 3-channel patch convolution with bias, a learned `init_pos_emb_height`
    /// x `init_pos_emb_width` position table, `vt_num_hidden_layers` blocks (two LayerNorms
    /// with bias, fused qkv and output projections with bias, a two-layer MLP with bias), a
    /// final LayerNorm, and the projector: LayerNorm(vt_hidden) then Linear(m, m) and
    /// Linear(m, text_hidden), m = vt_hidden x merge_kernel_size area, both with bias.
    /// Stored in the checkpoint's dtype (the text model's quantization_config does not reach it).
    ///
    /// A `vision_config` that lacks a field the size needs does not refuse the model: the tower
    /// is left out and a warning (at `vision_config`) names the missing fields. A field that is
    /// present but wrong (a string, a negative size) is still an error at its value. The warning
    /// names no command-line flag: each command adds the notes that fit its own flags.
    static func visionTower(reader: HFConfigReader, spec: ModelSpec, warnings: inout [Diagnostic]) throws(DiagnosticError) -> UnmappedModule? {
        guard reader.family == .kimiK25, !reader.options.textOnly, let vision = try reader.top.object("vision_config") else { return nil }
        let needed = ["vt_hidden_size", "vt_intermediate_size", "vt_num_hidden_layers", "patch_size",
                      "init_pos_emb_height", "init_pos_emb_width", "merge_kernel_size"]
        let missing = needed.filter { !vision.has($0) }
        if !missing.isEmpty {
            let fields = missing.map { "'\(vision.path)\($0)'" }.joined(separator: ", ")
            warnings.append(Diagnostic.warning("the vision tower is not counted: \(vision.path.dropLast()) lacks \(fields), which its size needs; "
                                       + "the text model is counted without it", at: vision.location))
            return nil
        }
        let why = "the vision tower's size needs it"
        let limit = 1...(1 << 20)
        let d = try vision.int("vt_hidden_size", in: limit, why: why)
        let ff = try vision.int("vt_intermediate_size", in: limit, why: why)
        let blocks = try vision.int("vt_num_hidden_layers", in: 1...10_000, why: why)
        let patch = try vision.int("patch_size", in: 1...4096, why: why)
        let posH = try vision.int("init_pos_emb_height", in: limit, why: why)
        let posW = try vision.int("init_pos_emb_width", in: limit, why: why)
        let channels = try vision.optionalInt("num_channels", in: 1...64) ?? 3
        guard let merge = try vision.optionalInts("merge_kernel_size", in: 1...64), merge.count == 2 else {
            throw .error(ConfigFailure.wrongType, "'\(vision.path)merge_kernel_size' takes two sizes, [height, width]", at: vision.location(of: "merge_kernel_size"))
        }
        let textHidden = try vision.optionalInt("text_hidden_size", in: limit) ?? spec.hidden
        let format = NumberFormat(spec.activation)
        var t = Tally(location: vision.location)
        try t.add("patch_embed.proj.weight", [d, channels, patch, patch], role: .attention, format: format)
        try t.add("patch_embed.proj.bias", [d], role: .bias, format: format)
        try t.add("patch_embed.pos_emb.weight", [posH, posW, d], role: .embedding, format: format)
        for _ in 0..<blocks {
            for norm in 0..<2 {
                try t.add("norm\(norm).weight", [d], role: .norm, format: format)
                try t.add("norm\(norm).bias", [d], role: .bias, format: format)
            }
            try t.add("wqkv.weight", [3 * d, d], role: .attention, format: format)
            try t.add("wqkv.bias", [3 * d], role: .bias, format: format)
            try t.add("wo.weight", [d, d], role: .attention, format: format)
            try t.add("wo.bias", [d], role: .bias, format: format)
            try t.add("mlp.fc0.weight", [ff, d], role: .mlp, format: format)
            try t.add("mlp.fc0.bias", [ff], role: .bias, format: format)
            try t.add("mlp.fc1.weight", [d, ff], role: .mlp, format: format)
            try t.add("mlp.fc1.bias", [d], role: .bias, format: format)
        }
        try t.add("final_layernorm.weight", [d], role: .norm, format: format)
        try t.add("final_layernorm.bias", [d], role: .bias, format: format)
        let m = d * merge[0] * merge[1]
        try t.add("mm_projector.pre_norm.weight", [d], role: .norm, format: format)
        try t.add("mm_projector.pre_norm.bias", [d], role: .bias, format: format)
        try t.add("mm_projector.proj.0.weight", [m, m], role: .mlp, format: format)
        try t.add("mm_projector.proj.0.bias", [m], role: .bias, format: format)
        try t.add("mm_projector.proj.2.weight", [textHidden, m], role: .mlp, format: format)
        try t.add("mm_projector.proj.2.bias", [textHidden], role: .bias, format: format)
        return UnmappedModule(
            name: "vision_tower",
            description: "MoonViT vision tower (\(blocks) blocks of width \(d), MLP \(ff), \(patch)x\(patch) patches) and patch-merger projector to \(textHidden), in \(format)",
            parameters: t.parameters, bytes: t.bytes)
    }
}
