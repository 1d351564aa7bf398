import Foundation
import WaferIR
import WaferSupport
import WaferYAML

/// The draft model of a speculative decode, as a model description: the target's own
/// multi-token-prediction layer, a smaller model of the same family, or a one-layer EAGLE-style
/// head built from the target (docs/performance-model.md, "Speculative decoding").
public struct DraftSource: Sendable {
    public enum Kind: String, Sendable { case mtp, model, eagle }

    public var spec: ModelSpec
    public var kind: Kind
    /// Why this draft: the rule of `auto` that picked it, or the file given.
    public var reason: String
    /// The draft uses the target's embedding and LM head (their bytes are the target's).
    public var sharesEmbedding: Bool
}

/// Chooses and builds drafts. `auto` tries, in order: the target's `mtp` unmapped module; a
/// smaller model of the same family beside the target's file (`families`); an EAGLE head.
public enum DraftModels {
    /// A tokenizer family: targets whose name starts with one of `prefixes` and whose vocabulary
    /// is `vocab` entries share a tokenizer with `draft` (a model file `draft.yaml` beside the
    /// target's). The vocabulary size is the robust half of the key (a draft must produce the
    /// target's token ids); the name prefix tells apart families that happen to share a size.
    public struct Family: Sendable {
        public var name: String
        public var prefixes: [String]
        public var vocab: Int
        public var draft: String
    }

    public static let families: [Family] = [
        Family(name: "Llama 3", prefixes: ["llama-3.1-", "llama-3.2-"], vocab: 128_256, draft: "llama-3.2-1b"),
        Family(name: "gpt-oss", prefixes: ["gpt-oss-"], vocab: 201_088, draft: "gpt-oss-20b"),
        Family(name: "Qwen3", prefixes: ["qwen3-"], vocab: 151_936, draft: "qwen3-32b"),
        Family(name: "Mistral", prefixes: ["mistral-", "mixtral-"], vocab: 32_000, draft: "mistral-7b"),
    ]

    /// Reads a model description (YAML) or a Hugging Face config.json without lowering it. O(file).
    public static func loadSpec(path: String) throws(DiagnosticError) -> ModelSpec {
        if HFImporter.isConfig(path: path) { return try HFImporter.load(path: path).spec }
        return try ModelDecoder.decode(try YAMLReader.load(path: path), file: path)
    }

    /// The draft `auto` picks for the target at `targetPath`. O(target file + draft file).
    public static func automatic(targetPath: String, target: ModelSpec) throws(DiagnosticError) -> DraftSource {
        if let mtp = target.unmappedModules.first(where: { $0.name == "mtp" }) {
            return DraftSource(spec: oneLayer(target, eagle: false), kind: .mtp,
                               reason: "the model's own multi-token-prediction layer (\(mtp.description))", sharesEmbedding: true)
        }
        var why = "no smaller model of the same family"
        if let family = families.first(where: { f in f.vocab == target.vocab && f.prefixes.contains { target.name.hasPrefix($0) } }) {
            let path = (URL(fileURLWithPath: targetPath).deletingLastPathComponent().path as NSString).appendingPathComponent(family.draft + ".yaml")
            if family.draft == target.name {
                why = "\(target.name) is the smallest \(family.name) model"
            } else if FileManager.default.fileExists(atPath: path), let draft = try? loadSpec(path: path),
                      draft.vocab == target.vocab, ((try? parameters(draft)) ?? .max) < ((try? parameters(target)) ?? 0) {
                return DraftSource(spec: draft, kind: .model,
                                   reason: "smaller \(family.name) model with the same tokenizer (\(Units.grouped(target.vocab)) tokens), \(family.draft).yaml beside the model",
                                   sharesEmbedding: false)
            } else {
                why = "no usable \(family.draft).yaml beside the model"
            }
        }
        return DraftSource(spec: oneLayer(target, eagle: true), kind: .eagle,
                           reason: "\(why): a one-layer EAGLE-style head on the model's hidden size", sharesEmbedding: true)
    }

    /// The draft `--speculative DRAFT` names for the target at `targetPath`: `auto`'s choice,
    /// `eagle` (the one-layer head whatever the model has), or the model file DRAFT, which must load and have the target's vocabulary (its tokenizer).
    /// O(target file + draft file).
    public static func choose(_ draft: String, targetPath: String) throws(DiagnosticError) -> DraftSource {
        let target = try loadSpec(path: targetPath)
        if draft == "auto" { return try automatic(targetPath: targetPath, target: target) }
        if draft == "eagle" {
            return DraftSource(spec: oneLayer(target, eagle: true), kind: .eagle, reason: "--speculative eagle: a one-layer EAGLE-style head on the model's hidden size",
                               sharesEmbedding: true)
        }
        let spec: ModelSpec
        do { spec = try loadSpec(path: draft) } catch {
            throw .error(ModelFailure.speculativeDraft, "--speculative: the draft model '\(draft)' does not load", at: nil,
                         notes: error.diagnostics.map { .note($0.message, at: $0.location) })
        }
        if spec.vocab != target.vocab {
            throw .error(ModelFailure.speculativeVocabulary, "--speculative: the draft '\(draft)' has \(Units.grouped(spec.vocab)) vocabulary entries and the model \(Units.grouped(target.vocab)): a draft must share the model's tokenizer", at: nil)
        }
        return DraftSource(spec: spec, kind: .model, reason: "--speculative \(draft)", sharesEmbedding: false)
    }

    /// The target's parameters (lowered). O(model).
    static func parameters(_ spec: ModelSpec) throws -> Int { try ModelLoader.build(spec).statistics().totalParameters }

    /// A one-layer model of `target`: its ops before the first decoder layer (the embedding),
    /// its last decoder layer once, and its ops after (final norm, LM head). For an EAGLE head
    /// (`eagle`), an MoE mixer becomes a dense MLP as wide as the target's dense MLP if it has
    /// one, else as the MoE's active width (top-k plus shared experts): the same MACs per token.
    /// The MTP layer keeps the last layer as it is (DeepSeek-V3's MTP module is one layer like
    /// the last). O(items).
    public static func oneLayer(_ target: ModelSpec, eagle: Bool) -> ModelSpec {
        var before: [LayerItem] = [], after: [LayerItem] = []
        var last: [OpSpec] = []
        var denseWidth: Int?
        func visit(_ items: [LayerItem]) {
            let ops = items.compactMap { item -> OpSpec? in if case let .op(op) = item { return op } else { return nil } }
            if ops.count == items.count, !ops.isEmpty { last = ops }
            for item in items {
                if case let .repeatBlock(block) = item { visit(block.items) }
                if case let .op(op) = item, case let .mlp(m) = op.kind, denseWidth == nil { denseWidth = m.intermediate }
            }
        }
        for item in target.items {
            switch item {
            case let .op(op): if last.isEmpty { before.append(.op(op)) } else { after.append(.op(op)) }
            case let .repeatBlock(block): visit([.repeatBlock(block)]); after = []
            }
        }
        if eagle {
            last = last.map { op in
                guard case let .moe(m) = op.kind else { return op }
                var dense = op
                let active = m.topK * m.expertIntermediate + m.sharedExperts * m.sharedIntermediate
                dense.kind = .mlp(MLPAttributes(intermediate: denseWidth ?? active, gated: m.gated, activation: m.activation))
                return dense
            }
        }
        var spec = target
        spec.name = target.name + (eagle ? "-eagle-head" : "-mtp")
        spec.unmappedModules = []
        spec.items = before + [.repeatBlock(RepeatSpec(count: 1, items: last.map { .op($0) }, location: target.layersLocation))] + after
        return spec
    }
}
