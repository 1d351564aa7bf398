import WaferSupport

/// How sequences share a compiled pipeline (docs/performance-model.md, "Batching").
///
/// A decode pass carries a micro-batch of `b` sequences (the compile's `--batch`) through the
/// regions (slots) in order; it takes `T` cycles end to end (`passCycles`, the per-token latency
/// the schedule times at batch `b`), of which the busiest region holds it `t_max`
/// (`bottleneckCycles`). Regions work on different micro-batches at once, as the stages of
/// GPipe-style pipeline parallelism do (Huang et al., NeurIPS 2019), and every sequence keeps its
/// KV cache where its layers are, so `S` resident sequences form `m = ceil(S / b)` micro-batches
/// that take turns. One round, in which every sequence gains one token, lasts
///
///     round(S) = max(T, m x t_max)    cycles
///
/// (the latency of one pass, or the busiest region serving every micro-batch once, whichever is
/// longer), so each user decodes `clock / round(S)` tokens/s and the replica `S x clock /
/// round(S)`. Adding sequences raises the aggregate until `m x t_max` reaches `T`; past that the
/// busiest region is never idle, the aggregate stays at `b x clock / t_max` and each user slows.
/// A larger micro-batch `b` shares each pass's fixed costs (reduction latencies, hand-offs,
/// wafer links, layer overhead) among `b` tokens but multiplies its MACs and attention by `b`
/// (a WSE PE reads each weight from its own SRAM at the rate it computes, so batching saves no
/// weight bandwidth): per-user speed falls, aggregate throughput rises as far as the spare SRAM
/// holds the extra KV caches. What it leaves out: contention between micro-batches on shared
/// links, and scheduling gaps (requests arriving and leaving). O(1) per query.
public struct PipelineBatching: Sendable, Encodable, Hashable {
    public var clockMhz: Double
    /// b: sequences one pass carries through a region together.
    public var microBatch: Int
    /// T: cycles one micro-batch's pass takes through every region.
    public var passCycles: Int
    /// t_max: the busiest region's cycles per pass.
    public var bottleneckCycles: Int
    /// Regions (slots) the passes go through.
    public var regions: Int
    /// KV caches the plan placed (`--sequences`, at least `b`), and how many more of the same size
    /// the SRAM left free holds.
    public var residentSequences: Int
    public var spareSequences: Int

    public init(clockMhz: Double, microBatch: Int, passCycles: Int, bottleneckCycles: Int, regions: Int, residentSequences: Int, spareSequences: Int) {
        self.clockMhz = clockMhz; self.microBatch = max(microBatch, 1); self.passCycles = max(passCycles, 1)
        self.bottleneckCycles = max(min(bottleneckCycles, passCycles), 1); self.regions = regions
        self.residentSequences = max(residentSequences, 1); self.spareSequences = max(spareSequences, 0)
    }

    /// The pipeline with `S` sequences decoding.
    public struct Load: Sendable, Encodable, Hashable {
        public var sequences: Int
        public var microBatches: Int
        public var cyclesPerRound: Int
        public var tokensPerSPerUser: Double
        public var aggregateTokensPerS: Double
        /// Whether the busiest region, not one pass's latency, sets the round.
        public var bottleneckBound: Bool
    }

    /// The round, per-user and aggregate speed with `sequences` decoding. O(1).
    public func load(sequences: Int) -> Load {
        let s = max(sequences, 1)
        let m = Checked.ceilDiv(s, microBatch)
        let busy = Checked.product([m, bottleneckCycles]) ?? Int.max
        let round = max(passCycles, busy)
        let perUser = clockMhz * 1e6 / Double(round)
        return Load(sequences: s, microBatches: m, cyclesPerRound: round, tokensPerSPerUser: perUser,
                    aggregateTokensPerS: Double(s) * perUser, bottleneckBound: busy > passCycles)
    }

    /// KV caches the replica can hold: placed plus what the spare SRAM takes.
    public var capacity: Int { residentSequences + spareSequences }

    /// The fewest sequences at which the aggregate stops growing: `b x ceil(T / t_max)`.
    public var saturatingSequences: Int { microBatch * Checked.ceilDiv(passCycles, bottleneckCycles) }

    /// The most the replica does: as many sequences as saturate the pipeline, or as its SRAM
    /// holds KV caches for, whichever is fewer.
    public var best: Load { load(sequences: min(capacity, saturatingSequences)) }
}
