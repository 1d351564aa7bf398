import Foundation
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
    /// Sequences decoded together in one pass through a region (the micro-batch), each with its
    /// own KV cache. Default 1.
    public var batch: Int
    /// KV caches to place (`--sequences`): the sequences a replica keeps resident, taking turns
    /// in the pipeline `batch` at a time. Nil (the default): `batch`. Never below `batch`.
    public var sequences: Int?
    /// The KV caches placed: `sequences`, at least `batch`.
    public var residentSequences: Int { max(sequences ?? batch, batch) }
    /// Element type of the KV cache. Default bf16.
    public var kvElement: ElementType
    /// Wafer count: `auto` (the fewest that fit) or a fixed number. Default auto.
    public var wafers: WaferCount
    /// Seed of the placement optimiser. Default 1.
    public var seed: UInt64
    /// A fixed slot size (`--slot WxH`): every wafer is cut into as many `width x height` slots
    /// as fit, instead of the tile pass searching the grid. WaferLLM's mapping is `P x P`.
    /// Default nil (searched).
    public var slot: SlotShape?
    /// Prompt length the reports' time-to-first-token estimate is for (`--prompt`); no pass reads
    /// it. Default nil: the context.
    public var promptTokens: Int?

    public init(contextTokens: Int = 8192, batch: Int = 1, kvElement: ElementType = .bf16, wafers: WaferCount = .auto,
                seed: UInt64 = 1, slot: SlotShape? = nil, promptTokens: Int? = nil, sequences: Int? = nil) {
        self.contextTokens = contextTokens
        self.batch = batch
        self.sequences = sequences
        self.kvElement = kvElement
        self.wafers = wafers
        self.seed = seed
        self.slot = slot
        self.promptTokens = promptTokens
    }
}

/// A slot size in PEs (columns x rows), as `--slot` gives it.
public struct SlotShape: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }

    /// Parses `P` (a square) or `WxH`; nil for anything else or sizes outside 1...100,000.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let w = Int(parts[0]), let h = Int(parts[parts.count - 1]),
              (1...100_000).contains(w), (1...100_000).contains(h) else { return nil }
        width = w; height = h
    }

    public var description: String { "\(width)x\(height)" }

    /// Throws unless a slot of this shape fits `target`'s program area (the partition and tile
    /// passes both check it). O(1).
    public func checkFits(_ target: Target) throws(DiagnosticError) {
        guard width <= target.programWidth, height <= target.programHeight else {
            throw .error(PassFailure.slotSize, "--slot \(self): a slot must fit \(target.name)'s \(target.programWidth) x \(target.programHeight)-PE program area", at: nil)
        }
    }

    /// Slots of this shape that fit a `programWidth x programHeight` rectangle with `spare`
    /// columns after each, as (columns, rows). O(1).
    public func grid(programWidth: Int, programHeight: Int, spare: Int = 0) -> (columns: Int, rows: Int) {
        (programWidth / max(width + spare, 1), programHeight / max(height, 1))
    }
}

/// What passes may read besides the graph: the target, its defects and the deployment.
public struct PassContext: Sendable {
    /// The accelerator; passes that need one fail with a clear error when it is nil.
    public var target: Target?
    public var defects: DefectSource
    public var deployment: DeploymentOptions
    /// A layout to reproduce instead of search for (incremental recompilation, `LayoutPins`);
    /// nil for a normal compile.
    public var pins: LayoutPins?
    /// The algorithms' knobs (`--pass-option`); the default is today's behaviour.
    public var options: PassOptions
    /// Effective defects per wafer, computed once and shared by every pass (and every copy of
    /// the context, such as `sweep`'s variants).
    let effective = EffectiveDefectCache()

    public init(target: Target? = nil, defects: DefectSource = .none, deployment: DeploymentOptions = DeploymentOptions(),
                options: PassOptions = PassOptions()) {
        self.target = target
        self.defects = defects
        self.deployment = deployment
        self.options = options
    }
}

extension PassContext {
    /// The defects of wafer `index` as the passes must treat them: the map's dead PEs and links
    /// plus the live PEs they seal off (`WaferDefects.sealingPockets`), which can hold no tile.
    /// Nil when a map does not cover the wafer. Cached per context.
    public func effectiveDefects(forWafer index: Int) -> WaferDefects? {
        if let hit = effective.get(index) { return hit }
        guard let defects = defects.defects(forWafer: index) else { return nil }
        guard let target else { return defects }
        let sealed = defects.sealingPockets(width: target.fabricWidth, height: target.fabricHeight)
        effective.set(index, sealed)
        return sealed
    }
}

extension PassContext {
    /// Records wafer `index`'s effective defects when an earlier run already derived them (a
    /// plan's dead plus sealed PEs for the same map), so passes do not derive them again. The
    /// caller vouches that they are what `effectiveDefects(forWafer:)` would compute.
    public func assumeEffectiveDefects(_ defects: WaferDefects, forWafer index: Int) {
        effective.set(index, defects)
    }
}

/// A lock-protected map from wafer index to effective defects.
final class EffectiveDefectCache: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: WaferDefects] = [:]
    func get(_ wafer: Int) -> WaferDefects? { lock.lock(); defer { lock.unlock() }; return values[wafer] }
    func set(_ wafer: Int, _ value: WaferDefects) { lock.lock(); defer { lock.unlock() }; values[wafer] = value }
}
