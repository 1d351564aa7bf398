import WaferReport
import WaferPerf
import WaferSupport

/// The mappings `wafermap sweep` compiled, ranked, with the Pareto front marked and each
/// precision given a short label. Built only by `assemble` from the configurations' outcomes,
/// so the unsharded run and `wafermap merge` of its shards give the same report.
public struct SweepReport: Sendable, Encodable {
    public struct Row: Sendable, Codable {
        /// The full precision policy (`fp8_e4m3[block=128x128,scale=fp32] (embedding: bf16)`).
        public var precision: String
        /// Its short label in this report (`precisionLabels`); set by `assemble`.
        public var precisionLabel = ""
        public var wafers: Int
        /// Sequences decoded together, and tokens of context per sequence.
        public var batch: Int, contextTokens: Int
        public var slot: String
        public var mapping: String
        /// Tokens/s one user (sequence) sees.
        public var tokensPerS: Double
        /// The range the unpublished constants give (docs/performance-model.md, "Uncertainty").
        public var tokensPerSLow: Double, tokensPerSHigh: Double
        public var microsecondsPerToken: Double
        /// Time to first token, pipelined (a lower bound) and serial (an upper bound).
        public var timeToFirstTokenMs: Double, timeToFirstTokenSerialMs: Double
        /// Tokens/s of all sequences in flight together, and that per wafer.
        public var aggregateTokensPerS: Double
        public var sequencesInFlight: Int
        /// Shares of a token's time in allreduces and in MACs, in percent (for `WaferGainNote`).
        public var allreducePercent: Double, macPercent: Double
        public var speculative: SpeculativeEstimate?
        /// On the Pareto front of (tokens/s per user: max, aggregate tokens/s per wafer: max,
        /// wafers: min); set by `assemble`.
        public var pareto = false
        /// The flags that reproduce this mapping with `compile` (beside the command's own).
        public var flags: String
        /// The knobs this row's compile changed from their defaults, as `SECTION.KNOB=VALUE`
        /// (the base `--pass-option`s and this row's `--vary` values); empty at the defaults.
        public var passOptions: [String]

        public var aggregateTokensPerSPerWafer: Double { aggregateTokensPerS / Double(max(wafers, 1)) }

        public init(precision: String, wafers: Int, batch: Int, contextTokens: Int, slot: String, mapping: String, tokensPerS: Double,
                    tokensPerSLow: Double, tokensPerSHigh: Double, microsecondsPerToken: Double, timeToFirstTokenMs: Double,
                    timeToFirstTokenSerialMs: Double, aggregateTokensPerS: Double, sequencesInFlight: Int, allreducePercent: Double,
                    macPercent: Double, speculative: SpeculativeEstimate?, flags: String, passOptions: [String]) {
            self.precision = precision; self.wafers = wafers; self.batch = batch; self.contextTokens = contextTokens
            self.slot = slot; self.mapping = mapping; self.tokensPerS = tokensPerS; self.tokensPerSLow = tokensPerSLow
            self.tokensPerSHigh = tokensPerSHigh; self.microsecondsPerToken = microsecondsPerToken; self.timeToFirstTokenMs = timeToFirstTokenMs
            self.timeToFirstTokenSerialMs = timeToFirstTokenSerialMs; self.aggregateTokensPerS = aggregateTokensPerS
            self.sequencesInFlight = sequencesInFlight; self.allreducePercent = allreducePercent; self.macPercent = macPercent
            self.speculative = speculative; self.flags = flags; self.passOptions = passOptions
        }

