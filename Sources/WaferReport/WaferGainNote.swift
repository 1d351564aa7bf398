import WaferSupport

/// What extra wafers buy, for `sweep`: per wafer count the fastest mapping's tokens/s per user
/// and aggregate tokens/s, and, from the mappings' own time split, why speed per user follows or
/// does not follow the wafer count (docs/tiling-and-placement.md, "What extra wafers buy").
public enum WaferGainNote {
    /// One compiled mapping: its wafers, speed per user and aggregate, slot shapes, and the
    /// shares of a token's time in allreduces and in MACs.
    public struct Point: Sendable {
        public var wafers: Int
        public var tokensPerS: Double
        public var aggregateTokensPerS: Double
        public var mapping: String
        public var allreducePercent: Double
        public var macPercent: Double
        public init(wafers: Int, tokensPerS: Double, aggregateTokensPerS: Double, mapping: String, allreducePercent: Double, macPercent: Double) {
            self.wafers = wafers; self.tokensPerS = tokensPerS; self.aggregateTokensPerS = aggregateTokensPerS; self.mapping = mapping
            self.allreducePercent = allreducePercent; self.macPercent = macPercent
        }
    }

    /// Speed per user that changes by less than this fraction from the fewest wafers to the best
    /// count beyond them counts as "extra wafers do not help".
    public static let flat = 0.02

    /// The note: empty with fewer than two wafer counts. O(points).
    public static func text(_ points: [Point]) -> String {
        var best: [Int: Point] = [:]
        for p in points where p.tokensPerS > (best[p.wafers]?.tokensPerS ?? -1) { best[p.wafers] = p }
        let counts = best.keys.sorted()
        guard let lo = counts.first.flatMap({ best[$0] }), let hi = counts.last.flatMap({ best[$0] }), counts.count > 1 else { return "" }
        // The best count beyond the fewest: what extra wafers can buy per user at most.
        let top = counts.dropFirst().compactMap { best[$0] }.max { ($0.tokensPerS, -$0.wafers) < ($1.tokensPerS, -$1.wafers) } ?? hi
        let perUser = top.tokensPerS / max(lo.tokensPerS, 1e-9) - 1
        let aggregate = hi.aggregateTokensPerS / max(lo.aggregateTokensPerS, 1e-9) - 1
        let steps = counts.compactMap { best[$0] }.map { "\($0.wafers): \(Units.fixed($0.tokensPerS, digits: 1))" }.joined(separator: ", ")
        var out = "\nextra wafers  \(lo.wafers) -> \(hi.wafers) wafers: at best \(signed(perUser)) tokens/s per user (at \(top.wafers); \(steps)), "
            + "\(signed(aggregate)) aggregate tokens/s at \(hi.wafers)\n"
        if abs(perUser) < flat {
            let same = lo.mapping == hi.mapping ? "the same \(hi.mapping) at every count" : "\(lo.mapping) at \(lo.wafers), \(hi.mapping) at \(hi.wafers)"
            out += "why          at batch 1 a token visits every layer in turn, and each layer already runs on a region close to the one the tile pass models fastest (\(same)): "
                + "a larger region would lengthen the \(Units.fixed(hi.allreducePercent, digits: 0))% of a token spent in allreduces more than it cuts the "
                + "\(Units.fixed(hi.macPercent, digits: 0))% in MACs, so extra wafers add pipeline stages that serve more sequences in flight (aggregate), not one sequence faster\n"
        } else if perUser > 0 {
            // Absolute times from the shares: a share can stay put while its time falls.
            let mac = { (p: Point) in p.macPercent / 100 / max(p.tokensPerS, 1e-9) * 1e6 }
            let reduce = { (p: Point) in p.allreducePercent / 100 / max(p.tokensPerS, 1e-9) * 1e6 }
            out += "why          more wafers leave each layer more PEs (fewer layers and experts a wafer, larger regions and cells): per token, MACs "
                + "\(Units.fixed(mac(lo), digits: 0)) -> \(Units.fixed(mac(top), digits: 0)) us and allreduces \(Units.fixed(reduce(lo), digits: 0)) -> "
                + "\(Units.fixed(reduce(top), digits: 0)) us from \(lo.wafers) to \(top.wafers) wafers\n"
        } else {
            out += "why          more wafers add wafer-to-wafer crossings to a token's path, and the layers gain no faster region\n"
        }
        return out
    }

    static func signed(_ fraction: Double) -> String {
        (fraction >= 0 ? "+" : "") + Units.fixed(fraction * 100, digits: 1) + "%"
    }
}
