import WaferSupport

/// Which wafer holds an op, and for an MoE op which wafers hold which routed experts.
public struct OpPlacement: Hashable, Sendable {
    /// The wafer of the op's non-expert weights (and of the op's input).
    public var wafer: Int
    /// Routed experts by contiguous ranges, in order, covering `0..<experts` exactly; empty for
    /// ops without routed experts.
    public var expertSlices: [ExpertSlice]

    public init(wafer: Int, expertSlices: [ExpertSlice] = []) {
        self.wafer = wafer
        self.expertSlices = expertSlices
    }
}

public struct ExpertSlice: Hashable, Sendable {
    public var wafer: Int
    public var first: Int
    public var count: Int
    public init(wafer: Int, first: Int, count: Int) { self.wafer = wafer; self.first = first; self.count = count }
    public var range: Range<Int> { first..<(first + count) }
}

/// One pipeline stage: what wafer `index` holds and what it costs there.
public struct Stage: Hashable, Sendable {
    public var wafer: Int
    /// Live PEs in the program rectangle (after defects), and dead PEs there.
    public var livePEs: Int
    public var deadPEs: Int
    /// Bytes the stage may use for weights and KV cache: live PEs x data bytes per PE.
    public var usableBytes: Int
    /// Fixed per-PE costs over the live PEs: runtime reserve and activation buffers.
    public var reserveBytes: Int
    public var bufferBytes: Int
    public var sramBytes: Int
    public var weightBytes: Int
    public var kvBytes: Int
    /// Expected multiply-accumulates per decode step (routed experts at their top-k share).
    public var macsPerStep: Int
    /// Bytes this stage sends to the next per decode step (activations and expert traffic).
    public var outgoingBytesPerStep: Int

    public init(wafer: Int, livePEs: Int, deadPEs: Int, usableBytes: Int, reserveBytes: Int, bufferBytes: Int,
                sramBytes: Int, weightBytes: Int = 0, kvBytes: Int = 0, macsPerStep: Int = 0, outgoingBytesPerStep: Int = 0) {
        self.wafer = wafer; self.livePEs = livePEs; self.deadPEs = deadPEs; self.usableBytes = usableBytes
        self.reserveBytes = reserveBytes; self.bufferBytes = bufferBytes; self.sramBytes = sramBytes
        self.weightBytes = weightBytes; self.kvBytes = kvBytes; self.macsPerStep = macsPerStep
        self.outgoingBytesPerStep = outgoingBytesPerStep
    }

    /// Share of the stage's SRAM in use: weights, KV, buffers and reserve over all live PEs.
    public var sramUsedFraction: Double {
        sramBytes > 0 ? Double(weightBytes + kvBytes + bufferBytes + reserveBytes) / Double(sramBytes) : 0
    }
}

/// The result of the partition pass: the pipeline of wafers and the facts it was made from.
public struct Partition: Hashable, Sendable {
    public var targetName: String
    public var kvCache: KVCacheShape
    public var stages: [Stage]
    /// The fewest wafers whose usable bytes could hold the model's weights and KV cache if bytes
    /// could be split anywhere: the smallest k with sum of the first k capacities >= total.
    public var lowerBoundWafers: Int
    /// Whether the wafer count was chosen by the pass (`auto`) or fixed by the user.
    public var waferCountFixed: Bool
    /// The share of each wafer's usable bytes the packing filled at most: below 1 when the
    /// partition spread the bytes evenly over more room than they need (`PartitionConfig.fillSteps`).
    public var fillLimit: Double

    public init(targetName: String, kvCache: KVCacheShape, stages: [Stage], lowerBoundWafers: Int, waferCountFixed: Bool, fillLimit: Double = 1) {
        self.targetName = targetName; self.kvCache = kvCache; self.stages = stages
        self.lowerBoundWafers = lowerBoundWafers; self.waferCountFixed = waferCountFixed; self.fillLimit = fillLimit
    }
}
