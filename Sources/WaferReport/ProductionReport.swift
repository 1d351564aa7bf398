import WaferPerf
import WaferSupport
import WaferTarget

/// The outcome of `wafermap calibrate --production` (docs/performance-model.md, "Production on
/// WSE-3"): each published production figure beside the prediction for the same model compiled
/// on the data file's target with the row's kernel profile, fit set and validation set apart.
/// With `--fit` each profile is first fitted to its own fit rows (`ProductionCalibration`), and
/// every row is predicted with the fitted profiles; validation rows are never fitted to.
public struct ProductionReport: Sendable, Encodable {
    public struct Row: Sendable, Encodable {
        public var model: String
        /// `fit` or `validation` (`ProductionSet.Role`).
        public var set: String
        public var kernels: String
        public var date: String
        public var publishedTokensPerS: Double
        public var publishedTokensPerSLow: Double
        public var publishedTokensPerSHigh: Double
        /// The prediction (speculative decoding included where the row assumes it) with its range.
        public var predictedTokensPerS: Double
        public var predictedTokensPerSLow: Double
        public var predictedTokensPerSHigh: Double
        /// Whether the published figure (or its published spread) meets the predicted range.
        public var insideRange: Bool
        /// Predicted over published (above 1: the model is faster than production).
        public var ratio: Double
        public var decoderLayers: Int
        /// The predicted time of one decoder layer in one decode pass (microseconds).
        public var predictedLayerUs: Double
        /// The published token time over the decoder layers (microseconds): an upper bound on
        /// production's per-layer time, since embedding, LM head and transfers are in it.
        public var publishedLayerUs: Double
        public var publishedPrecision: String
        public var compiledPrecision: String
        /// Systems as published (nil: undisclosed) and as compiled.
        public var publishedWafers: Int?
        public var wafers: Int
        public var publishedWafersFit: Bool
        /// `no`, `yes` or `assumed`.
        public var speculative: String
        public var source: String

        public init(_ row: ProductionSet.Row, model: String, estimate: PerformanceEstimate, predicted: (value: Double, low: Double, high: Double),
                    wafers: Int, precision: String) {
            self.model = model; set = row.role.rawValue; kernels = row.kernels; date = row.date
            publishedTokensPerS = row.tokensPerS; publishedTokensPerSLow = row.tokensPerSLow; publishedTokensPerSHigh = row.tokensPerSHigh
            predictedTokensPerS = predicted.value; predictedTokensPerSLow = predicted.low; predictedTokensPerSHigh = predicted.high
            insideRange = row.tokensPerSHigh >= predicted.low && row.tokensPerSLow <= predicted.high
            ratio = predicted.value / row.tokensPerS
            decoderLayers = estimate.decoderLayers
            predictedLayerUs = estimate.decoderLayers > 0 ? Double(estimate.decoderLayerCycles) / Double(estimate.decoderLayers) / estimate.clockMhz : 0
            publishedLayerUs = estimate.decoderLayers > 0 ? 1e6 / row.tokensPerS / Double(estimate.decoderLayers) : 0
            publishedPrecision = row.precision; compiledPrecision = precision
            publishedWafers = row.wafers; self.wafers = wafers; publishedWafersFit = row.wafers.map { $0 == wafers } ?? true
            speculative = row.speculative.rawValue; source = row.source
        }
    }
    /// One profile's fit: the constants (with their ranges) and the in-sample errors.
    public struct Fit: Sendable, Encodable {
        public var profile: String
        public var matvecEfficiency: Uncertain
        public var layerOverheadCycles: Uncertain
        public var rows: [ProductionFit.RowResult]
        public var maxAbsError: Double
        public init(profile: String, matvecEfficiency: Uncertain, layerOverheadCycles: Uncertain, rows: [ProductionFit.RowResult], maxAbsError: Double) {
            self.profile = profile; self.matvecEfficiency = matvecEfficiency; self.layerOverheadCycles = layerOverheadCycles
            self.rows = rows; self.maxAbsError = maxAbsError
        }
    }
    public var source: String
    public var target: String
    public var contextTokens: Int
    /// Whether the kernel profiles were fitted to the fit set in this run.
    public var fitted: Bool
    public var fits: [Fit]
    public var fitSet: [Row]
    public var validationSet: [Row]
    public var fitMaxAbsError: Double
    public var validationInsideRange: Bool

    public init(source: String, target: String, contextTokens: Int, rows: [Row], fits: [Fit]) {
        self.source = source; self.target = target; self.contextTokens = contextTokens
        fitted = !fits.isEmpty
        self.fits = fits
        fitSet = rows.filter { $0.set == ProductionSet.Role.fit.rawValue }
        validationSet = rows.filter { $0.set == ProductionSet.Role.validation.rawValue }
        fitMaxAbsError = fitSet.map { abs($0.ratio - 1) }.max() ?? 0
        validationInsideRange = validationSet.allSatisfy(\.insideRange)
    }

