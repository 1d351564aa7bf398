import Foundation
import FoundationXML
import Testing
import WaferPlan
import WaferReport
import WaferTestSupport

/// `time-split.svg` (docs/cli.md, "Pictures"): one stacked bar per wafer in pipeline order, its
/// segments the phase kinds in a fixed order adding up to the wafer's busy time, the busiest
/// wafer outlined and labelled, the legend's colours those drawn, every text inside the canvas,
/// and the same bytes every run.
@Suite struct TimeSplitPlotTests {
    /// The kinds' legend names in stacking order (the documented order).
    static let order = ["compute", "elementwise", "fabric (on-wafer communication)", "link (wafer to wafer)"]

    /// Each wafer's busy cycles, computed here from the plan: the union of its units' phases.
    static func busy(_ plan: Plan, kinds: Set<PlanPhaseKind>? = nil) -> [Int: Int] {
        var byWafer: [Int: [(Int, Int)]] = [:]
        for p in plan.schedule.phases where p.endCycle > p.startCycle && (kinds?.contains(p.kind) ?? true) {
            byWafer[plan.units[p.unit].wafer, default: []].append((p.startCycle, p.endCycle))
        }
        return byWafer.mapValues { intervals in
            var cycles = Set<Int>()
            for (a, b) in intervals { cycles.formUnion(a..<b) }
            return cycles.count
        }
    }

    struct Segment { var height: Double, fill: String, kind: String, cycles: Int }

