import Foundation
import Testing
import WaferMap
import WaferReport
import WaferStudy
import WaferTestSupport

/// `wafermap sweep --svg` and `merge --svg` of sweep parts (docs/cli.md, "sweep", "Plot"), and
/// the shared primitives in SVGPlot: one point per row, the front joined, every text inside the
/// canvas, the legend's colours those of the points, and the same bytes every run.
@Suite struct SweepPlotTests {
    static let study = ["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "1", "--batches", "1,2"]

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-sweepplot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
        }
    }

    /// The structural checks every sweep plot passes; `rows` and `front` from the report.
    static func checkStructure(_ svg: String, rows: Int, front: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), sourceLocation: sourceLocation)
        #expect(svg.hasSuffix("</svg>\n"), sourceLocation: sourceLocation)
        // Balanced elements that are opened and closed (a cheap well-formedness check).
        for tag in ["g", "text", "title", "svg"] {
            let opened = matches("<\(tag)[ >]", in: svg).count, closed = matches("</\(tag)>", in: svg).count
            #expect(opened == closed, "<\(tag)> opened \(opened), closed \(closed)", sourceLocation: sourceLocation)
        }
        #expect(!svg.contains("&&") && matches("&(?!amp;|lt;|gt;|quot;|#39;)", in: svg).isEmpty, "unescaped &", sourceLocation: sourceLocation)
        let box = matches("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"", in: svg)
        let width = Double(box.first?[1] ?? "") ?? 0, height = Double(box.first?[2] ?? "") ?? 0
        #expect(width > 0 && height > 0, sourceLocation: sourceLocation)
        #expect(matches("<circle [^>]*/></g>", in: svg).count == rows, "one circle per row", sourceLocation: sourceLocation)
        // The front's legend entry: a line sample only when a line is drawn, else an outlined point.
        let frontLine = matches("<line [^>]*/><text [^>]*>Pareto front[^<]*</text>", in: svg).count
        let frontPoint = matches("<circle [^>]*stroke=\"#000000\"[^>]*/><text [^>]*>Pareto front[^<]*</text>", in: svg).count
        #expect(frontLine == (front >= 2 ? 1 : 0) && frontPoint == (front == 1 ? 1 : 0), "front \(front): line \(frontLine), point \(frontPoint)", sourceLocation: sourceLocation)
        #expect(matches("<circle ", in: svg).count == rows + frontPoint, sourceLocation: sourceLocation)
        #expect(matches("<polyline ", in: svg).count == (front >= 2 ? 1 : 0), "the front joined when it has 2+ points", sourceLocation: sourceLocation)
        // Every text inside the canvas, start-anchored ones with their estimated width too.
        let texts = matches("<text x=\"([-0-9.]+)\" y=\"([-0-9.]+)\"([^>]*)>([^<]*)</text>", in: svg)
        #expect(texts.count >= 6, sourceLocation: sourceLocation)
        for t in texts {
            let x = Double(t[1]) ?? -1, y = Double(t[2]) ?? -1
            #expect(x >= 0 && x <= width && y >= 0 && y <= height, "text '\(t[4])' at \(x),\(y) outside 0 0 \(width) \(height)", sourceLocation: sourceLocation)
            if !t[3].contains("text-anchor") {
                #expect(x + SVGPlot.textWidth(t[4], fontSize: t[3].contains("font-size=\"14\"") ? 14 : 12) <= width + 1, "text '\(t[4])' runs off the right edge", sourceLocation: sourceLocation)
            }
        }
        // Legend swatches name exactly the colours the points use, all from the palette.
        let pointColours = Set(matches("<circle [^>]*fill=\"(#[0-9A-F]{6})\"[^>]*/></g>", in: svg).map { $0[1] })
        let legendColours = Set(matches("<rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"10\" height=\"10\" fill=\"(#[0-9A-F]{6})\"", in: svg).map { $0[1] })
        #expect(pointColours == legendColours, "points \(pointColours.sorted()), legend \(legendColours.sorted())", sourceLocation: sourceLocation)
        #expect(pointColours.isSubset(of: Set(SVGPlot.palette + [SVGPlot.grey])), sourceLocation: sourceLocation)
        // One tooltip per point, with its flags.
        #expect(matches("<g><title>[^<]*flags: --wafers [0-9]+[^<]*</title>", in: svg).count == rows, sourceLocation: sourceLocation)
    }

    @Test func sweepDrawsEveryRowDeterministicallyAndMergeDrawsTheSame() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("one.svg"), two = dir.appendingPathComponent("two.svg"), json = dir.appendingPathComponent("r.json")
        let r1 = try CLI.run(Self.study + ["--svg", one.path, "--format", "json", "-o", json.path])
        let r2 = try CLI.run(Self.study + ["--svg", two.path])
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)\(r2.stderr)")
        let bytes = try Data(contentsOf: one)
        #expect(try Data(contentsOf: two) == bytes, "two runs must write the same SVG bytes")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        let front = rows.filter { $0["pareto"] as? Bool == true }.count
        let svg = String(decoding: bytes, as: UTF8.self)
        Self.checkStructure(svg, rows: rows.count, front: front)
        #expect(rows.count >= 4 && front >= 2, "the tiny sweep should have 4+ rows and a front of 2+: \(rows.count), \(front)")
        // The title names model, target, context and batch; the axes their units.
        for phrase in ["tiny on small64", "context 8192 tokens", "batch 1, 2", ">wafers</text>", "tokens/s per user", "batch 1</text>", "batch 2</text>", "Pareto front"] {
            #expect(svg.contains(phrase), "missing '\(phrase)'")
        }

        // Shards refuse --svg; merge --svg draws the whole sweep, byte for byte.
        let part1 = dir.appendingPathComponent("p1.json").path, part2 = dir.appendingPathComponent("p2.json").path
        let refused = try CLI.run(Self.study + ["--shard", "1/2", "-o", part1, "--svg", dir.appendingPathComponent("x.svg").path])
        #expect(refused.status == 1 && refused.stderr.contains("wafermap merge PART... --svg FILE"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: part1))
        for (k, part) in [(1, part1), (2, part2)] {
            let shard = try CLI.run(Self.study + ["--shard", "\(k)/2", "-o", part])
            #expect(shard.status == 0, "\(shard.stderr)")
        }
        let merged = dir.appendingPathComponent("merged.svg")
        let merge = try CLI.run(["merge", part2, part1, "--svg", merged.path, "-o", dir.appendingPathComponent("merged.txt").path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Data(contentsOf: merged) == bytes, "merge --svg must draw the unsharded --svg")

        // The output path is checked before any compile.
        let bad = try CLI.run(Self.study + ["--svg", dir.appendingPathComponent("no/such/dir.svg").path])
        #expect(bad.status == 1 && bad.stderr.contains("--svg"), "\(bad.stderr)")
    }

    /// Many series: the palette in order, grey past six, one legend entry for the grey ones; a
    /// single-point front draws no line; names needing escapes are escaped.
    @Test func manySeriesSingleFrontAndEscaping() throws {
        var rows: [SweepReport.Row] = []
        for b in 1...8 {
            rows.append(SweepStudyTests.row(100 - Double(b), aggregate: 50, wafers: 1 + b % 3, flags: "--wafers \(1 + b % 3) --batch \(b) <&\">"))
            rows[rows.count - 1].batch = b
        }
        let header = try Driver.sweepHeader(SweepRequest(count: CountRequest(modelPath: TestPaths.example("tiny"))))
        let report = try SweepReport.assemble(header: header, outcomes: [SweepOutcome(rows: rows, skipped: [])])
        let svg = report.svg()
        Self.checkStructure(svg, rows: 8, front: report.rows.filter(\.pareto).count)
        #expect(svg.contains("2 more series") && svg.contains("fill=\"#999999\""))
        #expect(svg.contains("&lt;&amp;&quot;&gt;") && !svg.contains("<&"))
        #expect(svg == report.svg())
    }

    /// `defects cost --svg`: one point per mapped row, one line per defect model, the legend's
    /// line colours those of the points, texts inside the canvas, the same bytes every run, and
    /// the output path checked before any compile.
    @Test func defectCostPlot() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cost = ["defects", "cost", "examples/models/tiny.yaml", "--target", "small64", "--rates", "0,0.001,0.01"]
        let one = dir.appendingPathComponent("one.svg"), two = dir.appendingPathComponent("two.svg")
        let r1 = try CLI.run(cost + ["--svg", one.path, "--format", "json"])
        let r2 = try CLI.run(cost + ["--svg", two.path])
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)\(r2.stderr)")
        let bytes = try Data(contentsOf: one)
        #expect(try Data(contentsOf: two) == bytes, "two runs must write the same SVG bytes")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r1.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        let mapped = rows.filter { $0["tokens_per_s"] is Double && $0["error"] == nil }
        let svg = String(decoding: bytes, as: UTF8.self)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.hasSuffix("</svg>\n"))
        #expect(Self.matches("<circle ", in: svg).count == mapped.count)
        let models = Set(mapped.map { $0["defect_model"] as? String ?? "" })
        #expect(Self.matches("<polyline ", in: svg).count == models.count, "one line per defect model")
        let box = Self.matches("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"", in: svg)
        let width = Double(box.first?[1] ?? "") ?? 0, height = Double(box.first?[2] ?? "") ?? 0
        for t in Self.matches("<text x=\"([-0-9.]+)\" y=\"([-0-9.]+)\"[^>]*>([^<]*)</text>", in: svg) {
            let x = Double(t[1]) ?? -1, y = Double(t[2]) ?? -1
            #expect(x >= 0 && x <= width && y >= 0 && y <= height, "text '\(t[3])' at \(x),\(y) outside the canvas")
        }
        let pointColours = Set(Self.matches("<circle [^>]*fill=\"(#[0-9A-F]{6})\"", in: svg).map { $0[1] })
        let legendColours = Set(Self.matches("<line x1=\"[0-9.]+\" y1=\"[0-9.]+\" x2=\"[0-9.]+\" y2=\"[0-9.]+\" stroke=\"(#[0-9A-F]{6})\" stroke-width=\"2\"( stroke-dasharray=\"[0-9 ]+\")?/><text", in: svg).map { $0[1] })
        #expect(pointColours == legendColours && pointColours.count == models.count, "points \(pointColours.sorted()), legend \(legendColours.sorted())")
        #expect(!svg.contains("tiny.yaml"), "the title names the model, not its file")
        for phrase in ["<title>tiny on small64: ", ">tiny on small64: ", ">0.001</text>", ">0.01</text>", "uniform</text>", "clustered</text>", "defect rate"] {
            #expect(svg.contains(phrase), "missing '\(phrase)'")
        }
        let bad = try CLI.run(cost + ["--svg", dir.appendingPathComponent("no/such/dir.svg").path])
        #expect(bad.status == 1 && bad.stderr.contains("--svg") && bad.stdout.isEmpty, "\(bad.stderr)")
    }

    @Test func primitives() {
        #expect(SVGPlot.niceStep(100, count: 5) == 20)
        #expect(SVGPlot.niceStep(7, count: 5) == 2)
        #expect(abs(SVGPlot.niceStep(0.3, count: 6) - 0.05) < 1e-12)
        #expect(SVGPlot.ticks(from: 0, through: 100, step: 20) == [0, 20, 40, 60, 80, 100])
        #expect(SVGPlot.digits(20) == 0 && SVGPlot.digits(0.5) == 1 && SVGPlot.digits(0.02) == 2)
        #expect(SVGPlot.tickLabel(-0.0001, digits: 2) == "0.00" && SVGPlot.tickLabel(0.25, digits: 2) == "0.25")
        #expect(SVGPlot.number(12.0) == "12" && SVGPlot.number(-0.01) == "0" && SVGPlot.number(3.25) == "3.2")
        #expect(SVGPlot.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        #expect(SVGPlot.fit(String(repeating: "x", count: 500), width: 100, fontSize: 12).count < 20)
        // Whole-number x axes keep ticks on integers, padded off the axes.
        let plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y", xs: [3], ys: [5], xIntegers: true, legend: [])
        #expect(plot.xTicks == [3] && plot.xDomain.contains(2.6) && plot.x(3) > plot.left && plot.yTicks.first == 0)
    }
}
