import WaferIR
import WaferPasses
import WaferSupport
import WaferTarget

/// What a user planning a deployment reads from a scheduled graph (docs/performance-model.md):
/// per user at the deployment's batch, the time per token split into compute / on-wafer communication /
/// wafer-to-wafer; the decoder layers alone (what WaferLLM times); time to first token for a
/// prompt; and the aggregate throughput when several sequences are in flight in the pipeline.
/// O(phases + units x ops).
public struct PerformanceEstimate: Sendable, Encodable {
    public var clockMhz: Double
    public var cyclesPerToken: Int
    public var tokensPerS: Double
    /// The range the unpublished constants give (`PerformanceRange`): every one at its slow end,
    /// and at its fast end; equal to `tokensPerS` when the target states no range. The
    /// constants that dominate it, widest first.
    public var tokensPerSLow: Double
    public var tokensPerSHigh: Double
    public var dominantAssumptions: [String]
    /// The kernel profile the figures assume (nil: the target's own figures).
    public var kernelProfile: String?
    public var range: PerformanceRange?
    /// Where the cycles of one token go (less `overlappedCycles` and `parallelCycles`, they sum to
    /// `cyclesPerToken`).
    public var computeCycles: Int
    public var elementwiseCycles: Int
    public var allreduceCycles: Int
    public var handoffCycles: Int
    public var waferLinkCycles: Int
    /// Cycles reductions run under their products (docs/routing-and-schedule.md, "Overlap"):
    /// the kinds above minus these sum to `cyclesPerToken`.
    public var overlappedCycles: Int
    /// Cycles remote expert slices run beside their layers' local experts (docs/routing-and-schedule.md,
    /// "Remote experts in parallel"): counted in the kinds above, off the critical path.
    public var parallelCycles: Int
    /// Decoder layers, and their own cycles (compute, allreduces, elementwise work, overhead;
    /// transfers into them excluded): the figure WaferLLM reports as layer time x layers.
    public var decoderLayers: Int
    public var decoderLayerCycles: Int
    /// The MAC cycles among `decoderLayerCycles` (the calibration fit separates them).
    public var decoderComputeCycles: Int
    /// The prompt the time to first token is for, and the prefill estimate: pipelined through the
    /// regions in `prefillChunks` chunks of `prefillChunkTokens` (the last may be shorter); the
    /// serial figure (every unit one after another, no overlap) kept for comparison.
    public var promptTokens: Int
    public var prefillCycles: Int
    public var timeToFirstTokenS: Double
    public var prefillChunks: Int
    public var prefillChunkTokens: Int
    public var prefillSerialCycles: Int
    public var timeToFirstTokenSerialS: Double
    /// Pipeline: regions (slots) in use; the busiest region's cycles per pass; the batching model
    /// (`PipelineBatching`) and its best load: sequences in flight (as many as saturate the busiest
    /// region, or as the placed and spare KV caches allow), the aggregate tokens/s and each user's
    /// tokens/s with them; the KV bytes each sequence needs; the spare SRAM bytes.
    public var pipelineRegions: Int
    public var bottleneckRegion: String
    public var bottleneckCycles: Int
    public var batching: PipelineBatching
    public var sequencesInFlight: Int
    public var aggregateTokensPerS: Double
    public var tokensPerSPerUserInFlight: Double
    public var kvBytesPerSequence: Int
    public var spareBytes: Int

    public var secondsPerToken: Double { Double(cyclesPerToken) / (clockMhz * 1e6) }
    public var onWaferCycles: Int { allreduceCycles + handoffCycles }
    /// Tokens/s of the decoder layers alone, as WaferLLM reports it.
    public var decoderLayerTokensPerS: Double { decoderLayerCycles > 0 ? clockMhz * 1e6 / Double(decoderLayerCycles) : 0 }

