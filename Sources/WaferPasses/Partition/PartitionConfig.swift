/// The knobs of the partition search (`PartitionPass`) and of the driver's re-partition
/// attempts (`Driver.count`).
///
/// The pass binary-searches the smallest per-stage work cap for which greedy next-fit still
/// fits the wafers (the linear-partition bottleneck problem), then levels the cut; when a wafer
/// does not tile, the driver re-partitions with one percent less fill, down to `minFillLimit`.
/// The relative slack `1e-9` of the work comparisons is a floating-point tolerance, not a knob.
/// The defaults are today's values; set them with `--pass-option partition.KNOB=VALUE`
/// (docs/pass-options.md).
public struct PartitionConfig: Sendable, Hashable {
    /// Bisection steps of the work-cap search at most, in steps. Default 64, range 0...1,000.
    /// Reason: 64 halvings shrink the interval by 2^64 ~ 1.8e19, below the tolerance for any cap
    /// above 1e-10 of the total work, so the tolerance normally ends the search. 0 keeps the
    /// fewest-wafers greedy partition unbalanced.
    public var bisectionSteps = 64
    /// Relative width of the work-cap interval at which the bisection stops (dimensionless).
    /// Default 1e-9, range 0...1. Reason: a billionth of the bottleneck changes no cut that
    /// matters; the step cap bounds the search anyway.
    public var bisectionTolerance = 1e-9
    /// Leveling: when the rest of the model would not fit the wafers left, a wafer takes more
    /// experts in steps of `1 / levelStepDivisor` of the ones it could still take (at least one).
    /// Default 4, range 1...1,000. Reason: each step takes a quarter of the remaining room, so
    /// the feasibility checks per boundary grow with the logarithm of the room; not tuned.
    public var levelStepDivisor = 4
    /// The lowest fill limit (share of a wafer's usable bytes the partition may fill) the driver
    /// retries at, one percent at a time, before reporting that a wafer does not tile
    /// (dimensionless). Default 0.80, range 0.01...1. Reason: the worst example measured needs
    /// 95% (Kimi K2 at a 131,072-token context, docs/tiling-and-placement.md); 80% bounds the
    /// retries at 20.
    public var minFillLimit = 0.80

    public init() {}
}