    /// The structural checks; returns each bar's segments in wafer order.
    @discardableResult
    static func check(_ svg: String, plan: Plan, sourceLocation: SourceLocation = #_sourceLocation) -> [[Segment]] {
        let m = SweepPlotTests.matches
        #expect(XMLParser(data: Data(svg.utf8)).parse(), "not well-formed XML", sourceLocation: sourceLocation)
        let box = m("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"", svg)
        let width = Double(box.first?[1] ?? "") ?? 0, height = Double(box.first?[2] ?? "") ?? 0
        // One stacked group per wafer, in pipeline order.
        let groups = m("<g class=\"stack\" id=\"wafer-([0-9]+)\">(.*?)</g>\n", svg)
        #expect(groups.map { Int($0[1]) ?? -1 } == plan.wafers.map(\.index), sourceLocation: sourceLocation)
        // The y scale from the tick labels (a label sits 4 units below its tick).
        let ticks = m("<text x=\"[0-9.]+\" y=\"([0-9.]+)\" text-anchor=\"end\">([0-9.]+)</text>", svg).map { (Double($0[1])! - 4, Double($0[2])!) }
        #expect(ticks.count >= 2, sourceLocation: sourceLocation)
        let unitsPerMicro = (ticks[0].0 - ticks[ticks.count - 1].0) / (ticks[ticks.count - 1].1 - ticks[0].1)
        let busy = Self.busy(plan)
        let clock = plan.schedule.clockMhz
        var bars: [[Segment]] = []
        for (g, w) in zip(groups, plan.wafers) {
            let segments = m("<rect class=\"segment\" x=\"[-0-9.]+\" y=\"[-0-9.]+\" width=\"[0-9.]+\" height=\"([0-9.]+)\" fill=\"(#[0-9A-F]{6})\"><title>wafer [0-9]+, ([^:]+): ([0-9,]+) cycles", g[2])
                .map { Segment(height: Double($0[1])!, fill: $0[2], kind: $0[3], cycles: Int($0[4].replacingOccurrences(of: ",", with: ""))!) }
            bars.append(segments)
            // The segments add up to the wafer's busy time, in cycles exactly and in height
            // within the rounding of one decimal per segment edge.
            let expected = busy[w.index] ?? 0
            #expect(segments.reduce(0) { $0 + $1.cycles } == expected, "wafer \(w.index)", sourceLocation: sourceLocation)
            let drawn = segments.reduce(0) { $0 + $1.height }
            #expect(abs(drawn - Double(expected) / clock * unitsPerMicro) <= 0.1 * Double(segments.count + 1), "wafer \(w.index): \(drawn)", sourceLocation: sourceLocation)
            // The kinds in the documented order, bottom to top.
            let ranks = segments.map { Self.order.firstIndex(of: $0.kind) ?? -1 }
            #expect(!ranks.contains(-1) && ranks == ranks.sorted() && Set(ranks).count == ranks.count, "\(ranks)", sourceLocation: sourceLocation)
        }
        // The busiest wafer (lowest index on a tie) outlined and labelled, no other.
        let most = plan.wafers.map { busy[$0.index] ?? 0 }.max() ?? 0
        let outlined = groups.filter { $0[2].contains("class=\"outline\"") }.map { Int($0[1])! }
        #expect(outlined == (most > 0 ? [plan.wafers.first { busy[$0.index] == most }!.index] : []), sourceLocation: sourceLocation)
        #expect(m(">limits speed</text>", svg).count == (most > 0 ? 1 : 0), sourceLocation: sourceLocation)
        // Whatever the thinning, the outlined bar has its x label under its centre, and no two
        // x labels touch.
        let labels = m("<text x=\"([0-9.]+)\" y=\"[0-9.]+\" text-anchor=\"middle\">(wafer [0-9]+)</text>", svg)
        if let b = outlined.first {
            let outline = m("<g class=\"stack\" id=\"wafer-\(b)\">.*?<rect class=\"outline\" x=\"([-0-9.]+)\" y=\"[-0-9.]+\" width=\"([0-9.]+)\"", svg)
            let centre = outline.first.map { Double($0[1])! + Double($0[2])! / 2 } ?? -1
            #expect(labels.contains { $0[2] == "wafer \(b)" && abs(Double($0[1])! - centre) <= 0.1 }, "no label under wafer \(b) at \(centre)", sourceLocation: sourceLocation)
        }
        for (a, b) in zip(labels, labels.dropFirst()) {
            let room = (SVGPlot.textWidth(a[2]) + SVGPlot.textWidth(b[2])) / 2
            #expect(Double(b[1])! - Double(a[1])! >= room, "\(a[2]) and \(b[2]) touch", sourceLocation: sourceLocation)
        }
        // The legend's swatches are exactly the segments' colours, one per kind.
        let used = Set(bars.joined().map(\.fill))
        let swatches = m("<rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"10\" height=\"10\" fill=\"(#[0-9A-F]{6})\"/><text x=\"[0-9.]+\" y=\"[0-9.]+\">([^<]*)</text>", svg)
        #expect(Set(swatches.map { $0[1] }) == used && swatches.count == used.count, sourceLocation: sourceLocation)
        for s in swatches { #expect(bars.joined().allSatisfy { $0.fill != s[1] || $0.kind == s[2] }, "\(s[2])", sourceLocation: sourceLocation) }
        // Every text inside the canvas with its estimated width (the rotated axis label is
        // fitted to the plot's height by SVGPlot).
        for t in m("<text x=\"([-0-9.]+)\" y=\"([-0-9.]+)\"([^>]*)>([^<]*)</text>", svg) where !t[3].contains("transform") {
            let x = Double(t[1]) ?? -1, y = Double(t[2]) ?? -1
            #expect(x >= 0 && x <= width && y >= 0 && y <= height, "'\(t[4])' at \(x),\(y)", sourceLocation: sourceLocation)
            let w = SVGPlot.textWidth(t[4], fontSize: t[3].contains("font-size=\"14\"") ? 14 : 12)
            let (from, to) = t[3].contains("text-anchor=\"middle\"") ? (x - w / 2, x + w / 2) : t[3].contains("text-anchor") ? (x - w, x) : (x, x + w)
            #expect(from >= 0 && to <= width + 1, "'\(t[4])' runs off the canvas", sourceLocation: sourceLocation)
        }
        return bars
    }

    @Test func oneStackedBarPerWaferAddingUpToItsBusyTime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.plan.json").path
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--defect-rate", "0.01", "--seed", "5",
                               "-o", path, "--svg", directory.appendingPathComponent("a").path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("5 SVG files in") && out.stdout.contains("(3 wafers, time-split.svg and overview.svg)"), "\(out.stdout)")
        let plan = try PlanIO.read(path: path)
        let bytes = try Data(contentsOf: directory.appendingPathComponent("a/time-split.svg"))
        let svg = String(decoding: bytes, as: UTF8.self)
        #expect(svg == TimeSplitPlot.svg(plan))
        let bars = Self.check(svg, plan: plan)
        #expect(bars.count == 3 && bars.joined().count >= 4)
        for phrase in ["tiny on 3 x small32", "cycles per token", "tokens/s per user", "context 8,192", "batch 1", "(microseconds)", "% of the token"] {
            #expect(svg.contains(phrase), "missing '\(phrase)'")
        }
        // `render` draws the same bytes from the plan, every time, and says what it wrote.
        for name in ["b", "c"] {
            let r = try CLI.run(["render", path, "--svg", directory.appendingPathComponent(name).path])
            #expect(r.status == 0 && r.stdout.contains("wrote 5 SVG files") && r.stdout.contains("time-split.svg"), "\(r.stdout)\(r.stderr)")
            #expect(try Data(contentsOf: directory.appendingPathComponent("\(name)/time-split.svg")) == bytes)
        }
    }

