import WaferPerf
import WaferSupport

/// The outcome of `wafermap calibrate --production` (docs/performance-model.md, "Production on
/// WSE-3"): each published production figure beside the performance model's prediction for the
/// same model compiled on the data file's target, fit set and validation set apart. Nothing is
/// fitted: the model has no kernel profile to fit yet, so the target's constants are used as
/// they are and this is the comparison before such a fit.
public struct ProductionReport: Sendable, Encodable {
    public struct Row: Sendable, Encodable {
        public var model: String
        /// `fit` or `validation` (`ProductionSet.Role`).
        public var set: String
        public var date: String
        public var publishedTokensPerS: Double
        public var publishedTokensPerSLow: Double
        public var publishedTokensPerSHigh: Double
        public var predictedTokensPerS: Double
        /// Predicted over published (above 1: the model is faster than production).
        public var ratio: Double
        public var decoderLayers: Int
        /// The predicted time of one decoder layer (microseconds).
        public var predictedLayerUs: Double
        /// The published token time over the decoder layers (microseconds): an upper bound on
        /// production's per-layer time, since embedding, LM head and transfers are in it.
        public var publishedLayerUs: Double
        /// As the source states it, and what the compile used (the model file's own precision).
        public var publishedPrecision: String
        public var compiledPrecision: String
        /// Systems as published (nil: undisclosed) and as compiled.
        public var publishedWafers: Int?
        public var wafers: Int
        /// False when the model does not fit the published count on this target (the compile
        /// then took the fewest that fit).
        public var publishedWafersFit: Bool
        /// `no`, `yes` or `assumed`; the prediction never includes speculative decoding.
        public var speculative: String
        public var source: String

        /// Compares `row` with `estimate` (the whole model per token, batch 1). O(1).
        public init(_ row: ProductionSet.Row, model: String, estimate: PerformanceEstimate, wafers: Int, precision: String) {
            self.model = model; set = row.role.rawValue; date = row.date
            publishedTokensPerS = row.tokensPerS; publishedTokensPerSLow = row.tokensPerSLow; publishedTokensPerSHigh = row.tokensPerSHigh
            predictedTokensPerS = estimate.tokensPerS; ratio = estimate.tokensPerS / row.tokensPerS
            decoderLayers = estimate.decoderLayers
            predictedLayerUs = estimate.decoderLayers > 0 ? Double(estimate.decoderLayerCycles) / Double(estimate.decoderLayers) / estimate.clockMhz : 0
            publishedLayerUs = estimate.decoderLayers > 0 ? 1e6 / row.tokensPerS / Double(estimate.decoderLayers) : 0
            publishedPrecision = row.precision; compiledPrecision = precision
            publishedWafers = row.wafers; self.wafers = wafers; publishedWafersFit = row.wafers.map { $0 == wafers } ?? true
            speculative = row.speculative.rawValue; source = row.source
        }
    }
    public var source: String
    public var target: String
    public var contextTokens: Int
    /// Whether any constant was fitted to the fit set (not yet: no kernel profile to fit).
    public var fitted: Bool
    public var note: String
    public var fitSet: [Row]
    public var validationSet: [Row]

    public init(source: String, target: String, contextTokens: Int, rows: [Row]) {
        self.source = source; self.target = target; self.contextTokens = contextTokens
        fitted = false
        note = "comparison only: the performance model has no kernel-profile concept yet, so no production profile is fitted; the \(target) target's constants are used as they are, and the prediction does not model speculative decoding"
        fitSet = rows.filter { $0.set == ProductionSet.Role.fit.rawValue }
        validationSet = rows.filter { $0.set == ProductionSet.Role.validation.rawValue }
    }

    /// The two tables, fit set first, with what each row assumes. O(rows).
    public func text() -> String {
        var out = "production  \(source)\n"
        out += "target      \(target); context \(Units.grouped(contextTokens)) tokens (not published; assumed); batch 1; whole model per token\n"
        out += "note        \(note)\n"
        out += "            published layer time = published token time / decoder layers (an upper bound: embedding, LM head and transfers are in it)\n"
        out += "\nfit set (constants may be fitted to these; none is yet):\n\n" + Self.table(fitSet)
        out += "\nvalidation set (reported, never fitted):\n\n" + Self.table(validationSet)
        return out
    }

    static func table(_ rows: [Row]) -> String {
        var t = TextTable([("model", .left), ("date", .left), ("published", .right), ("predicted", .right), ("ratio", .right),
                           ("layers", .right), ("us/layer pred", .right), ("us/layer pub", .right), ("precision pub / compiled", .left),
                           ("wafers pub / compiled", .left), ("speculative", .left)])
        for r in rows {
            let published = r.publishedTokensPerSLow < r.publishedTokensPerSHigh
                ? "\(Units.fixed(r.publishedTokensPerS, digits: 0)) (\(Units.fixed(r.publishedTokensPerSLow, digits: 0))-\(Units.fixed(r.publishedTokensPerSHigh, digits: 0)))"
                : Units.fixed(r.publishedTokensPerS, digits: 0)
            t.add([r.model, r.date, published, Units.fixed(r.predictedTokensPerS, digits: 0), Units.fixed(r.ratio, digits: 2) + "x",
                   "\(r.decoderLayers)", Units.fixed(r.predictedLayerUs, digits: 1), Units.fixed(r.publishedLayerUs, digits: 1),
                   "\(r.publishedPrecision) / \(r.compiledPrecision)",
                   "\(r.publishedWafers.map(String.init) ?? "undisclosed") / \(r.wafers)" + (r.publishedWafersFit ? "" : " (does not fit \(r.publishedWafers ?? 0))"), r.speculative])
        }
        return t.render(indent: "")
    }

    public func json() -> String { JSONOutput.render(self) }
}
