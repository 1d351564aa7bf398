import Foundation
import WaferIR
import WaferSupport
import WaferTarget

/// What drafts the tokens a speculative decode verifies (docs/performance-model.md,
/// "Speculative decoding"), with its literature defaults.
public enum DraftKind: String, Sendable, Codable, CaseIterable {
    /// The target's own multi-token-prediction module (DeepSeek-V3, GLM-4.5): one decoder layer
    /// that shares the target's embedding and LM head.
    case mtp
    /// A separate, smaller model with the same tokenizer (Leviathan et al. 2023; Chen et al. 2023).
    case model
    /// A one-layer draft head in the style of EAGLE (Li et al., ICML 2024): one decoder layer of
    /// the target's hidden size, dense MLP, sharing the target's embedding and LM head.
    case eagle

    /// Tokens drafted per pass by default, with the range the docs give.
    public var defaultDraftTokens: Int {
        switch self {
        case .mtp: 1     // DeepSeek-V3 ships one MTP module: it predicts one token beyond the next
        case .model: 4
        case .eagle: 4
        }
    }

    /// Per-token acceptance probability by default and its documented range.
    public var defaultAcceptance: Double {
        switch self {
        case .mtp: 0.85    // DeepSeek-V3 report: second-token acceptance 85% to 90%
        case .model: 0.7   // assumption matching the 2-2.5x (Chen) and 2-3x (Leviathan) speed-ups at k = 4
        case .eagle: 0.8   // EAGLE: about 0.8 acceptance (vs about 0.6 for Medusa and Lookahead)
        }
    }

    public var acceptanceRange: ClosedRange<Double> {
        switch self {
        case .mtp: 0.85...0.90
        case .model: 0.6...0.8
        case .eagle: 0.6...0.8
        }
    }

    /// The source of the defaults, as the summary and the docs cite it.
    public var citation: String {
        switch self {
        case .mtp: "DeepSeek-V3 technical report (2024): second-token acceptance 85-90%"
        case .model: "Leviathan et al., ICML 2023; Chen et al. 2023"
        case .eagle: "Li et al., EAGLE, ICML 2024"
        }
    }
}

/// `--speculative DRAFT` (a model file or `auto`), `--draft-tokens K`, `--acceptance-rate A`:
/// nil options take the draft kind's defaults (`DraftKind`, docs/performance-model.md).
public struct SpeculativeRequest: Sendable {
    public var draft: String
    public var draftTokens: Int?
    public var acceptanceRate: Double?

    public init(draft: String, draftTokens: Int? = nil, acceptanceRate: Double? = nil) {
        self.draft = draft; self.draftTokens = draftTokens; self.acceptanceRate = acceptanceRate
    }

    /// The request the three flags make, checked: nil without `--speculative`; k and a in range
    /// (`SpeculativeEstimate.parameterProblem`); k and a only with a draft. O(1).
    public static func checked(draft: String?, draftTokens: Int?, acceptanceRate: Double?) throws(DiagnosticError) -> SpeculativeRequest? {
        guard let draft else {
            if draftTokens == nil && acceptanceRate == nil { return nil }
            throw .error(PerfFailure.speculativeParameter, "--draft-tokens and --acceptance-rate go with --speculative DRAFT", at: nil)
        }
        if let problem = SpeculativeEstimate.parameterProblem(draftTokens: draftTokens ?? 1, acceptance: acceptanceRate ?? 0.5) {
            throw .error(PerfFailure.speculativeParameter, problem, at: nil)
        }
        return SpeculativeRequest(draft: draft, draftTokens: draftTokens, acceptanceRate: acceptanceRate)
    }
}

/// A compiled draft: what it is, why it was chosen, its predicted time per token on the same
/// target and pipeline, and the SRAM it needs beside the target.
public struct SpeculativeDraft: Sendable {
    public var name: String
    public var kind: DraftKind
    /// Why this draft (the `auto` rule that picked it, or the file given).
    public var reason: String
    public var cyclesPerToken: Int
    public var clockMhz: Double
    /// The bytes the draft needs beside the target: its weights (the embedding and LM head left
    /// out when it shares the target's) and its KV cache at the deployment's context and batch.
    public var residentBytes: Int
    /// The wafers the draft takes when compiled on its own.
    public var wafers: Int

    public init(name: String, kind: DraftKind, reason: String, cyclesPerToken: Int, clockMhz: Double, residentBytes: Int, wafers: Int) {
        self.name = name; self.kind = kind; self.reason = reason; self.cyclesPerToken = cyclesPerToken
        self.clockMhz = clockMhz; self.residentBytes = residentBytes; self.wafers = wafers
    }

