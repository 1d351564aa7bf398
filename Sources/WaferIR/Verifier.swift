import WaferSupport

/// Checks the IR's invariants. Runs after the front end and after every pass.
///
/// Checks (O(ops x weights)):
/// - values: ids match their index; every op input is defined before use; every result is
///   defined once; the graph output is defined;
/// - types: ops consume and produce vectors of the widths their kind requires;
/// - attributes: positive dimensions, heads divisible by kv heads, top-k within the experts;
/// - weights: exactly the names, shapes and roles `OpKind.weightSpecs` gives, with stored
///   parameter counts and byte sizes equal to a recomputation, and valid formats;
/// - precision: once `assign-precision` has run, every tensor's format is the one the policy
///   resolves; ties name an existing tensor of the right shape.
public enum Verifier {
    public static func verify(_ graph: Graph, after stage: String) throws(DiagnosticError) {
        var problems: [Diagnostic] = []
        func fail(_ message: String, _ op: Op? = nil) {
            let subject = op.map { "op '\($0.name)': " } ?? ""
            problems.append(.error(IRFailure.verification, "IR verification failed after \(stage): \(subject)\(message)", at: op?.location))
        }

        for (index, value) in graph.values.enumerated() where value.id.index != index {
            fail("value \(value.id) is stored at index \(index)")
        }
        var defined = Set<ValueID>()
        if graph.value(graph.input)?.type == .tokens {
            defined.insert(graph.input)
        } else {
            fail("graph input \(graph.input) is not a tokens value")
        }
        var names = Set<String>()
        let precisionAssigned = graph.appliedPasses.contains("assign-precision")

        for op in graph.ops {
            if !names.insert(op.name).inserted { fail("duplicate op name", op) }
            for input in op.inputs where !defined.contains(input) {
                fail("uses \(input) before it is defined", op)
            }
            if defined.contains(op.result) || graph.value(op.result) == nil {
                fail("result \(op.result) is defined twice or does not exist", op)
            }
            defined.insert(op.result)
            if let layer = op.layer, !(0..<graph.layerCount).contains(layer) {
                fail("layer index \(layer) outside 0..<\(graph.layerCount)", op)
            }
            let inputTypes = op.inputs.compactMap { graph.value($0)?.type }
            let resultType = graph.value(op.result)?.type
            if let problem = typeProblem(op.kind, inputs: inputTypes, result: resultType, graph: graph) {
                fail(problem, op)
            }
            if let problem = attributeProblem(op.kind) { fail(problem, op) }
            guard let specs = op.kind.weightSpecs(hidden: graph.hidden) else {
                fail("weight shapes overflow 64-bit integers", op)
                continue
            }
            if specs.count != op.weights.count {
                fail("has \(op.weights.count) weights, its kind requires \(specs.count)", op)
            }
            for (spec, tensor) in zip(specs, op.weights) {
                if spec.name != tensor.name || spec.shape != tensor.shape || spec.role != tensor.role
                    || spec.expertStacked != tensor.expertStacked {
                    fail("weight '\(tensor.name)' [\(tensor.shapeText)] should be '\(spec.name)' [\(spec.shape.map(String.init).joined(separator: "x"))] with role \(spec.role.rawValue)", op)
                }
                if Checked.product(tensor.shape) != tensor.parameterCount
                    || tensor.format.storage(shape: tensor.shape) != tensor.storage {
                    fail("weight '\(tensor.name)' has stale size bookkeeping", op)
                }
                if let problem = tensor.format.validationProblem() {
                    fail("weight '\(tensor.name)': \(problem)", op)
                }
                if tensor.role.isVector && !tensor.format.element.isPlainFloat {
                    fail("vector weight '\(tensor.name)' is stored as \(tensor.format); vectors are never quantized", op)
                }
                if precisionAssigned {
                    let expected = graph.precision.format(for: tensor.role, opOverride: op.precisionOverride)
                    if tensor.format != expected {
                        fail("weight '\(tensor.name)' is \(tensor.format) but the precision policy gives \(expected)", op)
                    }
                }
            }
            if case let .lmHead(a) = op.kind {
                if a.tied {
                    if let tied = op.tiedWeight, let target = graph.tensor(named: tied) {
                        if target.tensor.shape != [a.vocab, a.hidden] {
                            fail("tied weight '\(tied)' has shape [\(target.tensor.shapeText)], expected [\(a.vocab)x\(a.hidden)]", op)
                        }
                    } else {
                        fail("is tied but names no existing weight", op)
                    }
                } else if op.tiedWeight != nil {
                    fail("is untied but names a tied weight", op)
                }
            }
        }
        if !defined.contains(graph.output) { fail("graph output \(graph.output) is never defined") }
        if let partition = graph.partition {
            for problem in partitionProblems(graph, partition) { fail(problem.message, problem.op) }
            if let layout = graph.layout {
                for problem in layoutProblems(graph, partition, layout) { fail(problem, nil) }
            }
        }
        if !problems.isEmpty { throw DiagnosticError(problems) }
    }

