import Foundation
import WaferIR
import WaferPasses
import WaferPerf
import WaferSupport
import WaferTarget

extension CountReport {
    /// The KV cache as a sum of terms: one per (kind, values per token, tokens kept) group.
    static func kvTerms(_ graph: Graph, _ kv: KVCacheShape) -> [(text: String, bytes: Int)] {
        var order: [String] = []
        var groups: [String: (count: Int, bytesEach: Int, text: String)] = [:]
        for op in graph.ops {
            let values = op.kind.kvValuesPerToken()
            guard values > 0 else { continue }
            let tokens = op.kind.kvTokensKept(context: kv.contextTokens)
            let kind: String
            switch op.kind {
            case let .attention(a): kind = "attention (2 x \(a.kvHeads) kv heads x \(a.headDim))"
            case let .mla(a): kind = "MLA (\(a.kvLoraRank) latent + \(a.qkRopeHeadDim) rope)"
            default: kind = op.kind.mnemonic
            }
            let key = "\(kind)|\(values)|\(tokens)"
            let bytes = op.kind.kvCacheBytes(kv) ?? 0
            if groups[key] == nil {
                order.append(key)
                groups[key] = (0, bytes, "\(kind) = \(values) values x \(Units.grouped(tokens)) tokens x \(kv.sequences) seq x \(kv.element.bits / 8) B")
            }
            groups[key]?.count += 1
        }
        return order.compactMap { key in
            groups[key].map { ("\(Units.count($0.count, "layer")) x \($0.text)", $0.count * $0.bytesEach) }
        }
    }

    public func table() -> String {
        guard let first = results.first else { return "" }
        let t = target
        var out = ""
        out += "model       \(first.graph.name) (\(first.graph.sourceFile))\n"
        out += "target      \(t.name): \(t.fabricWidth)x\(t.fabricHeight) PEs, program area \(t.programWidth)x\(t.programHeight) = \(Units.grouped(t.programPEs)) PEs\n"
        out += "per PE      \(Units.grouped(t.sramBytesPerPE)) B SRAM - \(Units.grouped(t.runtimeReserveBytesPerPE)) B runtime reserve - \(Units.grouped(t.bufferBytesPerPE)) B buffers = \(Units.grouped(t.dataBytesPerPE)) B for weights and KV cache\n"
        out += "per wafer   \(Units.grouped(t.programPEs * t.dataBytesPerPE)) B usable without defects (\(Units.gigabytes(t.programPEs * t.dataBytesPerPE)))\n"
        out += "deployment  context \(Units.grouped(deployment.contextTokens)) tokens x batch \(deployment.batch)\(deployment.residentSequences > deployment.batch ? ", \(deployment.residentSequences) sequences resident" : ""), KV cache \(deployment.kvElement.rawValue), wafers \(deployment.wafers)\n"
        out += "defects     \(defectSummary)\n"
        if let line = repairLine(wafers: first.partition.stages.map(\.wafer)) { out += line }
        if results.count > 1 {
            out += "\n"
            // With --perf (the schedule ran) each precision also gets its decode figures.
            let qualities = results.map { quality($0) }
            let timed = qualities.contains { $0?.performance != nil }
            var columns: [(String, TextTable.Alignment)] = [("precision", .left), ("weight bytes", .right), ("KV bytes", .right), ("total GB", .right),
                                                            ("wafers", .right), ("lower bound", .right)]
            if timed { columns += [("tokens/s per user", .right), ("range", .right), ("us/token", .right), ("first token ms", .right)] }
            var table = TextTable(columns)
            for (r, q) in zip(results, qualities) {
                let total = r.statistics.weightBytes + r.partition.stages.reduce(0) { $0 + $1.kvBytes }
                var row = [r.precisionLabel, Units.grouped(r.statistics.weightBytes), Units.grouped(total - r.statistics.weightBytes),
                           Units.fixed(Double(total) / Units.bytesPerGB, digits: 2), "\(r.partition.stages.count)", "\(r.partition.lowerBoundWafers)"]
                if timed {
                    if let p = q?.performance {
                        row += [Units.fixed(p.tokensPerS, digits: 1), "\(Units.fixed(p.tokensPerSLow, digits: 0))-\(Units.fixed(p.tokensPerSHigh, digits: 0))",
                                Units.fixed(p.secondsPerToken * 1e6, digits: 1), p.firstTokenRangeMs]
                    } else {
                        row += ["-", "-", "-", "-"]
                    }
                }
                table.add(row)
            }
            out += table.render(indent: "")
            for (r, q) in zip(results, qualities) {
                guard let q, q.performance != nil else { continue }
                out += "\nprecision   \(r.precisionLabel)\n" + q.summary() + (r.speculative?.summary() ?? "")
            }
            return out
        }
        let r = first
        let kvBytes = r.partition.stages.reduce(0) { $0 + $1.kvBytes }
        let total = r.statistics.weightBytes + kvBytes
        out += "precision   \(r.precisionLabel)\n"
        out += "weights     \(Units.grouped(r.statistics.weightBytes)) B (\(Units.gigabytes(r.statistics.weightBytes)))\n"
        out += "KV cache    \(Units.grouped(kvBytes)) B (\(Units.gigabytes(kvBytes)))\n"
        for term in Self.kvTerms(r.graph, r.partition.kvCache) {
            out += "              \(term.text) = \(Units.grouped(term.bytes)) B\n"
        }
        out += "total       \(Units.grouped(total)) B (\(Units.gigabytes(total)))\n"
        let used = r.partition.stages.count
        out += "wafers      \(used) (lower bound \(r.partition.lowerBoundWafers): the fewest wafers whose usable bytes add up to the total)\n"
        if r.fillLimit < 1 {
            out += "            bytes spread evenly: each wafer filled to at most \(Units.fixed(r.fillLimit * 100, digits: 1))% of its usable bytes, every piece placed where its tiles fit\n"
        }
        out += "\n"
        var table = TextTable([("wafer", .right), ("holds", .left), ("weight bytes", .right), ("KV bytes", .right),
                               ("buffer bytes", .right), ("dead PEs", .right), ("SRAM used", .right)])
        let holdings = r.graph.holdings()
        for stage in r.partition.stages {
            table.add(["\(stage.wafer)", holdings[stage.wafer] ?? "-", Units.grouped(stage.weightBytes), Units.grouped(stage.kvBytes),
                       Units.grouped(stage.bufferBytes), Units.grouped(stage.deadPEs), Units.fixed(stage.sramUsedFraction * 100, digits: 1) + "%"])
        }
        out += table.render(indent: "")
        if let quality = quality(r) {
            out += "\n" + quality.summary()
        }
        return out + (r.speculative?.summary() ?? "")
    }

