import Foundation
import WaferPlan

/// The elementwise math both forward passes share (conventions the numeric check fixes, since
/// a plan does not record them): RMSNorm eps 1e-6, LayerNorm eps 1e-5, rotary embedding base
/// 10,000 in the rotate-half layout over a head's rope dimensions, the router's scores
/// softmax(logits) with the top-k chosen on scores + bias and renormalised.
public enum ModelMath {
    public static let rmsEpsilon = 1e-6
    public static let layerNormEpsilon = 1e-5
    public static let ropeBase = 10_000.0

    /// `act(x)`; SiLU when the op names none (and for `swiglu_oai`'s gate outside `gated`).
    public static func activate(_ x: Double, _ function: PlanActivation?) -> Double {
        switch function ?? .silu {
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .geluTanh: return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .relu: return max(0, x)
        case .relu2: return max(0, x) * max(0, x)
        case .silu, .swigluOai: return x / (1 + exp(-x))
        }
    }

    /// The gated product act(gate) * up, with gpt-oss's clamped form for `swiglu_oai`.
    public static func gated(_ gate: Double, _ up: Double, _ function: PlanActivation?) -> Double {
        if function == .swigluOai {
            let g = min(gate, 7), u = max(-7, min(up, 7))
            return (u + 1) * g / (1 + exp(-1.702 * g))
        }
        return activate(gate, function) * up
    }

    /// Rotates `v[offset ..< offset + dims]` for position `pos` (rotate-half pairs i, i + dims/2).
    public static func rope(_ v: inout [Double], offset: Int, dims: Int, pos: Int) {
        let half = dims / 2
        guard half > 0 else { return }
        for i in 0..<half {
            let angle = Double(pos) * pow(ropeBase, -2 * Double(i) / Double(dims))
            let a = v[offset + i], b = v[offset + i + half]
            v[offset + i] = a * cos(angle) - b * sin(angle)
            v[offset + i + half] = a * sin(angle) + b * cos(angle)
        }
    }

    /// The chosen experts and their weights. O(experts log experts).
    public static func route(_ logits: [Double], bias: [Double]?, topK: Int) -> [(expert: Int, weight: Double)] {
        let m = logits.max() ?? 0
        let e = logits.map { exp($0 - m) }
        let total = e.reduce(0, +)
        let scores = e.map { $0 / total }
        let ranked = scores.indices.sorted { (scores[$0] + (bias?[$0] ?? 0), -$0) > (scores[$1] + (bias?[$1] ?? 0), -$1) }
        let chosen = Array(ranked.prefix(max(0, topK)))
        let sum = chosen.reduce(0) { $0 + scores[$1] }
        return chosen.map { ($0, scores[$0] / max(sum, 1e-300)) }
    }
}
