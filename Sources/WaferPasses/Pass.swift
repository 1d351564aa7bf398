import WaferIR
import WaferSupport

/// A compiler pass: a small value with a name, a one-line summary and a run function.
/// Passes keep no global state and report failure as located diagnostics, never by crashing.
public protocol Pass: Sendable {
    /// The name used on the command line (`--print-ir-after=assign-precision`).
    var name: String { get }
    /// One line for `wafermap passes` and docs.
    var summary: String { get }
    /// Transforms `graph` in place. Throws when the input cannot be compiled.
    func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError)
}

/// What passes may read besides the graph. Later passes add the target, defect map and seed.
public struct PassContext: Sendable {
    public init() {}
}
