import WaferIR
import WaferSupport

/// Turns a checkpoint's storage (its dtype and `quantization_config`) into the model format's
/// precision policy, and proves the policy reproduces the checkpoint weight by weight.
///
/// Each weight matrix gets the Hugging Face module name it has in the checkpoint
/// (`model.layers.7.mlp.experts.12.gate_proj`), and `HFQuantization` decides its format; a
/// stacked expert tensor is checked once per expert. Vectors stay in the dtype, except the
/// DeepSeek-V3 family's `e_score_correction_bias`, which its checkpoints store in fp32.
/// The per-role decisions are then lifted to a model default plus role overrides; a role
/// whose weights disagree (an ignore list that picks single layers) is an error that names
/// two disagreeing weights, never a rounded answer. O(weights + experts x patterns).
enum HFStorage {
    /// Sets `spec.precision` from the decisions for each weight of `graph` (`spec` lowered) and
    /// returns the header line saying so.
    static func assign(spec: inout ModelSpec, graph: Graph, family: HFFamily, dtype: NumberFormat, quantization: HFQuantization?,
                       at location: SourceLocation) throws(DiagnosticError) -> String {
        var decided: [TensorRole: (format: NumberFormat, example: String)] = [:]
        var roleOrder: [TensorRole] = []
        for op in graph.ops {
            for tensor in op.weights {
                let format = try decide(op: op, tensor: tensor, family: family, dtype: dtype, quantization: quantization, at: location)
                let name = op.fullName(tensor)
                if let previous = decided[tensor.role] {
                    if previous.format != format {
                        throw .error(ConfigFailure.mixedStorage, "quantization_config stores '\(previous.example)' as \(previous.format) but '\(name)' as \(format); "
                                     + "WaferMap's model format gives every \(tensor.role.rawValue) weight one format", at: location)
                    }
                } else {
                    decided[tensor.role] = (format, name)
                    roleOrder.append(tensor.role)
                }
            }
        }
        // The model default: the format most matrix roles share (ties: the dtype).
        let matrixFormats = roleOrder.filter { !$0.isVector }.compactMap { decided[$0]?.format }
        var votes: [NumberFormat: Int] = [:]
        for format in matrixFormats { votes[format, default: 0] += 1 }
        var matrixDefault = dtype
        for format in matrixFormats where (votes[format] ?? 0) > (votes[matrixDefault] ?? 0) { matrixDefault = format }
        var policy = PrecisionPolicy(matrixDefault: matrixDefault)
        for (role, decision) in decided where policy.format(for: role, opOverride: nil) != decision.format {
            policy.roleOverrides[role] = decision.format
        }
        for (role, decision) in decided where policy.format(for: role, opOverride: nil) != decision.format {
            throw .error(ConfigFailure.invariant, "internal error: the lifted precision policy does not reproduce the \(role.rawValue) weights", at: location)
        }
        spec.precision = policy
        if quantization == nil && policy.roleOverrides.isEmpty {
            return "Storage: every weight in \(dtype) (torch_dtype; no quantization_config)."
        }
        let overrides = policy.roleOverrides.isEmpty ? "" : "; " + TensorRole.allCases.compactMap { role in
            policy.roleOverrides[role].map { "\(role.rawValue) \($0)" } }.joined(separator: ", ")
        return "Storage: \(policy.matrixDefault) by default\(overrides) (unquantized weights in \(dtype))."
    }

    /// The stored format of one weight.
    static func decide(op: Op, tensor: Tensor, family: HFFamily, dtype: NumberFormat, quantization: HFQuantization?,
                       at location: SourceLocation) throws(DiagnosticError) -> NumberFormat {
        if tensor.role.isVector {
            if family.isDeepSeekStyle, tensor.role == .bias, case .moe = op.kind { return .fp32 }
            return dtype
        }
        guard let quantization else { return dtype }
        let module = String(tensor.name.dropLast(".weight".count))
        let prefix = op.layer == nil ? "" : "model."
        switch op.kind {
        case .embedding:
            return quantization.format(module: "model.embed_tokens", kind: .embedding) ?? dtype
        case .lmHead:
            return quantization.format(module: "lm_head", kind: .lmHead) ?? dtype
        case .moe:
            let block = prefix + op.name.replacingOccurrences(of: ".mlp", with: "." + family.moeModule)
            if tensor.role == .router {
                return quantization.format(module: "\(block).\(family.routerModule)", kind: .router(isLinear: family.routerIsLinear)) ?? dtype
            }
            if tensor.role == .experts {
                let projection = String(module.dropFirst("experts.".count))
                if family == .gptOss {
                    return quantization.format(module: "\(block).experts", kind: .expert) ?? dtype
                }
                let experts = tensor.shape.first ?? 0
                let first = quantization.format(module: "\(block).experts.0.\(family.expertProjection(projection))", kind: .expert)
                for expert in 1..<max(experts, 1) {
                    let name = "\(block).experts.\(expert).\(family.expertProjection(projection))"
                    let format = quantization.format(module: name, kind: .expert)
                    if format != first {
                        throw .error(ConfigFailure.mixedStorage, "quantization_config treats expert 0 and expert \(expert) of '\(block)' differently; "
                                     + "WaferMap stores all experts of a layer alike", at: location)
                    }
                }
                return first ?? dtype
            }
            return quantization.format(module: "\(block).\(module)", kind: .linear) ?? dtype
        default:
            return quantization.format(module: "\(prefix)\(op.name).\(module)", kind: .linear) ?? dtype
        }
    }
}
