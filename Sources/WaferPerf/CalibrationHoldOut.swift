import WaferSupport

/// Leave-one-model-out validation of `CalibrationFit` (docs/performance-model.md, "Held-out
/// error"): the in-sample error of a three-constant fit to the same points it predicts says
/// little, so each model in the set is held out in turn, the constants are fitted to the other
/// models' points only, and the held-out model's points are predicted with those constants.
/// `maxAbsError` (`held_out_max_abs_error` in the calibration report's JSON) is the largest
/// relative error over every point, each predicted by a fit that never saw it.
public struct CalibrationHoldOut: Sendable, Encodable {
    /// The constants fitted without one model.
    public struct Fold: Sendable, Encodable {
        public var heldOutModel: String
        /// Points the fold was fitted to (those of every other model).
        public var fittedPoints: Int
        public var macsPerCycle: Double
        public var relayCycles: Int
        public var layerOverheadCycles: Int
    }
    /// One point predicted by the fold that held its model out.
    public struct Point: Sendable, Encodable {
        public var model: String
        public var region: Int
        public var measuredTokensPerS: Double
        public var heldOutTokensPerS: Double
        public var heldOutError: Double
    }
    public var folds: [Fold]
    /// In the order of the input points.
    public var points: [Point]
    public var maxAbsError: Double

    /// For each distinct model (in order of first appearance): fits `CalibrationFit` to the
    /// points of every other model and predicts the held-out model's points with the fold's
    /// rounded constants (`CalibrationFit.tokensPerS`). Nil when the points hold fewer than two
    /// models (nothing to hold out against). Throws `calibration.singular`, naming the held-out
    /// model, when the remaining points do not determine the constants. O(models x points).
    public static func leaveOneModelOut(_ terms: [CalibrationFit.Term], clockMHz: Double) throws(DiagnosticError) -> CalibrationHoldOut? {
        var models: [String] = []
        for t in terms where !models.contains(t.model) { models.append(t.model) }
        guard models.count >= 2 else { return nil }
        var folds: [Fold] = []
        var predicted = [Double](repeating: 0, count: terms.count)
        for model in models {
            let fit: CalibrationFit
            let training = terms.filter { $0.model != model }
            do {
                fit = try CalibrationFit(training, clockMHz: clockMHz)
            } catch {
                throw .error(PerfFailure.calibrationSingular, "holding out \(model), the other models' \(training.count) points do not determine the constants; add points at more region sizes", at: nil)
            }
            folds.append(Fold(heldOutModel: model, fittedPoints: training.count, macsPerCycle: fit.macsPerCycle,
                              relayCycles: fit.relayCycles, layerOverheadCycles: fit.layerOverheadCycles))
            for (i, t) in terms.enumerated() where t.model == model { predicted[i] = fit.tokensPerS(t, clockMHz: clockMHz) }
        }
        let points = zip(terms, predicted).map { t, p in
            Point(model: t.model, region: t.region, measuredTokensPerS: t.measuredTokensPerS, heldOutTokensPerS: p,
                  heldOutError: p / t.measuredTokensPerS - 1)
        }
        return CalibrationHoldOut(folds: folds, points: points, maxAbsError: points.map { abs($0.heldOutError) }.max() ?? 0)
    }
}
