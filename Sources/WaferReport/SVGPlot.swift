import WaferSupport

/// Shared primitives for the standalone SVG plots the study commands draw (`sweep --svg`,
/// `defects cost --svg`): a frame with axes on "nice" ticks (1, 2 or 5 times a power of ten),
/// a title, a legend in a band reserved below the axes, escaping and number formatting that do
/// not depend on the locale. Colours come from the Okabe-Ito palette (colour-blind safe).
/// Every text is placed inside the canvas (long titles are cut with an ellipsis) and the output
/// is a pure function of the inputs: equal inputs give equal bytes.
///
/// Use: build a plot from the data's ranges and the legend, append marks to `body` placed with
/// `x(_:)` and `y(_:)` (or built by `stackedBar`), then `render()`.
public struct SVGPlot: Sendable {
    /// Okabe-Ito: blue, vermillion, green, orange, sky, purple, then grey.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7"]
    /// The colour for series beyond the palette and for "other" marks.
    public static let grey = "#999999"

    /// The colour of series `index` (0-based): the palette in order, grey past its end.
    public static func colour(_ index: Int) -> String { index >= 0 && index < palette.count ? palette[index] : grey }

    /// A legend entry: a colour swatch (`swatch`), a line sample (`line`) or a point (`point`, a
    /// circle filled with the colour, outlined in `stroke` when given) and its label.
    public struct LegendEntry: Sendable, Equatable {
        public enum Mark: Sendable, Equatable { case swatch, line(dash: String?), point(stroke: String?) }
        public var colour: String, label: String, mark: Mark
        public init(colour: String, label: String, mark: Mark = .swatch) { self.colour = colour; self.label = label; self.mark = mark }
    }

    public let width: Double, height: Double
    public let left: Double, right: Double, top: Double, bottom: Double
    public let xDomain: ClosedRange<Double>, yDomain: ClosedRange<Double>
    public let xTicks: [Double], yTicks: [Double]
    let xDigits: Int, yDigits: Int
    /// The x tick labels of a categorical axis (`xCategories`), else nil.
    let xCategoryLabels: [String]?
    /// The x tick always labelled however the labels are thinned (`xKeepLabel`), else nil.
    let xKeptLabel: Int?
    let title: String, subtitle: String?, xLabel: String, yLabel: String
    let legend: [LegendEntry]
    /// The legend laid out: each entry's row and x position.
    let legendPlaces: [(row: Int, x: Double)]
    /// The marks, appended by the caller between the axes and the legend.
    public var body = ""

    public static let fontSize = 12.0
    static let legendRowHeight = 18.0