    /// From the draft's compiled (scheduled) graph; nil before the schedule pass. With
    /// `sharesEmbedding`, the embedding and LM head weights are the target's and are not counted.
    /// O(ops x weights).
    public init?(graph: Graph, kind: DraftKind, reason: String, sharesEmbedding: Bool) {
        guard let schedule = graph.schedule, let partition = graph.partition else { return nil }
        var weights = 0
        for op in graph.ops {
            switch op.kind {
            case .embedding, .lmHead: if sharesEmbedding { continue }
            default: break
            }
            weights = PrefillPipeline.sat(weights, op.weights.reduce(0) { PrefillPipeline.sat($0, $1.bytes) })
        }
        let kv = partition.stages.reduce(0) { PrefillPipeline.sat($0, $1.kvBytes) }
        self.init(name: graph.name, kind: kind, reason: reason, cyclesPerToken: schedule.cyclesPerToken, clockMhz: schedule.clockMHz,
                  residentBytes: PrefillPipeline.sat(weights, kv), wafers: partition.stages.count)
    }
}

/// The draft compiled for each precision of a request (in the request's order), and the k and a
/// it drafts with: the options given, else the draft kind's defaults.
public struct SpeculativeDrafts: Sendable {
    public var drafts: [SpeculativeDraft]
    /// The drafts' scheduled graphs (what a re-timing under other constants needs).
    public var graphs: [Graph]
    public var kind: DraftKind
    public var reason: String
    public var sharesEmbedding: Bool
    public var draftTokens: Int
    public var acceptanceRate: Double

    /// From the draft's scheduled graphs, one per precision. O(graphs x ops x weights).
    public init(graphs: [Graph], kind: DraftKind, reason: String, sharesEmbedding: Bool, request: SpeculativeRequest) {
        drafts = graphs.compactMap { SpeculativeDraft(graph: $0, kind: kind, reason: reason, sharesEmbedding: sharesEmbedding) }
        self.graphs = graphs; self.kind = kind; self.reason = reason; self.sharesEmbedding = sharesEmbedding
        draftTokens = request.draftTokens ?? kind.defaultDraftTokens
        acceptanceRate = request.acceptanceRate ?? kind.defaultAcceptance
    }

    /// The estimate for the result of precision `index`, or nil (no draft for it, no schedule).
    /// O(k x (phases + units x ops)).
    public func estimate(plain: PerformanceEstimate, graph: Graph, target: Target, index: Int) -> SpeculativeEstimate? {
        guard drafts.indices.contains(index) else { return nil }
        return SpeculativeEstimate(plain: plain, graph: graph, target: target, draft: drafts[index], draftTokens: draftTokens, acceptanceRate: acceptanceRate)
    }
}

/// Speculative decoding on a layer-pipelined wafer (docs/performance-model.md, "Speculative
/// decoding"): per pass, the draft proposes k tokens one after another, the target verifies the
/// k + 1 positions in one pass streamed through its regions, and on average
/// (1 - a^(k+1)) / (1 - a) tokens are kept (Leviathan et al., ICML 2023, eq. 1). Computed from
/// the plain `PerformanceEstimate` and the draft's; the plain figure is unchanged.
public struct SpeculativeEstimate: Sendable, Codable {
    /// Where the draft lives: in the target deployment's spare SRAM, or on wafers of its own.
    public enum Location: String, Sendable, Codable {
        case spareSram = "spare SRAM"
        case extraWafers = "extra wafers"
    }

    public var draft: String
    public var draftKind: DraftKind
    public var reason: String
    public var draftTokens: Int
    public var acceptanceRate: Double
    public var acceptanceRange: [Double]
    public var citation: String
    public var tokensPerPass: Double
    public var draftCyclesPerToken: Int
    public var draftCyclesPerPass: Int
    public var verifyCyclesPerPass: Int
    public var draftMicrosecondsPerPass: Double
    public var verifyMicrosecondsPerPass: Double
    public var draftLocation: Location
    public var draftResidentBytes: Int
    public var spareBytes: Int
    public var targetWafers: Int
    public var draftWafers: Int
    public var wafersTotal: Int
    public var tokensPerS: Double
    public var speculativeTokensPerS: Double
    /// The range: the acceptance at each end of its documented range, with the pass time
    /// scaled as the plain figure's range scales it (the unpublished constants move the draft
    /// and the verify pass as they move a plain token; docs/performance-model.md).
    public var speculativeTokensPerSLow: Double
    public var speculativeTokensPerSHigh: Double

