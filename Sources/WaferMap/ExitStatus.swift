import WaferSupport

/// The process exit statuses of `wafermap` (docs/cli.md, "Exit status"), after BSD sysexits.
public enum ExitStatus {
    /// Success: the command did what was asked, and a plan it checked passed.
    public static let success: Int32 = 0
    /// The input is wrong (a file, a flag's value), or a plan fails its check or the executor;
    /// diagnostics were printed as `FILE:LINE:COL: error: ...`.
    public static let inputError: Int32 = 1
    /// The command line is malformed (missing argument, unknown flag): swift-argument-parser's
    /// EX_USAGE.
    public static let usage: Int32 = 64
    /// A bug in WaferMap (EX_SOFTWARE): an invariant broke, never the input's fault.
    public static let internalError: Int32 = 70

    /// Whether a diagnostic reports a bug rather than bad input: its ID's fault is `.bug` (the
    /// IR verifier's findings, and every stage's `invariant` case).
    public static func isInternal(_ diagnostic: Diagnostic) -> Bool {
        diagnostic.id?.isBug == true
    }

    /// The status for a failed command, from its diagnostics' IDs (never their text): 70 when
    /// any is a bug, else 64 when any is a usage error, else 1. O(diagnostics).
    public static func of(_ error: DiagnosticError) -> Int32 {
        let faults = Set(error.diagnostics.compactMap { $0.severity == .error ? $0.id?.fault : nil })
        if faults.contains(.bug) { return internalError }
        if faults.contains(.usage) { return usage }
        return inputError
    }
}
