import WaferFrontend
import WaferIR
import WaferBackend
import WaferPasses
import WaferPerf
import WaferPlan
import WaferSupport
import WaferTarget
import WaferYAML

/// Every stage's failure kind in one list: what docs/diagnostics.md documents and a test
/// checks against it (every ID documented, no ID used by two cases).
public enum DiagnosticCatalogue {
    /// One `DiagnosticKind` enum per stage, in pipeline order. A new kind is added here.
    public static let kinds: [any DiagnosticKind.Type] = [
        YAMLFailure.self, TargetFailure.self, ModelFailure.self, ConfigFailure.self, IRFailure.self,
        PassFailure.self, PlanFailure.self, BackendFailure.self, PerfFailure.self, DriverFailure.self,
    ]

    /// Every case of every kind, as IDs, in declaration order. O(cases).
    public static var ids: [DiagnosticID] { kinds.flatMap { ids(of: $0) } }

    private static func ids<Kind: DiagnosticKind>(of kind: Kind.Type) -> [DiagnosticID] {
        Kind.allCases.map { DiagnosticID($0) }
    }

    /// The case whose ID is `name`, as an error with `message`; nil for an unknown ID. O(cases).
    public static func error(named name: String, _ message: String) -> DiagnosticError? {
        for kind in kinds {
            if let error = error(of: kind, named: name, message) { return error }
        }
        return nil
    }

    private static func error<Kind: DiagnosticKind>(of kind: Kind.Type, named name: String, _ message: String) -> DiagnosticError? {
        Kind(rawValue: name).map { .error($0, message, at: nil) }
    }

    /// The environment variable that makes a command fail at once with a chosen ID, so tests
    /// can see each fault's exit status through the real executable (no input reaches an
    /// invariant by design). Unset or empty: no effect.
    public static let debugFailVariable = "WAFERMAP_DEBUG_FAIL"

    /// The failure `WAFERMAP_DEBUG_FAIL` asks for in `environment`, if any: the named ID, or a
    /// `driver.flag-value` error for a name that is no ID. O(cases).
    public static func debugFailure(environment: [String: String]) -> DiagnosticError? {
        guard let name = environment[debugFailVariable], !name.isEmpty else { return nil }
        return error(named: name, "\(debugFailVariable): \(name)")
            ?? .error(DriverFailure.flagValue, "\(debugFailVariable): \(Diagnostic.quoted(name)) is not a diagnostic ID (docs/diagnostics.md)", at: nil)
    }
}
