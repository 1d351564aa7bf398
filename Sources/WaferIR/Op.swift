import WaferSupport

/// One operation of the decode step, with the weights it owns.
public struct Op: Hashable, Sendable {
    /// Hugging Face-style dotted name, unique in the graph: `layers.3.self_attn`.
    public var name: String
    public var kind: OpKind
    /// The decoder layer this op belongs to; nil for ops outside the layer stack.
    public var layer: Int?
    public var inputs: [ValueID]
    public var result: ValueID
    public var weights: [Tensor]
    /// A tied op (lm_head) reads this tensor of another op instead of owning one: full name.
    public var tiedWeight: String?
    /// The op's own `precision:` from the model file; it wins over role overrides for its matrices.
    public var precisionOverride: NumberFormat?
    /// Where the op was described (the model file's layer entry).
    public var location: SourceLocation?
    /// The wafer (and expert ranges) the partition pass gave it; nil before partitioning.
    public var placement: OpPlacement?

    public init(name: String, kind: OpKind, layer: Int?, inputs: [ValueID], result: ValueID, weights: [Tensor],
                tiedWeight: String? = nil, precisionOverride: NumberFormat? = nil, location: SourceLocation? = nil) {
        self.name = name; self.kind = kind; self.layer = layer; self.inputs = inputs; self.result = result
        self.weights = weights; self.tiedWeight = tiedWeight; self.precisionOverride = precisionOverride
        self.location = location
    }

    /// Full name of one of this op's tensors.
    public func fullName(_ tensor: Tensor) -> String { "\(name).\(tensor.name)" }
}
