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

    public init(row: ProductionSet.Row, graph: Graph, target: Target) {
        self.row = row; self.graph = graph; self.target = target
    }

    /// Tokens/s per user of this row's mapping on `target` (batch 1, as published). O(schedule).
    public func tokensPerS(on target: Target) -> Double {
        guard let partition = graph.partition else { return 0 }
        var g = graph
        let deployment = DeploymentOptions(contextTokens: partition.kvCache.contextTokens, batch: partition.kvCache.batch)
        guard (try? SchedulePass().run(&g, context: PassContext(target: target, deployment: deployment))) != nil else { return 0 }
        return g.schedule?.tokensPerSecond ?? 0
    }

    /// The whole estimate with `profile` on the row's hardware (central constants). O(estimate).
    public func estimate(_ profile: KernelProfile) -> PerformanceEstimate? {
        guard let partition = graph.partition else { return nil }
        let t = target.applying(profile)
        var g = graph
        let deployment = DeploymentOptions(contextTokens: partition.kvCache.contextTokens, batch: partition.kvCache.batch)
        guard (try? SchedulePass().run(&g, context: PassContext(target: t, deployment: deployment))) != nil else { return nil }
        return PerformanceEstimate(graph: g, target: t)
    }

    /// Tokens/s with `profile` on the row's hardware, every unpublished constant as `setting` says.
    public func tokensPerS(_ profile: KernelProfile, _ setting: AssumptionSetting = .central) -> Double {
        tokensPerS(on: target.applying(profile, setting))
    }
}

/// The production fit (docs/performance-model.md, "Production fit"): each kernel profile named
/// by a fit row is fitted to its own fit rows only (`ProductionFit`), once with the hardware's
/// unpublished clock at its central value and once at each end of its range; each fitted
/// constant's range is its spread over those fits. Validation rows are never read. O(profiles x
/// 3 x fit).
public enum ProductionCalibration {
    public struct Fitted: Sendable, Encodable {
        public var central: ProductionFit
        /// The profile with the fitted constants and their ranges.
        public var matvecEfficiency: Uncertain
        public var layerOverheadCycles: Uncertain
        public var fitsAtClockEnds: [ProductionFit]
    }

    public static func fit(_ cases: [ProductionCase], profiles: [String: KernelProfile]) -> [String: Fitted] {
        var out: [String: Fitted] = [:]
        for (name, base) in profiles.sorted(by: { $0.key < $1.key }) {
            let fitCases = cases.filter { $0.row.role == .fit && $0.row.kernels == name }
            guard !fitCases.isEmpty else { continue }
            func fit(_ clock: Uncertain.Bound) -> ProductionFit {
                let rows = fitCases.map { c in
                    ProductionFit.Row(label: "\(c.graph.name) \(c.row.date)", publishedTokensPerS: c.row.tokensPerS) { p in
                        c.tokensPerS(p, AssumptionSetting([.clock: clock]))
                    }
                }
                return ProductionFit(base: base, rows: rows)
            }
            let central = fit(.value), ends = [fit(.low), fit(.high)]
            let all = [central] + ends
            func spread(_ v: (ProductionFit) -> Double) -> Uncertain {
                Uncertain(v(central), low: all.map(v).min() ?? v(central), high: all.map(v).max() ?? v(central))
            }
            out[name] = Fitted(central: central, matvecEfficiency: spread(\.matvecEfficiency), layerOverheadCycles: spread(\.layerOverheadCycles),
                               fitsAtClockEnds: ends)
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
