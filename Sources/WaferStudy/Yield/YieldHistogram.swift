import WaferSupport

extension YieldReport {
    /// The histogram of tokens/s per user over the maps that compiled, as a standalone SVG:
    /// bars (ceil(sqrt(n)) equal bins from the minimum to the maximum, at most 40), the
    /// axes labelled with their units, p5/p50/p95 as dashed lines and the defect-free figure as a
    /// dotted one. Colours from the Okabe-Ito palette (colour-blind safe); every line also differs
    /// by its dash pattern and is named in the legend. O(maps).
    public func histogramSVG() -> String {
        let h = header
        let values = maps.compactMap(\.result.tokensPerS)
        let (width, height) = (760, 440)
        let (left, right, top, bottom) = (80, 30, 70, 70)
        let plotW = width - left - right, plotH = height - top - bottom
        let title = "\(h.model) on \(h.target): tokens/s per user over \(Units.count(maps.count, "defect map")) (\(h.defectModel), rate \(Units.decimal(h.defectRate)))"
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\">\n"
        svg += "<title>\(escape(title))</title>\n<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#fff\"/>\n"
        svg += "<text x=\"\(left)\" y=\"26\" font-size=\"15\">\(escape(title))</text>\n"
        svg += "<text x=\"\(left)\" y=\"46\" font-size=\"12\" fill=\"#444\">\(mapsFittingNominal) of \(maps.count) fit on \(Units.count(h.nominalWafers, "wafer")); \(Units.count(mapsNotCompiled, "map")) compiled on no wafer count</text>\n"
        guard let spread = tokensPerS, !values.isEmpty else {
            return svg + "<text x=\"\(left)\" y=\"\(top + plotH / 2)\" font-size=\"14\">no map compiled</text>\n</svg>\n"
        }
        var low = Swift.min(spread.min, h.defectFreeTokensPerS), high = Swift.max(spread.max, h.defectFreeTokensPerS)
        if high - low < 1e-9 * Swift.max(abs(high), 1) { low -= 0.5; high += 0.5 }
        let bins = Swift.min(40, Swift.max(1, Int(Double(values.count).squareRoot().rounded(.up))))
        let binWidth = (high - low) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for v in values { counts[Swift.min(bins - 1, Swift.max(0, Int((v - low) / binWidth)))] += 1 }
        let most = Swift.max(counts.max() ?? 1, 1)
        let step = Swift.max(1, Int((Double(most) / 4).rounded(.up)))
        let peak = step * ((most + step - 1) / step)   // the count axis ends on a tick
        func x(_ v: Double) -> Double { Double(left) + (v - low) / (high - low) * Double(plotW) }
        func y(_ c: Int) -> Double { Double(top + plotH) - Double(c) / Double(peak) * Double(plotH) }
        func f(_ v: Double) -> String { Units.fixed(v, digits: 1) }
        for (b, c) in counts.enumerated() where c > 0 {
            let x0 = x(low + Double(b) * binWidth), x1 = x(low + Double(b + 1) * binWidth)
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(y(c)))\" width=\"\(f(Swift.max(x1 - x0 - 1, 1)))\" height=\"\(f(Double(top + plotH) - y(c)))\" fill=\"#0072B2\"><title>\(c) map\(c == 1 ? "" : "s"): \(f(low + Double(b) * binWidth))-\(f(low + Double(b + 1) * binWidth)) tokens/s</title></rect>\n"
        }
        // Axes, ticks and their labels.
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#000\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#000\"/>\n"
        for t in 0...4 {
            let v = low + (high - low) * Double(t) / 4
            svg += "<line x1=\"\(f(x(v)))\" y1=\"\(top + plotH)\" x2=\"\(f(x(v)))\" y2=\"\(top + plotH + 5)\" stroke=\"#000\"/><text x=\"\(f(x(v)))\" y=\"\(top + plotH + 20)\" font-size=\"12\" text-anchor=\"middle\">\(f(v))</text>\n"
        }
        for c in stride(from: 0, through: peak, by: step) {
            svg += "<line x1=\"\(left - 5)\" y1=\"\(f(y(c)))\" x2=\"\(left)\" y2=\"\(f(y(c)))\" stroke=\"#000\"/><text x=\"\(left - 8)\" y=\"\(f(y(c) + 4))\" font-size=\"12\" text-anchor=\"end\">\(c)</text>\n"
        }
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 22)\" font-size=\"13\" text-anchor=\"middle\">tokens/s per user (decode estimate)</text>\n"
        svg += "<text x=\"18\" y=\"\(top + plotH / 2)\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(top + plotH / 2))\">defect maps (count)</text>\n"
        // Percentile and reference lines, each with its own dash pattern and a legend entry.
        let marks: [(String, Double, String, String)] = [
            ("p5", spread.p5, "#D55E00", "6 3"), ("p50", spread.p50, "#000000", "10 4"), ("p95", spread.p95, "#009E73", "2 3"),
            ("defect-free", h.defectFreeTokensPerS, "#CC79A7", "1 2"),
        ]
        for (k, (name, v, colour, dash)) in marks.enumerated() {
            svg += "<line x1=\"\(f(x(v)))\" y1=\"\(top)\" x2=\"\(f(x(v)))\" y2=\"\(top + plotH)\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-dasharray=\"\(dash)\"/>\n"
            let lx = left + k * 170
            svg += "<line x1=\"\(lx)\" y1=\"\(height - 6)\" x2=\"\(lx + 24)\" y2=\"\(height - 6)\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-dasharray=\"\(dash)\"/>"
            svg += "<text x=\"\(lx + 30)\" y=\"\(height - 2)\" font-size=\"12\">\(name) \(f(v))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
