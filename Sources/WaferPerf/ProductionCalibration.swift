import WaferIR
import WaferPasses
import WaferSupport
import WaferTarget

/// One production row compiled: its mapping, and the target it was compiled for (the data
/// file's target with the row's kernel profile). Re-timing the mapping under other constants is
/// one schedule pass (about a millisecond at Llama 3.1 405B scale), so a fit can try thousands.
public struct ProductionCase: Sendable {
    public var row: ProductionSet.Row
    public var graph: Graph
    public var target: Target
    /// The speculative drafts the row may use (`speculative: yes` or `assumed`, the draft
    /// undisclosed): `--speculative auto`'s choice first, then the EAGLE head when auto chose
    /// otherwise; empty for a row without speculative decoding.
    public var drafts: [SpeculativeDrafts]

    public init(row: ProductionSet.Row, graph: Graph, target: Target, drafts: [SpeculativeDrafts] = []) {
        self.row = row; self.graph = graph; self.target = target; self.drafts = drafts
    }

    /// Tokens/s per user of this row's mapping on `target` (batch 1, as published): with a
    /// draft, the speculative figure (`SpeculativeEstimate`: k drafted tokens on the draft's
    /// re-timed mapping, k + 1 verified in one pass), at the acceptance `acceptance` picks from
    /// the draft kind's range. O(schedule + k x verify).
    public func tokensPerS(on target: Target, acceptance: Uncertain.Bound = .value, draft: Uncertain.Bound = .value) -> Double {
        guard let g = SchedulePass.retimed(graph, on: target), let schedule = g.schedule else { return 0 }
        guard !drafts.isEmpty else { return schedule.tokensPerSecond }
        let speeds = drafts.map { Self.speculative(g, on: target, drafts: $0, acceptance: acceptance) }
        switch draft {
        case .value: return speeds[0]
        case .low: return speeds.min() ?? 0
        case .high: return speeds.max() ?? 0
        }
    }

    static func speculative(_ g: Graph, on target: Target, drafts: SpeculativeDrafts, acceptance: Uncertain.Bound) -> Double {
        guard let schedule = g.schedule else { return 0 }
        guard let draftGraph = drafts.graphs.first.flatMap({ SchedulePass.retimed($0, on: target) }),
              let draft = SpeculativeDraft(graph: draftGraph, kind: drafts.kind, reason: drafts.reason, sharesEmbedding: drafts.sharesEmbedding)
        else { return schedule.tokensPerSecond }
        let range = drafts.kind.acceptanceRange
        let a = acceptance == .value ? drafts.acceptanceRate : (acceptance == .low ? range.lowerBound : range.upperBound)
        let k = drafts.draftTokens
        guard let verify = SpeculativeEstimate.verifyCycles(graph: g, target: target, tokens: k + 1) else { return 0 }
        let pass = SpeculativeEstimate.passSeconds(draftTokens: k, draft: draft, verifyCycles: verify, clockMhz: target.clockMHz)
        return SpeculativeEstimate.tokensPerS(draftTokens: k, acceptance: a, passSeconds: pass)
    }

    /// The whole estimate with `profile` on the row's hardware (central constants). O(estimate).
    public func estimate(_ profile: KernelProfile) -> PerformanceEstimate? {
        let t = target.applying(profile)
        return SchedulePass.retimed(graph, on: t).flatMap { PerformanceEstimate(graph: $0, target: t) }
    }

    /// Tokens/s with `profile` on the row's hardware, every unpublished constant as `setting` says.
    public func tokensPerS(_ profile: KernelProfile, _ setting: AssumptionSetting = .central) -> Double {
        tokensPerS(on: target.applying(profile, setting), acceptance: setting.bound(.acceptance), draft: setting.bound(.draft))
    }
}

/// The production fit (docs/performance-model.md, "Production fit"): each kernel profile named
/// by a fit row is fitted to its own fit rows only (`ProductionFit`), once with every
/// assumption central and once more with each of the hardware's unpublished clock and (for
/// speculative rows) the draft's acceptance at each end of its range; each fitted constant's
/// range is its spread over those fits. Validation rows are never read. O(profiles x 5 x fit).
public enum ProductionCalibration {
    public struct Fitted: Sendable, Encodable {
        public var central: ProductionFit
        /// The fitted efficiency with its range, and the overhead prior it was fitted with.
        public var matvecEfficiency: Uncertain
        public var layerOverheadCycles: Uncertain
        /// The refits with the clock, and for speculative rows the acceptance and the draft, at
        /// each end of their ranges: the efficiency's range is their spread.
        public var scenarioFits: [ProductionFit]
    }

    public static func fit(_ cases: [ProductionCase], profiles: [String: KernelProfile]) -> [String: Fitted] {
        var out: [String: Fitted] = [:]
        for (name, base) in profiles.sorted(by: { $0.key < $1.key }) {
            let fitCases = cases.filter { $0.row.role == .fit && $0.row.kernels == name }
            guard !fitCases.isEmpty else { continue }
            func fit(_ setting: AssumptionSetting) -> ProductionFit {
                let rows = fitCases.map { c in
                    ProductionFit.Row(label: "\(c.graph.name) \(c.row.date)", publishedTokensPerS: c.row.tokensPerS) { p in c.tokensPerS(p, setting) }
                }
                return ProductionFit(base: base, rows: rows)
            }
            let speculative = fitCases.contains { !$0.drafts.isEmpty }
            let scenarios: [AssumptionSetting] = [.init([.clock: .low]), .init([.clock: .high])]
                + (speculative ? [.init([.acceptance: .low]), .init([.acceptance: .high]), .init([.draft: .low]), .init([.draft: .high])] : [])
            let central = fit(.central), ends = scenarios.map(fit)
            out[name] = Fitted(central: central, matvecEfficiency: .spread(central.matvecEfficiency, ends.map(\.matvecEfficiency)),
                               layerOverheadCycles: base.layerOverheadCycles, scenarioFits: ends)
        }
        return out
    }

    /// `base` with the fitted constants and their ranges.
    public static func profile(_ base: KernelProfile, _ fitted: Fitted) -> KernelProfile {
        var p = base
        p.matvecEfficiency = fitted.matvecEfficiency
        p.layerOverheadCycles = fitted.layerOverheadCycles
        return p
    }
}