    /// Which defects fell where on the wafers used: physical dead PEs, those the spare rows
    /// absorbed (and the worst bypass hops they cost), the holes left to software avoidance.
    /// Nil when the defects are logical. O(wafers x their defects).
    public func repairLine(wafers: [Int]) -> String? {
        let repairs = wafers.compactMap { defects.repair(forWafer: $0) }
        guard !repairs.isEmpty else { return nil }
        let sum = { (f: (RepairSummary) -> Int) in repairs.reduce(0) { $0 + f($1) } }
        return "repair      spare rows: \(Units.grouped(sum(\.physicalDeadPEs))) physical dead PEs on the \(Units.count(repairs.count, "wafer")) used; "
            + "\(Units.grouped(sum(\.absorbed))) absorbed by spares (worst bypass +\(repairs.map(\.bypassHopsRows).max() ?? 0) hops on a row line, "
            + "+\(repairs.map(\.bypassHopsColumns).max() ?? 0) on a column line); \(Units.grouped(sum(\.holes))) holes beyond the budget left to software avoidance\n"
    }

    /// The placement (and, once scheduled, routing and performance) report of one precision.
    func quality(_ r: CountResult) -> PlacementQuality? {
        PlacementQuality(graph: r.graph, target: target, defects: defects, promptTokens: deployment.promptTokens)
    }

