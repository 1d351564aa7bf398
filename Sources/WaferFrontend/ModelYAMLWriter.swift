import WaferIR
import WaferSupport

/// `ModelSpec` -> model description YAML (docs/model-format.md), with comments.
///
/// Writes what `ModelDecoder` reads back to an equal spec: every op on its own lines, repeat
/// blocks nested as they are, formats as names or `{type: ..., block: [r, c], scale: ...}`
/// mappings, strings double-quoted where they could be misread. Keys at their default are
/// left out, except the few a reader looks for (kv_heads, head_dim, tied). O(ops).
public enum ModelYAMLWriter {
    /// Comments for an imported model: `header` lines on top, `fieldSources[key]` beside op
    /// keys, `itemNotes[i]` beside top-level item `i`.
    public static func render(_ model: ImportedModel) -> String {
        render(model.spec, header: model.header, fieldSources: model.fieldSources, itemNotes: model.itemNotes)
    }

    public static func render(_ spec: ModelSpec, header: [String] = [], fieldSources: [String: String] = [:],
                              itemNotes: [String?] = []) -> String {
        var w = Writer(sources: fieldSources)
        for line in header { w.comment(line) }
        w.line("version: \(spec.version)")
        w.line("name: \(quoted(spec.name))")
        if let description = spec.description { w.line("description: \(quoted(description))") }
        if let source = spec.source { w.line("source: \(quoted(source))") }
        w.line("vocab_size: \(spec.vocab)", note: fieldSources["vocab_size"])
        w.line("hidden_size: \(spec.hidden)", note: fieldSources["hidden_size"])
        w.line("activation_precision: \(spec.activation.rawValue)", note: fieldSources["activation_precision"])
        w.line("precision: \(format(spec.precision.matrixDefault))")
        let overrides = TensorRole.allCases.compactMap { role in spec.precision.roleOverrides[role].map { (role, $0) } }
        if !overrides.isEmpty {
            w.line("precision_overrides:")
            for (role, f) in overrides { w.line("  \(role.rawValue): \(format(f))") }
        }
        if !spec.unmappedModules.isEmpty {
            w.line("unmapped_modules:                 # counted beside the model, never mapped")
            for module in spec.unmappedModules {
                w.line("  - name: \(module.name)")
                if !module.description.isEmpty { w.line("    description: \(quoted(module.description))") }
                w.line("    parameters: \(underscored(module.parameters))")
                w.line("    bytes: \(underscored(module.bytes))")
            }
        }
        w.line("layers:")
        for (index, item) in spec.items.enumerated() {
            w.item(item, indent: "  ", note: index < itemNotes.count ? itemNotes[index] : nil)
        }
        return w.text
    }

    /// A format as the model file writes it.
    public static func format(_ f: NumberFormat) -> String {
        if f == .mxfp4 { return "mxfp4" }
        let type = f.element.rawValue
        switch f.scaling {
        case .none: return type
        case let .block(rows, cols, scale): return "{type: \(type), block: [\(rows), \(cols)], scale: \(scale.rawValue)}"
        case let .group(size, scale): return "{type: \(type), group_size: \(size), scale: \(scale.rawValue)}"
        case let .channel(scale): return "{type: \(type), per_channel: true, scale: \(scale.rawValue)}"
        }
    }

    /// `1_026_408_232_448`: digits grouped the way the model format allows.
    static func underscored(_ value: Int) -> String { Units.grouped(value).replacingOccurrences(of: ",", with: "_") }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    struct Writer {
        var text = ""
        let sources: [String: String]

        mutating func comment(_ line: String) { text += "# \(line)\n" }

        mutating func line(_ body: String, note: String? = nil) {
            if let note, !note.isEmpty {
                text += body.padding(toLength: max(body.count, 40), withPad: " ", startingAt: 0) + " # \(note)\n"
            } else {
                text += body + "\n"
            }
        }

        mutating func item(_ item: LayerItem, indent: String, note: String?) {
            switch item {
            case let .repeatBlock(block):
                line("\(indent)- repeat: \(block.count)", note: note)
                line("\(indent)  layers:")
                for inner in block.items { self.item(inner, indent: indent + "    ", note: nil) }
            case let .op(op):
                let fields = ModelYAMLWriter.fields(op.kind)
                line("\(indent)- kind: \(op.kind.keyword)", note: note)
                if let name = op.name { line("\(indent)  name: \(name)") }
                if let precision = op.precision { line("\(indent)  precision: \(ModelYAMLWriter.format(precision))") }
                for (key, value) in fields { line("\(indent)  \(key): \(value)", note: sources[key]) }
            }
        }
    }

    /// The op's keys in the order docs/model-format.md lists them, defaults left out.
    static func fields(_ kind: OpSpec.Kind) -> [(String, String)] {
        var f: [(String, String)] = []
        switch kind {
        case .embedding:
            break
        case let .norm(normKind, bias):
            if normKind == .layernorm && !bias { f.append(("bias", "false")) }
        case let .attention(a):
            f.append(("heads", "\(a.heads)"))
            f.append(("kv_heads", "\(a.kvHeads)"))
            f.append(("head_dim", "\(a.headDim)"))
            if a.qkNorm { f.append(("qk_norm", "true")) }
            if a.qkvBias { f.append(("qkv_bias", "true")) }
            if a.oBias { f.append(("o_bias", "true")) }
            if a.sinks { f.append(("sinks", "true")) }
            if let window = a.slidingWindow { f.append(("sliding_window", "\(window)")) }
        case let .mla(a):
            f.append(("heads", "\(a.heads)"))
            f.append(("q_lora_rank", a.qLoraRank.map(String.init) ?? "null"))
            f.append(("kv_lora_rank", "\(a.kvLoraRank)"))
            f.append(("qk_nope_head_dim", "\(a.qkNopeHeadDim)"))
            f.append(("qk_rope_head_dim", "\(a.qkRopeHeadDim)"))
            f.append(("v_head_dim", "\(a.vHeadDim)"))
        case let .mlp(a):
            f.append(("intermediate_size", "\(a.intermediate)"))
            if !a.gated { f.append(("gated", "false")) }
            if a.activation != .silu { f.append(("activation", a.activation.rawValue)) }
            if a.bias { f.append(("bias", "true")) }
        case let .moe(a):
            f.append(("experts", "\(a.experts)"))
            f.append(("top_k", "\(a.topK)"))
            f.append(("expert_intermediate_size", "\(a.expertIntermediate)"))
            if a.sharedExperts > 0 {
                f.append(("shared_experts", "\(a.sharedExperts)"))
                if a.sharedIntermediate != a.expertIntermediate { f.append(("shared_intermediate_size", "\(a.sharedIntermediate)")) }
            }
            if !a.gated { f.append(("gated", "false")) }
            if a.activation != .silu { f.append(("activation", a.activation.rawValue)) }
            if a.routerBias { f.append(("router_bias", "true")) }
            if a.expertBias { f.append(("expert_bias", "true")) }
        case let .lmHead(tied, bias):
            f.append(("tied", tied ? "true" : "false"))
            if bias { f.append(("bias", "true")) }
        }
        return f
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
