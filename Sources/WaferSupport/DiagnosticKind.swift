/// The part of WaferMap a failure comes from, after clang's per-component diagnostic kinds.
///
/// Each stage declares one `DiagnosticKind` enum of its failures (docs/diagnostics.md lists
/// them all); the stage is part of every diagnostic ID, so two stages cannot hand out the same
/// ID without a test noticing.
public enum DiagnosticStage: String, Sendable, Hashable, CaseIterable {
    /// WaferYAML: reading a YAML file and decoding its values (`YAMLFailure`).
    case yaml
    /// WaferTarget: target descriptions and defect maps (`TargetFailure`).
    case target
    /// WaferFrontend: the model description YAML and its lowering to IR (`ModelFailure`).
    case model
    /// WaferFrontend: importing a Hugging Face `config.json` (`ConfigFailure`).
    case config
    /// WaferIR: the IR verifier (`IRFailure`).
    case ir
    /// WaferPasses: the passes and the pass registry (`PassFailure`).
    case passes
    /// WaferPlan: reading and writing plan files (`PlanFailure`).
    case plan
    /// The back end (IR -> plan) and the pins a repair reads from a plan (`BackendFailure`).
    case backend
    /// WaferPerf: the performance model and the calibration sets it is fitted to (`PerfFailure`).
    case perf
    /// The driver and the command line: flags, files, outputs, commands (`DriverFailure`).
    case driver
}

/// Whose fault a failure is, which decides the exit status (docs/cli.md, "Exit status").
public enum Fault: String, Sendable, Hashable, CaseIterable {
    /// The input is wrong (a file, a flag's value, a plan that fails its check): exit 1.
    case input
    /// The command line is malformed (an unknown command or pass name): exit 64.
    case usage
    /// A bug in WaferMap: an invariant it relies on broke, never the input's fault: exit 70.
    case bug
}

/// One stage's failures: an enum with one case per distinct failure, whose raw value is the
/// stable ID printed in docs/diagnostics.md (e.g. `tile.capacity`).
///
/// Every error diagnostic is built from a case (`Diagnostic.error(PassFailure.tileCapacity,
/// "...", at:)`), so the compiler finds every error site, callers match failures by case
/// (`error.contains(PassFailure.tileCapacity)`) instead of by message text, and the exit
/// status follows from the case's `fault`.
public protocol DiagnosticKind: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {
    /// The stage every case of this kind belongs to.
    static var stage: DiagnosticStage { get }
    /// Whose fault this failure is.
    var fault: Fault { get }
}

/// A diagnostic's identity: the stable ID of the case it was built from, its stage and its
/// fault. A small value, so diagnostics stay `Hashable` and `Sendable` whatever kind made them.
public struct DiagnosticID: Hashable, Sendable, CustomStringConvertible {
    /// The stable ID, e.g. `tile.capacity`.
    public let name: String
    public let stage: DiagnosticStage
    public let fault: Fault

    public init<Kind: DiagnosticKind>(_ kind: Kind) {
        self.name = kind.rawValue
        self.stage = Kind.stage
        self.fault = kind.fault
    }

    /// Whether the failure is a bug in WaferMap (exit 70) rather than the user's.
    public var isBug: Bool { fault == .bug }

    public var description: String { name }
}
