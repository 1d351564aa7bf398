import Foundation
import WaferPlan

extension DistributedForward {
    static func isExpertSlice(_ u: PlanUnit) -> Bool {
        !u.tensors.isEmpty && u.tensors.allSatisfy { $0.region == .cell } && u.ops.allSatisfy { $0.kind == .moe }
    }

    /// Whether unit `ui` receives the activation from `from` when they sit on different slots:
    /// a hand-off or wafer-link flow of its own (other than `combine`) whose lanes all arrive.
    mutating func arrives(_ ui: Int, from: PlanUnit, combine: Bool = false) -> Bool {
        let u = plan.units[ui]
        if u.wafer == from.wafer && u.group == from.group { return true }
        let transfers = plan.routing.flows.filter { $0.unit == ui && ($0.kind == .handoff || $0.kind == .waferLink) && $0.label.hasPrefix("combine") == combine }
        guard let f = transfers.first else {
            log.add(.numeric, "unit \(u.name): no hand-off or wafer-link flow \(combine ? "returns its output to" : "brings the activation from") \(from.name) (wafer \(from.wafer), slot \(from.slot)) \(combine ? "from" : "to") wafer \(u.wafer) slot \(u.slot)")
            return false
        }
        for b in f.bundles {
            guard let bundle = plan.routing.bundles.first(where: { $0.id == b }) else { return false }
            if let lane = (0..<max(0, bundle.lanes)).first(where: { replay.lostLanes.contains((b << 20) | $0) }) {
                log.add(.numeric, "flow \(f.id) (\(f.label)): lane \(lane) of bundle \(b) never arrives, so part of the activation is lost")
                return false
            }
        }
        return true
    }

    mutating func attention(_ ui: Int, _ a: PlanOp, _ x: [Double], _ pos: Int) -> [Double] {
        let heads = a["heads"], kvHeads = max(a["kv_heads"], 1), d = a["head_dim"]
        var q = product(ui, a, "q_proj.weight", out: heads * d, x), k = product(ui, a, "k_proj.weight", out: kvHeads * d, x)
        var v = product(ui, a, "v_proj.weight", out: kvHeads * d, x)
        if a["qkv_bias"] == 1 {
            q = zip(q, vec("\(a.name).q_proj.bias", q.count)).map { $0 + $1 }
            k = zip(k, vec("\(a.name).k_proj.bias", k.count)).map { $0 + $1 }
            v = zip(v, vec("\(a.name).v_proj.bias", v.count)).map { $0 + $1 }
        }
        for hd in 0..<heads {
            if a["qk_norm"] == 1 { q.replaceSubrange((hd * d)..<((hd + 1) * d), with: Self.rms(Array(q[(hd * d)..<((hd + 1) * d)]), vec("\(a.name).q_norm.weight", d, norm: true))) }
            ModelMath.rope(&q, offset: hd * d, dims: d, pos: pos)
        }
        for g in 0..<kvHeads {
            if a["qk_norm"] == 1 { k.replaceSubrange((g * d)..<((g + 1) * d), with: Self.rms(Array(k[(g * d)..<((g + 1) * d)]), vec("\(a.name).k_norm.weight", d, norm: true))) }
            ModelMath.rope(&k, offset: g * d, dims: d, pos: pos)
        }
        // KV cache: position p lives on slot row p mod height, tagged with its position.
        var entries = cache[a.name] ?? []
        entries.append([Double(pos)] + k + v)
        if a["sliding_window"] > 0 && entries.count > a["sliding_window"] { entries.removeFirst(entries.count - a["sliding_window"]) }
        cache[a.name] = entries
        let shards = max(fabrics[plan.units[ui].wafer].map { TileRegion.dense(plan.units[ui], wafer: $0.wafer).height } ?? 1, 1)
        let sinks = a["sinks"] == 1 ? vec("\(a.name).sinks", heads) : nil
        var out = [Double](repeating: 0, count: heads * d)
        for hd in 0..<heads {
            let g = hd / max(heads / kvHeads, 1)
            // Per shard: running max, sum of exponentials, weighted values (fp32).
            var partial: [Int: (m: Float, l: Float, o: [Float])] = [:]
            for e in entries {
                let shard = Int(e[0]) % shards
                var s: Float = 0
                for i in 0..<d { s += Float(q[hd * d + i]) * Float(e[1 + g * d + i]) }
                s /= Float(d).squareRoot()
                var p = partial[shard] ?? (-Float.infinity, 0, [Float](repeating: 0, count: d))
                let m = max(p.m, s), scaleOld = p.m == -Float.infinity ? 0 : exp(p.m - m), w = exp(s - m)
                p.l = p.l * scaleOld + w
                for i in 0..<d { p.o[i] = p.o[i] * scaleOld + w * Float(e[1 + kvHeads * d + g * d + i]) }
                p.m = m
                partial[shard] = p
            }
            // Merge the shards: softmax max, softmax sum, attention x V.
            var m = partial.values.map(\.m).max() ?? 0
            if let sinks { m = max(m, Float(sinks[hd])) }
            var l: Float = sinks.map { exp(Float($0[hd]) - m) } ?? 0
            var o = [Float](repeating: 0, count: d)
            for (_, p) in partial.sorted(by: { $0.key < $1.key }) {
                let f = exp(p.m - m)
                l += p.l * f
                for i in 0..<d { o[i] += p.o[i] * f }
            }
            for i in 0..<d { out[hd * d + i] = Double(o[i] / l) }
        }
        var y = product(ui, a, "o_proj.weight", out: hidden, out)
        if a["o_bias"] == 1 { y = zip(y, vec("\(a.name).o_proj.bias", hidden)).map { $0 + $1 } }
        return y
    }

