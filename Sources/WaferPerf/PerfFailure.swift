import WaferSupport

/// Every way the performance model's inputs fail (docs/diagnostics.md): the calibration sets
/// `calibrate` reads and fits, and the production data sets it compares with.
public enum PerfFailure: String, DiagnosticKind {
    /// The calibration file's format version is not one this build reads.
    case calibrationVersion = "calibration.version"
    /// The calibration file lists no points.
    case calibrationEmpty = "calibration.empty"
    /// The calibration points do not determine the constants.
    case calibrationSingular = "calibration.singular"
    /// The production data file's format version is not one this build reads.
    case productionVersion = "production.version"
    /// The production data file lists no rows.
    case productionEmpty = "production.empty"
    /// A production row's value is outside its vocabulary (set, speculative) or its
    /// published range does not hold its figure.
    case productionValue = "production.value"
    /// A speculative decoding parameter is out of range: drafted tokens outside 1...64, or an
    /// acceptance rate not strictly between 0 and 1.
    case speculativeParameter = "speculative.parameter"

    public static var stage: DiagnosticStage { .perf }
    public var fault: Fault { .input }
}
