import WaferSupport

/// Every way the performance model's inputs fail (docs/diagnostics.md): today the calibration
/// sets `calibrate` reads and fits.
public enum PerfFailure: String, DiagnosticKind {
    /// The calibration file's format version is not one this build reads.
    case calibrationVersion = "calibration.version"
    /// The calibration file lists no points.
    case calibrationEmpty = "calibration.empty"
    /// The calibration points do not determine the constants.
    case calibrationSingular = "calibration.singular"

    public static var stage: DiagnosticStage { .perf }
    public var fault: Fault { .input }
}
