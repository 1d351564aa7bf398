import WaferSupport

/// The textual IR: stable, diff-friendly, one line per op plus one line per weight.
///
/// Decoder layers that are identical up to their index (same ops, attributes, weight shapes
/// and formats) are printed once, under a header listing every layer of the class
/// (`layers 3..60 (58 identical, showing layer 3)`), unless `expandLayers` is set. Value numbers
/// shown inside a summarised class are those of the layer shown. docs/ir.md describes the format.
/// O(ops x weights).
public struct IRPrinter: Sendable {
    public var expandLayers: Bool

    public init(expandLayers: Bool = false) {
        self.expandLayers = expandLayers
    }

    public func print(_ graph: Graph) -> String {
        var out: [String] = []
        out.append("model \"\(graph.name)\" {")
        out.append("  hidden = \(graph.hidden)")
        out.append("  vocab = \(graph.vocab)")
        out.append("  decoder_layers = \(graph.layerCount)")
        out.append("  activations = \(graph.activation.rawValue)")
        out.append("  precision = \(graph.precision.description)")
        out.append("  passes = [\(graph.appliedPasses.joined(separator: ", "))]")
        if let partition = graph.partition {
            let kv = partition.kvCache
            out.append("  partition = \(Units.count(partition.stages.count, "wafer")) of \(partition.targetName) (lower bound \(partition.lowerBoundWafers); context \(kv.contextTokens), batch \(kv.batch)\(kv.sequences > kv.batch ? ", sequences \(kv.sequences)" : ""), kv \(kv.element.rawValue)) {")
            let holdings = graph.holdings()
            for stage in partition.stages {
                out.append("    wafer \(stage.wafer): \(holdings[stage.wafer] ?? "-")  // \(Units.grouped(stage.weightBytes)) weight B, \(Units.grouped(stage.kvBytes)) KV B of \(Units.grouped(stage.usableBytes)) usable")
            }
            out.append("  }")
        }
        if let layout = graph.layout {
            out.append("  layout {")
            for tiling in layout.wafers {
                var line = "    wafer \(tiling.wafer): \(tiling.gridColumns)x\(tiling.gridRows) slots of \(tiling.slotWidth)x\(tiling.slotHeight) PEs"
                line += " (+\(tiling.spareColumns) spare columns), \(tiling.usableSlots.filter { $0 }.count) usable, \(tiling.groupCount) groups"
                if let hops = tiling.handoffHops, let bound = tiling.handoffLowerBound {
                    line += "  // hand-off \(hops) hops, lower bound \(bound)"
                }
                out.append(line)
                for unit in layout.units where unit.wafer == tiling.wafer {
                    var text = "      \(unit.name): group \(unit.group)"
                    if let slot = tiling.groupSlot?[unit.group] {
                        text += " @ slot \(slot) [\(tiling.rect(ofSlot: slot))]"
                    }
                    text += "  \(unit.bytesPerPE) B/PE = dense \(unit.denseBytesPerPE) + experts \(unit.expertBytesPerPE) + kv \(unit.kvBytesPerPE)"
                    if let cells = unit.cells {
                        text += "; experts \(unit.experts.lowerBound)..\(unit.experts.upperBound - 1) in \(cells.columns)x\(cells.rows) cells of \(cells.cellWidth)x\(cells.cellHeight)"
                        if cells.expertsPerCell > 1 { text += " (\(cells.expertsPerCell) per cell)" }
                    }
                    if let r = unit.region {
                        text += "; dense and KV on a compact \(r) region"
                        if let whole = unit.wholeSlotModeledCycles { text += " (whole slot: ~\(whole) cycles)" }
                    }
                    text += "; ~\(unit.modeledCycles) cycles"
                    out.append(text)
                }
            }
            out.append("  }")
        }
        if let routing = graph.routing { out += routingSection(routing, fabricWidth: routing.fabricWidth) }
        if let schedule = graph.schedule { out += scheduleSection(schedule, layout: graph.layout, batch: graph.partition?.kvCache.batch ?? 1) }
        out.append("  input \(graph.input) : tokens")

        // Group ops: runs outside layers print as they come; each layer is a block.
        var layerOps: [Int: [Op]] = [:]
        var sequence: [Either] = []
        for op in graph.ops {
            if let layer = op.layer {
                if layerOps[layer] == nil { sequence.append(.layer(layer)) }
                layerOps[layer, default: []].append(op)
            } else {
                sequence.append(.op(op))
            }
        }
        var classes: [String: [Int]] = [:]
        var classOf: [Int: String] = [:]
        if !expandLayers {
            for (layer, ops) in layerOps {
                let key = signature(ops, layer: layer, graph: graph)
                classes[key, default: []].append(layer)
                classOf[layer] = key
            }
        }
        var printedClasses = Set<String>()
        for item in sequence {
            switch item {
            case let .op(op):
                out.append("")
                out.append(contentsOf: render(op, graph: graph, indent: "  "))
            case let .layer(layer):
                let ops = layerOps[layer] ?? []
                if let key = classOf[layer], let members = classes[key], members.count > 1 {
                    if printedClasses.contains(key) { continue }
                    printedClasses.insert(key)
                    out.append("")
                    let sorted = members.sorted()
                    out.append("  layers \(IRPrinter.indexSet(sorted)) {  // \(sorted.count) identical layers, showing layer \(layer)")
                } else {
                    out.append("")
                    out.append("  layer \(layer) {")
                }
                for op in ops { out.append(contentsOf: render(op, graph: graph, indent: "    ")) }
                out.append("  }")
            }
        }
        out.append("")
        out.append("  output \(graph.output) : \(graph.value(graph.output)?.type.description ?? "?")")
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private enum Either {
        case op(Op)
        case layer(Int)
    }

    /// One op line and its weight lines.
    func render(_ op: Op, graph: Graph, indent: String) -> [String] {
        let inputs = op.inputs.map(\.description).joined(separator: ", ")
        let type = graph.value(op.result)?.type.description ?? "?"
        var line = "\(indent)\(op.result) = \(op.kind.mnemonic)(\(inputs)) \"\(op.name)\""
        let attributes = IRPrinter.attributes(op)
        if !attributes.isEmpty { line += " {\(attributes.joined(separator: ", "))}" }
        line += " : \(type)"
        if let placement = op.placement {
            line += " @w\(placement.wafer)"
            if !placement.expertSlices.isEmpty {
                line += " experts{" + placement.expertSlices.map { "\($0.first)..\($0.first + $0.count - 1) @w\($0.wafer)" }.joined(separator: ", ") + "}"
            }
        }
        var lines = [line]
        for tensor in op.weights {
            lines.append("\(indent)    \(tensor.name) : \(tensor.shapeText) \(tensor.format)  // \(Units.grouped(tensor.parameterCount)) params, \(Units.grouped(tensor.bytes)) B")
        }
        if let tied = op.tiedWeight {
            lines.append("\(indent)    weight = tied to \(tied)")
        }
        return lines
    }

    static func attributes(_ op: Op) -> [String] {
        var attrs: [String] = []
        switch op.kind {
        case .embedding, .residualAdd:
            break
        case let .norm(a):
            attrs.append("width = \(a.width)")
            if a.bias { attrs.append("bias") }
        case let .attention(a):
            attrs += ["heads = \(a.heads)", "kv_heads = \(a.kvHeads)", "head_dim = \(a.headDim)"]
            if a.qkNorm { attrs.append("qk_norm") }
            if a.qkvBias { attrs.append("qkv_bias") }
            if a.oBias { attrs.append("o_bias") }
            if a.sinks { attrs.append("sinks") }
            if let w = a.slidingWindow { attrs.append("sliding_window = \(w)") }
        case let .mla(a):
            attrs.append("heads = \(a.heads)")
            attrs.append("q_lora_rank = \(a.qLoraRank.map(String.init) ?? "none")")
            attrs += ["kv_lora_rank = \(a.kvLoraRank)", "qk_nope_head_dim = \(a.qkNopeHeadDim)",
                      "qk_rope_head_dim = \(a.qkRopeHeadDim)", "v_head_dim = \(a.vHeadDim)"]
        case let .mlp(a):
            attrs += ["intermediate = \(a.intermediate)", "activation = \(a.activation.rawValue)"]
            if a.gated { attrs.append("gated") }
            if a.bias { attrs.append("bias") }
        case let .moe(a):
            attrs += ["experts = \(a.experts)", "top_k = \(a.topK)", "expert_intermediate = \(a.expertIntermediate)"]
            if a.sharedExperts > 0 {
                attrs += ["shared_experts = \(a.sharedExperts)", "shared_intermediate = \(a.sharedIntermediate)"]
            }
            attrs.append("activation = \(a.activation.rawValue)")
            if a.gated { attrs.append("gated") }
            if a.routerBias { attrs.append("router_bias") }
            if a.expertBias { attrs.append("expert_bias") }
        case let .lmHead(a):
            if a.tied { attrs.append("tied") }
            if a.bias { attrs.append("bias") }
        }
        if let format = op.precisionOverride { attrs.append("precision = \(format)") }
        return attrs
    }

    /// A key equal for layers identical up to their index: the rendering with the layer number
    /// and value numbers made relative.
    func signature(_ ops: [Op], layer: Int, graph: Graph) -> String {
        let base = ops.map { $0.result.index }.min() ?? 0
        var parts: [String] = []
        for op in ops {
            var copy = op
            copy.name = op.name.replacingOccurrences(of: "layers.\(layer).", with: "layers.#.")
            let inputs = op.inputs.map { $0.index >= base ? "r\($0.index - base)" : "in" }
            copy.inputs = []
            copy.result = ValueID(0)
            copy.placement = nil
            parts.append(render(copy, graph: graph, indent: "").joined(separator: "\n") + " <- " + inputs.joined(separator: ","))
            parts.append("result r\(op.result.index - base) : \(graph.value(op.result)?.type.description ?? "?")")
        }
        return parts.joined(separator: "\n")
    }

    /// Compact text for a sorted index set: `3..60`, `0..34 step 2`, `0..2, 5, 7..9`.
    public static func indexSet(_ sorted: [Int]) -> String {
        guard let first = sorted.first, let last = sorted.last else { return "" }
        if sorted.count >= 3 {
            let step = sorted[1] - sorted[0]
            if step > 1 && zip(sorted, sorted.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                return "\(first)..\(last) step \(step)"
            }
        }
        var pieces: [String] = []
        var start = first, previous = first
        for value in sorted.dropFirst() {
            if value == previous + 1 { previous = value; continue }
            pieces.append(start == previous ? "\(start)" : "\(start)..\(previous)")
            start = value; previous = value
        }
        pieces.append(start == previous ? "\(start)" : "\(start)..\(previous)")
        return pieces.joined(separator: ", ")
    }
}