    /// Kinds that overlap in time count once (for the first kind in the order, the later kind's
    /// tooltip saying how much it hid), and many wafers keep their axis labels apart.
    @Test func overlappingKindsCountOnceAndManyWafersStayReadable() throws {
        var plan = try PlanIO.read(path: TestPaths.fixture("plans/tiny-small64.plan.json"))
        let compute = try #require(plan.schedule.phases.first { $0.kind == .compute && $0.endCycle - $0.startCycle > 1 })
        let middle = (compute.startCycle + compute.endCycle) / 2
        // A link phase from the middle of a compute phase to past the end of every phase.
        let end = plan.schedule.phases.map(\.endCycle).max()! + 7
        plan.schedule.phases.append(PlanPhase(unit: compute.unit, kind: .link, label: "overlapping", flow: nil, startCycle: middle, endCycle: end))
        let svg = TimeSplitPlot.svg(plan)
        Self.check(svg, plan: plan)
        #expect(svg.contains("of them under an earlier kind"))
        #expect(svg == TimeSplitPlot.svg(plan))

        // 40 wafers (copies of the first, without phases but on wafer 0): labels thinned, apart.
        let first = plan.wafers[0]
        plan.wafers = (0..<40).map { k in var w = first; w.index = k; return w }
        let many = TimeSplitPlot.svg(plan)
        Self.check(many, plan: plan)
        let labels = SweepPlotTests.matches("<text x=\"([0-9.]+)\" y=\"[0-9.]+\" text-anchor=\"middle\">(wafer [0-9]+)</text>", in: many)
        #expect(labels.count > 1 && labels.count < 40)
        for (a, b) in zip(labels, labels.dropFirst()) {
            #expect(Double(b[1])! - Double(a[1])! >= SVGPlot.textWidth(a[2].count > b[2].count ? a[2] : b[2]), "\(a[2]) and \(b[2]) touch")
        }

        // The bottleneck on wafer 13, between the thinned labels (every 3rd: 12 and 15): it
        // keeps its label and the neighbour it would overlap loses its own.
        for u in plan.units.indices { plan.units[u].wafer = 13 }
        let thirteen = TimeSplitPlot.svg(plan)
        Self.check(thirteen, plan: plan)
        let shown = SweepPlotTests.matches("text-anchor=\"middle\">wafer ([0-9]+)</text>", in: thirteen).map { Int($0[1])! }
        let thinned = labels.map { Int($0[2].dropFirst(6))! }
        #expect(!thinned.contains(13) && shown.contains(13), "thinned \(thinned), with the bottleneck \(shown)")
        #expect(Set(shown).subtracting([13]).isSubset(of: Set(thinned)) && shown.count >= thinned.count - 2, "\(shown)")
    }
}
