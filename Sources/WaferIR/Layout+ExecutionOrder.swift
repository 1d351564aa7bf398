extension Layout {
    /// The units in the order a token visits them (indices into `units`): by the first op each
    /// runs, a layer's base before its expert slices, slices by wafer. This is wafer-major model
    /// order except for a tied head, which runs last on the wafer of the weight it reads. The
    /// route pass builds flows in this order and the plan lists units in it. O(units log units).
    public var executionOrder: [Int] {
        units.indices.sorted { a, b in
            let ua = units[a], ub = units[b]
            if ua.ops.lowerBound != ub.ops.lowerBound { return ua.ops.lowerBound < ub.ops.lowerBound }
            if ua.holdsBase != ub.holdsBase { return ua.holdsBase }
            return ua.wafer < ub.wafer
        }
    }
}
