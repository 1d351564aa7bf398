import Foundation
import Testing
import WaferMap
import WaferStudy
import WaferPasses
import WaferSupport
import WaferTestSupport

/// `--pass-option`, `--pass-options`, `wafermap pass-options`, the report's record of the knobs,
/// `sweep --vary`, and docs/pass-options.md in step with the code.
@Suite struct PassOptionCLITests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-options-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The report lists every knob with the value used; a changed one shows its new value beside
    /// its default, and the text summary names it.
    @Test func theCompileReportRecordsEveryKnob() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func settings(_ extra: [String]) throws -> (json: [[String: Any]], summary: String) {
            let plan = dir.appendingPathComponent("tiny.plan.json").path, report = dir.appendingPathComponent("report.json").path
            let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "-o", plan, "--report", report] + extra)
            #expect(out.status == 0, "\(out.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            return (try #require(json["pass_options"] as? [[String: Any]]), out.stdout)
        }
        let defaults = try settings([])
        #expect(defaults.json.compactMap { $0["key"] as? String } == PassOptions.knobs.map(\.key))
        #expect(defaults.json.allSatisfy { $0["value"] is NSObject && ($0["value"] as? NSObject) == ($0["default_value"] as? NSObject) && $0["unit"] is String })
        #expect(!defaults.summary.contains("options  "))
        let changed = try settings(["--pass-option", "place.steps=400", "--pass-option", "route.window-margins=4,16"])
        let steps = try #require(changed.json.first { $0["key"] as? String == "place.steps" })
        #expect(steps["value"] as? Int == 400 && steps["default_value"] as? Int == 200)
        let margins = try #require(changed.json.first { $0["key"] as? String == "route.window-margins" })
        #expect(margins["value"] as? [Int] == [4, 16] && margins["default_value"] as? [Int] == [3, 12, 48])
        #expect(changed.summary.contains("options     place.steps=400 route.window-margins=4,16 (the other knobs at their defaults)"))
    }

    @Test func badSettingsAreUsageErrorsAndFileErrorsNameTheirPlace() throws {
        let misspelt = try CLI.run(["count", "examples/models/tiny.yaml", "--pass-option", "route.max-iteration=4"])
        #expect(misspelt.status == 64)
        #expect(misspelt.stderr.contains("unknown pass option 'route.max-iteration'") && misspelt.stderr.contains("did you mean 'route.max-iterations'?"))
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("options.yaml")
        try "route:\n  max-iterations: 40\nplace:\n  steps: -1\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small64", "--pass-options", file.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(file.path):4:10: error: place.steps=-1 is out of range"), "\(bad.stderr)")
        let stats = try CLI.run(["stats", "examples/models/tiny.yaml", "--pass-option", "place.steps=4"])
        #expect(stats.status == 1 && stats.stderr.contains("stats runs no pass with knobs"))
    }

    @Test func theListingShowsEveryKnob() throws {
        let out = try CLI.run(["pass-options", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let knobs = try #require(json["knobs"] as? [[String: Any]])
        #expect(knobs.compactMap { $0["key"] as? String } == PassOptions.knobs.map(\.key))
        #expect(knobs.allSatisfy { ["unit", "range", "summary", "type"].allSatisfy($0.keys.contains) && $0["default_value"] != nil })
        let table = try CLI.run(["pass-options"])
        #expect(table.stdout.contains("route.present-growth") && table.stdout.contains("1.8"))
    }

    /// `sweep --vary` adds one row per value, each reproducible from its flags.
    @Test func sweepVariesAKnob() throws {
        var count = CountRequest(modelPath: TestPaths.example("tiny"))
        count.target = "small64"
        var request = SweepRequest(count: count)
        request.extraWafers = 0
        request.variations = [try PassOptionVariation(parsing: "tile.max-grid=1,16")]
        let report = try Driver.sweep(request)
        #expect(report.rows.count == 2)
        let bounded = try #require(report.rows.first { $0.passOptions == ["tile.max-grid=1"] })
        #expect(bounded.mapping.hasPrefix("1x1 slots"))
        #expect(bounded.flags.hasSuffix("--pass-option tile.max-grid=1"))
        let searched = try #require(report.rows.first { $0.passOptions.isEmpty }, "16 is the default: no option to repeat")
        #expect(!searched.mapping.hasPrefix("1x1 slots"))
        // List knobs take '/' between values; a bad value or key fails before any compile.
        #expect(try PassOptionVariation(parsing: "tile.spare-columns=0,4/0,2,8").values == ["0,4", "0,2,8"])
        #expect(throws: DiagnosticError.self) { try PassOptionVariation(parsing: "tile.max-grid=1,0") }
        #expect(throws: DiagnosticError.self) { try PassOptionVariation(parsing: "tile.max-grid") }
        // The command: rows in JSON carry the knobs they changed, on top of a base --pass-option.
        let out = try CLI.run(["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "0", "--vary", "tile.max-grid=1,2",
                               "--pass-option", "place.steps=100", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(Set(rows.compactMap { ($0["pass_options"] as? [String])?.joined(separator: " ") })
                == ["tile.max-grid=1 place.steps=100", "tile.max-grid=2 place.steps=100"])
        do {
            _ = try PassOptionVariation(parsing: "tile.max-gird=1,2")
            Issue.record("an unknown knob must throw")
        } catch {
            #expect(error.description.contains("--vary: unknown pass option") && error.description.contains("did you mean 'tile.max-grid'?"))
        }
    }

    /// docs/pass-options.md lists every knob with its default, so the docs cannot fall behind.
    @Test func theDocsListEveryKnob() throws {
        let doc = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/pass-options.md"), encoding: .utf8)
        for knob in PassOptions.knobs {
            let row = doc.split(separator: "\n").first { $0.hasPrefix("| `\(knob.key)` |") }
            #expect(row != nil, "docs/pass-options.md has no row for \(knob.key)")
            #expect(row.map { $0.contains(knob.unit) } == true, "\(knob.key)'s unit")
        }
    }
}