    mutating func mla(_ ui: Int, _ a: PlanOp, _ x: [Double], _ pos: Int) -> [Double] {
        let heads = a["heads"], nope = a["qk_nope_head_dim"], rope = a["qk_rope_head_dim"], vd = a["v_head_dim"], rank = a["kv_lora_rank"]
        var q: [Double]
        if a["q_lora_rank"] > 0 {
            let qa = Self.rms(product(ui, a, "q_a_proj.weight", out: a["q_lora_rank"], x), vec("\(a.name).q_a_layernorm.weight", a["q_lora_rank"], norm: true))
            q = product(ui, a, "q_b_proj.weight", out: heads * (nope + rope), qa)
        } else {
            q = product(ui, a, "q_proj.weight", out: heads * (nope + rope), x)
        }
        for hd in 0..<heads { ModelMath.rope(&q, offset: hd * (nope + rope) + nope, dims: rope, pos: pos) }
        let kva = product(ui, a, "kv_a_proj_with_mqa.weight", out: rank + rope, x)
        let latent = Self.rms(Array(kva[0..<rank]), vec("\(a.name).kv_a_layernorm.weight", rank, norm: true))
        var kr = Array(kva[rank...])
        ModelMath.rope(&kr, offset: 0, dims: rope, pos: pos)
        // Absorbed attention: the cache holds latents; queries move into the latent space
        // through kv_b's key rows, values come out of it through kv_b's value rows.
        cache[a.name, default: []].append(latent + kr)
        let entries = cache[a.name] ?? []
        let kvb = (0..<(heads * (nope + vd))).map { r in (0..<rank).map { c in weights.value(.init(name: "\(a.name).kv_b_proj.weight", kind: .matrix, inputs: rank), row: r, column: c) } }
        // The kv_b product runs on its tiles once per step (the absorbed query), so the plan's
        // placement of kv_b and its flow are exercised.
        _ = product(ui, a, "kv_b_proj.weight", out: heads * (nope + vd), latent)
        var out = [Double](repeating: 0, count: heads * vd)
        for hd in 0..<heads {
            let qb = hd * (nope + rope), kb = hd * (nope + vd)
            var qLatent = [Float](repeating: 0, count: rank)
            for c in 0..<rank { var s: Float = 0; for i in 0..<nope { s += Float(kvb[kb + i][c]) * Float(q[qb + i]) }; qLatent[c] = s }
            let scores: [Float] = entries.map { e in
                var s: Float = 0
                for c in 0..<rank { s += qLatent[c] * Float(e[c]) }
                for i in 0..<rope { s += Float(q[qb + nope + i]) * Float(e[rank + i]) }
                return s / Float(nope + rope).squareRoot()
            }
            let m = scores.max() ?? 0
            let ex = scores.map { exp($0 - m) }, total = ex.reduce(0, +)
            var oLatent = [Float](repeating: 0, count: rank)
            for (t, e) in entries.enumerated() { for c in 0..<rank { oLatent[c] += ex[t] / total * Float(e[c]) } }
            for i in 0..<vd { var s: Float = 0; for c in 0..<rank { s += Float(kvb[kb + nope + i][c]) * oLatent[c] }; out[hd * vd + i] = Double(s) }
        }
        return product(ui, a, "o_proj.weight", out: hidden, out)
    }

