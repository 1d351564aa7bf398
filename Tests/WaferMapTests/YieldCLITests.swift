import Foundation
import Testing
import WaferReport
@testable import WaferStudy
import WaferSupport
import WaferTestSupport

/// `wafermap yield` and its shards through the built executable (docs/studies.md): the report's
/// figures, thread-count independence, and merges byte-identical to the unsharded run, locally
/// and through GNU parallel.
@Suite struct YieldCLITests {
    /// tiny on small32 near a full wafer (context 113,000): at rate 0.02 clustered some maps fit on
    /// the one nominal wafer and some need a second, in about a second per run.
    static let study = ["yield", "examples/models/tiny.yaml", "--target", "small32", "--context", "113000", "--maps", "12", "--defect-rate", "0.02", "--clustered", "--seed", "7"]

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-yield-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    @Test func reportIsSaneAndThreadCountDoesNotChangeIt() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("t1.json"), two = dir.appendingPathComponent("t2.json")
        let r1 = try CLI.run(Self.study + ["--format", "json", "--threads", "1", "-o", one.path])
        let r2 = try CLI.run(Self.study + ["--format", "json", "--threads", "2", "-o", two.path])
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)\(r2.stderr)")
        #expect(try Self.bytes(one) == Self.bytes(two), "--threads 1 and 2 must write the same bytes")
        let object = try #require(try JSONSerialization.jsonObject(with: Self.bytes(one)) as? [String: Any])
        let fraction = try #require(object["fraction_fitting_nominal"] as? Double)
        let low = try #require(object["fraction_fitting_nominal_wilson95_low"] as? Double)
        let high = try #require(object["fraction_fitting_nominal_wilson95_high"] as? Double)
        #expect(0 <= low && low <= fraction && fraction <= high && high <= 1, "\(low) \(fraction) \(high)")
        let fits = try #require(object["maps_fitting_nominal"] as? Int)
        #expect(fits > 0 && fits < 12, "the study should mix maps that fit and maps that need another wafer: \(fits)")
        let extra = try #require(object["extra_wafers"] as? [[String: Int]])
        #expect(fits + extra.reduce(0) { $0 + ($1["maps"] ?? 0) } + (object["maps_not_compiled"] as? Int ?? -1) == 12)
        let t = try #require(object["tokens_per_s"] as? [String: Double])
        let order = ["min", "p5", "p50", "p95", "max"].compactMap { t[$0] }
        #expect(order.count == 5 && order == order.sorted(), "\(t)")
        let header = try #require(object["header"] as? [String: Any])
        #expect(header["nominal_wafers"] as? Int == 1 && header["model"] as? String == "tiny" && header["seed"] as? String == "7")
        #expect((header["defect_free_tokens_per_s"] as? Double ?? 0) >= t["max"] ?? .infinity)
        // Map i's seed is the documented rule's, so `compile --seed` reproduces it.
        let maps = try #require(object["maps"] as? [[String: Any]])
        #expect(maps.count == 12)
        for (i, row) in maps.enumerated() {
            let result = try #require(row["result"] as? [String: Any])
            #expect(row["map"] as? Int == i && result["seed"] as? String == String(YieldStudy.seed(base: 7, map: i)))
        }
        // The table names its methods and units.
        let table = try CLI.run(Self.study)
        #expect(table.status == 0)
        for phrase in ["95% Wilson score interval", "nearest-rank percentiles", "tokens/s per user", "fit on 1 wafer", "+1 wafer: "] {
            #expect(table.stdout.contains(phrase), "missing '\(phrase)' in:\n\(table.stdout)")
        }
    }

    @Test func threeShardsMergeToTheUnshardedBytes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = dir.appendingPathComponent("whole.txt"), svg = dir.appendingPathComponent("whole.svg")
        let run = try CLI.run(Self.study + ["-o", whole.path, "--svg", svg.path])
        #expect(run.status == 0, "\(run.stderr)")
        var parts: [String] = []
        for k in [3, 1, 2] {
            let part = dir.appendingPathComponent("part\(k).json").path
            let shard = try CLI.run(Self.study + ["--shard", "\(k)/3", "-o", part, "--threads", "\(k % 2 + 1)"])
            #expect(shard.status == 0, "\(shard.stderr)")
            parts.append(part)
        }
        let merged = dir.appendingPathComponent("merged.txt"), mergedSVG = dir.appendingPathComponent("merged.svg")
        let merge = try CLI.run(["merge"] + parts + ["-o", merged.path, "--svg", mergedSVG.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Self.bytes(merged) == Self.bytes(whole), "merge must write the unsharded -o output, byte for byte")
        #expect(try Self.bytes(mergedSVG) == Self.bytes(svg), "merge --svg must draw the unsharded --svg")
        #expect(String(decoding: try Self.bytes(svg), as: UTF8.self).contains("p50"))
        // Refusals, each exit 1 with the reason.
        let missing = try CLI.run(["merge", parts[0], parts[1]])
        #expect(missing.status == 1 && missing.stderr.contains("1 shard of 3 missing: 2/3"), "\(missing.stderr)")
        let twice = try CLI.run(["merge"] + parts + [parts[0]])
        #expect(twice.status == 1 && twice.stderr.contains("shard 3/3 is given twice"), "\(twice.stderr)")
        let other = dir.appendingPathComponent("other1.json").path
        #expect(try CLI.run(Self.study.dropLast(2) + ["--seed", "8", "--shard", "1/3", "-o", other]).status == 0)
        let mixed = try CLI.run(["merge", parts[0], other, parts[2]])
        #expect(mixed.status == 1 && mixed.stderr.contains("is a shard of another yield study"), "\(mixed.stderr)")
        let corrupt = dir.appendingPathComponent("corrupt.json")
        var text = String(decoding: try Self.bytes(URL(fileURLWithPath: parts[1])), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"items\" : 12", with: "\"items\" : 12,,")
        try text.write(to: corrupt, atomically: true, encoding: .utf8)
        let broken = try CLI.run(["merge", parts[0], corrupt.path, parts[2]])
        #expect(broken.status == 1 && broken.stderr.contains("\(corrupt.path):") && broken.stderr.contains("not valid JSON"), "\(broken.stderr)")
        #expect(broken.stderr.range(of: #"corrupt\.json:\d+:\d+: error"#, options: .regularExpression) != nil, "file:line:col: \(broken.stderr)")
        let shardWithoutOutput = try CLI.run(Self.study + ["--shard", "1/3"])
        #expect(shardWithoutOutput.status != 0 && shardWithoutOutput.stderr.contains("give it a file with -o"), "\(shardWithoutOutput.stderr)")
        let shardSVG = try CLI.run(Self.study + ["--shard", "1/3", "-o", other, "--svg", svg.path])
        #expect(shardSVG.status != 0 && shardSVG.stderr.contains("wafermap merge PART... --svg"), "\(shardSVG.stderr)")
    }

    /// `--svg`'s histogram on SVGPlot: one bar per bin (ceil(sqrt(n)) bins, at most 40, over the
    /// n maps that compiled) whose counts add up to n, p5/p50/p95 and the defect-free figure
    /// marked, the legend's colours exactly those drawn, every text inside the canvas.
    @Test func histogramHasOneBarPerBinAndALegendOfWhatItDraws() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("y.json"), svgURL = dir.appendingPathComponent("y.svg")
        let run = try CLI.run(Self.study + ["--format", "json", "-o", json.path, "--svg", svgURL.path])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Self.bytes(json)) as? [String: Any])
        let maps = try #require(object["maps"] as? [[String: Any]])
        let compiled = maps.filter { ($0["result"] as? [String: Any])?["tokens_per_s"] is Double }.count
        let svg = String(decoding: try Self.bytes(svgURL), as: UTF8.self)
        let m = SweepPlotTests.matches
        let bars = m("<rect class=\"bin\" [^>]*fill=\"(#[0-9A-F]{6})\"><title>([0-9,]+) maps?: ", svg)
        #expect(compiled > 0 && bars.count == min(40, Int(Double(compiled).squareRoot().rounded(.up))), "\(bars.count) bars for \(compiled) maps")
        #expect(bars.reduce(0) { $0 + (Int($1[2].replacingOccurrences(of: ",", with: "")) ?? 0) } == compiled)
        // The bins span the maps' own range, not the defect-free figure beyond it; the x axis
        // still takes in the defect-free line.
        let t = try #require(object["tokens_per_s"] as? [String: Double])
        let header = try #require(object["header"] as? [String: Any])
        let defectFree = try #require(header["defect_free_tokens_per_s"] as? Double)
        let (lowest, highest) = (try #require(t["min"]), try #require(t["max"]))
        #expect(defectFree > highest + 1, "the fixture needs the defect-free figure beyond every map: \(defectFree) vs \(highest)")
        let ranges = m("<rect class=\"bin\" [^>]*><title>[0-9,]+ maps?: ([0-9.]+)-([0-9.]+) tokens/s</title>", svg)
        #expect(ranges.count == bars.count)
        #expect(ranges.first?[1] == Units.fixed(lowest, digits: 1) && ranges.last?[2] == Units.fixed(highest, digits: 1),
                "bins \(ranges.first?[1] ?? "?")-\(ranges.last?[2] ?? "?") over maps \(lowest)-\(highest)")
        let axis = m("<line x1=\"([0-9.]+)\" y1=\"[0-9.]+\" x2=\"([0-9.]+)\" y2=\"([0-9.]+)\" stroke=\"#000000\"/>", svg)
        let plotRight = axis.compactMap { Double($0[2]) }.max() ?? 0
        let freeLine = try #require(m("<line x1=\"([0-9.]+)\" [^>]*><title>defect-free: ", svg).first.flatMap { Double($0[1]) })
        let lastBin = try #require(m("<rect class=\"bin\" x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\"", svg).last.flatMap { Double($0[1])! + Double($0[2])! })
        #expect(freeLine > lastBin && freeLine <= plotRight, "defect-free line at \(freeLine): past the last bin (\(lastBin)), inside the axis (\(plotRight))")
        let lines = m("<line x1=\"[0-9.]+\" y1=\"[0-9.]+\" x2=\"[0-9.]+\" y2=\"[0-9.]+\" stroke=\"(#[0-9A-F]{6})\" stroke-width=\"2\" stroke-dasharray=\"([0-9 ]+)\"><title>([a-z0-9-]+): ", svg)
        #expect(lines.map { $0[3] } == ["p5", "p50", "p95", "defect-free"])
        #expect(Set(lines.map { $0[2] }).count == 4, "each mark its own dash pattern")
        // The legend: the bars' swatch and one line sample per mark, in the colours drawn.
        let swatches = m("<rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"10\" height=\"10\" fill=\"(#[0-9A-F]{6})\"/>", svg).map { $0[1] }
        let samples = m("<line [^>]*stroke=\"(#[0-9A-F]{6})\" stroke-width=\"2\" stroke-dasharray=\"([0-9 ]+)\"/><text [^>]*>([^<]*)</text>", svg)
        #expect(Set(swatches) == Set(bars.map { $0[1] }) && swatches.count == 1)
        #expect(samples.map { "\($0[1]) \($0[2])" } == lines.map { "\($0[1]) \($0[2])" })
        #expect(zip(samples, lines).allSatisfy { $0.0[3].hasPrefix($0.1[3] + " ") && $0.0[3].hasSuffix(" tokens/s") })
        // Every text inside the canvas, with its estimated width (the rotated axis label aside).
        let box = m("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"", svg)
        let width = Double(box.first?[1] ?? "") ?? 0, height = Double(box.first?[2] ?? "") ?? 0
        for t in m("<text x=\"([-0-9.]+)\" y=\"([-0-9.]+)\"([^>]*)>([^<]*)</text>", svg) where !t[3].contains("transform") {
            let x = Double(t[1]) ?? -1, y = Double(t[2]) ?? -1
            let w = SVGPlot.textWidth(t[4], fontSize: t[3].contains("font-size=\"14\"") ? 14 : 12)
            let (from, to) = t[3].contains("text-anchor=\"middle\"") ? (x - w / 2, x + w / 2) : t[3].contains("text-anchor") ? (x - w, x) : (x, x + w)
            #expect(y >= 0 && y <= height && from >= 0 && to <= width + 1, "'\(t[4])' at \(x),\(y) outside \(width) x \(height)")
        }
        #expect(svg.contains("tokens/s per user (decode estimate)") && svg.contains("defect maps (count)"))
    }

    /// The bins cover the maps' own range whatever the reference: close maps far from the
    /// defect-free figure still spread over ceil(sqrt(n)) bins; equal maps get a bin 1 wide.
    @Test func binsSpanTheMapsOwnRange() {
        let close = [3384.6, 3390, 3400, 3410, 3420, 3425, 3429, 3429.5]
        let (low, width, counts) = YieldReport.bins(close)
        #expect(low == 3384.6 && abs(low + width * 3 - 3429.5) < 1e-9 && counts == [2, 2, 4], "\(low) \(width) \(counts)")
        let equal = YieldReport.bins([100, 100, 100, 100, 100])
        #expect(equal.low == 99.5 && abs(equal.width * 3 - 1) < 1e-12 && equal.counts == [0, 5, 0], "\(equal)")
        #expect(YieldReport.bins(Array(repeating: 1, count: 2_000) + [2]).counts.count == 40)
    }

    /// The recipe of docs/studies.md, on this machine: GNU parallel runs the shards, merge joins them.
    @Test func gnuParallelShardsMergeToTheUnshardedBytes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let which = Process()
        which.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        which.arguments = ["sh", "-c", "command -v parallel"]
        which.standardOutput = FileHandle.nullDevice
        try which.run(); which.waitUntilExit()
        try #require(which.terminationStatus == 0, "GNU parallel is not installed: run scripts/ensure-deps.sh (Debian package 'parallel')")
        let args = Self.study + ["--format", "json"]
        let whole = dir.appendingPathComponent("whole.json")
        #expect(try CLI.run(args + ["-o", whole.path]).status == 0)
        let quoted = ([CLI.executable.path] + args).map { "'\($0)'" }.joined(separator: " ")
        let script = "cd '\(TestPaths.root.path)' && parallel --will-cite --halt now,fail=1 -j 3 \(quoted) --threads 1 --shard {}/3 -o '\(dir.path)'/part{}.json ::: 1 2 3"
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", script]
        shell.environment = ProcessInfo.processInfo.environment.merging(["WAFERMAP_PROGRESS_AFTER": "3600"]) { _, new in new }
        try shell.run(); shell.waitUntilExit()
        #expect(shell.terminationStatus == 0, "parallel failed: \(script)")
        let merged = dir.appendingPathComponent("merged.json")
        let merge = try CLI.run(["merge"] + (1...3).map { dir.appendingPathComponent("part\($0).json").path } + ["-o", merged.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Self.bytes(merged) == Self.bytes(whole))
    }

    /// The documented methods, in-process: nearest-rank percentiles and the Wilson score interval.
    @Test func percentilesAndWilsonIntervalFollowTheirDefinitions() {
        let values = (1...20).map(Double.init)
        #expect(YieldReport.percentile(5, of: values) == 1 && YieldReport.percentile(50, of: values) == 10 && YieldReport.percentile(95, of: values) == 19)
        #expect(YieldReport.percentile(100, of: values) == 20 && YieldReport.percentile(0, of: values) == 1 && YieldReport.percentile(50, of: [7]) == 7)
        let (low, high) = YieldReport.wilson(successes: 20, trials: 20)
        #expect(abs(low - 0.8389) < 1e-4 && high == 1, "\(low) \(high)")
        let (l2, h2) = YieldReport.wilson(successes: 7, trials: 12)
        #expect(abs(l2 - 0.3195) < 1e-4 && abs(h2 - 0.8067) < 1e-4, "\(l2) \(h2)")
        #expect(YieldStudy.seed(base: 1, map: 0) != YieldStudy.seed(base: 1, map: 1) && YieldStudy.seed(base: 1, map: 3) == YieldStudy.seed(base: 1, map: 3))
    }

    @Test func badFlagsAreClearErrors() throws {
        let maps = try CLI.run(["yield", "examples/models/tiny.yaml", "--target", "small32", "--maps", "0", "--defect-rate", "0.01"])
        #expect(maps.status != 0 && maps.stderr.contains("--maps must be between 1 and 100,000, not 0"), "\(maps.stderr)")
        let rate = try CLI.run(["yield", "examples/models/tiny.yaml", "--target", "small32", "--maps", "2"])
        #expect(rate.status != 0 && rate.stderr.contains("yield needs --defect-rate R"), "\(rate.stderr)")
        let wafers = try CLI.run(["yield", "examples/models/tiny.yaml", "--target", "small32", "--maps", "2", "--defect-rate", "0.01", "--wafers", "2"])
        #expect(wafers.status != 0 && wafers.stderr.contains("drop --wafers"), "\(wafers.stderr)")
        // A rate the per-wafer cap refuses whatever the seed is refused once, before any compile, not recorded per map.
        let cap = try CLI.run(["yield", "examples/models/kimi-k2.yaml", "--maps", "2", "--defect-rate", "0.01", "--repair", "none"])
        #expect(cap.status == 1 && cap.stderr.contains("mapping a model accepts at most 2,000"), "\(cap.stderr)")
        let shard = try CLI.run(["yield", "examples/models/tiny.yaml", "--maps", "2", "--defect-rate", "0.01", "--shard", "4/3", "-o", "/tmp/x.json"])
        #expect(shard.status != 0 && shard.stderr.contains("need 1 <= K <= N"), "\(shard.stderr)")
    }
}
