import WaferSupport

extension DefectCostReport {
    /// `defects cost --svg`: tokens/s per user against the dead-PE rate, one line per defect
    /// model (uniform solid, clustered dashed; Okabe-Ito colours), each mapped rate a point with
    /// its range (the unpublished constants' spread) as a vertical bar and a tooltip with its
    /// figures. The rates sit evenly spaced (a categorical axis: the default ladder spans two
    /// decades). Rates that did not map have no point; the subtitle counts them. The title names
    /// the model by its name (as the plan and the pictures do), the target, repair and seed.
    /// Deterministic.
    /// O(rows log rows).
    public func svg() -> String {
        let rates = Array(Set(rows.map(\.rate))).sorted()
        let position = Dictionary(uniqueKeysWithValues: rates.enumerated().map { ($0.element, Double($0.offset)) })
        var models = ["uniform", "clustered"].filter { m in rows.contains { $0.defectModel == m } }
        for m in rows.map(\.defectModel) where !models.contains(m) { models.append(m) }
        let dashes: [String?] = [nil, "6 3", "2 3", "10 4"]
        func dash(_ k: Int) -> String? { dashes[k % dashes.count] }
        let legend = models.enumerated().map { SVGPlot.LegendEntry(colour: SVGPlot.colour($0.offset), label: $0.element, mark: .line(dash: dash($0.offset))) }
        let mapped = rows.filter { $0.tokensPerS != nil && $0.error == nil }
        let failed = rows.count - mapped.count
        let title = "\(modelName) on \(target): repair \(repair), seed \(seed)"
        let subtitle = "tokens/s per user against the dead-PE rate, nested maps; bars: low-high range" + (failed > 0 ? "; \(Units.count(failed, "run")) did not map (no point)" : "")
        let unit = repair == "spare-rows" ? "dead PEs per physical PE" : "dead PEs per logical PE"
        var plot = SVGPlot(title: title, subtitle: subtitle, xLabel: "defect rate (\(unit); evenly spaced)", yLabel: "tokens/s per user (decode estimate)",
                           xs: [], ys: mapped.flatMap { [$0.tokensPerS, $0.tokensPerSLow, $0.tokensPerSHigh].compactMap { $0 } },
                           xCategories: rates.map { Units.decimal($0) }, legend: legend)
        let f = SVGPlot.number
        let slot = Swift.min(8, (plot.x(1) - plot.x(0)) * 0.5 / Double(Swift.max(models.count, 1)))
        for (k, name) in models.enumerated() {
            let colour = SVGPlot.colour(k)
            let series = mapped.filter { $0.defectModel == name }.sorted { $0.rate < $1.rate }
            func px(_ r: DefectCostRow) -> Double { plot.x(position[r.rate] ?? 0) + (Double(k) - Double(models.count - 1) / 2) * slot }
            if series.count > 1 {
                plot.body += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash(k).map { " stroke-dasharray=\"\($0)\"" } ?? "") points=\""
                    + series.map { "\(f(px($0))),\(f(plot.y($0.tokensPerS ?? 0)))" }.joined(separator: " ") + "\"/>\n"
            }
            for r in series {
                let tokens = r.tokensPerS ?? 0, low = r.tokensPerSLow ?? tokens, high = r.tokensPerSHigh ?? tokens
                let tip = "rate \(Units.decimal(r.rate)) \(r.defectModel): \(Units.fixed(tokens, digits: 1)) tokens/s per user (\(Units.fixed(low, digits: 1))-\(Units.fixed(high, digits: 1)))"
                    + (r.percentOfDefectFree.map { ", \(Units.fixed($0, digits: 1))% of defect-free" } ?? "")
                    + "; \(Units.count(r.wafers, "wafer")), \(Units.fixed(r.holesPerWafer, digits: 1)) holes per wafer"
                let cx = f(px(r))
                plot.body += "<g><title>\(SVGPlot.escape(tip))</title>"
                plot.body += "<line x1=\"\(cx)\" y1=\"\(f(plot.y(low)))\" x2=\"\(cx)\" y2=\"\(f(plot.y(high)))\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-opacity=\"0.5\"/>"
                plot.body += "<circle cx=\"\(cx)\" cy=\"\(f(plot.y(tokens)))\" r=\"4\" fill=\"\(colour)\"/></g>\n"
            }
        }
        return plot.render()
    }
}