    /// The figures `count --perf` prints (PerformanceEstimate.summary and the decode line), for
    /// JSON: times in the unit their key names, shares in percent, rounded to 0.001.
    struct PerformanceJSON: Encodable {
        struct Split: Encodable {
            var computeCycles: Int; var computeMicroseconds: Double; var computePercent: Double
            var macCycles: Int; var macMicroseconds: Double
            var elementwiseAndOverheadCycles: Int; var elementwiseAndOverheadMicroseconds: Double
            var onWaferCycles: Int; var onWaferMicroseconds: Double; var onWaferPercent: Double
            var allreduceCycles: Int; var allreduceMicroseconds: Double
            var handoffCycles: Int; var handoffMicroseconds: Double
            var waferToWaferCycles: Int; var waferToWaferMicroseconds: Double; var waferToWaferPercent: Double
            /// Hidden by reductions streaming under their products: the three shares minus it sum to the token.
            var overlappedCycles: Int
            /// Run by remote expert slices beside their layers' local experts: subtracted too.
            var parallelCycles: Int
        }
        struct Layers: Encodable {
            var decoderLayers: Int; var cycles: Int; var microseconds: Double; var tokensPerS: Double
        }
        struct FirstToken: Encodable {
            var promptTokens: Int; var prefillCycles: Int; var milliseconds: Double
            var chunks: Int; var chunkTokens: Int; var serialPrefillCycles: Int; var serialMilliseconds: Double
        }
        struct Pipeline: Encodable {
            var sequencesInFlight: Int; var aggregateTokensPerS: Double; var regions: Int
            var busiestRegion: String; var busiestRegionCyclesPerToken: Int; var busiestRegionMicrosecondsPerToken: Double
            var kvBytesPerSequence: Int; var spareBytes: Int
            /// The batching model's terms (docs/performance-model.md, "Batching").
            var microBatch: Int; var microBatchesInFlight: Int; var tokensPerSPerUserInFlight: Double
            var sequencesPlaced: Int; var sequencesSpare: Int; var sequencesSaturating: Int
        }
        var batch: Int
        var clockMhz: Double
        var tokensPerSPerUser: Double
        /// The same figure under the name every JSON output uses, with its range and the
        /// unpublished constants that dominate it.
        var tokensPerS: Double
        var tokensPerSLow: Double
        var tokensPerSHigh: Double
        var dominantAssumptions: [String]
        var kernelProfile: String?
        var cyclesPerToken: Int
        var microsecondsPerToken: Double
        var timeSplit: Split
        var decoderLayersAlone: Layers
        var firstToken: FirstToken
        var pipeline: Pipeline

        static func rounded(_ x: Double) -> Double { x.isFinite ? (x * 1000).rounded() / 1000 : x }

        init(_ p: PerformanceEstimate, batch: Int) {
            func us(_ c: Int) -> Double { Self.rounded(Double(c) / p.clockMhz) }
            func share(_ c: Int) -> Double { p.cyclesPerToken > 0 ? Self.rounded(Double(c) / Double(p.cyclesPerToken) * 100) : 0 }
            self.batch = batch
            clockMhz = p.clockMhz
            tokensPerSPerUser = Self.rounded(p.tokensPerS)
            tokensPerS = tokensPerSPerUser
            tokensPerSLow = Self.rounded(p.tokensPerSLow)
            tokensPerSHigh = Self.rounded(p.tokensPerSHigh)
            dominantAssumptions = p.dominantAssumptions
            kernelProfile = p.kernelProfile
            cyclesPerToken = p.cyclesPerToken
            microsecondsPerToken = us(p.cyclesPerToken)
            let compute = p.computeCycles + p.elementwiseCycles
            timeSplit = Split(computeCycles: compute, computeMicroseconds: us(compute), computePercent: share(compute),
                              macCycles: p.computeCycles, macMicroseconds: us(p.computeCycles),
                              elementwiseAndOverheadCycles: p.elementwiseCycles, elementwiseAndOverheadMicroseconds: us(p.elementwiseCycles),
                              onWaferCycles: p.onWaferCycles, onWaferMicroseconds: us(p.onWaferCycles), onWaferPercent: share(p.onWaferCycles),
                              allreduceCycles: p.allreduceCycles, allreduceMicroseconds: us(p.allreduceCycles),
                              handoffCycles: p.handoffCycles, handoffMicroseconds: us(p.handoffCycles),
                              waferToWaferCycles: p.waferLinkCycles, waferToWaferMicroseconds: us(p.waferLinkCycles),
                              waferToWaferPercent: share(p.waferLinkCycles), overlappedCycles: p.overlappedCycles,
                              parallelCycles: p.parallelCycles)
            decoderLayersAlone = Layers(decoderLayers: p.decoderLayers, cycles: p.decoderLayerCycles, microseconds: us(p.decoderLayerCycles),
                                        tokensPerS: Self.rounded(p.decoderLayerTokensPerS))
            firstToken = FirstToken(promptTokens: p.promptTokens, prefillCycles: p.prefillCycles, milliseconds: Self.rounded(p.timeToFirstTokenS * 1e3),
                                    chunks: p.prefillChunks, chunkTokens: p.prefillChunkTokens, serialPrefillCycles: p.prefillSerialCycles,
                                    serialMilliseconds: Self.rounded(p.timeToFirstTokenSerialS * 1e3))
            pipeline = Pipeline(sequencesInFlight: p.sequencesInFlight, aggregateTokensPerS: Self.rounded(p.aggregateTokensPerS), regions: p.pipelineRegions,
                                busiestRegion: p.bottleneckRegion, busiestRegionCyclesPerToken: p.bottleneckCycles,
                                busiestRegionMicrosecondsPerToken: us(p.bottleneckCycles), kvBytesPerSequence: p.kvBytesPerSequence, spareBytes: p.spareBytes,
                                microBatch: p.batching.microBatch, microBatchesInFlight: p.batching.best.microBatches,
                                tokensPerSPerUserInFlight: Self.rounded(p.tokensPerSPerUserInFlight), sequencesPlaced: p.batching.residentSequences,
                                sequencesSpare: p.batching.spareSequences, sequencesSaturating: p.batching.saturatingSequences)
        }
    }

