/// Upper bounds on model dimensions. Anything larger is a typo or a hostile file; the
/// limits are far above every published model (the largest hidden size is 25,600 for
/// PaLM-class models, vocabularies stay under 1M, MoE models under 1K experts).
public enum ModelLimits {
    public static let hidden = 1 << 20
    public static let vocab = 1 << 24
    public static let heads = 1 << 16
    public static let headDim = 1 << 16
    public static let intermediate = 1 << 24
    public static let experts = 1 << 16
    public static let loraRank = 1 << 20
    public static let slidingWindow = 1 << 30
    public static let repeatCount = 1 << 16
    /// Decoder layers after every repeat is expanded (the deepest published models have ~200).
    public static let decoderLayers = 10_000
    /// Ops after every repeat is expanded: 100,000 (Kimi K2 has 369; 10,000 layers of four ops
    /// fit). Every later stage holds and walks each op, so the count, not the layers, bounds the
    /// time and memory (10,000 layers of 1,000 ops each, a 50 KB file, grew past 9 GB).
    public static let ops = 100_000
    /// Parameters in the whole model: 10^15, about a thousand times Kimi K2. Anything larger is
    /// a mistake or a hostile file, and is rejected at the op that crosses it.
    public static let totalParameters = 1_000_000_000_000_000
    public static let blockSize = 1 << 20
    public static let formatVersion = 1
}
