/// The knobs of colour assignment (`WaferRouter.color`, `Coloring.swift`).
///
/// A route that finds no colour along its negotiated path is routed once more with PE cost
/// `1 + scarcityWeight / free` (free = colours still free at the PE) and `congestedCost` where
/// none is free; routes that still fail get the (PE, colour) search and then the overlay
/// (patches of radius `overlayRadiiPEs`). The defaults are today's values; set them with
/// `--pass-option color.KNOB=VALUE` (docs/pass-options.md).
public struct ColorConfig: Sendable, Hashable {
    /// Cost of a PE with no free colour in the re-route, in cost units (a hop costs 1).
    /// Default 1,000,000, range 1...1e12. Reason: larger than any path's length on a wafer
    /// (WSE-3 is 762 x 1,172 PEs), so a colourless PE is crossed only when nothing else connects.
    public var congestedCost = 1e6
    /// Weight of colour scarcity in the re-route, in cost units x free colours: a PE with f
    /// free colours costs `1 + scarcityWeight / f`. Default 8, range 0...1,000,000. Reason: a
    /// PE with one free colour then costs as much as nine hops, one with 8 free about two.
    public var scarcityWeight = 8.0
    /// Radii of the overlay patches tried around a route's ends, in PEs, in order. Default
    /// [2, 4, 8], each 1...10,000, 1 to 16 entries. Reason: a patch grows by doubling until
    /// it clears the cluster that blocked the route.
    public var overlayRadiiPEs = [2, 4, 8]
    /// Routes one overlay patch may move off its colours before it gives up, in routes.
    /// Default 256, range 0...1,000,000. Reason: bounds a patch's cost (one search per moved
    /// route); not tuned.
    public var overlayMoves = 256
    /// Window margins (the first N of `route.window-margins`) a route moved by an overlay patch
    /// is searched again with, in margins. Default 2, range 1...16. Reason: a moved route
    /// stays near its old path; the widest window is for the routes that failed outright.
    public var movedRouteMargins = 2

    public init() {}
}
