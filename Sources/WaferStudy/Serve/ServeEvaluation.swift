import Foundation
import WaferPerf
import WaferSupport

/// One compiled replica, as the serving model needs it: what `Driver.count` measured for a
/// micro-batch of `microBatch` with `sequences` KV caches placed (docs/serving.md).
public struct ServeReplica: Sendable {
    public var precision: String
    public var wafers: Int
    public var microBatch: Int
    public var sequences: Int
    public var batching: PipelineBatching
    /// The estimate's per-user figure and its range (the unpublished constants at each end).
    public var tokensPerS: Double, tokensPerSLow: Double, tokensPerSHigh: Double
    /// Prefill of one prompt on this mapping: pipelined (a lower bound) and serial (an upper bound), seconds.
    public var prefillSeconds: Double, prefillSerialSeconds: Double
    public var kvBytesPerSequence: Int
    public var contextTokens: Int
    /// Speculative decoding's single-sequence gain (speculative / plain tokens/s) and the draft's
    /// extra wafers per replica; nil without `--speculative`.
    public var speculativeGain: Double?, draftWafers: Int
    /// The flags that compile this replica with `compile`.
    public var flags: String

    public init(precision: String, wafers: Int, microBatch: Int, sequences: Int, batching: PipelineBatching, tokensPerS: Double, tokensPerSLow: Double,
                tokensPerSHigh: Double, prefillSeconds: Double, prefillSerialSeconds: Double, kvBytesPerSequence: Int, contextTokens: Int,
                speculativeGain: Double?, draftWafers: Int, flags: String) {
        self.precision = precision; self.wafers = wafers; self.microBatch = microBatch; self.sequences = sequences; self.batching = batching
        self.tokensPerS = tokensPerS; self.tokensPerSLow = tokensPerSLow; self.tokensPerSHigh = tokensPerSHigh; self.prefillSeconds = prefillSeconds
        self.prefillSerialSeconds = prefillSerialSeconds; self.kvBytesPerSequence = kvBytesPerSequence; self.contextTokens = contextTokens
        self.speculativeGain = speculativeGain; self.draftWafers = draftWafers; self.flags = flags
    }
}

/// A deployment: `replicas` copies of one compiled replica, a prefill placement, and what the
/// serving model predicts for it under the request's traffic.
public struct ServeDeployment: Sendable, Encodable {
    public var precision: String
    public var prefill: String
    public var replicas: Int
    public var wafersPerReplica: Int
    /// Wafers of the separate prefill pool (0 unless `prefill` is `separate`).
    public var prefillWafers: Int
    public var wafersTotal: Int
    /// KV caches each replica places, and the sequences the fullest replica decodes.
    public var sequencesPerReplica: Int
    public var usersPerReplica: Int
    public var microBatch: Int
    public var microBatchesInFlight: Int
    /// `latency` (a pass's latency sets the round) or `busiest region` (it never idles).
    public var boundBy: String
    public var tokensPerSPerUser: Double, tokensPerSPerUserLow: Double, tokensPerSPerUserHigh: Double
    public var aggregateTokensPerS: Double, aggregateTokensPerSLow: Double, aggregateTokensPerSHigh: Double
    public var aggregateTokensPerSPerWafer: Double
    /// Time to first token, milliseconds: lower and upper bound.
    public var timeToFirstTokenMs: Double, timeToFirstTokenMsHigh: Double
    /// Share of each replica's time spent prefilling (same-wafer prefill), percent.
    public var prefillSharePercent: Double
    /// Requests/s the deployment completes (nil in the steady state of long sessions).
    public var requestsPerS: Double?
    public var waferHoursPerMillionTokens: Double
    public var speculativeGain: Double?
    public var meetsTargets: Bool
    /// Which target a row misses, in words.
    public var misses: [String]
    public var pareto: Bool
    public var flags: String
}

extension ServeDeployment {
    /// Every figure to 3 decimals (what JSON prints; ranking is done before). O(1).
    func rounded() -> ServeDeployment {
        func r(_ x: Double) -> Double { x.isFinite ? (x * 1000).rounded() / 1000 : x }
        var d = self
        d.tokensPerSPerUser = r(d.tokensPerSPerUser); d.tokensPerSPerUserLow = r(d.tokensPerSPerUserLow); d.tokensPerSPerUserHigh = r(d.tokensPerSPerUserHigh)
        d.aggregateTokensPerS = r(d.aggregateTokensPerS); d.aggregateTokensPerSLow = r(d.aggregateTokensPerSLow); d.aggregateTokensPerSHigh = r(d.aggregateTokensPerSHigh)
        d.aggregateTokensPerSPerWafer = r(d.aggregateTokensPerSPerWafer); d.timeToFirstTokenMs = r(d.timeToFirstTokenMs); d.timeToFirstTokenMsHigh = r(d.timeToFirstTokenMsHigh)
        d.prefillSharePercent = r(d.prefillSharePercent); d.requestsPerS = d.requestsPerS.map(r); d.waferHoursPerMillionTokens = r(d.waferHoursPerMillionTokens)
        d.speculativeGain = d.speculativeGain.map(r)
        return d
    }
}

