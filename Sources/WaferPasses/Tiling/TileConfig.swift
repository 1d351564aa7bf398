/// The knobs of the tile pass's slot-grid search (`TilePass`).
///
/// The search is exhaustive over `columns x rows` grids up to `maxGridSlots` each, with the fewest
/// spare columns from `spareColumns` that leave enough usable slots; routed experts get a grid
/// of cells whose column count is searched around the square-cell aspect. Cost:
/// O(maxGridSlots^2 x spares x units x weights) per wafer. The defaults are today's values; set
/// them with `--pass-option tile.KNOB=VALUE` (docs/pass-options.md).
public struct TileConfig: Sendable, Hashable {
    /// Largest slot-grid dimension searched, in slots per axis. Default 16, range 1...64.
    /// Reason: the search is quadratic in it (256 grids at 16), and the grids the example
    /// models choose are far smaller (Llama-3.1-8B on WSE-3: 2 x 7, docs/tiling-and-placement.md).
    public var maxGridSlots = 16
    /// Spare-column counts tried per grid, in PE columns per slot, in order; the first that
    /// leaves enough usable slots is used. Default [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32], each
    /// 0...4,096, 1 to 32 entries, rising. Reason: roughly geometric, so a clustered defect of
    /// any width costs at most about twice the spare columns it needs.
    public var spareColumns = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32]
    /// Expert cell grids: the fewest columns searched, as a fraction of the square-cell column
    /// count `sqrt(experts x width / height)`. Default 0.7, range 0.01...1.
    /// Reason: cells much taller than wide lengthen the column reductions for no byte saving.
    public var expertAspectLow = 0.7
    /// Expert cell grids: the most columns searched (plus one), as a fraction of the square-cell
    /// column count. Default 1.4 (the mirror of 0.7: 1/0.7 ~ 1.43), range 1...100.
    public var expertAspectHigh = 1.4
    /// Compact regions: candidate sizes searched per axis for the region a unit's dense weights
    /// and KV cache tile over when its routed experts fill the slot (docs/tiling-and-placement.md,
    /// "Compact regions"): a geometric ladder from the slot's size down to 1/64 of it. 0 turns
    /// compact regions off (dense weights spread over the whole slot, the mapping before them).
    /// Default 13 (steps of 1/sqrt(2)), range 0...64. Reason: the reduction cost changes by a few
    /// percent between sqrt(2) steps, and 169 candidates per unit and slot stay cheap (memoised).
    public var regionSteps = 13
    /// Compact regions: weight of a unit's dense weight MACs per prompt token (its prefill
    /// compute per token) against its decode cycles in the region choice. A region concentrates
    /// the dense weights on fewer PEs, so each PE multiplies more of them for every prompt token:
    /// decode gets faster, prefill (time to first token) slower. Default 1 (a request of as many
    /// prompt tokens as generated ones: both count), range 0...1,000; 0 optimises decode alone.
    /// Reason: without it DeepSeek-V3 took a region for +0.3% decode and 3.5x the first-token
    /// time (docs/tiling-and-placement.md, "Compact regions").
    public var regionPrefillWeight = 1.0

    public init() {}

    /// The cross-knob rule: spare-column counts rise. Nil when it holds.
    public var inconsistency: String? {
        zip(spareColumns, spareColumns.dropFirst()).allSatisfy({ $0 < $1 }) ? nil
            : "tile.spare-columns must rise strictly, got \(spareColumns.map(String.init).joined(separator: ","))"
    }
}