    /// A plot `width` wide over the data `xs` and `ys` (the domains cover them on nice ticks;
    /// `yFromZero` starts the y axis at 0; `xIntegers` keeps x ticks on whole numbers and pads the
    /// domain by half a step so points stay off the axes). With `xCategories`, the x axis is
    /// categorical: category i sits at x = i with its label as the tick (`xs` is ignored); use it
    /// for ladders such as defect rates that a linear axis would crowd. `xKeepLabel` is the index
    /// of an x tick whose label is drawn even when the labels are thinned (the others that would
    /// overlap it are dropped instead), to name a mark the plot singles out. `yIntegers` keeps y
    /// ticks on whole numbers (counts). O(data + legend).
    public init(title: String, subtitle: String? = nil, xLabel: String, yLabel: String, xs: [Double], ys: [Double],
                xIntegers: Bool = false, xCategories: [String]? = nil, xKeepLabel: Int? = nil, yFromZero: Bool = true, yIntegers: Bool = false, legend: [LegendEntry],
                width: Double = 760, plotHeight: Double = 340) {
        self.width = width
        self.left = 84; self.right = 24
        self.title = title; self.subtitle = subtitle; self.xLabel = xLabel; self.yLabel = yLabel; self.legend = legend
        self.top = subtitle == nil ? 44 : 60
        // The legend band: entries flow left to right and wrap to a new row.
        var places: [(row: Int, x: Double)] = [], row = 0, x = 84.0
        for entry in legend {
            let w = 30 + Self.textWidth(entry.label) + 18
            if x + w > width - 24, x > 84 { row += 1; x = 84 }
            places.append((row, x))
            x += w
        }
        self.legendPlaces = places
        let legendRows = legend.isEmpty ? 0 : row + 1
        self.bottom = 56 + Double(legendRows) * Self.legendRowHeight + (legendRows > 0 ? 6 : 0)
        self.height = top + plotHeight + bottom

        let finiteXs = xs.filter(\.isFinite), finiteYs = ys.filter(\.isFinite)
        var (xLow, xHigh) = (finiteXs.min() ?? 0, finiteXs.max() ?? 1)
        var (yLow, yHigh) = (finiteYs.min() ?? 0, finiteYs.max() ?? 1)
        if yFromZero { yLow = Swift.min(yLow, 0); yHigh = Swift.max(yHigh, 0) }
        self.xCategoryLabels = xCategories
        self.xKeptLabel = xKeepLabel
        if let xCategories {
            self.xTicks = xCategories.indices.map(Double.init)
            self.xDomain = -0.5...(Double(Swift.max(xCategories.count, 1)) - 0.5)
            self.xDigits = 0
        } else if xIntegers {
            let step = Swift.max(1, Self.niceStep(xHigh - xLow, count: 6))
            xLow -= step / 2; xHigh += step / 2
            self.xTicks = Self.ticks(from: (xLow / step).rounded(.up) * step, through: xHigh, step: step)
            self.xDomain = xLow...xHigh
            self.xDigits = 0
        } else {
            if xHigh - xLow <= 0 { let pad = Swift.max(abs(xLow) * 0.1, 1e-9 + (xLow == 0 ? 1 : 0)); xLow -= pad; xHigh += pad }
            let step = Self.niceStep(xHigh - xLow, count: 6)
            let low = (xLow / step).rounded(.down) * step, high = (xHigh / step).rounded(.up) * step
            self.xTicks = Self.ticks(from: low, through: high, step: step)
            self.xDomain = low...high
            self.xDigits = Self.digits(step)
        }
        if yHigh - yLow <= 0 { yHigh = yLow + Swift.max(abs(yLow), 1) }
        let yStep = yIntegers ? Swift.max(1, Self.niceStep(yHigh - yLow, count: 5)) : Self.niceStep(yHigh - yLow, count: 5)
        let yLowTick = (yLow / yStep).rounded(.down) * yStep
        let yHighTick = (yHigh * 1.02 / yStep).rounded(.up) * yStep   // a little headroom above the highest mark
        self.yTicks = Self.ticks(from: yLowTick, through: yHighTick, step: yStep)
        self.yDomain = yLowTick...yHighTick
        self.yDigits = Self.digits(yStep)
    }

    /// The canvas x of data value `v`. O(1).
    public func x(_ v: Double) -> Double { left + (v - xDomain.lowerBound) / (xDomain.upperBound - xDomain.lowerBound) * (width - left - right) }
    /// The canvas y of data value `v`. O(1).
    public func y(_ v: Double) -> Double { top + plotHeight - (v - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound) * plotHeight }
    public var plotHeight: Double { height - top - bottom }