/// The serving model's arithmetic on compiled replicas (docs/serving.md): pure, O(1) per row.
public enum ServeModel {
    /// Per-user decode tokens/s when each of `users` sequences also prefills `prefillSeconds`
    /// on the same replica per request of `outputTokens`, with time to first token `ttft`: the
    /// positive root of `t v^2 + (O - v0 t + v0 a) v - v0 O = 0`, where `a = users x prefill`
    /// (from `v = v0 (1 - rho)`, `rho = requests/s x prefill`, `requests/s = users / (t + O / v)`).
    public static func decodeSpeedWithPrefill(plain v0: Double, users: Int, prefillSeconds: Double, outputTokens: Int, ttft: Double) -> Double {
        let a = Double(users) * prefillSeconds, o = Double(outputTokens), t = max(ttft, 1e-12)
        let b = o - v0 * t + v0 * a
        return (-b + (b * b + 4 * t * v0 * o).squareRoot()) / (2 * t)
    }

    /// The deployment of `replica` (and, for a separate prefill pool, `prefillReplica`) under
    /// `request`'s traffic and prefill placement; nil when the traffic cannot be placed (e.g.
    /// more users per replica than it holds). `linkGbps` is the wafer link's bandwidth, used to
    /// move a prompt's KV cache from prefill to decode wafers.
    public static func deployment(_ replica: ServeReplica, prefill: ServeRequest.Prefill, prefillReplica: ServeReplica?,
                                  request: ServeRequest, linkGbps: Double) -> ServeDeployment? {
        let output = request.outputTokens
        let prompt = request.resolvedPromptTokens
        let perUser: Int, replicas: Int
        switch request.traffic {
        case let .users(u):
            perUser = min(u, replica.sequences)
            replicas = Checked.ceilDiv(u, replica.sequences)
        case .requestRate:
            perUser = replica.sequences
            replicas = 1   // set below, once the rate one replica sustains is known
        }
        let load = replica.batching.load(sequences: perUser)
        var v0 = load.tokensPerSPerUser
        // A server enables speculation only where it helps: a gain below 1 is left off.
        let speculating = replica.speculativeGain.map { $0 > 1 && !load.bottleneckBound } ?? false
        if speculating, let gain = replica.speculativeGain { v0 *= gain }
        let kvTransfer = Double(replica.kvBytesPerSequence) * Double(prompt) / Double(max(replica.contextTokens, 1)) * 8 / (linkGbps * 1e9)
        var ttft: (low: Double, high: Double)
        switch prefill {
        case .same: ttft = (replica.prefillSeconds, replica.prefillSerialSeconds)
        case .separate:
            guard let p = prefillReplica else { return nil }
            ttft = (p.prefillSeconds + kvTransfer, p.prefillSerialSeconds + kvTransfer)
        case let .remote(rate): ttft = (Double(prompt) / rate + kvTransfer, Double(prompt) / rate + kvTransfer)
        }
        var v = v0
        if case .same = prefill, let output {
            v = decodeSpeedWithPrefill(plain: v0, users: perUser, prefillSeconds: replica.prefillSeconds, outputTokens: output, ttft: ttft.low)
        }
        let perReplicaRate = output.map { Double(perUser) / (ttft.low + Double($0) / v) }
        var count = replicas
        if case let .requestRate(rate) = request.traffic, let perReplicaRate { count = max(1, Int((rate / perReplicaRate).rounded(.up))) }
        let requestsPerS: Double? = {
            if case let .requestRate(rate) = request.traffic { return rate }
            return perReplicaRate.map { $0 * Double(count) }
        }()
        var prefillWafers = 0
        if case .separate = prefill, let p = prefillReplica {
            // Each prompt holds a prefill replica for its pipelined prefill; without a rate (long
            // sessions) the pool is one replica.
            let pool = requestsPerS.map { max(1, Int(($0 * p.prefillSeconds).rounded(.up))) } ?? 1
            prefillWafers = pool * p.wafers
        }
        let wafersPerReplica = replica.wafers + replica.draftWafers
        let total = count * wafersPerReplica + prefillWafers
        let users: Double = {
            if case let .users(u) = request.traffic { return Double(u) }
            return Double(count * perUser)
        }()
        let aggregate: Double = {
            if case let .requestRate(rate) = request.traffic, let output { return rate * Double(output) }
            return users * v
        }()
        let low = replica.tokensPerSLow / max(replica.tokensPerS, 1e-12), high = replica.tokensPerSHigh / max(replica.tokensPerS, 1e-12)
        var row = ServeDeployment(
            precision: replica.precision, prefill: prefill.description, replicas: count, wafersPerReplica: wafersPerReplica, prefillWafers: prefillWafers,
            wafersTotal: total, sequencesPerReplica: replica.sequences, usersPerReplica: perUser, microBatch: replica.microBatch,
            microBatchesInFlight: load.microBatches, boundBy: load.bottleneckBound ? "busiest region" : "latency",
            tokensPerSPerUser: v, tokensPerSPerUserLow: v * low, tokensPerSPerUserHigh: v * high,
            aggregateTokensPerS: aggregate, aggregateTokensPerSLow: aggregate * min(low, 1), aggregateTokensPerSHigh: aggregate * max(high, 1),
            aggregateTokensPerSPerWafer: aggregate / Double(max(total, 1)), timeToFirstTokenMs: ttft.low * 1e3, timeToFirstTokenMsHigh: ttft.high * 1e3,
            prefillSharePercent: 100 * max(0, 1 - v / max(v0, 1e-12)), requestsPerS: requestsPerS,
            waferHoursPerMillionTokens: Double(total) / max(aggregate, 1e-12) * 1e6 / 3600,
            speculativeGain: speculating ? replica.speculativeGain : nil, meetsTargets: true, misses: [], pareto: false,
            flags: replica.flags)
        row.misses = misses(row, request: request)
        row.meetsTargets = row.misses.isEmpty
        return row
    }

