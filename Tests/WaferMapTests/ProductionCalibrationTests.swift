import Foundation
import Testing
import WaferMap
import WaferPerf
import WaferReport
import WaferSupport
import WaferTarget
import WaferTestSupport

/// The production data set (examples/calibration/production-wse3.yaml, copied from Cerebras'
/// published per-user speeds on WSE-3) and `wafermap calibrate --production`: the file holds the
/// published figures with their conditions, fit and validation rows stay apart, and nothing is
/// fitted.
@Suite struct ProductionCalibrationTests {
    static let production = TestPaths.root.appendingPathComponent("examples/calibration/production-wse3.yaml").path

    @Test func theShippedFileHoldsThePublishedFiguresAndTheirConditions() throws {
        let set = try ProductionSet.load(path: Self.production)
        #expect(set.target == "wse3")
        let fit = set.rows.filter { $0.role == .fit }, validation = set.rows.filter { $0.role == .validation }
        // The reference's fit set, in its order: launch 8B and 70B (16-bit, 1 and 4 systems, no
        // speculative decoding), October 70B (speculative named), 405B.
        #expect(fit.map(\.tokensPerS) == [1800, 450, 2100, 969])
        #expect(fit.map(\.wafers) == [1, 4, nil, nil])
        #expect(fit.map(\.speculative) == [.no, .no, .yes, .assumed])
        #expect(fit.prefix(2).allSatisfy { $0.precision == "16-bit" })
        #expect(validation.map(\.modelName) == ["../models/gpt-oss-120b.yaml", "../models/qwen3-235b-a22b.yaml"])
        #expect(validation.map(\.tokensPerSLow) == [2059, 1400])
        #expect(validation.map(\.tokensPerSHigh) == [3000, 1500])
        for row in set.rows {
            #expect(!row.source.isEmpty && !row.date.isEmpty)
            #expect(FileManager.default.fileExists(atPath: row.modelPath), "\(row.modelPath)")
        }
    }

