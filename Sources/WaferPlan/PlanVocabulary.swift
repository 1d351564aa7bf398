/// The closed vocabularies of the plan format (docs/plan-format.md): every field whose value is
/// one of a fixed list of words is one of these enums, so the writer cannot emit a word the
/// reader does not know and the reader refuses an unknown word at its line and column (a plan
/// with `"orientation": "diagonal"` is not a plan). The JSON spellings are the raw values and
/// are the same as the strings of format 3, so plans written before these types read unchanged.
public protocol PlanVocabulary: RawRepresentable, Codable, CaseIterable, Sendable, Hashable, CustomStringConvertible where RawValue == String {
    /// What a value names, for messages (`tensor orientation`).
    static var vocabularyName: String { get }
}

extension PlanVocabulary {
    /// Decodes the word, or fails with the list of words the format allows.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let word = try container.decode(String.self)
        guard let value = Self(rawValue: word) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.unknown(word))
        }
        self = value
    }

    /// The JSON spelling, so messages print `in-cols`, not `inCols`.
    public var description: String { rawValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// `unknown tensor orientation 'x' (the format knows in-rows, in-cols, vector)`, with the
    /// word cut to 40 characters.
    public static func unknown(_ word: String) -> String {
        let shown = word.count > 40 ? String(word.prefix(40)) + "..." : word
        return "unknown \(vocabularyName) '\(shown)' (the format knows \(allCases.map(\.rawValue).joined(separator: ", ")))"
    }
}

/// How a tensor's tiles lie over its region. `in-rows`: the input dimension runs along the
/// region's rows (block = ceil(out / width) x ceil(in / height)); `in-cols`: the transpose;
/// `vector`: one row split along the region's rows.
public enum PlanOrientation: String, PlanVocabulary {
    case inRows = "in-rows"
    case inCols = "in-cols"
    case vector
    public static let vocabularyName = "tensor orientation"
}

/// The region every PE of which holds one tile: the unit's whole `slot`, or each routed
/// expert's `cell`.
public enum PlanRegion: String, PlanVocabulary {
    case slot
    case cell
    public static let vocabularyName = "tensor region"
}

/// The rank rule of the plan format, stated once: a vector has one dimension (`[out]`), a
/// matrix two (`[out, in]`), and a tensor tiled per routed expert's cell carries the experts
/// first (`[experts, out]` for a stacked bias, `[experts, out, in]` for a stacked matrix).
/// The writer checks its plans against it before writing, and the reader's limits refuse a
/// plan that breaks it. O(1).
public func planTensorRank(orientation: PlanOrientation, region: PlanRegion) -> Int {
    (orientation == .vector ? 1 : 2) + (region == .cell ? 1 : 0)
}

/// What a tensor of that orientation and region is called in messages.
public func planTensorKind(orientation: PlanOrientation, region: PlanRegion) -> String {
    switch (orientation, region) {
    case (.vector, .slot): return "vector"
    case (.vector, .cell): return "stacked expert vector"
    case (_, .slot): return "matrix"
    case (_, .cell): return "stacked expert matrix"
    }
}

/// The axis a line class's lines run along.
public enum PlanAxis: String, PlanVocabulary {
    case rows
    case columns
    public static let vocabularyName = "line axis"
}

/// How a line's allreduce runs: a `tree` of groups (5 colors) or a `chain` (3 colors).
public enum PlanReductionMode: String, PlanVocabulary {
    case tree
    case chain
    public static let vocabularyName = "allreduce mode"
}

/// What an exception route carries: a `stream` of partial sums, a `leader` pass-through, the
/// `broadcast` back, or a bundle's `lane`.
public enum PlanRouteRole: String, PlanVocabulary {
    case stream
    case leader
    case broadcast
    case lane
    public static let vocabularyName = "route role"
}

/// What an exception route belongs to: a line `class` or a `bundle`.
public enum PlanOwnerKind: String, PlanVocabulary {
    case lineClass = "class"
    case bundle
    public static let vocabularyName = "route owner kind"
}

/// A transfer of a decode step: an `allreduce` on a line class, a `handoff` over bundles, or a
/// `wafer-link` crossing.
public enum PlanFlowKind: String, PlanVocabulary {
    case allreduce
    case handoff
    case waferLink = "wafer-link"
    public static let vocabularyName = "flow kind"
}

/// A timed phase of a decode step.
public enum PlanPhaseKind: String, PlanVocabulary {
    case compute
    case fabric
    case link
    case elementwise
    public static let vocabularyName = "phase kind"
}

/// What an op computes (the attributes each kind carries are in docs/plan-format.md).
public enum PlanOpKind: String, PlanVocabulary {
    case embedding
    case rmsnorm
    case layernorm
    case attention
    case mla
    case mlp
    case moe
    case add
    case lmHead = "lm_head"
    public static let vocabularyName = "op kind"
}

/// The activation function of an MLP or MoE.
public enum PlanActivation: String, PlanVocabulary {
    case silu
    case gelu
    case geluTanh = "gelu_tanh"
    case relu
    case relu2
    case swigluOai = "swiglu_oai"
    public static let vocabularyName = "activation"
}
