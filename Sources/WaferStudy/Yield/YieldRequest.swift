import WaferMap
import WaferPasses
import WaferReport
import WaferSupport

/// What `wafermap yield` studies (docs/studies.md): `maps` defect maps drawn at `defectRate`
/// (uniform or clustered) for the deployment in `arguments`, each compiled on the nominal wafer
/// count (the fewest the model needs without defects) and, when it does not fit there, on as
/// many wafers as it needs.
public struct YieldRequest: Sendable {
    /// The model: a model description (YAML) or a Hugging Face config.json.
    public var model: String
    /// The deployment flags as given (target, precision, context, batch, KV precision, repair,
    /// slot, prompt, threads). `wafers` must stay `auto`, `defects`/`defectRate` unset and
    /// `speculative` unset: the study sets the wafers and the defects itself.
    public var arguments: DeploymentArguments
    /// The algorithms' knobs (`--pass-option`); default: today's behaviour.
    public var passOptions = PassOptions()
    /// Defect maps to draw, `mapsRange` (default 100).
    public var maps = 100
    /// Dead PEs per PE (per physical PE on a target with spare rows), 0...`DefectGenerator.maxRate`.
    public var defectRate: Double
    /// Clustered defects (Neyman-Scott) instead of uniform ones. Default false.
    public var clustered = false
    /// The base seed `S`: map `i` uses `YieldStudy.seed(base: S, map: i)` for both its defects
    /// and its placement, so map `i` is the same in every shard. Default 1.
    public var seed: UInt64 = 1
    /// How the report renders: `table` (default) or `json`. Part of the study's identity, so
    /// that `merge` writes what the unsharded run writes.
    public var format: YieldFormat = .table
    /// The slice of maps to run; `.whole` for the unsharded study.
    public var shard: ShardSpec = .whole

    /// The bounds of `--maps`.
    public static let mapsRange = 1...100_000

    public init(model: String, arguments: DeploymentArguments, defectRate: Double) {
        self.model = model; self.arguments = arguments; self.defectRate = defectRate
    }
}

/// The yield report's two renderings.
public enum YieldFormat: String, Sendable, Codable, CaseIterable {
    case table, json
}

/// What identifies a yield study and renders its report: equal in every shard of one command
/// line (a merge refuses parts whose headers differ). Holds no path, host, time or thread count.
public struct YieldHeader: Codable, Equatable, Sendable {
    /// The model's name and the SHA-256 of the model file's bytes (hex).
    public var model: String
    public var modelSha256: String
    /// The target's name.
    public var target: String
    /// The deployment flags that shape each compile, canonical (`--context 8192 --batch 1 ...`).
    public var flags: String
    public var maps: Int
    public var defectRate: Double
    /// `uniform` or `clustered`.
    public var defectModel: String
    /// The base seed, decimal (a string: 20-digit seeds exceed what the partial reader accepts as a number).
    public var seed: String
    /// `spare-rows` or `none`, as resolved for the target.
    public var repair: String
    public var format: YieldFormat
    /// The fewest wafers the model needs without defects (the defect-free compile, `--wafers auto`).
    public var nominalWafers: Int
    /// The defect-free mapping's tokens/s per user and its range (docs/performance-model.md, "Uncertainty").
    public var defectFreeTokensPerS: Double
    public var defectFreeTokensPerSLow: Double
    public var defectFreeTokensPerSHigh: Double
}

/// One map's outcome.
public struct YieldMapResult: Codable, Equatable, Sendable {
    /// The seed of this map's defects and placement, decimal (`wafermap compile --seed` reproduces it).
    public var seed: String
    /// Whether the model compiled on the nominal wafer count with this map.
    public var fitsNominal: Bool
    /// Wafers of the mapping that compiled (nominal, or the fewest `--wafers auto` found); nil: none compiled.
    public var wafers: Int?
    /// `wafers - nominal` (0 when it fits), nil when nothing compiled.
    public var extraWafers: Int?
    /// Tokens/s per user of the mapping that compiled, and its range; nil when nothing compiled.
    public var tokensPerS: Double?
    public var tokensPerSLow: Double?
    public var tokensPerSHigh: Double?
    /// Physical dead PEs and holes (dead PEs the spare rows did not absorb; all of them without
    /// repair) summed over the wafers the mapping used; nil when nothing compiled.
    public var deadPes: Int?
    public var holes: Int?
    /// Why the nominal count failed (the compiler's first error), nil when it fit.
    public var nominalFailure: String?
    /// Why no wafer count compiled, nil when one did.
    public var failure: String?
}

/// A yield shard's partial result (`--shard K/N -o PART`).
public typealias YieldPartial = StudyPartial<YieldHeader, YieldMapResult>