    /// With `fit`, fits each profile to its own fit rows (`ProductionCalibration`); then predicts
    /// every compiled row with its (fitted) profile, central figure and range. Nil when a row's
    /// mapping has no schedule. O(profiles x fit + rows x estimate).
    public init?(set: ProductionSet, target: String, cases: [ProductionCase], profiles given: [String: KernelProfile], fit: Bool) {
        var profiles = given
        var fits: [Fit] = []
        if fit {
            for (name, fitted) in ProductionCalibration.fit(cases, profiles: profiles).sorted(by: { $0.key < $1.key }) {
                if let base = profiles[name] { profiles[name] = ProductionCalibration.profile(base, fitted) }
                fits.append(.init(profile: name, matvecEfficiency: fitted.matvecEfficiency, layerOverheadCycles: fitted.layerOverheadCycles,
                                  rows: fitted.central.rows, maxAbsError: fitted.central.maxAbsError))
            }
        }
        var rows: [Row] = []
        for c in cases {
            guard let profile = profiles[c.row.kernels] else { continue }
            guard let estimate = c.estimate(profile) else { return nil }
            let predicted = (c.tokensPerS(profile), c.tokensPerS(profile, .slowest), c.tokensPerS(profile, .fastest))
            rows.append(.init(c.row, model: c.graph.name, estimate: estimate, predicted: predicted, wafers: c.graph.layout?.wafers.count ?? 0,
                              precision: c.graph.precision.description))
        }
        self.init(source: set.source, target: target, contextTokens: set.contextTokens, rows: rows, fits: fits)
    }

    /// The fits, then the two tables, fit set first, with what each row assumes. O(rows).
    public func text() -> String {
        var out = "production  \(source)\n"
        out += "target      \(target); context \(Units.grouped(contextTokens)) tokens (not published; assumed); batch 1; whole model per token\n"
        out += "            range: every unpublished constant at its slow end, then its fast end; published layer time = published token time / decoder layers\n"
        if fitted {
            out += "\nfit         each kernel profile's matvec efficiency fitted to its own fit rows only (every other constant at its prior); range: refitted at the ends of the clock's, and for speculative rows the acceptance's and the draft's, ranges:\n"
            for f in fits {
                out += "  \(f.profile): matvec_efficiency \(f.matvecEfficiency.text(digits: 4)) (layer_overhead_cycles held at \(f.layerOverheadCycles.text(digits: 0))); in-sample errors "
                out += f.rows.map { "\($0.label) \(Self.percent($0.error))" }.joined(separator: ", ") + "\n"
            }
        } else {
            out += "\nno fit in this run: each row predicted with its kernel profile as built in (--fit refits them)\n"
        }
        out += "\nfit set\(fitted ? " (fitted to)" : ""): max error \(Units.fixed(fitMaxAbsError * 100, digits: 1))% (goal: within 25%)\n\n" + Self.table(fitSet)
        out += "\nvalidation set (never fitted): \(validationInsideRange ? "every published figure inside its predicted range" : "NOT every published figure inside its predicted range")\n\n"
        out += Self.table(validationSet)
        return out
    }

    static func percent(_ e: Double) -> String { (e >= 0 ? "+" : "") + Units.fixed(e * 100, digits: 1) + "%" }

    static func table(_ rows: [Row]) -> String {
        var t = TextTable([("model", .left), ("date", .left), ("kernels", .left), ("published", .right), ("predicted", .right), ("range", .right),
                           ("inside", .left), ("ratio", .right), ("layers", .right), ("us/layer pred", .right), ("us/layer pub", .right),
                           ("precision pub / compiled", .left), ("wafers pub / compiled", .left), ("speculative", .left)])
        for r in rows {
            let published = r.publishedTokensPerSLow < r.publishedTokensPerSHigh
                ? "\(Units.fixed(r.publishedTokensPerS, digits: 0)) (\(Units.fixed(r.publishedTokensPerSLow, digits: 0))-\(Units.fixed(r.publishedTokensPerSHigh, digits: 0)))"
                : Units.fixed(r.publishedTokensPerS, digits: 0)
            t.add([r.model, r.date, r.kernels, published, Units.fixed(r.predictedTokensPerS, digits: 0),
                   "\(Units.fixed(r.predictedTokensPerSLow, digits: 0))-\(Units.fixed(r.predictedTokensPerSHigh, digits: 0))", r.insideRange ? "yes" : "NO",
                   Units.fixed(r.ratio, digits: 2) + "x", "\(r.decoderLayers)", Units.fixed(r.predictedLayerUs, digits: 1), Units.fixed(r.publishedLayerUs, digits: 1),
                   "\(r.publishedPrecision) / \(r.compiledPrecision)",
                   "\(r.publishedWafers.map(String.init) ?? "undisclosed") / \(r.wafers)" + (r.publishedWafersFit ? "" : " (does not fit \(r.publishedWafers ?? 0))"), r.speculative])
        }
        return t.render(indent: "")
    }

    public func json() -> String { JSONOutput.render(self) }
}
