import WaferSupport

/// Every way importing a Hugging Face `config.json` fails (docs/diagnostics.md).
public enum ConfigFailure: String, DiagnosticKind {
    /// The file does not exist.
    case noSuchFile = "config.no-such-file"
    /// The path names a directory.
    case isDirectory = "config.directory"
    /// The file is larger than the byte limit.
    case fileTooLarge = "config.file-too-large"
    /// The operating system refused to read the file.
    case unreadable = "config.unreadable"
    /// The text is not JSON (RFC 8259).
    case jsonSyntax = "config.json-syntax"
    /// The JSON passes a limit while it is read (values, nesting depth, string or number length).
    case jsonLimit = "config.json-limit"
    /// An object repeats a key.
    case duplicateKey = "config.duplicate-key"
    /// A field has the wrong JSON type or shape.
    case wrongType = "config.wrong-type"
    /// A required field is missing.
    case missingField = "config.missing-field"
    /// The model name holds a control character or a bidirectional override.
    case modelName = "config.model-name"
    /// `model_type` names an architecture WaferMap does not import.
    case architecture = "config.architecture"
    /// A dtype is not bfloat16, float16 or float32.
    case dtype = "config.dtype"
    /// `hidden_act` is not an activation WaferMap knows.
    case activation = "config.activation"
    /// The config asks for a feature WaferMap does not model (e.g. latent attention with biases).
    case unsupported = "config.unsupported"
    /// Attention heads, KV heads and head sizes do not fit together.
    case headShape = "config.head-shape"
    /// `layer_types` disagrees with the layer count or names an unknown type.
    case layerTypes = "config.layer-types"
    /// The experts-per-token fields disagree or exceed the number of experts.
    case experts = "config.experts"
    /// `quantization_config` describes a scheme WaferMap does not read.
    case quantization = "config.quantization"
    /// `quantization_config` lists more module patterns than the limit.
    case patternLimit = "config.pattern-limit"
    /// A module pattern is a regular expression WaferMap refuses.
    case pattern = "config.pattern"
    /// `quantization_config` stores parts of one block, or experts of one layer, differently.
    case mixedStorage = "config.mixed-storage"
    /// A size overflows 64-bit integers.
    case overflow = "config.overflow"
    /// The lifted precision policy does not reproduce the weights (a bug in the importer).
    case invariant = "config.invariant"

    public static var stage: DiagnosticStage { .config }
    public var fault: Fault { self == .invariant ? .bug : .input }
}
