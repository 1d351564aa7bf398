/// The knobs of the PathFinder router (`WaferRouter`), as nextpnr's `Router2Cfg`.
///
/// PathFinder (McMurchie & Ebeling 1995, "PathFinder: A Negotiation-Based Performance-Driven
/// Router for FPGAs") routes every exception request by Dijkstra with node cost
/// `(1 + history) + present x overuse`; after each iteration the overused PEs gain
/// `historyIncrement` and the present factor grows: `present = presentStart x
/// presentGrowth^iteration`. A PE's capacity is its free colors less `relayReserveColors`. The
/// defaults are today's values; set them with `--pass-option route.KNOB=VALUE`
/// (docs/pass-options.md).
public struct RouteConfig: Sendable, Hashable {
    /// Negotiation iterations at most, in iterations. Default 10, range 1...1,000. Reason: a
    /// cap on the time (each iteration re-routes the requests through overused PEs); the stall
    /// rule (`stallIterations`) often ends negotiation earlier.
    public var maxIterations = 10
    /// Present-congestion factor of the first iteration, in cost units per overused colour.
    /// Default 0.5, range 0...1,000,000. Reason: below a hop's cost of 1, the first iteration
    /// prefers a short path through a full PE to a detour of two hops.
    public var presentStart = 0.5
    /// Growth of the present factor per iteration (dimensionless). Default 1.8, range 1...100.
    /// Source: McMurchie & Ebeling's multiplicative schedule; 1.8 reaches a present factor of
    /// about 100 at the tenth iteration, where overuse outweighs any detour in the window.
    public var presentGrowth = 1.8
    /// History cost an overused PE gains per iteration, in cost units. Default 1, range 0...1,000.
    /// Reason: McMurchie & Ebeling's unit history step; not tuned.
    public var historyIncrement = 1.0
    /// Iterations without fewer overused PEs before negotiation stops (the colours must then
    /// come from the colouring's relays and overlay), in iterations. Default 2, range 1...1,000.
    public var stallIterations = 2
    /// Free colours per PE that PathFinder leaves unclaimed so the colouring can relay where a
    /// route's colour runs out, in colours. Default 3, range 0...64. Measured on Kimi K2 (0.1%
    /// clustered, 131,072 context): routes left without a colour fell from 4,606 (0 kept) to
    /// 3,337 (1), 1,063 (2), 500 (3), 211 (4), before the colorable search existed. With it:
    /// 125 at 3 (benchmark 7.4 s), 92 at 4 (10.1 s, over the 10 s goal).
    public var relayReserveColors = 3
    /// Colours a wafer with defects keeps free of line classes for exceptions and bundles, in
    /// colours. Default 9, range 0...64. Reason: exceptions crowd around clusters of dead PEs,
    /// where one PE ends several detours and lies on others.
    public var defectHeadroomColors = 9
    /// Colours a defect-free wafer with bundles keeps free of line classes, in colours.
    /// Default 2, range 0...64. Reason: the value the router has used since bundles existed;
    /// not tuned.
    public var bundleHeadroomColors = 2
    /// Margins of the search window around a request's ends, in PEs, tried in order until a
    /// path is found (the colouring's retries use them too). Default [3, 12, 48], each
    /// 0...100,000, 1 to 16 entries. Reason: a detour around one dead PE fits in 3; each next
    /// window is four times wider, for clusters; not tuned.
    public var windowMarginsPEs = [3, 12, 48]
    /// Widening of every window margin per negotiation iteration, in PEs per iteration.
    /// Default 2, range 0...10,000. Reason: later iterations get room to go around the
    /// congestion the earlier ones found; not tuned.
    public var marginGrowthPEs = 2

    public init() {}

    /// The present-congestion factor of iteration `iteration` (0-based): `presentStart x
    /// presentGrowth^iteration`, as a Float (PathFinder's costs are Float). O(1).
    public func presentFactor(iteration: Int) -> Float {
        Float(presentStart * pow(presentGrowth, Double(iteration)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
