import WaferIR
import WaferSupport

/// One decoder layer as the importer derives it from the config: its ops in order (pre-norm,
/// mixer, pre-norm, feed-forward) and a phrase saying why it looks the way it does.
struct HFLayer: Hashable {
    var ops: [OpSpec.Kind]
    /// "MoE (first_k_dense_replace = 3)", "sliding-window attention (layer_types)".
    var reason: String
}

/// Folds a per-layer list back into the model format's repeat blocks.
///
/// Consecutive equal layers become one `repeat: n` block (run-length encoding); a run of
/// blocks that repeats with a short period becomes a block of blocks (gpt-oss's alternating
/// sliding and full attention: `repeat: 18` of two one-layer blocks). Greedy from the first
/// layer, choosing at each position the period (2 to 8 runs) that covers the most layers.
/// O(layers x 8^2).
enum HFLayerFolding {
    struct Run: Equatable {
        var layer: HFLayer
        var first: Int
        var count: Int
        static func == (a: Run, b: Run) -> Bool { a.layer == b.layer && a.count == b.count }
    }

    /// A folded item and the note the YAML writer puts beside it.
    struct Folded {
        var item: LayerItem
        var note: String
    }

    static func fold(_ layers: [HFLayer], location: SourceLocation) -> [Folded] {
        var runs: [Run] = []
        for (index, layer) in layers.enumerated() {
            if let last = runs.last, last.layer == layer {
                runs[runs.count - 1].count += 1
            } else {
                runs.append(Run(layer: layer, first: index, count: 1))
            }
        }
        var folded: [Folded] = []
        var i = 0
        while i < runs.count {
            var best: (period: Int, repeats: Int)?
            for period in 2...8 where i + 2 * period <= runs.count {
                var repeats = 1
                while i + (repeats + 1) * period <= runs.count,
                      Array(runs[(i + repeats * period)..<(i + (repeats + 1) * period)]) == Array(runs[i..<(i + period)]) {
                    repeats += 1
                }
                if repeats >= 2, period * repeats > (best.map { $0.period * $0.repeats } ?? 0) {
                    best = (period, repeats)
                }
            }
            if let best {
                let inner = runs[i..<(i + best.period)].map { block($0, location: location) }
                let last = runs[i + best.period * best.repeats - 1]
                let kinds = runs[i..<(i + best.period)].map { "\($0.count) x \($0.layer.reason)" }.joined(separator: ", then ")
                folded.append(Folded(item: .repeatBlock(RepeatSpec(count: best.repeats, items: inner, location: location)),
                                     note: "layers \(runs[i].first)-\(last.first + last.count - 1): \(kinds), \(best.repeats) times"))
                i += best.period * best.repeats
            } else {
                let run = runs[i]
                let range = run.count == 1 ? "layer \(run.first)" : "layers \(run.first)-\(run.first + run.count - 1)"
                folded.append(Folded(item: block(run, location: location), note: "\(range): \(run.layer.reason)"))
                i += 1
            }
        }
        return folded
    }

    static func block(_ run: Run, location: SourceLocation) -> LayerItem {
        let ops = run.layer.ops.map { LayerItem.op(OpSpec(kind: $0, name: nil, precision: nil, location: location)) }
        return .repeatBlock(RepeatSpec(count: run.count, items: ops, location: location))
    }
}
