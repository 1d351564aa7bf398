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

    public init() {}

    /// The cross-knob rule: spare-column counts rise. Nil when it holds.
    public var inconsistency: String? {
        zip(spareColumns, spareColumns.dropFirst()).allSatisfy({ $0 < $1 }) ? nil
            : "tile.spare-columns must rise strictly, got \(spareColumns.map(String.init).joined(separator: ","))"
    }
}