    /// The largest `--draft-tokens`: each drafted token is a sequential draft step and a region
    /// pass in the verify, so beyond this the expected gain is below 1% for any a <= 0.9.
    public static let maxDraftTokens = 64

    /// Expected tokens kept per pass with k drafted tokens at per-token acceptance a, the bonus
    /// token included: (1 - a^(k+1)) / (1 - a), k + 1 at a = 1 (Leviathan et al. 2023, eq. 1). O(1).
    public static func expectedTokensPerPass(draftTokens k: Int, acceptance a: Double) -> Double {
        guard k > 0 else { return 1 }
        if a >= 1 { return Double(k + 1) }
        return (1 - pow(a, Double(k + 1))) / (1 - a)
    }

    /// Seconds of one pass: k sequential draft tokens on the draft's clock, then the verify
    /// pass on the target's. O(1).
    public static func passSeconds(draftTokens k: Int, draft: SpeculativeDraft, verifyCycles: Int, clockMhz: Double) -> Double {
        Double(Checked.product([k, draft.cyclesPerToken]) ?? Int.max / 4) / (draft.clockMhz * 1e6) + Double(verifyCycles) / (clockMhz * 1e6)
    }

    /// Tokens/s kept: the expected tokens per pass over the pass's seconds (0 for no time). O(1).
    public static func tokensPerS(draftTokens k: Int, acceptance a: Double, passSeconds: Double) -> Double {
        passSeconds > 0 ? expectedTokensPerPass(draftTokens: k, acceptance: a) / passSeconds : 0
    }

    /// Why k or a is not usable, or nil: 1 <= k <= `maxDraftTokens`, 0 < a < 1. O(1).
    public static func parameterProblem(draftTokens k: Int, acceptance a: Double) -> String? {
        if k < 1 || k > maxDraftTokens { return "--draft-tokens must be between 1 and \(maxDraftTokens), not \(k)" }
        if !(a > 0 && a < 1) { return "--acceptance-rate must be strictly between 0 and 1, not \(a)" }
        return nil
    }

    /// Cycles of one verify pass of `tokens` positions (k + 1) at the end of the deployment's
    /// context: the schedule's decode cycles for the first, plus what the fill-and-drain flow
    /// shop of `PrefillPipeline` adds for the other `tokens - 1` one-token chunks (about one
    /// busiest-region token each), attention over the cached context included. Nil before the
    /// schedule pass. O(tokens x (phases + units x ops)).
    public static func verifyCycles(graph: Graph, target: Target, tokens: Int) -> Int? {
        guard let schedule = graph.schedule, let layout = graph.layout, let routing = graph.routing, let partition = graph.partition
        else { return nil }
        let n = max(tokens, 1)
        guard n > 1 else { return schedule.cyclesPerToken }
        let context = max(partition.kvCache.contextTokens, 1)
        let regions = PrefillPipeline.regionOrder(schedule: schedule, layout: layout) { PerformanceEstimate.region($0, layout: layout) }
        func flowShop(_ count: Int) -> Int {
            let first = max(context - n, 0)
            let chunks = (0..<count).map { (start: first + $0, tokens: 1) }
            return PrefillPipeline.fillAndDrain(PrefillPipeline.chunkCycles(graph: graph, schedule: schedule, layout: layout, routing: routing,
                                                                            target: target, chunks: chunks, kvContext: context, regions: regions))
        }
        return PrefillPipeline.sat(schedule.cyclesPerToken, max(0, flowShop(n) - flowShop(1)))
    }

