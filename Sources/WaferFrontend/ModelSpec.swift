import WaferIR
import WaferSupport

/// A model description as written in the YAML file, before repeats are expanded.
/// Every piece keeps its source location so later checks can point at it.
public struct ModelSpec: Sendable {
    public var file: String
    public var version: Int
    public var name: String
    public var description: String?
    public var source: String?
    public var vocab: Int
    public var hidden: Int
    public var activation: ElementType
    public var precision: PrecisionPolicy
    public var items: [LayerItem]
    public var location: SourceLocation
    /// Where the `layers:` list starts, for errors about the layer stack as a whole.
    public var layersLocation: SourceLocation
    /// `unmapped_modules:` — counted beside the model, never mapped (MTP, vision tower).
    public var unmappedModules: [UnmappedModule] = []
}

/// An entry of a `layers:` list: one op, or a block repeated `count` times.
public indirect enum LayerItem: Sendable {
    case op(OpSpec)
    case repeatBlock(RepeatSpec)

    public var location: SourceLocation {
        switch self {
        case let .op(op): return op.location
        case let .repeatBlock(block): return block.location
        }
    }
}

/// `{repeat: N, layers: [...]}`. A block whose items are all ops is one decoder layer per
/// iteration; a block of blocks just repeats its blocks.
public struct RepeatSpec: Sendable {
    public var count: Int
    public var items: [LayerItem]
    public var location: SourceLocation
}

/// One op entry: `{kind: attention, heads: 32, ...}`.
public struct OpSpec: Sendable {
    public enum Kind: Sendable, Hashable {
        case embedding
        case norm(NormKind, bias: Bool)
        case attention(AttentionAttributes)
        case mla(MLAAttributes)
        case mlp(MLPAttributes)
        case moe(MoEAttributes)
        case lmHead(tied: Bool, bias: Bool)

        public var isMixer: Bool {
            switch self {
            case .attention, .mla, .mlp, .moe: return true
            default: return false
            }
        }

        public var keyword: String {
            switch self {
            case .embedding: return "embedding"
            case let .norm(kind, _): return kind.rawValue
            case .attention: return "attention"
            case .mla: return "mla"
            case .mlp: return "mlp"
            case .moe: return "moe"
            case .lmHead: return "lm_head"
            }
        }
    }

    public var kind: Kind
    /// The user's name for the op, if any (else a Hugging Face-style default).
    public var name: String?
    public var precision: NumberFormat?
    public var location: SourceLocation
}
