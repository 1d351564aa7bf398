import Foundation
import Testing
import WaferTestSupport

/// `overview.svg` (docs/cli.md, "Pictures"): a card per wafer in pipeline order with its time
/// share, SRAM fill and dead PEs, one bottleneck highlighted, a legend of the colours it uses,
/// the deployment in the title, and every label inside the canvas without overlapping another.
@Suite struct OverviewPictureTests {
    /// A label's box: x from its start, estimated at 0.6 font sizes per character; y a font size
    /// above its baseline.
    struct Label { var x: Double, y: Double, size: Double, text: String
        var right: Double { x + Double(text.count) * size * 0.6 }
    }

    static func labels(_ svg: String) -> [Label] {
        svg.matches(of: #/<text x="(-?\d+)" y="(-?\d+)" font-size="(\d+)"[^>]*>([^<]*)</text>/#).map {
            Label(x: Double($0.output.1)!, y: Double($0.output.2)!, size: Double($0.output.3)!,
                  text: String($0.output.4).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">"))
        }
    }

    @Test func threeWafersInPipelineOrderWithOneBottleneckAndALegend() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = directory.appendingPathComponent("p.plan.json").path
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--defect-rate", "0.01", "--seed", "5",
                               "-o", plan, "--svg", directory.appendingPathComponent("a").path])
        #expect(out.status == 0, "\(out.stderr)")
        let svg = try String(contentsOf: directory.appendingPathComponent("a/overview.svg"), encoding: .utf8)

        // The deployment in the title.
        let title = try #require(svg.firstMatch(of: #/<svg [^>]*>\n<title>([^<]*)</title>/#)).output.1
        for part in ["tiny on 3 x small32: ", "tokens/s per user predicted", "context 8,192 tokens", "batch 1", "precision ", "defects: generated: uniform rate 0.01"] {
            #expect(title.contains(part), "\(part) not in \(title)")
        }
        // One card per wafer, in order, each with its tooltip of exact figures.
        let cards = svg.matches(of: #/<g id="wafer-(\d+)" class="wafer( bottleneck)?"><title>([^<]*)</title>/#)
        #expect(cards.map { Int($0.output.1)! } == [0, 1, 2])
        for card in cards {
            let tip = String(card.output.3)
            #expect(tip.contains("cycles busy") && tip.contains("SRAM: ") && tip.contains("dead PEs") && tip.contains("slot "), "\(tip)")
        }
        // Exactly one bottleneck: one outlined card, one label saying why, one busiest slot, and
        // it is the card with the largest time share.
        #expect(cards.filter { $0.output.2 != nil }.count == 1)
        #expect(svg.matches(of: #/class="busiest"/#).count == 1)
        let all = Self.labels(svg)
        #expect(all.filter { $0.text.hasPrefix("slowest: ") && $0.text.hasSuffix(" of each token") }.count == 1)
        // Why: the phase kind taking most of the slowest wafer's busy time, with its share, as
        // the card's tooltip splits it.
        let why = all.filter { $0.text.hasPrefix("why: ") }
        #expect(why.count == 1, "\(why.map(\.text))")
        if let w = why.first, let kind = ["compute", "elementwise work", "on-wafer communication", "wafer-to-wafer links"].first(where: { w.text.hasPrefix("why: \($0) ") }) {
            let pct = Double(w.text.dropFirst("why: \(kind) ".count).dropLast()) ?? -1
            #expect(pct >= 25 && pct <= 100, "\(w.text): the largest of four kinds is at least a quarter")
        } else { Issue.record("no kind in \(why.map(\.text))") }
        #expect(cards.allSatisfy { $0.output.3.contains("busy time by kind") })
        let shares = all.compactMap { l in l.text.hasPrefix("time ") ? Double(l.text.dropFirst(5).dropLast()) : nil }
        #expect(shares.count == 3)
        let slowest = try #require(cards.firstIndex { $0.output.2 != nil })
        #expect(shares[slowest] == shares.max())
        #expect(all.filter { $0.text.hasPrefix("SRAM fill ") }.count == 3 && all.filter { $0.text.hasSuffix(" dead PEs") }.count == 3)

        // The legend names only colours the picture uses, and the kinds are Okabe-Ito.
        let split = try #require(svg.range(of: "<g id=\"legend\">"))
        let body = String(svg[..<split.lowerBound]), legend = String(svg[split.lowerBound...])
        let swatches = legend.matches(of: #/<rect x="\d+" y="\d+" width="1[46]" height="1[46]" fill="(#[0-9A-Fa-f]{6}|none)"(?: stroke="(#[0-9A-Fa-f]{6})")?/#)
            .map { $0.output.1 == "none" ? String($0.output.2 ?? "") : String($0.output.1) }
        #expect(swatches.count >= 5)
        for colour in swatches { #expect(body.contains("\"\(colour)\""), "legend colour \(colour) is not used") }
        let okabeIto: Set = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#999999"]
        let slotColours = Set(body.matches(of: #/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="(#[0-9A-Fa-f]{6})" stroke="#333" stroke-width="[\d.]+"><title>/#).map { String($0.output.1) })
        #expect(!slotColours.isEmpty && slotColours.isSubset(of: okabeIto), "\(slotColours)")
        #expect(legend.contains("url(#viridis)") && legend.contains(">100%</text>"))

        // Every label inside the viewBox, and no two overlapping.
        let viewBox = try #require(svg.firstMatch(of: #/viewBox="0 0 (\d+) (\d+)"/#))
        let width = Double(viewBox.output.1)!, height = Double(viewBox.output.2)!
        #expect(all.count == svg.matches(of: #/<text /#).count)
        for l in all {
            #expect(l.x >= 0 && l.right <= width && l.y - l.size >= 0 && l.y <= height, "\(l.text) at \(l.x),\(l.y) outside \(width) x \(height)")
        }
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] where a.x < b.right && b.x < a.right && a.y - a.size < b.y && b.y - b.size < a.y {
                Issue.record("\"\(a.text)\" overlaps \"\(b.text)\"")
            }
        }

        // `render` draws the same bytes from the plan, every time.
        for name in ["b", "c"] {
            #expect(try CLI.run(["render", plan, "--svg", directory.appendingPathComponent(name).path]).status == 0)
            #expect(try Data(contentsOf: directory.appendingPathComponent("\(name)/overview.svg")) == Data(svg.utf8))
        }
    }
}