    @Test func badProductionFilesGetTypedLocatedErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-prod-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.yaml").path
        let head = "version: 1\nsource: x\ntarget: wse3\ncontext_tokens: 8192\nrows:\n"
        // nil: the YAML reader's own typed failure (a value of the wrong type), still located.
        let cases: [(String, PerfFailure?, String)] = [
            (head + "  - {model: m.yaml, set: fit, tokens_per_s: 100, date: d, precision: p, wafers: some, speculative: \"no\", source: s}\n", nil, "p.yaml:6:81:"),
            (head + "  - {model: m.yaml, set: fit, tokens_per_s: 100, date: d, precision: p, wafers: 1, speculative: maybe, source: s}\n", .productionValue, "p.yaml:6:"),
            (head + "  - {model: m.yaml, set: fit, tokens_per_s: 100, tokens_per_s_low: 200, date: d, precision: p, wafers: 1, speculative: \"no\", source: s}\n", .productionValue, "p.yaml:6:"),
            (head + "  []\n", .productionEmpty, "p.yaml:"),
            ("version: 2\n", .productionVersion, "p.yaml:1:"),
        ]
        for (text, kind, located) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try ProductionSet.load(path: path)
                Issue.record("accepted: \(text)")
            } catch {
                if let kind { #expect(error.contains(kind), "\(error)") }
                #expect("\(error)".contains(located), "\(error)")
            }
        }
    }

    /// One run of the command (six compiles on wse3): both tables, every row's conditions, the
    /// validation rows never in the fit set, and `--fit` refused beside `--production`.
    @Test func calibrateProductionComparesWithoutFitting() throws {
        let out = try CLI.run(["calibrate", "--production", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["fitted"] as? Bool == false)
        let fit = try #require(json["fit_set"] as? [[String: Any]]), validation = try #require(json["validation_set"] as? [[String: Any]])
        #expect(fit.count == 4 && validation.count == 2)
        #expect(fit.allSatisfy { $0["set"] as? String == "fit" } && validation.allSatisfy { $0["set"] as? String == "validation" })
        #expect(validation.map { $0["model"] as? String } == ["gpt-oss-120b", "qwen3-235b-a22b"])
        for row in fit + validation {
            let published = try #require(row["published_tokens_per_s"] as? Double), predicted = try #require(row["predicted_tokens_per_s"] as? Double)
            let ratio = try #require(row["ratio"] as? Double), layers = try #require(row["decoder_layers"] as? Int)
            #expect(predicted > 0 && abs(ratio - predicted / published) < 1e-9)
            let publishedLayer = try #require(row["published_layer_us"] as? Double)
            #expect(abs(publishedLayer - 1e6 / published / Double(layers)) < 1e-9)
            for key in ["published_precision", "compiled_precision", "speculative", "source", "wafers", "predicted_layer_us"] { #expect(row[key] != nil, "\(key)") }
        }
        // The launch rows state their system counts; the compile honours them where the model fits.
        #expect(fit.first?["wafers"] as? Int == 1 && fit.first?["published_wafers"] as? Int == 1)
        let refused = try CLI.run(["calibrate", "--production", "--fit"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--production"))
    }
}

/// The production fit itself, on small compiled mappings: it recovers the constants that made
/// the "published" figures, and validation rows never move it.
@Suite struct ProductionFitTests {
    static func row(_ role: ProductionSet.Role, _ tokensPerS: Double, kernels: String = "production-wse3") -> ProductionSet.Row {
        ProductionSet.Row(modelPath: "m.yaml", modelName: "m", role: role, tokensPerS: tokensPerS, tokensPerSLow: tokensPerS, tokensPerSHigh: tokensPerS,
                          date: "d", precision: "16-bit", wafers: nil, speculative: .no, kernels: kernels, source: "s", notes: "", location: nil)
    }

    /// Two mappings whose cycles mix MACs and layers differently (tiny at two contexts on small64).
    static func cases(_ published: (Double, Double), extra: [ProductionSet.Row] = []) throws -> [ProductionCase] {
        var out: [ProductionCase] = []
        for (context, figure) in [(64, published.0), (4096, published.1)] {
            var request = CountRequest(modelPath: TestPaths.example("tiny"))
            request.target = "small64"
            request.deployment.contextTokens = context
            let report = try Driver.count(request)
            let graph = try #require(report.results.first?.graph)
            out.append(ProductionCase(row: row(.fit, figure), graph: graph, target: report.target))
            for r in extra { out.append(ProductionCase(row: r, graph: graph, target: report.target)) }
        }
        return out
    }

    @Test func theFitRecoversTheConstantsThatMadeTheFiguresAndIgnoresValidationRows() throws {
        let base = try BuiltinKernelProfiles.resolve("production-wse3")
        var truth = base
        truth.matvecEfficiency = .exact(0.2)
        truth.layerOverheadCycles = .exact(5000)
        let probe = try Self.cases((1, 1))
        let published = (probe[0].tokensPerS(truth), probe[1].tokensPerS(truth))
        let fitted = try #require(ProductionCalibration.fit(try Self.cases(published), profiles: ["production-wse3": base])["production-wse3"])
        #expect(abs(fitted.central.matvecEfficiency - 0.2) < 0.01, "\(fitted.central.matvecEfficiency)")
        #expect(abs(fitted.central.layerOverheadCycles - 5000) < 100, "\(fitted.central.layerOverheadCycles)")
        #expect(fitted.central.maxAbsError < 0.01)
        // The clock's range moves the fitted constants: their range is not a point.
        #expect(fitted.matvecEfficiency.low < fitted.matvecEfficiency.high)
        // Validation rows with absurd figures, and fit rows of another profile, change nothing.
        let noisy = try Self.cases(published, extra: [Self.row(.validation, 1e9), Self.row(.fit, 1, kernels: "launch-wse3")])
        let again = try #require(ProductionCalibration.fit(noisy, profiles: ["production-wse3": base])["production-wse3"])
        #expect(again.central.matvecEfficiency == fitted.central.matvecEfficiency)
        #expect(again.central.layerOverheadCycles == fitted.central.layerOverheadCycles)
    }
}
