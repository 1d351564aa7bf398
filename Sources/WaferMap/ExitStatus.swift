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

    /// Whether a diagnostic reports a bug rather than bad input: the IR verifier's findings
    /// after a pass, and every message the code marks `internal:` (an invariant it relies on).
    public static func isInternal(_ diagnostic: Diagnostic) -> Bool {
        diagnostic.message.hasPrefix("IR verification failed") || diagnostic.message.hasPrefix("internal:")
    }

    /// The status for a failed command.
    public static func of(_ error: DiagnosticError) -> Int32 {
        error.diagnostics.contains(where: isInternal) ? internalError : inputError
    }
}
