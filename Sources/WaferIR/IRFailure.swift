import WaferSupport

/// Every way the IR fails (docs/diagnostics.md): the verifier's findings, always a bug.
public enum IRFailure: String, DiagnosticKind {
    /// The IR verifier found a broken invariant after a pass: a bug in that pass.
    case verification = "ir.verification"

    public static var stage: DiagnosticStage { .ir }
    public var fault: Fault { .bug }
}