        private enum CodingKeys: String, CodingKey {
            case precision, precisionLabel, wafers, batch, contextTokens, slot, mapping, tokensPerS, tokensPerSLow, tokensPerSHigh
            case microsecondsPerToken, timeToFirstTokenMs, timeToFirstTokenSerialMs, aggregateTokensPerS, sequencesInFlight
            case allreducePercent, macPercent, speculative, pareto, flags, passOptions, aggregateTokensPerSPerWafer
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(precision, forKey: .precision); try c.encode(precisionLabel, forKey: .precisionLabel)
            try c.encode(wafers, forKey: .wafers); try c.encode(batch, forKey: .batch); try c.encode(contextTokens, forKey: .contextTokens)
            try c.encode(slot, forKey: .slot); try c.encode(mapping, forKey: .mapping); try c.encode(tokensPerS, forKey: .tokensPerS)
            try c.encode(tokensPerSLow, forKey: .tokensPerSLow); try c.encode(tokensPerSHigh, forKey: .tokensPerSHigh)
            try c.encode(microsecondsPerToken, forKey: .microsecondsPerToken); try c.encode(timeToFirstTokenMs, forKey: .timeToFirstTokenMs)
            try c.encode(timeToFirstTokenSerialMs, forKey: .timeToFirstTokenSerialMs); try c.encode(aggregateTokensPerS, forKey: .aggregateTokensPerS)
            try c.encode(aggregateTokensPerSPerWafer, forKey: .aggregateTokensPerSPerWafer); try c.encode(sequencesInFlight, forKey: .sequencesInFlight)
            try c.encode(allreducePercent, forKey: .allreducePercent); try c.encode(macPercent, forKey: .macPercent)
            try c.encodeIfPresent(speculative, forKey: .speculative); try c.encode(pareto, forKey: .pareto)
            try c.encode(flags, forKey: .flags); try c.encode(passOptions, forKey: .passOptions)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(precision: try c.decode(String.self, forKey: .precision), wafers: try c.decode(Int.self, forKey: .wafers),
                      batch: try c.decode(Int.self, forKey: .batch), contextTokens: try c.decode(Int.self, forKey: .contextTokens),
                      slot: try c.decode(String.self, forKey: .slot), mapping: try c.decode(String.self, forKey: .mapping),
                      tokensPerS: try c.decode(Double.self, forKey: .tokensPerS), tokensPerSLow: try c.decode(Double.self, forKey: .tokensPerSLow),
                      tokensPerSHigh: try c.decode(Double.self, forKey: .tokensPerSHigh),
                      microsecondsPerToken: try c.decode(Double.self, forKey: .microsecondsPerToken),
                      timeToFirstTokenMs: try c.decode(Double.self, forKey: .timeToFirstTokenMs),
                      timeToFirstTokenSerialMs: try c.decode(Double.self, forKey: .timeToFirstTokenSerialMs),
                      aggregateTokensPerS: try c.decode(Double.self, forKey: .aggregateTokensPerS),
                      sequencesInFlight: try c.decode(Int.self, forKey: .sequencesInFlight),
                      allreducePercent: try c.decode(Double.self, forKey: .allreducePercent), macPercent: try c.decode(Double.self, forKey: .macPercent),
                      speculative: try c.decodeIfPresent(SpeculativeEstimate.self, forKey: .speculative),
                      flags: try c.decode(String.self, forKey: .flags), passOptions: try c.decode([String].self, forKey: .passOptions))
            precisionLabel = try c.decode(String.self, forKey: .precisionLabel)
            pareto = try c.decode(Bool.self, forKey: .pareto)
        }
    }

    /// A short precision label and the full policy it stands for.
    public struct Label: Sendable, Encodable, Equatable {
        public var label: String
        public var precision: String
    }

    public var header: SweepHeader
    public var model: String { header.model }
    public var target: String { header.target }
    /// Best first: tokens/s per user, then aggregate tokens/s per wafer, fewer wafers, smaller
    /// batch, shorter context, then the flags (a total order: the flags differ between rows).
    public var rows: [Row]
    /// Configurations that did not fit, with the reason, in configuration order.
    public var skipped: [String]
    /// Every label that is not the precision itself, by label.
    public var legend: [Label]