    /// The whole SVG document: title, axes with ticks and labels, the marks, the legend. O(size).
    public func render() -> String {
        let f = Self.number
        let plotRight = width - right, plotBottom = top + plotHeight
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"\(f(Self.fontSize))\">\n"
        out += "<title>\(Self.escape(title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#ffffff\"/>\n"
        let titleFits = Self.fit(title, width: width - 32, fontSize: 14)
        out += "<text x=\"16\" y=\"24\" font-size=\"14\">\(Self.escape(titleFits))</text>\n"
        if let subtitle {
            out += "<text x=\"16\" y=\"42\" fill=\"#444444\">\(Self.escape(Self.fit(subtitle, width: width - 32, fontSize: Self.fontSize)))</text>\n"
        }
        // Grid lines and ticks first, so the marks draw over them.
        out += "<g stroke=\"#e0e0e0\">\n"
        for t in yTicks { out += "<line x1=\"\(f(left))\" y1=\"\(f(y(t)))\" x2=\"\(f(plotRight))\" y2=\"\(f(y(t)))\"/>\n" }
        out += "</g>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(plotBottom))\" x2=\"\(f(plotRight))\" y2=\"\(f(plotBottom))\" stroke=\"#000000\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(plotBottom))\" stroke=\"#000000\"/>\n"
        let xLabels = xCategoryLabels.map { $0.map(Self.escape) } ?? xTicks.map { Self.tickLabel($0, digits: xDigits) }
        let labelled = xLabelled(xLabels)
        for (i, t) in xTicks.enumerated() {
            out += "<line x1=\"\(f(x(t)))\" y1=\"\(f(plotBottom))\" x2=\"\(f(x(t)))\" y2=\"\(f(plotBottom + 5))\" stroke=\"#000000\"/>"
            if labelled[i] { out += "<text x=\"\(f(x(t)))\" y=\"\(f(plotBottom + 19))\" text-anchor=\"middle\">\(xLabels[i])</text>" }
            out += "\n"
        }
        for t in yTicks {
            out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(y(t)))\" x2=\"\(f(left))\" y2=\"\(f(y(t)))\" stroke=\"#000000\"/>"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y(t) + 4))\" text-anchor=\"end\">\(Self.tickLabel(t, digits: yDigits))</text>\n"
        }
        out += "<text x=\"\(f((left + plotRight) / 2))\" y=\"\(f(plotBottom + 40))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        let mid = f(top + plotHeight / 2)
        out += "<text x=\"18\" y=\"\(mid)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(mid))\">\(Self.escape(Self.fit(yLabel, width: plotHeight, fontSize: Self.fontSize)))</text>\n"
        out += body
        // The legend band, below the x axis label.
        let bandTop = plotBottom + 56
        for (entry, place) in zip(legend, legendPlaces) {
            let cy = bandTop + Double(place.row) * Self.legendRowHeight + 9
            switch entry.mark {
            case .swatch:
                out += "<rect x=\"\(f(place.x + 8))\" y=\"\(f(cy - 5))\" width=\"10\" height=\"10\" fill=\"\(entry.colour)\"/>"
            case let .line(dash):
                out += "<line x1=\"\(f(place.x))\" y1=\"\(f(cy))\" x2=\"\(f(place.x + 24))\" y2=\"\(f(cy))\" stroke=\"\(entry.colour)\" stroke-width=\"2\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"
            case let .point(stroke):
                out += "<circle cx=\"\(f(place.x + 13))\" cy=\"\(f(cy))\" r=\"5\" fill=\"\(entry.colour)\"\(stroke.map { " stroke=\"\($0)\" stroke-width=\"2\"" } ?? "")/>"
            }
            out += "<text x=\"\(f(place.x + 30))\" y=\"\(f(cy + 4))\">\(Self.escape(entry.label))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// Which x ticks get their label: every one, or every 2nd, 3rd... when they would touch
    /// (8 units apart at least); the kept tick (`xKeptLabel`) always, its neighbours' labels
    /// dropped when they would come closer to it than that. O(ticks).
    func xLabelled(_ labels: [String]) -> [Bool] {
        let widest = labels.map { Self.textWidth($0) }.max() ?? 0
        let spacing = xTicks.count > 1 ? abs(x(xTicks[1]) - x(xTicks[0])) : .infinity
        let every = Swift.max(1, Int(((widest + 8) / spacing).rounded(.up)))
        var shown = xTicks.indices.map { $0 % every == 0 }
        guard let k = xKeptLabel, xTicks.indices.contains(k), labels.indices.contains(k) else { return shown }
        for i in xTicks.indices where i != k && shown[i] {
            let apart = abs(x(xTicks[i]) - x(xTicks[k])), room = (Self.textWidth(labels[i]) + Self.textWidth(labels[k])) / 2 + 8
            if apart < room { shown[i] = false }
        }
        shown[k] = true
        return shown
    }

    // MARK: - Stacked bars

    /// One segment of a stacked bar: its height in y data units, its fill and its tooltip.
    public struct StackSegment: Sendable, Equatable {
        public var value: Double, colour: String, tooltip: String
        public init(value: Double, colour: String, tooltip: String) { self.value = value; self.colour = colour; self.tooltip = tooltip }
    }

    /// A bar centred on data x `at`, `barWidth` canvas units wide, its segments stacked upward
    /// from y = `base` in the order given, as `<g class="stack"...>` holding one
    /// `<rect class="segment">` with its `<title>` per segment of positive value (the others are
    /// left out). With `outline`, a rectangle without fill in that colour is drawn around the
    /// whole bar (to single one out). `id` and `tooltip` (the whole bar's) are optional. Each
    /// segment starts where the previous one ends in canvas units, so the heights add up to the
    /// bar's. Append the result to `body`. O(segments).
    public func stackedBar(at position: Double, width barWidth: Double, segments: [StackSegment], base: Double = 0,
                           outline: String? = nil, id: String? = nil, tooltip: String? = nil) -> String {
        let f = Self.number
        let left = x(position) - barWidth / 2
        var out = "<g class=\"stack\"\(id.map { " id=\"\(Self.escape($0))\"" } ?? "")>"
        if let tooltip { out += "<title>\(Self.escape(tooltip))</title>" }
        var level = base, bottom = Double(f(y(base))) ?? y(base)
        for s in segments where s.value > 0 {
            level += s.value
            let top = Double(f(y(level))) ?? y(level)
            out += "<rect class=\"segment\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(barWidth))\" height=\"\(f(bottom - top))\" fill=\"\(s.colour)\">"
            out += "<title>\(Self.escape(s.tooltip))</title></rect>"
            bottom = top
        }
        if let outline, level > base {
            let top = Double(f(y(level))) ?? y(level), foot = Double(f(y(base))) ?? y(base)
            out += "<rect class=\"outline\" x=\"\(f(left - 1.5))\" y=\"\(f(top - 1.5))\" width=\"\(f(barWidth + 3))\" height=\"\(f(foot - top + 1.5))\" fill=\"none\" stroke=\"\(outline)\" stroke-width=\"2\"/>"
        }
        return out + "</g>\n"
    }

    // MARK: - Primitives

    /// `s` with the XML specials (`& < > " '`) escaped, for text and attribute values. O(length).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate: one decimal, no trailing `.0`, no `-0` (locale-independent). O(1).
    public static func number(_ v: Double) -> String {
        var s = Units.fixed(v, digits: 1)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s == "-0" ? "0" : s
    }

    /// The step of about `count` intervals over `span`: 1, 2 or 5 times a power of ten. O(1).
    public static func niceStep(_ span: Double, count: Int) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(Swift.max(count, 1))
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        while power > raw { power /= 10 }
        for m in [1.0, 2, 5] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }

    /// The ticks `from`, `from + step`, ... up to `through` (inclusive, with rounding slack);
    /// at most 200. O(ticks).
    public static func ticks(from low: Double, through high: Double, step: Double) -> [Double] {
        guard step > 0 else { return [low] }
        var out: [Double] = []
        var i = 0.0
        while out.count < 200 {
            let t = low + i * step
            if t > high + step * 1e-6 { break }
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            i += 1
        }
        return out
    }

    /// The decimals a tick step needs (0 for whole steps, 1 for 0.5, 2 for 0.02...). O(1).
    public static func digits(_ step: Double) -> Int {
        var d = 0, s = step
        while d < 9, abs(s - s.rounded()) > 1e-6 * Swift.max(1, abs(s)) { s *= 10; d += 1 }
        return d
    }

    /// A tick label: `digits` decimals, thousands not grouped, no `-0`. O(1).
    public static func tickLabel(_ v: Double, digits: Int) -> String {
        let s = Units.fixed(v, digits: digits)
        return s.allSatisfy({ $0 == "-" || $0 == "0" || $0 == "." }) ? String(s.drop { $0 == "-" }) : s
    }

    /// An upper estimate of the rendered width of `s` at `fontSize` in a sans-serif face. O(length).
    public static func textWidth(_ s: String, fontSize: Double = fontSize) -> Double { Double(s.count) * fontSize * 0.62 }

    /// `s` cut (with an ellipsis) to fit `width` at `fontSize`. O(length).
    public static func fit(_ s: String, width: Double, fontSize: Double) -> String {
        let most = Int(width / (fontSize * 0.62))
        guard s.count > most, most > 1 else { return s }
        return String(s.prefix(most - 1)) + "…"
    }
}