    /// Nil until the schedule pass has run. `promptTokens` defaults to the deployment's context.
    public init?(graph: Graph, target: Target, promptTokens: Int? = nil) {
        guard let schedule = graph.schedule, let layout = graph.layout, let routing = graph.routing, let partition = graph.partition else { return nil }
        clockMhz = schedule.clockMHz
        cyclesPerToken = schedule.cyclesPerToken
        tokensPerS = schedule.tokensPerSecond
        let range = PerformanceRange(graph: graph, target: target)
        self.range = range
        tokensPerSLow = min(range?.tokensPerSLow ?? tokensPerS, tokensPerS)
        tokensPerSHigh = max(range?.tokensPerSHigh ?? tokensPerS, tokensPerS)
        dominantAssumptions = range?.dominant ?? []
        kernelProfile = target.kernels?.name
        var compute = 0, elementwise = 0, allreduce = 0, handoff = 0, link = 0, layerCycles = 0, layerCompute = 0
        var regionCycles: [String: Int] = [:]
        var layerUnits = Set<Int>()
        func isDecoder(_ u: Int) -> Bool {
            layout.units.indices.contains(u) && layout.units[u].holdsBase && graph.ops.indices.contains(layout.units[u].ops.lowerBound)
                && graph.ops[layout.units[u].ops.lowerBound].layer != nil
        }
        func region(_ u: Int) -> String { Self.region(u, layout: layout) }
        for (i, phase) in schedule.phases.enumerated() {
            let transfer: Bool
            switch phase.kind {
            case .compute: compute += phase.cycles; transfer = false
            case .elementwise: elementwise += phase.cycles; transfer = false
            case .link: link += phase.cycles; transfer = true
            case .fabric:
                let flow = phase.flow.flatMap { routing.flows[safe: $0] }
                if let flow, flow.kind == .allreduce, flow.label != "fan-out" {
                    allreduce += phase.cycles; transfer = false
                } else {
                    handoff += phase.cycles; transfer = true
                }
            }
            if isDecoder(phase.unit) {
                layerUnits.insert(phase.unit)
                if !transfer { layerCycles += phase.cycles - schedule.hiddenCycles[i] }
                if phase.kind == .compute { layerCompute += phase.cycles }
            }
            regionCycles[region(phase.unit), default: 0] += phase.cycles - schedule.hiddenCycles[i]
        }
        overlappedCycles = schedule.overlappedCycles
        parallelCycles = schedule.parallelCycles
        computeCycles = compute; elementwiseCycles = elementwise; allreduceCycles = allreduce; handoffCycles = handoff; waferLinkCycles = link
        decoderLayers = layerUnits.count
        decoderLayerCycles = layerCycles
        decoderComputeCycles = layerCompute
        pipelineRegions = regionCycles.count
        let busiest = regionCycles.max { ($0.value, $1.key) < ($1.value, $0.key) }
        bottleneckRegion = busiest?.key ?? "-"
        bottleneckCycles = busiest?.value ?? 0
        let resident = max(partition.kvCache.sequences, 1)
        kvBytesPerSequence = partition.stages.reduce(0) { $0 + $1.kvBytes } / resident
        spareBytes = partition.stages.reduce(0) { $0 + max(0, $1.usableBytes - $1.weightBytes - $1.kvBytes) }
        let extra = kvBytesPerSequence > 0 ? spareBytes / kvBytesPerSequence : 1 << 20
        batching = PipelineBatching(clockMhz: clockMhz, microBatch: partition.kvCache.batch, passCycles: cyclesPerToken, bottleneckCycles: bottleneckCycles,
                                    regions: pipelineRegions, residentSequences: resident, spareSequences: extra)
        let best = batching.best
        sequencesInFlight = best.sequences
        aggregateTokensPerS = best.aggregateTokensPerS
        tokensPerSPerUserInFlight = best.tokensPerSPerUser
        let prompt = max(promptTokens ?? partition.kvCache.contextTokens, 1)
        self.promptTokens = prompt
        let prefill = PrefillPipeline(graph: graph, schedule: schedule, layout: layout, routing: routing, target: target, prompt: prompt,
                                      region: region)
        prefillCycles = prefill.pipelinedCycles
        timeToFirstTokenS = Double(prefillCycles) / (clockMhz * 1e6)
        prefillChunks = prefill.chunks
        prefillChunkTokens = prefill.chunkTokens
        prefillSerialCycles = prefill.serialCycles
        timeToFirstTokenSerialS = Double(prefillSerialCycles) / (clockMhz * 1e6)
    }

