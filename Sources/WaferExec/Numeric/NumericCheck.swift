import Foundation
import WaferPlan

/// The numeric check: synthetic weights from a seed, the plan's distributed decode against the
/// dense reference.
///
/// - Full (`sample == nil`): `steps` decode steps of a deterministic token sequence; the logits
///   of every step must agree within `tolerance` (max |difference| over max |reference logit|).
///   Why 1e-3: the distributed run accumulates each tile's partial sum in fp32 (relative error
///   about sqrt(n) x 2^-24 per dot product of n terms) and adds partials in a different order
///   than the fp64 reference; through a few layers and norms this stays below 1e-5, while one
///   lost tile or a misplaced block changes logits by 1e-2 or more.
/// - Sampled (`sample == K`): K decoder units chosen by the seed; for each, every matrix (for
///   routed experts: two experts of the unit) is multiplied tile by tile on up to three output
///   lines of its region and compared with the same rows of a dense product, weights generated
///   on the fly. Kimi K2 checks in seconds this way.
public struct NumericCheck {
    public struct Result: Sendable, Codable, Equatable {
        public var mode: String
        public var steps: Int
        public var comparedValues: Int
        public var maxAbsDifference: Double
        public var maxReference: Double
        public var relativeError: Double
        public var tolerance: Double
        public var passed: Bool
        public var detail: String
    }

    public static let tolerance = 1e-3

    /// Runs the full check. O(steps x (parameters + context x width)).
    public static func full(_ plan: Plan, fabrics: [WaferFabric], replay: RouteReplay, seed: UInt64, steps: Int, log: inout ViolationLog) -> Result {
        let hidden = plan.units.lazy.flatMap(\.ops).first { $0.kind == .embedding }?["hidden"] ?? 0
        let vocab = plan.units.lazy.flatMap(\.ops).first { $0.kind == .embedding }?["vocab"] ?? 1
        var ops: [PlanOp] = []
        var seen = Set<String>()
        for u in plan.units { for op in u.ops where seen.insert(op.name).inserted { ops.append(op) } }
        let weights = WeightSource(seed: seed)
        var reference = ReferenceForward(ops: ops, hidden: hidden, weights: weights)
        var distributed = DistributedForward(plan: plan, fabrics: fabrics, replay: replay, weights: weights, hidden: hidden)
        var worst = 0.0, scale = 0.0, compared = 0, detail = ""
        var rng = WeightSource.mix(seed ^ 0x746f6b656e73)
        for step in 0..<max(steps, 1) {
            rng = WeightSource.mix(rng)
            let token = Int(rng % UInt64(max(vocab, 1)))
            let want = reference.step(token: token, position: step)
            guard let got = distributed.step(token: token, position: step), got.count == want.count else {
                log.add(.numeric, "the plan's units produce no logits (no LM head reached)"); break
            }
            for (i, (a, b)) in zip(got, want).enumerated() {
                compared += 1
                scale = max(scale, abs(b))
                if abs(a - b) > worst { worst = abs(a - b); detail = "step \(step) (token \(token)), logit \(i): \(fmt(a)) vs reference \(fmt(b))" }
            }
        }
        log.merge(distributed.violations)
        let relative = worst / max(scale, 1e-12)
        let passed = relative <= tolerance && compared > 0
        if !passed { log.add(.numeric, "logits differ from the dense reference: max |difference| \(fmt(worst)) is \(fmt(relative)) of the largest logit (tolerance \(tolerance)); worst at \(detail)") }
        return Result(mode: "full", steps: steps, comparedValues: compared, maxAbsDifference: worst, maxReference: scale, relativeError: relative,
                      tolerance: tolerance, passed: passed, detail: detail)
    }