    /// The estimate for `draft` drafting `draftTokens` tokens per pass, each kept with
    /// probability `acceptanceRate`. Nil before the schedule pass. O(k x (phases + units x ops)).
    public init?(plain: PerformanceEstimate, graph: Graph, target: Target, draft: SpeculativeDraft, draftTokens k: Int, acceptanceRate a: Double) {
        guard let verify = Self.verifyCycles(graph: graph, target: target, tokens: k + 1), let partition = graph.partition else { return nil }
        self.draft = draft.name
        draftKind = draft.kind
        reason = draft.reason
        draftTokens = k
        acceptanceRate = a
        acceptanceRange = [draft.kind.acceptanceRange.lowerBound, draft.kind.acceptanceRange.upperBound]
        citation = draft.kind.citation
        tokensPerPass = Self.expectedTokensPerPass(draftTokens: k, acceptance: a)
        draftCyclesPerToken = draft.cyclesPerToken
        draftCyclesPerPass = Checked.product([k, draft.cyclesPerToken]) ?? Int.max / 4
        verifyCyclesPerPass = verify
        draftMicrosecondsPerPass = Double(draftCyclesPerPass) / draft.clockMhz
        verifyMicrosecondsPerPass = Double(verify) / plain.clockMhz
        draftResidentBytes = draft.residentBytes
        spareBytes = plain.spareBytes
        targetWafers = partition.stages.count
        draftLocation = draft.residentBytes <= plain.spareBytes ? .spareSram : .extraWafers
        draftWafers = draftLocation == .spareSram ? 0 : draft.wafers
        wafersTotal = targetWafers + draftWafers
        tokensPerS = plain.tokensPerS
        let passSeconds = Self.passSeconds(draftTokens: k, draft: draft, verifyCycles: verify, clockMhz: plain.clockMhz)
        speculativeTokensPerS = Self.tokensPerS(draftTokens: k, acceptance: a, passSeconds: passSeconds)
        let range = draft.kind.acceptanceRange, plainTokensPerS = max(plain.tokensPerS, 1e-300)
        func speed(_ acceptance: Double, _ scale: Double) -> Double {
            Self.tokensPerS(draftTokens: k, acceptance: acceptance, passSeconds: passSeconds) * scale
        }
        speculativeTokensPerSLow = min(speed(min(range.lowerBound, a), plain.tokensPerSLow / plainTokensPerS), speculativeTokensPerS)
        speculativeTokensPerSHigh = max(speed(max(range.upperBound, a), plain.tokensPerSHigh / plainTokensPerS), speculativeTokensPerS)
        // Reported to 0.001, as the plain figures are in JSON (computed from the exact values).
        func r(_ x: Double) -> Double { x.isFinite ? (x * 1000).rounded() / 1000 : x }
        (tokensPerPass, draftMicrosecondsPerPass, verifyMicrosecondsPerPass) = (r(tokensPerPass), r(draftMicrosecondsPerPass), r(verifyMicrosecondsPerPass))
        (tokensPerS, speculativeTokensPerS) = (r(tokensPerS), r(speculativeTokensPerS))
        (speculativeTokensPerSLow, speculativeTokensPerSHigh) = (r(speculativeTokensPerSLow), r(speculativeTokensPerSHigh))
    }

    /// The lines `sweep` prints under its table: each shown rank's speculative figure. O(rows).
    public static func sweepLines(_ ranked: [(rank: Int, estimate: SpeculativeEstimate?)]) -> String {
        let lines = ranked.compactMap { r in
            r.estimate.map { "  rank \(r.rank): \(Units.fixed($0.speculativeTokensPerS, digits: 1)) tokens/s per user on \(Units.count($0.wafersTotal, "wafer")) in all (plain \(Units.fixed($0.tokensPerS, digits: 1))), draft \($0.draft) in \($0.draftLocation.rawValue)\n" }
        }
        return lines.isEmpty ? "" : "\nspeculative decoding (--speculative):\n" + lines.joined()
    }

    /// The lines the text summaries print. O(1).
    public func summary() -> String {
        func f(_ x: Double, _ d: Int = 1) -> String { Units.fixed(x, digits: d) }
        var out = "speculative \(f(speculativeTokensPerS)) tokens/s per user, range \(f(speculativeTokensPerSLow, 0))-\(f(speculativeTokensPerSHigh, 0)) (plain \(f(tokensPerS)), x\(f(tokensPerS > 0 ? speculativeTokensPerS / tokensPerS : 0, 2))): "
        out += "draft \(draft) (\(draftKind.rawValue): \(reason))\n"
        out += "            k = \(draftTokens) drafted, acceptance \(f(acceptanceRate, 2)) (range \(f(acceptanceRange[0], 2))-\(f(acceptanceRange[1], 2)); \(citation)): "
        out += "\(f(tokensPerPass, 2)) tokens per pass; draft \(f(draftMicrosecondsPerPass)) us + verify \(f(verifyMicrosecondsPerPass)) us per pass\n"
        switch draftLocation {
        case .spareSram:
            out += "            draft in the target's spare SRAM (\(Units.gigabytes(draftResidentBytes)) of \(Units.gigabytes(spareBytes)) spare): \(Units.count(wafersTotal, "wafer")) in all\n"
        case .extraWafers:
            out += "            draft on \(Units.count(draftWafers, "extra wafer")) (\(Units.gigabytes(draftResidentBytes)) does not fit in \(Units.gigabytes(spareBytes)) spare): "
            out += "\(Units.count(wafersTotal, "wafer")) in all (\(targetWafers) target + \(draftWafers) draft)\n"
        }
        return out
    }
}
