import WaferIR
import WaferSupport

/// `ModelSpec` -> `Graph`: expands repeat blocks into decoder layers, names every op the way
/// Hugging Face checkpoints do, wires the pre-norm residual stream, and creates every weight
/// from `OpKind.weightSpecs` in the model's activation precision (the `assign-precision` pass
/// then picks storage formats).
///
/// Residual rule (pre-norm transformer): inside a decoder layer, a norm reads the current
/// value; a mixer (attention, mla, mlp, moe) reads the current value and its output is added
/// to the residual stream (`residual_N` ops); the sum becomes the current value.
/// O(expanded ops x weights); the expanded layer count is checked before expanding.
public enum Lowering {
    public static func lower(_ spec: ModelSpec) throws(DiagnosticError) -> Graph {
        try checkStructure(spec)
        var builder = Builder(spec: spec)
        try builder.lowerTopLevel(spec.items)
        return try builder.finish()
    }

    /// Decoder layers `items` expand to, or nil on overflow. O(items).
    static func layerCount(_ items: [LayerItem]) -> Int? {
        var total = 0
        for item in items {
            guard case let .repeatBlock(block) = item else { continue }
            let perIteration: Int
            if block.items.allSatisfy({ if case .op = $0 { return true } else { return false } }) {
                perIteration = 1
            } else {
                guard let inner = layerCount(block.items) else { return nil }
                perIteration = inner
            }
            guard let n = Checked.mul(block.count, perIteration), let t = Checked.add(total, n) else { return nil }
            total = t
        }
        return total
    }

    /// Ops after every repeat is expanded; nil on overflow. O(items).
    static func opCount(_ items: [LayerItem]) -> Int? {
        var total = 0
        for item in items {
            let n: Int?
            switch item {
            case .op: n = 1
            case let .repeatBlock(block): n = opCount(block.items).flatMap { Checked.mul(block.count, $0) }
            }
            guard let n, let t = Checked.add(total, n) else { return nil }
            total = t
        }
        return total
    }

    /// Where each kind may appear, before anything is expanded.
    static func checkStructure(_ spec: ModelSpec) throws(DiagnosticError) {
        var problems = DiagnosticCollector()
        guard let count = layerCount(spec.items), count <= ModelLimits.decoderLayers else {
            throw .error(ModelFailure.tooManyLayers, "the repeat blocks expand to more than \(Units.grouped(ModelLimits.decoderLayers)) decoder layers", at: spec.layersLocation)
        }
        guard let ops = opCount(spec.items), ops <= ModelLimits.ops else {
            throw .error(ModelFailure.tooManyOps, "the layers expand to more than \(Units.grouped(ModelLimits.ops)) ops", at: spec.layersLocation)
        }
        let topOps = spec.items.compactMap { item -> OpSpec? in if case let .op(op) = item { return op } else { return nil } }
        if case .embedding? = topOps.first?.kind, case .op = spec.items.first {} else {
            problems.error(ModelFailure.layerOrder, "the first layer must be the embedding (kind: embedding)", at: spec.items.first?.location ?? spec.layersLocation)
        }
        if case .lmHead? = topOps.last?.kind, case .op = spec.items.last {} else {
            problems.error(ModelFailure.layerOrder, "the last layer must be the output head (kind: lm_head)", at: spec.items.last?.location ?? spec.layersLocation)
        }
        for (index, op) in topOps.enumerated() {
            if op.kind.isMixer {
                problems.error(ModelFailure.opPlacement, "'\(op.kind.keyword)' must sit inside a repeat block (a decoder layer); write 'repeat: 1' for a single layer", at: op.location)
            }
            if case .embedding = op.kind, index != 0 { problems.error(ModelFailure.layerOrder, "a model has one embedding, first", at: op.location) }
            if case .lmHead = op.kind, index != topOps.count - 1 { problems.error(ModelFailure.layerOrder, "a model has one lm_head, last", at: op.location) }
        }
        if count == 0 { problems.error(ModelFailure.noDecoderLayers, "the model has no decoder layers: add a repeat block", at: spec.layersLocation) }
        checkBlocks(spec.items, into: &problems)
        try problems.check()
    }

