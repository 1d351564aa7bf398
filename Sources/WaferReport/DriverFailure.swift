import WaferSupport

/// Every way a command fails in the driver or the command line: flags, files, outputs, and
/// the commands' own checks (docs/diagnostics.md).
public enum DriverFailure: String, DiagnosticKind {
    /// No command has this name (`wafermap compil`).
    case unknownCommand = "driver.unknown-command"
    /// A flag's value is malformed or out of range.
    case flagValue = "driver.flag-value"
    /// Two flags contradict each other, or a flag does not belong to the command.
    case flagConflict = "driver.flag-conflict"
    /// An output path is refused (it is an input, a directory, or given twice).
    case outputPath = "driver.output-path"
    /// A file or directory could not be written.
    case write = "driver.write"
    /// The model could not be read again (to fingerprint it).
    case modelUnreadable = "driver.model-unreadable"
    /// A defect map lists another number of wafers than the plan uses.
    case waferCount = "driver.wafer-count"
    /// A wafer of a defect map, or a defect rate, has more dead PEs than mapping accepts.
    case tooManyDefects = "driver.too-many-defects"
    /// A plan fails its consistency check.
    case planCheck = "driver.plan-check"
    /// The executor rejects the plan a compile built.
    case executorRejects = "driver.executor-rejects"
    /// No configuration of a sweep compiled.
    case sweepNothingCompiled = "sweep.nothing-compiled"
    /// A benchmark case's child process failed or printed no benchmark row.
    case benchmarkRun = "bench.run"
    /// `--shard K/N` is malformed, or given where a study cannot shard.
    case shardFlag = "study.shard"
    /// A partial result file is not one `wafermap merge` reads (missing, malformed, another version).
    case partialFile = "study.partial"
    /// The partial results given to `wafermap merge` do not make one whole study (different
    /// studies or requests, a shard missing or given twice).
    case mergeMismatch = "study.merge"
    /// A repair would revive PEs or links the plan has dead.
    case repairRevive = "repair.revive"
    /// A repair did not reproduce the untouched part of the input plan.
    case repairMismatch = "repair.mismatch"
    /// The model given to a repair is not the one the plan was compiled from.
    case repairModel = "repair.model-mismatch"
    /// The plan's inputs (wafer indices, KV type, precision) are not ones this build reproduces.
    case repairInputs = "repair.plan-inputs"
    /// An invariant the driver relies on broke: a bug in WaferMap.
    case invariant = "driver.invariant"

    public static var stage: DiagnosticStage { .driver }
    public var fault: Fault {
        switch self {
        case .invariant: .bug
        case .unknownCommand: .usage
        default: .input
        }
    }
}
