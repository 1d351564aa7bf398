import WaferReport
import WaferSupport

extension YieldReport {
    /// The histogram's bins: ceil(sqrt(n)) equal bins (at most 40) from the smallest to the
    /// largest of `values` (the maps' own range, so their spread shows however far the
    /// defect-free figure lies; widened by 0.5 each way when they are all equal), and the count
    /// in each. O(values).
    static func bins(_ values: [Double]) -> (low: Double, width: Double, counts: [Int]) {
        var low = values.min() ?? 0, high = values.max() ?? 0
        if high - low < 1e-9 * Swift.max(abs(high), 1) { low -= 0.5; high += 0.5 }
        let bins = Swift.min(40, Swift.max(1, Int(Double(values.count).squareRoot().rounded(.up))))
        let width = (high - low) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for v in values { counts[Swift.min(bins - 1, Swift.max(0, Int((v - low) / width)))] += 1 }
        return (low, width, counts)
    }

    /// The histogram of tokens/s per user over the maps that compiled, as a standalone SVG on
    /// `SVGPlot`: one bar per bin (`bins`, over the maps' own range; each a `<rect class="bin">`
    /// with a tooltip of its count and range, empty bins at zero height), the x axis widened
    /// (not the bins) to take in the defect-free line, the axes labelled with their units
    /// (counts on whole ticks), p5/p50/p95 as dashed lines and the defect-free figure as a dotted one, each line
    /// differing in colour (Okabe-Ito, black for the median) and dash pattern and named with its
    /// value in the legend, with the bars' swatch. The title names model, target, maps and
    /// defects; the subtitle how many maps fit the nominal wafer count. Deterministic: a merge
    /// of the shards draws the same bytes as the unsharded study. O(maps).
    public func histogramSVG() -> String {
        let h = header
        let values = maps.compactMap(\.result.tokensPerS)
        let title = "\(h.model) on \(h.target): tokens/s per user over \(Units.count(maps.count, "defect map")) (\(h.defectModel), rate \(Units.decimal(h.defectRate)))"
        let subtitle = "\(mapsFittingNominal) of \(maps.count) fit on \(Units.count(h.nominalWafers, "wafer")); \(Units.count(mapsNotCompiled, "map")) compiled on no wafer count"
        let xLabel = "tokens/s per user (decode estimate)", yLabel = "defect maps (count)"
        func f(_ v: Double) -> String { Units.fixed(v, digits: 1) }
        guard let spread = tokensPerS, !values.isEmpty else {
            var plot = SVGPlot(title: title, subtitle: subtitle, xLabel: xLabel, yLabel: yLabel, xs: [], ys: [], yIntegers: true, legend: [])
            plot.body += "<text x=\"\(SVGPlot.number(plot.x(0.5)))\" y=\"\(SVGPlot.number(plot.y(0.5)))\" text-anchor=\"middle\" font-size=\"14\">no map compiled</text>\n"
            return plot.render()
        }
        let (low, binWidth, counts) = Self.bins(values)
        let high = low + binWidth * Double(counts.count)
        let barColour = SVGPlot.colour(0)
        let marks: [(name: String, value: Double, colour: String, dash: String)] = [
            ("p5", spread.p5, SVGPlot.colour(1), "6 3"), ("p50", spread.p50, "#000000", "10 4"), ("p95", spread.p95, SVGPlot.colour(2), "2 3"),
            ("defect-free", h.defectFreeTokensPerS, SVGPlot.colour(5), "1 2"),
        ]
        let legend = [SVGPlot.LegendEntry(colour: barColour, label: "defect maps per bin (hover for its range)")]
            + marks.map { SVGPlot.LegendEntry(colour: $0.colour, label: "\($0.name) \(f($0.value)) tokens/s", mark: .line(dash: $0.dash)) }
        var plot = SVGPlot(title: title, subtitle: subtitle, xLabel: xLabel, yLabel: yLabel, xs: [low, high, h.defectFreeTokensPerS], ys: counts.map(Double.init),
                           yIntegers: true, legend: legend)
        let n = SVGPlot.number, foot = plot.y(0)
        for (b, c) in counts.enumerated() {
            let from = low + Double(b) * binWidth, to = from + binWidth
            let x0 = plot.x(from), x1 = plot.x(to), top = plot.y(Double(c))
            plot.body += "<rect class=\"bin\" x=\"\(n(x0))\" y=\"\(n(top))\" width=\"\(n(Swift.max(x1 - x0 - 1, 1)))\" height=\"\(n(foot - top))\" fill=\"\(barColour)\">"
                + "<title>\(Units.count(c, "map")): \(f(from))-\(f(to)) tokens/s</title></rect>\n"
        }
        for m in marks {
            let x = n(plot.x(m.value))
            plot.body += "<line x1=\"\(x)\" y1=\"\(n(plot.top))\" x2=\"\(x)\" y2=\"\(n(foot))\" stroke=\"\(m.colour)\" stroke-width=\"2\" stroke-dasharray=\"\(m.dash)\">"
                + "<title>\(m.name): \(f(m.value)) tokens/s per user</title></line>\n"
        }
        return plot.render()
    }
}