    private enum CodingKeys: String, CodingKey { case model, modelSha256, target, rows, skipped, legend, paretoObjectives }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(header.model, forKey: .model); try c.encode(header.modelSha256, forKey: .modelSha256); try c.encode(header.target, forKey: .target)
        try c.encode(rows, forKey: .rows); try c.encode(skipped, forKey: .skipped); try c.encode(legend, forKey: .legend)
        try c.encode(Self.paretoObjectives, forKey: .paretoObjectives)
    }

    /// The objectives the Pareto front trades, as the JSON report names them.
    public static let paretoObjectives = ["max tokens_per_s (per user)", "max aggregate_tokens_per_s_per_wafer", "min wafers"]

    /// The report of `outcomes` (every configuration's, in configuration order): rows ranked,
    /// the Pareto front marked, labels given. Throws when no row compiled. O(rows^2).
    public static func assemble(header: SweepHeader, outcomes: [SweepOutcome]) throws(DiagnosticError) -> SweepReport {
        var rows = outcomes.flatMap(\.rows)
        let skipped = outcomes.flatMap(\.skipped)
        guard !rows.isEmpty else {
            throw DiagnosticError(Diagnostic(.error, DriverFailure.sweepNothingCompiled, "no configuration of the sweep compiled", at: nil, notes: skipped.map { .note($0) }))
        }
        let front = paretoFront(rows)
        for i in rows.indices { rows[i].pareto = front[i] }
        rows.sort(by: ranksBefore)
        let labels = PrecisionLabel.labels(for: rows.map(\.precision))
        for i in rows.indices { rows[i].precisionLabel = labels[rows[i].precision] ?? rows[i].precision }
        let legend = labels.filter { $0.key != $0.value }.map { Label(label: $0.value, precision: $0.key) }.sorted { $0.label < $1.label }
        return SweepReport(header: header, rows: rows, skipped: skipped, legend: legend)
    }

    /// The ranking: tokens/s per user (higher first), then aggregate tokens/s per wafer (higher),
    /// wafers (fewer), batch (smaller), context (shorter), flags (lexicographic). O(1).
    static func ranksBefore(_ a: Row, _ b: Row) -> Bool {
        if a.tokensPerS != b.tokensPerS { return a.tokensPerS > b.tokensPerS }
        if a.aggregateTokensPerSPerWafer != b.aggregateTokensPerSPerWafer { return a.aggregateTokensPerSPerWafer > b.aggregateTokensPerSPerWafer }
        if a.wafers != b.wafers { return a.wafers < b.wafers }
        if a.batch != b.batch { return a.batch < b.batch }
        if a.contextTokens != b.contextTokens { return a.contextTokens < b.contextTokens }
        if a.flags != b.flags { return a.flags < b.flags }
        return a.precision < b.precision
    }

    /// Whether each row is on the Pareto front of the objectives a deployment trades: tokens/s
    /// per user (more is better), aggregate tokens/s per wafer (more is better) and wafers
    /// (fewer is better). A row is off the front when another row is at least as good in all
    /// three and strictly better in one; rows equal in all three are all on it. O(rows^2).
    public static func paretoFront(_ rows: [Row]) -> [Bool] {
        rows.indices.map { i in
            let r = rows[i]
            return !rows.indices.contains { j in
                let o = rows[j]
                guard j != i, o.tokensPerS >= r.tokensPerS, o.aggregateTokensPerSPerWafer >= r.aggregateTokensPerSPerWafer, o.wafers <= r.wafers else { return false }
                return o.tokensPerS > r.tokensPerS || o.aggregateTokensPerSPerWafer > r.aggregateTokensPerSPerWafer || o.wafers < r.wafers
            }
        }
    }
}

/// Short precision labels for the table: `bf16`, `fp8` (`fp8_e4m3`), `fp8e5`, `int4/g32` (group
/// scales of 32), `fp8/b128` (128 x 128 block scales), `int8/ch` (per-channel scales), and
/// `fp8/b128+2` for a policy with two role overrides. Labels that would name two policies get
/// `~1`, `~2` in the order of the policies' full text.
public enum PrecisionLabel {
    /// The label of each distinct policy text in `precisions`. O(n log n).
    public static func labels(for precisions: [String]) -> [String: String] {
        var byShort: [String: [String]] = [:]
        for full in Set(precisions) { byShort[short(full), default: []].append(full) }
        var out: [String: String] = [:]
        for (label, fulls) in byShort {
            if fulls.count == 1 { out[fulls[0]] = label; continue }
            for (i, full) in fulls.sorted().enumerated() { out[full] = "\(label)~\(i + 1)" }
        }
        return out
    }

    /// The short form of one policy text (`NumberFormat` / `PrecisionPolicy` descriptions). O(length).
    public static func short(_ full: String) -> String {
        // `DEFAULT (role: FORMAT, role: FORMAT)`: the default's label and the override count.
        if let open = full.firstIndex(of: "("), full.hasSuffix(")") {
            let head = full[..<open].trimmingCharacters(in: .whitespaces)
            let overrides = full[full.index(after: open)..<full.index(before: full.endIndex)].split(separator: ":").count - 1
            return short(String(head)) + "+\(overrides)"
        }
        let element = full.prefix { $0 != "[" }
        let name = element == "fp8_e4m3" ? "fp8" : element == "fp8_e5m2" ? "fp8e5" : String(element)
        guard let open = full.firstIndex(of: "["), full.hasSuffix("]") else { return name }
        let fields = full[full.index(after: open)..<full.index(before: full.endIndex)].split(separator: ",")
        guard let first = fields.first else { return name }
        if first.hasPrefix("block=") {
            let dims = first.dropFirst(6).split(separator: "x")
            return name + "/b" + (dims.count == 2 && dims[0] == dims[1] ? String(dims[0]) : String(first.dropFirst(6)))
        }
        if first.hasPrefix("group=") { return name + "/g" + first.dropFirst(6) }
        if first == "channel" { return name + "/ch" }
        return name
    }
}
