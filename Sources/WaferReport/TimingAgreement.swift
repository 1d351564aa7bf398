import WaferSupport

/// Whether the compiler's estimate and the executor's timing simulation of one plan agree
/// (docs/performance-model.md, "Estimate and simulation"). They are two implementations of the
/// same physics, so a gap wider than `tolerance` means one of them is wrong about the plan:
/// `compile` and `check --timing` then print `warning(...)` and the JSON reports carry the ratio
/// and the warning.
public enum TimingAgreement {
    /// The largest relative gap that still counts as agreement: 10%.
    public static let tolerance = 0.10

    /// Simulated over predicted tokens/s (0 when nothing was predicted).
    public static func ratio(simulated: Double, predicted: Double) -> Double {
        predicted > 0 && simulated.isFinite ? simulated / predicted : 0
    }

    /// The warning line (no trailing newline) when the two figures differ by more than the
    /// tolerance either way, nil when they agree.
    public static func warning(simulated: Double, predicted: Double) -> String? {
        let r = ratio(simulated: simulated, predicted: predicted)
        guard abs(r - 1) > tolerance else { return nil }
        let gap = Units.fixed(abs(r - 1) * 100, digits: 1)
        return "warning: the compiler's estimate and the executor's timing simulation disagree by more than "
            + "\(Units.fixed(tolerance * 100, digits: 0))%: predicted \(Units.fixed(predicted, digits: 1)) tokens/s, "
            + "simulated \(Units.fixed(simulated, digits: 1)) tokens/s, simulated / predicted = \(String(format: "%.3f", r)) "
            + "(\(gap)% \(r > 1 ? "faster" : "slower") than predicted); one of them is wrong about this plan"
    }
}