    /// The region (slot) a unit works in: the pipeline's stage.
    static func region(_ u: Int, layout: Layout) -> String {
        guard layout.units.indices.contains(u) else { return "?" }
        let unit = layout.units[u]
        let slot = layout.wafers.first { $0.wafer == unit.wafer }?.groupSlot?[safe: unit.group] ?? unit.group
        return "wafer \(unit.wafer) slot \(slot)"
    }

    /// Time to first token as the range the estimate can stand behind, in milliseconds with one
    /// decimal: the prompt pipelined through the regions (a lower bound: perfect overlap, no link
    /// contention) to the serial figure (an upper bound: nothing overlaps). Measured prefill lies
    /// between the two (docs/performance-model.md, "Time to first token").
    public var firstTokenRangeMs: String {
        "\(Units.fixed(timeToFirstTokenS * 1e3, digits: 1))-\(Units.fixed(timeToFirstTokenSerialS * 1e3, digits: 1))"
    }

    /// The lines `count --perf` and `compile` print.
    public func summary() -> String {
        func us(_ c: Int) -> String { Units.fixed(Double(c) / clockMhz, digits: 1) + " us" }
        func share(_ c: Int) -> String { cyclesPerToken > 0 ? Units.fixed(Double(c) / Double(cyclesPerToken) * 100, digits: 1) + "%" : "-" }
        var out = ""
        if let range {
            out += "range       \(range.text) per user: every unpublished constant at its slow end, then its fast end (kernel profile \(kernelProfile ?? "-"))\n"
        }
        out += "per token   \(us(cyclesPerToken)) = \(Units.grouped(cyclesPerToken)) cycles at \(Units.fixed(clockMhz, digits: 0)) MHz\n"
        out += "            compute \(us(computeCycles + elementwiseCycles)) (\(share(computeCycles + elementwiseCycles))): MACs \(us(computeCycles)), elementwise and layer overhead \(us(elementwiseCycles))\n"
        out += "            on-wafer communication \(us(onWaferCycles)) (\(share(onWaferCycles))): allreduces \(us(allreduceCycles)), hand-offs \(us(handoffCycles))\n"
        out += "            wafer-to-wafer \(us(waferLinkCycles)) (\(share(waferLinkCycles)))\n"
        if overlappedCycles > 0 { out += "            overlapped -\(us(overlappedCycles)) (-\(share(overlappedCycles))): reductions streaming under their products\n" }
        if parallelCycles > 0 { out += "            parallel -\(us(parallelCycles)) (-\(share(parallelCycles))): remote expert slices beside their layers' local experts\n" }
        out += "layers      \(Units.count(decoderLayers, "decoder layer")) alone: \(us(decoderLayerCycles)) = \(Units.fixed(decoderLayerTokensPerS, digits: 1)) tokens/s (how WaferLLM counts)\n"
        out += "first token \(firstTokenRangeMs) ms for a \(Units.grouped(promptTokens))-token prompt (prefill estimate on this mapping: from the prompt "
        out += "pipelined in \(Units.count(prefillChunks, "chunk")) of \(Units.grouped(prefillChunkTokens)) tokens, a lower bound, to every unit in turn, an upper bound)\n"
        let best = batching.best
        out += "pipeline    \(Units.count(sequencesInFlight, "sequence")) in flight (\(Units.count(best.microBatches, "micro-batch", plural: "micro-batches")) of \(batching.microBatch)): \(Units.fixed(aggregateTokensPerS, digits: 1)) tokens/s aggregate, "
        out += "\(Units.fixed(tokensPerSPerUserInFlight, digits: 1)) per user (\(Units.count(pipelineRegions, "region")), busiest \(bottleneckRegion) at \(us(bottleneckCycles)) per pass)\n"
        out += "            KV cache \(Units.gigabytes(kvBytesPerSequence)) per sequence: \(Units.count(batching.residentSequences, "placed", plural: "placed")), \(Units.grouped(batching.spareSequences)) more fit in the \(Units.gigabytes(spareBytes)) spare; "
        out += batching.capacity >= batching.saturatingSequences ? "more sequences would only slow each user (the busiest region is never idle)\n"
            : "more sequences need KV caches placed (--sequences) or more wafers\n"
        return out
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
