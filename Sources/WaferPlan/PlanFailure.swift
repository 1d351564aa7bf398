import WaferSupport

/// Every way reading or writing a plan file fails (docs/diagnostics.md).
public enum PlanFailure: String, DiagnosticKind {
    /// The plan file does not exist.
    case noSuchFile = "plan.no-such-file"
    /// The path names a directory.
    case isDirectory = "plan.directory"
    /// The operating system refused to read the file.
    case unreadable = "plan.unreadable"
    /// The plan is larger than the byte limit.
    case fileTooLarge = "plan.file-too-large"
    /// The plan file is empty.
    case empty = "plan.empty"
    /// The text is not valid JSON.
    case jsonSyntax = "plan.json-syntax"
    /// The JSON passes a scan limit (depth, string length, values).
    case jsonLimit = "plan.json-limit"
    /// The JSON value is not an object.
    case notObject = "plan.not-object"
    /// `format` does not name a WaferMap plan.
    case notAPlan = "plan.format"
    /// `format_version` is missing or not one this build reads.
    case version = "plan.version"
    /// A field is missing, has the wrong type, or cannot be decoded.
    case field = "plan.field"
    /// A field's value passes a plan limit (docs/plan-format.md).
    case limit = "plan.limit"
    /// The plan could not be written.
    case write = "plan.write"
    /// A value could not be encoded as JSON: a bug in WaferMap.
    case invariant = "plan.invariant"

    public static var stage: DiagnosticStage { .plan }
    public var fault: Fault { self == .invariant ? .bug : .input }
}