    private static func checkBlocks(_ items: [LayerItem], into problems: inout DiagnosticCollector) {
        for item in items {
            guard case let .repeatBlock(block) = item else { continue }
            let ops = block.items.compactMap { item -> OpSpec? in if case let .op(op) = item { return op } else { return nil } }
            if !ops.isEmpty {
                if !ops.contains(where: { $0.kind.isMixer }) {
                    problems.error(ModelFailure.emptyDecoderLayer, "a decoder layer needs an attention, mla, mlp or moe op", at: block.location)
                }
                for op in ops {
                    switch op.kind {
                    case .embedding, .lmHead:
                        problems.error(ModelFailure.opPlacement, "'\(op.kind.keyword)' belongs at the top level, not inside a repeat block", at: op.location)
                    default: break
                    }
                }
            }
            checkBlocks(block.items, into: &problems)
        }
    }

    private struct Builder {
        let spec: ModelSpec
        var values: [Value] = []
        var ops: [Op] = []
        var names: [String: SourceLocation] = [:]
        var current = ValueID(0)
        var layer = 0
        var topNorms = 0
        var embeddingWeight: String?
        /// Running totals, checked as ops are made so an overflowing model stops at the first
        /// op that overflows instead of after expanding every layer.
        var totalParameters = 0
        var totalBytes = 0

        init(spec: ModelSpec) {
            self.spec = spec
            values.append(Value(id: ValueID(0), type: .tokens))
        }

        var hiddenType: ValueType { .vector(width: spec.hidden, element: spec.activation) }

        mutating func newValue(_ type: ValueType) -> ValueID {
            let id = ValueID(values.count)
            values.append(Value(id: id, type: type))
            return id
        }

        mutating func lowerTopLevel(_ items: [LayerItem]) throws(DiagnosticError) {
            for item in items {
                switch item {
                case let .op(op): try lowerTop(op)
                case let .repeatBlock(block): try lowerBlock(block)
                }
            }
        }

        mutating func lowerBlock(_ block: RepeatSpec) throws(DiagnosticError) {
            let isLayer = block.items.allSatisfy { if case .op = $0 { return true } else { return false } }
            for _ in 0..<block.count {
                if isLayer {
                    try lowerLayer(block.items.compactMap { if case let .op(op) = $0 { return op } else { return nil } })
                } else {
                    for item in block.items {
                        if case let .repeatBlock(inner) = item { try lowerBlock(inner) }
                    }
                }
            }
        }

        mutating func lowerTop(_ spec: OpSpec) throws(DiagnosticError) {
            switch spec.kind {
            case .embedding:
                let kind = OpKind.embedding(EmbeddingAttributes(vocab: self.spec.vocab, hidden: self.spec.hidden))
                let result = newValue(hiddenType)
                let op = try makeOp(spec, name: spec.name ?? "embed_tokens", kind: kind, layer: nil, inputs: [current], result: result)
                embeddingWeight = op.weights.first.map { op.fullName($0) }
                current = result
            case let .norm(normKind, bias):
                let name = spec.name ?? (topNorms == 0 ? "norm" : "norm_\(topNorms)")
                topNorms += 1
                let result = newValue(hiddenType)
                _ = try makeOp(spec, name: name, kind: .norm(NormAttributes(kind: normKind, width: self.spec.hidden, bias: bias)),
                               layer: nil, inputs: [current], result: result)
                current = result
            case let .lmHead(tied, bias):
                let attributes = LMHeadAttributes(vocab: self.spec.vocab, hidden: self.spec.hidden, tied: tied, bias: bias)
                let result = newValue(.vector(width: self.spec.vocab, element: self.spec.activation))
                var tiedName: String?
                if tied {
                    guard let embeddingWeight else {
                        throw .error(ModelFailure.tiedWithoutEmbedding, "a tied lm_head needs an embedding to tie to", at: spec.location)
                    }
                    tiedName = embeddingWeight
                }
                _ = try makeOp(spec, name: spec.name ?? "lm_head", kind: .lmHead(attributes), layer: nil,
                               inputs: [current], result: result, tied: tiedName)
                current = result
            default:
                throw .error(ModelFailure.opPlacement, "'\(spec.kind.keyword)' must sit inside a repeat block", at: spec.location)
            }
        }

