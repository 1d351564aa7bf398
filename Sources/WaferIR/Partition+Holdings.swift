import WaferSupport

extension Graph {
    /// What each wafer of the partition holds, in model order, as short text:
    /// `embed_tokens, layers 0..3, layer 4 (experts 0..190)` then `layer 4 experts 191..383, layers 5..8`.
    /// O(ops). Empty when the graph is not partitioned.
    public func holdings() -> [Int: String] {
        guard partition != nil else { return [:] }
        var items: [Int: [Item]] = [:]
        for op in ops {
            guard let placement = op.placement else { continue }
            let wafer = placement.wafer
            if let layer = op.layer {
                var slicesHere: [ExpertSlice] = []
                var remote: [ExpertSlice] = []
                var experts = 0
                if case let .moe(a) = op.kind {
                    experts = a.experts
                    slicesHere = placement.expertSlices.filter { $0.wafer == wafer }
                    remote = placement.expertSlices.filter { $0.wafer != wafer }
                }
                let partial = experts > 0 && !remote.isEmpty
                add(&items, wafer, .layer(layer, partial ? slicesHere.map(\.range) : nil))
                for slice in remote { add(&items, slice.wafer, .experts(layer, slice.range)) }
            } else {
                add(&items, wafer, .op(op.name))
            }
        }
        return items.mapValues { Self.describe($0) }
    }

    private enum Item: Equatable {
        case op(String)
        /// A layer whose base is here; non-nil ranges mean only these experts are here too.
        case layer(Int, [Range<Int>]?)
        case experts(Int, Range<Int>)
    }

    private func add(_ items: inout [Int: [Item]], _ wafer: Int, _ item: Item) {
        var list = items[wafer] ?? []
        if case let .layer(layer, ranges) = item, let last = list.last, case let .layer(previous, previousRanges) = last, previous == layer {
            // Several ops of one layer: keep one entry, remembering a partial expert set.
            list[list.count - 1] = .layer(layer, previousRanges ?? ranges)
        } else if !list.contains(item) {
            list.append(item)
        }
        items[wafer] = list
    }

    private static func describe(_ items: [Item]) -> String {
        var parts: [String] = []
        var run: [Int] = []
        func flush() {
            guard let first = run.first, let last = run.last else { return }
            parts.append(first == last ? "layer \(first)" : "layers \(first)..\(last)")
            run = []
        }
        for item in items {
            switch item {
            case let .op(name):
                flush(); parts.append(name)
            case let .layer(layer, nil):
                if let last = run.last, last + 1 != layer { flush() }
                run.append(layer)
            case let .layer(layer, ranges?):
                flush()
                let text = ranges.map { "\($0.lowerBound)..\($0.upperBound - 1)" }.joined(separator: ", ")
                parts.append(ranges.isEmpty ? "layer \(layer) (no experts)" : "layer \(layer) (experts \(text))")
            case let .experts(layer, range):
                flush(); parts.append("layer \(layer) experts \(range.lowerBound)..\(range.upperBound - 1)")
            }
        }
        flush()
        return parts.joined(separator: ", ")
    }
}
