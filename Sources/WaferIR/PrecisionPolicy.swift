import WaferSupport

/// How weights are stored: a model default, per-role overrides, and per-op overrides on ops.
///
/// Resolution for one tensor, first match wins:
/// 1. a matrix of an op that has its own `precision` takes that op's format;
/// 2. an override for the tensor's role (`precision_overrides: {experts: int4}`);
/// 3. vectors (norm, bias, sink) take `vectorDefault`; matrices take `matrixDefault`.
public struct PrecisionPolicy: Hashable, Sendable {
    public var matrixDefault: NumberFormat
    public var roleOverrides: [TensorRole: NumberFormat]

    public init(matrixDefault: NumberFormat, roleOverrides: [TensorRole: NumberFormat] = [:]) {
        self.matrixDefault = matrixDefault
        self.roleOverrides = roleOverrides
    }

    /// Vectors are never quantized: the model default when it is a plain float, otherwise bf16.
    public var vectorDefault: NumberFormat {
        matrixDefault.element.isPlainFloat ? matrixDefault : .bf16
    }

    /// The storage format for a tensor with `role` in an op with `opOverride`. O(1).
    public func format(for role: TensorRole, opOverride: NumberFormat?) -> NumberFormat {
        if !role.isVector, let opOverride { return opOverride }
        if let format = roleOverrides[role] { return format }
        return role.isVector ? vectorDefault : matrixDefault
    }

    /// `fp8_e4m3[...] (experts: int4[...], embedding: bf16)`, roles in declaration order.
    public var description: String {
        let overrides = TensorRole.allCases.compactMap { role in roleOverrides[role].map { "\(role.rawValue): \($0)" } }
        return overrides.isEmpty ? matrixDefault.description : "\(matrixDefault) (\(overrides.joined(separator: ", ")))"
    }
}
