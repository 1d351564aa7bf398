import WaferIR
import WaferSupport

/// Applies the model's precision policy: every weight gets its storage format.
///
/// The front end creates weights in the activation precision (the model as defined
/// mathematically); this pass resolves each tensor's storage format from, in order, the op's
/// own `precision`, the role override, and the model default (vectors: never quantized), and
/// recomputes exact byte sizes including scales. Idempotent. O(ops x weights).
public struct AssignPrecision: Pass {
    public let name = "assign-precision"
    public let summary = "choose each weight's storage format from the model's precision policy"

    public init() {}

    public func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        for opIndex in graph.ops.indices {
            let op = graph.ops[opIndex]
            for tensorIndex in op.weights.indices {
                let tensor = op.weights[tensorIndex]
                let format = graph.precision.format(for: tensor.role, opOverride: op.precisionOverride)
                guard let updated = tensor.withFormat(format) else {
                    throw .error(PassFailure.overflow, "storing '\(op.fullName(tensor))' as \(format) overflows 64-bit byte counts", at: op.location)
                }
                graph.ops[opIndex].weights[tensorIndex] = updated
            }
        }
    }
}
