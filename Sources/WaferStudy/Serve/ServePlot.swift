import WaferReport
import WaferSupport

/// `serve --svg`: every priced deployment as a point with its range (the estimate's low-high) as
/// a vertical bar, tokens/s per user against wafers in all, on `SVGPlot` (axes on ticks of 1, 2
/// or 5 times a power of ten, the legend in a band below them). Points on the Pareto front are
/// blue and joined by a line when there are two or more; the others green when they meet the
/// targets, grey when they miss one; the per-user target is a dashed vermillion line. The legend
/// lists only what is drawn. Each point's tooltip gives its deployment and figures.
/// Deterministic: equal reports give equal bytes. O(rows log rows).
public enum ServePlot {
    static let frontColour = SVGPlot.colour(0), meetsColour = SVGPlot.colour(2), missesColour = SVGPlot.grey
    static let targetColour = SVGPlot.colour(1), targetDash = "6 4"

    /// The colour of a deployment's point: front, meets the targets, or misses one. O(1).
    static func colour(_ r: ServeDeployment) -> String { r.pareto ? frontColour : (r.meetsTargets ? meetsColour : missesColour) }

    /// The legend of what `svg` draws for `rows` and the per-user `target`, in drawing order. O(rows).
    static func legend(_ rows: [ServeDeployment], target: Double?) -> [SVGPlot.LegendEntry] {
        var legend: [SVGPlot.LegendEntry] = []
        let front = rows.filter(\.pareto).count
        if front > 0 { legend.append(.init(colour: frontColour, label: front > 1 ? "Pareto front (joined)" : "Pareto front")) }
        if rows.contains(where: { !$0.pareto && $0.meetsTargets }) { legend.append(.init(colour: meetsColour, label: "meets the targets")) }
        if rows.contains(where: { !$0.pareto && !$0.meetsTargets }) { legend.append(.init(colour: missesColour, label: "misses a target")) }
        if let target { legend.append(.init(colour: targetColour, label: "target \(SVGPlot.number(target)) tokens/s per user", mark: .line(dash: targetDash))) }
        return legend
    }

    public static func svg(_ report: ServeReport) -> String {
        let rows = report.rows
        let front = rows.filter(\.pareto).count
        let subtitle = "tokens/s per user against wafers: \(Units.count(rows.count, "deployment")), \(front) on the Pareto front; bars: low-high range"
        var plot = SVGPlot(title: "\(report.model) on \(report.target): \(report.traffic)", subtitle: subtitle,
                           xLabel: "wafers in all", yLabel: "tokens/s per user (decode estimate)",
                           xs: rows.map { Double($0.wafersTotal) },
                           ys: rows.flatMap { [$0.tokensPerSPerUserLow, $0.tokensPerSPerUserHigh, $0.tokensPerSPerUser] } + [report.minTokensPerSPerUser].compactMap { $0 },
                           xIntegers: true, legend: legend(rows, target: report.minTokensPerSPerUser))
        let f = SVGPlot.number, fixed = { (v: Double) in Units.fixed(v, digits: 1) }
        if let target = report.minTokensPerSPerUser {
            let y = f(plot.y(target))
            plot.body += "<line x1=\"\(f(plot.left))\" y1=\"\(y)\" x2=\"\(f(plot.width - plot.right))\" y2=\"\(y)\" stroke=\"\(targetColour)\" stroke-width=\"2\" stroke-dasharray=\"\(targetDash)\">"
                + "<title>target: \(fixed(target)) tokens/s per user</title></line>\n"
        }
        let frontRows = rows.filter(\.pareto).sorted { ($0.wafersTotal, $0.tokensPerSPerUser) < ($1.wafersTotal, $1.tokensPerSPerUser) }
        if frontRows.count > 1 {
            plot.body += "<polyline fill=\"none\" stroke=\"\(frontColour)\" stroke-width=\"1.5\" points=\""
                + frontRows.map { "\(f(plot.x(Double($0.wafersTotal)))),\(f(plot.y($0.tokensPerSPerUser)))" }.joined(separator: " ") + "\"/>\n"
        }
        for r in rows {
            let colour = colour(r), cx = f(plot.x(Double(r.wafersTotal)))
            let tip = "\(r.wafersTotal) wafers (\(r.replicas) x \(r.wafersPerReplica)\(r.prefillWafers > 0 ? " + \(r.prefillWafers) prefill" : "")), \(r.flags), prefill \(r.prefill): "
                + "\(fixed(r.tokensPerSPerUser)) tokens/s per user (\(fixed(r.tokensPerSPerUserLow))-\(fixed(r.tokensPerSPerUserHigh))), \(fixed(r.aggregateTokensPerS)) aggregate"
            plot.body += "<g><title>\(SVGPlot.escape(tip))</title>"
            plot.body += "<line x1=\"\(cx)\" y1=\"\(f(plot.y(r.tokensPerSPerUserLow)))\" x2=\"\(cx)\" y2=\"\(f(plot.y(r.tokensPerSPerUserHigh)))\" stroke=\"\(colour)\" stroke-opacity=\"0.4\"/>"
            plot.body += "<circle cx=\"\(cx)\" cy=\"\(f(plot.y(r.tokensPerSPerUser)))\" r=\"4\" fill=\"\(colour)\"/></g>\n"
        }
        return plot.render()
    }
}
