import WaferFrontend
import WaferMap
import WaferPasses
import WaferPerf
import WaferReport
import WaferSupport

/// What `wafermap serve` answers: the deployments it compiled and priced, ranked, with the
/// assumptions behind every figure.
public struct ServeReport: Sendable, Encodable {
    public var model: String
    public var target: String
    /// The traffic in words, e.g. "64 concurrent users, 131,072-token context".
    public var traffic: String
    public var contextTokens: Int
    public var promptTokens: Int
    public var outputTokens: Int?
    public var minTokensPerSPerUser: Double?
    public var maxTimeToFirstTokenMs: Double?
    public var rows: [ServeDeployment]
    /// Replica compiles: one line each (flags, wafers, how long it took is left out: outputs are
    /// deterministic).
    public var replicasCompiled: [String]
    /// Replica configurations that did not compile, with the reason.
    public var skipped: [String]
    public var assumptions: [String]
}

extension Driver {
    /// Sizes a deployment (docs/serving.md): compiles the model once per candidate replica (each
    /// sequences-per-replica count crossed with each micro-batch; through the schedule pass, on
    /// the fewest wafers that hold the weights and every placed KV cache), prices every candidate
    /// under each prefill placement with `ServeModel`, and ranks them. O(candidates x compile).
    public static func serve(_ request: ServeRequest, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> ServeReport {
        let request = try request.validated()
        var base = request.count
        base.lastPass = "schedule"
        base.deployment.wafers = .auto
        base.deployment.promptTokens = request.resolvedPromptTokens
        if base.model == nil { base.model = try ModelLoader.load(path: base.modelPath) }
        let candidates = Self.serveCandidates(request)
        var replicas: [ServeReplica] = [], compiled: [String] = [], skipped: [String] = []
        var modelName = "", targetName = base.target, linkGbps = 1.0
        // The candidates compile on all threads (`parallelMap`: results in candidate order, so the
        // output does not depend on the thread count); progress names each as it starts.
        nonisolated(unsafe) let say = progress
        let start = base
        let label = { @Sendable (i: Int) in "replica \(i + 1) of \(candidates.count): \(Units.count(candidates[i].sequences, "sequence")) placed, micro-batch \(candidates[i].batch)" }
        let outcomes = parallelMap(candidates.count) { i -> Result<CountReport, DiagnosticError> in
            var count = start
            count.deployment.batch = candidates[i].batch
            count.deployment.sequences = candidates[i].sequences
            say(label(i))
            do throws(DiagnosticError) { return .success(try Driver.count(count)) } catch { return .failure(error) }
        }
        for (i, outcome) in outcomes.enumerated() {
            do throws(DiagnosticError) {
                let report = try outcome.get()
                let count = { var c = base; c.deployment.batch = candidates[i].batch; c.deployment.sequences = candidates[i].sequences; return c }()
                modelName = report.results.first?.graph.name ?? modelName
                targetName = report.target.name
                linkGbps = report.target.waferLinkGbps
                for result in report.results {
                    guard let e = PerformanceEstimate(graph: result.graph, target: report.target, promptTokens: base.deployment.promptTokens) else {
                        throw .error(DriverFailure.invariant, "internal: no schedule for a serve replica", at: nil)
                    }
                    let replica = Self.serveReplica(result, estimate: e, count: count, label: report.results.count > 1)
                    replicas.append(replica)
                    compiled.append("\(replica.flags): \(Units.count(replica.wafers, "wafer")), \(Units.fixed(e.tokensPerS, digits: 1)) tokens/s per user uncontended")
                }
            } catch where !error.diagnostics.contains(where: ExitStatus.isInternal) {
                skipped.append("\(label(i)): \(error.diagnostics.first?.message ?? "failed")")
            }
        }
        guard !replicas.isEmpty else {
            throw DiagnosticError(Diagnostic(.error, DriverFailure.sweepNothingCompiled, "no replica of the deployment compiled", at: nil, notes: skipped.map { .note($0) }))
        }
        var rows: [ServeDeployment] = []
        for replica in replicas {
            let prefillReplica = replicas.filter { $0.precision == replica.precision && $0.microBatch == 1 }.min { $0.sequences < $1.sequences }
            for prefill in request.resolvedPrefill {
                if let row = ServeModel.deployment(replica, prefill: prefill, prefillReplica: prefillReplica, request: request, linkGbps: linkGbps) { rows.append(row) }
            }
        }
        return ServeReport(model: modelName, target: targetName, traffic: Self.trafficText(request), contextTokens: base.deployment.contextTokens,
                           promptTokens: request.resolvedPromptTokens, outputTokens: request.outputTokens,
                           minTokensPerSPerUser: request.minTokensPerSPerUser, maxTimeToFirstTokenMs: request.maxTimeToFirstTokenMs,
                           rows: ServeModel.rank(rows), replicasCompiled: compiled, skipped: skipped, assumptions: Self.serveAssumptions(request))
    }

    /// The replica configurations to compile: sequences per replica (users mode: the users, then
    /// halved until one; rate mode: 1, 2, 4, ... up to `maxSequencesPerReplica`) crossed with every
    /// micro-batch no larger. O(log users x micro-batches).
    static func serveCandidates(_ request: ServeRequest) -> [(sequences: Int, batch: Int)] {
        var sequences: [Int] = []
        switch request.traffic {
        case let .users(u):
            var n = u
            while true {
                if n <= request.maxSequencesPerReplica { sequences.append(n) }
                if n == 1 { break }
                n = Checked.ceilDiv(n, 2)
            }
        case .requestRate:
            var n = 1
            while n <= request.maxSequencesPerReplica { sequences.append(n); n *= 2 }
        }
        if !sequences.contains(1) { sequences.append(1) }
        let batches = Array(Set(request.microBatches)).sorted()
        return sequences.flatMap { n in batches.filter { $0 <= n }.map { (n, $0) } }
    }

    static func serveReplica(_ result: CountResult, estimate e: PerformanceEstimate, count: CountRequest, label: Bool) -> ServeReplica {
        let d = count.deployment
        var flags = "--context \(d.contextTokens) --batch \(d.batch)"
        if d.residentSequences > d.batch { flags += " --sequences \(d.residentSequences)" }
        if label || !count.precisions.isEmpty { flags += " --precision \(result.precisionLabel.contains("[") ? "'\(result.precisionLabel)'" : result.precisionLabel)" }
        let spec = result.speculative
        let gain = spec.map { $0.speculativeTokensPerS / max($0.tokensPerS, 1e-12) }
        return ServeReplica(precision: result.precisionLabel, wafers: result.partition.stages.count, microBatch: d.batch, sequences: d.residentSequences,
                            batching: e.batching, tokensPerS: e.tokensPerS, tokensPerSLow: e.tokensPerSLow, tokensPerSHigh: e.tokensPerSHigh,
                            prefillSeconds: e.timeToFirstTokenS, prefillSerialSeconds: e.timeToFirstTokenSerialS,
                            kvBytesPerSequence: e.kvBytesPerSequence, contextTokens: d.contextTokens,
                            speculativeGain: gain, draftWafers: spec.map { $0.draftLocation == .extraWafers ? $0.draftWafers : 0 } ?? 0, flags: flags)
    }

    static func trafficText(_ request: ServeRequest) -> String {
        let context = "\(Units.grouped(request.count.deployment.contextTokens))-token context"
        switch request.traffic {
        case let .users(u): return "\(Units.count(u, "concurrent user")), \(context)"
        case let .requestRate(r): return "\(Units.fixed(r, digits: 2)) requests/s, \(context)"
        }
    }

    /// What every row assumes, in words (printed under the table and in JSON).
    static func serveAssumptions(_ request: ServeRequest) -> [String] {
        var out = [
            "each replica is compiled through the schedule pass on the fewest wafers holding its weights and every placed KV cache; `--emit DIR` builds and checks the first row's plan",
            "sequences take turns in micro-batches: a round lasts max(one pass, micro-batches x the busiest region's pass); per-user tokens/s = 1 / round (docs/performance-model.md, \"Batching\")",
            "ranges: the unpublished hardware and kernel constants at each end (docs/performance-model.md, \"Uncertainty\"), applied to the whole row",
            "first token: the prompt pipelined through the regions (lower bound) to every unit in turn (upper bound); targets are checked at the lower bound",
        ]
        if request.outputTokens == nil, case .users = request.traffic {
            out.append("long sessions: prefill is not charged to decode (give --output-tokens to charge each request's prefill)")
        } else {
            out.append("each request prefills \(Units.grouped(request.resolvedPromptTokens)) prompt tokens and decodes \(Units.grouped(request.outputTokens ?? 0)); requests/s per replica = sequences / (first token + output / per-user speed) (Little's law)")
        }
        if request.resolvedPrefill.contains(.separate) || request.resolvedPrefill.contains(where: { if case .remote = $0 { true } else { false } }) {
            out.append("prefill off the decode wafers moves the prompt's KV cache over the wafer link at its full bandwidth")
        }
        if request.count.speculative != nil {
            out.append("speculative decoding multiplies per-user speed by its single-sequence gain only where a pass's latency sets the round (no gain where the busiest region is saturated)")
        }
        out.append("costs: wafers x hours per million output tokens at the aggregate rate; no host, network or idle time")
        return out
    }
}