    /// Partition invariants: every op placed, wafers in pipeline order, experts covered once,
    /// and each stage's weight and KV bytes equal to a recomputation and within its capacity.
    static func partitionProblems(_ graph: Graph, _ partition: Partition) -> [(message: String, op: Op?)] {
        var problems: [(String, Op?)] = []
        let count = partition.stages.count
        for (index, stage) in partition.stages.enumerated() where stage.wafer != index {
            problems.append(("stage \(index) is labelled wafer \(stage.wafer)", nil))
        }
        var weights = Array(repeating: 0, count: count)
        var kv = Array(repeating: 0, count: count)
        var previous = 0
        for op in graph.ops {
            guard let placement = op.placement else {
                problems.append(("is not placed on a wafer", op))
                continue
            }
            guard (0..<count).contains(placement.wafer) else {
                problems.append(("is placed on wafer \(placement.wafer), outside 0..<\(count)", op))
                continue
            }
            // A tied head runs where the weight it reads lies (the first stage, for an
            // embedding): the one op allowed back, and only to that weight's wafer.
            let tiedHome = op.tiedWeight.flatMap { graph.tensor(named: $0)?.op.placement?.wafer }
            if placement.wafer < previous && placement.wafer != tiedHome {
                problems.append(("goes back from wafer \(previous) to \(placement.wafer): stages must follow model order", op))
            }
            previous = placement.wafer
            kv[placement.wafer] += op.kind.kvCacheBytes(partition.kvCache) ?? 0
            if case let .moe(a) = op.kind {
                weights[placement.wafer] += op.nonExpert.bytes
                var next = 0
                var sliceWafer = placement.wafer
                for slice in placement.expertSlices {
                    if slice.first != next || slice.count <= 0 { problems.append(("expert slices must cover 0..<\(a.experts) in order", op)); break }
                    if slice.wafer < sliceWafer || slice.wafer >= count { problems.append(("expert slice on wafer \(slice.wafer) is out of pipeline order", op)); break }
                    sliceWafer = slice.wafer
                    weights[slice.wafer] += slice.count * op.perExpert.bytes
                    next += slice.count
                }
                if next != a.experts { problems.append(("expert slices cover \(next) of \(a.experts) experts", op)) }
            } else {
                if !placement.expertSlices.isEmpty { problems.append(("has expert slices but no experts", op)) }
                weights[placement.wafer] += op.weights.reduce(0) { $0 + $1.bytes }
            }
        }
        for stage in partition.stages where stage.wafer < count {
            if stage.weightBytes != weights[stage.wafer] || stage.kvBytes != kv[stage.wafer] {
                problems.append(("wafer \(stage.wafer) records \(stage.weightBytes) weight and \(stage.kvBytes) KV bytes; its ops hold \(weights[stage.wafer]) and \(kv[stage.wafer])", nil))
            }
            if stage.weightBytes + stage.kvBytes > stage.usableBytes {
                problems.append(("wafer \(stage.wafer) holds \(stage.weightBytes + stage.kvBytes) bytes, more than its usable \(stage.usableBytes)", nil))
            }
        }
        return problems
    }

