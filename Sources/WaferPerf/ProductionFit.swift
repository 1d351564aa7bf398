import Foundation
import WaferSupport
import WaferTarget

/// A kernel profile fitted to production decode speeds (docs/performance-model.md, "Production
/// fit"): the profile's matvec efficiency is chosen to minimise the sum of squared log errors
/// `ln(predicted / published)` over the profile's fit rows; every other constant keeps its
/// prior value (the layer overhead WaferLLM's kernels measured, the relay cost, the overlap).
/// One constant from each generation's two fit rows, so the fit set tests the model's shape
/// across model sizes; the validation set tests the rest. The search is a log-spaced grid
/// refined by golden-section search (Kiefer 1953). O((grid + refinements) x rows x predict).
public struct ProductionFit: Sendable, Encodable {
    /// One fit row: its label, the published figure, and the prediction under a candidate
    /// profile (a re-timing of the row's compiled mapping, with speculative decoding as the row
    /// assumes).
    public struct Row: Sendable {
        public var label: String
        public var publishedTokensPerS: Double
        public var predict: @Sendable (KernelProfile) -> Double
        public init(label: String, publishedTokensPerS: Double, predict: @escaping @Sendable (KernelProfile) -> Double) {
            self.label = label; self.publishedTokensPerS = publishedTokensPerS; self.predict = predict
        }
    }

    public struct RowResult: Sendable, Encodable {
        public var label: String
        public var publishedTokensPerS: Double
        public var fittedTokensPerS: Double
        public var error: Double
    }

    public var profile: String
    public var matvecEfficiency: Double
    public var rows: [RowResult]
    public var maxAbsError: Double

    /// The search interval: efficiency 0.005...1 (a share of the hardware bound).
    public static let efficiencyRange: ClosedRange<Double> = 0.005...1

    public init(base: KernelProfile, rows: [Row]) {
        func profile(_ e: Double) -> KernelProfile {
            var p = base
            p.matvecEfficiency = .exact(e)
            return p
        }
        func loss(_ e: Double) -> Double {
            rows.reduce(0) { sum, row in
                let predicted = row.predict(profile(e))
                guard predicted > 0, row.publishedTokensPerS > 0 else { return .infinity }
                let l = log(predicted / row.publishedTokensPerS)
                return sum + l * l
            }
        }
        let (lo, hi) = (log(Self.efficiencyRange.lowerBound), log(Self.efficiencyRange.upperBound))
        var best = (e: base.matvecEfficiency.value, loss: Double.infinity)
        for i in 0...24 {
            let e = exp(lo + (hi - lo) * Double(i) / 24)
            let l = loss(e)
            if l < best.loss { best = (e, l) }
        }
        let step = (hi - lo) / 24, centre = log(best.e)
        best.e = exp(Self.goldenSection(max(lo, centre - step)...min(hi, centre + step)) { loss(exp($0)) })
        self.profile = base.name
        matvecEfficiency = (best.e * 10_000).rounded() / 10_000
        let final = profile(matvecEfficiency)
        self.rows = rows.map { r in
            let p = r.predict(final)
            return RowResult(label: r.label, publishedTokensPerS: r.publishedTokensPerS, fittedTokensPerS: p, error: p / r.publishedTokensPerS - 1)
        }
        maxAbsError = self.rows.map { abs($0.error) }.max() ?? 0
    }

    /// The minimum of a unimodal `f` on `range` to 1e-4 of its width by golden-section search.
    /// O(log(1 / tolerance)) evaluations.
    static func goldenSection(_ range: ClosedRange<Double>, _ f: (Double) -> Double) -> Double {
        let ratio = (5.0.squareRoot() - 1) / 2
        var (a, b) = (range.lowerBound, range.upperBound)
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var fc = f(c), fd = f(d)
        while b - a > 1e-4 * (range.upperBound - range.lowerBound) {
            if fc < fd { b = d; d = c; fd = fc; c = b - ratio * (b - a); fc = f(c) } else { a = c; c = d; fc = fd; d = a + ratio * (b - a); fd = f(d) }
        }
        return (a + b) / 2
    }
}