    mutating func mlp(_ ui: Int, _ a: PlanOp, prefix: String, _ x: [Double], inter: Int, bias: Bool, expert: Int?, scale: Double = 1,
                      into y: inout [Double]) {
        let e = expert ?? 0
        var up = [Double](repeating: 0, count: inter)
        _ = multiply(unit: ui, op: a, tensor: prefix + "up_proj.weight", expert: expert, x: x, into: &up)
        if bias { up = zip(up, vec("\(a.name).\(prefix)up_proj.bias", inter, expert: e)).map { $0 + $1 } }
        var act: [Double]
        if a["gated"] == 1 {
            var gate = [Double](repeating: 0, count: inter)
            _ = multiply(unit: ui, op: a, tensor: prefix + "gate_proj.weight", expert: expert, x: x, into: &gate)
            if bias { gate = zip(gate, vec("\(a.name).\(prefix)gate_proj.bias", inter, expert: e)).map { $0 + $1 } }
            act = (0..<inter).map { ModelMath.gated(gate[$0], up[$0], a.activation) }
        } else {
            act = up.map { ModelMath.activate($0, a.activation) }
        }
        _ = multiply(unit: ui, op: a, tensor: prefix + "down_proj.weight", expert: expert, x: act, scale: scale, into: &y)
        if bias { for (i, b) in vec("\(a.name).\(prefix)down_proj.bias", hidden, expert: e).enumerated() { y[i] += scale * b } }
    }

    mutating func mlp(_ ui: Int, _ a: PlanOp, prefix: String, _ x: [Double], inter: Int, bias: Bool, expert: Int?) -> [Double] {
        var y = [Double](repeating: 0, count: hidden)
        mlp(ui, a, prefix: prefix, x, inter: inter, bias: bias, expert: expert, into: &y)
        return y
    }

    /// Router on the layer's slot; each chosen expert runs on the cell of every unit that
    /// holds it (a unit on another slot or wafer only when the activation is dispatched there
    /// and its output combined back); shared experts on the slot.
    mutating func moe(_ ui: Int, _ a: PlanOp, _ x: [Double]) -> [Double] {
        var logits = [Double](repeating: 0, count: a["experts"])
        _ = multiply(unit: ui, op: a, tensor: "gate.weight", expert: nil, x: x, into: &logits)
        let bias = a["router_bias"] == 1 ? vec("\(a.name).gate.bias", a["experts"]) : nil
        var y = [Double](repeating: 0, count: hidden)
        let holders = plan.units.indices.filter { plan.units[$0].ops.contains { $0.name == a.name } && plan.units[$0].tensors.contains { $0.op == a.name && $0.region == .cell } }
        var reachable: [Int: Bool] = [:]
        for (e, w) in ModelMath.route(logits, bias: bias, topK: a["top_k"]) {
            var held = false
            for h in holders {
                let u = plan.units[h]
                guard u.experts.count == 2, e >= u.experts[0], e < u.experts[1] else { continue }
                held = true
                if reachable[h] == nil { reachable[h] = h == ui || (arrives(h, from: plan.units[ui]) && arrives(h, from: plan.units[ui], combine: true)) }
                guard reachable[h] == true else { continue }
                mlp(h, a, prefix: "experts.", x, inter: a["expert_intermediate"], bias: a["expert_bias"] == 1, expert: e, scale: w, into: &y)
            }
            if !held { log.add(.numeric, "\(a.name): the router chose expert \(e), which no unit holds") }
        }
        if let cells = plan.units[ui].cells, cells.rows > 1, flowsByUnit[ui]?["combine across cell rows"] == nil {
            log.add(.numeric, "unit \(plan.units[ui].name): its experts sit in \(cells.rows) bands of cells but no 'combine across cell rows' flow adds the bands")
        }
        if a["shared_experts"] > 0 {
            mlp(ui, a, prefix: "shared_experts.", x, inter: a["shared_experts"] * a["shared_intermediate"], bias: a["expert_bias"] == 1, expert: nil, into: &y)
        }
        return y
    }
}
