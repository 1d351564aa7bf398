/// The knobs of the partition search (`PartitionPass`).
///
/// The pass packs greedily where the pieces still tile (`WaferFit`), bisects the smallest fill
/// at which the fewest wafers still hold the model (spreading the bytes), binary-searches the
/// smallest per-stage work cap for which greedy next-fit still fits the wafers (the
/// linear-partition bottleneck problem), then levels the cut.
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
    /// Byte spreading: halvings of the fill-limit bisection that, at the fewest wafers, finds the
    /// smallest share of each wafer's usable bytes the packing still fits in, so every wafer keeps
    /// about the same headroom for finer grids and compact regions. Default 10, range 0...64.
    /// Reason: 10 halvings of the few percent between the average fill and 100% resolve the limit
    /// to under 0.01%, finer than one expert of the example models; 0 packs each wafer as full as
    /// its tiles allow (fewer wafers never result either way).
    public var fillSteps = 10
    public init() {}
}
