import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WaferTestSupport

/// `wafer-NN.svg` (docs/cli.md, "Pictures"): four panels (what each PE holds, SRAM fill, link
/// load, colors per PE) with axes in PE coordinates, a scale bar and colour scales, a `<title>` on every slot and
/// holding region, labels inside the canvas, a legend of exactly the colours drawn, dead PEs,
/// spares and detours in colours no kind uses; holding regions against a per-PE oracle, and the
/// link load against the route pass's `max_link_load_wavelets`.
@Suite struct WaferPictureTests {
    @Test func everyWaferHasTitledRegionsAxesAScaleBarAndAHonestLegend() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = directory.appendingPathComponent("p.plan.json").path
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--defect-rate", "0.02", "--clustered",
                               "--repair", "none", "--seed", "3", "-o", plan, "--svg", directory.appendingPathComponent("a").path])
        #expect(out.status == 0, "\(out.stderr)")
        var sawDead = false, sawDetour = false, sawLabel = false
        for k in 0..<3 {
            let name = "wafer-0\(k).svg"
            let data = try Data(contentsOf: directory.appendingPathComponent("a/\(name)"))
            #expect(XMLParser(data: data).parse(), "\(name) is not well-formed XML")
            let svg = String(decoding: data, as: UTF8.self)

            // Every used slot carries its exact contents; every holding region inside it what
            // it holds and its bytes per PE, in a kind's Okabe-Ito colour (or white: unused).
            let slots = svg.matches(of: #/<g class="slot"><title>([^<]*)</title>/#)
            #expect(!slots.isEmpty, "\(name): no slot")
            for t in slots {
                let tip = String(t.output.1)
                for part in ["slot ", "PEs x ", "holds: ", "data bytes per PE", "units ("] { #expect(tip.contains(part), "\(name): \(part) not in \(tip)") }
            }
            let regions = svg.matches(of: #/<g class="region" fill="(#[0-9A-Fa-f]{6})"><title>([^<]*)</title>/#)
            #expect(regions.count >= slots.count, "\(name): \(regions.count) regions in \(slots.count) slots")
            let okabeIto: Set = ["#0072B2", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#ffffff"]
            for r in regions {
                #expect(okabeIto.contains(String(r.output.1)), "\(name): region colour \(r.output.1)")
                for part in ["PEs x ", "holds: ", "data bytes per PE"] { #expect(r.output.2.contains(part), "\(name): \(part) not in \(r.output.2)") }
            }
            // The fill panel draws the same regions, one viridis group each.
            #expect(svg.matches(of: #/<g class="fill" fill="#[0-9a-f]{6}"><title>/#).count == regions.count)
            // The link-load panel: its scale ends at the plan's busiest link, in plasma.
            #expect(svg.contains("<g id=\"link-load\"") && svg.contains("url(#plasma)"))
            // The colors panel: cividis up to the routing budget.
            #expect(svg.contains("<g id=\"colors\"") && svg.contains("url(#cividis)") && svg.contains("<g class=\"colors\" fill=\"#"))

            // The legend shows only what is drawn.
            let split = try #require(svg.range(of: "<g id=\"legend\">"))
            // The legend group has no group inside: it ends at the first `</g>`; the unit maps follow it.
            let end = try #require(svg.range(of: "</g>", range: split.upperBound..<svg.endIndex))
            let body = String(svg[..<split.lowerBound]) + String(svg[end.upperBound...]), legend = String(svg[split.lowerBound..<end.upperBound])
            let swatches = legend.matches(of: #/<rect x="\d+" y="\d+" width="16" height="16" fill="([^"]+)"/#).map { String($0.output.1) }
                + legend.matches(of: #/<line x1="\d+" y1="\d+" x2="\d+" y2="\d+" stroke="(#[0-9A-Fa-f]{6})" stroke-width="2"/>/#).map { String($0.output.1) }
            #expect(swatches.count >= 2)
            #expect(Set(swatches).count == swatches.count, "\(name): a colour twice in the legend: \(swatches)")
            for colour in swatches {
                let used = body.contains("fill=\"\(colour)\"") || body.contains("stroke=\"\(colour)\"")
                #expect(used, "\(name): legend colour \(colour) is not used")
            }
            // Dead PEs, detours and spares in colours that cannot be confused.
            if svg.contains(">dead PE</text>") { sawDead = true; #expect(legend.contains("fill=\"#000000\"/><text") ) }
            if svg.contains(">detour route</text>") { sawDetour = true; #expect(body.contains("stroke=\"#D55E00\"")) }
            #expect(!svg.contains("#e74c3c") && !svg.contains("#1f618d"))
            #expect(svg.contains("<g id=\"colour-scales\">") && svg.contains("url(#viridis)") && svg.contains(">100%</text>"))

            // Axes and the scale bar.
            #expect(svg.contains("<g id=\"axes\"") && svg.contains(">x: PE column, y: PE row</text>") && svg.contains("<g id=\"scale-bar\">"))
            #expect(svg.contains(">0</text>") && svg.contains(">30</text>"))

            // Every text inside the viewBox; labels after the routes and the dead PEs.
            let viewBox = try #require(svg.firstMatch(of: #/viewBox="0 0 (\d+) (\d+)"/#))
            let width = Double(viewBox.output.1)!, height = Double(viewBox.output.2)!
            let texts = svg.matches(of: #/<text x="(-?\d+)" y="(-?\d+)" font-size="(\d+)"[^>]*>([^<]*)</text>/#)
            #expect(texts.count == svg.matches(of: #/<text /#).count)
            for t in texts {
                let x = Double(t.output.1)!, y = Double(t.output.2)!, size = Double(t.output.3)!
                let right = x + Double(String(t.output.4).replacingOccurrences(of: "&amp;", with: "&").count) * size * 0.6
                #expect(x >= 0 && right <= width && y - size >= 0 && y <= height, "\(name): \(t.output.4) at \(x),\(y) outside \(width) x \(height)")
            }
            // No text overlaps another: boxes from the baseline up a font size, 0.6 font sizes
            // per character (the same estimate the picture fits its labels with).
            let boxes = texts.map { t -> (x0: Double, x1: Double, y0: Double, y1: Double, text: String) in
                let x = Double(t.output.1)!, y = Double(t.output.2)!, size = Double(t.output.3)!
                let chars = String(t.output.4).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").count
                return (x, x + Double(chars) * size * 0.6, y - size * 0.8, y, String(t.output.4))
            }
            for i in boxes.indices {
                for j in boxes.indices where j > i {
                    let a = boxes[i], b = boxes[j]
                    let overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
                    #expect(!overlap, "\(name): '\(a.text)' overlaps '\(b.text)'")
                }
            }
            let labels = try #require(svg.range(of: "<g id=\"labels\""))
            if let path = svg.range(of: "<path id=\"detours\" d=\"M") { #expect(path.lowerBound < labels.lowerBound) }
            if svg[labels.lowerBound...].contains("<text") { sawLabel = true }
        }
        #expect(sawDead && sawDetour && sawLabel)

        // `render` draws the same bytes from the plan, every time.
        for name in ["b", "c"] {
            #expect(try CLI.run(["render", plan, "--svg", directory.appendingPathComponent(name).path]).status == 0)
            for k in 0..<3 {
                #expect(try Data(contentsOf: directory.appendingPathComponent("\(name)/wafer-0\(k).svg")) == Data(contentsOf: directory.appendingPathComponent("a/wafer-0\(k).svg")))
            }
        }
    }
}
