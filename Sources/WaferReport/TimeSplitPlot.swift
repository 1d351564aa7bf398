import WaferPlan
import WaferSupport

/// `time-split.svg` of the pictures (`--svg DIR`, `render`): where each wafer's time per token
/// goes, as one stacked bar per wafer in pipeline order, drawn from the plan alone on `SVGPlot`.
///
/// A bar's height is the wafer's busy time in one decode step: the union of its units' phase
/// intervals `[start_cycle, end_cycle)` (as the overview counts it), in microseconds (cycles /
/// the schedule's clock in MHz). It is split by phase kind in a fixed order, bottom to top:
/// compute, elementwise, fabric (on-wafer communication), link (wafer to wafer). Each kind's
/// segment is the cycles in which one of that kind's phases runs on the wafer and no phase of a
/// kind before it in the order does (so time two kinds share, such as a reduction streaming
/// under its product, counts once, for the first kind), which makes the segments add up to
/// the bar exactly; the segment's tooltip gives its cycles, microseconds and share of the token,
/// and the kind's own union when some of it is hidden under an earlier kind. The busiest wafer
/// (the most busy cycles, the lowest index on a tie, as in the overview) is outlined in black
/// and labelled `limits speed`, and its x label is always drawn (with many wafers only every
/// k-th label is, and a neighbour's label that would overlap the bottleneck's is dropped). Colours are fixed per kind (Okabe-Ito); the legend names the
/// kinds drawn. Deterministic: equal plans give equal bytes.
public enum TimeSplitPlot {
    /// The kinds in stacking order with their legend names and colours.
    static let kinds: [(kind: PlanPhaseKind, name: String, colour: String)] = [
        (.compute, "compute", SVGPlot.colour(0)),
        (.elementwise, "elementwise", SVGPlot.colour(1)),
        (.fabric, "fabric (on-wafer communication)", SVGPlot.colour(2)),
        (.link, "link (wafer to wafer)", SVGPlot.colour(3)),
    ]

    /// One wafer's split: per kind in `kinds` order, the cycles shown (exclusive of earlier
    /// kinds) and the kind's own union; the busy cycles (all kinds' union).
    struct Split: Sendable, Equatable {
        var shown: [Int]
        var own: [Int]
        var busy: Int
    }

    /// Each wafer's split, in `plan.wafers` order. O(phases log phases + wafers).
    static func splits(_ plan: Plan) -> [Split] {
        var byWafer: [Int: [[(start: Int, end: Int)]]] = [:]
        for p in plan.schedule.phases where plan.units.indices.contains(p.unit) && p.endCycle > p.startCycle {
            guard let k = kinds.firstIndex(where: { $0.kind == p.kind }) else { continue }
            byWafer[plan.units[p.unit].wafer, default: Array(repeating: [], count: kinds.count)][k].append((p.startCycle, p.endCycle))
        }
        return plan.wafers.map { w in
            let intervals = byWafer[w.index] ?? Array(repeating: [], count: kinds.count)
            var shown: [Int] = [], own: [Int] = [], before: [(start: Int, end: Int)] = [], coveredBefore = 0
            for list in intervals {
                own.append(WaferPictures.covered(list))
                before += list
                let upTo = WaferPictures.covered(before)
                shown.append(upTo - coveredBefore)
                coveredBefore = upTo
            }
            return Split(shown: shown, own: own, busy: coveredBefore)
        }
    }

    /// The SVG: title (model on target), subtitle (cycles per token, tokens/s, context, batch),
    /// the stacked bars, the bottleneck's outline and label, the legend. O(phases log phases + wafers).
    public static func svg(_ plan: Plan) -> String {
        let s = plan.schedule, i = plan.inputs
        let clock = s.clockMhz > 0 ? s.clockMhz : 1
        func micro(_ cycles: Int) -> Double { Double(cycles) / clock }
        let splits = splits(plan)
        let busiest = WaferPictures.bottleneck(busy: splits.map(\.busy))
        let used = kinds.indices.filter { k in splits.contains { $0.shown[k] > 0 } }
        var legend = used.map { SVGPlot.LegendEntry(colour: kinds[$0].colour, label: kinds[$0].name) }
        if busiest != nil { legend.append(.init(colour: "#000000", label: "limits speed: the busiest wafer (outlined)", mark: .line(dash: nil))) }

        let n = plan.wafers.count
        let title = "\(i.modelName) on \(n) x \(plan.target.name): time per token by wafer"
        var subtitle = "\(Units.grouped(s.cyclesPerToken)) cycles per token (\(Units.fixed(micro(s.cyclesPerToken), digits: 2)) µs at "
            + "\(Units.fixed(s.clockMhz, digits: 0)) MHz), \(Units.fixed(s.tokensPerS, digits: 1)) tokens/s per user, "
            + "context \(Units.grouped(i.contextTokens)), batch \(i.batch)"
        if let q = i.sequences, q != i.batch { subtitle += " (\(q) sequences)" }
        // Wide enough for the subtitle and for bars of 24 units or more.
        let width = Swift.max(760, SVGPlot.textWidth(subtitle) + 32, 108 + 24 * Double(n)).rounded(.up)
        var plot = SVGPlot(title: title, subtitle: subtitle, xLabel: "wafer (pipeline order)",
                           yLabel: "busy time per token (microseconds)",
                           xs: [], ys: splits.map { micro($0.busy) }, xCategories: plan.wafers.map { "wafer \($0.index)" }, xKeepLabel: busiest,
                           legend: legend, width: width)
        let barWidth = Swift.min(80, Swift.max(1, (plot.x(1) - plot.x(0)) * 0.7))
        for (k, (w, split)) in zip(plan.wafers, splits).enumerated() {
            let segments = used.map { kind -> SVGPlot.StackSegment in
                let cycles = split.shown[kind]
                var tip = "wafer \(w.index), \(kinds[kind].name): \(figures(cycles, clock: clock, perToken: s.cyclesPerToken))"
                if split.own[kind] > cycles {
                    tip += "; its phases run \(Units.grouped(split.own[kind])) cycles, \(Units.grouped(split.own[kind] - cycles)) of them under an earlier kind"
                }
                return SVGPlot.StackSegment(value: micro(cycles), colour: kinds[kind].colour, tooltip: tip)
            }
            let tip = "wafer \(w.index): busy \(figures(split.busy, clock: clock, perToken: s.cyclesPerToken))\(k == busiest ? "; the busiest wafer, it limits speed" : "")"
            plot.body += plot.stackedBar(at: Double(k), width: barWidth, segments: segments, outline: k == busiest ? "#000000" : nil,
                                         id: "wafer-\(w.index)", tooltip: tip)
        }
        if let b = busiest {
            let label = "limits speed", half = SVGPlot.textWidth(label) / 2
            let cx = Swift.min(Swift.max(plot.x(Double(b)), plot.left + half + 2), plot.width - plot.right - half - 2)
            let f = SVGPlot.number
            plot.body += "<text x=\"\(f(cx))\" y=\"\(f(plot.y(micro(splits[b].busy)) - 6))\" text-anchor=\"middle\" font-weight=\"bold\" "
                + "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\(label)</text>\n"
        }
        return plot.render()
    }

    /// `1,234 cycles, 1.23 µs, 4.5% of the token`. O(1).
    static func figures(_ cycles: Int, clock: Double, perToken: Int) -> String {
        let share = perToken > 0 ? Double(cycles) / Double(perToken) * 100 : 0
        return "\(Units.grouped(cycles)) cycles, \(Units.fixed(Double(cycles) / clock, digits: 3)) µs, \(Units.fixed(share, digits: 1))% of the token"
    }
}