    /// Layout invariants: every op's weights tiled exactly once (each base op by one unit on its
    /// wafer, each expert by one unit on the wafer its slice names); per-PE bytes equal to a
    /// recomputation from the tiles and, summed over a slot's group, within the PE's data bytes;
    /// placed groups on distinct usable slots inside the program rectangle.
    static func layoutProblems(_ graph: Graph, _ partition: Partition, _ layout: Layout) -> [String] {
        var problems: [String] = []
        var baseCount = Array(repeating: 0, count: graph.ops.count)
        var expertSeen: [Int: [Range<Int>]] = [:]
        var groupBytes: [Int: [Int: Int]] = [:]
        for unit in layout.units {
            guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }) else {
                problems.append("unit '\(unit.name)' is on wafer \(unit.wafer), which has no tiling")
                continue
            }
            let isBase = !(unit.name.contains(" experts "))
            var dense = 0, kv = 0
            let shape = unit.denseShape(on: tiling)
            if let r = unit.region, r.width < 1 || r.height < 1 || r.row0 < 0 || r.width > tiling.slotWidth || r.row0 + r.height > tiling.slotHeight || !isBase {
                problems.append("unit '\(unit.name)': its compact region \(r) is not inside its \(tiling.slotWidth)x\(tiling.slotHeight) slot or the unit holds no dense weights")
            }
            if isBase {
                for opIndex in unit.ops where graph.ops.indices.contains(opIndex) {
                    let op = graph.ops[opIndex]
                    baseCount[opIndex] += 1
                    if op.placement?.wafer != unit.wafer { problems.append("op '\(op.name)' is tiled on wafer \(unit.wafer) but placed on \(op.placement?.wafer ?? -1)") }
                    for tensor in op.weights where !tensor.expertStacked {
                        dense += tileBytes(of: tensor, width: shape.width, height: shape.height)
                    }
                    let values = op.kind.kvValuesPerToken()
                    if values > 0 {
                        let tokens = op.kind.kvTokensKept(context: partition.kvCache.contextTokens)
                        kv += Checked.ceilDiv(tokens, shape.height) * Checked.ceilDiv(values, shape.width)
                            * partition.kvCache.sequences * (partition.kvCache.element.bits / 8)
                    }
                }
            }
            var experts = 0
            if let moe = unit.expertOp, !unit.experts.isEmpty, graph.ops.indices.contains(moe) {
                expertSeen[moe, default: []].append(unit.experts)
                let slices = graph.ops[moe].placement?.expertSlices ?? []
                if !slices.contains(where: { $0.wafer == unit.wafer && $0.range.lowerBound <= unit.experts.lowerBound && unit.experts.upperBound <= $0.range.upperBound }) {
                    problems.append("unit '\(unit.name)' tiles experts \(unit.experts) that the partition did not put on wafer \(unit.wafer)")
                }
                if let cells = unit.cells {
                    if cells.columns * cells.cellWidth > tiling.slotWidth || cells.rows * cells.cellHeight > tiling.slotHeight
                        || cells.cells * cells.expertsPerCell < unit.experts.count {
                        problems.append("unit '\(unit.name)': its expert cells do not fit the slot or hold too few experts")
                    }
                    for tensor in graph.ops[moe].weights where tensor.expertStacked {
                        experts += tileBytes(of: tensor, width: cells.cellWidth, height: cells.cellHeight)
                    }
                    experts *= cells.expertsPerCell
                } else {
                    problems.append("unit '\(unit.name)' holds experts but no expert cells")
                }
            }
            if dense != unit.denseBytesPerPE || kv != unit.kvBytesPerPE || experts != unit.expertBytesPerPE {
                problems.append("unit '\(unit.name)' records \(unit.denseBytesPerPE)/\(unit.expertBytesPerPE)/\(unit.kvBytesPerPE) dense/expert/KV bytes per PE; its tiles need \(dense)/\(experts)/\(kv)")
            }
            var recomputed = unit
            (recomputed.denseBytesPerPE, recomputed.expertBytesPerPE, recomputed.kvBytesPerPE) = (dense, experts, kv)
            groupBytes[unit.wafer, default: [:]][unit.group, default: 0] += recomputed.bytesPerPE
        }
        for (index, count) in baseCount.enumerated() where count != 1 {
            problems.append("op '\(graph.ops[index].name)' is tiled \(count) times")
        }
        for (index, op) in graph.ops.enumerated() {
            guard case let .moe(a) = op.kind else { continue }
            let ranges = (expertSeen[index] ?? []).sorted { $0.lowerBound < $1.lowerBound }
            var next = 0
            for range in ranges where range.lowerBound == next { next = range.upperBound }
            if next != a.experts || ranges.reduce(0, { $0 + $1.count }) != a.experts {
                problems.append("the experts of '\(op.name)' are not each tiled exactly once")
            }
        }
        for tiling in layout.wafers {
            let bytes = groupBytes[tiling.wafer] ?? [:]
            for group in 0..<tiling.groupCount {
                let sum = bytes[group] ?? 0
                if sum > layout.dataBytesPerPE { problems.append("wafer \(tiling.wafer) group \(group) needs \(sum) bytes per PE, more than \(layout.dataBytesPerPE)") }
                if tiling.groupBytesPerPE.indices.contains(group) && tiling.groupBytesPerPE[group] != sum {
                    problems.append("wafer \(tiling.wafer) group \(group) records \(tiling.groupBytesPerPE[group]) bytes per PE; its units need \(sum)")
                }
            }
            if (tiling.slotWidth + tiling.spareColumns) * tiling.gridColumns > tiling.programWidth || tiling.slotHeight * tiling.gridRows > tiling.programHeight {
                problems.append("wafer \(tiling.wafer)'s slot grid overflows its program rectangle")
            }
            if let slots = tiling.groupSlot {
                if slots.count != tiling.groupCount || Set(slots).count != slots.count {
                    problems.append("wafer \(tiling.wafer): groups must sit on distinct slots")
                }
                for slot in slots where !(tiling.usableSlots.indices.contains(slot) && tiling.usableSlots[slot]) {
                    problems.append("wafer \(tiling.wafer): slot \(slot) is not usable")
                }
            }
        }
        return problems
    }

    static func typeProblem(_ kind: OpKind, inputs: [ValueType], result: ValueType?, graph: Graph) -> String? {
        let hiddenVector = ValueType.vector(width: graph.hidden, element: graph.activation)
        switch kind {
        case .embedding:
            if inputs != [.tokens] { return "embedding takes the token input" }
            if result != hiddenVector { return "embedding must produce \(hiddenVector)" }
        case let .norm(a):
            if inputs.count != 1 || inputs.first?.width != a.width { return "norm of width \(a.width) takes one vector of that width" }
            if result != inputs.first { return "norm must keep its input type" }
        case .attention, .mla, .mlp, .moe:
            if inputs != [hiddenVector] || result != hiddenVector { return "\(kind.mnemonic) maps \(hiddenVector) to \(hiddenVector)" }
        case .residualAdd:
            if inputs.count != 2 || inputs.first != inputs.last || result != inputs.first { return "add takes two vectors of one type and returns that type" }
        case let .lmHead(a):
            if inputs != [hiddenVector] { return "lm_head takes \(hiddenVector)" }
            if result != .vector(width: a.vocab, element: graph.activation) { return "lm_head must produce \(graph.activation.rawValue)[\(a.vocab)]" }
            if a.vocab != graph.vocab || a.hidden != graph.hidden { return "lm_head dimensions differ from the model's" }
        }
        return nil
    }

    static func attributeProblem(_ kind: OpKind) -> String? {
        switch kind {
        case let .embedding(a):
            return a.vocab > 0 && a.hidden > 0 ? nil : "dimensions must be positive"
        case let .norm(a):
            return a.width > 0 ? nil : "width must be positive"
        case let .attention(a):
            if a.heads <= 0 || a.kvHeads <= 0 || a.headDim <= 0 { return "heads, kv_heads and head_dim must be positive" }
            if a.heads % a.kvHeads != 0 { return "heads (\(a.heads)) must be a multiple of kv_heads (\(a.kvHeads))" }
            if let w = a.slidingWindow, w <= 0 { return "sliding_window must be positive" }
            return nil
        case let .mla(a):
            if a.heads <= 0 || a.kvLoraRank <= 0 || a.qkNopeHeadDim < 0 || a.qkRopeHeadDim <= 0 || a.vHeadDim <= 0 {
                return "MLA dimensions must be positive"
            }
            if let r = a.qLoraRank, r <= 0 { return "q_lora_rank must be positive" }
            return nil
        case let .mlp(a):
            return a.intermediate > 0 ? nil : "intermediate size must be positive"
        case let .moe(a):
            if a.experts <= 0 || a.expertIntermediate <= 0 { return "experts and expert intermediate size must be positive" }
            if a.topK < 1 || a.topK > a.experts { return "top_k (\(a.topK)) must be between 1 and the expert count (\(a.experts))" }
            if a.sharedExperts < 0 || (a.sharedExperts > 0 && a.sharedIntermediate <= 0) { return "shared experts are malformed" }
            return nil
        case .residualAdd:
            return nil
        case let .lmHead(a):
            return a.vocab > 0 && a.hidden > 0 ? nil : "dimensions must be positive"
        }
    }
}
