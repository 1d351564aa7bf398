import WaferSupport

/// What a weight is for. Precision policies and reports group tensors by role.
public enum TensorRole: String, Sendable, Hashable, CaseIterable, Codable {
    case embedding
    case lm_head
    case attention
    case mlp
    /// Routed experts of an MoE layer.
    case experts
    case shared_experts
    /// The MoE router's gate matrix.
    case router
    /// Norm scale vectors (and MLA's latent norms, Qwen3's q/k norms).
    case norm
    /// Every bias vector, including router and expert biases.
    case bias
    /// gpt-oss attention sinks: one learned logit per head.
    case sink

    /// Vector roles are never quantized: they keep a plain float format.
    public var isVector: Bool { self == .norm || self == .bias || self == .sink }
}

/// A weight tensor with its exact parameter count and storage.
///
/// Shapes follow PyTorch/Hugging Face: a linear layer is `[out_features, in_features]`; stacked
/// expert tensors put the expert index first (`[experts, out, in]`, `expertStacked == true`).
/// Sizes are computed once, with overflow checks, when the tensor is made or its format changes.
public struct Tensor: Hashable, Sendable {
    /// Name relative to the op (`q_proj.weight`); the full name is `op.name + "." + name`.
    public var name: String
    public var shape: [Int]
    public var role: TensorRole
    /// True when the first dimension indexes routed experts (one slice per expert).
    public var expertStacked: Bool
    public private(set) var format: NumberFormat
    public private(set) var parameterCount: Int
    public private(set) var storage: StorageSize

    /// Makes a tensor, or returns nil when its size overflows 64-bit integers.
    public init?(name: String, shape: [Int], role: TensorRole, format: NumberFormat, expertStacked: Bool = false) {
        guard let count = Checked.product(shape), let storage = format.storage(shape: shape) else { return nil }
        self.name = name
        self.shape = shape
        self.role = role
        self.expertStacked = expertStacked
        self.format = format
        self.parameterCount = count
        self.storage = storage
    }

    /// The same tensor stored in `format`, or nil when the new size overflows.
    public func withFormat(_ format: NumberFormat) -> Tensor? {
        Tensor(name: name, shape: shape, role: role, format: format, expertStacked: expertStacked)
    }

    /// Bytes including scales.
    public var bytes: Int { storage.totalBytes }

    /// `1536x7168`.
    public var shapeText: String { shape.map(String.init).joined(separator: "x") }
}
