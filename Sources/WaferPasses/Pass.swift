import WaferIR
import WaferSupport
import WaferTarget

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

/// How many wafers to use: as few as fit (`auto`) or exactly N.
public enum WaferCount: Sendable, Hashable, CustomStringConvertible {
    case auto
    case exactly(Int)
    public var description: String {
        switch self {
        case .auto: return "auto"
        case let .exactly(n): return "\(n)"
        }
    }
}

/// What a deployment asks of the compiled model. Every knob of the partition pass.
public struct DeploymentOptions: Sendable, Hashable {
    /// Tokens each sequence keeps in its KV cache (prompt plus generated). Default 8,192.
    public var contextTokens: Int
    /// Sequences decoded together, each with its own KV cache. Default 1.
    public var batch: Int
    /// Element type of the KV cache. Default bf16.
    public var kvElement: ElementType
    /// Wafer count: `auto` (the fewest that fit) or a fixed number. Default auto.
    public var wafers: WaferCount
    /// Share of each wafer's usable bytes the partition may fill, leaving the rest for tile
    /// padding and spare columns. Default 1.0; the driver lowers it when a wafer does not tile.
    public var fillLimit: Double
    /// Seed of the placement optimiser. Default 1.
    public var seed: UInt64

    public init(contextTokens: Int = 8192, batch: Int = 1, kvElement: ElementType = .bf16, wafers: WaferCount = .auto,
                fillLimit: Double = 1.0, seed: UInt64 = 1) {
        self.contextTokens = contextTokens
        self.batch = batch
        self.kvElement = kvElement
        self.wafers = wafers
        self.fillLimit = fillLimit
        self.seed = seed
    }
}

/// What passes may read besides the graph: the target, its defects and the deployment.
public struct PassContext: Sendable {
    /// The accelerator; passes that need one fail with a clear error when it is nil.
    public var target: Target?
    public var defects: DefectSource
    public var deployment: DeploymentOptions

    public init(target: Target? = nil, defects: DefectSource = .none, deployment: DeploymentOptions = DeploymentOptions()) {
        self.target = target
        self.defects = defects
        self.deployment = deployment
    }
}