    public func json() -> String {
        struct StageJSON: Encodable {
            var wafer: Int; var holds: String; var weightBytes: Int; var kvBytes: Int; var bufferBytes: Int
            var reserveBytes: Int; var usableBytes: Int; var livePes: Int; var deadPes: Int; var sramUsedPercent: Double
            var macsPerStep: Int; var outgoingBytesPerStep: Int
            /// What the spare rows made of the wafer's physical defects (absent for logical defects).
            var redundancy: RepairSummary?
        }
        struct ResultJSON: Encodable {
            var precision: String; var wafers: Int; var lowerBoundWafers: Int; var weightBytes: Int; var kvBytes: Int
            var totalParams: Int; var fillLimit: Double; var perWafer: [StageJSON]; var performance: PerformanceJSON?
            var speculative: SpeculativeEstimate?
        }
        struct TargetJSON: Encodable {
            var name: String; var fabricWidth: Int; var fabricHeight: Int; var programPes: Int
            var sramBytesPerPe: Int; var runtimeReserveBytesPerPe: Int; var bufferBytesPerPe: Int; var dataBytesPerPe: Int
        }
        struct Report: Encodable {
            var model: String; var source: String; var target: TargetJSON
            var contextTokens: Int; var batch: Int; var sequences: Int; var kvPrecision: String; var wafersRequested: String; var defects: String
            var precision: String; var wafers: Int; var lowerBoundWafers: Int; var weightBytes: Int; var kvBytes: Int
            var fillLimit: Double; var perWafer: [StageJSON]; var performance: PerformanceJSON?; var byPrecision: [ResultJSON]
            var speculative: SpeculativeEstimate?
        }
        let encoded: [ResultJSON] = results.map { r in
            let holdings = r.graph.holdings()
            let stages = r.partition.stages.map { s in
                StageJSON(wafer: s.wafer, holds: holdings[s.wafer] ?? "", weightBytes: s.weightBytes, kvBytes: s.kvBytes,
                          bufferBytes: s.bufferBytes, reserveBytes: s.reserveBytes, usableBytes: s.usableBytes,
                          livePes: s.livePEs, deadPes: s.deadPEs, sramUsedPercent: (s.sramUsedFraction * 10000).rounded() / 100,
                          macsPerStep: s.macsPerStep, outgoingBytesPerStep: s.outgoingBytesPerStep,
                          redundancy: defects.repair(forWafer: s.wafer))
            }
            return ResultJSON(precision: r.precisionLabel, wafers: r.partition.stages.count, lowerBoundWafers: r.partition.lowerBoundWafers,
                              weightBytes: r.statistics.weightBytes, kvBytes: r.partition.stages.reduce(0) { $0 + $1.kvBytes },
                              totalParams: r.statistics.totalParameters, fillLimit: r.fillLimit, perWafer: stages,
                              performance: quality(r)?.performance.map { PerformanceJSON($0, batch: deployment.batch) }, speculative: r.speculative)
        }
        guard let first = results.first, let head = encoded.first else { return "{}\n" }
        let t = target
        let report = Report(
            model: first.graph.name, source: first.graph.sourceFile,
            target: TargetJSON(name: t.name, fabricWidth: t.fabricWidth, fabricHeight: t.fabricHeight, programPes: t.programPEs,
                               sramBytesPerPe: t.sramBytesPerPE, runtimeReserveBytesPerPe: t.runtimeReserveBytesPerPE,
                               bufferBytesPerPe: t.bufferBytesPerPE, dataBytesPerPe: t.dataBytesPerPE),
            contextTokens: deployment.contextTokens, batch: deployment.batch, sequences: deployment.residentSequences, kvPrecision: deployment.kvElement.rawValue,
            wafersRequested: deployment.wafers.description, defects: defectSummary,
            precision: head.precision, wafers: head.wafers, lowerBoundWafers: head.lowerBoundWafers,
            weightBytes: head.weightBytes, kvBytes: head.kvBytes, fillLimit: head.fillLimit, perWafer: head.perWafer,
            performance: head.performance, byPrecision: encoded, speculative: head.speculative)
        return JSONOutput.render(report)
    }
}
