import WaferSupport

/// The whole model for one decode step: values, ops in execution order, and model facts.
///
/// A value type: passes take it `inout` and the pass manager keeps copies only where a dump
/// asks for one. Ops are stored flat in execution order; per-layer structure is the `layer`
/// field, and the printer summarises identical layers.
public struct Graph: Hashable, Sendable {
    public var name: String
    /// The model file it came from, for messages.
    public var sourceFile: String
    public var hidden: Int
    public var vocab: Int
    /// Element type of activations (and, until a pass decides otherwise, of the KV cache).
    public var activation: ElementType
    public var precision: PrecisionPolicy
    public var values: [Value]
    public var ops: [Op]
    public var input: ValueID
    public var output: ValueID
    /// Number of decoder layers (layer indices run 0..<layerCount).
    public var layerCount: Int
    /// Passes that have run, in order. Verifier checks depend on it (formats after assign-precision).
    public var appliedPasses: [String]
    /// Pipeline stages across wafers, once the partition pass has run.
    public var partition: Partition?
    /// Slots, tiles and their positions, once the tile (and place) passes have run.
    public var layout: Layout?
    /// Line classes, exceptions, bundles, colors and flows, once the route pass has run.
    public var routing: Routing?
    /// The timed phases of one decode step, once the schedule pass has run.
    public var schedule: Schedule?
    /// Parts of the checkpoint counted beside the model but never mapped (MTP, vision tower).
    public var unmappedModules: [UnmappedModule] = []

    public init(name: String, sourceFile: String, hidden: Int, vocab: Int, activation: ElementType,
                precision: PrecisionPolicy, values: [Value], ops: [Op], input: ValueID, output: ValueID,
                layerCount: Int, appliedPasses: [String] = []) {
        self.name = name; self.sourceFile = sourceFile; self.hidden = hidden; self.vocab = vocab
        self.activation = activation; self.precision = precision; self.values = values; self.ops = ops
        self.input = input; self.output = output; self.layerCount = layerCount; self.appliedPasses = appliedPasses
    }

    public func value(_ id: ValueID) -> Value? {
        values.indices.contains(id.index) ? values[id.index] : nil
    }

    /// Finds a tensor by its full dotted name. O(ops x weights).
    public func tensor(named fullName: String) -> (op: Op, tensor: Tensor)? {
        for op in ops where fullName.hasPrefix(op.name + ".") {
            for tensor in op.weights where op.fullName(tensor) == fullName {
                return (op, tensor)
            }
        }
        return nil
    }

    /// The op ranges that move and tile as one: each decoder layer's consecutive ops, and each
    /// op outside the layer stack on its own. O(ops).
    public func unitRanges() -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < ops.count {
            var end = index + 1
            if let layer = ops[index].layer {
                while end < ops.count, ops[end].layer == layer { end += 1 }
            }
            ranges.append(index..<end)
            index = end
        }
        return ranges
    }
}
