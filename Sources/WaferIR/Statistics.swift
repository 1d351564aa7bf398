import WaferSupport

/// Exact parameter and byte accounting of a graph.
///
/// Conventions (also in docs/model-format.md):
/// - total parameters: every weight the model owns once (a tied lm_head owns none);
/// - active parameters per token: everything except routed experts, plus `top_k` of each MoE
///   layer's routed experts; shared experts and routers count in full. The input embedding
///   counts in full in `activeParameters` (Mixtral's "12.9B active" convention) and not at all
///   in `activeParametersExcludingEmbedding` (gpt-oss's "3.6B active" convention). A tied
///   embedding is also the output head, so it stays in both.
/// - bytes include quantization scales exactly (`NumberFormat.storage`).
public struct ModelStatistics: Sendable, Hashable {
    public struct FormatRow: Sendable, Hashable {
        public var format: String
        public var tensors: Int
        public var parameters: Int
        public var valueBytes: Int
        public var scaleBytes: Int
        public var bytes: Int { valueBytes + scaleBytes }
    }

    public struct GroupRow: Sendable, Hashable {
        /// An op mnemonic (by kind) or a tensor role (by role).
        public var name: String
        public var ops: Int
        public var tensors: Int
        public var parameters: Int
        public var activeParameters: Int
        public var bytes: Int
    }

    public struct LargestTensor: Sendable, Hashable {
        public var name: String
        public var shape: [Int]
        public var format: String
        public var parameters: Int
        public var bytes: Int
    }

    public var model: String
    public var layers: Int
    public var ops: Int
    public var tensors: Int
    public var totalParameters: Int
    public var activeParameters: Int
    public var activeParametersExcludingEmbedding: Int
    public var inputEmbeddingParameters: Int
    public var weightBytes: Int
    public var valueBytes: Int
    public var scaleBytes: Int
    public var byFormat: [FormatRow]
    public var byKind: [GroupRow]
    public var byRole: [GroupRow]
    /// The largest single tensor as a checkpoint stores it: a stacked expert tensor counts as
    /// one expert's slice. Ties go to the first in model order.
    public var largest: LargestTensor?
}

public struct AccountingOverflow: Error, Sendable {
    public var what: String
}

extension Graph {
    /// Computes `ModelStatistics`. O(ops x weights). Throws when a total overflows `Int`.
    public func statistics() throws(AccountingOverflow) -> ModelStatistics {
        var total = 0, active = 0, embedding = 0, valueBytes = 0, scaleBytes = 0, tensorCount = 0
        var formats: [String: ModelStatistics.FormatRow] = [:]
        var formatOrder: [String] = []
        var kinds: [String: ModelStatistics.GroupRow] = [:]
        var kindOrder: [String] = []
        var roles: [String: ModelStatistics.GroupRow] = [:]
        var largest: ModelStatistics.LargestTensor?
        var tiedEmbedding = false

        func add(_ a: Int, _ b: Int, _ what: String) throws(AccountingOverflow) -> Int {
            guard let s = Checked.add(a, b) else { throw AccountingOverflow(what: what) }
            return s
        }

        for op in ops {
            if case let .lmHead(a) = op.kind, a.tied { tiedEmbedding = true }
            if case .residualAdd = op.kind { continue }
            let kindKey: String
            if case .norm = op.kind { kindKey = "norm" } else { kindKey = op.kind.mnemonic }
            if kinds[kindKey] == nil {
                kinds[kindKey] = .init(name: kindKey, ops: 0, tensors: 0, parameters: 0, activeParameters: 0, bytes: 0)
                kindOrder.append(kindKey)
            }
            kinds[kindKey]?.ops += 1
            var rolesInOp = Set<String>()
            for tensor in op.weights {
                tensorCount += 1
                let params = tensor.parameterCount
                var activeHere = params
                if tensor.expertStacked, case let .moe(a) = op.kind, let experts = tensor.shape.first, experts > 0 {
                    activeHere = params / experts * a.topK
                }
                total = try add(total, params, "total parameters")
                active = try add(active, activeHere, "active parameters")
                valueBytes = try add(valueBytes, tensor.storage.valueBytes, "weight bytes")
                scaleBytes = try add(scaleBytes, tensor.storage.scaleBytes, "scale bytes")
                _ = try add(valueBytes, scaleBytes, "weight bytes")
                if tensor.role == .embedding { embedding = try add(embedding, params, "embedding parameters") }
                // The group sums below are sums of subsets of the checked totals above: no overflow.

                let formatKey = tensor.format.description
                if formats[formatKey] == nil {
                    formats[formatKey] = .init(format: formatKey, tensors: 0, parameters: 0, valueBytes: 0, scaleBytes: 0)
                    formatOrder.append(formatKey)
                }
                formats[formatKey]?.tensors += 1
                formats[formatKey]?.parameters += params
                formats[formatKey]?.valueBytes += tensor.storage.valueBytes
                formats[formatKey]?.scaleBytes += tensor.storage.scaleBytes

                kinds[kindKey]?.tensors += 1
                kinds[kindKey]?.parameters += params
                kinds[kindKey]?.activeParameters += activeHere
                kinds[kindKey]?.bytes += tensor.bytes

                let roleKey = tensor.role.rawValue
                if roles[roleKey] == nil {
                    roles[roleKey] = .init(name: roleKey, ops: 0, tensors: 0, parameters: 0, activeParameters: 0, bytes: 0)
                }
                if rolesInOp.insert(roleKey).inserted { roles[roleKey]?.ops += 1 }
                roles[roleKey]?.tensors += 1
                roles[roleKey]?.parameters += params
                roles[roleKey]?.activeParameters += activeHere
                roles[roleKey]?.bytes += tensor.bytes

                var sliceShape = tensor.shape
                var sliceParams = params
                var sliceBytes = tensor.bytes
                if tensor.expertStacked, let experts = tensor.shape.first, experts > 0 {
                    sliceShape = Array(tensor.shape.dropFirst())
                    sliceParams = params / experts
                    sliceBytes = tensor.bytes / experts
                }
                if largest == nil || sliceBytes > (largest?.bytes ?? 0) {
                    let name = tensor.expertStacked ? "\(op.name).\(tensor.name) (one of \(tensor.shape.first ?? 0) experts)" : op.fullName(tensor)
                    largest = .init(name: name, shape: sliceShape, format: formatKey, parameters: sliceParams, bytes: sliceBytes)
                }
            }
        }
        let excluding = tiedEmbedding ? active : active - embedding
        return ModelStatistics(
            model: name, layers: layerCount, ops: ops.count, tensors: tensorCount,
            totalParameters: total, activeParameters: active,
            activeParametersExcludingEmbedding: excluding, inputEmbeddingParameters: embedding,
            weightBytes: valueBytes + scaleBytes, valueBytes: valueBytes, scaleBytes: scaleBytes,
            byFormat: formatOrder.compactMap { formats[$0] },
            byKind: kindOrder.compactMap { kinds[$0] },
            byRole: TensorRole.allCases.compactMap { roles[$0.rawValue] },
            largest: largest)
    }
}