    /// Runs the sampled check on `k` decoder units (of the wafers in `scope`, when given).
    /// O(k x tensors x 3 lines x line weights).
    public static func sampled(_ plan: Plan, fabrics: [WaferFabric], replay: RouteReplay, seed: UInt64, k: Int, scope: Set<Int>? = nil,
                               log: inout ViolationLog) -> Result {
        let hidden = plan.units.lazy.flatMap(\.ops).first { $0.kind == .embedding }?["hidden"] ?? 0
        let weights = WeightSource(seed: seed)
        var distributed = DistributedForward(plan: plan, fabrics: fabrics, replay: replay, weights: weights, hidden: hidden)
        var rng = WeightSource.mix(seed ^ 0x73616d706c65)
        func next(_ n: Int) -> Int { rng = WeightSource.mix(rng); return Int(rng % UInt64(max(n, 1))) }
        let candidates = plan.units.indices.filter { i in
            let u = plan.units[i]
            return u.tensors.contains { $0.orientation != .vector } && u.ops.contains { $0.layer >= 0 } && (scope?.contains(u.wafer) ?? true)
        }
        var chosen: [Int] = []
        var pool = candidates
        while chosen.count < min(k, candidates.count) { chosen.append(pool.remove(at: next(pool.count))) }
        chosen.sort()
        var worst = 0.0, scale = 0.0, compared = 0, detail = ""
        for ui in chosen {
            let u = plan.units[ui]
            guard let fabric = fabrics.first(where: { $0.index == u.wafer }) else { continue }
            for t in u.tensors where t.orientation != .vector {
                guard let op = u.ops.first(where: { $0.name == t.op }) else { continue }
                let stacked = t.region == .cell
                let out = t.shape[stacked ? 1 : 0], inDim = t.shape[stacked ? 2 : 1]
                var experts: [Int?] = [nil]
                if stacked, u.experts.count == 2, u.experts[1] > u.experts[0] {
                    experts = [u.experts[0] + next(u.experts[1] - u.experts[0]), u.experts[0] + next(u.experts[1] - u.experts[0])]
                }
                for e in experts {
                    guard let region = TileRegion.of(u, t, expert: e, wafer: fabric.wafer) else { continue }
                    let lineCount = t.orientation == .inCols ? region.height : region.width
                    let lines = Array(Set((0..<3).map { _ in next(lineCount) })).sorted()
                    let x = (0..<inDim).map { _ in Double(next(1 << 20)) / Double(1 << 19) - 1 }
                    var got = [Double](repeating: 0, count: out)
                    if t.op.hasSuffix("embed_tokens") { continue }   // a lookup, checked in full runs
                    guard distributed.multiply(unit: ui, op: op, tensor: t.name, expert: e, x: x, lines: lines, into: &got) else { continue }
                    let ref = WeightSource.TensorRef(name: "\(t.op).\(t.name)", expert: e ?? 0, kind: .matrix, inputs: inDim)
                    for l in lines {
                        let tr = t.tileRows
                        for r in min(l * tr, out)..<min((l + 1) * tr, out) {
                            var want = 0.0
                            for c in 0..<inDim { want += weights.value(ref, row: r, column: c) * x[c] }
                            compared += 1
                            scale = max(scale, abs(want))
                            if abs(got[r] - want) > worst { worst = abs(got[r] - want); detail = "unit \(u.name), \(t.op).\(t.name)\(e.map { " expert \($0)" } ?? ""), row \(r): \(fmt(got[r])) vs reference \(fmt(want))" }
                        }
                    }
                }
            }
        }
        log.merge(distributed.violations)
        let relative = worst / max(scale, 1e-12)
        let passed = relative <= tolerance && compared > 0
        if !passed { log.add(.numeric, "sampled products differ from the dense reference: max |difference| \(fmt(worst)) is \(fmt(relative)) of the largest value (tolerance \(tolerance)); worst at \(detail)") }
        return Result(mode: "sampled \(chosen.count) units", steps: 0, comparedValues: compared, maxAbsDifference: worst, maxReference: scale,
                      relativeError: relative, tolerance: tolerance, passed: passed, detail: detail)
    }
}

func fmt(_ v: Double) -> String { String(format: "%.3g", v) }