        mutating func lowerLayer(_ specs: [OpSpec]) throws(DiagnosticError) {
            let prefix = "layers.\(layer)."
            var stream = current
            var norms = 0, mixers = 0
            for spec in specs {
                switch spec.kind {
                case let .norm(normKind, bias):
                    let base = norms == 0 ? "input_layernorm" : norms == 1 ? "post_attention_layernorm" : "norm_\(norms)"
                    norms += 1
                    let result = newValue(hiddenType)
                    _ = try makeOp(spec, name: prefix + (spec.name ?? base),
                                   kind: .norm(NormAttributes(kind: normKind, width: self.spec.hidden, bias: bias)),
                                   layer: layer, inputs: [current], result: result)
                    current = result
                case .attention, .mla, .mlp, .moe:
                    let kind: OpKind
                    let base: String
                    switch spec.kind {
                    case let .attention(a): kind = .attention(a); base = "self_attn"
                    case let .mla(a): kind = .mla(a); base = "self_attn"
                    case let .mlp(a): kind = .mlp(a); base = "mlp"
                    case let .moe(a): kind = .moe(a); base = "mlp"
                    default: continue
                    }
                    let update = newValue(hiddenType)
                    _ = try makeOp(spec, name: prefix + (spec.name ?? base), kind: kind, layer: layer, inputs: [current], result: update)
                    let sum = newValue(hiddenType)
                    let add = Op(name: prefix + "residual_\(mixers)", kind: .residualAdd, layer: layer,
                                 inputs: [stream, update], result: sum, weights: [], location: spec.location)
                    try register(add.name, at: spec.location)
                    ops.append(add)
                    mixers += 1
                    stream = sum
                    current = sum
                case .embedding, .lmHead:
                    throw .error(ModelFailure.opPlacement, "'\(spec.kind.keyword)' belongs at the top level", at: spec.location)
                }
            }
            layer += 1
        }

        mutating func register(_ name: String, at location: SourceLocation) throws(DiagnosticError) {
            if let previous = names[name] {
                throw .error(ModelFailure.duplicateOp, "two ops are named '\(name)'", at: location, notes: [.note("the other one is here", at: previous)])
            }
            names[name] = location
        }

        mutating func makeOp(_ spec: OpSpec, name: String, kind: OpKind, layer: Int?, inputs: [ValueID],
                             result: ValueID, tied: String? = nil) throws(DiagnosticError) -> Op {
            try register(name, at: spec.location)
            guard let weightSpecs = kind.weightSpecs(hidden: self.spec.hidden) else {
                throw .error(ModelFailure.overflow, "the weight shapes of '\(name)' overflow 64-bit integers", at: spec.location)
            }
            var weights: [Tensor] = []
            for w in weightSpecs {
                guard let tensor = Tensor(name: w.name, shape: w.shape, role: w.role,
                                          format: NumberFormat(self.spec.activation), expertStacked: w.expertStacked) else {
                    throw .error(ModelFailure.overflow, "the size of '\(name).\(w.name)' overflows 64-bit integers", at: spec.location)
                }
                guard let params = Checked.add(totalParameters, tensor.parameterCount),
                      let bytes = Checked.add(totalBytes, tensor.bytes) else {
                    throw .error(ModelFailure.overflow, "the model's total size overflows 64-bit integers at '\(name).\(w.name)'", at: spec.location)
                }
                if params > ModelLimits.totalParameters {
                    throw .error(ModelFailure.tooLarge, "the model passes \(Units.grouped(ModelLimits.totalParameters)) parameters at '\(name).\(w.name)'; WaferMap rejects models this large", at: spec.location)
                }
                totalParameters = params
                totalBytes = bytes
                weights.append(tensor)
            }
            let op = Op(name: name, kind: kind, layer: layer, inputs: inputs, result: result, weights: weights,
                        tiedWeight: tied, precisionOverride: spec.precision, location: spec.location)
            ops.append(op)
            return op
        }

        func finish() throws(DiagnosticError) -> Graph {
            var graph = Graph(name: spec.name, sourceFile: spec.file, hidden: spec.hidden, vocab: spec.vocab,
                              activation: spec.activation, precision: spec.precision, values: values, ops: ops,
                              input: ValueID(0), output: current, layerCount: layer)
            graph.unmappedModules = spec.unmappedModules
            return graph
        }
    }
}
