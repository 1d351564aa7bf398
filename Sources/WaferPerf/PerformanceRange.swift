import WaferIR
import WaferPasses
import WaferSupport
import WaferTarget

/// The decode speed's range (docs/performance-model.md, "Uncertainty"): the schedule re-timed
/// with every unpublished constant of the target and its kernel profile at its slow end (the
/// low figure) and at its fast end (the high figure), and each constant swung alone from slow to
/// fast with the others central (its swing says how much of the range it explains). The mapping
/// is the one compiled with the central constants. O(assumptions x schedule).
public struct PerformanceRange: Sendable, Encodable {
    /// One unpublished constant's effect with every other constant central.
    public struct Swing: Sendable, Encodable {
        public var assumption: String
        public var tokensPerSSlow: Double
        public var tokensPerSFast: Double
        /// fast / slow - 1: the share of speed this constant alone can move.
        public var spread: Double
    }

    public var tokensPerSLow: Double
    public var tokensPerSHigh: Double
    /// Every constant with a range, widest swing first.
    public var swings: [Swing]
    /// The constants whose swings dominate the range: the widest, and any other at least half as wide.
    public var dominant: [String]

    /// Nil when the target has no unpublished constant with a range (a version-1 target or a
    /// plan's figures) or the graph is not scheduled.
    public init?(graph: Graph, target: Target) {
        guard let profile = target.kernels, graph.schedule != nil else { return nil }
        let assumptions = target.uncertainAssumptions
        guard !assumptions.isEmpty else { return nil }
        func speed(_ setting: AssumptionSetting) -> Double {
            SchedulePass.retimed(graph, on: target.applying(profile, setting))?.schedule?.tokensPerSecond ?? 0
        }
        tokensPerSLow = speed(.slowest)
        tokensPerSHigh = speed(.fastest)
        swings = assumptions.map { a in
            let slow = speed(AssumptionSetting([a: a.slowBound])), fast = speed(AssumptionSetting([a: a.fastBound]))
            return Swing(assumption: a.rawValue, tokensPerSSlow: slow, tokensPerSFast: fast, spread: slow > 0 ? fast / slow - 1 : 0)
        }.sorted { ($0.spread, $1.assumption) > ($1.spread, $0.assumption) }
        let widest = swings.first?.spread ?? 0
        dominant = swings.filter { $0.spread > 0 && $0.spread >= widest / 2 }.map(\.assumption)
    }

    /// `2,900-4,100 tokens/s (dominated by relay cycles +25%, layer overhead +14%)`.
    public var text: String {
        let named = swings.filter { dominant.contains($0.assumption) }.map { "\($0.assumption) +\(Units.fixed($0.spread * 100, digits: 0))%" }
        return "\(Units.grouped(Int(tokensPerSLow.rounded())))-\(Units.grouped(Int(tokensPerSHigh.rounded()))) tokens/s"
            + (named.isEmpty ? "" : " (dominated by \(named.joined(separator: ", ")))")
    }
}
