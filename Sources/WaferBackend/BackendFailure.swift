import WaferSupport

/// Every way the back end (IR -> plan) and the pins a repair reads from a plan fail
/// (docs/diagnostics.md).
public enum BackendFailure: String, DiagnosticKind {
    /// The defect map has no entry for a wafer of the plan.
    case noDefects = "backend.no-defects"
    /// A plan holds something a repair cannot pin (a range, a route, a type this build does not read).
    case pins = "backend.pins"
    /// The model's totals overflow 64-bit integers.
    case overflow = "backend.overflow"
    /// The graph lacks a stage's result, or a unit lacks a slot: a bug in WaferMap.
    case invariant = "backend.invariant"

    public static var stage: DiagnosticStage { .backend }
    public var fault: Fault { self == .invariant ? .bug : .input }
}
