/// The knobs of the simulated-annealing placer (`PlacePass`), as nextpnr's `Placer1Cfg`.
///
/// The schedule is VPR's adaptive one (Betz & Rose 1997, "VPR: A New Packing, Placement and
/// Routing Tool for FPGA Research"): `movesPerStep = max(minMovesPerStep, innerNum x groups^(4/3))`
/// moves at each temperature, then the temperature is multiplied by a cooling factor chosen by
/// the share of moves accepted at it. Temperatures are in slot pitches (`min(slotWidth + spare,
/// slotHeight)` PEs), the unit of the cost: hand-off distance in PEs. The defaults are today's
/// values; every plan compiled with them is unchanged. Set from the command line as
/// `--pass-option place.KNOB=VALUE` (docs/pass-options.md).
public struct PlaceConfig: Sendable, Hashable {
    /// Temperature steps at most (the outer loop), in steps. Default 200, range 0...100,000.
    /// 0 keeps the snake start unchanged. Reason: a cap on the time (`steps x movesPerStep`
    /// cost evaluations); the stop temperature or a zero cost ends most runs before it.
    public var steps = 200
    /// VPR's `inner_num`: moves per temperature per `groups^(4/3)`, in moves. Default 10 (Betz
    /// & Rose 1997's `10 x N^(4/3)` moves per temperature), range 0.01...1,000.
    public var innerNum = 10.0
    /// The fewest moves tried at one temperature, in moves. Default 20, range 1...1,000,000.
    /// Reason: with two or three groups `innerNum x groups^(4/3)` is under 50 moves, too few to
    /// measure an acceptance rate.
    public var minMovesPerStep = 20
    /// Start temperature, in slot pitches. Default 2, range 0.001...1,000,000. Reason: a swap
    /// of neighbouring groups changes the cost by about two pitches, so such a move is accepted
    /// with probability ~1/e at the start.
    public var startTemperaturePitches = 2.0
    /// Stop temperature, in slot pitches: annealing ends below it (or at zero cost). Default
    /// 0.005, range 0...1,000,000. Source: VPR's exit criterion `T < 0.005 x cost / nets`.
    public var stopTemperaturePitches = 0.005
    /// Acceptance rate above which the temperature falls fastest (by `coolHigh`), as a
    /// fraction of moves. Default 0.96 (VPR), range 0...1.
    public var acceptHigh = 0.96
    /// Cooling factor when more than `acceptHigh` of moves were accepted. Default 0.5 (VPR),
    /// range 0.01...0.999 (per step, dimensionless).
    public var coolHigh = 0.5
    /// Acceptance rate above which (and up to `acceptHigh`) the temperature falls by `coolMid`,
    /// as a fraction of moves. Default 0.8 (VPR), range 0...1.
    public var acceptMid = 0.8
    /// Cooling factor between `acceptMid` and `acceptHigh`, per step (dimensionless). Default 0.9
    /// (VPR), range 0.01...0.999.
    public var coolMid = 0.9
    /// Acceptance rate above which (and up to `acceptMid`) the temperature falls by `coolLow`,
    /// the slow cooling where VPR spends most of its moves, as a fraction of moves. Default 0.15
    /// (VPR), range 0...1.
    public var acceptLow = 0.15
    /// Cooling factor between `acceptLow` and `acceptMid`, per step (dimensionless). Default 0.95
    /// (VPR), range 0.01...0.999.
    public var coolLow = 0.95
    /// Cooling factor at or below `acceptLow` (nearly frozen), per step (dimensionless). Default
    /// 0.8 (VPR), range 0.01...0.999.
    public var coolFrozen = 0.8

    public init() {}

    /// The factor the temperature is multiplied by after a step that accepted `rate` of its
    /// moves (VPR's table). O(1).
    public func coolingFactor(acceptanceRate rate: Double) -> Double {
        rate > acceptHigh ? coolHigh : rate > acceptMid ? coolMid : rate > acceptLow ? coolLow : coolFrozen
    }

    /// Moves per temperature for `groups` groups: `max(minMovesPerStep, innerNum x groups^(4/3))`. O(1).
    public func movesPerStep(groups: Int) -> Int {
        max(minMovesPerStep, Int(innerNum * pow(Double(groups), 4.0 / 3.0)))
    }

    /// The cross-knob rule: the acceptance thresholds must fall (`acceptHigh >= acceptMid >=
    /// acceptLow`). Nil when it holds, else what is wrong.
    public var inconsistency: String? {
        acceptHigh >= acceptMid && acceptMid >= acceptLow ? nil
            : "place.accept-high (\(acceptHigh)) >= place.accept-mid (\(acceptMid)) >= place.accept-low (\(acceptLow)) must hold"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
