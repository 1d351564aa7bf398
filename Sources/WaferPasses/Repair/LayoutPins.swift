import WaferIR

/// A layout fixed in advance, for incremental recompilation (`wafermap repair`, docs/repair.md).
///
/// With pins in the `PassContext`, the passes reproduce a plan's layout instead of searching for
/// one: `partition` takes each unit's wafer and expert slices from `units`; `tile` tiles each
/// wafer on its pinned slot grid (no grid search) unless more of its groups' slots died than
/// usable slots are free, and then searches that wafer's grid again; `place` keeps each
/// stacking group on its pinned slot and moves only the groups whose slot the current defects
/// made unusable (a re-tiled wafer is placed afresh); `route`
/// takes the wafers in `keptRouting` as they were (classes, bundles, exception routes) and
/// routes only the others. Everything else (byte counts, flows, the schedule) is recomputed,
/// so a pinned run with the plan's own defects reproduces the plan.
public struct LayoutPins: Sendable {
    /// Where one partition unit (the embedding, a decoder layer, a top-level op) went.
    public struct UnitPin: Sendable, Hashable {
        /// `layer 5`, `embed_tokens`: the partition pass's unit name.
        public var name: String
        /// The wafer of the unit's dense weights (and KV cache).
        public var wafer: Int
        /// Its routed experts by contiguous ranges in order (empty without routed experts).
        public var expertSlices: [ExpertSlice]
        public init(name: String, wafer: Int, expertSlices: [ExpertSlice]) {
            self.name = name; self.wafer = wafer; self.expertSlices = expertSlices
        }
    }

    /// One wafer's slot grid and the slot of each of its stacking groups.
    public struct WaferPin: Sendable, Hashable {
        public var wafer: Int
        public var grid: SlotGrid
        public var groupSlots: [Int]
        public init(wafer: Int, grid: SlotGrid, groupSlots: [Int]) {
            self.wafer = wafer; self.grid = grid; self.groupSlots = groupSlots
        }
    }

    /// A wafer's routing as a previous run left it: its line classes and bundles after the router
    /// chose their modes and colors, its exception routes, and its summary.
    public struct KeptRouting: Sendable, Hashable {
        public var classes: [LineClass]
        public var bundles: [RouteBundle]
        public var exceptions: [RouteException]
        public var summary: WaferRoutingSummary
        public init(classes: [LineClass], bundles: [RouteBundle], exceptions: [RouteException], summary: WaferRoutingSummary) {
            self.classes = classes; self.bundles = bundles; self.exceptions = exceptions; self.summary = summary
        }
    }

    /// Partition units in model order (`Graph.unitRanges()`).
    public var units: [UnitPin]
    /// One entry per wafer, in wafer order.
    public var wafers: [WaferPin]
    /// Wafers whose routing is kept, by wafer index; every other wafer is routed afresh.
    public var keptRouting: [Int: KeptRouting]

    public init(units: [UnitPin], wafers: [WaferPin], keptRouting: [Int: KeptRouting] = [:]) {
        self.units = units; self.wafers = wafers; self.keptRouting = keptRouting
    }

    /// The pin of wafer `index`, if any. O(wafers).
    public func wafer(_ index: Int) -> WaferPin? { wafers.first { $0.wafer == index } }
}
