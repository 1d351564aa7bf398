import WaferSupport

/// `serve --svg`: every priced deployment as a point, tokens/s per user against total wafers,
/// the Pareto front joined, the per-user target as a dashed line. O(rows).
public enum ServePlot {
    public static func svg(_ report: ServeReport) -> String {
        let width = 760.0, height = 480.0, left = 80.0, right = 30.0, topMargin = 50.0, bottom = 60.0
        let rows = report.rows
        let maxWafers = Double(max(rows.map(\.wafersTotal).max() ?? 1, 1))
        let maxSpeed = max(rows.map(\.tokensPerSPerUserHigh).max() ?? 1, report.minTokensPerSPerUser ?? 0, 1) * 1.05
        func x(_ wafers: Int) -> Double { left + Double(wafers) / maxWafers * (width - left - right) }
        func y(_ speed: Double) -> Double { height - bottom - speed / maxSpeed * (height - topMargin - bottom) }
        func f(_ v: Double) -> String { Units.fixed(v, digits: 1) }
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;") }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">\(esc("\(report.model) on \(report.target): \(report.traffic)"))</text>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(topMargin))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"black\"/>\n"
        for i in 0...5 {
            let w = Int((maxWafers * Double(i) / 5).rounded()), s = maxSpeed * Double(i) / 5
            out += "<text x=\"\(f(x(w)))\" y=\"\(f(height - bottom + 18))\" text-anchor=\"middle\">\(w)</text>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y(s) + 4))\" text-anchor=\"end\">\(Units.fixed(s, digits: 0))</text>\n"
        }
        out += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 16))\" text-anchor=\"middle\">wafers in all</text>\n"
        out += "<text x=\"18\" y=\"\(f((topMargin + height - bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f((topMargin + height - bottom) / 2)))\">tokens/s per user</text>\n"
        if let target = report.minTokensPerSPerUser {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y(target)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(target)))\" stroke=\"#D55E00\" stroke-dasharray=\"6 4\"/>\n"
            out += "<text x=\"\(f(width - right - 4))\" y=\"\(f(y(target) - 6))\" text-anchor=\"end\" fill=\"#D55E00\">target \(Units.fixed(target, digits: 0)) tokens/s</text>\n"
        }
        let front = rows.filter(\.pareto).sorted { ($0.wafersTotal, $0.tokensPerSPerUser) < ($1.wafersTotal, $1.tokensPerSPerUser) }
        if front.count > 1 {
            out += "<polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"1.5\" points=\"\(front.map { "\(f(x($0.wafersTotal))),\(f(y($0.tokensPerSPerUser)))" }.joined(separator: " "))\"/>\n"
        }
        for r in rows {
            let colour = r.pareto ? "#0072B2" : (r.meetsTargets ? "#009E73" : "#999999")
            out += "<g><title>\(esc("\(r.wafersTotal) wafers (\(r.replicas) x \(r.wafersPerReplica)\(r.prefillWafers > 0 ? " + \(r.prefillWafers) prefill" : "")), \(r.flags), prefill \(r.prefill): \(f(r.tokensPerSPerUser)) tokens/s per user (\(f(r.tokensPerSPerUserLow))-\(f(r.tokensPerSPerUserHigh))), \(f(r.aggregateTokensPerS)) aggregate"))</title>"
            out += "<line x1=\"\(f(x(r.wafersTotal)))\" y1=\"\(f(y(r.tokensPerSPerUserLow)))\" x2=\"\(f(x(r.wafersTotal)))\" y2=\"\(f(y(r.tokensPerSPerUserHigh)))\" stroke=\"\(colour)\" stroke-opacity=\"0.4\"/>"
            out += "<circle cx=\"\(f(x(r.wafersTotal)))\" cy=\"\(f(y(r.tokensPerSPerUser)))\" r=\"4\" fill=\"\(colour)\"/></g>\n"
        }
        let legend = [("#0072B2", "Pareto front"), ("#009E73", "meets the targets"), ("#999999", "misses a target")]
        for (i, (colour, label)) in legend.enumerated() {
            let lx = left + 12 + Double(i) * 170
            out += "<circle cx=\"\(f(lx))\" cy=\"40\" r=\"4\" fill=\"\(colour)\"/><text x=\"\(f(lx + 8))\" y=\"44\">\(label)</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}