    /// The targets `row` misses, in words. O(1).
    static func misses(_ row: ServeDeployment, request: ServeRequest) -> [String] {
        var out: [String] = []
        if let x = request.minTokensPerSPerUser, row.tokensPerSPerUser < x {
            out.append("\(Units.fixed(row.tokensPerSPerUser, digits: 1)) tokens/s per user < \(Units.fixed(x, digits: 1))")
        }
        if let t = request.maxTimeToFirstTokenMs, row.timeToFirstTokenMs > t {
            out.append("first token \(Units.fixed(row.timeToFirstTokenMs, digits: 1)) ms > \(Units.fixed(t, digits: 1)) ms")
        }
        if let w = request.maxWafers, row.wafersTotal > w { out.append("\(row.wafersTotal) wafers > \(w)") }
        return out
    }

    /// Marks the Pareto front over (per-user tokens/s, aggregate tokens/s per wafer: both higher
    /// is better; total wafers: fewer is better) among `rows` that meet the targets (among all
    /// rows when none does), and sorts: rows meeting the targets first, then fewest wafers, fastest
    /// per user, cheapest per token, flags. O(rows^2).
    public static func rank(_ rows: [ServeDeployment]) -> [ServeDeployment] {
        var rows = rows
        let anyMeets = rows.contains { $0.meetsTargets }
        func dominates(_ a: ServeDeployment, _ b: ServeDeployment) -> Bool {
            a.tokensPerSPerUser >= b.tokensPerSPerUser && a.aggregateTokensPerSPerWafer >= b.aggregateTokensPerSPerWafer && a.wafersTotal <= b.wafersTotal
                && (a.tokensPerSPerUser > b.tokensPerSPerUser || a.aggregateTokensPerSPerWafer > b.aggregateTokensPerSPerWafer || a.wafersTotal < b.wafersTotal)
        }
        let pool = rows.indices.filter { !anyMeets || rows[$0].meetsTargets }
        for i in pool { rows[i].pareto = !pool.contains { dominates(rows[$0], rows[i]) } }
        rows.sort { a, b in
            if a.meetsTargets != b.meetsTargets { return a.meetsTargets }
            if a.wafersTotal != b.wafersTotal { return a.wafersTotal < b.wafersTotal }
            if a.tokensPerSPerUser != b.tokensPerSPerUser { return a.tokensPerSPerUser > b.tokensPerSPerUser }
            if a.waferHoursPerMillionTokens != b.waferHoursPerMillionTokens { return a.waferHoursPerMillionTokens < b.waferHoursPerMillionTokens }
            return (a.flags, a.prefill, a.precision) < (b.flags, b.prefill, b.precision)
        }
        return rows.map { $0.rounded() }
    }
}
