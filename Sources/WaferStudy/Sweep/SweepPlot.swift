import WaferReport
import WaferSupport

extension SweepReport {
    /// `sweep --svg` (and `merge --svg` of sweep parts): every mapping as a point, tokens/s per
    /// user against wafers, its range (the unpublished constants' spread) as a vertical bar; the
    /// Pareto front's points outlined in black and joined by a line when there are two or more;
    /// one colour per series (the precisions, batches and contexts the sweep varied; the
    /// Okabe-Ito palette, grey past six series), named in the legend, with the front as a line
    /// sample when joined, else as an outlined point. The title names the model, target,
    /// context and batch; each point's tooltip (`<title>`) gives its rank, figures and flags.
    /// Deterministic. O(rows log rows).
    public func svg() -> String {
        let precisions = Set(rows.map(\.precisionLabel)), batches = Set(rows.map(\.batch)), contexts = Set(rows.map(\.contextTokens))
        func list(_ values: Set<Int>) -> String { values.sorted().map(String.init).joined(separator: ", ") }
        // A series is a combination of the axes the sweep varied; fixed axes go in the title.
        func series(_ r: Row) -> String {
            var parts: [String] = []
            if precisions.count > 1 { parts.append(r.precisionLabel) }
            if batches.count > 1 { parts.append("batch \(r.batch)") }
            if contexts.count > 1 { parts.append("context \(r.contextTokens)") }
            return parts.isEmpty ? "mappings" : parts.joined(separator: ", ")
        }
        func seriesOrder(_ r: Row) -> (String, Int, Int) { (r.precisionLabel, r.batch, r.contextTokens) }
        var names: [String] = []
        for r in rows.sorted(by: { seriesOrder($0) < seriesOrder($1) }) where !names.contains(series(r)) { names.append(series(r)) }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        let shown = Swift.min(names.count, SVGPlot.palette.count)
        var legend = names.prefix(shown).enumerated().map { SVGPlot.LegendEntry(colour: SVGPlot.colour($0.offset), label: $0.element) }
        if names.count > shown { legend.append(.init(colour: SVGPlot.grey, label: "\(names.count - shown) more series")) }
        // The front's entry: a line sample only when a line joins its points.
        switch rows.filter(\.pareto).count {
        case 0: break
        case 1: legend.append(.init(colour: "#ffffff", label: "Pareto front (outlined point)", mark: .point(stroke: "#000000")))
        default: legend.append(.init(colour: "#000000", label: "Pareto front (outlined points)", mark: .line(dash: nil)))
        }

        let fixed = [precisions.count == 1 ? precisions.first : nil, "context \(list(contexts)) tokens", "batch \(list(batches))"].compactMap { $0 }
        let title = "\(model) on \(target): " + fixed.joined(separator: ", ")
        let subtitle = "tokens/s per user against wafers: \(Units.count(rows.count, "mapping")), \(rows.filter(\.pareto).count) on the Pareto front; bars: low-high range"
        var plot = SVGPlot(title: title, subtitle: subtitle, xLabel: "wafers", yLabel: "tokens/s per user (decode estimate)",
                           xs: rows.map { Double($0.wafers) }, ys: rows.flatMap { [$0.tokensPerSLow, $0.tokensPerSHigh, $0.tokensPerS] },
                           xIntegers: true, legend: legend)
        // Series side by side around their wafer count, so equal counts do not hide each other.
        let slot = Swift.min(8, (plot.x(1) - plot.x(0)) * 0.6 / Double(Swift.max(names.count, 1)))
        func px(_ r: Row) -> Double {
            let k = index[series(r)] ?? 0
            return plot.x(Double(r.wafers)) + (Double(k) - Double(names.count - 1) / 2) * slot
        }
        let f = SVGPlot.number
        let front = rows.filter(\.pareto).sorted { (px($0), -$0.tokensPerS) < (px($1), -$1.tokensPerS) }
        if front.count > 1 {
            plot.body += "<polyline fill=\"none\" stroke=\"#000000\" stroke-width=\"1.5\" points=\"\(front.map { "\(f(px($0))),\(f(plot.y($0.tokensPerS)))" }.joined(separator: " "))\"/>\n"
        }
        // Worst first, so the best mappings draw on top.
        for (rank, r) in rows.enumerated().reversed() {
            let colour = SVGPlot.colour(index[series(r)] ?? 0)
            let tip = "rank \(rank + 1)\(r.pareto ? " (Pareto front)" : ""): \(Units.count(r.wafers, "wafer")), batch \(r.batch), context \(r.contextTokens), "
                + "\(r.precisionLabel): \(Units.fixed(r.tokensPerS, digits: 1)) tokens/s per user (\(Units.fixed(r.tokensPerSLow, digits: 1))-\(Units.fixed(r.tokensPerSHigh, digits: 1))), "
                + "\(Units.fixed(r.aggregateTokensPerS, digits: 1)) tokens/s aggregate; \(r.mapping); flags: \(r.flags)"
            let cx = f(px(r))
            plot.body += "<g><title>\(SVGPlot.escape(tip))</title>"
            plot.body += "<line x1=\"\(cx)\" y1=\"\(f(plot.y(r.tokensPerSLow)))\" x2=\"\(cx)\" y2=\"\(f(plot.y(r.tokensPerSHigh)))\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-opacity=\"0.5\"/>"
            plot.body += "<circle cx=\"\(cx)\" cy=\"\(f(plot.y(r.tokensPerS)))\" r=\"\(r.pareto ? "5" : "4")\" fill=\"\(colour)\""
                + (r.pareto ? " stroke=\"#000000\" stroke-width=\"2\"" : "") + "/></g>\n"
        }
        return plot.render()
    }

    /// The merged report of sweep partial files at `paths` (`merge --svg`). O(total bytes + rows^2).
    public static func merge(paths: [String]) throws(DiagnosticError) -> SweepReport {
        var decoded: [(file: String, partial: SweepPartial)] = []
        for path in paths {
            let (data, _) = try StudyPartialFile.read(path)
            decoded.append((path, try SweepPartial.decode(data, file: path, study: studyKind)))
        }
        let (header, outcomes) = try SweepPartial.merge(decoded)
        return try assemble(header: header, outcomes: outcomes)
    }
}

/// `wafermap merge PART... --svg FILE`: the plot of the merged study, by the parts' kind.
public enum StudyPlot {
    /// The SVG the unsharded command's `--svg` writes, drawn from the parts at `paths`: yield's
    /// histogram or sweep's tokens/s against wafers. O(total bytes + the study's plot).
    public static func svg(paths: [String]) throws(DiagnosticError) -> String {
        guard let first = paths.first else { throw .error(DriverFailure.mergeMismatch, "merge needs at least one partial result", at: nil) }
        let (_, kind) = try StudyPartialFile.read(first)
        if kind == SweepReport.studyKind { return try SweepReport.merge(paths: paths).svg() }
        return try YieldStudy.merge(paths: paths).histogramSVG()
    }
}
