import Foundation
import WaferPlan

/// The dense reference forward pass: one decode step at a time over the model the plan's ops
/// describe, with whole matrices, a real KV cache (per layer, sliding windows trimmed), real
/// grouped-query attention (with q/k norms, biases, sinks), multi-head latent attention in its
/// naive form (keys and values re-expanded from the cached latents), top-k MoE routing with
/// shared experts, norms and the LM head. Double precision. It knows nothing of tiles, lines or
/// wafers: it is what the distributed run must agree with. O(parameters + context x width) per
/// step.
public struct ReferenceForward {
    let ops: [PlanOp]
    let hidden: Int
    let weights: WeightSource
    var cache: [String: [[Double]]] = [:]

    public init(ops: [PlanOp], hidden: Int, weights: WeightSource) { self.ops = ops; self.hidden = hidden; self.weights = weights }

    func m(_ name: String, expert: Int = 0, inputs: Int) -> (Int, Int) -> Double {
        let ref = WeightSource.TensorRef(name: name, expert: expert, kind: .matrix, inputs: inputs)
        return { r, c in weights.value(ref, row: r, column: c) }
    }
    func vec(_ name: String, _ n: Int, norm: Bool = false) -> [Double] {
        let ref = WeightSource.TensorRef(name: name, kind: norm ? .norm : .bias)
        return (0..<n).map { weights.value(ref, row: $0, column: 0) }
    }
    func mv(_ name: String, expert: Int = 0, out: Int, _ x: [Double]) -> [Double] {
        let w = m(name, expert: expert, inputs: x.count)
        return (0..<out).map { r in var s = 0.0; for c in x.indices { s += w(r, c) * x[c] }; return s }
    }
    static func rms(_ x: [Double], _ w: [Double]) -> [Double] {
        let ms = x.reduce(0) { $0 + $1 * $1 } / Double(max(x.count, 1))
        let k = 1 / (ms + ModelMath.rmsEpsilon).squareRoot()
        return x.indices.map { x[$0] * k * w[$0] }
    }
    static func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }

    /// Logits for `token` at `position`. O(parameters + context x width).
    public mutating func step(token: Int, position: Int) -> [Double] {
        var h = [Double](repeating: 0, count: hidden), cur = h, pending = h
        for op in ops {
            let a = op
            switch a.kind {
            case .embedding:
                let e = m("\(a.name).weight", inputs: hidden)
                h = (0..<hidden).map { e(token, $0) }; cur = h
            case .rmsnorm: cur = Self.rms(cur, vec("\(a.name).weight", cur.count, norm: true))
            case .layernorm:
                let mean = cur.reduce(0, +) / Double(cur.count)
                let v = cur.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(cur.count)
                let w = vec("\(a.name).weight", cur.count, norm: true)
                let b = a["bias"] == 1 ? vec("\(a.name).bias", cur.count) : [Double](repeating: 0, count: cur.count)
                cur = cur.indices.map { (cur[$0] - mean) / (v + ModelMath.layerNormEpsilon).squareRoot() * w[$0] + b[$0] }
            case .attention: pending = attention(a, cur, position)
            case .mla: pending = mla(a, cur, position)
            case .mlp: pending = mlp(a.name + ".", a, cur, inter: a["intermediate"], bias: a["bias"] == 1, expert: nil)
            case .moe: pending = moe(a, cur)
            case .add: h = Self.add(h, pending); cur = h
            case .lmHead:
                let name = a["tied"] == 1 ? (a.tiedWeight ?? "embed_tokens.weight") : "\(a.name).weight"
                var logits = mv(name, out: a["vocab"], cur)
                if a["bias"] == 1 { logits = Self.add(logits, vec("\(a.name).bias", logits.count)) }
                return logits
            default: break
            }
        }
        return []
    }

    mutating func attention(_ a: PlanOp, _ x: [Double], _ pos: Int) -> [Double] {
        let heads = a["heads"], kvHeads = max(a["kv_heads"], 1), d = a["head_dim"]
        var q = mv("\(a.name).q_proj.weight", out: heads * d, x), k = mv("\(a.name).k_proj.weight", out: kvHeads * d, x)
        let v0 = mv("\(a.name).v_proj.weight", out: kvHeads * d, x)
        var v = v0
        if a["qkv_bias"] == 1 {
            q = Self.add(q, vec("\(a.name).q_proj.bias", q.count)); k = Self.add(k, vec("\(a.name).k_proj.bias", k.count)); v = Self.add(v, vec("\(a.name).v_proj.bias", v.count))
        }
        for hd in 0..<heads {
            if a["qk_norm"] == 1 { let n = Self.rms(Array(q[(hd * d)..<((hd + 1) * d)]), vec("\(a.name).q_norm.weight", d, norm: true)); q.replaceSubrange((hd * d)..<((hd + 1) * d), with: n) }
            ModelMath.rope(&q, offset: hd * d, dims: d, pos: pos)
        }
        for g in 0..<kvHeads {
            if a["qk_norm"] == 1 { let n = Self.rms(Array(k[(g * d)..<((g + 1) * d)]), vec("\(a.name).k_norm.weight", d, norm: true)); k.replaceSubrange((g * d)..<((g + 1) * d), with: n) }
            ModelMath.rope(&k, offset: g * d, dims: d, pos: pos)
        }
        var entries = cache[a.name] ?? []
        entries.append(k + v)
        if a["sliding_window"] > 0 && entries.count > a["sliding_window"] { entries.removeFirst(entries.count - a["sliding_window"]) }
        cache[a.name] = entries
        let sinks = a["sinks"] == 1 ? vec("\(a.name).sinks", heads) : nil
        var out = [Double](repeating: 0, count: heads * d)
        for hd in 0..<heads {
            let g = hd / max(heads / kvHeads, 1)
            let scores = entries.map { e in (0..<d).reduce(0.0) { $0 + q[hd * d + $1] * e[g * d + $1] } / Double(d).squareRoot() }
            let mx = max(scores.max() ?? 0, sinks?[hd] ?? -Double.infinity)
            let ex = scores.map { exp($0 - mx) }
            let total = ex.reduce(0, +) + (sinks.map { exp($0[hd] - mx) } ?? 0)
            for (t, e) in entries.enumerated() { for i in 0..<d { out[hd * d + i] += ex[t] / total * e[kvHeads * d + g * d + i] } }
        }
        var o = mv("\(a.name).o_proj.weight", out: hidden, out)
        if a["o_bias"] == 1 { o = Self.add(o, vec("\(a.name).o_proj.bias", hidden)) }
        return o
    }

    mutating func mla(_ a: PlanOp, _ x: [Double], _ pos: Int) -> [Double] {
        let heads = a["heads"], nope = a["qk_nope_head_dim"], rope = a["qk_rope_head_dim"], vd = a["v_head_dim"], rank = a["kv_lora_rank"]
        var q: [Double]
        if a["q_lora_rank"] > 0 {
            let qa = Self.rms(mv("\(a.name).q_a_proj.weight", out: a["q_lora_rank"], x), vec("\(a.name).q_a_layernorm.weight", a["q_lora_rank"], norm: true))
            q = mv("\(a.name).q_b_proj.weight", out: heads * (nope + rope), qa)
        } else {
            q = mv("\(a.name).q_proj.weight", out: heads * (nope + rope), x)
        }
        for hd in 0..<heads { ModelMath.rope(&q, offset: hd * (nope + rope) + nope, dims: rope, pos: pos) }
        let kva = mv("\(a.name).kv_a_proj_with_mqa.weight", out: rank + rope, x)
        let latent = Self.rms(Array(kva[0..<rank]), vec("\(a.name).kv_a_layernorm.weight", rank, norm: true))
        var kr = Array(kva[rank...])
        ModelMath.rope(&kr, offset: 0, dims: rope, pos: pos)
        cache[a.name, default: []].append(latent + kr)
        let entries = cache[a.name] ?? []
        let expanded = entries.map { mv("\(a.name).kv_b_proj.weight", out: heads * (nope + vd), Array($0[0..<rank])) }
        var out = [Double](repeating: 0, count: heads * vd)
        for hd in 0..<heads {
            let qb = hd * (nope + rope), kb = hd * (nope + vd)
            let scores = entries.indices.map { t -> Double in
                var s = 0.0
                for i in 0..<nope { s += q[qb + i] * expanded[t][kb + i] }
                for i in 0..<rope { s += q[qb + nope + i] * entries[t][rank + i] }
                return s / Double(nope + rope).squareRoot()
            }
            let mx = scores.max() ?? 0
            let ex = scores.map { exp($0 - mx) }, total = ex.reduce(0, +)
            for t in entries.indices { for i in 0..<vd { out[hd * vd + i] += ex[t] / total * expanded[t][kb + nope + i] } }
        }
        return mv("\(a.name).o_proj.weight", out: hidden, out)
    }

    func mlp(_ prefix: String, _ a: PlanOp, _ x: [Double], inter: Int, bias: Bool, expert: Int?) -> [Double] {
        let e = expert ?? 0
        func b(_ name: String, _ n: Int) -> [Double] {
            let ref = WeightSource.TensorRef(name: prefix + name, expert: e, kind: .bias)
            return (0..<n).map { weights.value(ref, row: $0, column: 0) }
        }
        var up = mv(prefix + "up_proj.weight", expert: e, out: inter, x)
        if bias { up = Self.add(up, b("up_proj.bias", inter)) }
        var act: [Double]
        if a["gated"] == 1 {
            var gate = mv(prefix + "gate_proj.weight", expert: e, out: inter, x)
            if bias { gate = Self.add(gate, b("gate_proj.bias", inter)) }
            act = inter > 0 ? (0..<inter).map { ModelMath.gated(gate[$0], up[$0], a.activation) } : []
        } else {
            act = up.map { ModelMath.activate($0, a.activation) }
        }
        var down = mv(prefix + "down_proj.weight", expert: e, out: hidden, act)
        if bias { down = Self.add(down, b("down_proj.bias", hidden)) }
        return down
    }

    func moe(_ a: PlanOp, _ x: [Double]) -> [Double] {
        let logits = mv("\(a.name).gate.weight", out: a["experts"], x)
        let bias = a["router_bias"] == 1 ? vec("\(a.name).gate.bias", a["experts"]) : nil
        var y = [Double](repeating: 0, count: hidden)
        for (e, w) in ModelMath.route(logits, bias: bias, topK: a["top_k"]) {
            let o = mlp("\(a.name).experts.", a, x, inter: a["expert_intermediate"], bias: a["expert_bias"] == 1, expert: e)
            for i in y.indices { y[i] += w * o[i] }
        }
        if a["shared_experts"] > 0 {
            y = Self.add(y, mlp("\(a.name).shared_experts.", a, x, inter: a["shared_experts"] * a["shared_intermediate"], bias: a["expert_bias"] == 1, expert: nil))
        }
        return y
    }
}

