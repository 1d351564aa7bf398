import WaferIR
import WaferSupport
import WaferTarget

/// The checks every target-dependent pass starts with, written once: the target is given, and
/// the passes it depends on have run. Their messages name the pass (`the route pass needs a
/// target (--target)`, `the route pass needs the place pass first`).
extension Pass {
    /// `context`'s target, or the error for a pass that needs one. O(1).
    func requireTarget(_ context: PassContext) throws(DiagnosticError) -> Target {
        guard let target = context.target else { throw .error(PassFailure.needsTarget, "the \(name) pass needs a target (--target)", at: nil) }
        return target
    }

    /// `value` (what pass `earlier` leaves in the graph), or the error saying that pass must run
    /// first. O(1).
    func require<T>(_ value: T?, from earlier: String) throws(DiagnosticError) -> T {
        guard let value else { throw .error(PassFailure.needsPriorPass, "the \(name) pass needs the \(earlier) pass first", at: nil) }
        return value
    }
}
