import WaferSupport

/// Constants fitted to published measurements by least squares on relative error
/// (docs/performance-model.md, calibration); `errors` are the points' relative errors with the
/// rounded constants.
public struct CalibrationFit: Sendable, Encodable {
    /// One published point's layer-time terms (cycles), as the analytic model splits them: MAC
    /// count at 1 MAC per cycle, relay stages, decoder layers, everything else; and what was
    /// measured.
    public struct Term: Sendable {
        public var macCycles: Int
        public var relayStages: Int
        public var layers: Int
        public var otherCycles: Int
        public var measuredTokensPerS: Double
        /// The point's model (what leave-one-model-out validation holds out together) and region
        /// size P; labels only, the fit does not read them.
        public var model: String
        public var region: Int
        public init(macCycles: Int, relayStages: Int, layers: Int, otherCycles: Int, measuredTokensPerS: Double, model: String = "", region: Int = 0) {
            self.macCycles = macCycles; self.relayStages = relayStages; self.layers = layers
            self.otherCycles = otherCycles; self.measuredTokensPerS = measuredTokensPerS
            self.model = model; self.region = region
        }
    }
    public var macsPerCycle: Double
    public var relayCycles: Int
    public var layerOverheadCycles: Int
    public var errors: [Double]
    public var maxAbsError: Double

    /// Least squares on relative error for (1 / MACs per cycle, relay cycles, layer overhead):
    /// cycles = macCycles x a + relayStages x r + layers x o + otherCycles against the measured
    /// cycles per token; the normal equations are solved by Gaussian elimination. The constants
    /// are then rounded (MACs per cycle to 0.01, cycles to integers) and the errors recomputed.
    /// O(points).
    public init(_ points: [Term], clockMHz: Double) throws(DiagnosticError) {
        var ata = [[Double]](repeating: [0, 0, 0], count: 3), atb = [0.0, 0, 0]
        for p in points {
            let measured = clockMHz * 1e6 / p.measuredTokensPerS
            let row = [Double(p.macCycles) / measured, Double(p.relayStages) / measured, Double(p.layers) / measured]
            let rhs = 1 - Double(p.otherCycles) / measured
            for i in 0..<3 {
                for j in 0..<3 { ata[i][j] += row[i] * row[j] }
                atb[i] += row[i] * rhs
            }
        }
        guard let x = Self.solve3(ata, atb), x[0] > 0 else {
            throw .error(PerfFailure.calibrationSingular, "the calibration points do not determine the constants (a singular or non-physical fit); add points at more region sizes", at: nil)
        }
        let macs = (1 / x[0] * 100).rounded() / 100
        let relay = Int(x[1].rounded()), overhead = Int(x[2].rounded())
        let errors = points.map { Self.tokensPerS($0, macsPerCycle: macs, relayCycles: relay, layerOverheadCycles: overhead, clockMHz: clockMHz) / $0.measuredTokensPerS - 1 }
        macsPerCycle = macs; relayCycles = relay; layerOverheadCycles = overhead
        self.errors = errors; maxAbsError = errors.map { abs($0) }.max() ?? 0
    }

    /// The decode speed these constants predict for `point`: clock / (ceil(MAC cycles / MACs per
    /// cycle) + relay stages x relay cycles + layers x layer overhead + other cycles). O(1).
    public func tokensPerS(_ point: Term, clockMHz: Double) -> Double {
        Self.tokensPerS(point, macsPerCycle: macsPerCycle, relayCycles: relayCycles, layerOverheadCycles: layerOverheadCycles, clockMHz: clockMHz)
    }

    static func tokensPerS(_ p: Term, macsPerCycle: Double, relayCycles: Int, layerOverheadCycles: Int, clockMHz: Double) -> Double {
        let cycles = (Double(p.macCycles) / macsPerCycle).rounded(.up) + Double(p.relayStages * relayCycles + p.layers * layerOverheadCycles + p.otherCycles)
        return clockMHz * 1e6 / cycles
    }

    /// Solves a 3x3 system by Gaussian elimination with partial pivoting; nil when singular. O(1).
    static func solve3(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a.enumerated().map { $0.element + [b[$0.offset]] }
        for col in 0..<3 {
            guard let pivot = (col..<3).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), abs(m[pivot][col]) > 1e-300 else { return nil }
            m.swapAt(col, pivot)
            for row in 0..<3 where row != col {
                let f = m[row][col] / m[col][col]
                for k in col..<4 { m[row][k] -= f * m[col][k] }
            }
        }
        let x = (0..<3).map { m[$0][3] / m[$0][$0] }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
