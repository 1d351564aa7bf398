import Foundation
import WaferSupport
import WaferTarget

/// A kernel profile fitted to production decode speeds (docs/performance-model.md, "Production
/// fit"): the profile's matvec efficiency and layer overhead are chosen to minimise the sum of
/// squared log errors `ln(predicted / published)` over the profile's fit rows; every other
/// constant keeps its prior value. Two constants per generation from its two fit rows: the fit
/// set cannot test the model's form, so the validation set is the test. The search is a
/// log-spaced grid (efficiency) by a linear grid (overhead), refined by coordinate-wise
/// golden-section search (Kiefer 1953). O((grid + refinements) x rows x predict).
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
    public var layerOverheadCycles: Double
    public var rows: [RowResult]
    public var maxAbsError: Double

    /// The search box: efficiency 0.01...1 (a share of the hardware bound), overhead 0...40,000
    /// cycles per layer (14x WaferLLM's fitted 2,765).
    public static let efficiencyRange: ClosedRange<Double> = 0.01...1
    public static let overheadRange: ClosedRange<Double> = 0...40_000

    public init(base: KernelProfile, rows: [Row]) {
        func profile(_ e: Double, _ o: Double) -> KernelProfile {
            var p = base
            p.matvecEfficiency = .exact(e)
            p.layerOverheadCycles = .exact(o.rounded())
            return p
        }
        func loss(_ e: Double, _ o: Double) -> Double {
            rows.reduce(0) { sum, row in
                let predicted = row.predict(profile(e, o))
                guard predicted > 0, row.publishedTokensPerS > 0 else { return .infinity }
                let l = log(predicted / row.publishedTokensPerS)
                return sum + l * l
            }
        }
        let (lo, hi) = (log(Self.efficiencyRange.lowerBound), log(Self.efficiencyRange.upperBound))
        var best = (e: base.matvecEfficiency.value, o: base.layerOverheadCycles.value, loss: Double.infinity)
        for i in 0...16 {
            let e = exp(lo + (hi - lo) * Double(i) / 16)
            for j in 0...16 {
                let o = Self.overheadRange.upperBound * Double(j) / 16
                let l = loss(e, o)
                if l < best.loss { best = (e, o, l) }
            }
        }
        for _ in 0..<4 {
            let e = exp(Self.goldenSection(lo...hi) { loss(exp($0), best.o) })
            best.e = e
            best.o = Self.goldenSection(Self.overheadRange) { loss(best.e, $0) }
        }
        let fitted = profile(best.e, best.o)
        self.profile = base.name
        matvecEfficiency = (best.e * 10_000).rounded() / 10_000
        layerOverheadCycles = best.o.rounded()
        let final = profile(matvecEfficiency, layerOverheadCycles)
        _ = fitted
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
