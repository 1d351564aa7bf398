import WaferSupport

/// Every way a model description (YAML) is wrong, from decoding to lowering (docs/diagnostics.md).
public enum ModelFailure: String, DiagnosticKind {
    /// The model file's format version is not one this build reads.
    case version = "model.version"
    /// The model's name is empty, too long, or holds quotes or line breaks.
    case name = "model.name"
    /// `activation_precision` is not fp32, bf16 or fp16.
    case activationPrecision = "model.activation-precision"
    /// A precision asks to quantize vectors (norms, biases), which are never quantized.
    case quantizedVector = "model.quantized-vector"
    /// A precision name is not one WaferMap knows.
    case unknownPrecision = "model.unknown-precision"
    /// A quantized format's scale layout is missing, contradictory or says nothing.
    case scaleLayout = "model.scale-layout"
    /// A scale type is not one WaferMap knows.
    case unknownScaleType = "model.unknown-scale-type"
    /// `block` does not give two sizes.
    case blockShape = "model.block-shape"
    /// A format's fields do not make a valid storage format.
    case invalidFormat = "model.invalid-format"
    /// `layers`, or a repeat block, is empty.
    case emptyLayers = "model.empty-layers"
    /// An unmapped module's name is not a plain identifier.
    case moduleName = "model.module-name"
    /// Two unmapped modules share a name.
    case duplicateModule = "model.duplicate-module"
    /// A repeat block mixes ops and repeat blocks.
    case mixedRepeat = "model.mixed-repeat"
    /// A layer entry has neither `kind` nor `repeat`.
    case layerEntry = "model.layer-entry"
    /// An op's name is not a plain dotted identifier.
    case opName = "model.op-name"
    /// An activation function is not one WaferMap knows.
    case unknownActivation = "model.unknown-activation"
    /// Attention heads, KV heads and head size do not fit together.
    case headShape = "model.head-shape"
    /// The rotary head dimension is odd.
    case ropeOdd = "model.rope-odd"
    /// `top_k` is larger than the number of experts.
    case topK = "model.top-k"
    /// `shared_intermediate_size` is given without shared experts.
    case sharedExperts = "model.shared-experts"
    /// A layer kind is not one WaferMap knows.
    case unknownKind = "model.unknown-kind"
    /// Repeat blocks expand to more decoder layers than the limit.
    case tooManyLayers = "model.too-many-layers"
    /// The layers expand to more ops than the limit.
    case tooManyOps = "model.too-many-ops"
    /// The embedding is not first or the output head not last, or either appears twice.
    case layerOrder = "model.layer-order"
    /// An op sits at the wrong level (outside or inside a repeat block).
    case opPlacement = "model.op-placement"
    /// The model has no decoder layers.
    case noDecoderLayers = "model.no-decoder-layers"
    /// A decoder layer has no attention, mla, mlp or moe op.
    case emptyDecoderLayer = "model.empty-decoder-layer"
    /// A tied output head has no embedding to tie to.
    case tiedWithoutEmbedding = "model.tied-without-embedding"
    /// Two ops share a name.
    case duplicateOp = "model.duplicate-op"
    /// A size or a total overflows 64-bit integers.
    case overflow = "model.overflow"
    /// The model has more parameters than WaferMap accepts.
    case tooLarge = "model.too-large"

    /// The draft model given to `--speculative` does not load.
    case speculativeDraft = "speculative.draft"
    /// The draft model given to `--speculative` has another vocabulary than the model.
    case speculativeVocabulary = "speculative.vocabulary"

    public static var stage: DiagnosticStage { .model }
    public var fault: Fault { .input }
}
